"""Exports read every table from one snapshot, and on SQLite without stopping writers."""

import json
import sqlite3
import threading

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connections, transaction
from django.db.transaction import TransactionManagementError

from townsquare.accounts.models import User
from townsquare.dumps.progress import RichProgress
from townsquare.dumps.snapshot import read_snapshot

from .databases import postgresql_only, sqlite_only


def records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def between_files(monkeypatch, after: str, write) -> None:
    """Run `write` when the export has written the file `after`, before it reads on."""
    file_done = RichProgress.file_done

    def done(self, name, count):
        file_done(self, name, count)
        if name == after:
            write()

    monkeypatch.setattr(RichProgress, "file_done", done)


@postgresql_only
def test_a_postgresql_export_shows_one_moment_though_a_reply_lands_half_way(
        community, site_database, make_member, tmp_path, monkeypatch):
    from townsquare.forum.actions import post_reply

    site_database()
    written = []

    def reply_from_another_connection():
        def reply():
            try:
                late = make_member("latecomer")
                written.append(post_reply(author=late, topic=community, body="Half-way").pk)
            finally:
                connections.close_all()

        thread = threading.Thread(target=reply)
        thread.start()
        thread.join(30)

    between_files(monkeypatch, "users.jsonl", reply_from_another_connection)
    call_command("export", str(tmp_path / "dump"))
    assert written, "the reply was committed while the export ran"
    posts = records(tmp_path / "dump" / "posts.jsonl")
    users = {user["id"] for user in records(tmp_path / "dump" / "users.jsonl")}
    assert written[0] not in {post["id"] for post in posts}
    assert {post["user_id"] for post in posts} <= users
    assert len(posts) == 4


@sqlite_only
def test_a_sqlite_export_lets_another_connection_commit_while_it_reads(
        community, site_database, tmp_path, monkeypatch):
    alias = site_database()
    outcome = []

    def write_with_a_short_busy_timeout():
        writer = sqlite3.connect(connections[alias].settings_dict["NAME"], timeout=0.5)
        try:
            with writer:
                writer.execute("UPDATE forum_post SET body = 'Changed half-way'")
            outcome.append("committed")
        except sqlite3.OperationalError as error:
            outcome.append(str(error))
        finally:
            writer.close()

    between_files(monkeypatch, "users.jsonl", write_with_a_short_busy_timeout)
    call_command("export", str(tmp_path / "dump"), database=alias)
    assert outcome == ["committed"]
    bodies = [post["body"] for post in records(tmp_path / "dump" / "posts.jsonl")]
    assert len(bodies) == 4 and "Changed half-way" not in bodies


def test_nothing_can_be_written_inside_a_read_snapshot(community, site_database):
    alias = site_database()
    with pytest.raises(DatabaseError), read_snapshot(alias):
        User.objects.using(alias).update(bio="Written inside")
    assert User.objects.using(alias).update(bio="Written after") == 2


def test_a_read_snapshot_inside_another_transaction_is_refused(db):
    with transaction.atomic(), pytest.raises(TransactionManagementError):
        with read_snapshot():
            pass
