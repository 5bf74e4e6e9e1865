"""Live events across a Redis outage: what Redis does not take is kept in the database and
still reaches open pages, in order; the stream says "resumed" only when nothing was lost, and
retries at least every second."""

import asyncio
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.test import Client
from django.utils import timezone

from townsquare.forum.actions import post_reply
from townsquare.live import events
from townsquare.live.actions import prune_events
from townsquare.live.hub import Connection, hub
from townsquare.live.models import Event
from townsquare.live.stream import application
from townsquare.live.tests.streaming import events_in, kinds, run_stream
from townsquare.live.tests.test_access import settled

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def proxied(settings, redis_proxy):
    """The live event log and presence on a proxy of a real Redis, under keys of their own."""
    prefix = f"townsquare:test:{uuid.uuid4().hex}"
    settings.REDIS_URL = redis_proxy.url
    settings.LIVE_REDIS_PREFIX = prefix
    settings.REDIS_BREAKER_SECONDS = 0.2
    yield redis_proxy
    real = redis.Redis.from_url(redis_proxy.real_url)
    for key in real.scan_iter(f"{prefix}:*"):
        real.delete(key)


def wait_until(condition, seconds=5.0):
    ends = time.monotonic() + seconds
    while not condition() and time.monotonic() < ends:
        time.sleep(0.02)


def has(kind):
    return lambda found: kind in kinds(found)


@pytest.mark.parametrize("outage", ["cut", "hang"])
def test_replies_published_while_redis_is_away_reach_open_pages_in_order(
        proxied, outage, make_member, make_topic):
    topic = make_topic()
    ada = make_member()

    def replies():
        getattr(proxied, outage)()
        post_reply(author=ada, topic=topic, body="First while Redis is away")
        post_reply(author=ada, topic=topic, body="Second while Redis is away")

    _, _, text = run_stream(application, f"/live/t/{topic.pk}/", during=replies, seconds=10,
                            until=lambda found: kinds(found).count("post_added") == 2)
    added = [data["html"] for _, kind, data in events_in(text) if kind == "post_added"]
    assert len(added) == 2
    assert "First while" in added[0] and "Second while" in added[1]
    assert Event.objects.filter(topic_id=topic.pk, kind="post_added").count() == 2


def test_readers_are_told_to_reload_when_redis_lost_the_log_while_it_was_away(
        proxied, make_member, make_topic):
    topic = make_topic()
    events.event_log().append(topic.pk, "typing", "public", {})  # the log has a last entry

    def restart_without_its_data():
        proxied.cut()
        wait_until(lambda: hub.paused)
        redis.Redis.from_url(proxied.real_url).delete(events.event_log().key)
        proxied.restore()

    _, _, text = run_stream(application, f"/live/t/{topic.pk}/", seconds=10,
                            during=restart_without_its_data, until=has("refresh"))
    states = [k for k in kinds(events_in(text)) if k in ("paused", "resumed", "refresh")]
    assert states == ["paused", "refresh"]


def test_the_tail_asks_an_unreachable_log_again_at_least_every_second(monkeypatch):
    class Unreachable:
        def latest(self):
            raise ConnectionError("the log is away")

    delays = []
    real_sleep = asyncio.sleep

    async def sleep(seconds):
        delays.append(seconds)
        if len(delays) == 10:
            hub.topics.clear()
        await real_sleep(0)

    monkeypatch.setattr(events, "event_log", Unreachable)
    monkeypatch.setattr(asyncio, "sleep", sleep)
    hub.topics[1] = {Connection(1, None, False)}
    asyncio.run(hub.tail())
    assert len(delays) == 10 and max(delays) <= 1.0


def test_a_reader_who_reconnects_across_an_event_kept_in_the_database_is_told_to_reload(
        live_redis, make_topic):
    log, _ = live_redis
    topic, other = make_topic(), make_topic()
    seen = log.append(topic.pk, "post_added", "public", {})
    later = log.append(topic.pk, "post_changed", "public", {})
    assert [e.id for e in log.since(topic.pk, seen, 10)] == [later]
    log.fallback.append(topic.pk, "post_added", "public", {})
    assert log.since(topic.pk, seen, 10) is None
    assert log.since(topic.pk, later, 10) is None
    assert log.since(other.pk, seen, 10) == []


def test_pruning_the_redis_log_prunes_its_database_fallback_too(live_redis):
    log, _ = live_redis
    old = log.fallback.append(1, "post_added", "public", {})
    kept = log.fallback.append(1, "post_added", "public", {})
    Event.objects.filter(pk=int(old)).update(created=timezone.now() - timedelta(hours=2))
    prune_events()
    assert not Event.objects.filter(pk=int(old)).exists()
    assert Event.objects.filter(pk=int(kept)).exists()


def test_the_upkeep_checks_access_while_presence_cannot_be_recorded(
        settings, monkeypatch, make_topic, make_category, make_member):
    from townsquare.core.breaker import BreakerOpen
    from townsquare.forum.models import Category
    from townsquare.live import hub as hub_module

    def away(*args):
        raise BreakerOpen("Redis is away")

    monkeypatch.setattr(hub_module, "_update_presence", away)
    settings.LIVE_PRESENCE_SECONDS = 0.2
    room = make_category("Room", read_role="moderator")
    mo = make_member("mo", role="moderator")
    topic = make_topic(author=mo, category=room)
    client = Client()
    client.force_login(mo)

    def behind_its_back():
        settled(lambda: Category.objects.filter(pk=room.pk).update(read_role="admin"))

    _, _, text = run_stream(application, f"/live/t/{topic.pk}/", during=behind_its_back,
                            cookies=f"sessionid={client.cookies['sessionid'].value}",
                            until=has("refresh"), seconds=4)
    assert kinds(events_in(text))[-1] == "refresh"
