import uuid

import pytest

from townsquare.core.tests.redis_proxy import redis_url_or_skip
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
def published():
    """The events published since the test began, whichever log the site uses."""
    start = events.event_log().latest()
    return lambda: events.event_log().read_after(start)
