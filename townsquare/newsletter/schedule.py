"""What the worker clock queues for this app when it is due (see the worker command).

Daily digests are due every day at NEWSLETTER_SEND_HOUR (UTC), weekly ones on
NEWSLETTER_WEEKLY_DAY (0 = Monday) at that hour. Each tick makes the digest of the latest
due period if none covers it yet (the unique (frequency, period_end) constraint settles two
clocks ticking at once), then looks after digests being sent.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from . import actions, queries, sending
from .models import Delivery, Digest, Frequency


def due_period_end(frequency: str, now: datetime) -> datetime:
    """The latest scheduled send time of `frequency` at or before `now`."""
    slot = now.astimezone(UTC).replace(hour=settings.NEWSLETTER_SEND_HOUR, minute=0,
                                       second=0, microsecond=0)
    if frequency == Frequency.WEEKLY:
        slot -= timedelta(days=(slot.weekday() - settings.NEWSLETTER_WEEKLY_DAY) % 7)
        step = timedelta(days=7)
    else:
        step = timedelta(days=1)
    return slot - step if slot > now else slot


def tick(now: datetime | None = None) -> None:
    now = now or timezone.now()
    for frequency in Frequency.values:
        actions.create_digest(frequency=frequency, period_end=due_period_end(frequency, now))
    check_sending(now)


def check_sending(now: datetime | None = None) -> None:
    """For the clock: finish digests with nothing left to send, and queue again those whose
    sending stalled — pending rows, but no batch queued or progress within the stall cutoff
    (a killed worker), so that another worker resumes them."""
    now = now or timezone.now()
    cutoff = queries.stall_cutoff(now)
    for digest in Digest.objects.filter(status=Digest.Status.SENDING):
        rows = Delivery.objects.filter(digest=digest)
        if not rows.filter(status=Delivery.Status.PENDING).exists():
            sending.finish_digest(digest, now)
        elif (digest.queued is None or digest.queued < cutoff) and not rows.filter(
                attempted__gte=cutoff).exists():
            actions.requeue_digest(digest=digest, seen_queued=digest.queued, now=now)
