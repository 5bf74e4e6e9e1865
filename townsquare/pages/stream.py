"""The site's rules for the event stream (townsquare/live), named by settings.LIVE_READERS:
who may open and keep a stream, and how an event reads for each kind of reader.

Who may still read an open stream: the same rule as the page (`can_view_topic`), applied
to what the stream process knows of each topic and member.

The hub keeps, per topic with readers, the two things the rule reads of it (its category's
`read_role`, whether it is hidden), and each connection keeps its member. Both change only
through "access" events, which the writes that change them publish into the log (a topic
moved, hidden or shown; a category's read rule; a member's role or deactivation), and through
a fresh read of the rows: after each such event, and every LIVE_PRESENCE_SECONDS as a safety
net. Checking a connection is then plain Python, never a query.
"""

from types import SimpleNamespace

from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser

from townsquare.accounts.models import User
from townsquare.core.errors import Forbidden
from townsquare.forum import permissions
from townsquare.forum.live import entry_from_event
from townsquare.forum.models import Topic
from townsquare.forum.queries import get_topic
from townsquare.live.hub import PERSONAL
from townsquare.live.wire import sse

from .posts import May, Reader, edit_after, post_shell

POST_EVENTS = {"post_added", "post_changed"}
is_moderator = permissions.is_moderator

# What the rule reads of a member (`is_member`, `has_role`).
MEMBER_FIELDS = ("role", "is_active", "is_superuser")


def topic_access(category_id: int, read_role: str, hidden: bool) -> SimpleNamespace:
    """What `can_view_topic` reads of a topic."""
    return SimpleNamespace(category_id=category_id, hidden=hidden,
                           category=SimpleNamespace(read_role=read_role))


def may_read(user, topic, personal: bool) -> bool:
    """May this reader (None for a guest; a member, as they are now) keep this stream?

    A member's stream is theirs only while they are a member: once deactivated it ends even
    where a guest could read, and they reload as what they now are."""
    if user is not None and not permissions.is_member(user):
        return False
    if personal:
        return user is not None
    return topic is not None and permissions.can_view_topic(user, topic)


def event_allows(user, event) -> bool:
    """A post event names the topic's read rule as it was when it was written: a reader must
    pass that too (the hub's own view of the topic may be a moment behind the log)."""
    carried = event.data.get("topic") if isinstance(event.data, dict) else None
    if not isinstance(carried, dict) or not (carried.get("read_role")
                                             or carried.get("hidden")):
        return True
    return permissions.can_view_topic(user, topic_access(0, carried.get("read_role", ""),
                                                         bool(carried.get("hidden"))))


def apply_member(user, values: dict) -> None:
    """Give a connection's member the role and state they have now."""
    for field in MEMBER_FIELDS:
        if field in values:
            setattr(user, field, values[field])


def current_access(topic_ids: list[int], member_ids: list[int]) -> tuple[dict, dict]:
    """The topics' and members' access as the database has it now (two queries): {topic id:
    topic_access}, {member id: {field: value}}; a row that is gone is left out."""
    topics = {pk: topic_access(category, read_role, hidden) for pk, category, read_role, hidden
              in Topic.objects.filter(pk__in=topic_ids).values_list(
                  "pk", "category_id", "category__read_role", "hidden")} if topic_ids else {}
    members = {row.pop("pk"): row for row in User.objects.filter(pk__in=member_ids)
               .values("pk", *MEMBER_FIELDS)} if member_ids else {}
    return topics, members


def reader(request, topic_id: int):
    """(member or None, moderator?, the topic's access) for a connection opened with this
    request (its session), or raise NotFound like the page."""
    user = get_user(request) if request.session.session_key else AnonymousUser()
    if topic_id == PERSONAL:
        if not permissions.is_member(user):
            raise Forbidden("Sign in to get your notifications.")
        return user, permissions.is_moderator(user), None
    topic = get_topic(topic_id, user)
    member = user if permissions.is_member(user) else None
    admitted = topic_access(topic.category_id, topic.category.read_role, topic.hidden)
    return member, permissions.is_moderator(user), admitted


def reader_variant(event, conn) -> Reader | None:
    """What about this reader changes how they get the event (None: nothing does)."""
    if event.kind not in POST_EVENTS:
        return None
    data = event.data
    fields = dict(data["topic"])
    category = SimpleNamespace(read_role=fields.pop("read_role", ""))
    topic = SimpleNamespace(category=category, **fields)
    if conn.user is None:
        member_id = None
    else:  # only whether it is their own post matters, not who they are
        member_id = data["author"] if conn.member_id == data["author"] else -1
    return Reader(member_id, conn.moderator, permissions.can_reply(conn.user, topic),
                  topic.locked, topic.post_count)


def render_for(event, variant: Reader | None) -> bytes:
    """The event as this kind of reader receives it: a post event carries the post as the
    page would show it to them, with an empty CSRF token for the page's script to fill."""
    if variant is None:
        return sse(event.id, event.kind, event.data)
    entry = entry_from_event(event.data)
    html = post_shell(entry, May.of(entry, variant, edit_after=edit_after())).fill(None)
    data = {"post": event.data["post"], "page": event.data["page"], "html": html}
    return sse(event.id, event.kind, data)
