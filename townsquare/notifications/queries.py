"""Reads: the bell's count (cached per member), the notifications page, who ignores whom."""


from townsquare.accounts.models import User
from townsquare.accounts.state import member_state
from townsquare.forum.models import Post
from townsquare.forum.permissions import visible_filter

from .models import CategoryFollow, Ignore, MemberFollow, Notification, Preferences, TopicWatch

BELL_SECONDS = 3600


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


def is_following(member, other) -> bool:
    """Whether `member` follows `other` (the profile page's follow button)."""
    return MemberFollow.objects.filter(member=member, followed=other).exists()


def is_following_category(member, category) -> bool:
    return category.pk in following(member)["categories"]


def preferences(member) -> Preferences:
    return Preferences.objects.filter(member=member).first() or Preferences(member=member)
