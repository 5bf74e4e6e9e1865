"""Registering: the address is confirmed by an emailed link before the account exists, the
answer is the same whether the address is taken or not, usernames never look like addresses,
Argon2 hashes, safe redirects, clear refusals, one account per name and address."""

import time
from html import unescape
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from townsquare.accounts import actions
from townsquare.accounts.actions import register_member
from townsquare.accounts.models import Registration, User
from townsquare.core.errors import Conflict, Invalid

from .conftest import link_in

pytestmark = pytest.mark.django_db

PASSWORD = "correct-Horse-battery-7"


@pytest.fixture
def register(worker):
    """POST the register form, then let the worker send what it queued."""

    def post(client, query="", **fields):
        data = {"username": "newcomer", "email": "newcomer@example.org", "password": PASSWORD}
        data.update(fields)
        return worker(client.post, f"/register/{query}", data)

    return post


def page_text(response) -> str:
    return unescape(response.content.decode())


def signed_in_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def confirm_link(to: str) -> str:
    (message,) = [m for m in mail.outbox if m.to == [to]]
    return link_in(message, "/register/confirm/")


def finish(client, to="newcomer@example.org"):
    """Open the emailed link and press its button."""
    link = confirm_link(to)
    assert client.get(link).status_code == 200
    return client.post(link)


def test_the_register_page_shows_the_form_and_says_an_email_follows(client):
    response = client.get("/register/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Create an account" in text
    assert 'name="username"' in text and 'name="email"' in text and 'name="password"' in text
    assert "3 to 30 characters: letters, digits and . _ - +" in text and "+ @" not in text
    assert "We will email you a link to finish" in text


def test_registering_emails_a_link_that_creates_the_member_and_signs_them_in(client, register):
    response = register(client, username="  newcomer ", email=" newcomer@example.org ")
    assert response.status_code == 303
    assert response["Location"] == "/register/sent/"
    assert "Check your email to finish" in page_text(client.get(response["Location"]))
    assert not User.objects.exists() and signed_in_id(client) is None
    (message,) = mail.outbox
    assert message.to == ["newcomer@example.org"]
    assert message.subject == "Finish creating your Townsquare account"
    link = confirm_link("newcomer@example.org")
    assert message.body == (
        "Welcome to Townsquare!\n"
        "\n"
        'To finish creating the account "newcomer", open this link:\n'
        f"{settings.SITE_URL}{link}\n"
        "\n"
        "The link works for 3 days. If you didn't register, ignore this email: no account is "
        "made without it.\n")

    # Opening the link (as a mail system's scanner would) makes nothing: the button does.
    page = client.get(link)
    assert page.status_code == 200 and 'Create the account <strong>newcomer</strong>' in \
        page_text(page)
    assert not User.objects.exists()
    response = client.post(link)
    assert response.status_code == 303 and response["Location"] == "/"
    member = User.objects.get()
    assert member.username == "newcomer" and member.email == "newcomer@example.org"
    assert member.role == "member" and member.is_active and not member.is_staff
    assert member.password.startswith("argon2") and member.check_password(PASSWORD)
    assert signed_in_id(client) == member.pk
    assert "Welcome to Townsquare, newcomer!" in page_text(client.get("/"))
    assert not Registration.objects.exists()


def test_the_registration_link_works_once(client, register):
    register(client)
    link = confirm_link("newcomer@example.org")
    assert client.post(link).status_code == 303
    again = Client().post(link)
    assert again.status_code == 400
    assert "This link has already been used, or has expired." in page_text(again)
    assert User.objects.count() == 1


def test_a_registration_link_expires_after_three_days(client, register):
    register(client)
    link = confirm_link("newcomer@example.org")
    later = time.time() + 3 * 86400 + 60
    with mock.patch("django.core.signing.time.time", lambda: later):
        response = client.get(link)
    assert response.status_code == 400
    assert "This link has already been used, or has expired." in page_text(response)


@pytest.mark.parametrize("token", ["made-up", "MQ:1tXyZ:abc", "x" * 300])
def test_a_made_up_registration_link_is_refused_with_400(client, token):
    response = client.get(f"/register/confirm/{token}/")
    assert response.status_code == 400
    assert "This link is not valid." in page_text(response)


def test_registering_goes_on_to_the_page_named_in_next_once_confirmed(client, register):
    register(client, next="/t/12/a-story/?page=2")
    assert finish(client)["Location"] == "/t/12/a-story/?page=2"


def test_next_in_the_query_string_is_followed_too(client, register):
    register(client, query="?next=/new/")
    assert finish(client)["Location"] == "/new/"


@pytest.mark.parametrize("target", [
    "https://evil.example/steal",
    "//evil.example/steal",
    "http://testserver.evil.example/",
    "javascript:alert(1)",
    "https:///evil.example",
])
def test_registering_ignores_a_next_that_leaves_the_site(client, register, target):
    assert register(client, next=target).status_code == 303
    response = finish(client)
    assert response.status_code == 303
    assert response["Location"] == "/"
    assert User.objects.count() == 1


def test_the_register_form_carries_next_through_a_refusal(client, register):
    response = register(client, password="short", next="/new/")
    assert response.status_code == 400
    assert 'name="next" value="/new/"' in page_text(response)


CHARACTERS = "Use only letters, digits and the characters . _ - + in a username."


@pytest.mark.parametrize("fields, message", [
    ({"username": ""}, "This field is required."),
    ({"username": "   "}, "This field is required."),
    ({"email": ""}, "This field is required."),
    ({"password": ""}, "This field is required."),
    ({"email": "not-an-email"}, "Enter a valid email address."),
    ({"email": "two@at@example.org"}, "Enter a valid email address."),
    ({"email": "a" * 250 + "@example.org"},
     "Ensure this value has at most 254 characters (it has 262)."),
    ({"password": "Sh0rt!"}, "This password is too short. It must contain at least 8 characters."),
    ({"password": "password"}, "This password is too common."),
    ({"password": "83920174659"}, "This password is entirely numeric."),
    ({"password": "x7-" * 1366}, "Ensure this value has at most 4096 characters (it has 4098)."),
    ({"username": "riverbank", "password": "riverbank1"},
     "The password is too similar to the username."),
    ({"username": "ab"}, "Usernames are 3 to 30 characters long."),
    ({"username": "x" * 31}, "Ensure this value has at most 30 characters (it has 31)."),
    ({"username": "two words"}, CHARACTERS),
    ({"username": "semi;colon"}, CHARACTERS),
    ({"username": "slash/name"}, CHARACTERS),
    ({"username": "mara@example.org"}, CHARACTERS),
    ({"username": "jo@home"}, CHARACTERS),
    ({"username": "＠mara"}, CHARACTERS),  # a full-width @ is an @ once normalised
])
def test_registering_with_bad_input_is_refused_with_400_and_says_why(
        client, register, fields, message):
    response = register(client, **fields)
    assert response.status_code == 400
    assert message in page_text(response)
    assert not User.objects.exists() and not Registration.objects.exists()
    assert signed_in_id(client) is None
    assert mail.outbox == []


def test_a_username_that_is_another_members_email_address_is_refused(
        client, register, make_member):
    make_member("mara", email="mara@example.org")
    response = register(client, username="mara@example.org", email="someone@example.org")
    assert response.status_code == 400
    assert CHARACTERS in page_text(response)
    assert not Registration.objects.exists() and mail.outbox == []


def test_a_username_of_exactly_three_or_thirty_characters_is_accepted(client, register):
    assert register(client, username="abc", email="abc@example.org").status_code == 303
    assert register(client, username="y" * 30, email="y@example.org").status_code == 303
    finish(Client(), "abc@example.org")
    finish(Client(), "y@example.org")
    assert set(User.objects.values_list("username", flat=True)) == {"abc", "y" * 30}


def test_a_username_may_hold_the_characters_the_hint_promises(client, register):
    assert register(client, username="jo.ann_b-2+x").status_code == 303
    finish(client)
    assert User.objects.get().username == "jo.ann_b-2+x"


@pytest.mark.parametrize("taken", ["mara", "MARA", "Mara", "mArA", "ｍａｒａ"])
def test_registering_a_username_taken_in_any_letter_case_is_refused_with_409(
        client, register, make_member, taken):
    make_member("Mara")
    response = register(client, username=taken)
    assert response.status_code == 409
    assert "That username is already taken." in page_text(response)
    assert User.objects.count() == 1 and not Registration.objects.exists()
    assert signed_in_id(client) is None and mail.outbox == []


# A taken address: the same answer as a new one, and a note to its owner.


@pytest.mark.parametrize("taken", ["mara@example.org", "MARA@EXAMPLE.ORG", "Mara@Example.org"])
def test_registering_with_a_taken_email_answers_exactly_as_with_a_new_one(
        register, make_member, taken):
    make_member("mara", email="mara@example.org")
    new, old = Client(), Client()
    fresh = register(new, username="newcomer", email="newcomer@example.org")
    again = register(old, username="newcomer2", email=taken)
    assert again.status_code == fresh.status_code == 303
    assert again["Location"] == fresh["Location"] == "/register/sent/"
    assert again.content == fresh.content
    assert page_text(old.get(again["Location"])) == page_text(new.get(fresh["Location"]))
    assert signed_in_id(old) is None and signed_in_id(new) is None
    assert list(User.objects.values_list("username", flat=True)) == ["mara"]
    # Nothing waits for the taken address: only the new one's link makes an account.
    assert list(Registration.objects.values_list("email", flat=True)) == ["newcomer@example.org"]


def test_the_owner_of_a_taken_address_is_told_and_given_a_reset_link(
        client, register, make_member):
    mara = make_member("mara", email="mara@example.org")
    register(client, username="impostor", email="MARA@example.org")
    (message,) = mail.outbox
    assert message.to == ["mara@example.org"]
    assert message.subject == "Someone tried to register on Townsquare with your address"
    link = link_in(message, "/password/reset/")
    assert message.body == (
        "Someone tried to register a new Townsquare account with this email address. It "
        'already belongs to your account "mara", so no new account was made.\n'
        "\n"
        "If it was you and you have forgotten your password, choose a new one here:\n"
        f"{settings.SITE_URL}{link}\n"
        "\n"
        "If it wasn't you, ignore this email: your account stays as it is.\n")
    form_url = client.get(link)["Location"]
    new_password = "a-Fresh-start-2025"
    client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    mara.refresh_from_db()
    assert mara.check_password(new_password)
    assert not User.objects.filter(username="impostor").exists()


def test_no_email_is_sent_during_the_request_taken_address_or_not(
        make_member, django_capture_on_commit_callbacks):
    make_member("mara", email="mara@example.org")
    for n, email in enumerate(["mara@example.org", "newcomer@example.org"]):
        with django_capture_on_commit_callbacks(execute=True):
            Client().post("/register/", {"username": f"newcomer{n}", "email": email,
                                         "password": PASSWORD})
    assert mail.outbox == []  # the worker sends them


def test_an_inactive_owner_of_a_taken_address_gets_nothing(client, register, make_member):
    make_member("sleeper", email="sleeper@example.org", is_active=False)
    assert register(client, email="sleeper@example.org").status_code == 303
    assert mail.outbox == [] and not Registration.objects.exists()
    assert User.objects.count() == 1


def test_the_registration_email_is_sent_once_however_often_the_task_runs(client, register):
    from townsquare.accounts import emails

    register(client)
    registration = Registration.objects.get()
    assert emails.send_registration_email(registration.pk) == "already sent"
    assert len(mail.outbox) == 1


# While the link waits.


def test_a_username_taken_while_the_link_waited_is_refused_with_409(
        client, register, make_member):
    register(client)
    link = confirm_link("newcomer@example.org")
    make_member("NewComer")
    response = client.post(link)
    assert response.status_code == 409
    assert "Someone took the username newcomer while you were away." in page_text(response)
    assert signed_in_id(client) is None and User.objects.count() == 1


def test_registering_twice_with_one_address_makes_one_account(client, register):
    register(client, username="first")
    register(client, username="second")
    first, second = (link_in(m, "/register/confirm/") for m in mail.outbox)
    assert client.post(second).status_code == 303
    response = Client().post(first)
    assert response.status_code == 400
    assert "This link has already been used" in page_text(response)
    assert list(User.objects.values_list("username", flat=True)) == ["second"]


def test_an_address_given_an_account_while_the_link_waited_is_refused_with_409(
        client, register, make_member):
    register(client)
    link = confirm_link("newcomer@example.org")
    make_member("elsewhere", email="NEWCOMER@example.org")
    response = client.post(link)
    assert response.status_code == 409
    assert "This address already has an account" in page_text(response)
    assert User.objects.count() == 1


def test_a_duplicate_made_concurrently_is_refused_with_409_not_500(client, register):
    register(client)
    link = confirm_link("newcomer@example.org")
    real = actions._refuse_taken

    def someone_else_first(username, email):
        real(username, email)
        if not User.objects.exists():  # after this request's check, before its insert
            User.objects.bulk_create([User(username="NEWCOMER", email="other@example.org")])

    with mock.patch.object(actions, "_refuse_taken", someone_else_first):
        response = client.post(link)
    assert response.status_code == 409
    assert "Someone took the username newcomer" in page_text(response)
    assert User.objects.count() == 1 and signed_in_id(client) is None


def test_a_username_typed_in_full_width_letters_is_stored_in_its_plain_form_so_it_can_sign_in(
        client, register):
    assert register(client, username="ｊｏｎａｓ").status_code == 303
    finish(client)
    assert User.objects.get().username == "jonas"
    client.logout()
    response = client.post("/signin/", {"username": "ｊｏｎａｓ", "password": PASSWORD})
    assert response.status_code == 302


def test_the_register_action_refuses_a_taken_name_and_bad_input_itself(make_member):
    make_member("mara", email="mara@example.org")
    with pytest.raises(Conflict, match="username is already taken") as error:
        register_member(username="MARA", email="other@example.org", password=PASSWORD)
    assert error.value.field == "username" and error.value.status == 409
    with pytest.raises(Invalid, match="3 to 30 characters") as error:
        register_member(username="ab", email="ab@example.org", password=PASSWORD)
    assert error.value.field == "username"
    with pytest.raises(Invalid, match="characters . _ - \\+ in a username") as error:
        register_member(username="a@b.org", email="ab@example.org", password=PASSWORD)
    assert error.value.field == "username"
    with pytest.raises(Invalid, match="valid email") as error:
        register_member(username="other", email="", password=PASSWORD)
    assert error.value.field == "email"
    with pytest.raises(Invalid, match="too common") as error:
        register_member(username="other", email="other@example.org", password="password")
    assert error.value.field == "password"
    # A taken address is not refused here: the worker tells its owner.
    register_member(username="other", email="Mara@Example.Org", password=PASSWORD)
    assert User.objects.count() == 1 and Registration.objects.count() == 1


# Limits.


def test_registering_too_often_from_one_address_is_refused_with_429_and_when_to_retry(
        client, register, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "register": (2, 3600)}
    with mock.patch("townsquare.core.ratelimit.time.time", lambda: 3600 * 500_000 + 600):
        for n in range(2):
            assert register(Client(), username=f"member{n}", email=f"m{n}@example.org") \
                .status_code == 303
        response = register(client, username="member3", email="m3@example.org")
    assert response.status_code == 429
    assert response["Retry-After"] == "3000"
    text = page_text(response)
    assert "You are doing that too often. Try again in 50 minutes." in text
    assert 'name="username"' in text  # the form is still there
    assert Registration.objects.count() == 2


def test_one_address_gets_only_so_many_registration_emails_whoever_asks(
        register, settings, make_member):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "register": (2, 3600)}
    make_member("mara", email="mara@example.org")
    for email in ("mara@example.org", "newcomer@example.org"):
        codes = [register(Client(REMOTE_ADDR=f"198.51.100.{n}"), username=f"user{n}",
                          email=email).status_code for n in range(3)]
        assert codes == [303, 303, 429]  # the same for the taken address and the new one
    assert sorted(m.to[0] for m in mail.outbox) == ["mara@example.org"] * 2 + [
        "newcomer@example.org"] * 2


def test_a_forged_registration_without_a_csrf_token_is_refused_with_403():
    response = Client(enforce_csrf_checks=True).post("/register/", {
        "username": "newcomer", "email": "newcomer@example.org", "password": PASSWORD})
    assert response.status_code == 403
    assert not Registration.objects.exists()


def test_a_forged_confirmation_without_a_csrf_token_is_refused_with_403(client, register):
    register(client)
    response = Client(enforce_csrf_checks=True).post(confirm_link("newcomer@example.org"))
    assert response.status_code == 403
    assert not User.objects.exists()
