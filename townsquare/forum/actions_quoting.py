"""Collecting posts to quote in a reply: kept with the member's draft (the drafts app), for
the posts the forum lets them quote."""

from townsquare.core.errors import Invalid
from townsquare.drafts.actions import toggle_quote

from .queries import get_post


def collect_quote(*, member, post_id: int) -> tuple[bool, list[int]]:
    """Add a post to (or take it out of) the quotes the member is collecting in its topic:
    a post they may see (NotFound otherwise), not deleted.

    Returns whether it is now collected, and the collected ids.
    """
    post = get_post(post_id, member)  # NotFound for posts the member can't see
    if post.deleted:
        raise Invalid("That post was deleted; it can't be quoted.")
    return toggle_quote(member=member, post_id=post.pk, topic_id=post.topic_id)
