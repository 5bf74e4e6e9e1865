import json
import sqlite3
import uuid
from contextlib import ExitStack

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from .databases import engine, extra_database


@pytest.fixture
def write_dump(tmp_path):
    """Write a dump folder from lists of records; returns its path."""

    def write(users=(), categories=(), topics=(), posts=(), reactions=(), meta=None,
              folder="dump"):
        path = tmp_path / folder
        path.mkdir(exist_ok=True)
        (path / "meta.json").write_text(json.dumps(meta or {"format": "forum-dump",
                                                           "version": 1}))
        for name, rows in [("users", users), ("categories", categories), ("topics", topics),
                           ("posts", posts), ("reactions", reactions)]:
            with (path / f"{name}.jsonl").open("w") as out:
                for row in rows:
                    out.write(row if isinstance(row, str) else json.dumps(row))
                    out.write("\n")
        return path

    return write


@pytest.fixture
def small_community():
    """A valid little community in dump records: two members, a news topic, a quoting reply."""
    return {
        "users": [
            {"id": 10, "username": "desk", "email": "desk@example.org",
             "date_joined": "2025-01-01T00:00:00Z", "role": "editor", "password": "pw-desk-1"},
            {"id": 11, "username": "ana", "email": "ana@example.org",
             "date_joined": "2025-02-01T10:00:00+02:00", "bio": "Hi"},
        ],
        "categories": [{"id": 5, "title": "News", "slug": "news", "position": 1}],
        "topics": [{"id": 100, "category_id": 5, "user_id": 10, "title": "Marsh news",
                    "created": "2025-07-03T09:00:00Z", "source_name": "The Courier",
                    "source_url": "https://courier.example/x", "source_date": "2025-07-03",
                    "pinned": True}],
        "posts": [
            {"id": 1000, "topic_id": 100, "user_id": 10, "created": "2025-07-03T09:00:00Z",
             "body": "The **marsh** grew."},
            {"id": 1001, "topic_id": 100, "user_id": 11, "created": "2025-07-03T09:06:00Z",
             "body": ":::quote 1000\nThe marsh grew.\n:::\n\nGood!", "quotes_post_id": 1000},
        ],
        "reactions": [
            {"post_id": 1000, "user_id": 11, "kind": "love"},
            {"post_id": 1001, "user_id": 10, "kind": "like"},
            {"post_id": 1001, "user_id": 10, "kind": "haha"},
        ],
    }


@pytest.fixture
def site_database(transactional_db, tmp_path):
    """Call it once the test's rows are written: the alias of a database holding them that
    other connections can read and write beside it, as on a site. On PostgreSQL the test
    database itself; on SQLite a copy in a WAL file with the site's settings, since
    readers and writers of the in-memory test database lock each other's tables."""
    stack = ExitStack()

    def make() -> str:
        if engine() != "sqlite":
            return DEFAULT_DB_ALIAS
        path = tmp_path / "site" / "townsquare.sqlite3"
        path.parent.mkdir()
        connection = connections[DEFAULT_DB_ALIAS]
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        connection.connection.backup(copy)
        copy.close()
        return stack.enter_context(
            extra_database({**connection.settings_dict, "NAME": str(path)}))

    with stack:
        yield make


@pytest.fixture
def empty_database(transactional_db, tmp_path):
    """The alias of an empty database to restore into: a new SQLite file, or on PostgreSQL
    a throwaway database made for the test and dropped after it."""
    default = connections[DEFAULT_DB_ALIAS]
    if engine() == "sqlite":
        path = tmp_path / "restored" / "townsquare.sqlite3"
        path.parent.mkdir()
        with extra_database({**default.settings_dict, "NAME": str(path)}) as alias:
            yield alias
        return
    name = f"{default.settings_dict['NAME'].removeprefix('test_')}_restore_{uuid.uuid4().hex[:8]}"
    with default.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        with extra_database({**default.settings_dict, "NAME": name}) as alias:
            yield alias
    finally:
        with default.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def community(make_member, make_topic, add_replies, settings, tmp_path):
    """A small community: two members, a topic with replies, a reaction, an uploaded
    file in the media folder and a key in the data folder."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from townsquare.reactions.actions import react_to_post

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    (settings.DATA_DIR / "secret_key").write_text("the-site-key\n")
    ana, ben = make_member("ana"), make_member("ben")
    topic = make_topic(author=ana, title="The harbour reopens")
    replies = add_replies(topic, 3, authors=[ben, ana])
    react_to_post(member=ana, post=replies[0], kind="like")
    default_storage.save("uploads/2026/03/harbour.webp", ContentFile(b"RIFF-image-bytes"))
    return topic


@pytest.fixture
def backups(tmp_path):
    """An empty folder to write backups into."""
    folder = tmp_path / "backups"
    folder.mkdir()
    return folder
