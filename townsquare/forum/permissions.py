"""Who may do what in the forum: pure predicates, used by views and re-checked by actions."""

from datetime import datetime, timedelta

from django.conf import settings

from townsquare.accounts.models import Role


def is_member(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_moderator(user) -> bool:
    return is_member(user) and user.has_role(Role.MODERATOR)


def visible_levels(user) -> tuple[str, ...]:
    """The `Category.read_role` values whose categories the user may read: "" (everyone)
    for all, then every role the member has (a moderator is an editor and a member too)."""
    if not is_member(user):
        return ("",)
    return ("", *(role for role in Role.values if user.has_role(role)))


def reader_level(user) -> str:
    """What the user may read, as one word for cache keys: "guest" or their highest role."""
    return visible_levels(user)[-1] or "guest"


def can_view_category(user, category) -> bool:
    return not category.read_role or (is_member(user) and user.has_role(category.read_role))


def can_view_topic(user, topic) -> bool:
    return can_view_category(user, topic.category) and (not topic.hidden or is_moderator(user))


def can_view_post(user, post) -> bool:
    return can_view_topic(user, post.topic) and (not post.hidden or is_moderator(user))


def can_reply(user, topic) -> bool:
    if not is_member(user) or not can_view_topic(user, topic):
        return False
    return not topic.locked or is_moderator(user)


def can_start_topic(user, category) -> bool:
    return (is_member(user) and user.has_role(category.start_role)
            and can_view_category(user, category))


def can_quote(user, post) -> bool:
    return can_reply(user, post.topic) and can_view_post(user, post)


def can_edit_post(user, post, now: datetime) -> bool:
    """Authors within the edit window, on a post still shown in an open topic; moderators
    always (but not a deleted post: restore it first)."""
    if not is_member(user) or post.deleted or not can_view_post(user, post):
        return False
    if is_moderator(user):
        return True
    window = timedelta(seconds=settings.POST_EDIT_WINDOW)
    return (post.author_id == user.pk and not post.topic.locked and not post.hidden
            and now - post.created <= window)


def can_delete_post(user, post) -> bool:
    """The author (not the opening post of a topic others replied to) or a moderator."""
    if not is_member(user) or post.deleted or not can_view_post(user, post):
        return False
    if is_moderator(user):
        return True
    opening_with_replies = post.position == 1 and post.topic.post_count > 1
    return post.author_id == user.pk and not opening_with_replies and not post.topic.locked


def can_restore_post(user, post) -> bool:
    if not is_member(user) or not post.deleted or not can_view_post(user, post):
        return False
    return is_moderator(user) or (post.author_id == user.pk and post.deleted_by_id == user.pk)


def can_view_history(user, post) -> bool:
    return can_view_post(user, post) and (not post.deleted or is_moderator(user)
                                          or post.author_id == getattr(user, "pk", None))
