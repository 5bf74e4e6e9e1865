"""`townsquare export`: write the whole community in the forum dump format."""

import json
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS
from django.db.models import F

from townsquare.accounts.models import User
from townsquare.forum.models import Category, Post, Topic
from townsquare.reactions.models import Reaction

from .records import FORMAT, VERSION

CHUNK = 5000


def _time(moment):
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _users(using):
    fields = ("pk", "username", "email", "date_joined", "password", "is_staff", "role", "bio",
              "is_active")
    for pk, username, email, joined, password, staff, role, bio, active in \
            User.objects.using(using).order_by("pk").values_list(*fields).iterator(CHUNK):
        yield {"id": pk, "username": username, "email": email, "date_joined": _time(joined),
               "password_hash": password, "is_staff": staff, "role": role, "bio": bio,
               "is_active": active}


def _categories(using):
    for c in Category.objects.using(using).order_by("pk").values(
            "pk", "title", "slug", "description", "parent_id", "position", "start_role",
            "read_role"):
        yield {"id": c["pk"], "title": c["title"], "slug": c["slug"],
               "description": c["description"], "parent_id": c["parent_id"],
               "position": c["position"], "start_role": c["start_role"],
               "read_role": c["read_role"]}


def _topics(using):
    fields = ("pk", "category_id", "author_id", "title", "created", "pinned", "locked",
              "source_name", "source_url", "source_date", "views", "hidden")
    for (pk, category, author, title, created, pinned, locked, source_name, source_url,
         source_date, views, hidden) in \
            Topic.objects.using(using).order_by("pk").values_list(*fields).iterator(CHUNK):
        record = {"id": pk, "category_id": category, "user_id": author, "title": title,
                  "created": _time(created), "pinned": pinned, "locked": locked, "views": views}
        if hidden:
            record["hidden"] = True
        if source_name or source_url or source_date:
            record |= {"source_name": source_name, "source_url": source_url,
                       "source_date": source_date.isoformat() if source_date else None}
        yield record


def _posts(using):
    fields = ("pk", "topic_id", "author_id", "created", "body", "quotes_post_id", "edited",
              "hidden", "deleted")
    for pk, topic, author, created, body, quotes, edited, hidden, deleted in \
            Post.objects.using(using).order_by("pk").values_list(*fields).iterator(CHUNK):
        record = {"id": pk, "topic_id": topic, "user_id": author, "created": _time(created),
                  "body": body}
        if quotes:
            record["quotes_post_id"] = quotes
        if edited:
            record["edited"] = _time(edited)
        if hidden:
            record["hidden"] = True
        if deleted:
            record["deleted"] = _time(deleted)
        yield record


def _reactions(using):
    rows = Reaction.objects.using(using).order_by(F("post_id"), "pk").values_list(
        "post_id", "user_id", "kind", "created")
    for post, user, kind, created in rows.iterator(CHUNK):
        yield {"post_id": post, "user_id": user, "kind": kind, "created": _time(created)}


SOURCES = {"users.jsonl": _users, "categories.jsonl": _categories, "topics.jsonl": _topics,
           "posts.jsonl": _posts, "reactions.jsonl": _reactions}


def export_dump(folder: Path, progress=None, site: str = "",
                using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Write every file of the dump; run it inside `read_snapshot(using)` (the export
    command does) so that all files show the same moment."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, source in SOURCES.items():
        if progress:
            progress.file_started(name, 0)
        count = 0
        with (folder / name).open("w", encoding="utf-8") as out:
            for record in source(using):
                out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
                out.write("\n")
                count += 1
                if progress and count % CHUNK == 0:
                    progress.advance(CHUNK)
        counts[name.removesuffix(".jsonl")] = count
        if progress:
            progress.file_done(name, count)
    meta = {"format": FORMAT, "version": VERSION, "site": site, "counts": counts}
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return counts
