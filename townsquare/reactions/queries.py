from django.core.cache import cache
from django.db import connection

from .models import Kind, Reaction

KINDS = list(Kind.choices)
REACTED_SECONDS = 600


def get_member_reactions(member, post_ids, *, topic_id: int | None = None) -> dict[int, str]:
    """The member's own reaction on each of the given posts (all in topic `topic_id`, when
    given: then a topic they never reacted in costs no query)."""
    if not member.is_authenticated or not post_ids:
        return {}
    if topic_id is not None and topic_id not in reacted_topics(member.pk):
        return {}
    # Plain SQL: on a member's topic view this is the one read besides session and user,
    # and building the ORM query cost several times running it.
    marks = ", ".join(["%s"] * len(post_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT post_id, kind FROM {Reaction._meta.db_table} "
            f"WHERE user_id = %s AND post_id IN ({marks})",
            [member.pk, *post_ids],
        )
        return dict(cursor.fetchall())


def reaction_summary(counts: dict) -> list[tuple[str, str, int]]:
    """(kind, label, count) for each reaction a post has, in the site's order."""
    return [(k, label, counts[k]) for k, label in KINDS if counts.get(k)]


def reacted_key(member_id: int) -> str:
    return f"reacted:{member_id}"


def reacted_topics(member_id: int) -> frozenset[int]:
    """The topics the member has reacted in (cached; giving a reaction forgets it). Most
    topic pages a member opens hold none of their reactions: this spares those the query."""
    found = cache.get(reacted_key(member_id))
    if found is None:
        found = frozenset(Reaction.objects.filter(user_id=member_id)
                          .values_list("post__topic_id", flat=True).distinct())
        cache.set(reacted_key(member_id), found, REACTED_SECONDS)
    return found
