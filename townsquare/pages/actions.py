"""The bookkeeping of reading a page, in one place."""

from django.conf import settings

from townsquare.forum import actions_reading
from townsquare.forum.viewcounts import count_view
from townsquare.live.actions import touch_presence
from townsquare.notifications.actions import mark_seen_on_page
from townsquare.notifications.queries import bell_state


def record_visit(*, reader, topic_id: int, topic=None, page: int = 1) -> None:
    """A reader opened page `page` of a topic: count the view; for a member (given the topic
    they may read) also show them as browsing it, mark it read up to what the page shows, and
    mark read what they were notified about there (free when there is nothing: the member's
    unread topics are cached)."""
    count_view(topic_id)
    if topic is None or not reader.is_authenticated:
        return
    touch_presence(member=reader, topic=topic)
    per = settings.POSTS_PER_PAGE
    if topic.pk in bell_state(reader)["topics"]:
        mark_seen_on_page(member=reader, topic_id=topic.pk, first=(page - 1) * per + 1,
                          last=page * per)
    actions_reading.record_topic_read(member=reader, topic=topic,
                                      position=min(page * per, topic.post_count))
