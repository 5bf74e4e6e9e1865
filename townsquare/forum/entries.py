"""Posts as pages and the event stream take them: plain values and the post's own HTML.

A post's `inner` HTML (author, time, body, attribution: `components/post.html#inner`) is the
same for every reader, so it is rendered once per post version and kept in the cache; each
page of a topic is kept, per topic version, as its posts' entries. What goes around a post
for one reader (its controls) is put together by the pages layer (townsquare/pages/posts.py).
"""

from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string

from townsquare.core.memo import versioned_page_part

from .models import Post
from .queries import list_topic_posts

PART_SECONDS = 24 * 3600


class Entry(NamedTuple):
    pk: int
    version: int
    topic_id: int
    author_id: int
    hidden: bool
    deleted: bool
    opening: bool
    self_deleted: bool  # deleted by its author, who may then restore it
    created: float  # a timestamp: the edit window is counted from it
    reaction_counts: dict
    inner: str

    @classmethod
    def of(cls, post: Post, inner: str = "") -> "Entry":
        deleted = post.deleted is not None
        return cls(post.pk, post.version, post.topic_id, post.author_id, post.hidden, deleted,
                   post.position == 1, deleted and post.deleted_by_id == post.author_id,
                   post.created.timestamp(), post.reaction_counts, inner)


def page_entries(topic, page: int) -> tuple[Entry, ...]:
    """One page of the topic's posts, kept per topic version."""
    key = f"posts:{topic.pk}:v{topic.version}:p{page}"
    return versioned_page_part(key, lambda: entries_of(topic, list_topic_posts(topic, page)),
                               PART_SECONDS)


def entries_of(topic, posts: list[Post]) -> tuple[Entry, ...]:
    """The posts' entries, their `inner` HTML from the cache where this version has it."""
    keys = {post.pk: f"post:{post.pk}:v{post.version}:inner" for post in posts}
    found = cache.get_many(list(keys.values()))
    missing = [post for post in posts if keys[post.pk] not in found]
    if missing and any("author" not in post._state.fields_cache for post in missing):
        missing = list(Post.objects.select_related("author").defer("body")
                       .filter(pk__in=[post.pk for post in missing]).order_by("position"))
    fresh = {keys[post.pk]: render_to_string("components/post.html#inner", {
        "post": post, "topic": topic, "site_name": settings.SITE_NAME}) for post in missing}
    if fresh:
        cache.set_many(fresh, PART_SECONDS)
    inner = found | fresh
    return tuple(Entry.of(post, inner[keys[post.pk]]) for post in posts)
