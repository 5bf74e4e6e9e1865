"""An open stream follows its reader's access as it is now: a topic moved into a private
category, a category's read rule raised, a member's role lowered or their account
deactivated, a topic hidden. The reader who lost access is sent nothing more (posts,
reactions, "is replying", Recently Browsing) and their stream ends with `refresh`; a reader
who still may read keeps receiving. The changes are made where they are made today, in the
admin, which calls the actions that tell the stream processes."""

import time

import pytest
from django.db import OperationalError
from django.test import Client

from townsquare.forum.actions import post_reply
from townsquare.live.events import publish
from townsquare.live.stream import application
from townsquare.live.tests.admin_forms import admin_save
from townsquare.live.tests.streaming import events_in, kinds, run_streams
from townsquare.reactions.actions import react_to_post

pytestmark = pytest.mark.django_db(transaction=True)

AFTER = "<p>Recently browsing after the change</p>"
LATER = {"post_added", "post_changed", "reactions", "typing"}


@pytest.fixture(params=["database", "redis"])
def log(request, settings):
    """Each case runs with the event log in the database and in Redis."""
    if request.param == "redis":
        request.getfixturevalue("live_redis")
    else:
        settings.REDIS_URL = ""
    return request.param


@pytest.fixture
def staff(make_member):
    client = Client()
    client.force_login(make_member("boss", role="admin", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def crew(make_member):
    """Who writes and reacts after each change: they may read everything."""
    return make_member("ada", role="admin"), make_member("cy", role="admin")


def cookie(member) -> str:
    if member is None:
        return ""
    client = Client()
    client.force_login(member)
    return f"sessionid={client.cookies['sessionid'].value}"


def settled(write):
    """`write()`, tried again while the test database says a table is locked: the tests'
    SQLite database is in memory with a shared cache, where a reader in another thread (the
    hub reading who may still read) locks a table without waiting, as a file in WAL mode (the
    site's) never does. Each try is one transaction, so a refused one left nothing behind."""
    for _ in range(100):
        try:
            return write()
        except OperationalError as error:
            if "is locked" not in str(error):
                raise
            time.sleep(0.05)
    return write()


def watch(topic, change, crew, *, losing, keeping, personal=()):
    """Streams of the topic for `losing` and `keeping` (members; None is a guest) and the
    personal streams of `personal`, open while `change()` is made and the topic then gets a
    reply, a reaction, "is replying" and a Recently Browsing box. What each lost and each
    kept stream received: two lists of event lists."""
    ada, cy = crew
    path = f"/live/t/{topic.pk}/"
    readers = ([{"path": path, "cookies": cookie(m)} for m in losing]
               + [{"path": "/live/me/", "cookies": cookie(m)} for m in personal]
               + [{"path": path, "cookies": cookie(m)} for m in keeping])
    lost = len(losing) + len(personal)

    def during():
        settled(change)
        reply = settled(lambda: post_reply(author=ada, topic=topic,
                                           body="Written after the change"))
        settled(lambda: react_to_post(member=cy, post=reply, kind="haha"))
        publish(topic.pk, "typing", {"username": "cy", "member": cy.pk})
        publish(topic.pk, "presence", {"html": AFTER})

    def done(found):
        return (all("refresh" in kinds(events) for events in found[:lost])
                and all(any(d.get("html") == AFTER for _, _, d in events)
                        for events in found[lost:]))

    results = run_streams(application, readers, during=during, until=done, seconds=8)
    assert all(status == 200 for status, _, _ in results)
    found = [events_in(text) for _, _, text in results]
    return found[:lost], found[lost:]


def assert_ended_without_news(events):
    assert kinds(events)[-1] == "refresh"
    assert not LATER & set(kinds(events))
    assert all(d.get("html") != AFTER for _, _, d in events)


def assert_kept_receiving(events):
    assert {"post_added", "reactions", "typing"} <= set(kinds(events))
    assert any(d.get("html") == AFTER for _, _, d in events)
    assert "refresh" not in kinds(events)
    (_, _, added), = [e for e in events if e[1] == "post_added"]
    assert "Written after the change" in added["html"]


def test_a_topic_moved_into_a_private_category_ends_the_streams_of_who_may_not_read_there(
        log, staff, crew, make_topic, make_category, make_member):
    topic = make_topic(author=crew[0])
    room = make_category("Moderators' room", read_role="moderator")
    bo, mo = make_member("bo"), make_member("mo", role="moderator")
    lost, kept = watch(topic, lambda: admin_save(staff, topic, category=room), crew,
                       losing=[None, bo], keeping=[mo])
    for events in lost:
        assert_ended_without_news(events)
    assert_kept_receiving(kept[0])


def test_a_categorys_read_rule_raised_ends_the_streams_of_who_may_no_longer_read(
        log, staff, crew, make_topic, make_category, make_member):
    news = make_category("News")
    topic = make_topic(author=crew[0], category=news)
    ed, mo = make_member("ed", role="editor"), make_member("mo", role="moderator")
    lost, kept = watch(topic, lambda: admin_save(staff, news, read_role="moderator"), crew,
                       losing=[None, ed], keeping=[mo])
    for events in lost:
        assert_ended_without_news(events)
    assert_kept_receiving(kept[0])


def test_a_member_whose_role_is_lowered_loses_the_streams_they_may_no_longer_read(
        log, staff, crew, make_topic, make_category, make_member):
    room = make_category("Moderators' room", read_role="moderator")
    topic = make_topic(author=crew[0], category=room)
    mo, other = make_member("mo", role="moderator"), make_member("other", role="moderator")
    lost, kept = watch(topic, lambda: admin_save(staff, mo, role="member"), crew,
                       losing=[mo], keeping=[other])
    assert_ended_without_news(lost[0])
    assert_kept_receiving(kept[0])


def test_a_deactivated_member_loses_every_stream_at_once(log, staff, crew, make_topic,
                                                         make_category, make_member):
    lounge = make_category("Members' lounge", read_role="member")
    topic = make_topic(author=crew[0], category=lounge)
    bo, other = make_member("bo"), make_member("other")
    lost, kept = watch(topic, lambda: admin_save(staff, bo, is_active=False), crew,
                       losing=[bo], personal=[bo], keeping=[other])
    for events in lost:
        assert_ended_without_news(events)
    assert_kept_receiving(kept[0])


def test_a_hidden_topic_ends_its_readers_streams_at_once_but_not_the_moderators(
        log, staff, crew, make_topic, make_member):
    topic = make_topic(author=crew[0])
    bo, mo = make_member("bo"), make_member("mo", role="moderator")
    lost, kept = watch(topic, lambda: admin_save(staff, topic, hidden=True), crew,
                       losing=[None, bo], keeping=[mo])
    for events in lost:
        assert_ended_without_news(events)
    assert_kept_receiving(kept[0])


def test_a_member_whose_role_is_raised_gets_the_moderators_events_at_once(
        staff, crew, make_topic, make_member):
    topic = make_topic(author=crew[0])
    bo = make_member("bo")

    def promote():
        admin_save(staff, bo, role="moderator")
        publish(topic.pk, "reactions", {"post": 1, "html": "for moderators"},
                audience="moderators")

    (events,) = run_streams(application, [{"path": f"/live/t/{topic.pk}/",
                                           "cookies": cookie(bo)}], during=promote,
                            until=lambda found: "reactions" in kinds(found[0]), seconds=5)[0:1]
    assert "for moderators" in events[2]


@pytest.mark.parametrize("change", ["category's read rule", "member's role"])
def test_the_upkeep_ends_streams_whose_access_changed_without_an_event(
        change, settings, make_topic, make_category, make_member):
    """The safety net: rows changed behind the stream process's back (no access event) are
    noticed within LIVE_PRESENCE_SECONDS."""
    from townsquare.accounts.models import User
    from townsquare.forum.models import Category

    settings.LIVE_PRESENCE_SECONDS = 0.2
    room = make_category("Room", read_role="moderator")
    mo = make_member("mo", role="moderator")
    topic = make_topic(author=mo, category=room)
    other = make_member("other", role="admin")

    def behind_its_back():
        if change == "member's role":
            User.objects.filter(pk=mo.pk).update(role="member")
        else:
            Category.objects.filter(pk=room.pk).update(read_role="admin")
        time.sleep(1)  # a few rounds of upkeep
        publish(topic.pk, "typing", {"username": "someone", "member": -1})

    path = f"/live/t/{topic.pk}/"
    results = run_streams(application, [{"path": path, "cookies": cookie(mo)},
                                        {"path": path, "cookies": cookie(other)}],
                          during=behind_its_back, seconds=4,
                          until=lambda found: "typing" in kinds(found[1]))
    lost, kept = (events_in(text) for _, _, text in results)
    assert kinds(lost)[-1] == "refresh" and "typing" not in kinds(lost)
    assert "typing" in kinds(kept) and "refresh" not in kinds(kept)


def test_access_events_are_never_sent_to_a_reader_nor_replayed(staff, crew, make_topic,
                                                               make_member, published):
    topic = make_topic(author=crew[0])
    bo = make_member("bo")
    admin_save(staff, topic, locked=True)  # changes nothing of who may read
    post_reply(author=crew[0], topic=topic, body="Before")
    seen = published()[-1].id
    admin_save(staff, topic, hidden=True)
    admin_save(staff, topic, hidden=False)
    admin_save(staff, bo, role="editor")
    assert [e.kind for e in published()].count("access") == 3
    (status, _, text), = run_streams(application, [{
        "path": f"/live/t/{topic.pk}/", "cookies": cookie(bo), "last_id": seen}], seconds=0.5)
    assert status == 200 and "access" not in kinds(events_in(text))


def test_a_fresh_read_overtaken_by_a_newer_change_gives_no_access_back(make_topic,
                                                                      monkeypatch):
    import asyncio

    from townsquare.live.hub import Connection, hub
    from townsquare.pages import stream as access

    topic = make_topic()
    public = access.topic_access(topic.category_id, "", False)

    def slow_read(topic_ids, member_ids):
        time.sleep(0.3)  # meanwhile the topic is moved into a private category
        return {topic.pk: access.topic_access(topic.category_id, "", False)}, {}

    async def check():
        conn = Connection(topic.pk, None, False, public)
        hub.join(conn)
        monkeypatch.setattr(access, "current_access", slow_read)
        reading = asyncio.create_task(hub.reload_access([topic.pk], []))
        await asyncio.sleep(0.05)
        hub.access_changed(topic.pk, {"topic": topic.pk, "category": 99,
                                      "read_role": "moderator", "hidden": False})
        await reading
        # A guest who was let in on a read from before the move is refused too.
        late = Connection(topic.pk, None, False, public)
        hub.join(late)
        hub.leave(conn)
        hub.leave(late)
        return conn.revoked, late.revoked

    assert asyncio.run(check()) == (True, True)
