from django.tasks import task

from . import emails


@task
def send_notification_emails(kind: str = "immediately") -> int:
    """Email members what they were notified of and have not seen (see emails.py)."""
    return emails.send_due(kind)
