import json

import pytest


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
