"""Sending a digest, batch by batch, each message at most once.

A delivery is claimed by moving it from `pending` to `sending` (a committed, conditional
update, so two workers never claim the same row) before its message goes out, and marked
`sent` or `failed` after. A worker killed between the two leaves the row `sending`: nobody
knows whether the message left, and it is never sent again — a reader may miss one digest,
but never gets two. The desk counts such rows as "unknown" once they are older than the
stall cutoff (NEWSLETTER_STALL_SECONDS).

These functions must run outside a transaction (as tasks and the clock do): each claim has
to be committed before its message is sent.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import mailers
from django.utils import timezone

from . import actions, emails, queries
from .models import Delivery, Digest, Subscriber

log = logging.getLogger(__name__)
S = Delivery.Status


def send_batch(digest_id: int) -> dict:
    """Send up to NEWSLETTER_BATCH_SIZE pending deliveries of a digest. `more` says whether
    pending ones remain (the task then queues itself again)."""
    result = {"sent": 0, "failed": 0, "more": False}
    digest = Digest.objects.filter(pk=digest_id, status=Digest.Status.SENDING).first()
    if digest is None:
        return result
    batch = list(Delivery.objects.filter(digest=digest, status=S.PENDING)
                 .select_related("subscriber").order_by("pk")[:settings.NEWSLETTER_BATCH_SIZE])
    if batch:
        with mailers.default as connection:
            for delivery in batch:
                outcome = _deliver(digest, delivery, connection)
                if outcome:
                    result[outcome] += 1
    result["more"] = Delivery.objects.filter(digest=digest, status=S.PENDING).exists()
    if not result["more"]:
        finish_digest(digest)
    return result


def _deliver(digest: Digest, delivery: Delivery, connection) -> str | None:
    # The claim tests only the row's own status, so that the database re-checks it under
    # the row lock when two workers race (a join here would not be re-checked everywhere).
    claimed = Delivery.objects.filter(pk=delivery.pk, status=S.PENDING).update(
        status=S.SENDING, attempted=timezone.now())
    if not claimed:
        return None  # another worker has it
    if not Subscriber.objects.filter(pk=delivery.subscriber_id,
                                     status=Subscriber.Status.ACTIVE).exists():
        _mark(delivery, S.FAILED, error="Unsubscribed before it was sent.")
        return "failed"
    try:
        message = emails.digest_message(digest, delivery.subscriber)
        if connection.send_messages([message]) != 1:
            raise RuntimeError("The mail server did not accept the message.")
    except Exception as error:
        log.warning("newsletter: digest %s to subscriber %s failed", digest.pk,
                    delivery.subscriber_id, exc_info=True)
        # A broken connection is opened again for the next message.
        connection.close()
        _mark(delivery, S.FAILED, error=f"{type(error).__name__}: {error}"[:500])
        return "failed"
    _mark(delivery, S.SENT)
    return "sent"


def _mark(delivery: Delivery, status: str, *, error: str = "") -> None:
    Delivery.objects.filter(pk=delivery.pk, status=S.SENDING).update(status=status, error=error)


def finish_digest(digest: Digest, now: datetime | None = None) -> bool:
    """Record a digest as sent, with its final counts, once nothing is pending or in flight."""
    counts = queries.delivery_counts([digest.pk], now).get(digest.pk)
    if counts and counts["pending"]:
        return False
    counts = counts or {"sent": 0, "failed": 0, "unknown": 0}
    return bool(Digest.objects.filter(pk=digest.pk, status=Digest.Status.SENDING).update(
        status=Digest.Status.DONE, finished=now or timezone.now(), sent=counts["sent"],
        failed=counts["failed"], unknown=counts["unknown"]))


def check_sending(now: datetime | None = None) -> None:
    """For the clock: finish digests with nothing left to send, and queue again those whose
    sending stalled — pending rows, but no batch queued or progress within the stall cutoff
    (a killed worker), so that another worker resumes them."""
    now = now or timezone.now()
    cutoff = queries.stall_cutoff(now)
    for digest in Digest.objects.filter(status=Digest.Status.SENDING):
        rows = Delivery.objects.filter(digest=digest)
        if not rows.filter(status=S.PENDING).exists():
            finish_digest(digest, now)
        elif (digest.queued is None or digest.queued < cutoff) and not rows.filter(
                attempted__gte=cutoff).exists():
            actions.requeue_digest(digest=digest, seen_queued=digest.queued, now=now)
