"""A database that goes away (a restart, a lost connection, a lock held past the busy
timeout) answers 503 with Retry-After and a page that needs no database — wherever the error
was raised — never a 500."""

import sqlite3

import psycopg
import pytest
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError
from django.test import Client

from townsquare.core.errors import Unavailable, database_refusal, is_unavailable

pytestmark = pytest.mark.django_db


def django_error(cls, cause):
    error = cls(str(cause))
    error.__cause__ = cause
    return error


def sqlite_error(name: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(name.lower())
    error.sqlite_errorname = name
    return error


@pytest.mark.parametrize("error", [
    django_error(OperationalError, psycopg.OperationalError("connection failed: refused")),
    django_error(OperationalError, psycopg.errors.AdminShutdown("terminating connection")),
    django_error(OperationalError, psycopg.errors.ConnectionFailure("connection failure")),
    django_error(OperationalError, sqlite_error("SQLITE_BUSY")),
    InterfaceError("connection already closed"),
])
def test_errors_of_a_database_out_of_reach(error):
    assert is_unavailable(error)
    assert isinstance(database_refusal(error), Unavailable)


@pytest.mark.parametrize("error", [
    django_error(DatabaseError, psycopg.errors.SyntaxError("syntax error")),  # the code's
    django_error(IntegrityError, sqlite3.IntegrityError("UNIQUE constraint failed")),
    django_error(OperationalError, sqlite_error("SQLITE_ERROR")),
])
def test_errors_of_the_code_stay_errors(error):
    assert not is_unavailable(error)
    assert database_refusal(error) is None


def lost_connection(*args, **kwargs):
    raise django_error(OperationalError, psycopg.OperationalError("server closed the connection"))


def assert_back_in_a_moment(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert b"Back in a moment" in response.content
    assert b"cannot reach its database" in response.content


def test_a_lost_connection_in_a_view_answers_503(monkeypatch):
    monkeypatch.setattr("townsquare.pages.views.queries.get_forum_stamp", lost_connection)
    assert_back_in_a_moment(Client().get("/"))  # answered by the middleware: nothing raised
