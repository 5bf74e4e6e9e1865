"""The profile's other address, roles, and guest pages that leave no cookie behind."""

import pytest
from django.test import Client

from townsquare.accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_members_address_redirects_permanently_to_the_profile(client, make_member):
    make_member("mara")
    response = client.get("/members/mara/")
    assert response.status_code == 301 and response["Location"] == "/u/mara/"


# Guests: no session, no CSRF cookie, so their pages can be shared from the cache.


def test_a_guest_sets_no_cookie_on_the_home_page(make_topic):
    make_topic()
    guest = Client()
    for _ in range(2):  # built, then served from the cache
        response = guest.get("/")
        assert response.status_code == 200
        assert response.cookies == {}


def test_a_guest_sets_no_cookie_on_a_topic_page(make_topic, make_member, add_replies):
    topic = make_topic()
    add_replies(topic, 3, authors=[make_member()])
    guest = Client()
    for _ in range(2):
        response = guest.get(topic.get_absolute_url())
        assert response.status_code == 200
        assert response.cookies == {}


def test_a_guest_sets_no_cookie_on_a_profile(make_member):
    make_member("mara")
    response = Client().get("/u/mara/")
    assert response.status_code == 200
    assert response.cookies == {}


def test_signing_in_is_what_sets_the_session_cookie(make_member):
    make_member("mara", password="a-long-Passphrase-42")
    client = Client()
    response = client.post("/signin/", {"username": "mara", "password": "a-long-Passphrase-42"})
    assert "sessionid" in response.cookies
    assert response.cookies["sessionid"]["httponly"] and \
        response.cookies["sessionid"]["samesite"] == "Lax"


# Roles.

RANKED = [Role.MEMBER, Role.EDITOR, Role.MODERATOR, Role.ADMIN]


def test_roles_are_ordered_member_editor_moderator_admin_and_each_includes_those_below():
    def holders(asked):
        return [role for role in RANKED if User(role=role).has_role(asked)]

    assert holders("member") == ["member", "editor", "moderator", "admin"]
    assert holders("editor") == ["editor", "moderator", "admin"]
    assert holders("moderator") == ["moderator", "admin"]
    assert holders("admin") == ["admin"]


@pytest.mark.parametrize("asked", RANKED)
def test_a_superuser_has_every_role_whatever_their_role_field_says(asked):
    assert User(username="root", role=Role.MEMBER, is_superuser=True).has_role(asked)
