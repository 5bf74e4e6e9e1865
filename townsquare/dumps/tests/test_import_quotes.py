"""An import resolves quotes by the rule new posts follow (forum.permissions.
can_attribute_quote), each post's author writing: no header for a quote of a post its author
or the quoting topic's readers may not see."""

import json
from copy import deepcopy
from datetime import timedelta

import pytest
from django.utils import timezone

from townsquare.dumps.importer import import_dump
from townsquare.forum.models import Post

pytestmark = pytest.mark.django_db


def test_an_import_attributes_only_quotes_its_authors_and_readers_may_see(write_dump):
    now = timezone.now()

    def at(minutes):
        return (now - timedelta(minutes=60 - minutes)).isoformat()

    users = [{"id": 1, "username": "priya", "email": "p@example.org", "role": "moderator",
              "date_joined": at(0)},
             {"id": 2, "username": "ana", "email": "a@example.org", "date_joined": at(0)}]
    categories = [{"id": 1, "title": "Room", "slug": "room", "read_role": "moderator"},
                  {"id": 2, "title": "Lounge", "slug": "lounge"}]
    topics = [{"id": 1, "category_id": 1, "user_id": 1, "title": "Who to ban",
               "created": at(1)},
              {"id": 2, "category_id": 2, "user_id": 2, "title": "Hello", "created": at(2)}]
    posts = [
        {"id": 1, "topic_id": 1, "user_id": 1, "created": at(1), "body": "The quiet plan."},
        {"id": 2, "topic_id": 2, "user_id": 2, "created": at(2), "body": "Hello."},
        # A member quoting the room in public; priya quoting it in public; priya in the room.
        {"id": 3, "topic_id": 2, "user_id": 2, "created": at(3), "quotes_post_id": 1,
         "body": ":::quote 1\nThe quiet plan.\n:::\n\nReally?"},
        {"id": 4, "topic_id": 2, "user_id": 1, "created": at(4), "quotes_post_id": 1,
         "body": ":::quote 1\nThe quiet plan.\n:::\n\nOops."},
        {"id": 5, "topic_id": 1, "user_id": 1, "created": at(5), "quotes_post_id": 1,
         "body": ":::quote 1\nThe quiet plan.\n:::\n\nYes."},
        {"id": 6, "topic_id": 2, "user_id": 2, "created": at(6), "quotes_post_id": 2,
         "body": ":::quote 2\nHello.\n:::\n\nHi!"},
    ]
    import_dump(write_dump(users=users, categories=categories, topics=topics, posts=posts))
    by_id = {p.pk: p for p in Post.objects.all()}
    for pk in (3, 4):
        assert "said:" not in by_id[pk].html and "priya" not in by_id[pk].html
        assert by_id[pk].quotes_post_id is None
    assert "priya said:" in by_id[5].html and by_id[5].quotes_post_id == 1
    assert "ana said:" in by_id[6].html and by_id[6].quotes_post_id == 2


def test_hidden_topics_and_deleted_posts_stay_so_through_export_and_import(
        write_dump, small_community, tmp_path):
    from townsquare.dumps.exporter import export_dump
    from townsquare.forum.models import Post, Topic

    community = deepcopy(small_community)
    community["topics"][0]["hidden"] = True
    community["posts"][1]["deleted"] = "2025-07-04T08:00:00Z"
    import_dump(write_dump(**community))
    topic = Topic.objects.get()
    deleted = Post.objects.get(position=2)
    assert topic.hidden and deleted.deleted is not None
    export_dump(tmp_path / "out")
    topics = [json.loads(line) for line in (tmp_path / "out" / "topics.jsonl").open()]
    posts = [json.loads(line) for line in (tmp_path / "out" / "posts.jsonl").open()]
    assert topics[0]["hidden"] is True
    assert [p.get("deleted") for p in posts] == [None, "2025-07-04T08:00:00Z"]
