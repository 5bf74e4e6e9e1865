import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from redis import RedisError

from .events import event_log
from .presence import presence_backend
from .queries import presence_key

log = logging.getLogger(__name__)

# A member's presence is written at most this often per topic, per process.
TOUCH_INTERVAL = timedelta(seconds=60)


def touch_presence(*, member, topic) -> None:
    """Record that a member is reading a topic (for "Recently Browsing"); while Redis is
    unreachable the page is shown all the same."""
    if member.is_authenticated and not member.browse_invisibly:
        try:
            record_readers(topic_id=topic.pk, member_ids=[member.pk])
        except RedisError:
            log.warning("presence on topic %s not recorded", topic.pk, exc_info=True)


def record_readers(*, topic_id: int, member_ids: list[int], at: datetime | None = None) -> None:
    """Record that these members are reading a topic now (or were `at` then); a member
    already recorded within TOUCH_INTERVAL is skipped unless `at` is given."""
    if at is None:
        seconds = int(TOUCH_INTERVAL.total_seconds())
        member_ids = [pk for pk in member_ids
                      if cache.add(f"presence:touched:{topic_id}:{pk}", 1, timeout=seconds)]
    if not member_ids:
        return
    presence_backend().record_members(topic_id, member_ids, at or timezone.now())
    cache.delete(presence_key(topic_id))


def set_browse_invisibly(*, member, invisible: bool) -> None:
    """Leave a member out of "Recently Browsing" lists (or put them back)."""
    get_user_model().objects.filter(pk=member.pk).update(browse_invisibly=invisible)
    member.browse_invisibly = invisible


def prune_events() -> int:
    """Drop events older than LIVE_EVENT_KEEP_SECONDS, and beyond the newest LIVE_LOG_LENGTH
    (a reader further behind than that is asked to reload anyway)."""
    return event_log().prune(timedelta(seconds=settings.LIVE_EVENT_KEEP_SECONDS),
                             keep=settings.LIVE_LOG_LENGTH)
