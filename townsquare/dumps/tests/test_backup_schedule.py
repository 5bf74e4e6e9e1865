"""Scheduled backups: the worker's clock queues one a day, the task takes it and keeps the
newest BACKUP_KEEP it made."""

import hashlib
import json
from datetime import UTC, datetime

import pytest
from django_tasks_db.models import DBTaskResult

from townsquare.dumps import actions, schedule
from townsquare.dumps.manifest import read_manifest
from townsquare.dumps.models import ScheduledBackup
from townsquare.dumps.tasks import run_scheduled_backup


def queued_backups() -> list[int]:
    return sorted(result.args_kwargs["args"][0] for result in DBTaskResult.objects.filter(
        task_path=run_scheduled_backup.module_path))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def scheduled(settings, backups):
    settings.BACKUP_DIR, settings.BACKUP_HOUR, settings.BACKUP_KEEP = str(backups), 3, 2
    return backups


def test_without_a_backup_folder_the_clock_queues_no_backup(db, settings):
    settings.BACKUP_DIR = ""
    schedule.tick(at(2, 4))
    assert not ScheduledBackup.objects.exists() and queued_backups() == []


def test_the_clock_queues_one_backup_a_day_however_often_it_ticks(
        db, scheduled, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for moment in [at(2, 1), at(2, 2, 59), at(2, 3), at(2, 3, 0), at(2, 17), at(3, 2),
                       at(3, 3, 1)]:
            schedule.tick(moment)
    backups = ScheduledBackup.objects.order_by("period")
    assert [backup.period for backup in backups] == [at(1, 3), at(2, 3), at(3, 3)]
    assert queued_backups() == [backup.pk for backup in backups]


def test_of_two_clocks_racing_for_the_same_period_one_queues_it(
        db, scheduled, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = schedule.queue_scheduled_backup(period=at(2, 3))
        second = schedule.queue_scheduled_backup(period=at(2, 3))
    assert first is not None and second is None
    assert queued_backups() == [first.pk]


def fake_backup(folder, name: str, *, scheduled: bool = True, manifest: bool = True):
    path = folder / name
    path.mkdir()
    (path / "database.sqlite3").write_bytes(b"")
    if manifest:
        (path / "manifest.json").write_text(json.dumps({
            "format": "townsquare-backup", "version": 1, "scheduled": scheduled,
            "database": {"engine": "sqlite", "file": "database.sqlite3"}, "migrations": {},
            "rows": {}, "files": {"database.sqlite3": {
                "size": 0, "sha256": hashlib.sha256(b"").hexdigest()}}}))
    return path


def test_pruning_keeps_the_newest_scheduled_backups_and_nothing_else_is_touched(backups):
    made = [fake_backup(backups, f"townsquare-202603{day:02}-030000") for day in range(1, 6)]
    by_hand = fake_backup(backups, "townsquare-20260228-120000", scheduled=False)
    unfinished = fake_backup(backups, "townsquare-20260227-030000", manifest=False)
    partial = fake_backup(backups, ".townsquare-20260226-030000.partial")
    other = fake_backup(backups, "my-own-backup")
    (backups / "notes.txt").write_text("keep me")
    assert actions.prune_backups(backups, keep=2) == made[:3]
    assert sorted(backups.iterdir()) == sorted(
        [partial, other, backups / "notes.txt", unfinished, by_hand, *made[3:]])
    assert actions.prune_backups(backups, keep=0) == [made[3]]


def test_the_task_takes_the_backup_prunes_and_does_nothing_when_run_again(
        transactional_db, community, scheduled):
    old = [fake_backup(scheduled, f"townsquare-2026010{day}-030000") for day in (1, 2)]
    backup = ScheduledBackup.objects.create(period=at(2, 3), queued=at(2, 3))
    name = run_scheduled_backup.call(backup.pk)
    assert sorted(p.name for p in scheduled.iterdir()) == [old[1].name, name]
    manifest = read_manifest(scheduled / name)
    assert manifest["scheduled"] is True and manifest["rows"]["forum_post"] == 4
    backup.refresh_from_db()
    assert (backup.folder, backup.error) == (name, "") and backup.finished is not None
    assert run_scheduled_backup.call(backup.pk) == ""
    assert len(list(scheduled.iterdir())) == 2


def test_a_missing_backup_folder_is_made(transactional_db, scheduled, settings):
    settings.BACKUP_DIR = str(scheduled / "new" / "backups")
    backup = ScheduledBackup.objects.create(period=at(2, 3), queued=at(2, 3))
    name = run_scheduled_backup.call(backup.pk)
    assert read_manifest(scheduled / "new" / "backups" / name)["scheduled"] is True


def test_a_backup_that_fails_is_recorded_with_its_reason(transactional_db, scheduled,
                                                          settings):
    (scheduled / "a-file").write_text("not a folder")
    settings.BACKUP_DIR = str(scheduled / "a-file" / "backups")
    backup = ScheduledBackup.objects.create(period=at(2, 3), queued=at(2, 3))
    with pytest.raises(NotADirectoryError):
        run_scheduled_backup.call(backup.pk)
    backup.refresh_from_db()
    assert "Not a directory" in backup.error and backup.finished is not None
    assert backup.folder == ""


def test_administrators_see_each_scheduled_backup_and_why_one_failed(client, make_member):
    ScheduledBackup.objects.create(period=at(2, 3), queued=at(2, 3), started=at(2, 3),
                                   finished=at(2, 3), error="No space left on device")
    client.force_login(make_member("root", is_staff=True, is_superuser=True))
    page = client.get("/admin/dumps/scheduledbackup/").content.decode()
    assert "No space left on device" in page
