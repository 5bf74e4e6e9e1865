"""The links in the emails: confirming (forged, expired, reused), managing (frequency,
bad values), unsubscribing (one-click, reused) and coming back with a new opt-in."""

import time
from html import unescape

import pytest
from django.core import mail, signing
from django.test import Client

from townsquare.newsletter.models import Subscriber
from townsquare.newsletter.tokens import CONFIRM_SALT, confirm_token, manage_token

from .conftest import link_in

pytestmark = pytest.mark.django_db

FORGED = "This link is not valid. Check that you copied the whole link from the email."


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def pending(subscribe):
    """A pending subscription and the confirmation link mailed for it."""
    subscribe("reader@example.org", "daily")
    return Subscriber.objects.get(), link_in(mail.outbox[-1], "confirm")


def test_opening_the_confirmation_link_only_shows_a_button(client, pending):
    subscriber, link = pending
    response = client.get(link)
    assert response.status_code == 200
    page = text(response)
    assert "Confirm your subscription" in page and "reader@example.org" in page
    assert '<form method="post"' in page and "csrfmiddlewaretoken" in page
    subscriber.refresh_from_db()
    assert subscriber.status == "pending"


def test_pressing_confirm_subscribes_and_shows_the_manage_page(client, pending):
    subscriber, link = pending
    response = client.post(link, follow=True)
    assert response.redirect_chain == [
        (f"/newsletter/manage/{manage_token(subscriber)}/?done=confirmed", 303)]
    page = text(response)
    assert "You are subscribed: the daily digest will come to reader@example.org." in page
    subscriber.refresh_from_db()
    assert subscriber.status == "active" and subscriber.confirmed is not None


def test_confirming_needs_the_pages_csrf_token(pending):
    subscriber, link = pending
    client = Client(enforce_csrf_checks=True)
    assert client.post(link).status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.status == "pending"


def test_a_reused_confirmation_link_says_already_confirmed(client, pending):
    subscriber, link = pending
    client.post(link)
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 200
        page = text(response)
        assert "Already confirmed" in page
        assert "This subscription is already confirmed" in page
        assert f"/newsletter/manage/{manage_token(subscriber)}/" in page


# Named ids: a signed token carries the time it was made, so as its own id each
# test process could collect a differently named test.
@pytest.mark.parametrize("token", [
    "nonsense",
    "WzEsImFiYyJd:1vNzQx:made-up-signature",
    signing.dumps([1, "x"], salt="some.other.salt"),
], ids=["nonsense", "made-up-signature", "signed-for-something-else"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_confirmation_link_is_400_with_a_reason(client, pending, token, method):
    subscriber, _ = pending
    response = getattr(client, method)(f"/newsletter/confirm/{token}/")
    assert response.status_code == 400
    assert FORGED in text(response)
    subscriber.refresh_from_db()
    assert subscriber.status == "pending"


def test_a_manage_token_does_not_confirm(client, pending):
    subscriber, _ = pending
    response = client.post(f"/newsletter/confirm/{manage_token(subscriber)}/")
    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == "pending"


def test_an_expired_confirmation_link_is_400_with_a_reason(client, pending, monkeypatch):
    subscriber, _ = pending
    eight_days_ago = time.time() - 8 * 86400
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: eight_days_ago)
        token = confirm_token(subscriber)
    response = client.post(f"/newsletter/confirm/{token}/")
    assert response.status_code == 400
    assert "This confirmation link has expired: links work for 7 days." in text(response)
    subscriber.refresh_from_db()
    assert subscriber.status == "pending"


def test_a_link_for_a_subscription_that_was_deleted_is_404(client, pending):
    subscriber, link = pending
    subscriber.delete()
    response = client.get(link)
    assert response.status_code == 404
    assert "This subscription no longer exists." in text(response)


# Managing.


@pytest.fixture
def active(make_subscriber):
    subscriber = make_subscriber("reader@example.org", frequency="weekly")
    return subscriber, f"/newsletter/manage/{manage_token(subscriber)}/"


def test_the_manage_page_shows_the_subscription(client, active):
    subscriber, url = active
    response = client.get(url)
    assert response.status_code == 200
    page = text(response)
    assert "reader@example.org" in page and "You are subscribed" in page
    assert 'value="weekly" checked' in page
    assert f'action="/newsletter/unsubscribe/{manage_token(subscriber)}/"' in page


def test_changing_the_frequency(client, active):
    subscriber, url = active
    response = client.post(url, {"frequency": "daily"}, follow=True)
    assert response.redirect_chain == [(f"{url}?done=saved", 303)]
    assert "Saved: you get the daily digest." in text(response)
    subscriber.refresh_from_db()
    assert subscriber.frequency == "daily"


@pytest.mark.parametrize("frequency", ["hourly", "", "Weekly"])
def test_an_unknown_frequency_is_400_with_a_reason(client, active, frequency):
    subscriber, url = active
    response = client.post(url, {"frequency": frequency})
    assert response.status_code == 400
    page = text(response)
    assert "Choose how often to get the digest: daily or weekly." in page
    assert 'role="alert"' in page
    subscriber.refresh_from_db()
    assert subscriber.frequency == "weekly"


def test_changing_the_frequency_needs_the_pages_csrf_token(active):
    subscriber, url = active
    assert Client(enforce_csrf_checks=True).post(url, {"frequency": "daily"}).status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.frequency == "weekly"


@pytest.mark.parametrize("token", ["nonsense", "WzEsImFiYyJd:made-up-signature"])
def test_a_forged_manage_link_is_400(client, active, token):
    for path in (f"/newsletter/manage/{token}/", f"/newsletter/unsubscribe/{token}/"):
        response = client.get(path)
        assert response.status_code == 400
        assert FORGED in text(response)


def test_a_confirmation_token_does_not_manage(client, active):
    subscriber, _ = active
    token = confirm_token(subscriber)
    assert client.get(f"/newsletter/manage/{token}/").status_code == 400
    assert client.post(f"/newsletter/unsubscribe/{token}/").status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == "active"


def test_a_manage_link_signed_for_another_key_is_400(client, active):
    subscriber, _ = active
    token = signing.Signer(salt="townsquare.newsletter.manage").sign_object(
        [subscriber.pk, "guessed-key"])
    assert client.post(f"/newsletter/unsubscribe/{token}/").status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == "active"


# Unsubscribing.


def unsubscribe_url(subscriber) -> str:
    return f"/newsletter/unsubscribe/{manage_token(subscriber)}/"


def test_the_unsubscribe_link_shows_a_confirm_page_and_changes_nothing(client, active):
    subscriber, _ = active
    response = client.get(unsubscribe_url(subscriber))
    assert response.status_code == 200
    page = text(response)
    assert "Stop sending the Townsquare digest to" in page and '<form method="post"' in page
    subscriber.refresh_from_db()
    assert subscriber.status == "active"


def test_pressing_unsubscribe_unsubscribes_without_a_csrf_token(active):
    subscriber, manage_url = active
    client = Client(enforce_csrf_checks=True)
    response = client.post(unsubscribe_url(subscriber), follow=True)
    assert response.redirect_chain == [(f"{manage_url}?done=unsubscribed", 303)]
    page = text(response)
    assert "You are unsubscribed: no more digests will come to reader@example.org." in page
    assert "Subscribe again" in page
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed" and subscriber.unsubscribed is not None


def test_one_click_unsubscribe_from_a_mail_client(active):
    """RFC 8058: the mail client posts List-Unsubscribe=One-Click, with no cookie or token."""
    subscriber, _ = active
    client = Client(enforce_csrf_checks=True)
    response = client.post(unsubscribe_url(subscriber), "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded",
                           headers={"Origin": "https://mail.example"})
    assert response.status_code == 200
    assert "You are unsubscribed" in text(response)
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"


def test_one_click_unsubscribe_sent_as_multipart(active):
    subscriber, _ = active
    response = Client(enforce_csrf_checks=True).post(
        unsubscribe_url(subscriber), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"


def test_a_reused_unsubscribe_link_says_already_unsubscribed(client, active):
    subscriber, _ = active
    client.post(unsubscribe_url(subscriber), {"List-Unsubscribe": "One-Click"})
    when = Subscriber.objects.get().unsubscribed
    for response in (client.get(unsubscribe_url(subscriber)),
                     client.post(unsubscribe_url(subscriber)),
                     client.post(unsubscribe_url(subscriber), {"List-Unsubscribe": "One-Click"})):
        assert response.status_code == 200
        assert "You are already unsubscribed" in text(response)
    assert Subscriber.objects.get().unsubscribed == when


def test_coming_back_after_unsubscribing_needs_a_new_opt_in(client, subscribe):
    subscribe("reader@example.org", "weekly")
    first_link = link_in(mail.outbox[-1], "confirm")
    client.post(first_link)
    subscriber = Subscriber.objects.get()
    client.post(unsubscribe_url(subscriber))

    # The old confirmation link no longer turns the digest on.
    response = client.post(first_link)
    assert response.status_code == 400
    assert "no longer valid" in text(response)
    assert Subscriber.objects.get().status == "unsubscribed"

    # Subscribing again mails a new confirmation; until it is used, nothing is sent.
    subscribe("reader@example.org", "daily")
    assert mail.outbox[-1].subject.startswith("Confirm your subscription")
    subscriber.refresh_from_db()
    assert (subscriber.status, subscriber.frequency) == ("pending", "daily")
    assert client.post(first_link).status_code == 400
    client.post(link_in(mail.outbox[-1], "confirm"))
    subscriber.refresh_from_db()
    assert subscriber.status == "active"


def test_the_manage_page_of_an_unsubscribed_address_offers_to_subscribe_again(
        client, active, subscribe):
    subscriber, url = active
    client.post(unsubscribe_url(subscriber))
    page = text(client.get(url))
    assert 'action="/newsletter/subscribe/"' in page
    assert 'type="hidden" name="email" value="reader@example.org"' in page
    assert subscribe("reader@example.org", "weekly").status_code == 303
    assert mail.outbox[-1].subject.startswith("Confirm your subscription")


def test_the_confirm_salt_is_the_one_the_links_use(pending):
    subscriber, link = pending
    token = link.split("/")[3]
    assert signing.loads(token, salt=CONFIRM_SALT) == [subscriber.pk, subscriber.confirm_nonce]
