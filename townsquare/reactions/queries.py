from django.db import connection

from townsquare.accounts.state import member_state
from townsquare.forum.entries import Entry

from .models import Kind, Reaction

KINDS = list(Kind.choices)
REACTED_SECONDS = 600


def get_member_reactions(member, post_ids, *, topic_id: int | None = None) -> dict[int, str]:
    """The member's own reaction on each of the given posts (all in topic `topic_id`, when
    given: then a topic they never reacted in costs no query)."""
    if not member.is_authenticated or not post_ids:
        return {}
    if topic_id is not None and topic_id not in reacted_topics(member):
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


def reactions_block(post, *, may: dict) -> dict:
    """Context for a post's reactions block (components/post.html#reactions) outside a page:
    the answer to a reaction, the counts pushed live. `may`: react, pressed."""
    return {"entry": Entry.of(post), "may": may, "kinds": KINDS,
            "counts": reaction_summary(post.reaction_counts)}


def reacted_topics(member) -> frozenset[int]:
    """The topics the member has reacted in (cached under their state version, which a
    first reaction in a topic changes). Most topic pages a member opens hold none of their
    reactions: this spares those the query."""
    return member_state(member, "reacted", lambda: frozenset(
        Reaction.objects.filter(user_id=member.pk).values_list("post__topic_id", flat=True)
        .distinct()), REACTED_SECONDS)
