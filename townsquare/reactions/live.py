"""What a topic's readers are sent live when a post's reactions change (see townsquare/live)."""

from django.template.loader import render_to_string

from townsquare.live.events import publish

from .queries import reactions_block


def _audience(post) -> str:
    return "moderators" if post.hidden or post.topic.hidden else "public"


def publish_reactions(post) -> None:
    """The post's new counts (the block guests see: readers' own buttons stay as they are)."""
    publish(post.topic_id, "reactions", lambda: {"post": post.pk, "html": render_to_string(
        "components/post.html#reactions", reactions_block(post, may={}))},
        audience=_audience(post))
