"""Writes: notifying at write time, reading, following, muting, ignoring, preferences.

Notifications are made inside the transaction of the post or reaction that causes them, so
they exist exactly when it does. Nobody is notified about a post they cannot see, by a
member they ignore, in a topic they muted, or about their own doing.
"""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.accounts.state import bell_changed, state_changed
from townsquare.core.errors import Invalid, NotFound
from townsquare.forum import permissions
from townsquare.forum.models import Category, Mention, Post, PostQuote, Topic

from . import live
from .models import (
    CategoryFollow,
    Ignore,
    MemberFollow,
    Notification,
    Preferences,
    TopicWatch,
)

Kind = Notification.Kind
# When several reasons apply to one post, the member hears the most personal one.
PRIORITY = [Kind.QUOTE, Kind.MENTION, Kind.REPLY, Kind.TOPIC]


# Notifying ------------------------------------------------------------------------------------

def notify_new_post(post: Post, *, new_topic: bool = False, only: set[int] | None = None,
                    follow: bool = True) -> list[Notification]:
    """Notify about a post just written (inside its transaction): members it quotes or
    mentions, followers of its topic, of its author, and (a new topic) of its category.
    `only` limits it to those members (an edit that adds mentions)."""
    author_id, topic = post.author_id, post.topic
    reasons: dict[int, str] = {}

    def add(member_ids, kind):
        for pk in member_ids:
            if pk != author_id and (only is None or pk in only):
                current = reasons.get(pk)
                if current is None or PRIORITY.index(kind) < PRIORITY.index(current):
                    reasons[pk] = kind

    add(Post.objects.filter(pk__in=PostQuote.objects.filter(post=post).values("quoted"))
        .values_list("author_id", flat=True), Kind.QUOTE)
    add(Mention.objects.filter(post=post).values_list("member_id", flat=True), Kind.MENTION)
    if only is None:
        add(TopicWatch.objects.filter(topic_id=post.topic_id, muted=False)
            .values_list("member_id", flat=True), Kind.REPLY)
        add(MemberFollow.objects.filter(followed_id=author_id)
            .values_list("member_id", flat=True), Kind.TOPIC if new_topic else Kind.REPLY)
        if new_topic:
            add(CategoryFollow.objects.filter(category_id=topic.category_id)
                .values_list("member_id", flat=True), Kind.TOPIC)
    made = []
    if reasons:
        muted = set(TopicWatch.objects.filter(topic_id=post.topic_id, muted=True,
                                              member_id__in=reasons)
                    .values_list("member_id", flat=True))
        ignoring = set(Ignore.objects.filter(ignored_id=author_id, member_id__in=reasons)
                       .values_list("member_id", flat=True))
        members = User.objects.filter(pk__in=set(reasons) - muted - ignoring, is_active=True)
        now = timezone.now()
        for member in members:
            if not permissions.can_see(member, post):
                continue
            made.append(Notification(recipient=member, kind=reasons[member.pk], post=post,
                                     topic_id=post.topic_id, actor_id=author_id, created=now,
                                     updated=now))
        made = Notification.objects.bulk_create(made, ignore_conflicts=True)
        bell_changed(n.recipient_id for n in made)
        for notification in made:
            live.publish_bell(notification.recipient_id)
    if follow and only is None:
        follow_after_posting(post.author, topic)
    return made


def notify_reaction(*, post: Post, member, kind: str) -> None:
    """A reaction to `post` by `member` (inside the reaction's transaction): grouped into the
    author's unread reaction notification for that post, if there is one."""
    author_id = post.author_id
    if author_id == member.pk or post.hidden or post.deleted:
        return
    prefs = Preferences.objects.filter(member_id=author_id).first()
    if prefs is not None and not prefs.notify_reactions:
        return
    if post.topic.category.read_role and not permissions.can_see(post.author, post.topic):
        return  # the category became private to the author since they wrote
    if Ignore.objects.filter(member_id=author_id, ignored=member).exists() or \
            TopicWatch.objects.filter(member_id=author_id, topic_id=post.topic_id,
                                      muted=True).exists():
        return
    now = timezone.now()
    grouped = Notification.objects.filter(recipient_id=author_id, post=post, kind=Kind.REACTION,
                                          read__isnull=True)
    if grouped.update(others=F("others") + 1, actor=member, reaction=kind, updated=now):
        return  # the bell's count is the same: one notification, one more reaction in it
    try:
        with transaction.atomic():
            Notification.objects.create(recipient_id=author_id, kind=Kind.REACTION, post=post,
                                        topic_id=post.topic_id, actor=member, reaction=kind,
                                        created=now, updated=now)
    except IntegrityError:  # another reaction made it first: join that one
        grouped.update(others=F("others") + 1, actor=member, reaction=kind, updated=now)
        return
    bell_changed([author_id])
    live.publish_bell(author_id)


# Reading ------------------------------------------------------------------------------------

def open_notification(*, member, notification_id: int) -> Notification:
    """Mark one notification read and return it (to go to its post). One about a post the
    member may no longer see is missing, as its post is."""
    notification = Notification.objects.select_related("post__topic__category").filter(
        pk=notification_id, recipient=member).first()
    if notification is None or not permissions.can_see(member, notification.post):
        raise NotFound("That notification does not exist.")
    if notification.read is None:
        Notification.objects.filter(pk=notification.pk).update(read=timezone.now())
        bell_changed([member])
        live.publish_bell(member.pk)
    return notification


def mark_all_read(*, member) -> int:
    with transaction.atomic():
        count = Notification.objects.filter(recipient=member, read__isnull=True).update(
            read=timezone.now())
        bell_changed([member])
        live.publish_bell(member.pk)
    return count


def mark_seen_on_page(*, member, topic_id: int, first: int, last: int) -> int:
    """The member is looking at positions first..last of a topic: what they were notified
    about there is read (and will not be emailed)."""
    count = Notification.objects.filter(
        recipient=member, topic_id=topic_id, read__isnull=True,
        post__position__gte=first, post__position__lte=last).update(read=timezone.now())
    if count:
        bell_changed([member])
        live.publish_bell(member.pk)
    return count


# Following, muting, ignoring ----------------------------------------------------------------

TOPIC_LEVELS = {"follow", "mute", "normal"}


def set_topic_watch(*, member, topic: Topic, level: str) -> str:
    """Follow a topic, mute it, or neither ('normal')."""
    if level not in TOPIC_LEVELS:
        raise Invalid("Choose follow, mute or normal.")
    if not permissions.can_see(member, topic):
        raise NotFound("That topic does not exist.")
    if level == "normal":
        TopicWatch.objects.filter(member=member, topic=topic).delete()
    else:
        TopicWatch.objects.update_or_create(member=member, topic=topic,
                                            defaults={"muted": level == "mute"})
    state_changed([member])
    return level


def follow_after_posting(member, topic: Topic) -> None:
    """Replying or starting a topic follows it, unless the member turned that off or muted it
    (a muted topic stays muted)."""
    prefs = Preferences.objects.filter(member=member).first()
    if prefs is None or prefs.follow_on_reply:
        _, created = TopicWatch.objects.get_or_create(member=member, topic=topic)
        if created:
            state_changed([member])


def set_category_follow(*, member, category: Category, follow: bool) -> bool:
    if not permissions.can_see(member, category):
        raise NotFound("That category does not exist.")
    if follow:
        CategoryFollow.objects.get_or_create(member=member, category=category)
    else:
        CategoryFollow.objects.filter(member=member, category=category).delete()
    state_changed([member])
    return follow


def set_member_follow(*, member, other: User, follow: bool) -> bool:
    if other.pk == member.pk:
        raise Invalid("You can't follow yourself.")
    if follow:
        MemberFollow.objects.get_or_create(member=member, followed=other)
    else:
        MemberFollow.objects.filter(member=member, followed=other).delete()
    return follow


def set_ignore(*, member, other: User, ignore: bool) -> bool:
    if other.pk == member.pk:
        raise Invalid("You can't ignore yourself.")
    if ignore and permissions.is_moderator(other):
        raise Invalid("Moderators can't be ignored: they may need to reach you.")
    with transaction.atomic():
        if ignore:
            Ignore.objects.get_or_create(member=member, ignored=other)
            # What they already sent you goes quiet too.
            Notification.objects.filter(recipient=member, actor=other,
                                        read__isnull=True).update(read=timezone.now())
        else:
            Ignore.objects.filter(member=member, ignored=other).delete()
        bell_changed([member])
        state_changed([member])
    return ignore


def save_preferences(*, member, email: str, follow_on_reply: bool,
                     notify_reactions: bool) -> Preferences:
    if email not in Preferences.Email.values:
        raise Invalid("Choose how often to get emails: as they happen, daily, or never.",
                      field="email")
    prefs, _ = Preferences.objects.update_or_create(member=member, defaults={
        "email": email, "follow_on_reply": follow_on_reply,
        "notify_reactions": notify_reactions})
    if email == Preferences.Email.NEVER:  # nothing waiting goes out after all
        Notification.objects.filter(recipient=member, emailed__isnull=True).update(
            emailed=timezone.now())
    return prefs
