"""What a topic's readers are sent live when a post's reactions change (see townsquare/live)."""

from django.template.loader import render_to_string

from townsquare.forum.entries import Entry
from townsquare.live.events import publish

from .queries import reaction_summary


def _audience(post) -> str:
    return "moderators" if post.hidden or post.topic.hidden else "public"


def publish_reactions(post) -> None:
    """The post's new counts (the block guests see: readers' own buttons stay as they are)."""
    publish(post.topic_id, "reactions", lambda: {"post": post.pk, "html": render_to_string(
        "components/post.html#reactions", {"entry": Entry.of(post), "may": {},
                                           "counts": reaction_summary(post.reaction_counts)})},
        audience=_audience(post))
