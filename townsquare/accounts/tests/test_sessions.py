"""Finding the signed-in member on each request: the plain-SQL session and user reads."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.utils import timezone

from townsquare.accounts.backends import MemberBackend

from .conftest import link_in

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Passphrase-42"


def whoami(client) -> bool:
    """True when the client is treated as signed in (the header offers "Sign out")."""
    return "Sign out" in client.get("/").content.decode()


def signed_in(member) -> Client:
    client = Client()
    assert client.post("/signin/", {"username": member.username, "password": PASSWORD}
                       ).status_code == 302
    return client


def test_the_backend_reads_a_member_with_every_field_as_the_orm_would(make_member):
    member = make_member("Ada", role="editor", bio="Reads the news.")
    member.last_login = timezone.now()
    member.save()
    read = MemberBackend().get_user(member.pk)
    from townsquare.accounts.models import User

    orm = User.objects.get(pk=member.pk)
    for field in User._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(orm, field.attname), field.name
    assert read.has_role("editor") and read.is_active is True


@pytest.mark.parametrize("user_id", [999_999, "not-a-number", None])
def test_the_backend_finds_nobody_for_a_missing_or_malformed_id(user_id):
    assert MemberBackend().get_user(user_id) is None


def test_an_inactive_member_is_not_signed_in_by_an_old_session(make_member):
    member = make_member()
    client = signed_in(member)
    member.is_active = False
    member.save()
    assert not whoami(client)


def test_changing_the_password_ends_other_sessions(make_member):
    member = make_member()
    client = signed_in(member)
    assert whoami(client)
    member.set_password("a-different-Passphrase-7")
    member.save()
    assert not whoami(client)


def test_an_expired_or_unknown_session_is_a_guest(make_member):
    member = make_member()
    client = signed_in(member)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert not whoami(client)
    client.cookies["sessionid"] = "x" * 32
    assert not whoami(client)
    client.cookies["sessionid"] = "'; DROP TABLE django_session; --"
    assert not whoami(client)
    assert Session.objects.exists()


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(make_member):
    member = make_member()
    client = signed_in(member)
    copy = Client()
    copy.cookies["sessionid"] = client.cookies["sessionid"].value
    assert whoami(copy)
    client.post("/signout/")
    assert not whoami(copy)


def test_a_new_member_is_signed_in_on_every_page_after_registering(client, worker):
    response = worker(client.post, "/register/", {
        "username": "newreader", "password": PASSWORD, "email": "newreader@example.org",
        "next": "/"})
    assert response.status_code == 303
    assert not whoami(client)
    (message,) = mail.outbox
    response = client.post(link_in(message, "/register/confirm/"))
    assert response.status_code == 303
    assert whoami(client)


def test_a_remembered_member_is_read_afresh_when_their_row_changes(make_member):
    from townsquare.accounts.models import User

    member = make_member("Bea", role="member")
    backend = MemberBackend()
    first = backend.get_user(member.pk)
    first.avatar["tampered"] = True  # a request changing its own copy
    first.display_name = "Changed in memory only"
    again = backend.get_user(member.pk)
    assert again is not first and "tampered" not in again.avatar
    assert again.display_name == member.display_name
    User.objects.filter(pk=member.pk).update(role="moderator")
    assert backend.get_user(member.pk).role == "moderator"
    User.objects.filter(pk=member.pk).update(is_active=False)
    assert backend.get_user(member.pk) is None


def test_a_session_changed_in_one_request_does_not_change_the_next(make_member):
    from townsquare.accounts.sessions import SessionStore

    client = signed_in(make_member("Cy"))
    key = client.cookies["sessionid"].value
    first = SessionStore(key)
    first["note"] = ["one"]
    assert "note" not in SessionStore(key).load()
    loaded = SessionStore(key).load()
    loaded["_auth_user_id"] = "0"
    assert SessionStore(key).load()["_auth_user_id"] != "0"


def sign_in_reads(client, url="/notifications/") -> list[str]:
    """The SQL of the session and member reads of one request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries
            if "django_session" in q["sql"] or 'FROM "accounts_user"' in q["sql"]]


def test_a_members_later_pages_read_session_and_member_in_one_query(make_member):
    from townsquare.accounts.models import User

    member = make_member("Dee", bio="Reads the weather.")
    member.last_login = timezone.now()
    member.save()
    client = signed_in(member)
    response = client.get("/")
    assert len(sign_in_reads(client)) == 1  # the process has seen this session
    response = client.get("/notifications/")
    read, orm = response.wsgi_request.user, User.objects.get(pk=member.pk)
    for field in User._meta.concrete_fields:  # the joined row gives the same member
        assert getattr(read, field.attname) == getattr(orm, field.attname), field.name


def test_a_wrong_guess_of_whose_session_it_is_still_signs_in_its_owner(make_member):
    from townsquare.accounts.sessions import _owner

    owner, other = make_member("Eve"), make_member("Fay")
    client = signed_in(owner)
    client.get("/")
    _owner.put(client.cookies["sessionid"].value, other.pk)  # as if it were Fay's
    assert len(sign_in_reads(client)) == 2  # the guessed row is not used: Eve's is read
    response = client.get("/notifications/")
    assert response.wsgi_request.user.pk == owner.pk


def test_a_deleted_or_changed_member_is_seen_on_their_next_page(make_member):
    from townsquare.accounts.models import User

    member = make_member("Gus")
    client = signed_in(member)
    assert whoami(client) and whoami(client)  # the second page reads both in one query
    User.objects.filter(pk=member.pk).update(role="moderator")
    assert client.get("/notifications/").wsgi_request.user.role == "moderator"
    User.objects.filter(pk=member.pk).delete()
    assert not whoami(client)
