"""The bell, live: a member's unread count goes out on the event stream as it changes.

Personal events use topic 0 in the event log (no topic has that id) with the audience
"member:ID"; every stream process hands them to all of that member's open streams, whatever
topic they are reading, and to their personal stream (`/live/me/`) on other pages.
"""

from townsquare.live.events import publish

PERSONAL = 0


def publish_bell(member_id: int) -> None:
    from .queries import fresh_unread_count

    publish(PERSONAL, "bell", lambda: {"unread": fresh_unread_count(member_id)},
            audience=f"member:{member_id}")
