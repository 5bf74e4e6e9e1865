"""The signed link that finishes a registration (django.core.signing, keyed by SECRET_KEY).

It names the waiting registration only (not its address or name) and works for
REGISTRATION_VALID; a used one finds no registration, which the action says.
"""

from datetime import timedelta

from django.core import signing

from townsquare.core.errors import Invalid

from .models import Registration

SALT = "townsquare.accounts.registration"
# How long the link in a registration's email works.
REGISTRATION_VALID = timedelta(days=3)
REGISTRATION_USED = ("This link has already been used, or has expired. Sign in, or register "
                     "again to get a new one.")


def registration_token(registration: Registration) -> str:
    return signing.dumps(registration.pk, salt=SALT)


def read_registration_token(token: str) -> Registration:
    """The registration a link finishes; Invalid when it is forged, expired or used."""
    try:
        pk = signing.loads(token, salt=SALT, max_age=REGISTRATION_VALID)
    except signing.SignatureExpired:
        raise Invalid(REGISTRATION_USED) from None
    except (signing.BadSignature, TypeError, ValueError):
        raise Invalid("This link is not valid. Check that you copied the whole link from "
                      "the email.") from None
    registration = Registration.objects.filter(pk=pk).first() if isinstance(pk, int) else None
    if registration is None:
        raise Invalid(REGISTRATION_USED)
    return registration
