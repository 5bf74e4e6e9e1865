"""Writes: notifying at write time, reading, following, muting, ignoring, preferences.

Notifications are made inside the transaction of the post or reaction that causes them, so
they exist exactly when it does. Nobody is notified about a post they cannot see, by a
member they ignore, in a topic they muted, or about their own doing.
"""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.accounts.state import BELL, STATE
from townsquare.core.errors import Invalid, NotFound
from townsquare.core.invalidation import changes, outcome
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

@changes(BELL.of(lambda result, **_: [n.recipient_id for n in result]), atomic=False)
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
        for notification in made:
            live.publish_bell(notification.recipient_id)
    if follow and only is None:
        follow_after_posting(post.author, topic)
    return made


@changes(BELL.of(lambda post, **_: post.author_id, when="result"), atomic=False)
def notify_reaction(*, post: Post, member, kind: str) -> bool:
    """A reaction to `post` by `member` (inside the reaction's transaction): grouped into the
    author's unread reaction notification for that post, if there is one. Returns whether a
    new notification was made."""
    author_id = post.author_id
    if author_id == member.pk or post.hidden or post.deleted:
        return False
    prefs = Preferences.objects.filter(member_id=author_id).first()
    if prefs is not None and not prefs.notify_reactions:
        return False
    if post.topic.category.read_role and not permissions.can_see(post.author, post.topic):
        return False  # the category became private to the author since they wrote
    if Ignore.objects.filter(member_id=author_id, ignored=member).exists() or \
            TopicWatch.objects.filter(member_id=author_id, topic_id=post.topic_id,
                                      muted=True).exists():
        return False
    now = timezone.now()
    grouped = Notification.objects.filter(recipient_id=author_id, post=post, kind=Kind.REACTION,
                                          read__isnull=True)
    if grouped.update(others=F("others") + 1, actor=member, reaction=kind, updated=now):
        return False  # the bell's count is the same: one notification, one more reaction in it
    try:
        with transaction.atomic():
            Notification.objects.create(recipient_id=author_id, kind=Kind.REACTION, post=post,
                                        topic_id=post.topic_id, actor=member, reaction=kind,
                                        created=now, updated=now)
    except IntegrityError:  # another reaction made it first: join that one
        grouped.update(others=F("others") + 1, actor=member, reaction=kind, updated=now)
        return False
    live.publish_bell(author_id)
    return True


# Reading ------------------------------------------------------------------------------------

# Reading is marked from page views and links: a statement and its bump, with no transaction
# of their own (as the page's other statements).

@changes(BELL.of("member", when="read_now"), atomic=False)
def open_notification(*, member, notification_id: int) -> Notification:
    """Mark one notification read and return it (to go to its post). One about a post the
    member may no longer see is missing, as its post is."""
    notification = Notification.objects.select_related("post__topic__category").filter(
        pk=notification_id, recipient=member).first()
    if notification is None or not permissions.can_see(member, notification.post):
        raise NotFound("That notification does not exist.")
    read_now = notification.read is None
    if read_now:
        Notification.objects.filter(pk=notification.pk).update(read=timezone.now())
        live.publish_bell(member.pk)
    return outcome(notification, read_now=read_now)


@changes(BELL.of("member", when="result"))
def mark_all_read(*, member) -> int:
    count = Notification.objects.filter(recipient=member, read__isnull=True).update(
        read=timezone.now())
    live.publish_bell(member.pk)
    return count


@changes(BELL.of("member", when="result"), atomic=False)
def mark_seen_on_page(*, member, topic_id: int, first: int, last: int) -> int:
    """The member is looking at positions first..last of a topic: what they were notified
    about there is read (and will not be emailed)."""
    count = Notification.objects.filter(
        recipient=member, topic_id=topic_id, read__isnull=True,
        post__position__gte=first, post__position__lte=last).update(read=timezone.now())
    if count:
        live.publish_bell(member.pk)
    return count


# Following, muting, ignoring ----------------------------------------------------------------

TOPIC_LEVELS = {"follow", "mute", "normal"}


@changes(STATE.of("member", when="changed"), atomic=False)
def set_topic_watch(*, member, topic: Topic, level: str) -> str:
    """Follow a topic, mute it, or neither ('normal')."""
    if level not in TOPIC_LEVELS:
        raise Invalid("Choose follow, mute or normal.")
    if not permissions.can_see(member, topic):
        raise NotFound("That topic does not exist.")
    watches = TopicWatch.objects.filter(member=member, topic=topic)
    if level == "normal":
        changed = watches.delete()[0] > 0
    else:
        muted = level == "mute"
        changed = watches.exclude(muted=muted).update(muted=muted) > 0
        if not changed:  # none to switch: a new one, or the same level again
            changed = TopicWatch.objects.get_or_create(member=member, topic=topic,
                                                       defaults={"muted": muted})[1]
    return outcome(level, changed=changed)


@changes(STATE.of("member", when="result"), atomic=False)
def follow_after_posting(member, topic: Topic) -> bool:
    """Replying or starting a topic follows it, unless the member turned that off or muted it
    (a muted topic stays muted). Returns whether the member follows it now and did not."""
    prefs = Preferences.objects.filter(member=member).first()
    if prefs is None or prefs.follow_on_reply:
        return TopicWatch.objects.get_or_create(member=member, topic=topic)[1]
    return False


@changes(STATE.of("member", when="changed"), atomic=False)
def set_category_follow(*, member, category: Category, follow: bool) -> bool:
    if not permissions.can_see(member, category):
        raise NotFound("That category does not exist.")
    if follow:
        changed = CategoryFollow.objects.get_or_create(member=member, category=category)[1]
    else:
        changed = CategoryFollow.objects.filter(member=member, category=category).delete()[0] > 0
    return outcome(follow, changed=changed)


def set_member_follow(*, member, other: User, follow: bool) -> bool:
    if other.pk == member.pk:
        raise Invalid("You can't follow yourself.")
    if follow:
        MemberFollow.objects.get_or_create(member=member, followed=other)
    else:
        MemberFollow.objects.filter(member=member, followed=other).delete()
    return follow


@changes(STATE.of("member", when="changed"), BELL.of("member", when="quieted"))
def set_ignore(*, member, other: User, ignore: bool) -> bool:
    if other.pk == member.pk:
        raise Invalid("You can't ignore yourself.")
    if ignore and permissions.is_moderator(other):
        raise Invalid("Moderators can't be ignored: they may need to reach you.")
    quieted = 0
    if ignore:
        changed = Ignore.objects.get_or_create(member=member, ignored=other)[1]
        # What they already sent you goes quiet too.
        quieted = Notification.objects.filter(recipient=member, actor=other,
                                              read__isnull=True).update(read=timezone.now())
    else:
        changed = Ignore.objects.filter(member=member, ignored=other).delete()[0] > 0
    return outcome(ignore, changed=changed, quieted=quieted)


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
