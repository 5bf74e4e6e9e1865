from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

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
    since = timezone.now() - timedelta(seconds=settings.PRESENCE_WINDOW_SECONDS)
    rows = (
        Presence.objects.filter(topic_id=getattr(topic, "pk", topic), seen_at__gte=since)
        .exclude(user__browse_invisibly=True)
        .select_related("user")
        .order_by("-seen_at")[:limit]
    )
    return [Reader(row.user.username, row.user.get_absolute_url()) for row in rows]


def browsing_html(topic) -> SafeString:
    """The topic page's "Recently Browsing" box, rendered at most every LIST_SECONDS."""
    key = presence_key(topic.pk)
    html = cache.get(key)
    if html is None:
        html = render_to_string("live/browsing.html", {"readers": list_recent_members(topic)})
        cache.set(key, html, LIST_SECONDS)
    return mark_safe(html)


def browsing_html_for(topic_id: int, *, guests: int) -> str:
    """The Recently Browsing box as the event stream pushes it: members and live guests."""
    return render_to_string("live/browsing.html", {
        "readers": list_recent_members(topic_id), "guests": guests})
