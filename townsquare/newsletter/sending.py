"""Sending a digest, batch by batch, each message at most once.

A delivery is claimed by moving it from `pending` to `sending` (a committed, conditional
update, so two workers never claim the same row) before its message goes out, and marked
`sent` or `failed` after. A worker killed between the two leaves the row `sending`: nobody
knows whether the message left, and it is never sent again — a reader may miss one digest,
but never gets two. The desk counts such rows as "unknown" once they are older than the
stall cutoff (NEWSLETTER_STALL_SECONDS).

These functions must run outside a transaction (as tasks and the clock do): each claim has
to be committed before its message is sent. The batch task is passed in (`queue_next`):
tasks.py imports this module, so this module cannot import it.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core.mail import mailers
from django.utils import timezone

from . import emails, queries
from .models import Delivery, Digest, Subscriber

log = logging.getLogger(__name__)
S = Delivery.Status


def send_batch(digest_id: int, *, queue_next: Callable[[int], object]) -> dict:
    """Send up to NEWSLETTER_BATCH_SIZE pending deliveries of a digest. `more` says whether
    pending ones remain; then the next batch is queued with `queue_next(digest_id)`."""
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
    if result["more"]:
        Digest.objects.filter(pk=digest_id).update(queued=timezone.now())
        queue_next(digest_id)
    else:
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

