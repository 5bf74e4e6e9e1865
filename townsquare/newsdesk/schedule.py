"""What the worker clock queues for the news desk when it is due (see the worker command)."""

from datetime import timedelta

from django.utils import timezone

from .actions.sources import due_sources
from .models import Source, Story

# A poll queued this long ago that never finished (its worker was killed) is queued again.
STALE_POLL = timedelta(minutes=15)


def tick() -> None:
    from .tasks import poll_source, publish_due_stories

    now = timezone.now()
    Source.objects.filter(polling_since__lt=now - STALE_POLL).update(polling_since=None)
    for source_id in due_sources(now):
        poll_source.enqueue(source_id)
    if Story.objects.filter(status=Story.Status.SCHEDULED, publish_at__lte=now).exists():
        publish_due_stories.enqueue()
