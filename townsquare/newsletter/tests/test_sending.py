"""Sending digests: batches that queue the next, at most one message per subscriber even
when a worker dies mid-send, failures recorded, and stalled sending resumed by the clock."""

from datetime import timedelta
from smtplib import SMTPRecipientsRefused

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from townsquare.newsletter import actions, queries, schedule
from townsquare.newsletter.models import Delivery, Digest
from townsquare.newsletter.tasks import send_digest_batch

from .conftest import run_queued_tasks

pytestmark = pytest.mark.django_db


class BouncingBackend(LocmemBackend):
    """The test outbox, except that addresses starting with "bounce" are refused."""

    def send_messages(self, messages):
        for message in messages:
            if message.to[0].startswith("bounce"):
                raise SMTPRecipientsRefused({message.to[0]: (550, b"No such mailbox")})
        return super().send_messages(messages)


def batch_tasks() -> int:
    return DBTaskResult.objects.filter(task_path=send_digest_batch.module_path).count()


@pytest.fixture
def readers(make_subscriber):
    return [make_subscriber(f"reader{n}@example.org", frequency="daily") for n in range(5)]


@pytest.fixture
def digest(committed, readers, make_topic, make_member, settings):
    """A daily digest of one busy topic, made and its first batch queued."""
    from townsquare.forum.actions import post_reply

    settings.NEWSLETTER_BATCH_SIZE = 2
    topic = make_topic(title="The ferry returns")
    post_reply(author=make_member(), topic=topic, body="At last.",
               created=timezone.now() - timedelta(hours=1))
    made = committed(actions.create_digest, frequency="daily", period_end=timezone.now())
    assert made.status == "sending" and batch_tasks() == 1
    return made


def received() -> list[str]:
    return sorted(m.to[0] for m in mail.outbox)


def test_the_worker_sends_every_subscriber_one_message_in_batches(digest, readers):
    run_queued_tasks()
    assert received() == sorted(r.email for r in readers)
    assert batch_tasks() == 3  # 2 + 2 + 1: each batch queued the next while rows were left
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    digest.refresh_from_db()
    assert (digest.status, digest.sent, digest.failed, digest.unknown) == ("done", 5, 0, 0)
    assert digest.finished is not None


def test_a_batch_sends_at_most_the_batch_size(digest):
    result = send_digest_batch.call(digest.pk)
    assert result == {"sent": 2, "failed": 0, "more": True}
    assert len(mail.outbox) == 2
    assert Delivery.objects.filter(status="pending").count() == 3


def test_running_the_batch_again_sends_nothing_twice(digest, readers):
    run_queued_tasks()
    for _ in range(2):
        assert send_digest_batch.call(digest.pk) == {"sent": 0, "failed": 0, "more": False}
    assert len(mail.outbox) == len(readers)


def test_a_delivery_left_sending_by_a_killed_worker_is_never_sent_again(digest, readers,
                                                                        settings):
    settings.NEWSLETTER_STALL_SECONDS = 300
    lost = Delivery.objects.get(subscriber=readers[0])
    Delivery.objects.filter(pk=lost.pk).update(
        status="sending", attempted=timezone.now() - timedelta(hours=1))
    run_queued_tasks()
    assert received() == sorted(r.email for r in readers[1:])
    lost.refresh_from_db()
    assert lost.status == "sending"
    digest.refresh_from_db()
    assert (digest.status, digest.sent, digest.unknown) == ("done", 4, 1)


def test_a_fresh_sending_row_holds_the_digest_open_until_the_stall_cutoff(digest, readers,
                                                                          settings):
    settings.NEWSLETTER_STALL_SECONDS = 300
    Delivery.objects.filter(subscriber=readers[0]).update(status="sending",
                                                          attempted=timezone.now())
    run_queued_tasks()
    digest.refresh_from_db()
    assert digest.status == "sending"  # another worker may still be sending that one
    assert queries.delivery_counts([digest.pk])[digest.pk] == {
        "sent": 4, "failed": 0, "unknown": 0, "pending": 1}
    schedule.check_sending(timezone.now() + timedelta(seconds=301))
    digest.refresh_from_db()
    assert (digest.status, digest.sent, digest.unknown) == ("done", 4, 1)


def test_a_refused_address_is_marked_failed_with_the_reason_and_the_rest_go_on(
        digest, readers, settings, make_subscriber):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.BouncingBackend"}}
    Delivery.objects.filter(subscriber=readers[2]).update(
        subscriber=make_subscriber("bounce@example.org"))
    run_queued_tasks()
    failed = Delivery.objects.get(status="failed")
    assert failed.subscriber.email == "bounce@example.org"
    assert failed.error.startswith("SMTPRecipientsRefused:") and "No such mailbox" in failed.error
    assert len(mail.outbox) == 4
    digest.refresh_from_db()
    assert (digest.status, digest.sent, digest.failed) == ("done", 4, 1)


def test_a_reader_who_unsubscribed_after_the_digest_was_made_gets_nothing(digest, readers):
    actions.unsubscribe(subscriber=readers[1])
    run_queued_tasks()
    assert readers[1].email not in received() and len(mail.outbox) == 4
    skipped = Delivery.objects.get(subscriber=readers[1])
    assert (skipped.status, skipped.error) == ("failed", "Unsubscribed before it was sent.")


def test_a_batch_for_a_finished_or_missing_digest_does_nothing(digest):
    Digest.objects.filter(pk=digest.pk).update(status="done")
    assert send_digest_batch.call(digest.pk) == {"sent": 0, "failed": 0, "more": False}
    assert send_digest_batch.call(424242) == {"sent": 0, "failed": 0, "more": False}
    assert mail.outbox == []


# The clock looks after digests being sent.


def test_the_clock_queues_a_stalled_digest_again_once(digest, settings, committed):
    settings.NEWSLETTER_STALL_SECONDS = 300
    send_digest_batch.call(digest.pk)  # one batch went out, then the worker died
    DBTaskResult.objects.all().delete()
    later = timezone.now() + timedelta(seconds=301)
    Digest.objects.filter(pk=digest.pk).update(queued=timezone.now() - timedelta(hours=1))
    committed(schedule.check_sending, later)
    committed(schedule.check_sending, later)
    assert batch_tasks() == 1
    run_queued_tasks()
    assert len(mail.outbox) == 5
    digest.refresh_from_db()
    assert digest.status == "done" and digest.sent == 5


def test_the_clock_leaves_a_digest_that_is_queued_or_sending_alone(digest, settings,
                                                                   committed):
    settings.NEWSLETTER_STALL_SECONDS = 300
    DBTaskResult.objects.all().delete()
    committed(schedule.check_sending)  # queued just now
    assert batch_tasks() == 0
    Digest.objects.filter(pk=digest.pk).update(queued=timezone.now() - timedelta(hours=1))
    Delivery.objects.filter(pk=Delivery.objects.first().pk).update(
        status="sent", attempted=timezone.now())
    committed(schedule.check_sending)  # made progress just now
    assert batch_tasks() == 0


def test_the_clock_finishes_a_digest_with_nothing_left_to_send(digest):
    Delivery.objects.update(status="sent", attempted=timezone.now())
    schedule.check_sending()
    digest.refresh_from_db()
    assert (digest.status, digest.sent) == ("done", 5)


def test_the_tick_makes_the_due_digest_and_queues_it_and_the_worker_sends_it(
        committed, readers, make_topic, make_member):
    from townsquare.forum.actions import post_reply

    now = timezone.now()
    slot = schedule.due_period_end("daily", now)
    post_reply(author=make_member(), topic=make_topic(), body="News.",
               created=slot - timedelta(hours=2))
    committed(schedule.tick)
    run_queued_tasks()
    daily = Digest.objects.get(frequency="daily")
    assert daily.period_end == slot and daily.status == "done"
    assert received() == sorted(r.email for r in readers)
