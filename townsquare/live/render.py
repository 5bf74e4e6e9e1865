"""An event as one kind of reader receives it, in the event stream's wire format.

A post event becomes the post's block exactly as the page would render it for that reader
(guest, member, the post's author, moderator; whether they may reply), built from the page
entry the event carries with the same `rendering.post_controls` the page uses. The block's
forms carry an empty CSRF token: the page's script puts the reader's own into them.
"""

import json
import time
from types import SimpleNamespace

from django.conf import settings

from townsquare.forum import permissions
from townsquare.forum.live import entry_from_event
from townsquare.forum.rendering import ReaderKind, post_controls

POST_EVENTS = {"post_added", "post_changed"}


def sse(event_id: str | None, kind: str, data) -> bytes:
    lines = [f"id: {event_id}"] if event_id else []
    lines.append(f"event: {kind}")
    lines.append("data: " + json.dumps(data, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


def reader_variant(event, conn) -> ReaderKind | None:
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
    return ReaderKind(member_id, conn.moderator, permissions.can_reply(conn.user, topic),
                      topic.locked, topic.post_count)


def render_for(event, variant: ReaderKind | None) -> bytes:
    if variant is None:
        return sse(event.id, event.kind, event.data)
    entry = entry_from_event(event.data)
    edit_after = time.time() - settings.POST_EDIT_WINDOW
    html = entry.shared + post_controls(entry, variant, token="", edit_after=edit_after)
    data = {"post": event.data["post"], "page": event.data["page"], "html": html}
    return sse(event.id, event.kind, data)
