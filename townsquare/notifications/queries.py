"""Reads: the bell's count (cached per member), the notifications page, who ignores whom."""

import functools

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from townsquare.accounts.models import User
from townsquare.accounts.state import member_state
from townsquare.core.links import url_for
from townsquare.core.shell import hole
from townsquare.forum.models import Post
from townsquare.forum.permissions import visible_filter

from .models import CategoryFollow, Ignore, Notification, Preferences, TopicWatch

BELL_SECONDS = 3600
_ACTION_HOLE, _CSRF_HOLE, _COUNT_HOLE = hole("action"), hole("csrf"), hole("count")


def bell_state(member) -> dict:
    """{"unread": n, "topics": [ids of topics with unread notifications]}, cached under the
    member's bell version (each change sets a new one) or one query. Notifications about
    posts the member may no longer see are not counted: the list leaves them out too."""

    def build():
        topics = list(Notification.objects.filter(
            visible_filter(member, Post, "post__"), recipient_id=member.pk, read__isnull=True)
                      .values_list("topic_id", flat=True)[:1000])
        return {"unread": len(topics), "topics": sorted(set(topics))}

    return member_state(member, "bell", build, BELL_SECONDS, version=member.bell_version)


def unread_count(member) -> int:
    return bell_state(member)["unread"]


def fresh_unread_count(member_id: int) -> int:
    """The unread count pushed to a member's open pages: the bell's own rule (only what they
    may see now), read afresh since the push is made in another transaction."""
    member = User.objects.filter(pk=member_id).first()
    if member is None:
        return 0
    return Notification.objects.filter(visible_filter(member, Post, "post__"),
                                       recipient_id=member_id, read__isnull=True).count()


def bell_html(user) -> SafeString:
    """The header's bell for a member: a link to their notifications with the unread count
    (on every page a member sees, so put together from a piece made beforehand)."""
    from django.conf import settings

    count = str(int(unread_count(user)))
    return mark_safe(_bell_template(settings.LIVE_STREAM_URL).replace(_COUNT_HOLE, count))


@functools.cache
def _bell_template(stream_url: str) -> str:
    stream = f"{stream_url}/live/me/" if stream_url else ""
    return format_html(
        '<a class="bell" href="{}" data-stream="{}" aria-label="Notifications, {} unread">'
        '<span aria-hidden="true">🔔</span> <span class="bell-count" data-count="{}">{}</span>'
        "</a>", url_for("notifications"), stream, _COUNT_HOLE, _COUNT_HOLE, _COUNT_HOLE)


def list_notifications(member):
    """The member's notifications, newest first; none about a post they may no longer see
    (its category became private to them, or it or its topic was hidden since)."""
    return (Notification.objects.filter(visible_filter(member, Post, "post__"),
                                        recipient=member)
            .select_related("actor", "topic", "post")
            .defer("post__body", "post__html")
            .order_by("-updated", "-id"))


def ignored_ids(member) -> frozenset[int]:
    """Members this member ignores (cached under their state version; set_ignore sets a
    new one)."""
    return member_state(member, "ignoring", lambda: frozenset(
        Ignore.objects.filter(member_id=member.pk).values_list("ignored_id", flat=True)),
        BELL_SECONDS)


def following(member) -> dict:
    """{"topics": {topic id: "follow" or "mute"}, "categories": set of category ids} the
    member follows (cached under their state version; every change sets a new one), so
    pages know their follow buttons without a query."""
    return member_state(member, "watching", lambda: {
        "topics": {topic: "mute" if muted else "follow" for topic, muted in
                   TopicWatch.objects.filter(member_id=member.pk)
                   .values_list("topic_id", "muted")},
        "categories": set(CategoryFollow.objects.filter(member_id=member.pk)
                          .values_list("category_id", flat=True)),
    }, BELL_SECONDS)


def topic_level(member, topic_id: int) -> str:
    return following(member)["topics"].get(topic_id, "normal")


def watch_html(request, topic_id: int) -> str:
    """The topic page's follow / mute control for the signed-in member: the template is
    rendered once per level, the topic's address and the CSRF token filled in per view."""
    from townsquare.core.shell import csrf_token

    return (_watch_template(topic_level(request.user, topic_id))
            .replace(_ACTION_HOLE, url_for("topic_watch", topic_id), 1)
            .replace(_CSRF_HOLE, csrf_token(request), 1))


@functools.cache
def _watch_template(level: str) -> str:
    from django.template.loader import render_to_string

    return render_to_string("notifications/topic_watch.html", {
        "action": _ACTION_HOLE, "level": level, "csrf_token": _CSRF_HOLE})


def is_following_category(member, category) -> bool:
    return category.pk in following(member)["categories"]


def preferences(member) -> Preferences:
    return Preferences.objects.filter(member=member).first() or Preferences(member=member)
