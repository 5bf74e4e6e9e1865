"""Newsletter writes: subscribing (double opt-in), confirming, managing, unsubscribing, and
making a digest with its deliveries. Each action is one transaction; emails and tasks go
out after it commits."""

import logging
import secrets
from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from townsquare.core.errors import Forbidden, Invalid
from townsquare.core.ratelimit import check_rate

from . import emails, permissions, queries
from .models import Delivery, Digest, Frequency, Subscriber

log = logging.getLogger(__name__)

EMAIL_MAX = Subscriber._meta.get_field("email").max_length
SPANS = {Frequency.DAILY: timedelta(days=1), Frequency.WEEKLY: timedelta(days=7)}


def clean_email(email: str) -> str:
    """An address by Django's EmailField rules (its domain in lower case), or Invalid with
    the reason."""
    email = (email or "").strip()
    if not email:
        raise Invalid("Enter your email address.", field="email")
    if len(email) > EMAIL_MAX:
        raise Invalid(f"Email addresses are at most {EMAIL_MAX} characters long.",
                      field="email")
    try:
        email = forms.EmailField(max_length=EMAIL_MAX).clean(email)
    except ValidationError:
        raise Invalid("Enter a valid email address, like name@example.org.",
                      field="email") from None
    name, _, domain = email.rpartition("@")
    return f"{name}@{domain.lower()}"


def clean_frequency(frequency: str) -> str:
    if frequency not in Frequency.values:
        raise Invalid("Choose how often to get the digest: daily or weekly.", field="frequency")
    return frequency


def _new_key() -> str:
    return secrets.token_urlsafe(16)


def subscribe(*, email: str, frequency: str, member=None) -> Subscriber:
    """Ask for the digest at `email`. A new or pending address gets a confirmation link; an
    address already subscribed gets a note with its manage link instead (so the page, which
    says the same either way, tells a stranger nothing). An address that unsubscribed starts
    over with a new opt-in."""
    email, frequency = clean_email(email), clean_frequency(frequency)
    # Besides the view's limit per client address: one inbox gets at most as many of these
    # emails as that limit allows, however many clients ask for it.
    check_rate("subscribe", f"email:{email.lower()}")
    now = timezone.now()
    owner = member if member is not None and member.is_authenticated \
        and member.email.lower() == email.lower() else None
    try:
        with transaction.atomic():
            subscriber = _subscribe(email, frequency, owner, now)
    except IntegrityError:
        # The same address subscribed at the same moment in another request.
        with transaction.atomic():
            subscriber = _subscribe(email, frequency, owner, now)
    already = subscriber.status == Subscriber.Status.ACTIVE
    transaction.on_commit(lambda: emails.send_subscribe_reply(subscriber, already=already))
    return subscriber


def _subscribe(email: str, frequency: str, owner, now: datetime) -> Subscriber:
    subscriber = Subscriber.objects.select_for_update().filter(email__iexact=email).first()
    if subscriber is None:
        return Subscriber.objects.create(
            email=email, frequency=frequency, member=owner, created=now,
            confirm_nonce=_new_key(), manage_key=_new_key(), confirmation_sent=now)
    if owner is not None:
        subscriber.member = owner
    if subscriber.status != Subscriber.Status.ACTIVE:
        # Pending or unsubscribed: the opt-in starts (again) with the frequency asked for
        # now, which only matters once the address confirms.
        subscriber.status = Subscriber.Status.PENDING
        subscriber.frequency = frequency
        subscriber.confirmation_sent = now
    subscriber.save()
    return subscriber


def confirm_subscription(*, subscriber: Subscriber) -> bool:
    """Turn a pending subscription on (the link was checked by tokens.read_confirm_token).
    Returns False when it was already confirmed."""
    with transaction.atomic():
        current = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if current.confirm_nonce != subscriber.confirm_nonce:
            raise Invalid("This confirmation link is no longer valid. Subscribe again to get "
                          "a new one.")
        if current.status == Subscriber.Status.ACTIVE:
            return False
        if current.status != Subscriber.Status.PENDING:
            raise Invalid("This address unsubscribed. Subscribe again to get a new link.")
        Subscriber.objects.filter(pk=current.pk).update(
            status=Subscriber.Status.ACTIVE, confirmed=timezone.now(), unsubscribed=None)
    subscriber.refresh_from_db()
    return True


def change_frequency(*, subscriber: Subscriber, frequency: str) -> Subscriber:
    frequency = clean_frequency(frequency)
    Subscriber.objects.filter(pk=subscriber.pk).update(frequency=frequency)
    subscriber.frequency = frequency
    return subscriber


def unsubscribe(*, subscriber: Subscriber) -> bool:
    """Stop the digest. Returns False when the address was already unsubscribed. The
    confirmation nonce is renewed, so coming back needs a new opt-in."""
    with transaction.atomic():
        done = Subscriber.objects.filter(pk=subscriber.pk).exclude(
            status=Subscriber.Status.UNSUBSCRIBED).update(
            status=Subscriber.Status.UNSUBSCRIBED, unsubscribed=timezone.now(),
            confirm_nonce=_new_key())
    subscriber.refresh_from_db()
    return bool(done)


# Digests -------------------------------------------------------------------------------------

def create_digest(*, frequency: str, period_end: datetime, note: str = "") -> Digest | None:
    """The digest of `frequency` for the period ending at `period_end`, with a pending
    Delivery per active subscriber, in one transaction; then its first batch is queued.

    The period starts where the last digest of that frequency ended (the first one covers
    one day or week). None when that period is already covered. Two clocks (or a clock and
    an editor) racing are settled by the unique constraints on (frequency, period_end) and
    (frequency, period_start): one insert wins.
    """
    frequency = clean_frequency(frequency)
    latest = queries.get_latest_digest(frequency)
    if latest is not None and latest.period_end >= period_end:
        return None
    start = latest.period_end if latest else period_end - SPANS[frequency]
    picks = queries.list_digest_topics(start, period_end, settings.NEWSLETTER_DIGEST_TOPICS)
    now = timezone.now()
    try:
        with transaction.atomic():
            digest = Digest.objects.create(
                frequency=frequency, period_start=start, period_end=period_end, note=note,
                topic_ids=[pick.topic.pk for pick in picks], created=now)
            _fill_digest(digest, picks, now)
    except IntegrityError:
        return None
    if digest.status == Digest.Status.SENDING:
        transaction.on_commit(lambda: _queue_batch(digest.pk))
    return digest


def _fill_digest(digest: Digest, picks: list, now: datetime) -> None:
    subscribers = list(queries.list_active_subscriber_ids(digest.frequency))
    if not picks or not subscribers:
        digest.status, digest.finished = Digest.Status.SKIPPED, now
        reason = ("No topics had new replies or reactions in this period." if not picks
                  else f"Nobody has a confirmed {digest.frequency} subscription.")
        digest.note = f"{digest.note} {reason}".strip()[:200]
        digest.save()
        return
    digest.subject, digest.html, digest.text = emails.render_digest(digest, picks)
    digest.recipients, digest.queued = len(subscribers), now
    digest.save()
    Delivery.objects.bulk_create(
        (Delivery(digest=digest, subscriber_id=pk) for pk in subscribers), batch_size=500)


def _queue_batch(digest_id: int) -> None:
    from .tasks import send_digest_batch

    send_digest_batch.enqueue(digest_id)


def send_digest_now(*, editor, frequency: str) -> Digest | None:
    """An editor's "Send a digest now": the period up to this moment."""
    if not permissions.can_run_newsletter(editor):
        raise Forbidden("Only editors can send the newsletter.")
    frequency = clean_frequency(frequency)
    return create_digest(frequency=frequency, period_end=timezone.now(),
                         note=f"Sent by hand by {editor.username}.")


def requeue_digest(*, digest: Digest, seen_queued: datetime | None,
                   now: datetime | None = None) -> bool:
    """Queue another batch for a digest whose sending stalled (its worker was killed).
    Only the clock that moves `queued` from the value it saw queues it."""
    moved = Digest.objects.filter(pk=digest.pk, status=Digest.Status.SENDING,
                                  queued=seen_queued).update(queued=now or timezone.now())
    if moved:
        log.warning("newsletter: digest %s stalled; queuing its sending again", digest.pk)
        transaction.on_commit(lambda: _queue_batch(digest.pk))
    return bool(moved)
