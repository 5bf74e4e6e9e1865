"""The signed-in member is looked up by the middleware, before any view: a database lost
there still answers 503 with Retry-After (Django's 500 handler sees it), and any other error
there is still a 500."""

import pytest
from django.test import Client

from townsquare.core.tests.test_unavailable import assert_back_in_a_moment, lost_connection

pytestmark = pytest.mark.django_db


def test_a_lost_connection_in_a_middleware_answers_503(monkeypatch):
    # The session and member are read before any view: Django's 500 handler sees this one.
    monkeypatch.setattr("townsquare.accounts.middleware.get_user", lost_connection)
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "x" * 32
    assert_back_in_a_moment(client.get("/"))
    assert_back_in_a_moment(client.post("/signin/", {"login": "a", "password": "b"}))


def test_any_other_error_is_still_a_500(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("townsquare.accounts.middleware.get_user", broken)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert "Retry-After" not in response
