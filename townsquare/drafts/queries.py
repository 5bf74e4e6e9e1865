"""Reading drafts cheaply: a topic page asks on every member view whether there is one."""

from townsquare.accounts.state import member_state

from .models import Draft

INDEX_SECONDS = 24 * 3600


def draft_topics(member) -> frozenset[int]:
    """Ids of the topics the member has a draft in (0 for a new topic), cached per member
    (a draft made or deleted changes the member's state version)."""
    return member_state(member, "drafts", lambda: frozenset(
        t or 0 for t in Draft.objects.filter(member=member).values_list("topic_id", flat=True)),
        INDEX_SECONDS)


def get_draft(member, topic) -> Draft | None:
    """The member's draft in `topic` (None: a new topic); no query when they have none."""
    if not member.is_authenticated or (topic.pk if topic else 0) not in draft_topics(member):
        return None
    return Draft.objects.filter(member=member, topic=topic).first()
