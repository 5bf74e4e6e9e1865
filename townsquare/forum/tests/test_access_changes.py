"""Moving and hiding topics, and a category's read rule: who may make the change, what it
writes, and the "access" event each publishes for open streams once it commits."""

import pytest
from django.db import transaction

from townsquare.core.errors import Forbidden, Invalid, NotFound
from townsquare.forum.actions_access import move_topic, set_category_read_role, set_topic_hidden
from townsquare.forum.models import Category, Topic
from townsquare.live.events import event_log

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published():
    start = event_log().latest()
    return lambda: [(e.topic_id, e.kind, e.audience, e.data) for e in event_log().read_after(start)
                    if e.kind == "access"]


def test_moving_a_topic_carries_its_counts_and_tells_the_streams_after_the_commit(
        make_member, make_topic, make_category, add_replies, published):
    mo = make_member("mo", role="moderator")
    news, room = make_category("News"), make_category("Room", read_role="moderator")
    topic = make_topic(category=news)
    add_replies(topic, 2, authors=[mo])
    with transaction.atomic():
        move_topic(by=mo, topic=topic, category=room)
        assert published() == []
    assert published() == [(topic.pk, "access", "hub", {
        "topic": topic.pk, "category": room.pk, "read_role": "moderator", "hidden": False})]
    news.refresh_from_db()
    room.refresh_from_db()
    assert (news.topic_count, news.post_count) == (0, 0)
    assert (room.topic_count, room.post_count) == (1, 3)
    assert Topic.objects.get(pk=topic.pk).category_id == room.pk


def test_hiding_and_showing_a_topic_tell_the_streams(make_member, make_topic, published):
    mo = make_member("mo", role="moderator")
    topic = make_topic()
    set_topic_hidden(by=mo, topic=topic, hidden=True)
    set_topic_hidden(by=mo, topic=topic, hidden=True)  # already hidden: nothing to tell
    set_topic_hidden(by=mo, topic=topic, hidden=False)
    assert [data["hidden"] for *_, data in published()] == [True, False]
    assert not Topic.objects.get(pk=topic.pk).hidden


def test_a_categorys_read_rule_tells_the_streams_of_its_topics(make_member, make_category,
                                                               make_topic, published):
    admin = make_member("root", role="admin")
    news = make_category("News")
    version = make_topic(category=news).version
    set_category_read_role(by=admin, category=news, read_role="editor")
    assert published() == [(0, "access", "hub", {"category": news.pk, "read_role": "editor"})]
    assert Category.objects.get(pk=news.pk).read_role == "editor"
    assert Topic.objects.get(category=news).version > version


def test_only_moderators_move_or_hide_topics_and_only_administrators_set_read_rules(
        make_member, make_topic, make_category, published):
    bo, mo = make_member("bo"), make_member("mo", role="moderator")
    topic = make_topic()
    room = make_category("Admins", read_role="admin")
    with pytest.raises(Forbidden):
        move_topic(by=bo, topic=topic, category=make_category())
    with pytest.raises(Forbidden):
        set_topic_hidden(by=bo, topic=topic, hidden=True)
    with pytest.raises(NotFound):  # a moderator can't move a topic where they can't read
        move_topic(by=mo, topic=topic, category=room)
    with pytest.raises(Forbidden):
        set_category_read_role(by=mo, category=room, read_role="")
    with pytest.raises(Invalid):
        set_category_read_role(by=make_member(role="admin"), category=room, read_role="king")
    assert published() == []
    assert Topic.objects.get(pk=topic.pk).category_id == topic.category_id


def test_the_admin_moves_a_topic_through_the_action(client, make_member, make_topic,
                                                    make_category):
    from townsquare.live.tests.admin_forms import admin_save

    client.force_login(make_member("boss", role="admin", is_staff=True, is_superuser=True))
    topic, room = make_topic(), make_category("Room", read_role="moderator")
    admin_save(client, topic, category=room, title="Moved and renamed")
    topic.refresh_from_db()
    room.refresh_from_db()
    assert (topic.category_id, topic.title) == (room.pk, "Moved and renamed")
    assert (room.topic_count, room.post_count) == (1, 1)
