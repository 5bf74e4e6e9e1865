"""The bell on the event stream: a member's count reaches their personal stream and every
topic stream they have open, and nobody else's."""

import pytest

from townsquare.forum.actions import post_reply
from townsquare.live.stream import application
from townsquare.live.tests.streaming import events_in, kinds, run_stream

pytestmark = pytest.mark.django_db(transaction=True)


def cookie_for(client, member) -> str:
    client.force_login(member)
    return f"sessionid={client.cookies['sessionid'].value}"


def bells(text):
    return [data for _, kind, data in events_in(text) if kind == "bell"]


def test_the_personal_stream_is_for_members_only():
    status, _, body = run_stream(application, "/live/me/")
    assert status == 403 and body == "Sign in to get your notifications."


def test_a_reply_rings_the_followers_bell_on_their_personal_stream(make_member, make_topic,
                                                                   client):
    ada, bo = make_member("ada"), make_member("bo")
    topic = make_topic(author=ada)
    status, _, text = run_stream(
        application, "/live/me/", cookies=cookie_for(client, ada),
        during=lambda: post_reply(author=bo, topic=topic, body="Hello ada"),
        until=lambda events: "bell" in kinds(events))
    assert status == 200 and bells(text) == [{"unread": 1}]


def test_the_bell_reaches_a_topic_stream_of_the_member_only(make_member, make_topic, client):
    ada, bo, cy = make_member("ada"), make_member("bo"), make_member("cy")
    mine, elsewhere = make_topic(author=ada), make_topic(author=cy)

    def reply():
        post_reply(author=bo, topic=mine, body="For ada")

    # ada reads another topic: her bell still rings there.
    _, _, text = run_stream(application, f"/live/t/{elsewhere.pk}/",
                            cookies=cookie_for(client, ada), during=reply,
                            until=lambda events: "bell" in kinds(events))
    assert bells(text) == [{"unread": 1}]
    # cy reads the same topic and hears nothing of ada's bell.
    _, _, text = run_stream(application, f"/live/t/{elsewhere.pk}/",
                            cookies=cookie_for(client, cy), during=reply, seconds=1.5)
    assert bells(text) == []
