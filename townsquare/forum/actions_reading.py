"""Writes of read tracking: how far a member has read a topic, and "mark all read".

A page view records the highest position it showed in one statement that only ever moves
the mark forward, so two views racing (two tabs, a slow request) can never move it back.
The cache also remembers, per member and topic, a position the member is known to have
read to (`queries.known_read`): marks only grow, so a remembered value is never more than
the truth, and a view that shows nothing past it writes nothing.
"""

from django.db import connection
from django.utils import timezone

from townsquare.core.errors import Forbidden, NotFound

from .models import Category, CategoryRead, Post, Topic, TopicRead
from .permissions import can_view_category, can_view_topic, is_member
from .queries import known_read, remember_read


def record_topic_read(*, member, topic: Topic, position: int) -> None:
    """The member has seen the topic's posts up to `position`: move their mark forward."""
    if not is_member(member) or not can_view_topic(member, topic) or position < 1:
        return
    if known_read(member.pk, topic.pk) >= position:
        return
    table = TopicRead._meta.db_table
    # An upsert whose update applies only when it moves forward: one statement, so safe when
    # two requests race, on SQLite and PostgreSQL alike.
    sql = (f"INSERT INTO {table} (member_id, topic_id, last_read_position, updated) "
           "VALUES (%s, %s, %s, %s) ON CONFLICT (member_id, topic_id) DO UPDATE SET "
           "last_read_position = excluded.last_read_position, updated = excluded.updated "
           f"WHERE {table}.last_read_position < excluded.last_read_position")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [member.pk, topic.pk, position, now])
    remember_read(member.pk, topic.pk, position)


def record_own_reply_read(*, member, post: Post) -> None:
    """A member who had read everything before their reply has read their reply too (it is
    added to their page without a page view); otherwise the posts between stay unread."""
    done = TopicRead.objects.filter(
        member_id=member.pk, topic_id=post.topic_id, last_read_position=post.position - 1,
    ).update(last_read_position=post.position, updated=timezone.now())
    if done:
        remember_read(member.pk, post.topic_id, post.position)


def mark_category_read(*, member, category: Category) -> CategoryRead:
    """Every topic in the category counts as read up to now: one row, however many topics."""
    if not is_member(member):
        raise Forbidden("Sign in to mark topics read.")
    if not can_view_category(member, category):
        raise NotFound("That category does not exist.")
    mark = CategoryRead(member=member, category=category, marked_at=timezone.now())
    CategoryRead.objects.bulk_create([mark], update_conflicts=True,
                                     unique_fields=["member", "category"],
                                     update_fields=["marked_at"])
    return mark
