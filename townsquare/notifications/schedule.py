"""What the worker clock queues for notifications (see the worker command)."""

from django.conf import settings
from django.utils import timezone

from . import emails


def tick() -> None:
    from .tasks import send_notification_emails

    if emails.due_immediately().exists():
        send_notification_emails.enqueue("immediately")
    if timezone.now().hour == settings.NOTIFY_DAILY_HOUR and emails.due_daily().exists():
        send_notification_emails.enqueue("daily")
