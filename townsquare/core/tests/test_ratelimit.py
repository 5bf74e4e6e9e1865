"""Rate limits count in the database, so every process of the site counts against one limit."""

from unittest import mock

import pytest
from django.core.cache import cache

from townsquare.core.errors import RateLimited
from townsquare.core.memo import LocalMemo
from townsquare.core.models import RateCount
from townsquare.core.ratelimit import check_rate, prune_rate_counts

pytestmark = pytest.mark.django_db


def test_rate_limits_refuse_past_the_limit(settings):
    settings.RATE_LIMITS = {"post": (3, 60)}
    for _ in range(3):
        check_rate("post", "someone")
    with pytest.raises(RateLimited):
        check_rate("post", "someone")
    check_rate("post", "someone-else")


def test_the_count_is_shared_by_every_process(settings):
    # Another process has caches of its own: nothing the count needs may live in them.
    settings.RATE_LIMITS = {"signin": (2, 300)}
    check_rate("signin", "203.0.113.9")
    cache.clear()
    LocalMemo.clear_all()
    check_rate("signin", "203.0.113.9")
    cache.clear()
    LocalMemo.clear_all()
    with pytest.raises(RateLimited):
        check_rate("signin", "203.0.113.9")
    assert RateCount.objects.get().count == 3


def test_a_new_window_starts_the_count_again_and_ended_ones_are_deleted(settings):
    settings.RATE_LIMITS = {"react": (1, 60)}
    clock = [6000.0]
    with mock.patch("townsquare.core.ratelimit.time.time", lambda: clock[0]):
        check_rate("react", "user:1")
        with pytest.raises(RateLimited):
            check_rate("react", "user:1")
        clock[0] += 60
        check_rate("react", "user:1")
    assert RateCount.objects.count() == 2
    assert prune_rate_counts() == 2  # both windows (1970) have long ended
    assert not RateCount.objects.exists()


def test_a_refused_attempt_still_counts(settings):
    settings.RATE_LIMITS = {"signin": (1, 300)}
    check_rate("signin", "198.51.100.7")
    for _ in range(3):
        with pytest.raises(RateLimited):
            check_rate("signin", "198.51.100.7")
    assert RateCount.objects.get().count == 4
