"""With Redis down, the site keeps serving pages: the cache forgets instead of failing."""

import pytest
from django.core.cache import caches
from django.test import Client

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
