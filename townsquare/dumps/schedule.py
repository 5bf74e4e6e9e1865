"""What the worker clock queues for backups (see the worker command).

With BACKUP_DIR set, a backup is due every day at BACKUP_HOUR (UTC). Each tick queues the
backup of the latest due time unless one was queued for it already (several workers' clocks
race on ScheduledBackup's unique period, and one wins). A site that sets BACKUP_DIR gets its
first backup at the next tick.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import ScheduledBackup
from .tasks import run_scheduled_backup


def due_period(now: datetime) -> datetime:
    """The latest BACKUP_HOUR:00 UTC at or before `now`."""
    slot = now.astimezone(UTC).replace(hour=settings.BACKUP_HOUR, minute=0, second=0,
                                       microsecond=0)
    return slot - timedelta(days=1) if slot > now else slot


def tick(now: datetime | None = None) -> None:
    if not settings.BACKUP_DIR:
        return
    period = due_period(now or timezone.now())
    if not ScheduledBackup.objects.filter(period=period).exists():
        queue_scheduled_backup(period=period)


def queue_scheduled_backup(*, period: datetime) -> ScheduledBackup | None:
    """The backup of the period ending at `period`, queued once: None when it already was
    (by this clock or another worker's; the unique period settles a race)."""
    try:
        with transaction.atomic():
            backup = ScheduledBackup.objects.create(period=period, queued=timezone.now())
    except IntegrityError:
        return None
    transaction.on_commit(lambda: run_scheduled_backup.enqueue(backup.pk))
    return backup
