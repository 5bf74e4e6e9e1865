from django.db import connection

from .models import Kind, Reaction

KINDS = list(Kind.choices)


def get_member_reactions(member, post_ids) -> dict[int, str]:
    """The member's own reaction on each of the given posts."""
    if not member.is_authenticated or not post_ids:
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
