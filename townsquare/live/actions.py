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


def touch_presence_by_id(*, topic_id: int, member_ids: list[int]) -> None:
    """Record that these members are reading a topic now (from the stream process)."""
    due = [pk for pk in member_ids
           if cache.add(f"presence:touched:{topic_id}:{pk}", 1,
                        timeout=int(TOUCH_INTERVAL.total_seconds()))]
    if not due:
        return
    now = timezone.now()
    Presence.objects.bulk_create(
        [Presence(topic_id=topic_id, user_id=pk, seen_at=now) for pk in due],
        update_conflicts=True, unique_fields=["topic", "user"], update_fields=["seen_at"],
    )
    cache.delete(presence_key(topic_id))
