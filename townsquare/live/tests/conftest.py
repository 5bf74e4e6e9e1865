import uuid
from urllib.parse import urlsplit

import pytest

from townsquare.live import events, presence
from townsquare.live.hub import hub


@pytest.fixture(autouse=True)
def _fresh_hub():
    """No test inherits another's readers, pushed boxes, guest counts or log clients."""
    hub.__init__()
    events._logs.clear()
    presence._backends.clear()
    yield
    hub.__init__()
    events._logs.clear()
    presence._backends.clear()


def redis_url_or_skip() -> str:
    """The Redis the site is configured with, else the local one; skip only if neither."""
    import redis
    from django.conf import settings

    url = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if settings.REDIS_URL:
            raise
        pytest.skip("REDIS_URL is unset and no Redis answers on 127.0.0.1:6379")
    return url


@pytest.fixture
def live_redis(settings):
    """Use Redis for the event log and presence, under keys no other test run shares."""
    url = redis_url_or_skip()
    prefix = f"townsquare:test:{uuid.uuid4().hex}"
    settings.REDIS_URL = url
    log = events.RedisLog(url)
    log.key = f"{prefix}:events"
    seen = presence.RedisPresence(url)
    seen.prefix = f"{prefix}:presence"
    events._logs[url] = log
    presence._backends[url] = seen
    yield log, seen
    for key in log.redis.scan_iter(f"{prefix}:*"):
        log.redis.delete(key)


@pytest.fixture
def redis_address():
    url = urlsplit(redis_url_or_skip())
    return url.hostname or "127.0.0.1", url.port or 6379


@pytest.fixture
def published():
    """The events published since the test began, whichever log the site uses."""
    start = events.event_log().latest()
    return lambda: events.event_log().read_after(start)
