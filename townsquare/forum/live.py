"""What a topic's readers are sent live when its posts change (see townsquare/live)."""

from townsquare.live.events import publish

from .models import Post
from .rendering import counts_html, live_entry


def _audience(post: Post) -> str:
    return "moderators" if post.hidden or post.topic.hidden else "public"


def publish_post_added(post: Post) -> None:
    """A new post: readers on its page get it appended (guests and members each their way)."""
    entry = live_entry(post)
    end = "</footer>\n</article>\n"
    publish(post.topic_id, "post_added", {
        "post": post.pk, "position": post.position, "page": post.page,
        "author": post.author_id,
        "guest": entry.shared + entry.counts + end,
        # The reader's CSRF token goes where the hole is; the page's script fills it in.
        "member": entry.shared + entry.react + entry.quote + end,
    }, audience=_audience(post))


def publish_post_changed(post: Post) -> None:
    """An edit or a restore: the post's body is replaced in place."""
    publish(post.topic_id, "post_changed", {"post": post.pk, "html": post.html,
                                            "edited": post.edited is not None},
            audience=_audience(post))


def publish_post_removed(post: Post) -> None:
    publish(post.topic_id, "post_removed", {"post": post.pk}, audience="public")


def publish_reactions(post: Post) -> None:
    publish(post.topic_id, "reactions", {"post": post.pk, "html": counts_html(post)},
            audience=_audience(post))
