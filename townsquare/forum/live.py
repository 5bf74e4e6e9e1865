"""What a topic's readers are sent live when its posts change (see townsquare/live).

A post event carries the post's entry (forum/entries.py: its values and its `inner` HTML); the
stream process puts the post together per kind of reader with the same code and template as
the page (townsquare/pages/posts.py), with an empty CSRF token for the page's script to fill.
"""

from townsquare.live.events import ACCESS, HUB, publish

from .entries import Entry, entries_of
from .models import Post


def _audience(post: Post) -> str:
    # A hidden or deleted post's entry holds only its placeholder, so everyone may have it;
    # a hidden topic's events are for the moderators who can still open it.
    return "moderators" if post.topic.hidden else "public"


def _post_event(post: Post) -> dict:
    topic = post.topic
    return {"post": post.pk, "page": post.page, "author": post.author_id,
            "entry": entries_of(topic, [post])[0]._asdict(),
            # A new post's topic row was read before the post was counted in it.
            "topic": {"hidden": topic.hidden, "locked": topic.locked,
                      "read_role": topic.category.read_role,
                      "post_count": max(topic.post_count, post.position)}}


def publish_post_added(post: Post) -> None:
    """A new post: readers on its page get it appended, the others a "new replies" note."""
    publish(post.topic_id, "post_added", lambda: _post_event(post), audience=_audience(post))


def publish_post_changed(post: Post) -> None:
    """An edit, a restore, a deletion or hiding: the post's whole block is replaced."""
    publish(post.topic_id, "post_changed", lambda: _post_event(post),
            audience=_audience(post))


publish_post_removed = publish_post_changed


def publish_topic_access(topic) -> None:
    """A topic moved, hidden or shown: streams check at once who may still read it."""
    publish(topic.pk, ACCESS, {"topic": topic.pk, "category": topic.category_id,
                               "read_role": topic.category.read_role, "hidden": topic.hidden},
            audience=HUB)


def publish_category_access(category) -> None:
    """A category's read rule changed: streams check the readers of each of its topics."""
    publish(0, ACCESS, {"category": category.pk, "read_role": category.read_role},
            audience=HUB)


def entry_from_event(data: dict) -> Entry:
    return Entry(**data["entry"])
