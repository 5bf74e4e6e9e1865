"""The accounts' emails, sent by the worker (tasks.py), never in a request: a request that
sent them would take longer when an address has an account. Every link in them is made from
SITE_URL, never from a request's Host header.
"""

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import Registration, User
from .tokens import REGISTRATION_VALID, registration_token


def send_registration_email(registration_id: int) -> str:
    """The link that finishes a registration or, when the address already has an account,
    a note to its owner with a reset link. Marked sent once sent: running again sends
    nothing more (and a failed send can be run again)."""
    registration = Registration.objects.filter(pk=registration_id, emailed__isnull=True).first()
    if registration is None:
        return "already sent"
    owner = User.objects.filter(email__iexact=registration.email).first()
    if owner is not None:
        # Nothing waits for this registration: the address's owner hears of it instead.
        if _can_reset(owner):
            _send(owner.email, f"Someone tried to register on {settings.SITE_NAME} with your "
                  "address", "accounts/email/registration_taken.txt",
                  {"member": owner, "reset_url": reset_url(owner)})
        registration.delete()
        return "taken"
    _send(registration.email, f"Finish creating your {settings.SITE_NAME} account",
          "accounts/email/registration_confirm.txt",
          {"registration": registration, "days": REGISTRATION_VALID.days,
           "confirm_url": absolute("register_confirm", registration_token(registration))})
    Registration.objects.filter(pk=registration_id).update(emailed=timezone.now())
    return "sent"


def send_password_reset(email: str) -> int:
    """A reset link to each active account using `email` (in any letter case) that has a
    password. Returns how many were sent."""
    owners = list(PasswordResetForm().get_users(email))
    for member in owners:
        _send(member.email, f"Reset your {settings.SITE_NAME} password",
              "accounts/password_reset_email.txt",
              {"member": member, "reset_url": reset_url(member)})
    return len(owners)


def _can_reset(member: User) -> bool:
    return member.is_active and member.has_usable_password()


def reset_url(member: User) -> str:
    return absolute("password_reset_confirm", urlsafe_base64_encode(force_bytes(member.pk)),
                    default_token_generator.make_token(member))


def absolute(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def _send(to: str, subject: str, template: str, context: dict) -> None:
    body = render_to_string(template, {"site_name": settings.SITE_NAME, **context})
    EmailMessage(subject=subject, body=body, to=[to]).send()
