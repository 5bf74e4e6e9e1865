from .models import Kind, Reaction

KINDS = list(Kind.choices)


def get_member_reactions(member, post_ids) -> dict[int, str]:
    """The member's own reaction on each of the given posts."""
    if not member.is_authenticated or not post_ids:
        return {}
    rows = Reaction.objects.filter(user=member, post_id__in=post_ids).values_list("post_id", "kind")
    return dict(rows)


def reaction_summary(counts: dict) -> list[tuple[str, str, int]]:
    """(kind, label, count) for each reaction a post has, in the site's order."""
    return [(k, label, counts[k]) for k, label in KINDS if counts.get(k)]
