"""`townsquare restore`: checked before anything is written, counted after."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from townsquare.accounts.models import User
from townsquare.dumps.backup import take_backup
from townsquare.dumps.manifest import list_tables
from townsquare.forum.models import Post, Topic
from townsquare.reactions.models import Reaction

from .databases import engine, extra_database

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def made_backup(community, site_database, backups):
    """The site's alias and a backup of it."""
    alias = site_database()
    return alias, take_backup(backups, using=alias)


@pytest.fixture
def elsewhere(settings, tmp_path):
    """The restoring site's own media and data folders."""
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    settings.DATA_DIR = tmp_path / "restored-data"
    settings.DATA_DIR.mkdir()
    return settings


def restore(folder, database, *options) -> CommandError | None:
    try:
        call_command("restore", str(folder), *options, database=database)
    except CommandError as error:
        return error
    return None


def posts(alias):
    return list(Post.objects.using(alias).order_by("pk").values_list(
        "pk", "topic__title", "author__username", "position", "body", "html"))


def test_a_backup_restores_into_an_empty_site_with_its_rows_files_and_key(
        made_backup, empty_database, elsewhere, capsys):
    site, folder = made_backup
    assert restore(folder, empty_database) is None
    out = capsys.readouterr().out
    assert "Restored." in out and "✗" not in out and "forum_post" in out
    assert posts(empty_database) == posts(site) and len(posts(site)) == 4
    assert dict(User.objects.using(empty_database).values_list("username", "password")) == \
        dict(User.objects.using(site).values_list("username", "password"))
    topic = Topic.objects.using(empty_database).get()
    assert (topic.post_count, topic.last_poster.username) == (4, "ben")
    assert Reaction.objects.using(empty_database).get().kind == "like"
    media = elsewhere.MEDIA_ROOT / "uploads/2026/03/harbour.webp"
    assert media.read_bytes() == b"RIFF-image-bytes"
    key = elsewhere.DATA_DIR / "secret_key"
    assert key.read_text() == "the-site-key\n" and oct(key.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("damaged", ["database", "media", "secret_key"])
def test_a_changed_file_is_refused_by_name_before_anything_is_written(
        made_backup, empty_database, elsewhere, damaged):
    folder = made_backup[1]
    manifest = json.loads((folder / "manifest.json").read_text())
    name = {"database": manifest["database"]["file"], "secret_key": "secret_key",
            "media": "media/uploads/2026/03/harbour.webp"}[damaged]
    data = bytearray((folder / name).read_bytes())
    data[len(data) // 2] ^= 1
    (folder / name).write_bytes(data)
    error = restore(folder, empty_database)
    assert str(error) == (f"{name} does not match its checksum in the manifest (the file is "
                          f"damaged or was changed); nothing was restored.")
    assert error.returncode == 2
    assert list_tables(connections[empty_database]) == []
    assert not elsewhere.MEDIA_ROOT.exists()
    assert list(elsewhere.DATA_DIR.iterdir()) == []


def test_a_site_that_holds_members_and_posts_is_refused_unless_forced(made_backup, elsewhere):
    site, folder = made_backup
    Topic.objects.using(site).update(title="Renamed after the backup")
    Reaction.objects.using(site).all().delete()
    error = restore(folder, site)
    assert str(error) == ("This site's database already holds 2 members, 1 category, 1 topic, "
                          "4 posts; restore only into an empty site, or pass --force to "
                          "replace everything in it.")
    assert error.returncode == 2
    assert Topic.objects.using(site).get().title == "Renamed after the backup"
    assert restore(folder, site, "--force") is None
    assert Topic.objects.using(site).get().title == "The harbour reopens"
    assert Reaction.objects.using(site).count() == 1


def test_rows_that_do_not_match_the_manifest_fail_the_restore(made_backup, empty_database,
                                                              elsewhere):
    folder = made_backup[1]
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["rows"]["forum_post"] = 5
    (folder / "manifest.json").write_text(json.dumps(manifest))
    error = restore(folder, empty_database)
    assert str(error) == ("The restored site does not match its backup: forum_post has 4 rows "
                          "where the manifest says 5 rows.")
    assert error.returncode == 1


def test_a_backup_made_by_a_newer_version_is_refused_before_anything_is_written(
        made_backup, empty_database, elsewhere):
    folder = made_backup[1]
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["migrations"]["forum"] = "0999_from_the_future"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    error = restore(folder, empty_database)
    assert str(error) == ("The backup's migration forum.0999_from_the_future is unknown to "
                          "this version of Townsquare; restore it with the version that made "
                          "it or a newer one.")
    assert error.returncode == 2
    assert list_tables(connections[empty_database]) == []


def write_manifest(folder: Path, text: str) -> Path:
    folder.mkdir()
    (folder / "manifest.json").write_text(text)
    return folder


BAD_INPUT = {
    "missing": (lambda tmp: tmp / "nowhere", "{tmp}/nowhere does not exist."),
    "a file": (lambda tmp: write_manifest(tmp / "f", "{}") / "manifest.json",
               "{tmp}/f/manifest.json is not a folder."),
    "no manifest": (lambda tmp: tmp, "{tmp} is not a Townsquare backup: it has no "
                                     "manifest.json."),
    "the parent of backups": (
        lambda tmp: write_manifest(tmp / "townsquare-20260301-030000", json.dumps({
            "format": "townsquare-backup", "version": 1, "migrations": {}, "rows": {},
            "database": {"engine": "sqlite"}, "files": {"database.sqlite3": {
                "size": 0, "sha256": "0" * 64}}})).parent,
        "{tmp} is not a Townsquare backup: it has no manifest.json; it holds backups, such "
        "as {tmp}/townsquare-20260301-030000."),
    "broken JSON": (lambda tmp: write_manifest(tmp / "b", '{"format": '),
                    "{tmp}/b/manifest.json is not valid JSON, so {tmp}/b is not a usable "
                    "backup."),
    "another format": (lambda tmp: write_manifest(tmp / "o", '{"format": "forum-dump"}'),
                       "{tmp}/o/manifest.json is not a Townsquare backup manifest."),
    "a newer format": (
        lambda tmp: write_manifest(tmp / "n", '{"format": "townsquare-backup", "version": 2}'),
        "{tmp}/n is in backup format 2, written by a newer Townsquare; this one reads format "
        "1, so restore it with the newer version."),
    "a name outside the folder": (
        lambda tmp: write_manifest(tmp / "x", json.dumps({
            "format": "townsquare-backup", "version": 1, "migrations": {}, "rows": {},
            "database": {"engine": "sqlite"}, "files": {"database.sqlite3": {
                "size": 0, "sha256": "0" * 64}, "media/../../etc/passwd": {
                "size": 0, "sha256": "0" * 64}}})),
        "{tmp}/x/manifest.json is damaged: 'media/../../etc/passwd' is not a name a backup "
        "holds."),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_is_refused_in_one_sentence_with_code_2(case, tmp_path):
    make, message = BAD_INPUT[case]
    error = restore(make(tmp_path), "default")
    assert (str(error), error.returncode) == (message.format(tmp=tmp_path), 2)


def test_the_command_line_answers_bad_input_without_a_traceback(tmp_path):
    finished = subprocess.run(
        [sys.executable, "-m", "townsquare.cli", "restore", str(tmp_path / "nowhere")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "TOWNSQUARE_DATA_DIR": str(tmp_path / "data")})
    assert finished.returncode == 2
    assert finished.stderr == f"CommandError: {tmp_path}/nowhere does not exist.\n"


def test_a_database_that_cannot_be_reached_is_named_in_one_sentence(made_backup, tmp_path):
    default = connections["default"].settings_dict
    unreachable = str(tmp_path / "no" / "such.sqlite3") if engine() == "sqlite" else \
        f"{default['NAME']}_missing"
    with extra_database({**default, "NAME": unreachable}) as alias:
        error = restore(made_backup[1], alias)
    assert str(error).startswith("The restore stopped: ") and "\n" not in str(error)
    assert error.returncode == 1
