"""Reads for the forum's pages, each with the joins its page needs and nothing more."""

import operator
from dataclasses import dataclass
from functools import reduce
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import IntegerField, Q, QuerySet, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce

from townsquare.core.errors import NotFound
from townsquare.core.links import url_for
from townsquare.core.pagination import Page, page_of
from townsquare.uploads.models import Upload

from . import permissions
from .models import Category, CategoryRead, Post, Topic, TopicRead

TOPIC_SECONDS = 3600
KNOWN_READ_SECONDS = 3600
# Topics and posts on one page of a profile's lists.
PROFILE_PER_PAGE = 20


def get_category(category_id: int, user) -> Category:
    """A category the user may read (a private one is missing for everybody else). Plain SQL:
    on a member's category page this is the one read besides session, user and unread marks,
    and building the ORM query cost several times running it."""
    fields = Category._meta.concrete_fields
    row = _one(f"SELECT {', '.join(connection.ops.quote_name(f.column) for f in fields)} "
               f"FROM {Category._meta.db_table} WHERE id = %s", [category_id])
    category = Category.from_db("default", [f.attname for f in fields], row) if row else None
    if category is None or not permissions.can_see(user, category):
        raise NotFound("That category does not exist.")
    return category


def list_categories(user) -> QuerySet[Category]:
    return Category.objects.filter(permissions.visible_filter(user, Category))


def list_latest_topics(user, limit: int = 15) -> QuerySet[Topic]:
    return (
        Topic.objects.filter(permissions.visible_filter(user, Topic), hidden=False)
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
    if topic is None or not permissions.can_see(user, topic):
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
    if post is None or not permissions.can_see(user, post):
        raise NotFound("That post does not exist.")
    return post


def list_member_topics(member, page: int, viewer) -> Page:
    """The member's topics that the viewer may see (not hidden, not in a category private to
    them), newest first."""
    rows = Topic.objects.filter(permissions.visible_filter(viewer, Topic), author=member,
                                hidden=False)
    return page_of(rows, page, PROFILE_PER_PAGE, lambda rows: (
        rows.select_related("category").only("slug", "title", "created", "category__title")
        .order_by("-created", "-pk")))


def list_member_posts(member, page: int, viewer) -> Page:
    """The member's posts that the viewer may see (not hidden, not deleted, not in a hidden
    topic or a category private to them), newest first."""
    rows = Post.objects.filter(permissions.visible_filter(viewer, Post), author=member,
                               hidden=False, deleted__isnull=True, topic__hidden=False)
    return page_of(rows, page, PROFILE_PER_PAGE, lambda rows: (
        rows.select_related("topic").only("created", "position", "topic__title")
        .order_by("-created", "-pk")))


def get_file_audience(reader, name: str) -> int | None:
    """Who may fetch the stored file `name`: an image is as visible as the post that shows
    it. The audience rank of that post (see permissions.audience_rank), GUEST for any other
    file or an image no post shows (yet), or None when `reader` may not see that post: the
    file is then missing for them, like the post."""
    if not name.startswith("uploads/"):
        return permissions.GUEST
    upload = (Upload.objects.filter(Q(file=name) | Q(thumbnail=name))
              .select_related("post__topic__category").only(
                  "post__hidden", "post__topic__hidden", "post__topic__category__read_role")
              .first())
    if upload is None or upload.post is None:
        return permissions.GUEST
    if not permissions.can_see(reader, upload.post):
        return None
    return permissions.audience_rank(upload.post)


def get_preview_destination(member, *, topic_id: int | None = None,
                            post_id: int | None = None, category_id: int | None = None):
    """Where a previewed body is going (the topic replied in, the topic of the post edited,
    or the category of a new topic), so that its quotes show as they will once posted (see
    permissions.can_attribute_quote). None, read as "public", when that is unknown or
    not the member's to see."""
    try:
        if topic_id is not None:
            return get_topic(topic_id, member)
        if post_id is not None:
            return get_post(post_id, member).topic
        if category_id is not None:
            return get_category(category_id, member)
    except NotFound:
        pass
    return None


def list_visible_posts(user, ids: list[int]) -> list[Post]:
    """The posts among `ids` the user may see and quote (not deleted), in topic order."""
    rows = (Post.objects.filter(pk__in=ids, deleted__isnull=True)
            .select_related("topic", "topic__category").order_by("topic_id", "position"))
    return [p for p in rows if permissions.can_see(user, p)]


def list_recommended_replies(topic: Topic) -> list[Post]:
    """The replies with the most positive reactions (weighted by REPUTATION_WEIGHTS), at
    most RECOMMENDED_MAX with at least RECOMMENDED_MIN_REACTIONS each; ties go to the earlier
    reply. Hidden and deleted replies are left out.

    It reads every reply of the topic, so callers keep the result per topic version.
    """
    weights = {kind: w for kind, w in settings.REPUTATION_WEIGHTS.items() if w}
    positive = [kind for kind, w in weights.items() if w > 0]
    if not positive:
        return []

    def count(kind: str):
        return Coalesce(Cast(KT(f"reaction_counts__{kind}"), IntegerField()), Value(0))

    return list(
        Post.objects.filter(topic=topic, position__gt=1, hidden=False, deleted__isnull=True)
        .alias(positive=reduce(operator.add, [count(k) for k in positive]))
        .annotate(score=reduce(operator.add, [count(k) * Value(w) for k, w in weights.items()]))
        .filter(positive__gte=settings.RECOMMENDED_MIN_REACTIONS)
        .select_related("author")
        .only("pk", "topic_id", "position", "html", "reaction_counts", "author__username")
        .order_by("-score", "position")[: settings.RECOMMENDED_MAX]
    )


@dataclass(frozen=True, slots=True)
class Unread:
    """Where a member's unread posts in a topic begin."""

    topic_id: int
    slug: str
    post_count: int
    read_to: int  # the position the member last viewed (TopicRead), 0 when none
    first_position: int  # the first unread post's position; past the end when all are read
    first_post_id: int | None

    @property
    def all_read(self) -> bool:
        return self.first_position > self.post_count

    @property
    def never_read(self) -> bool:
        return self.first_position == 1

    @property
    def new_count(self) -> int:
        return max(self.post_count - self.first_position + 1, 0)

    @property
    def url(self) -> str:
        """The first unread post on its page (the topic's own URL when the member never opened
        it or has read it all)."""
        url = url_for("topic", self.topic_id, self.slug)
        if self.never_read or self.all_read or self.first_post_id is None:
            return url
        page = (self.first_position - 1) // settings.POSTS_PER_PAGE + 1
        # Always with ?page=: the plain URL would send the member here again.
        return f"{url}?page={page}#post-{self.first_post_id}"


def list_unread(member_id: int, topic_ids: list[int]) -> dict[int, Unread]:
    """Where the member's unread posts begin in each of the topics, in one query.

    A topic is read up to the higher of two marks: the position the member last viewed
    (TopicRead) and, when they marked its category read, the last post written before that
    (a topic with no activity since is read to its end). Positions are handed out in the
    order posts are written, so the first post after the mark is found on the
    (topic, created) index without counting.
    """
    if not topic_ids:
        return {}
    marks = ", ".join(["%s"] * len(topic_ids))
    t, r, c, p = (Topic._meta.db_table, TopicRead._meta.db_table,
                  CategoryRead._meta.db_table, Post._meta.db_table)
    sql = f"""
        SELECT x.id, x.slug, x.post_count, x.read_to, x.first_unread, p.id
        FROM (
            SELECT y.id, y.slug, y.post_count, y.read_to,
                   CASE WHEN y.read_to + 1 > y.after_mark THEN y.read_to + 1
                        ELSE y.after_mark END AS first_unread
            FROM (
                SELECT t.id, t.slug, t.post_count,
                       COALESCE(r.last_read_position, 0) AS read_to,
                       CASE WHEN c.marked_at IS NULL THEN 1
                            WHEN c.marked_at >= t.last_activity THEN t.post_count + 1
                            ELSE COALESCE((SELECT a.position FROM {p} a
                                           WHERE a.topic_id = t.id AND a.created > c.marked_at
                                           ORDER BY a.created LIMIT 1), t.post_count + 1)
                       END AS after_mark
                FROM {t} t
                LEFT JOIN {r} r ON r.topic_id = t.id AND r.member_id = %s
                LEFT JOIN {c} c ON c.category_id = t.category_id AND c.member_id = %s
                WHERE t.id IN ({marks})
            ) y
        ) x
        LEFT JOIN {p} p ON p.topic_id = x.id AND p.position = x.first_unread
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [member_id, member_id, *topic_ids])
        return {row[0]: Unread(*row) for row in cursor.fetchall()}


def get_topic_unread(member, topic: Topic) -> Unread | None:
    """Where the member's unread posts in the topic begin, or None when all are read (then
    often known from the cache without a query)."""
    if known_read(member.pk, topic.pk) >= topic.post_count:
        return None
    unread = list_unread(member.pk, [topic.pk]).get(topic.pk)
    if unread is None:
        return None
    remember_read(member.pk, topic.pk, unread.read_to)
    return None if unread.all_read else unread


def known_read(member_id: int, topic_id: int) -> int:
    """A position the member's TopicRead row is known to have reached (0 when none is
    remembered).

    The row only moves forward, so a remembered position stays true: it may be behind the
    database, never ahead of it.
    """
    return cache.get(f"read:{member_id}:{topic_id}") or 0


def remember_read(member_id: int, topic_id: int, position: int) -> None:
    cache.set(f"read:{member_id}:{topic_id}", position, KNOWN_READ_SECONDS)


# Stamps: the few columns that decide whether a cached page is still right, read with plain
# SQL because building an ORM query costs more than running it on a cache hit.

class TopicStamp(NamedTuple):
    """What a topic's page cache keys are made of, read in one indexed query."""

    slug: str
    hidden: bool
    post_count: int
    version: int
    read_role: str  # its category's

    @property
    def public(self) -> bool:
        """Whether every guest sees the same page (kept whole for them)."""
        return not self.hidden and not self.read_role


class CategoryStamp(NamedTuple):
    slug: str
    topic_count: int
    version: int
    read_role: str

    @property
    def public(self) -> bool:
        return not self.read_role


class ForumStamp(NamedTuple):
    """Changes whenever anything on the home page changes."""

    categories: int
    versions: int
    newest: int

    def __str__(self) -> str:
        return f"{self.categories}:{self.versions}:{self.newest}"


def get_topic_stamp(topic_id: int) -> TopicStamp | None:
    row = _one(f"SELECT t.slug, t.hidden, t.post_count, t.version, c.read_role "
               f"FROM {Topic._meta.db_table} t JOIN {Category._meta.db_table} c "
               "ON c.id = t.category_id WHERE t.id = %s", [topic_id])
    return TopicStamp(*row) if row else None


def get_category_stamp(category_id: int) -> CategoryStamp | None:
    row = _one(f"SELECT slug, topic_count, version, read_role "
               f"FROM {Category._meta.db_table} WHERE id = %s", [category_id])
    return CategoryStamp(*row) if row else None


def get_forum_stamp() -> ForumStamp:
    return ForumStamp(*_one(f"SELECT COUNT(*), COALESCE(SUM(version), 0), COALESCE(MAX(id), 0) "
                            f"FROM {Category._meta.db_table}", []))


def _one(sql: str, params: list):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
