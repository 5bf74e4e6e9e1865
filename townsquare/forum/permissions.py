"""Who may do what in the forum: pure predicates, used by views and re-checked by actions."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from townsquare.accounts.models import ROLE_RANK, Role

from .models import Category, Topic


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


# The one visibility rule. Whatever shows forum content (pages, fragments, quotes, previews,
# the event stream, emails, digests, profiles, uploads) asks can_see, or filters its query with
# visible_filter, which says the same thing in SQL. A category, topic or post has an audience:
# the lowest rank allowed to see it (GUEST for everyone). A private category raises it to its
# read_role; a hidden topic or post raises it to moderators.
GUEST = -1
MODERATORS = ROLE_RANK[Role.MODERATOR]


def reader_rank(user) -> int:
    """How far up the ranks the reader sees: GUEST, or their highest role's rank."""
    if not is_member(user):
        return GUEST
    return ROLE_RANK[Role.ADMIN] if user.is_superuser else ROLE_RANK[Role(user.role)]


def audience_rank(obj) -> int:
    """The lowest reader rank that may see `obj`, a category, topic or post (or anything
    shaped like one: the event stream rebuilds topics from an event's fields)."""
    if hasattr(obj, "topic"):  # a post
        return max(audience_rank(obj.topic), MODERATORS if obj.hidden else GUEST)
    if hasattr(obj, "category"):  # a topic
        return max(audience_rank(obj.category), MODERATORS if obj.hidden else GUEST)
    return ROLE_RANK[Role(obj.read_role)] if obj.read_role else GUEST


def can_see(reader, obj) -> bool:
    """May `reader` (a member, a guest or None) see `obj`, a category, topic or post, now?

    A deleted post is still seen (as a "deleted" placeholder on its page); lists that leave
    deleted posts out say so themselves."""
    return reader_rank(reader) >= audience_rank(obj)


# Names the forum's permissions read well with; each is the same rule.
can_view_category = can_view_topic = can_view_post = can_see


def visible_filter(reader, model, path: str = "") -> Q:
    """can_see as a query filter on `model` (Category, Topic or Post) rows reached through
    `path` ("" for the model itself, e.g. "post__" from a notification)."""
    levels = visible_levels(reader)
    if model is Category:
        return Q(**{f"{path}read_role__in": levels})
    if model is Topic:
        shown = visible_filter(reader, Category, f"{path}category__")
    else:
        shown = visible_filter(reader, Topic, f"{path}topic__")
    return shown if is_moderator(reader) else shown & Q(**{f"{path}hidden": False})


def can_attribute_quote(writer, quoted, destination) -> bool:
    """Whether a quote of post `quoted` written by `writer` into `destination` (the topic it
    is posted in, or the category of a topic about to start; None when unknown) shows who
    wrote the quoted post, when, and links to it (or says it was removed).

    Only when the writer may see the quoted post, and so may every reader of the
    destination: the header is stored in the quoting post's HTML, which they all read.
    Otherwise the quote resolves exactly as one of a post that does not exist: the text as
    typed, no header, no link kept between the posts, nobody notified.
    """
    reach = GUEST if destination is None else audience_rank(destination)
    return attributable(reader_rank(writer), audience_rank(quoted), reach)


def attributable(writer_rank: int, quoted_rank: int, destination_rank: int) -> bool:
    """can_attribute_quote in ranks (the importer keeps ranks, not a million posts)."""
    return quoted_rank <= min(writer_rank, destination_rank)


def can_reply(user, topic) -> bool:
    if not is_member(user) or not can_view_topic(user, topic):
        return False
    return not topic.locked or is_moderator(user)


def can_start_topic(user, category) -> bool:
    return (is_member(user) and user.has_role(category.start_role)
            and can_view_category(user, category))


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
