"""A Redis cache that a Redis outage turns into a cache that remembers nothing.

Everything Townsquare keeps in its cache can be rebuilt from the database (pages, parts,
presence lists) or may be forgotten (throttles), so while Redis is down pages are built every
time instead of failing, and writes still invalidate through versions. Django's own Redis
backend raises on a lost connection; this one logs once a minute and answers as a miss.

Its client goes through the Redis server's breaker (core/breaker.py): a Redis that stops
answering costs the first call half a second, and the calls after it nothing until Redis
answers a probe again, so pages run at the speed of a site without a cache meanwhile.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

from .breaker import ANSWER_SECONDS, CONNECT_SECONDS, GuardedRedis

log = logging.getLogger(__name__)
_last_warning = 0.0


def _warn(error: Exception) -> None:
    global _last_warning
    if time.monotonic() - _last_warning > 60:
        _last_warning = time.monotonic()
        log.warning("Redis cache unreachable, serving without it: %s", error)


class GuardedCacheClient(RedisCacheClient):
    """Django's Redis cache client, through the breaker and with the site's timeouts (which
    the cache's OPTIONS may override)."""

    def __init__(self, servers, **options):
        super().__init__(servers, **{"socket_connect_timeout": CONNECT_SECONDS,
                                     "socket_timeout": ANSWER_SECONDS, **options})
        self._client = GuardedRedis


class TolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = GuardedCacheClient

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except RedisError as error:
            _warn(error)
            return True  # as if freshly added: throttles and limits let the request through

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as error:
            _warn(error)
            return default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except RedisError as error:
            _warn(error)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError as error:
            _warn(error)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except RedisError as error:
            _warn(error)
            return False

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError as error:
            _warn(error)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except RedisError as error:
            _warn(error)
            return False

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            _warn(error)
            return delta

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError as error:
            _warn(error)
            return list(data)

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except RedisError as error:
            _warn(error)

    def clear(self):
        try:
            return super().clear()
        except RedisError as error:
            _warn(error)
            return False


class LocalCache(LocMemCache):
    """Django's local-memory cache without its per-key memcached compatibility check (a
    Python loop over every character of the key, on each of the dozen reads of a member's
    page). Townsquare's keys are its own: short, ASCII, no spaces."""

    def validate_key(self, key):
        pass
