from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from .models import Presence
from .queries import presence_key

# A member's presence is written at most this often per topic, per app process.
TOUCH_INTERVAL = timedelta(seconds=60)


def touch_presence(*, member, topic) -> None:
    """Record that a member is reading a topic (for "Recently Browsing")."""
    if not member.is_authenticated:
        return
    key = f"presence:touched:{topic.pk}:{member.pk}"
    if not cache.add(key, 1, timeout=int(TOUCH_INTERVAL.total_seconds())):
        return
    # One upsert statement, whatever the database.
    Presence.objects.bulk_create(
        [Presence(topic=topic, user=member, seen_at=timezone.now())],
        update_conflicts=True, unique_fields=["topic", "user"], update_fields=["seen_at"],
    )
    cache.delete(presence_key(topic.pk))
