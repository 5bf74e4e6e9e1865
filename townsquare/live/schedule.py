"""What the worker clock queues for the live event log (see the worker command).

Stream processes prune the log as they run, but only while readers stay connected (every
LIVE_PRUNE_EVERY rounds of their presence upkeep): a site whose readers come and go, or that
runs no stream process, would keep every event. So the clock queues the prune once the
oldest event in the database log has outlived LIVE_EVENT_KEEP_SECONDS by a stream process's
pruning interval; a stream process pruning on its own keeps it from falling due. (With
REDIS_URL the stream itself is capped at every append; the database log is its fallback.)
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .models import Event
from .tasks import prune_live_events


def prune_due(now: datetime) -> bool:
    interval = settings.LIVE_PRUNE_EVERY * settings.LIVE_PRESENCE_SECONDS
    limit = now - timedelta(seconds=settings.LIVE_EVENT_KEEP_SECONDS + interval)
    oldest = Event.objects.order_by("pk").values_list("created", flat=True).first()
    return oldest is not None and oldest < limit


def tick(now: datetime | None = None) -> None:
    if prune_due(now or timezone.now()):
        prune_live_events.enqueue()
