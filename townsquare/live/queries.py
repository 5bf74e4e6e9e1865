from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import Presence


def list_recent_members(topic, limit: int = 50):
    """Members seen on the topic within the presence window, most recent first."""
    since = timezone.now() - timedelta(seconds=settings.PRESENCE_WINDOW_SECONDS)
    rows = (
        Presence.objects.filter(topic=topic, seen_at__gte=since)
        .select_related("user")
        .order_by("-seen_at")[:limit]
    )
    return [row.user for row in rows]
