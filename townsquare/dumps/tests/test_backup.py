"""`townsquare backup`: a consistent copy of everything, taken while the site writes."""

import hashlib
import json
import os
import queue
import re
import threading

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.db.utils import load_backend
from django.utils import timezone

from townsquare.dumps import backup, pgtools
from townsquare.dumps.backup import take_backup
from townsquare.dumps.manifest import BackupError, read_manifest
from townsquare.dumps.progress import NoProgress
from townsquare.dumps.restore import restore_backup
from townsquare.forum.models import Post


class Writer(threading.Thread):
    """Another thread of the site: writes a row when asked, on a connection of its own, and
    answers "committed" or the database's error."""

    def __init__(self, alias: str):
        super().__init__(daemon=True)
        self.alias, self.asked, self.answers = alias, queue.Queue(), queue.Queue()
        self.settings_dict = connections[alias].settings_dict

    def run(self):
        if self.alias not in connections:  # made on the fly, in the test's thread only
            connections[self.alias] = load_backend(self.settings_dict["ENGINE"]).DatabaseWrapper(
                self.settings_dict, self.alias)
        try:
            while (key := self.asked.get()) is not None:
                try:
                    Session.objects.using(self.alias).create(
                        session_key=key, session_data="", expire_date=timezone.now())
                    self.answers.put("committed")
                except DatabaseError as error:
                    self.answers.put(str(error))
        finally:
            connections[self.alias].close()

    def write(self, key: str) -> str:
        self.asked.put(key)
        return self.answers.get(timeout=30)

    def finish(self):
        self.asked.put(None)
        self.join(60)


class WritesDuringTheDatabaseCopy(NoProgress):
    """Progress that, once the database copy has begun, has the writer commit three rows."""

    def __init__(self, writer: Writer):
        self.writer, self.part, self.outcomes = writer, None, []

    def file_started(self, name, size, unit=None):
        self.part = name

    def advance(self, amount):
        if self.part == "database" and not self.outcomes:
            self.outcomes = [self.writer.write(f"during-{n}") for n in range(3)]


def test_a_backup_taken_while_another_thread_writes_restores_as_of_its_start(
        community, site_database, empty_database, backups, monkeypatch):
    alias = site_database()
    writer = Writer(alias)
    writer.start()
    monkeypatch.setattr(backup, "PAGES_PER_STEP", 1)  # many steps for writers to come between
    progress = WritesDuringTheDatabaseCopy(writer)
    try:
        folder = take_backup(backups, progress=progress, using=alias)
    finally:
        writer.finish()
    assert progress.outcomes == ["committed"] * 3
    assert Session.objects.using(alias).count() == 3
    manifest = read_manifest(folder)
    assert manifest["rows"]["django_session"] == 0
    assert manifest["rows"]["forum_post"] == 4
    report = restore_backup(folder, using=empty_database)
    assert report.failed == []
    assert Session.objects.using(empty_database).count() == 0
    assert Post.objects.using(empty_database).count() == 4


def test_the_manifest_names_the_site_its_migrations_rows_and_every_file(
        community, site_database, backups, settings):
    alias = site_database()
    folder = take_backup(backups, using=alias)
    assert re.fullmatch(r"townsquare-\d{8}-\d{6}", folder.name)
    assert list(backups.iterdir()) == [folder]
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["format"], manifest["version"]) == ("townsquare-backup", 1)
    assert manifest["site"] == settings.SITE_NAME and manifest["townsquare"]
    assert manifest["created"].endswith("Z") and manifest["scheduled"] is False
    assert manifest["database"]["engine"] == connections[alias].vendor
    leaves = dict(MigrationLoader(None).graph.leaf_nodes())
    assert manifest["migrations"]["forum"] == leaves["forum"]
    assert manifest["migrations"]["dumps"] == leaves["dumps"]
    assert manifest["rows"]["accounts_user"] == 2 and manifest["rows"]["forum_topic"] == 1
    assert manifest["rows"]["reactions_reaction"] == 1
    assert manifest["media"]["files"] == 1
    assert manifest["secret_key"].startswith("included")
    assert set(manifest["files"]) == {manifest["database"]["file"], "secret_key",
                                      "media/uploads/2026/03/harbour.webp"}
    for name, described in manifest["files"].items():
        data = (folder / name).read_bytes()
        assert described == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert (folder / "secret_key").read_text() == "the-site-key\n"
    assert (folder / "media/uploads/2026/03/harbour.webp").read_bytes() == b"RIFF-image-bytes"


def test_a_key_set_in_the_environment_stays_out_of_the_backup(
        community, site_database, backups, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    folder = take_backup(backups, using=site_database())
    manifest = read_manifest(folder)
    assert manifest["secret_key"].startswith("not included: SECRET_KEY is set in the env")
    assert "secret_key" not in manifest["files"] and not (folder / "secret_key").exists()


def test_a_backup_that_fails_half_way_leaves_nothing_that_looks_like_a_backup(
        community, site_database, backups, monkeypatch):
    alias = site_database()

    def broken(*args):
        raise OSError("the disk is full")

    monkeypatch.setattr(backup, "_copy_media", broken)
    with pytest.raises(OSError, match="the disk is full"):
        take_backup(backups, using=alias)
    assert list(backups.iterdir()) == []


def test_the_backup_command_prints_what_it_wrote(community, site_database, backups, capsys):
    call_command("backup", str(backups), database=site_database())
    out = capsys.readouterr().out
    folder = next(backups.iterdir())
    assert f"Backup written to {folder}\n" in out
    assert "rows in" in out and "1 file " in out and "secret key" in out


def test_a_backup_into_a_missing_folder_is_refused_with_code_2(tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("backup", str(tmp_path / "missing"))
    assert str(caught.value) == f"{tmp_path}/missing is not a folder; create it first."
    assert caught.value.returncode == 2


def fake_tool(folder, name: str, says: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\necho '{says}'\n")
    path.chmod(0o755)


def test_pg_dump_missing_or_older_than_the_server_is_named_in_a_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump was not found on PATH; install the "
                                          "PostgreSQL client tools of version 16 or newer"):
        pgtools.find_tool("pg_dump", at_least=16)
    fake_tool(tmp_path, "pg_dump", "pg_dump (PostgreSQL) 14.11 (Debian 14.11-1)")
    with pytest.raises(BackupError, match=r"pg_dump is version 14\.11, older than PostgreSQL "
                                          r"16; install the client tools of version 16"):
        pgtools.find_tool("pg_dump", at_least=16)
    assert pgtools.find_tool("pg_dump", at_least=14) == (str(tmp_path / "pg_dump"), "14.11")
    assert os.environ["PATH"] == str(tmp_path)
