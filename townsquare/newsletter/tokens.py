"""The signed links in newsletter emails (django.core.signing, keyed by SECRET_KEY).

A confirmation link names the subscriber and their current confirmation nonce and expires
after NEWSLETTER_CONFIRM_DAYS. A manage link (also used to unsubscribe) names the subscriber
and their manage key and never expires: it sits in every digest ever sent. Neither carries
the email address, so a link shown to someone else gives nothing away but the subscription.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing

from townsquare.core.errors import Invalid, NotFound

from .models import Subscriber

CONFIRM_SALT = "townsquare.newsletter.confirm"
MANAGE_SALT = "townsquare.newsletter.manage"

FORGED = "This link is not valid. Check that you copied the whole link from the email."
GONE = "This subscription no longer exists. Subscribe again to get the newsletter."


def confirm_token(subscriber: Subscriber) -> str:
    return signing.dumps([subscriber.pk, subscriber.confirm_nonce], salt=CONFIRM_SALT)


def manage_token(subscriber: Subscriber) -> str:
    return signing.Signer(salt=MANAGE_SALT).sign_object([subscriber.pk, subscriber.manage_key])


def read_confirm_token(token: str) -> Subscriber:
    """The subscriber a confirmation link is for; Invalid when forged, expired or replaced."""
    days = settings.NEWSLETTER_CONFIRM_DAYS
    try:
        pk, nonce = signing.loads(token, salt=CONFIRM_SALT, max_age=timedelta(days=days))
    except signing.SignatureExpired:
        raise Invalid(f"This confirmation link has expired: links work for {days} days. "
                      "Subscribe again to get a new one.") from None
    except (signing.BadSignature, TypeError, ValueError):
        raise Invalid(FORGED) from None
    subscriber = _subscriber(pk)
    if subscriber.confirm_nonce != nonce:
        raise Invalid("This confirmation link is no longer valid: the address unsubscribed "
                      "after it was sent. Subscribe again to get a new one.")
    return subscriber


def read_manage_token(token: str) -> Subscriber:
    """The subscriber a manage or unsubscribe link is for; Invalid when forged."""
    try:
        pk, key = signing.Signer(salt=MANAGE_SALT).unsign_object(token)
    except (signing.BadSignature, TypeError, ValueError):
        raise Invalid(FORGED) from None
    subscriber = _subscriber(pk)
    if subscriber.manage_key != key:
        raise Invalid(FORGED)
    return subscriber


def _subscriber(pk) -> Subscriber:
    if not isinstance(pk, int):
        raise Invalid(FORGED)
    subscriber = Subscriber.objects.filter(pk=pk).first()
    if subscriber is None:
        raise NotFound(GONE)
    return subscriber
