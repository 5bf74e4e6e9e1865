"""Fixed-window rate limits kept in the cache (per process locally, shared through Redis)."""

import time

from django.conf import settings
from django.core.cache import cache

from .errors import RateLimited


def check_rate(action: str, who: str) -> None:
    """Count one `action` by `who`; refuse with RateLimited past the configured limit."""
    limit, period = settings.RATE_LIMITS[action]
    window = int(time.time() // period)
    key = f"rl:{action}:{who}:{window}"
    if cache.add(key, 1, timeout=period + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=period + 1)
            count = 1
    if count > limit:
        raise RateLimited("You are doing that too often. Please wait a minute and try again.")


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")
