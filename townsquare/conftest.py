import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.cache import caches


def pytest_configure(config):
    """Test-run settings; each parallel worker gets its own Redis database to clear."""
    from django.conf import settings

    # Tests render pages without running collectstatic first.
    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    # One site on one machine: every test process reads the same key from the data folder,
    # so the start checks need no SECRET_KEY on PostgreSQL (townsquare/core/startup.py).
    settings.SECRET_KEY_GIVEN = True
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if settings.REDIS_URL and worker.startswith("gw"):
        parts = urlsplit(settings.REDIS_URL)
        db = 1 + int(worker[2:]) % 15
        url = urlunsplit(parts._replace(path=f"/{db}"))
        for alias in settings.CACHES:
            settings.CACHES[alias]["LOCATION"] = url
        # The live event log too, so that clearing a worker's database clears its events.
        settings.REDIS_URL = url


@pytest.fixture(autouse=True)
def _fresh_view_counts():
    """No test inherits another's pending view counts or a due flush."""
    import time

    from townsquare.forum import viewcounts

    viewcounts._pending.clear()
    viewcounts._last_flush = time.monotonic()


@pytest.fixture(autouse=True)
def _closed_breakers():
    """No test inherits a Redis breaker another opened."""
    from townsquare.core import breaker

    breaker._breakers.clear()
    yield
    breaker._breakers.clear()


@pytest.fixture
def redis_proxy():
    """A port in front of a real Redis, whose outages the test plays (see redis_proxy.py)."""
    from townsquare.core.tests.redis_proxy import RedisProxy, redis_url_or_skip

    proxy = RedisProxy(redis_url_or_skip())
    yield proxy
    proxy.close()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (page cache, presence throttle, rate limits)."""
    from townsquare.core.memo import LocalMemo

    for alias in ("default", "pages"):
        caches[alias].clear()
    LocalMemo.clear_all()
    yield
    for alias in ("default", "pages"):
        caches[alias].clear()
    LocalMemo.clear_all()


@pytest.fixture
def make_member(db):
    from townsquare.accounts.models import User

    counter = iter(range(1, 10_000))

    def make(username=None, *, role="member", password="a-long-Passphrase-42", **extra):
        username = username or f"member{next(counter)}"
        user = User(username=username, email=extra.pop("email", f"{username}@example.org"),
                    role=role, **extra)
        user.set_password(password)
        user.save()
        return user

    return make


@pytest.fixture
def make_category(db):
    from townsquare.forum.models import Category

    counter = iter(range(1, 10_000))

    def make(title=None, **extra):
        n = next(counter)
        title = title or f"Category {n}"
        return Category.objects.create(title=title, slug=extra.pop("slug", f"category-{n}"),
                                       position=n, **extra)

    return make


@pytest.fixture
def make_topic(make_member, make_category):
    from townsquare.forum.actions import start_topic

    def make(*, author=None, category=None, title="A topic to discuss", body="Opening post.",
             **extra):
        return start_topic(author=author or make_member(), category=category or make_category(),
                           title=title, body=body, **extra)

    return make


@pytest.fixture
def add_replies():
    from townsquare.forum.actions import post_reply

    def add(topic, count, *, authors):
        return [post_reply(author=authors[i % len(authors)], topic=topic, body=f"Reply {i + 1}")
                for i in range(count)]

    return add
