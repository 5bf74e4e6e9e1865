"""Scheduled backups: taking one the clock queued, keeping the newest few."""

import shutil
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .backup import take_backup
from .manifest import complete_backup
from .models import ScheduledBackup


def run_scheduled_backup(*, backup_id: int) -> str:
    """Take a queued backup into BACKUP_DIR (made if missing) and prune the old ones; the
    folder's name, or ""
    when this backup was already taken (or is being taken) by another run."""
    claimed = ScheduledBackup.objects.filter(pk=backup_id, started=None).update(
        started=timezone.now())
    if not claimed:
        return ""
    folder = Path(settings.BACKUP_DIR)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        made = take_backup(folder, scheduled=True)
    except Exception as error:
        ScheduledBackup.objects.filter(pk=backup_id).update(
            finished=timezone.now(), error=str(error)[:500])
        raise
    ScheduledBackup.objects.filter(pk=backup_id).update(finished=timezone.now(),
                                                        folder=made.name)
    prune_backups(folder, keep=settings.BACKUP_KEEP)
    return made.name


def prune_backups(folder: Path, *, keep: int) -> list[Path]:
    """Delete the oldest scheduled backups in `folder` beyond the newest `keep` (at least
    one is always kept); return what was deleted. Only complete backups the schedule made
    count and go: a backup taken by hand, a half-written one and anything else stay."""
    made = sorted(path for path in folder.iterdir()
                  if (manifest := complete_backup(path)) and manifest.get("scheduled") is True)
    doomed = made[:-max(keep, 1)]
    for path in doomed:
        shutil.rmtree(path)
    return doomed
