"""Reading drafts cheaply: a topic page asks on every member view whether there is one."""

from django.core.cache import cache

from .models import Draft

INDEX_SECONDS = 24 * 3600


def index_key(member_id: int) -> str:
    return f"drafts:index:{member_id}"


def draft_topics(member) -> frozenset[int]:
    """Ids of the topics the member has a draft in (0 for a new topic), cached per member."""
    key = index_key(member.pk)
    topics = cache.get(key)
    if topics is None:
        topics = frozenset(t or 0 for t in Draft.objects.filter(member=member)
                           .values_list("topic_id", flat=True))
        cache.set(key, topics, INDEX_SECONDS)
    return topics


def get_draft(member, topic) -> Draft | None:
    """The member's draft in `topic` (None: a new topic); no query when they have none."""
    if not member.is_authenticated or (topic.pk if topic else 0) not in draft_topics(member):
        return None
    return Draft.objects.filter(member=member, topic=topic).first()
