"""The editors' newsletter desk: who may see it, subscriber counts, digest progress
refreshed by htmx while sending, the send log, "Send a digest now", and its query budget."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from townsquare.core.memo import LocalMemo
from townsquare.forum.actions import post_reply
from townsquare.newsletter import actions
from townsquare.newsletter.models import Delivery, Digest

from .conftest import run_queued_tasks

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def editor(client, make_member):
    member = make_member("editor1", role="editor")
    client.force_login(member)
    return member


@pytest.fixture
def news(make_topic, make_member):
    """A topic with a reply an hour ago: something for a digest to list."""
    topic = make_topic(title="Bridge opens")
    post_reply(author=make_member(), topic=topic, body="Finally.",
               created=timezone.now() - timedelta(hours=1))
    return topic


def test_guests_are_sent_to_sign_in():
    response = Client().get("/newsletter/desk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/signin/?next=/newsletter/desk/")


@pytest.mark.parametrize("role, status", [("member", 403), ("editor", 200),
                                          ("moderator", 200), ("admin", 200)])
def test_only_editors_and_above_see_the_desk(client, make_member, role, status):
    client.force_login(make_member(role=role))
    response = client.get("/newsletter/desk/")
    assert response.status_code == status
    if status == 403:
        assert "Only editors can see the newsletter desk." in text(response)


def test_the_desk_counts_subscribers(client, editor, make_subscriber):
    for frequency, status, n in [("daily", "active", 3), ("weekly", "active", 2),
                                 ("daily", "pending", 4), ("weekly", "unsubscribed", 1)]:
        for _ in range(n):
            make_subscriber(frequency=frequency, status=status)
    page = text(client.get("/newsletter/desk/"))
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", page))
    assert facts == {"Subscribed": "5", "Daily": "3", "Weekly": "2",
                     "Waiting for confirmation": "4", "Unsubscribed": "1"}


def test_a_digest_being_sent_shows_its_progress_and_polls_every_two_seconds(
        client, editor, news, make_subscriber, committed, settings):
    settings.NEWSLETTER_BATCH_SIZE = 2
    readers = [make_subscriber(frequency="daily") for _ in range(5)]
    digest = committed(actions.create_digest, frequency="daily", period_end=timezone.now())
    from townsquare.newsletter.tasks import send_digest_batch

    send_digest_batch.call(digest.pk)
    Delivery.objects.filter(subscriber=readers[4]).update(
        status="failed", attempted=timezone.now(), error="SMTPRecipientsRefused: no such box")
    page = text(client.get("/newsletter/desk/"))
    assert '<progress max="5" value="2" aria-label="2 of 5 sent">' in page
    assert 'hx-get="/newsletter/desk/" hx-trigger="every 2s"' in page
    row = re.search(r"<tr>\s*<th scope=\"row\">Daily:.*?</tr>", page, re.S).group(0)
    cells = re.findall(r"<td>(\d+)</td>", row)
    assert cells == ["2", "1", "0", "2"]  # sent, failed, unknown, pending
    assert "SMTPRecipientsRefused: no such box" in page

    # The htmx poll gets the status part alone.
    part = text(client.get("/newsletter/desk/", headers={"HX-Request": "true"}))
    assert part.lstrip().startswith('<div id="newsletter-status"')
    assert "<html" not in part and "Send a digest now" not in part

    # Once sent, the page stops polling and shows the final counts.
    run_queued_tasks()
    page = text(client.get("/newsletter/desk/"))
    assert 'hx-trigger="every 2s"' not in page
    assert '<progress max="5" value="4" aria-label="4 of 5 sent">' in page
    assert Digest.objects.get().status == "done"


def test_the_send_log_lists_recent_messages_and_marks_lost_ones_unknown(
        client, editor, news, make_subscriber, committed, settings):
    settings.NEWSLETTER_STALL_SECONDS = 300
    lost = make_subscriber("lost@example.org", frequency="daily")
    make_subscriber("found@example.org", frequency="daily")
    digest = committed(actions.create_digest, frequency="daily", period_end=timezone.now())
    Delivery.objects.filter(subscriber=lost).update(
        status="sending", attempted=timezone.now() - timedelta(hours=1))
    run_queued_tasks()
    page = text(client.get("/newsletter/desk/"))
    log = page[page.index('id="log-heading"'):]
    assert re.search(r"<td>found@example.org</td>\s*<td>Daily, [^<]+</td>\s*<td>Sent</td>", log)
    assert re.search(r'<tr class="unhealthy">\s*<td>lost@example.org</td>\s*<td>[^<]+</td>'
                     r"\s*<td>Unknown</td>", log)
    digest.refresh_from_db()
    assert (digest.sent, digest.unknown) == (1, 1)


def test_an_editor_sends_a_digest_now(client, editor, news, make_subscriber, committed):
    make_subscriber(frequency="weekly")
    make_subscriber(frequency="weekly")
    response = committed(client.post, "/newsletter/desk/send/", {"frequency": "weekly"},
                         follow=True)
    digest = Digest.objects.get()
    assert response.redirect_chain == [(f"/newsletter/desk/?sent={digest.pk}", 303)]
    assert "The weekly digest is going out to 2 subscribers." in text(response)
    assert (digest.frequency, digest.status, digest.recipients) == ("weekly", "sending", 2)
    run_queued_tasks()
    digest.refresh_from_db()
    assert digest.sent == 2


def test_sending_now_with_nothing_to_say_reports_the_skip(client, editor, make_subscriber):
    make_subscriber(frequency="daily")
    response = client.post("/newsletter/desk/send/", {"frequency": "daily"}, follow=True)
    assert "Nothing sent: Sent by hand by editor1. No topics had new replies" in text(response)
    assert Digest.objects.get().status == "skipped"


def test_sending_now_when_a_digest_already_covers_this_moment_sends_nothing(
        client, editor, news, make_subscriber):
    make_subscriber(frequency="daily")
    now = timezone.now()
    Digest.objects.create(frequency="daily", period_start=now - timedelta(days=1),
                          period_end=now + timedelta(minutes=1), created=now, status="done")
    response = client.post("/newsletter/desk/send/", {"frequency": "daily"}, follow=True)
    assert response.redirect_chain == [("/newsletter/desk/?sent=none", 303)]
    assert "there was nothing more to send" in text(response)
    assert Digest.objects.count() == 1 and not Delivery.objects.exists()


@pytest.mark.parametrize("frequency", ["monthly", ""])
def test_sending_now_an_unknown_frequency_is_400(client, editor, frequency):
    response = client.post("/newsletter/desk/send/", {"frequency": frequency})
    assert response.status_code == 400
    assert "Choose how often to get the digest: daily or weekly." in text(response)
    assert not Digest.objects.exists()


def test_members_cannot_send_a_digest(client, make_member, news, make_subscriber):
    make_subscriber(frequency="daily")
    client.force_login(make_member())
    response = client.post("/newsletter/desk/send/", {"frequency": "daily"})
    assert response.status_code == 403
    assert "Only editors can send the newsletter." in text(response)
    assert not Digest.objects.exists()


def test_sending_now_needs_the_pages_csrf_token(make_member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_member(role="editor"))
    assert client.post("/newsletter/desk/send/", {"frequency": "daily"}).status_code == 403
    assert not Digest.objects.exists()


def test_the_newsletter_page_links_editors_to_the_desk(client, editor):
    assert 'href="/newsletter/desk/"' in text(client.get("/newsletter/"))
    client.logout()
    assert 'href="/newsletter/desk/"' not in text(client.get("/newsletter/"))


def count_queries(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_the_desk_costs_the_same_queries_with_ten_times_the_rows(
        client, editor, make_topic, make_member, make_subscriber, committed, settings):
    settings.NEWSLETTER_BATCH_SIZE = 3
    author = make_member()

    def measure(scale):
        for _ in range(6 * scale):
            make_subscriber(frequency="daily")
        topic = make_topic(title=f"Scale {scale}")
        post_reply(author=author, topic=topic, body="More.",
                   created=timezone.now() - timedelta(minutes=30))
        made = committed(actions.create_digest, frequency="daily", period_end=timezone.now())
        from townsquare.newsletter.tasks import send_digest_batch

        send_digest_batch.call(made.pk)  # one batch out: the digest is still sending
        cache.clear()
        LocalMemo.clear_all()  # and what the process keeps itself: a cold start
        return (count_queries(client, "/newsletter/desk/"),
                count_queries(client, "/newsletter/desk/", headers={"HX-Request": "true"}))

    # Session, member, the header's notification bell (cold cache), subscriber counts,
    # digests, their live counts and the send log; the htmx part has no header, and reads
    # session and member in one query (the process has seen the session by then).
    assert measure(1) == (7, 5)
    assert measure(10) == (7, 5)


@pytest.mark.parametrize("url", ["/newsletter/", "/newsletter/check-inbox/"])
def test_the_public_pages_query_nothing_for_guests(client, url):
    assert count_queries(client, url) == 0


def test_the_manage_page_costs_one_query(client, make_subscriber):
    from townsquare.newsletter.tokens import manage_token

    subscriber = make_subscriber()
    assert count_queries(client, f"/newsletter/manage/{manage_token(subscriber)}/") == 1
