"""Signing in and out, forged requests, and resetting a forgotten password by email."""

import re
from html import unescape
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from townsquare.accounts.models import User

from .conftest import link_in

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


def test_a_username_from_before_names_had_no_at_sign_still_signs_in(client, make_member):
    member = make_member("jo@home", email="jo@example.org", password=PASSWORD)
    assert sign_in(client, "JO@HOME").status_code == 302
    assert signed_in_id(client) == member.pk
    client.logout()
    assert sign_in(client, "jo@example.org").status_code == 302
    assert signed_in_id(client) == member.pk


def test_a_login_with_an_at_sign_is_the_address_before_anyones_username(
        client, mara, make_member):
    # An account from before the rule, named after Mara's address.
    squatter = make_member("MARA@example.org", email="squatter@example.org",
                           password="the-Squatters-own-9")
    assert sign_in(client, "mara@example.org").status_code == 302
    assert signed_in_id(client) == mara.pk
    client.logout()
    response = sign_in(client, "mara@example.org", "the-Squatters-own-9")
    assert response.status_code == 400 and signed_in_id(client) is None
    # The old account still gets in, by its own address.
    assert sign_in(client, "squatter@example.org", "the-Squatters-own-9").status_code == 302
    assert signed_in_id(client) == squatter.pk


def test_a_login_without_an_at_sign_is_only_ever_a_username(client, make_member):
    make_member("robin", email="robin@example.org", password=PASSWORD)
    assert sign_in(client, "robin@example").status_code == 400
    assert sign_in(client, "example.org").status_code == 400
    assert signed_in_id(client) is None


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


@pytest.fixture
def window_start():
    """Rate limits' clock at 60 seconds into a window of 300 (and of 900)."""
    with mock.patch("townsquare.core.ratelimit.time.time", lambda: 900 * 2_000_000 + 60):
        yield


def test_signing_in_counts_failures_not_attempts(client, mara, make_member):
    # Everyone in one office signs in from one address: nobody is refused.
    members = [make_member(f"clerk{n}", password=PASSWORD) for n in range(15)]
    for member in members:
        assert sign_in(Client(), member.username).status_code == 302
    for _ in range(15):
        assert sign_in(Client(), "mara").status_code == 302


def test_wrong_passwords_lock_the_account_for_a_while_and_the_429_says_until_when(
        client, settings, mara, make_member, window_start):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signin_account": (3, 300)}
    for login in ("mara", "MARA@example.org", "Mara"):  # the name and the address alike
        assert sign_in(client, login, "guessing-Wrong-123").status_code == 400
    response = sign_in(client, "mara")  # the right password, too late
    assert response.status_code == 429
    assert response["Retry-After"] == "240"
    text = page_text(response)
    assert "You are doing that too often. Try again in 4 minutes." in text
    assert 'name="username"' in text and 'name="password"' in text  # the form is still there
    assert signed_in_id(client) is None
    # Someone else behind the same address is not locked out.
    other = make_member("tomasz", password=PASSWORD)
    assert sign_in(Client(), "tomasz").status_code == 302
    assert other.pk != mara.pk


def test_the_lock_ends_with_its_window(client, settings, mara):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signin_account": (2, 300)}
    clock = [300 * 5_000_000 + 10.0]
    with mock.patch("townsquare.core.ratelimit.time.time", lambda: clock[0]):
        for _ in range(2):
            sign_in(client, "mara", "guessing-Wrong-123")
        assert sign_in(client, "mara").status_code == 429
        clock[0] += 290
        assert sign_in(client, "mara").status_code == 302


def test_signing_in_clears_the_accounts_failures(client, settings, mara):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signin_account": (3, 300)}
    for _ in range(2):
        assert sign_in(Client(), "mara", "guessing-Wrong-123").status_code == 400
    assert sign_in(Client(), "mara").status_code == 302
    for _ in range(2):
        assert sign_in(Client(), "mara", "typo-Again-456").status_code == 400
    assert sign_in(client, "mara").status_code == 302


def test_a_login_that_names_no_account_is_locked_like_one_that_does(client, settings, mara):
    # Otherwise the lock would tell a guesser which names and addresses have accounts.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signin_account": (2, 300)}
    for login in ("mara", "nobody", "nobody@example.org"):
        codes = [sign_in(Client(), login, "guessing-Wrong-123").status_code for _ in range(3)]
        assert codes == [400, 400, 429]


def test_a_guesser_trying_many_accounts_from_one_address_is_stopped(
        settings, make_member, window_start):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signin_address": (4, 900)}
    members = [make_member(f"target{n}", password=PASSWORD) for n in range(6)]
    guesser = Client(REMOTE_ADDR="203.0.113.66")
    codes = [sign_in(guesser, m.username, "guessing-Wrong-123").status_code for m in members]
    assert codes == [400, 400, 400, 400, 429, 429]
    response = sign_in(guesser, members[0].username)
    assert response.status_code == 429 and response["Retry-After"] == "840"
    assert "Try again in 14 minutes." in page_text(response)
    # The members themselves, elsewhere, are not locked out.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.20"), members[5].username).status_code == 302


def test_a_guesser_behind_a_trusted_proxy_is_told_apart_from_the_others_behind_it(
        settings, mara, make_member):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signin_address": (3, 900)}
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    guesser = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.66")
    for n in range(3):
        sign_in(guesser, f"someone{n}", "guessing-Wrong-123")
    assert sign_in(guesser, "mara").status_code == 429
    # Mara comes through the same proxy; forging the header from outside it changes nothing.
    assert sign_in(Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.4"), "mara") \
        .status_code == 302
    spoofer = Client(REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert sign_in(spoofer, "mara").status_code == 429


@pytest.mark.parametrize("fields, message", [
    ({"username": "m" * 50_000}, "Ensure this value has at most 254 characters (it has 50000)."),
    ({"username": "m" * 250 + "@example.org"},
     "Ensure this value has at most 254 characters (it has 262)."),
    ({"password": "p" * 5_000_000}, "Ensure this value has at most 4096 characters"),
])
def test_an_over_long_sign_in_is_refused_with_400_before_any_query(client, mara, fields, message):
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/signin/", {"username": "mara", "password": PASSWORD, **fields})
    assert response.status_code == 400
    assert message in page_text(response)
    assert [q["sql"] for q in queries.captured_queries] == []
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


@pytest.fixture
def ask_for_reset(worker):
    """Ask for a reset link, then let the worker send the email (if any)."""

    def post(client, email, **extra):
        return worker(client.post, "/password/reset/", {"email": email}, **extra)

    return post


def reset_link(message) -> str:
    return link_in(message, "/password/reset/")


def test_asking_for_a_reset_mails_a_link_to_the_account_address(client, mara, ask_for_reset):
    response = ask_for_reset(client, "MARA@example.org")
    assert response.status_code == 302
    assert response["Location"] == "/password/reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mara@example.org"]
    assert message.from_email == "Townsquare <noreply@localhost>"


def test_the_reset_email_names_the_site_the_account_and_the_link(client, mara, ask_for_reset):
    ask_for_reset(client, "mara@example.org")
    message = mail.outbox[0]
    assert message.subject == "Reset your Townsquare password"
    link = reset_link(message)
    assert message.body == (
        'Someone asked to reset the password for the Townsquare account "Mara".\n'
        "\n"
        "Choose a new password here:\n"
        f"{settings.SITE_URL}{link}\n"
        "\n"
        "If it wasn't you, ignore this email: your password stays as it is.\n"
    )


@pytest.mark.parametrize("host", ["127.0.0.1:1337", "localhost:8443", "[::1]:9"])
def test_the_reset_link_comes_from_site_url_whatever_host_the_request_named(
        client, settings, mara, ask_for_reset, host):
    settings.SITE_URL = "https://forum.example.org"
    response = ask_for_reset(client, "mara@example.org", HTTP_HOST=host)
    assert response.status_code == 302
    body = mail.outbox[0].body
    assert "https://forum.example.org/password/reset/" in body
    assert host not in body and "127.0.0.1" not in body


def test_the_reset_email_is_plain_text_whatever_the_site_is_called(
        client, settings, mara, ask_for_reset):
    settings.SITE_NAME = "Bits & Bobs"
    ask_for_reset(client, "mara@example.org")
    message = mail.outbox[0]
    assert message.subject == "Reset your Bits & Bobs password"
    assert "the Bits & Bobs account" in message.body and "&amp;" not in message.body


def test_the_link_in_the_reset_email_sets_a_new_password(client, mara, ask_for_reset):
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


def test_a_reset_link_works_once(client, mara, ask_for_reset):
    ask_for_reset(client, "mara@example.org")
    link = reset_link(mail.outbox[0])
    form_url = client.get(link)["Location"]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    response = Client().get(link, follow=True)
    assert "This reset link is invalid or has already been used." in page_text(response)


def test_the_new_password_must_pass_the_same_rules_as_on_registering(
        client, mara, ask_for_reset):
    ask_for_reset(client, "mara@example.org")
    form_url = client.get(reset_link(mail.outbox[0]))["Location"]
    for password, message in [
            ("password", "This password is too common."),
            ("Long-" * 1000, "Ensure this value has at most 4096 characters (it has 5000).")]:
        response = client.post(form_url, {"new_password1": password,
                                           "new_password2": password})
        assert response.status_code == 200
        assert message in page_text(response)
    mara.refresh_from_db()
    assert mara.check_password(PASSWORD)


def test_a_made_up_reset_link_is_shown_as_invalid(client, mara):
    response = client.get("/password/reset/MQ/made-up-token/")
    assert response.status_code == 200
    assert "This reset link is invalid or has already been used." in page_text(response)


@pytest.mark.parametrize("email", ["nobody@example.org", "inactive@example.org"])
def test_an_unknown_email_gets_the_same_check_your_email_page_and_no_mail(
        client, make_member, mara, ask_for_reset, email):
    make_member("sleeper", email="inactive@example.org", is_active=False)
    known = ask_for_reset(Client(), "mara@example.org")
    unknown = ask_for_reset(client, email)
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"] == "/password/reset/sent/"
    page = page_text(client.get(unknown["Location"]))
    assert "Check your email" in page
    assert "If an account uses that address, a link to reset its password is on its way." in page
    assert [m.to for m in mail.outbox] == [["mara@example.org"]]


def test_a_reset_request_does_the_same_work_for_a_known_and_an_unknown_address(
        mara, django_capture_on_commit_callbacks):
    # Its time cannot tell them apart: it never looks the address up, and sends nothing.
    work = []
    for email in ("mara@example.org", "nobody@example.org"):
        with CaptureQueriesContext(connection) as queries, \
                django_capture_on_commit_callbacks(execute=True):
            assert Client().post("/password/reset/", {"email": email}).status_code == 302
        work.append([re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"])
                     for q in queries.captured_queries])
    assert work[0] == work[1]
    assert not any("accounts_user" in sql for sql in work[0])
    assert mail.outbox == []


def test_asking_for_resets_too_often_is_refused_with_429(client, settings, mara, ask_for_reset):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": (2, 3600)}
    for _ in range(2):
        assert ask_for_reset(client, "mara@example.org").status_code == 302
    response = ask_for_reset(client, "mara@example.org")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert "Try again in" in page_text(response)
    assert len(mail.outbox) == 2
    assert User.objects.get().check_password(PASSWORD)


def test_one_address_gets_only_so_many_reset_emails_whoever_asks(
        settings, mara, ask_for_reset):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": (2, 3600)}
    for email in ("mara@example.org", "nobody@example.org"):
        codes = [ask_for_reset(Client(REMOTE_ADDR=f"198.51.100.{n}"), email).status_code
                 for n in range(3)]
        assert codes == [302, 302, 429]
    assert len(mail.outbox) == 2


def test_the_admins_sign_in_follows_the_same_rules_and_counts(settings, make_member):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signin_account": (3, 300)}
    boss = make_member("boss", email="boss@example.org", is_staff=True, is_superuser=True)
    admin = Client()
    for _ in range(3):
        response = admin.post("/admin/login/", {"username": "boss", "password": "wrong-Guess-1"})
        assert response.status_code == 200 and signed_in_id(admin) is None
    # Locked now, here and on the site's own form, even with the right password.
    admin.post("/admin/login/", {"username": "boss@example.org", "password": PASSWORD})
    assert signed_in_id(admin) is None
    assert sign_in(Client(), "boss").status_code == 429
    assert boss.check_password(PASSWORD)


def test_the_admins_sign_in_takes_an_address_or_a_name(make_member):
    boss = make_member("boss", email="boss@example.org", is_staff=True)
    for login in ("BOSS", "Boss@Example.org"):
        admin = Client()
        response = admin.post("/admin/login/", {"username": login, "password": PASSWORD})
        assert response.status_code == 302 and signed_in_id(admin) == boss.pk
    assert Client().post("/admin/login/", {"username": "b" * 300, "password": PASSWORD}) \
        .status_code == 200
