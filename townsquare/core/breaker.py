"""One circuit breaker per Redis server, shared by every Redis client of the process.

A Redis that stops answering (frozen, swapping, cut off by a network that drops packets) costs
each call its whole socket timeout, and a page makes a dozen cache calls. So the first call that
fails with a timeout or a lost connection opens the server's breaker: for REDIS_BREAKER_SECONDS
every call of every client (cache, presence, the live event log) fails at once with
BreakerOpen, a redis ConnectionError, which each caller already takes as "Redis is away" (the
cache misses, presence is left out, live events go to the database log). After that the next
call first sends PING on a fresh connection with a short timeout, one such probe at a time:
an answer closes the breaker and the call goes ahead; silence keeps it open for another while.

A stopped Redis refuses connections at once and costs nothing; the breaker spares it the
attempts all the same.
"""

import logging
import os
import threading
import time

import redis
from django.conf import settings
from redis.client import Pipeline
from redis.exceptions import ConnectionError, RedisError, TimeoutError

log = logging.getLogger(__name__)

# A healthy Redis answers in well under a millisecond: these only bound how long the first
# call to a Redis that stopped answering waits before the breaker opens.
CONNECT_SECONDS = 0.25
ANSWER_SECONDS = 0.5
PROBE_SECONDS = 0.2


class BreakerOpen(ConnectionError):
    """Redis failed a moment ago and is not asked again until a probe finds it answering."""


class Breaker:
    def __init__(self, name: str):
        self.name = name
        self.lock = threading.Lock()
        self.opened: float | None = None  # when it last opened (or a probe failed); None: closed
        self.probing = False

    def call(self, fn, probe):
        """fn() unless the breaker is open; a timeout or lost connection opens it."""
        if self.opened is not None:
            self._admit(probe)
        try:
            return fn()
        except (ConnectionError, TimeoutError) as error:
            self._open(error)
            raise

    def _admit(self, probe) -> None:
        with self.lock:
            if self.opened is None:
                return
            if self.probing or time.monotonic() - self.opened < settings.REDIS_BREAKER_SECONDS:
                raise BreakerOpen(f"Redis {self.name} failed a moment ago; not asked")
            self.probing = True
        try:
            probe()
        except (RedisError, OSError) as error:
            with self.lock:
                self.opened, self.probing = time.monotonic(), False
            raise BreakerOpen(f"Redis {self.name} still does not answer") from error
        with self.lock:
            self.opened, self.probing = None, False
        log.warning("Redis %s answers again", self.name)

    def _open(self, error: Exception) -> None:
        with self.lock:
            was_closed = self.opened is None
            self.opened = time.monotonic()
        if was_closed:
            log.warning("Redis %s failed (%s); serving without it, asking again every %s s",
                        self.name, error, settings.REDIS_BREAKER_SECONDS)


_breakers: dict[tuple, Breaker] = {}
_lock = threading.Lock()
# Per process: a worker forked from a process that saw Redis fail starts with closed breakers.
os.register_at_fork(after_in_child=_breakers.clear)


def breaker_for(pool: redis.ConnectionPool) -> Breaker:
    """The breaker of the server a connection pool talks to (every database on it)."""
    kw = pool.connection_kwargs
    key = (kw.get("host"), kw.get("port"), kw.get("path"))
    found = _breakers.get(key)
    if found is None:
        with _lock:
            name = kw.get("path") or f"{kw.get('host')}:{kw.get('port')}"
            found = _breakers.setdefault(key, Breaker(name))
    return found


def _ping(pool: redis.ConnectionPool) -> None:
    """PING on a connection of its own with short timeouts (the pool's may be stuck)."""
    conn = pool.connection_class(**{**pool.connection_kwargs,
                                    "socket_connect_timeout": PROBE_SECONDS,
                                    "socket_timeout": PROBE_SECONDS})
    try:
        conn.connect()  # with the handshake: AUTH, SELECT
        conn.send_command("PING")
        conn.read_response()
    finally:
        conn.disconnect()


class GuardedRedis(redis.Redis):
    """A Redis client whose every command and pipeline goes through the server's breaker."""

    def execute_command(self, *args, **options):
        pool = self.connection_pool
        return breaker_for(pool).call(lambda: super(GuardedRedis, self).execute_command(
            *args, **options), lambda: _ping(pool))

    def pipeline(self, transaction=True, shard_hint=None) -> "GuardedPipeline":
        return GuardedPipeline(self.connection_pool, self.response_callbacks, transaction,
                               shard_hint)


class GuardedPipeline(Pipeline):
    def execute(self, raise_on_error: bool = True):
        pool = self.connection_pool
        return breaker_for(pool).call(lambda: super(GuardedPipeline, self).execute(
            raise_on_error), lambda: _ping(pool))


def redis_client(url: str, *, wait: float = 0.0) -> GuardedRedis:
    """A guarded client with the site's timeouts; `wait`: the longest a command of it blocks
    on the server (XREAD ... BLOCK), added to the time an answer may take."""
    return GuardedRedis.from_url(url, socket_connect_timeout=CONNECT_SECONDS,
                                 socket_timeout=ANSWER_SECONDS + wait)
