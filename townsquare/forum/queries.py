"""Reads for the forum's pages, each with the joins its page needs and nothing more."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet

from townsquare.core.errors import NotFound

from . import permissions
from .models import Category, Post, Topic

TOPIC_SECONDS = 3600


def get_category(category_id: int) -> Category:
    try:
        return Category.objects.get(pk=category_id)
    except Category.DoesNotExist:
        raise NotFound("That category does not exist.") from None


def list_categories() -> QuerySet[Category]:
    return Category.objects.all()


def list_latest_topics(limit: int = 15) -> QuerySet[Topic]:
    return (
        Topic.objects.filter(hidden=False)
        .select_related("category", "author", "last_poster")
        .order_by("-last_activity")[:limit]
    )


def list_category_topics(category: Category, page: int) -> QuerySet[Topic]:
    per_page = settings.TOPICS_PER_PAGE
    start = (page - 1) * per_page
    return (
        Topic.objects.filter(category=category, hidden=False)
        .select_related("author", "last_poster")
        .order_by("-pinned", "-last_activity")[start : start + per_page]
    )


def get_topic(topic_id: int, user, *, version: int | None = None) -> Topic:
    """A topic the user may see, with its category and author.

    Given the topic's current `version` (from its stamp), the row comes from the cache: the
    key names the version, and every change to the topic bumps it.
    """
    key = f"topic:{topic_id}:v{version}"
    topic = cache.get(key) if version is not None else None
    if topic is None:
        topic = Topic.objects.select_related("category", "author").filter(pk=topic_id).first()
        if topic is not None and topic.version == version:
            cache.set(key, topic, TOPIC_SECONDS)
    if topic is None or not permissions.can_view_topic(user, topic):
        raise NotFound("That topic does not exist.")
    return topic


def list_topic_posts(topic: Topic, page: int) -> list[Post]:
    """One page of posts, selected by position range on the (topic, position) index."""
    per_page = settings.POSTS_PER_PAGE
    first = (page - 1) * per_page + 1
    return list(
        Post.objects.filter(topic=topic, position__gte=first, position__lt=first + per_page)
        .select_related("author")
        .defer("body", "submit_token")
        .order_by("position")
    )


def get_post(post_id: int, user) -> Post:
    post = Post.objects.select_related("topic", "topic__category").filter(pk=post_id).first()
    if post is None or not permissions.can_view_post(user, post):
        raise NotFound("That post does not exist.")
    return post


def list_visible_posts(user, ids: list[int]) -> list[Post]:
    """The posts among `ids` the user may see and quote (not deleted), in topic order."""
    rows = (Post.objects.filter(pk__in=ids, deleted__isnull=True)
            .select_related("topic", "topic__category").order_by("topic_id", "position"))
    return [p for p in rows if permissions.can_view_post(user, p)]


def list_member_recent_posts(member, limit: int = 20) -> QuerySet[Post]:
    return (
        Post.objects.filter(author=member, hidden=False, topic__hidden=False)
        .select_related("topic")
        .order_by("-created")[:limit]
    )


# Stamps: the few columns that decide whether a cached page is still right, read with plain
# SQL because building an ORM query costs more than running it on a cache hit.

def get_topic_stamp(topic_id: int) -> tuple[str, bool, int, int] | None:
    """(slug, hidden, post_count, version) of a topic, or None."""
    return _one(f"SELECT slug, hidden, post_count, version FROM {Topic._meta.db_table} "
                "WHERE id = %s", [topic_id])


def get_category_stamp(category_id: int) -> tuple[str, int, int] | None:
    """(slug, topic_count, version) of a category, or None."""
    return _one(f"SELECT slug, topic_count, version FROM {Category._meta.db_table} "
                "WHERE id = %s", [category_id])


def get_forum_stamp() -> tuple:
    """Changes whenever anything on the home page changes."""
    return _one(f"SELECT COUNT(*), COALESCE(SUM(version), 0), COALESCE(MAX(id), 0) "
                f"FROM {Category._meta.db_table}", [])


def _one(sql: str, params: list):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
