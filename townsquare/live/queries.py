import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from redis import RedisError

from .models import Presence
from .presence import presence_backend, window_start

log = logging.getLogger(__name__)

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
    """Members seen on the topic within the presence window, most recent first (members who
    browse invisibly left out)."""
    topic_id = getattr(topic, "pk", topic)
    ids = presence_backend().recent_member_ids(topic_id, limit)
    if ids is None:
        rows = (
            Presence.objects.filter(topic_id=topic_id, seen_at__gte=window_start())
            .exclude(user__browse_invisibly=True)
            .select_related("user")
            .order_by("-seen_at")[:limit]
        )
        return [Reader(row.user.username, row.user.get_absolute_url()) for row in rows]
    if not ids:
        return []
    members = {m.pk: m for m in get_user_model().objects.filter(pk__in=ids, browse_invisibly=False)
               .only("pk", "username")}
    return [Reader(members[pk].username, members[pk].get_absolute_url())
            for pk in ids if pk in members]


def count_guests(topic_id: int) -> int:
    """Guests reading the topic now (by their open event streams)."""
    return presence_backend().count_guests(topic_id)


def browsing_html(topic_id: int) -> SafeString:
    """The topic page's "Recently Browsing" box, rendered at most every LIST_SECONDS."""
    html = cache.get(presence_key(topic_id))
    if html is None:
        try:
            html = presence_box_html(topic_id)
        except RedisError:  # the page is shown all the same, without its readers
            log.warning("presence on topic %s unavailable", topic_id, exc_info=True)
            return mark_safe(render_to_string("live/browsing.html", {"readers": []}))
    return mark_safe(html)


def presence_box_html(topic_id: int) -> str:
    """The Recently Browsing box as it is now: the stream pushes it, and pages show it for
    LIST_SECONDS (or until a member's visit changes it), so that a page read after a guest
    arrived on a stream counts them."""
    html = render_to_string("live/browsing.html", {
        "readers": list_recent_members(topic_id), "guests": count_guests(topic_id)})
    cache.set(presence_key(topic_id), html, LIST_SECONDS)
    return html
