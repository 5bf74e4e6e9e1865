"""Live events: published after commit, what each write publishes, the database and Redis
logs (resume cursors, bogus cursors, pruning)."""

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from townsquare.forum.actions import delete_post, edit_post, post_reply, restore_post
from townsquare.live.actions import prune_events
from townsquare.live.events import DatabaseLog, publish
from townsquare.live.models import Event
from townsquare.reactions.actions import react_to_post

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_event_is_published_only_after_its_write_commits(make_member, make_topic,
                                                             published):
    topic = make_topic()
    with transaction.atomic():
        post_reply(author=make_member(), topic=topic, body="Not yet")
        assert published() == []
    # The topic's readers get the post; its author (following their topic) their bell.
    assert [(e.topic_id, e.kind, e.audience) for e in published()] == [
        (0, "bell", f"member:{topic.author_id}"), (topic.pk, "post_added", "public")]


def test_a_rolled_back_write_publishes_nothing(make_member, make_topic, published):
    topic = make_topic()
    with pytest.raises(RuntimeError), transaction.atomic():
        post_reply(author=make_member(), topic=topic, body="Never happened")
        publish(topic.pk, "typing", {"username": "ada"})
        raise RuntimeError("rolled back")
    assert published() == []


def test_a_log_that_refuses_the_event_never_fails_the_write(make_member, make_topic,
                                                            monkeypatch, published):
    from townsquare.live import events

    class Down:
        def append(self, *args):
            raise ConnectionError("the log is down")

    monkeypatch.setattr(events, "event_log", lambda: Down())
    reply = post_reply(author=make_member(), topic=make_topic(), body="Still posted")
    assert reply.pk


def test_writes_publish_what_readers_need(make_member, make_topic, published):
    topic = make_topic()
    ada, bo = make_member(), make_member()
    reply = post_reply(author=ada, topic=topic, body="Fresh *news*")
    react_to_post(member=bo, post=reply, kind="haha")
    edit_post(editor=ada, post=reply, body="Fresh news, corrected")
    delete_post(member=ada, post=reply)
    restore_post(member=ada, post=reply)
    everything = published()
    bells = [(e.audience, e.data) for e in everything if e.kind == "bell"]
    assert bells == [(f"member:{topic.author_id}", {"unread": 1}),
                     (f"member:{ada.pk}", {"unread": 1})]
    events = [e for e in everything if e.topic_id == topic.pk]
    assert [e.kind for e in events] == ["post_added", "reactions", "post_changed",
                                        "post_changed", "post_changed"]
    assert {e.audience for e in events} == {"public"}
    added = events[0].data
    assert (added["post"], added["page"], added["author"]) == (reply.pk, 1, ada.pk)
    assert "<em>news</em>" in added["entry"]["inner"]
    assert added["topic"] == {"hidden": False, "locked": False, "read_role": "", "post_count": 2}
    assert "Haha 1" in events[1].data["html"]
    assert "corrected" in events[2].data["entry"]["inner"]
    deleted = events[3].data["entry"]
    assert deleted["deleted"] and "This post was deleted." in deleted["inner"]
    assert "Fresh news" not in deleted["inner"]
    assert "corrected" in events[4].data["entry"]["inner"]


def test_events_of_a_hidden_topic_are_for_moderators(make_member, make_topic, published):
    moderator = make_member(role="moderator")
    topic = make_topic()
    topic.hidden = True
    topic.save()
    post_reply(author=moderator, topic=topic, body="Behind closed doors")
    assert [(e.kind, e.audience) for e in published()] == [("post_added", "moderators")]


def test_the_database_log_resumes_a_topic_and_refuses_bogus_or_lost_cursors(make_topic):
    one, two = make_topic(), make_topic()
    log = DatabaseLog()
    first = log.append(one.pk, "post_added", "public", {"n": 1})
    log.append(two.pk, "post_added", "public", {"n": 2})
    log.append(one.pk, "typing", "public", {})
    third = log.append(one.pk, "post_changed", "public", {"n": 3})
    assert [e.id for e in log.since(one.pk, first, limit=10)] == [third]
    assert log.since(one.pk, third, limit=10) == []
    for bogus in ("", "abc", "-1", "99999999", "1; DROP TABLE live_event", "1" * 40):
        assert log.since(one.pk, bogus, limit=10) is None
    Event.objects.filter(pk=int(first)).delete()  # pruned: the cursor is now too old
    assert log.since(one.pk, str(int(first) - 1), limit=10) is None


def test_more_missed_events_than_a_replay_holds_ask_for_a_reload(make_topic):
    topic = make_topic()
    log = DatabaseLog()
    start = log.append(topic.pk, "post_added", "public", {})
    for _ in range(4):
        log.append(topic.pk, "post_changed", "public", {})
    assert len(log.since(topic.pk, start, limit=4)) == 4
    assert log.since(topic.pk, start, limit=3) is None


def test_old_events_are_pruned_and_the_table_stays_bounded(make_topic, settings):
    settings.REDIS_URL = ""  # the database log, whatever this run's environment says
    topic = make_topic()
    log = DatabaseLog()
    ids = [int(log.append(topic.pk, "post_changed", "public", {"n": n})) for n in range(6)]
    Event.objects.filter(pk=ids[0]).update(created=timezone.now() - timedelta(hours=2))
    settings.LIVE_LOG_LENGTH = 3
    assert prune_events() == 3
    assert list(Event.objects.values_list("pk", flat=True).order_by("pk")) == ids[3:]
    assert prune_events() == 0


def test_the_worker_prunes_the_log_once_its_oldest_event_has_outlived_the_keep(
        make_topic, settings):
    from django.core.management import call_command

    settings.REDIS_URL = ""  # the database log, whatever this run's environment says
    topic = make_topic()
    log = DatabaseLog()
    old, new = (int(log.append(topic.pk, "post_changed", "public", {})) for _ in range(2))
    due_after = settings.LIVE_EVENT_KEEP_SECONDS + (
        settings.LIVE_PRUNE_EVERY * settings.LIVE_PRESENCE_SECONDS)
    Event.objects.filter(pk=old).update(created=timezone.now() - timedelta(seconds=due_after - 60))
    call_command("worker", "--once", verbosity=0)  # expired, but a stream may yet prune it
    assert list(Event.objects.values_list("pk", flat=True).order_by("pk")) == [old, new]
    Event.objects.filter(pk=old).update(created=timezone.now() - timedelta(seconds=due_after + 60))
    call_command("worker", "--once", verbosity=0)
    assert list(Event.objects.values_list("pk", flat=True)) == [new]


def test_the_redis_log_appends_reads_and_resumes_in_order(live_redis):
    log, _ = live_redis
    first = log.append(7, "post_added", "public", {"n": 1})
    log.append(8, "post_added", "public", {"n": 2})
    log.append(7, "typing", "public", {})
    fourth = log.append(7, "reactions", "moderators", {"n": 3})
    events = log.read_after("0-0")
    assert [(e.topic_id, e.kind, e.audience) for e in events] == [
        (7, "post_added", "public"), (8, "post_added", "public"), (7, "typing", "public"),
        (7, "reactions", "moderators")]
    assert log.read_after(fourth) == []
    assert [e.id for e in log.since(7, first, limit=10)] == [fourth]
    for bogus in ("bogus", "", "1-0", "99999999999999-0", "1-2-3"):
        assert log.since(7, bogus, limit=10) is None


def test_the_redis_log_waits_for_the_next_event_and_drops_old_ones(live_redis, settings):
    log, _ = live_redis
    started = time.monotonic()
    assert log.read_after(log.latest(), 10, 300) == []
    assert time.monotonic() - started >= 0.25
    log.redis.xadd(log.key, {"topic": 1, "kind": "typing", "audience": "public",
                             "data": "{}"}, id="1000-0")
    kept = log.append(1, "post_added", "public", {})
    assert log.prune(timedelta(hours=1), keep=100) == 1
    assert [e.id for e in log.read_after("0-0")] == [kept]
