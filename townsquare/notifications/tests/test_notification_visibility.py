"""Notifications about a post the member may no longer see (hidden since, or its category
made private) are missing: not listed, not opened, not a way to learn the post's address;
and following a topic or category they may not see answers as for one that does not exist."""

import pytest
from django.test import Client

from townsquare.forum.actions import post_reply
from townsquare.forum.models import Post, Topic
from townsquare.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def notified(make_member, make_topic):
    ada, bo = make_member("ada"), make_member("bo")
    topic = make_topic(author=ada, title="Tamarind news")
    reply = post_reply(author=bo, topic=topic, body="A reply.")
    notification = Notification.objects.get(recipient=ada, post=reply)
    client = Client()
    client.force_login(ada)
    return {"client": client, "topic": topic, "reply": reply, "notification": notification}


@pytest.mark.parametrize("hide", ["topic", "post"])
def test_a_notification_about_something_hidden_since_is_missing(notified, hide):
    client, notification = notified["client"], notified["notification"]
    assert "Tamarind news" in client.get("/notifications/").content.decode()
    if hide == "topic":
        Topic.objects.filter(pk=notified["topic"].pk).update(hidden=True)
    else:
        Post.objects.filter(pk=notified["reply"].pk).update(hidden=True)
    assert "Tamarind news" not in client.get("/notifications/").content.decode()
    opened = client.get(f"/notifications/{notification.pk}/")
    missing = client.get("/notifications/987654/")
    assert opened.status_code == missing.status_code == 404
    assert f"/p/{notified['reply'].pk}/" not in opened.get("Location", "")
    notification.refresh_from_db()
    assert notification.read is None


def test_following_a_topic_or_category_one_cannot_see_is_a_not_found_whatever_is_sent(
        make_member, make_category, make_topic):
    mod = make_member(role="moderator")
    room = make_category(read_role="moderator", start_role="moderator")
    topic = make_topic(author=mod, category=room)
    client = Client()
    client.force_login(make_member())
    for data in ({}, {"level": "shout", "follow": "maybe"}):
        for private, missing in [(f"/t/{topic.pk}/watch/", "/t/987654/watch/"),
                                 (f"/c/{room.pk}/follow/", "/c/987654/follow/")]:
            assert client.post(private, data).status_code == 404
            assert client.post(missing, data).status_code == 404


def test_the_bell_does_not_count_them_once_it_is_worked_out_again(notified):
    from townsquare.accounts.state import bell_changed
    from townsquare.notifications.queries import unread_count

    ada = notified["notification"].recipient
    assert unread_count(ada) == 1
    Topic.objects.filter(pk=notified["topic"].pk).update(hidden=True)
    bell_changed([ada])
    ada.refresh_from_db()
    assert unread_count(ada) == 0


def test_the_count_pushed_to_open_pages_leaves_them_out_too(notified):
    from townsquare.notifications.queries import fresh_unread_count

    ada = notified["notification"].recipient
    assert fresh_unread_count(ada.pk) == 1
    Post.objects.filter(pk=notified["reply"].pk).update(hidden=True)
    assert fresh_unread_count(ada.pk) == 0
    assert fresh_unread_count(987654) == 0
