"""Who may do what in the forum: pure predicates, used by views and re-checked by actions."""

from townsquare.accounts.models import Role


def is_member(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_moderator(user) -> bool:
    return is_member(user) and user.has_role(Role.MODERATOR)


def can_view_topic(user, topic) -> bool:
    return not topic.hidden or is_moderator(user)


def can_view_post(user, post) -> bool:
    return can_view_topic(user, post.topic) and (not post.hidden or is_moderator(user))


def can_reply(user, topic) -> bool:
    if not is_member(user) or not can_view_topic(user, topic):
        return False
    return not topic.locked or is_moderator(user)


def can_start_topic(user, category) -> bool:
    return is_member(user) and user.has_role(category.start_role)


def can_quote(user, post) -> bool:
    return can_reply(user, post.topic) and can_view_post(user, post)
