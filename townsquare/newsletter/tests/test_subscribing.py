"""Subscribing from the banner: double opt-in, what the page and the email say, bad input,
cross-site posts, rate limits, and the member link."""

from html import unescape

import pytest
from django.core import mail
from django.test import Client

from townsquare.newsletter.models import Subscriber

from .conftest import link_in

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return unescape(response.content.decode())


def test_the_newsletter_page_explains_the_digest_and_shows_the_banner(client):
    response = client.get("/newsletter/")
    assert response.status_code == 200
    page = text(response)
    assert "<title>Newsletter · Townsquare</title>" in page
    assert "The Townsquare newsletter" in page and "daily or weekly" in page
    assert 'class="newsletter-banner"' in page
    assert 'action="/newsletter/subscribe/"' in page and 'hx-post="/newsletter/subscribe/"' in page
    assert '<label for="newsletter-email">Email address</label>' in page
    assert 'id="newsletter-email"' in page and "<legend>How often</legend>" in page


def test_the_banner_renders_alone_without_a_csrf_token_for_cached_pages(rf):
    from django.template.loader import render_to_string

    html = render_to_string("newsletter/banner.html", {"site_name": "Townsquare"})
    assert "csrfmiddlewaretoken" not in html
    assert 'name="email"' in html and 'value="weekly" checked' in html


def test_a_member_finds_their_address_filled_in(client, make_member):
    client.force_login(make_member("ada", email="ada@example.org"))
    assert 'value="ada@example.org"' in text(client.get("/newsletter/"))


def test_subscribing_makes_a_pending_subscriber_and_mails_a_confirmation_link(subscribe):
    response = subscribe("Reader@Example.org", "daily")
    assert response.status_code == 303
    assert response["Location"] == "/newsletter/check-inbox/"
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.frequency, subscriber.status) == (
        "Reader@example.org", "daily", "pending")
    (message,) = mail.outbox
    assert message.to == ["Reader@example.org"]
    assert message.subject == "Confirm your subscription to the Townsquare newsletter"
    assert "the daily digest" in message.body and "works for 7 days" in message.body
    assert link_in(message, "confirm").startswith("/newsletter/confirm/")


def test_the_check_your_inbox_page(client):
    response = client.get("/newsletter/check-inbox/")
    assert response.status_code == 200
    assert "Check your inbox" in text(response)


def test_with_htmx_the_banner_is_swapped_for_the_status_message(subscribe):
    response = subscribe("reader@example.org", htmx=True)
    assert response.status_code == 200
    page = text(response)
    assert page.lstrip().startswith('<section class="newsletter-banner"')
    assert "Check your inbox" in page and 'role="status"' in page
    assert "<html" not in page and "<form" not in page
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("email, message", [
    ("", "Enter your email address."),
    ("not-an-address", "Enter a valid email address"),
    ("a@b", "Enter a valid email address"),
    ("two@@example.org", "Enter a valid email address"),
    ("x" * 250 + "@example.org", "Email addresses are at most 254 characters long."),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_a_bad_address_is_refused_with_400_and_the_reason(subscribe, email, message, htmx):
    response = subscribe(email, htmx=htmx)
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert 'aria-invalid="true"' in page and 'id="newsletter-error"' in page
    assert ("<html" in page) is not htmx
    assert not Subscriber.objects.exists() and mail.outbox == []


@pytest.mark.parametrize("frequency", ["hourly", "", "DAILY"])
def test_an_unknown_frequency_is_refused_with_400(subscribe, frequency):
    response = subscribe("reader@example.org", frequency)
    assert response.status_code == 400
    assert "Choose how often to get the digest: daily or weekly." in text(response)
    assert not Subscriber.objects.exists() and mail.outbox == []


def test_the_form_keeps_what_was_typed_after_an_error(subscribe):
    page = text(subscribe("not-an-address", "daily"))
    assert 'value="not-an-address"' in page and 'value="daily" checked' in page


def test_subscribing_again_while_pending_sends_the_confirmation_again(subscribe):
    subscribe("reader@example.org", "weekly")
    response = subscribe("READER@example.org", "daily")
    assert response.status_code == 303
    subscriber = Subscriber.objects.get()
    assert subscriber.status == "pending" and subscriber.frequency == "daily"
    first, second = mail.outbox
    assert second.subject.startswith("Confirm your subscription")
    assert link_in(first, "confirm") and link_in(second, "confirm")


def test_an_address_already_subscribed_gets_the_same_page_and_a_manage_link_by_email(
        subscribe, client, make_subscriber):
    make_subscriber("reader@example.org", frequency="weekly")
    fresh = subscribe("someone-new@example.org", "daily")
    known = subscribe("reader@example.org", "daily")
    assert known.status_code == fresh.status_code == 303
    assert known["Location"] == fresh["Location"]
    known_htmx = subscribe("reader@example.org", htmx=True)
    fresh_htmx = subscribe("another@example.org", htmx=True)
    assert known_htmx.content == fresh_htmx.content
    messages = [m for m in mail.outbox if m.to == ["reader@example.org"]]
    assert len(messages) == 2
    for message in messages:
        assert message.subject == "You are already subscribed to the Townsquare newsletter"
        assert "You are already subscribed: you get the weekly digest." in message.body
        assert link_in(message, "manage")
        assert "/newsletter/confirm/" not in message.body
    subscriber = Subscriber.objects.get(email="reader@example.org")
    assert (subscriber.status, subscriber.frequency) == ("active", "weekly")


def test_a_signed_in_member_subscribing_their_own_address_is_linked(subscribe, client,
                                                                       make_member):
    ada = make_member("ada", email="Ada@example.org")
    client.force_login(ada)
    subscribe("ada@EXAMPLE.org")
    subscribe("someone-else@example.org")
    assert Subscriber.objects.get(email__iexact="ada@example.org").member == ada
    assert Subscriber.objects.get(email="someone-else@example.org").member is None


def test_a_guest_subscribing_a_members_address_is_not_linked(subscribe, make_member):
    make_member("ada", email="ada@example.org")
    subscribe("ada@example.org")
    assert Subscriber.objects.get().member is None


# Cross-site posts: the endpoint has no CSRF token, so it checks where the post came from.


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Origin": "http://testserver.evil.example"},
    {"Origin": "null"},
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site",
     "Referer": "http://testserver/"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Referer": "https://evil.example/page"},
])
@pytest.mark.parametrize("htmx", [False, True])
def test_a_cross_site_post_is_refused_with_403(subscribe, headers, htmx):
    response = subscribe("victim@example.org", using=Client(enforce_csrf_checks=True),
                         headers=headers, htmx=htmx)
    assert response.status_code == 403
    assert "This form can only be sent from a page of this site." in text(response)
    assert not Subscriber.objects.exists() and mail.outbox == []


@pytest.mark.parametrize("headers", [
    {"Origin": "http://testserver"},
    {"Sec-Fetch-Site": "same-origin"},
    {"Referer": "http://testserver/t/1/news/"},
    {},
])
def test_a_post_from_the_sites_own_pages_needs_no_csrf_token(subscribe, headers):
    response = subscribe("reader@example.org", using=Client(enforce_csrf_checks=True),
                         headers=headers)
    assert response.status_code == 303
    assert Subscriber.objects.filter(status="pending").count() == 1
    assert len(mail.outbox) == 1


def test_the_subscribe_endpoint_takes_only_posts(client):
    assert client.get("/newsletter/subscribe/").status_code == 405


def test_subscribing_too_often_from_one_address_is_refused_with_429(subscribe, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "subscribe": (3, 3600)}
    for n in range(3):
        assert subscribe(f"reader{n}@example.org").status_code == 303
    response = subscribe("reader9@example.org")
    assert response.status_code == 429
    assert "You are doing that too often. Try again in" in text(response)
    assert 1 <= int(response["Retry-After"]) <= 3600
    htmx = subscribe("reader10@example.org", htmx=True)
    assert htmx.status_code == 429 and "<html" not in text(htmx)
    assert 1 <= int(htmx["Retry-After"]) <= 3600 and "Try again in" in text(htmx)
    assert Subscriber.objects.count() == 3 and len(mail.outbox) == 3


def test_one_inbox_gets_a_limited_number_of_emails_whoever_asks(subscribe, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "subscribe": (3, 3600)}
    clients = [Client(REMOTE_ADDR=f"10.0.0.{n}") for n in range(5)]
    codes = [subscribe("target@example.org", using=c).status_code for c in clients]
    assert codes == [303, 303, 303, 429, 429]
    assert len(mail.outbox) == 3
