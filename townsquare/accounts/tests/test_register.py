"""Registering: Argon2 hashes, safe redirects, clear refusals, one account per name and address."""

from html import unescape

import pytest
from django.test import Client

from townsquare.accounts.actions import register_member
from townsquare.accounts.models import User
from townsquare.core.errors import Conflict, Invalid

pytestmark = pytest.mark.django_db

PASSWORD = "correct-Horse-battery-7"


def register(client, **fields):
    data = {"username": "newcomer", "email": "newcomer@example.org", "password": PASSWORD}
    data.update(fields)
    return client.post("/register/", data)


def page_text(response) -> str:
    return unescape(response.content.decode())


def signed_in_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def test_the_register_page_shows_the_form(client):
    response = client.get("/register/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Create an account" in text
    assert 'name="username"' in text and 'name="email"' in text and 'name="password"' in text


def test_registering_creates_the_member_with_an_argon2_hash_and_signs_them_in(client):
    response = register(client, username="  newcomer ", email=" newcomer@example.org ")
    assert response.status_code == 303
    assert response["Location"] == "/"
    member = User.objects.get()
    assert member.username == "newcomer" and member.email == "newcomer@example.org"
    assert member.role == "member" and member.is_active and not member.is_staff
    assert member.password.startswith("argon2")
    assert member.check_password(PASSWORD)
    assert signed_in_id(client) == member.pk


def test_registering_goes_on_to_the_page_named_in_next(client):
    response = register(client, next="/t/12/a-story/?page=2")
    assert response.status_code == 303
    assert response["Location"] == "/t/12/a-story/?page=2"


def test_next_in_the_query_string_is_followed_too(client):
    response = client.post("/register/?next=/new/", {
        "username": "newcomer", "email": "newcomer@example.org", "password": PASSWORD})
    assert response["Location"] == "/new/"


@pytest.mark.parametrize("target", [
    "https://evil.example/steal",
    "//evil.example/steal",
    "http://testserver.evil.example/",
    "javascript:alert(1)",
    "https:///evil.example",
])
def test_registering_ignores_a_next_that_leaves_the_site(client, target):
    response = register(client, next=target)
    assert response.status_code == 303
    assert response["Location"] == "/"
    assert User.objects.count() == 1


def test_the_register_form_carries_next_through_a_refusal(client):
    response = register(client, password="short", next="/new/")
    assert response.status_code == 400
    assert 'name="next" value="/new/"' in page_text(response)


@pytest.mark.parametrize("fields, message", [
    ({"username": ""}, "This field is required."),
    ({"username": "   "}, "This field is required."),
    ({"email": ""}, "This field is required."),
    ({"password": ""}, "This field is required."),
    ({"email": "not-an-email"}, "Enter a valid email address."),
    ({"email": "two@at@example.org"}, "Enter a valid email address."),
    ({"email": "a" * 250 + "@example.org"}, "Email addresses are at most 254 characters long."),
    ({"password": "Sh0rt!"}, "This password is too short. It must contain at least 8 characters."),
    ({"password": "password"}, "This password is too common."),
    ({"password": "83920174659"}, "This password is entirely numeric."),
    ({"username": "riverbank", "password": "riverbank1"},
     "The password is too similar to the username."),
    ({"username": "ab"}, "Usernames are 3 to 30 characters long."),
    ({"username": "x" * 31}, "Ensure this value has at most 30 characters (it has 31)."),
    ({"username": "two words"},
     "Use only letters, digits and the characters . _ - + @ in a username."),
    ({"username": "semi;colon"},
     "Use only letters, digits and the characters . _ - + @ in a username."),
    ({"username": "slash/name"},
     "Use only letters, digits and the characters . _ - + @ in a username."),
])
def test_registering_with_bad_input_is_refused_with_400_and_says_why(client, fields, message):
    response = register(client, **fields)
    assert response.status_code == 400
    assert message in page_text(response)
    assert not User.objects.exists()
    assert signed_in_id(client) is None


def test_a_username_of_exactly_three_or_thirty_characters_is_accepted(client):
    assert register(client, username="abc", email="abc@example.org").status_code == 303
    client.logout()
    assert register(client, username="y" * 30, email="y@example.org").status_code == 303
    assert set(User.objects.values_list("username", flat=True)) == {"abc", "y" * 30}


def test_a_username_may_hold_the_characters_the_hint_promises(client):
    assert register(client, username="jo.ann_b-2+x@home").status_code == 303
    assert User.objects.get().username == "jo.ann_b-2+x@home"


@pytest.mark.parametrize("taken", ["mara", "MARA", "Mara", "mArA"])
def test_registering_a_username_taken_in_any_letter_case_is_refused_with_409(
        client, make_member, taken):
    make_member("Mara")
    response = register(client, username=taken)
    assert response.status_code == 409
    assert "That username is already taken." in page_text(response)
    assert User.objects.count() == 1
    assert signed_in_id(client) is None


@pytest.mark.parametrize("taken", ["mara@example.org", "MARA@EXAMPLE.ORG", "Mara@Example.org"])
def test_registering_an_email_taken_in_any_letter_case_is_refused_with_409(
        client, make_member, taken):
    make_member("mara", email="mara@example.org")
    response = register(client, email=taken)
    assert response.status_code == 409
    assert "An account with that email address already exists." in page_text(response)
    assert User.objects.count() == 1


def test_a_username_in_full_width_letters_is_the_same_name_as_in_plain_letters(
        client, make_member):
    make_member("mara")
    response = register(client, username="ｍａｒａ")
    assert response.status_code == 409
    assert User.objects.count() == 1


def test_a_username_typed_in_full_width_letters_is_stored_in_its_plain_form_so_it_can_sign_in(
        client):
    assert register(client, username="ｊｏｎａｓ").status_code == 303
    assert User.objects.get().username == "jonas"
    client.logout()
    response = client.post("/signin/", {"username": "ｊｏｎａｓ", "password": PASSWORD})
    assert response.status_code == 302


class SomeoneElseRegistersFirst:
    """A password validator standing in for another request that registers the same name
    and address after this one checked they were free and before it inserts its row."""

    username = "Racer"
    email = "racer@example.org"

    def validate(self, password, user=None):
        User.objects.bulk_create([User(username=self.username, email=self.email)])

    def get_help_text(self):
        return ""


class SomeoneElseTakesTheEmailFirst(SomeoneElseRegistersFirst):
    username = "someone-else"
    email = "RACER@example.org"


@pytest.mark.parametrize("racer, message", [
    ("SomeoneElseRegistersFirst", "That username is already taken."),
    ("SomeoneElseTakesTheEmailFirst", "An account with that email address already exists."),
])
def test_a_duplicate_registered_concurrently_is_refused_with_409_not_500(
        client, settings, racer, message):
    settings.AUTH_PASSWORD_VALIDATORS = [{"NAME": f"{__name__}.{racer}"}]
    response = register(client, username="racer", email="racer@example.org")
    assert response.status_code == 409
    assert message in page_text(response)
    assert User.objects.count() == 1
    assert signed_in_id(client) is None


def test_the_register_action_refuses_duplicates_and_bad_input_itself(make_member):
    make_member("mara", email="mara@example.org")
    with pytest.raises(Conflict, match="username is already taken") as error:
        register_member(username="MARA", email="other@example.org", password=PASSWORD)
    assert error.value.field == "username" and error.value.status == 409
    with pytest.raises(Conflict, match="email address already exists"):
        register_member(username="other", email="Mara@Example.Org", password=PASSWORD)
    with pytest.raises(Invalid, match="3 to 30 characters") as error:
        register_member(username="ab", email="ab@example.org", password=PASSWORD)
    assert error.value.field == "username"
    with pytest.raises(Invalid, match="valid email") as error:
        register_member(username="other", email="", password=PASSWORD)
    assert error.value.field == "email"
    with pytest.raises(Invalid, match="too common") as error:
        register_member(username="other", email="other@example.org", password="password")
    assert error.value.field == "password"
    assert User.objects.count() == 1


def test_registering_too_often_from_one_address_is_refused_with_429(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "register": (2, 3600)}
    for n in range(2):
        assert register(Client(), username=f"member{n}", email=f"m{n}@example.org") \
            .status_code == 303
    response = register(client, username="member3", email="m3@example.org")
    assert response.status_code == 429
    assert "You are doing that too often." in page_text(response)
    assert User.objects.count() == 2


def test_a_forged_registration_without_a_csrf_token_is_refused_with_403():
    response = register(Client(enforce_csrf_checks=True))
    assert response.status_code == 403
    assert not User.objects.exists()
