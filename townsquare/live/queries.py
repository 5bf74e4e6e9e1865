from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .models import Presence

# "Recently Browsing" is read on every topic view; a few seconds of lag is invisible in a
# fifteen-minute window, and a member's own visit clears the entry (see touch_presence).
LIST_SECONDS = 10


@dataclass(frozen=True)
class Reader:
    username: str
    url: str


def presence_key(topic_id: int) -> str:
    return f"presence:list:{topic_id}"


def list_recent_members(topic, limit: int = 50) -> list[Reader]:
    """Members seen on the topic within the presence window, most recent first."""
    key = presence_key(topic.pk)
    readers = cache.get(key)
    if readers is None:
        since = timezone.now() - timedelta(seconds=settings.PRESENCE_WINDOW_SECONDS)
        rows = (
            Presence.objects.filter(topic=topic, seen_at__gte=since)
            .select_related("user")
            .order_by("-seen_at")[:limit]
        )
        readers = [Reader(row.user.username, row.user.get_absolute_url()) for row in rows]
        cache.set(key, readers, LIST_SECONDS)
    return readers
