"""Live events: published after the write they describe commits, kept in a log that every
stream process tails.

Pages are served by several worker processes and the event stream by another, so an event
must cross processes even on one machine. The log is the database's `live_event` table by
default (the stream process polls it a few times a second with one indexed query, and whoever
adds an event wakes it to read at once: wake.py) and a bounded Redis stream when REDIS_URL is
set (one blocking read per stream process). Both hand out ids in order; a reader who
reconnects sends the last id it saw and is given what it missed, or told to reload when that
is too far back.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import wake
from .models import Event

log = logging.getLogger(__name__)

# "access" events tell the stream processes that who may read a topic changed (a topic moved
# or hidden, a category's read rule, a member's role or deactivation: see access.py). Their
# audience is the hub itself: they are never sent to a reader.
ACCESS, HUB = "access", "hub"
# Kinds a reconnecting reader is not sent again: they only matter at the moment they happen.
EPHEMERAL = {"typing", "presence", ACCESS}


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
    """The event log as a Redis stream, capped at about LIVE_LOG_LENGTH entries."""

    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        self.key = f"{settings.LIVE_REDIS_PREFIX}:events"

    def append(self, topic_id: int, kind: str, audience: str, data: dict) -> str:
        import json

        entry = {"topic": topic_id, "kind": kind, "audience": audience,
                 "data": json.dumps(data)}
        return self.redis.xadd(self.key, entry, maxlen=settings.LIVE_LOG_LENGTH,
                               approximate=True).decode()

    def latest(self) -> str:
        info = self.redis.xrevrange(self.key, count=1)
        return info[0][0].decode() if info else "0-0"

    def read_after(self, cursor: str, limit: int = 500, block_ms: int | None = None):
        found = self.redis.xread({self.key: cursor}, count=limit, block=block_ms)
        return [self._event(i, f) for _, entries in found for i, f in entries]

    def since(self, topic_id: int, cursor: str, limit: int) -> list[LiveEvent] | None:
        if not re.fullmatch(r"\d{1,15}-\d{1,10}", cursor or ""):
            return None
        first = self.redis.xrange(self.key, count=1)
        if not first or _stream_id(cursor) < _stream_id(first[0][0].decode()) \
                or _stream_id(cursor) > _stream_id(self.latest()):
            return None
        events = [self._event(i, f) for i, f in self.redis.xrange(self.key, min=f"({cursor}")]
        mine = [e for e in events if e.topic_id == topic_id and e.kind not in EPHEMERAL]
        return mine if len(mine) <= limit else None

    def prune(self, older_than: timedelta, keep: int) -> int:
        # The length is capped at every append; this drops what is too old as well.
        oldest_kept = int((timezone.now() - older_than).timestamp() * 1000)
        return self.redis.xtrim(self.key, minid=f"{oldest_kept}-0", approximate=False)

    @staticmethod
    def _event(entry_id, fields) -> LiveEvent:
        import json

        get = {k.decode(): v.decode() for k, v in fields.items()}
        return LiveEvent(entry_id.decode(), int(get["topic"]), get["kind"], get["audience"],
                         json.loads(get["data"]))


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
    and caches is what was committed). A failure to publish is logged and never fails the
    write: readers still get the change by reloading."""

    def send():
        try:
            event_log().append(topic_id, kind, audience, data() if callable(data) else data)
        except Exception:
            log.warning("live event %s for topic %s not published", kind, topic_id,
                        exc_info=True)

    transaction.on_commit(send)
