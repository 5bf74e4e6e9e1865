import json

import pytest
from django.core.management import CommandError, call_command

from townsquare.accounts.models import User
from townsquare.dumps.exporter import export_dump
from townsquare.dumps.importer import import_dump
from townsquare.dumps.records import DumpError
from townsquare.forum.models import Category, Post, Topic
from townsquare.reactions.models import Reaction

pytestmark = pytest.mark.django_db


def test_a_valid_dump_comes_in_with_counters_positions_and_rendered_bodies(write_dump,
                                                                           small_community):
    summary = import_dump(write_dump(**small_community))
    assert summary.counts == {"users": 2, "categories": 1, "topics": 1, "reactions": 3,
                              "posts": 2}
    topic = Topic.objects.get()
    assert (topic.pk, topic.post_count, topic.last_poster.username) == (100, 2, "ana")
    assert topic.source_name == "The Courier" and str(topic.source_date) == "2025-07-03"
    assert topic.pinned and topic.slug == "marsh-news"
    opening, reply = Post.objects.order_by("position")
    assert (opening.position, reply.position) == (1, 2)
    assert "<strong>marsh</strong>" in opening.html
    assert reply.quotes_post == opening and "desk said:" in reply.html
    assert opening.reaction_counts == {"love": 1}
    assert reply.reaction_counts == {"haha": 1}  # a repeated pair keeps the last
    category = Category.objects.get()
    assert (category.topic_count, category.post_count) == (1, 2)
    assert User.objects.get(username="ana").post_count == 1
    assert User.objects.get(username="desk").password.startswith("argon2")
    assert User.objects.get(username="desk").check_password("pw-desk-1")


def test_a_dump_imported_into_a_forum_with_content_gets_new_ids_and_keeps_its_links(
        write_dump, small_community, make_topic):
    make_topic()  # takes topic, post and user ids that the dump also uses
    Post.objects.update(id=1000)
    import_dump(write_dump(**small_community))
    reply = Post.objects.get(author__username="ana")
    opening = reply.quotes_post
    assert opening.author.username == "desk"
    assert f":::quote {opening.pk}\n" in reply.body
    assert f'href="/p/{opening.pk}/"' in reply.html
    assert Reaction.objects.get(post=opening).user.username == "ana"


def test_export_then_import_gives_back_the_same_community(write_dump, small_community,
                                                          tmp_path):
    import_dump(write_dump(**small_community))
    export_dump(tmp_path / "first")
    for model in (Reaction, Post, Topic, Category, User):
        model.objects.all().delete()
    import_dump(tmp_path / "first")
    export_dump(tmp_path / "second")
    for name in ("users", "categories", "topics", "posts", "reactions"):
        first = (tmp_path / "first" / f"{name}.jsonl").read_text()
        assert first == (tmp_path / "second" / f"{name}.jsonl").read_text(), name
        assert first.strip()
    meta = json.loads((tmp_path / "second" / "meta.json").read_text())
    assert meta["format"] == "forum-dump" and meta["version"] == 1
    assert meta["counts"]["posts"] == 2


def test_the_demo_community_round_trips(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo")
    export_dump(tmp_path / "a")
    before = {t.pk: (t.post_count, t.last_activity, t.last_poster_id)
              for t in Topic.objects.all()}
    html_before = dict(Post.objects.values_list("pk", "html"))
    # The news desk's queue is not part of the dump format: it goes first.
    from townsquare.newsdesk.models import Source, Story

    for model in (Story, Source, Reaction, Post, Topic, Category, User):
        model.objects.all().delete()
    import_dump(tmp_path / "a")
    export_dump(tmp_path / "b")
    for name in ("users", "categories", "topics", "posts", "reactions"):
        assert (tmp_path / "a" / f"{name}.jsonl").read_text() == \
            (tmp_path / "b" / f"{name}.jsonl").read_text()
    assert before == {t.pk: (t.post_count, t.last_activity, t.last_poster_id)
                      for t in Topic.objects.all()}
    assert html_before == dict(Post.objects.values_list("pk", "html"))
    # Who may read and start topics where comes back too: a private room stays private.
    room = Category.objects.get(slug="moderators-room")
    assert (room.read_role, room.start_role) == ("moderator", "moderator")


def break_record(community, file, index, **changes):
    rows = [dict(r) for r in community[file]]
    rows[index].update(changes)
    for key in [k for k, v in changes.items() if v is Ellipsis]:
        del rows[index][key]
    return {**community, file: rows}


BAD = [
    ("posts", 1, {"topic_id": 999}, "posts.jsonl:2: topic_id 999 does not match any topic"),
    ("posts", 1, {"user_id": 77}, "posts.jsonl:2: user_id 77 does not match any user"),
    ("posts", 1, {"body": ...}, "posts.jsonl:2: missing required field 'body'"),
    ("posts", 1, {"created": "yesterday"}, "posts.jsonl:2: 'created' is not an ISO 8601 time"),
    ("posts", 1, {"created": "2025-07-03T09:00:00"}, "posts.jsonl:2: 'created' has no time zone"),
    ("posts", 1, {"id": 1000}, "posts.jsonl:2: duplicate post id 1000"),
    ("posts", 1, {"quotes_post_id": 5555}, "posts.jsonl:2: quotes_post_id 5555 does not match"),
    ("posts", 1, {"body": "x" * 50_001}, "posts.jsonl:2: 'body' is 50,001 characters long"),
    ("reactions", 0, {"kind": "angry"}, "reactions.jsonl:1: kind 'angry' is not one of"),
    ("reactions", 2, {"post_id": 4242}, "reactions.jsonl:3: post_id 4242 does not match any"),
    ("users", 1, {"username": "DESK"}, "users.jsonl:2: username 'DESK' is already taken"),
    ("users", 1, {"username": "desk@example.org"},
     "users.jsonl:2: username 'desk@example.org' has an @, and usernames must not look like"),
    ("users", 1, {"email": "DESK@example.org"}, "users.jsonl:2: email 'DESK@example.org' is"),
    ("users", 1, {"role": "overlord"}, "users.jsonl:2: role 'overlord' is not one of"),
    ("categories", 0, {"read_role": "everyone"},
     "categories.jsonl:1: read_role 'everyone' is not one of"),
    ("categories", 0, {"start_role": 3}, "categories.jsonl:1: 'start_role' must be a string"),
    ("users", 0, {"password_hash": "plain-text"}, "users.jsonl:1: 'password_hash' is not in"),
    ("topics", 0, {"category_id": 6}, "topics.jsonl:1: category_id 6 does not match any"),
    ("topics", 0, {"title": ...}, "topics.jsonl:1: missing required field 'title'"),
    ("topics", 0, {"source_url": "javascript:alert(1)"}, "topics.jsonl:1: 'source_url' is not"),
    ("categories", 0, {"slug": ...}, "categories.jsonl:1: missing required field 'slug'"),
]


@pytest.mark.parametrize(("file", "index", "changes", "message"), BAD,
                         ids=[b[3].split(":")[0] + ":" + b[3].split(": ")[1][:30] for b in BAD])
def test_a_bad_record_is_reported_by_file_and_line_and_nothing_is_written(
        write_dump, small_community, file, index, changes, message):
    with pytest.raises(DumpError) as caught:
        import_dump(write_dump(**break_record(small_community, file, index, **changes)))
    assert caught.value.problems[0].startswith(message), caught.value.problems
    assert not User.objects.exists() and not Post.objects.exists()
    assert not Topic.objects.exists() and not Reaction.objects.exists()


def test_broken_json_and_a_truncated_file_are_reported_by_line(write_dump, small_community):
    broken = {**small_community, "topics": ['{"id": 100, "category_id": 5,']}
    with pytest.raises(DumpError, match=r"topics.jsonl:1: broken JSON"):
        import_dump(write_dump(**broken))
    folder = write_dump(**small_community, folder="truncated")
    text = (folder / "posts.jsonl").read_text()
    (folder / "posts.jsonl").write_text(text[: text.rindex("Good")])
    with pytest.raises(DumpError, match=r"posts.jsonl:2: broken JSON \(the file looks truncated"):
        import_dump(folder)
    assert not Post.objects.exists()


def test_a_topic_without_posts_is_refused(write_dump, small_community):
    lonely = {**small_community, "topics": small_community["topics"] + [
        {"id": 101, "category_id": 5, "user_id": 10, "title": "Empty", "created":
         "2025-07-03T09:00:00Z"}]}
    with pytest.raises(DumpError, match="topics.jsonl:2: topic 'Empty' has no posts"):
        import_dump(write_dump(**lonely))


@pytest.mark.parametrize("meta", [{"format": "other", "version": 1},
                                  {"format": "forum-dump", "version": 2}])
def test_a_folder_that_is_not_a_version_1_dump_is_refused(write_dump, small_community, meta):
    with pytest.raises(DumpError, match="meta.json"):
        import_dump(write_dump(**small_community, meta=meta))


def test_running_the_import_again_after_a_fix_works(write_dump, small_community):
    bad = break_record(small_community, "reactions", 0, kind="angry")
    with pytest.raises(DumpError):
        import_dump(write_dump(**bad))
    import_dump(write_dump(**small_community))
    assert Post.objects.count() == 2


def test_the_import_command_prints_errors_and_a_summary(write_dump, small_community, capsys):
    bad = break_record(small_community, "posts", 1, topic_id=999)
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import", str(write_dump(**bad)))
    assert "posts.jsonl:2: topic_id 999 does not match any topic" in capsys.readouterr().err
    call_command("import", str(write_dump(**small_community, folder="good")))
    out = capsys.readouterr().out
    assert "Imported" in out and "posts" in out


def test_imported_pages_show_the_seed_elements(client, write_dump, small_community):
    import_dump(write_dump(**small_community))
    html = client.get(Topic.objects.get().get_absolute_url()).content.decode()
    assert "Adapted by Townsquare from" in html and "desk said:" in html
    assert "Love It 1" in html and "Haha 1" in html


def test_a_large_import_renders_in_worker_processes_with_the_same_result(
        write_dump, small_community, monkeypatch):
    from townsquare.dumps import importer

    import_dump(write_dump(**small_community, folder="inline"))
    inline = list(Post.objects.order_by("pk").values_list("html", flat=True))
    for model in (Reaction, Post, Topic, Category, User):
        model.objects.all().delete()
    monkeypatch.setattr(importer, "PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(importer, "BATCH", 1)
    monkeypatch.setattr(importer.os, "cpu_count", lambda: 2)
    used = []
    original = importer.Renderer.__init__

    def spy(self, parallel):
        original(self, parallel)
        used.append(self.pool is not None)

    monkeypatch.setattr(importer.Renderer, "__init__", spy)
    import_dump(write_dump(**small_community, folder="pooled"))
    assert used == [True]
    assert list(Post.objects.order_by("pk").values_list("html", flat=True)) == inline


@pytest.mark.parametrize("moment", [
    "2026-11-24T08:15:00+00:00", "2026-11-24T08:15:00.123456+02:00", "1999-12-31T23:59:59-11:30"])
def test_import_stores_times_exactly_as_the_orm_would(moment):
    from datetime import datetime

    from django.db import connection

    from townsquare.dumps.rows import RowWriter
    from townsquare.forum.models import Post

    value = datetime.fromisoformat(moment)
    convert = RowWriter(Post, ["created"]).converters[0]
    assert convert(value) == connection.ops.adapt_datetimefield_value(value)


def test_an_import_leaves_the_collector_and_the_page_cache_as_they_were(write_dump,
                                                                         small_community):
    import gc

    from django.db import connection

    def cache_size():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size" if connection.vendor == "sqlite" else "SELECT 1")
            return cursor.fetchone()[0]

    before = cache_size()
    import_dump(write_dump(**small_community))
    assert gc.isenabled() and cache_size() == before
    broken = {**small_community, "topics": ['{"id": 100, "category_id": 5,']}
    with pytest.raises(DumpError):  # failing half way through
        import_dump(write_dump(**broken, folder="broken"))
    assert gc.isenabled() and cache_size() == before
