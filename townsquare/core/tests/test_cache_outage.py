"""With Redis down or hung, the site keeps serving pages: the cache forgets instead of
failing, and after one timeout no Redis client of the process waits on a hung Redis."""

import threading
import time
import uuid

import pytest
from django.core.cache import caches
from django.test import Client
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeout

from townsquare.core import breaker
from townsquare.live import events, presence

DEAD = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_down(settings):
    options = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    settings.CACHES = {
        alias: {"BACKEND": "townsquare.core.cache.TolerantRedisCache", "LOCATION": DEAD,
                "OPTIONS": options}
        for alias in ("default", "pages")
    }
    yield
    for alias in ("default", "pages"):
        caches[alias].close()


def test_every_cache_call_answers_as_a_miss_while_redis_is_down(redis_down):
    cache = caches["default"]
    cache.set("k", 1)
    assert cache.get("k", "missing") == "missing"
    assert cache.add("k", 1) is True and cache.incr("k") == 1
    assert cache.get_many(["k"]) == {} and cache.has_key("k") is False
    cache.delete("k")
    cache.delete_many(["k"])
    cache.set_many({"k": 1})
    cache.clear()


@pytest.mark.django_db
def test_pages_still_work_for_guests_and_members_while_redis_is_down(redis_down,
                                                                       make_member,
                                                                       make_topic):
    from townsquare.forum.actions import post_reply

    topic = make_topic()
    member = make_member()
    post_reply(author=member, topic=topic, body="Written while Redis is away")
    assert Client().get(topic.get_absolute_url()).status_code == 200
    client = Client()
    client.force_login(member)
    page = client.get(topic.get_absolute_url())
    assert page.status_code == 200 and "Written while Redis is away" in page.content.decode()
    assert client.get("/").status_code == 200


# A hung Redis: connections accepted, nothing answered (a frozen server, a network that drops
# packets). Each call would wait out its timeout; the breaker (core/breaker.py) spares them.

@pytest.fixture
def hung_cache(settings, redis_proxy):
    """The caches and the live clients on a proxy of a real Redis, hung; the breaker's
    cool-down long enough that only the test ends it."""
    settings.REDIS_BREAKER_SECONDS = 600
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        alias: {"BACKEND": "townsquare.core.cache.TolerantRedisCache",
                "LOCATION": redis_proxy.url, "KEY_PREFIX": f"{prefix}-{alias}"}
        for alias in ("default", "pages")
    }
    settings.REDIS_URL = redis_proxy.url
    settings.LIVE_REDIS_PREFIX = prefix
    events._logs.clear()
    presence._backends.clear()
    redis_proxy.hang()
    yield redis_proxy
    redis_proxy.restore()
    for alias in ("default", "pages"):
        caches[alias].clear()
        caches[alias].close()
    events._logs.clear()
    presence._backends.clear()


def asked(proxy) -> tuple[int, int]:
    """What the Redis behind the proxy was sent: (connections, bytes)."""
    return proxy.connections, proxy.received


def cool_down_passes():
    for each in breaker._breakers.values():
        if each.opened is not None:
            each.opened -= 3600


def test_after_one_timeout_the_cache_asks_a_hung_redis_nothing(hung_cache):
    cache = caches["default"]
    assert cache.get("k", "missing") == "missing"  # waits out its timeout
    before = asked(hung_cache)
    for n in range(20):
        assert cache.get(f"k{n}", "missing") == "missing"
        cache.set(f"k{n}", n)
        assert cache.add(f"k{n}", n) is True
    assert caches["pages"].get_many(["a", "b"]) == {}
    assert asked(hung_cache) == before


def test_after_one_timeout_presence_asks_a_hung_redis_nothing(hung_cache, db):
    seen = presence.presence_backend()
    with pytest.raises(RedisError):
        seen.count_guests(1)
    before = asked(hung_cache)
    for _ in range(20):
        with pytest.raises(breaker.BreakerOpen):
            seen.guests_here(1, ["guest"])
        with pytest.raises(breaker.BreakerOpen):
            seen.recent_member_ids(1, 10)
    assert asked(hung_cache) == before


@pytest.mark.django_db(transaction=True)
def test_after_one_timeout_events_go_to_the_database_without_asking_a_hung_redis(hung_cache):
    from townsquare.live.models import Event

    events.publish(7, "typing", {"n": 0})
    before = asked(hung_cache)
    for n in range(1, 21):
        events.publish(7, "typing", {"n": n})
    assert asked(hung_cache) == before
    assert [e.data["n"] for e in Event.objects.order_by("pk")] == list(range(21))


def test_after_the_cool_down_one_probe_asks_and_a_redis_that_answers_is_used_again(
        hung_cache):
    cache = caches["default"]
    cache.get("k")
    cool_down_passes()
    before = hung_cache.connections
    for _ in range(20):
        assert cache.get("k", "missing") == "missing"
    assert hung_cache.connections == before + 1  # one probe, unanswered: open again
    hung_cache.restore()
    for _ in range(5):
        assert cache.get("k", "missing") == "missing"  # not asked until the next probe
    cool_down_passes()
    cache.set("k", "cached")
    assert cache.get("k") == "cached"
    assert all(each.opened is None for each in breaker._breakers.values())


def test_while_one_call_probes_the_others_do_not_wait_for_it(settings):
    settings.REDIS_BREAKER_SECONDS = 0
    gate, probes = threading.Event(), []
    guard = breaker.Breaker("test")
    with pytest.raises(RedisTimeout):
        guard.call(_raise(RedisTimeout("no answer")), probe=None)

    def slow_probe():
        probes.append(1)
        gate.wait(5)

    prober = threading.Thread(target=guard.call, args=(lambda: "answered", slow_probe))
    prober.start()
    while not probes:
        time.sleep(0.001)
    for _ in range(10):
        with pytest.raises(breaker.BreakerOpen):
            guard.call(lambda: "answered", slow_probe)
    gate.set()
    prober.join(5)
    assert probes == [1] and guard.call(lambda: "answered", slow_probe) == "answered"


def _raise(error):
    def fail():
        raise error

    return fail


@pytest.mark.django_db
def test_pages_with_a_hung_redis_ask_it_once_or_twice_in_all(hung_cache, make_member,
                                                             make_topic):
    from townsquare.forum.actions import post_reply

    topic = make_topic()
    member = make_member()
    post_reply(author=member, topic=topic, body="Written while Redis hangs")
    signed_in = Client()
    signed_in.force_login(member)
    for client in (Client(), signed_in) * 3:
        assert client.get("/").status_code == 200
        page = client.get(topic.get_absolute_url())
        assert page.status_code == 200 and "Written while Redis hangs" in page.content.decode()
    assert hung_cache.connections <= 2
