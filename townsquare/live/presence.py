"""Who is reading a topic: members seen there within the presence window, guests right now.

An open event stream is a reader; page views count too (members only). Without Redis, members
are rows of the Presence table and guests are counted by the stream process itself (one
stream process). With REDIS_URL set, both are sorted sets in Redis scored by the time they
were last seen, so every page worker and stream process agrees: members stay for the presence
window, guests for GUEST_SECONDS unless their stream process says they are still there.
While Redis does not answer (see core/breaker.py) pages are shown without their readers.
"""

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from townsquare.core.breaker import redis_client

from .models import Presence

# A guest is counted this long after their stream process last vouched for them (it does so
# every LIVE_PRESENCE_SECONDS), so the guests of a process that died fade out.
GUEST_SECONDS = 90


class DatabasePresence:
    def __init__(self):
        self.guests: dict[int, set[str]] = {}

    def record_members(self, topic_id: int, member_ids: list[int], at: datetime) -> None:
        # One upsert statement, whatever the database.
        Presence.objects.bulk_create(
            [Presence(topic_id=topic_id, user_id=pk, seen_at=at) for pk in member_ids],
            update_conflicts=True, unique_fields=["topic", "user"], update_fields=["seen_at"],
        )

    def recent_member_ids(self, topic_id: int, limit: int) -> list[int] | None:
        return None  # read together with the members, in one query (queries.py)

    def guests_here(self, topic_id: int, tokens: list[str]) -> None:
        self.guests.setdefault(topic_id, set()).update(tokens)

    def guest_left(self, topic_id: int, token: str) -> None:
        here = self.guests.get(topic_id)
        if here is not None:
            here.discard(token)
            if not here:
                del self.guests[topic_id]

    def count_guests(self, topic_id: int) -> int:
        return len(self.guests.get(topic_id, ()))


class RedisPresence:
    def __init__(self, url: str):
        self.redis = redis_client(url)
        self.prefix = f"{settings.LIVE_REDIS_PREFIX}:presence"

    def _members(self, topic_id: int) -> str:
        return f"{self.prefix}:{topic_id}:members"

    def _guests(self, topic_id: int) -> str:
        return f"{self.prefix}:{topic_id}:guests"

    def record_members(self, topic_id: int, member_ids: list[int], at: datetime) -> None:
        window = settings.PRESENCE_WINDOW_SECONDS
        key = self._members(topic_id)
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {str(pk): at.timestamp() for pk in member_ids})
            pipe.zremrangebyscore(key, "-inf", time.time() - window)
            pipe.expire(key, window)
            pipe.execute()

    def recent_member_ids(self, topic_id: int, limit: int) -> list[int]:
        since = time.time() - settings.PRESENCE_WINDOW_SECONDS
        found = self.redis.zrevrangebyscore(self._members(topic_id), "+inf", since,
                                            start=0, num=limit)
        return [int(pk) for pk in found]

    def guests_here(self, topic_id: int, tokens: list[str]) -> None:
        if not tokens:
            return
        key = self._guests(topic_id)
        now = time.time()
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(key, dict.fromkeys(tokens, now))
            pipe.zremrangebyscore(key, "-inf", now - GUEST_SECONDS)
            pipe.expire(key, GUEST_SECONDS)
            pipe.execute()

    def guest_left(self, topic_id: int, token: str) -> None:
        self.redis.zrem(self._guests(topic_id), token)

    def count_guests(self, topic_id: int) -> int:
        return self.redis.zcount(self._guests(topic_id), time.time() - GUEST_SECONDS, "+inf")


_backends: dict[str, object] = {}


def presence_backend():
    """Redis when REDIS_URL is set, else the database (and this process's guest counts)."""
    url = settings.REDIS_URL
    if url not in _backends:
        _backends[url] = RedisPresence(url) if url else DatabasePresence()
    return _backends[url]


def window_start() -> datetime:
    return timezone.now() - timedelta(seconds=settings.PRESENCE_WINDOW_SECONDS)
