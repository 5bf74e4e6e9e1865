"""Live events: published after the write they describe commits, kept in a log that every
stream process tails.

Pages are served by several worker processes and the event stream by another, so an event
must cross processes even on one machine. The log is the database's `live_event` table by
default (the stream process polls it a few times a second with one indexed query, and whoever
adds an event wakes it to read at once: wake.py) and a bounded Redis stream when REDIS_URL is
set (one blocking read per stream process). Both hand out ids in order; a reader who
reconnects sends the last id it saw and is given what it missed, or told to reload when that
is too far back.

With Redis, the table is the fallback: an event Redis does not take (it fails, or its breaker
is open: core/breaker.py) is appended to the table, and every stream process reads the table's
new rows as well as the stream (FallbackReader), so a Redis outage loses no event, whichever
process saw Redis fail. Such events cannot be replayed from a Redis cursor: a reader who
reconnects across one is told to reload.
"""

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError

from townsquare.core.breaker import BreakerOpen, redis_client

from . import wake
from .models import Event

log = logging.getLogger(__name__)

# "access" events tell the stream processes that who may read a topic changed (a topic moved
# or hidden, a category's read rule, a member's role or deactivation: see access.py). Their
# audience is the hub itself: they are never sent to a reader.
ACCESS, HUB = "access", "hub"
# Kinds a reconnecting reader is not sent again: they only matter at the moment they happen.
EPHEMERAL = {"typing", "presence", ACCESS}
# Redis stream ids carry the Redis server's clock, the table's rows the site's: a fallback
# event this close before a reader's cursor may still be one they have not seen.
CLOCK_SLACK = timedelta(minutes=1)


@dataclass(frozen=True)
class LiveEvent:
    id: str
    topic_id: int
    kind: str
    audience: str
    data: dict


class DatabaseLog:
    """The event log as a table; ids are the table's ascending primary keys."""

    def append(self, topic_id: int, kind: str, audience: str, data: dict) -> str:
        """Add an event (called once its write committed) and wake the stream process."""
        event_id = str(Event.objects.create(topic_id=topic_id, kind=kind, audience=audience,
                                            data=data).pk)
        wake.nudge()
        return event_id

    def latest(self) -> str:
        last = Event.objects.order_by("-pk").values_list("pk", flat=True).first()
        return str(last or 0)

    def read_after(self, cursor: str, limit: int = 500) -> list[LiveEvent]:
        rows = Event.objects.filter(pk__gt=int(cursor)).order_by("pk")[:limit]
        return [_event(row) for row in rows]

    def since(self, topic_id: int, cursor: str, limit: int) -> list[LiveEvent] | None:
        """Events of a topic after `cursor`; None when the cursor is unknown or too old."""
        if not re.fullmatch(r"\d{1,18}", cursor or ""):
            return None
        oldest = Event.objects.order_by("pk").values_list("pk", flat=True).first()
        if oldest is None or int(cursor) < oldest - 1 or int(cursor) > int(self.latest()):
            return None
        rows = list(Event.objects.filter(topic_id=topic_id, pk__gt=int(cursor))
                    .exclude(kind__in=EPHEMERAL).order_by("pk")[:limit + 1])
        if len(rows) > limit:
            return None
        return [_event(row) for row in rows]

    def prune(self, older_than: timedelta, keep: int) -> int:
        newest = int(self.latest())
        old = Event.objects.filter(created__lt=timezone.now() - older_than)
        beyond = Event.objects.filter(pk__lte=newest - keep)
        return old.delete()[0] + beyond.delete()[0]


def _event(row: Event) -> LiveEvent:
    return LiveEvent(str(row.pk), row.topic_id, row.kind, row.audience, row.data)


class RedisLog:
    """The event log as a Redis stream, capped at about LIVE_LOG_LENGTH entries, and the
    database log as its fallback."""

    # The longest a read_after waits for the next event (hub.py's tail waits a second).
    MAX_BLOCK_MS = 1000

    def __init__(self, url: str):
        self.redis = redis_client(url)
        self.waiting = redis_client(url, wait=self.MAX_BLOCK_MS / 1000)
        self.key = f"{settings.LIVE_REDIS_PREFIX}:events"
        self.fallback = DatabaseLog()

    def append(self, topic_id: int, kind: str, audience: str, data: dict) -> str:
        entry = {"topic": topic_id, "kind": kind, "audience": audience,
                 "data": json.dumps(data)}
        try:
            return self.redis.xadd(self.key, entry, maxlen=settings.LIVE_LOG_LENGTH,
                                   approximate=True).decode()
        except RedisError as error:
            if not isinstance(error, BreakerOpen):  # the breaker logs outages itself
                log.warning("live event %s for topic %s kept in the database: %s", kind,
                            topic_id, error)
            return self.fallback.append(topic_id, kind, audience, data)

    def latest(self) -> str:
        info = self.redis.xrevrange(self.key, count=1)
        return info[0][0].decode() if info else "0-0"

    def read_after(self, cursor: str, limit: int = 500, block_ms: int | None = None):
        client = self.waiting if block_ms else self.redis
        found = client.xread({self.key: cursor}, count=limit, block=block_ms)
        return [self._event(i, f) for _, entries in found for i, f in entries]

    def holds(self, cursor: str | None) -> bool:
        """Whether the stream still has the entry at `cursor`, so that reading on from it
        misses nothing (False once Redis lost it, restarted empty or trimmed it)."""
        if cursor is None:
            return False
        return cursor == "0-0" or bool(self.redis.xrange(self.key, cursor, cursor, count=1))

    def since(self, topic_id: int, cursor: str, limit: int) -> list[LiveEvent] | None:
        if not re.fullmatch(r"\d{1,15}-\d{1,10}", cursor or ""):
            return None
        first = self.redis.xrange(self.key, count=1)
        if not first or _stream_id(cursor) < _stream_id(first[0][0].decode()) \
                or _stream_id(cursor) > _stream_id(self.latest()):
            return None
        events = [self._event(i, f) for i, f in self.redis.xrange(self.key, min=f"({cursor}")]
        mine = [e for e in events if e.topic_id == topic_id and e.kind not in EPHEMERAL]
        if len(mine) > limit or self._fallback_since(topic_id, cursor):
            return None
        return mine

    def _fallback_since(self, topic_id: int, cursor: str) -> bool:
        """Whether the topic has events in the fallback that the reader may not have seen."""
        seen = datetime.fromtimestamp(_stream_id(cursor)[0] / 1000, UTC) - CLOCK_SLACK
        return (Event.objects.filter(topic_id=topic_id, created__gte=seen)
                .exclude(kind__in=EPHEMERAL).exists())

    def prune(self, older_than: timedelta, keep: int) -> int:
        pruned = self.fallback.prune(older_than, keep)
        # The length is capped at every append; this drops what is too old as well.
        oldest_kept = int((timezone.now() - older_than).timestamp() * 1000)
        return pruned + self.redis.xtrim(self.key, minid=f"{oldest_kept}-0", approximate=False)

    @staticmethod
    def _event(entry_id, fields) -> LiveEvent:
        get = {k.decode(): v.decode() for k, v in fields.items()}
        return LiveEvent(entry_id.decode(), int(get["topic"]), get["kind"], get["audience"],
                         json.loads(get["data"]))


class FallbackReader:
    """A stream process's place in the fallback (the database log beside Redis): the rows
    appended after it began reading, in order, read with one indexed query at most every
    LIVE_POLL_SECONDS."""

    def __init__(self, fallback: DatabaseLog):
        self.log = fallback
        self.cursor: str | None = None
        self.read_at = 0.0

    def read(self) -> list[LiveEvent]:
        if time.monotonic() - self.read_at < settings.LIVE_POLL_SECONDS:
            return []
        if self.cursor is None:
            self.cursor = self.log.latest()
            events = []
        else:
            events = self.log.read_after(self.cursor)
        self.read_at = time.monotonic()
        if events:
            self.cursor = events[-1].id
        return events


def _stream_id(value: str) -> tuple[int, int]:
    ms, _, seq = value.partition("-")
    return int(ms), int(seq or 0)


_logs: dict[str, object] = {}


def event_log():
    """The site's event log: Redis when REDIS_URL is set, else the database."""
    url = settings.REDIS_URL
    if url not in _logs:
        _logs[url] = RedisLog(url) if url else DatabaseLog()
    return _logs[url]


def publish(topic_id: int, kind: str, data: dict | Callable[[], dict], *,
            audience: str = "public") -> None:
    """Send an event to the topic's readers once the current transaction commits (at once
    outside one). `data` may be a function, called after the commit (so that what it renders
    and caches is what was committed). An event Redis does not take goes to the database log
    instead (RedisLog.append); a failure of both is logged and never fails the write: readers
    still get the change by reloading."""

    def send():
        try:
            event_log().append(topic_id, kind, audience, data() if callable(data) else data)
        except Exception:
            log.warning("live event %s for topic %s not published", kind, topic_id,
                        exc_info=True)

    transaction.on_commit(send)
