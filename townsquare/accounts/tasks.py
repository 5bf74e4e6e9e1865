from django.tasks import task

from . import emails


@task
def send_registration_email(registration_id: int) -> str:
    """Email a registration's address: the link that finishes it, or a note to the owner
    of an account that already uses the address (see emails.py)."""
    return emails.send_registration_email(registration_id)


@task
def send_password_reset(email: str) -> int:
    """Email a reset link to the accounts using `email`, if any."""
    return emails.send_password_reset(email)
