"""Signing in and out, forged requests, and resetting a forgotten password by email."""

import re
from html import unescape

import pytest
from django.core import mail
from django.test import Client

from townsquare.accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Passphrase-42"
NEW_PASSWORD = "another-Long-phrase-99"


@pytest.fixture
def mara(make_member):
    return make_member("Mara", email="mara@example.org", password=PASSWORD)


def page_text(response) -> str:
    return unescape(response.content.decode())


def signed_in_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def sign_in(client, login, password=PASSWORD, **extra):
    return client.post("/signin/", {"username": login, "password": password, **extra})


def test_the_signin_page_asks_for_a_username_or_email_under_the_sites_name(client):
    response = client.get("/signin/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Username or email" in text
    assert "<title>Sign in · Townsquare</title>" in text and "testserver" not in text


@pytest.mark.parametrize("login", [
    "Mara", "mara", "MARA", "mArA", " mara ",
    "mara@example.org", "MARA@EXAMPLE.ORG", "Mara@Example.org",
])
def test_signing_in_by_username_or_email_in_any_letter_case(client, mara, login):
    response = sign_in(client, login)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_id(client) == mara.pk


def test_a_username_that_contains_an_at_sign_signs_in_as_a_username(client, make_member):
    member = make_member("jo@home", email="jo@example.org", password=PASSWORD)
    assert sign_in(client, "JO@HOME").status_code == 302
    assert signed_in_id(client) == member.pk


def test_signing_in_goes_on_to_the_page_named_in_next(client, mara):
    response = sign_in(client, "mara", next="/u/Mara/")
    assert response["Location"] == "/u/Mara/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/"])
def test_signing_in_ignores_a_next_that_leaves_the_site(client, mara, target):
    response = sign_in(client, "mara", next=target)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_id(client) == mara.pk


@pytest.mark.parametrize("login, password", [
    ("mara", "not-the-Password-1"),
    ("mara@example.org", "not-the-Password-1"),
    ("nobody", PASSWORD),
    ("nobody@example.org", PASSWORD),
    ("mara", ""),
])
def test_a_wrong_username_email_or_password_is_refused_with_400_and_a_message(
        client, mara, login, password):
    response = sign_in(client, login, password)
    assert response.status_code == 400
    text = page_text(response)
    if password:
        assert "That username or email and password don't match an account." in text
    else:
        assert "This field is required." in text
    assert signed_in_id(client) is None


def test_an_inactive_member_cannot_sign_in(client, mara):
    mara.is_active = False
    mara.save()
    response = sign_in(client, "mara")
    assert response.status_code == 400
    assert signed_in_id(client) is None


def test_a_signed_in_member_visiting_the_signin_page_goes_home(client, mara):
    client.force_login(mara)
    response = client.get("/signin/")
    assert response.status_code == 302 and response["Location"] == "/"


def test_signing_in_too_often_from_one_address_is_refused_with_429(client, settings, mara):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signin": (3, 300)}
    for _ in range(3):
        assert sign_in(client, "mara", "guessing-Wrong-123").status_code == 400
    response = sign_in(client, "mara")
    assert response.status_code == 429
    assert "You are doing that too often." in page_text(response)
    assert signed_in_id(client) is None


def test_signing_out_takes_a_post_and_ends_the_session(client, mara):
    client.force_login(mara)
    response = client.post("/signout/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_id(client) is None


def test_a_get_to_signout_does_not_sign_the_member_out(client, mara):
    client.force_login(mara)
    response = client.get("/signout/")
    assert response.status_code == 405
    assert signed_in_id(client) == mara.pk


@pytest.mark.parametrize("url, data", [
    ("/signin/", {"username": "mara", "password": PASSWORD}),
    ("/signout/", {}),
    ("/password/reset/", {"email": "mara@example.org"}),
])
def test_a_forged_post_without_a_csrf_token_is_refused_with_403(mara, url, data):
    client = Client(enforce_csrf_checks=True)
    signed_in = url == "/signout/"
    if signed_in:
        client.force_login(mara)
    response = client.post(url, data)
    assert response.status_code == 403
    assert signed_in_id(client) == (mara.pk if signed_in else None)
    assert mail.outbox == []


def test_a_post_with_the_pages_csrf_token_is_accepted(mara):
    client = Client(enforce_csrf_checks=True)
    form = client.get("/signin/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = client.post("/signin/", {
        "username": "mara", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert signed_in_id(client) == mara.pk


# Password reset.


def ask_for_reset(client, email):
    return client.post("/password/reset/", {"email": email})


def reset_link(message) -> str:
    return re.search(r"http://testserver(/password/reset/\S+/\S+/)", message.body).group(1)


def test_asking_for_a_reset_mails_a_link_to_the_account_address(client, mara):
    response = ask_for_reset(client, "MARA@example.org")
    assert response.status_code == 302
    assert response["Location"] == "/password/reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mara@example.org"]
    assert message.from_email == "Townsquare <noreply@localhost>"


def test_the_reset_email_names_the_site_the_account_and_the_link(client, mara):
    ask_for_reset(client, "mara@example.org")
    message = mail.outbox[0]
    assert message.subject == "Reset your Townsquare password"
    link = reset_link(message)
    assert message.body == (
        'Someone asked to reset the password for the Townsquare account "Mara".\n'
        "\n"
        "Choose a new password here:\n"
        f"http://testserver{link}\n"
        "\n"
        "If it wasn't you, ignore this email: your password stays as it is.\n"
    )


def test_the_reset_email_is_plain_text_whatever_the_site_is_called(client, settings, mara):
    settings.SITE_NAME = "Bits & Bobs"
    ask_for_reset(client, "mara@example.org")
    message = mail.outbox[0]
    assert message.subject == "Reset your Bits & Bobs password"
    assert "the Bits & Bobs account" in message.body and "&amp;" not in message.body


def test_the_link_in_the_reset_email_sets_a_new_password(client, mara):
    ask_for_reset(client, "mara@example.org")
    response = client.get(reset_link(mail.outbox[0]))
    assert response.status_code == 302
    form_url = response["Location"]
    assert form_url.endswith("/set-password/")
    assert "Choose a new password" in page_text(client.get(form_url))
    response = client.post(form_url, {"new_password1": NEW_PASSWORD,
                                      "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/password/reset/done/"
    assert "Your password has been set." in page_text(client.get(response["Location"]))
    mara.refresh_from_db()
    assert mara.check_password(NEW_PASSWORD) and not mara.check_password(PASSWORD)
    assert mara.password.startswith("argon2")
    assert sign_in(Client(), "mara", NEW_PASSWORD).status_code == 302
    assert sign_in(Client(), "mara", PASSWORD).status_code == 400


def test_a_reset_link_works_once(client, mara):
    ask_for_reset(client, "mara@example.org")
    link = reset_link(mail.outbox[0])
    form_url = client.get(link)["Location"]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    response = Client().get(link, follow=True)
    assert "This reset link is invalid or has already been used." in page_text(response)


def test_the_new_password_must_pass_the_same_rules_as_on_registering(client, mara):
    ask_for_reset(client, "mara@example.org")
    form_url = client.get(reset_link(mail.outbox[0]))["Location"]
    response = client.post(form_url, {"new_password1": "password", "new_password2": "password"})
    assert response.status_code == 200
    assert "This password is too common." in page_text(response)
    mara.refresh_from_db()
    assert mara.check_password(PASSWORD)


def test_a_made_up_reset_link_is_shown_as_invalid(client, mara):
    response = client.get("/password/reset/MQ/made-up-token/")
    assert response.status_code == 200
    assert "This reset link is invalid or has already been used." in page_text(response)


@pytest.mark.parametrize("email", ["nobody@example.org", "inactive@example.org"])
def test_an_unknown_email_gets_the_same_check_your_email_page_and_no_mail(
        client, make_member, mara, email):
    make_member("sleeper", email="inactive@example.org", is_active=False)
    known = ask_for_reset(Client(), "mara@example.org")
    unknown = ask_for_reset(client, email)
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"] == "/password/reset/sent/"
    page = page_text(client.get(unknown["Location"]))
    assert "Check your email" in page
    assert "If an account uses that address, a link to reset its password is on its way." in page
    assert [m.to for m in mail.outbox] == [["mara@example.org"]]


def test_asking_for_resets_too_often_is_refused_with_429(client, settings, mara):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": (2, 3600)}
    for _ in range(2):
        assert ask_for_reset(client, "mara@example.org").status_code == 302
    response = ask_for_reset(client, "mara@example.org")
    assert response.status_code == 429
    assert len(mail.outbox) == 2
    assert User.objects.get().check_password(PASSWORD)
