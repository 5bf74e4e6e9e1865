"""A database that refuses writes (a read-only SQLite file, a PostgreSQL hot standby): pages
still load, and a write answers 503 with a page that says so and when to retry, never 500.

The database is made read-only for real on the test's own connection (running as root, file
permissions would not stop a write): SQLite's query_only, PostgreSQL's read-only transaction.
Both answer a write with the very errors a read-only file or a standby gives.
"""

import psycopg.errors
import pytest
from django.db import InternalError, OperationalError, connection
from django.test import Client

from townsquare.core.errors import is_read_only
from townsquare.forum import viewcounts

PASSWORD = "a-long-Passphrase-42"


@pytest.fixture
def read_only(transactional_db):
    """Call to make the database refuse writes from then on, until the test ends.

    The tests run outside a test-wide transaction, as a site does: on PostgreSQL a refused
    write inside one would spoil every later query of the request, which a site never sees."""
    def switch(on: bool):
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")
            else:
                cursor.execute(f"SET default_transaction_read_only = {'on' if on else 'off'}")

    yield lambda: switch(True)
    switch(False)


@pytest.fixture
def mara(make_member):
    return make_member("mara")


def test_sign_in_answers_503_with_the_read_only_page_and_retry_after(client, mara, read_only):
    read_only()
    response = client.post("/signin/", {"username": "mara", "password": PASSWORD})
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "The site is read-only for a moment" in html
    assert "was not saved" in html


def test_an_htmx_post_gets_the_message_as_a_fragment(client, mara, read_only):
    read_only()
    response = client.post("/signin/", {"username": "mara", "password": PASSWORD},
                           headers={"HX-Request": "true"})
    assert response.status_code == 503
    html = response.content.decode()
    assert 'role="alert"' in html and "was not saved" in html
    assert "<html" not in html


def test_a_reply_answers_503_and_pages_still_load(client, mara, make_topic, read_only):
    topic = make_topic(author=mara)
    client.force_login(mara)
    read_only()
    response = client.post(f"/t/{topic.pk}/reply/", {"body": "Will this be kept?"})
    assert response.status_code == 503
    assert "The site is read-only for a moment" in response.content.decode()
    guest = Client()
    assert guest.get("/").status_code == 200
    assert guest.get(topic.get_absolute_url()).status_code == 200
    assert guest.get("/signin/").status_code == 200


def test_view_counts_wait_while_the_database_is_read_only(make_topic, read_only):
    topic = make_topic()
    read_only()
    viewcounts._pending[topic.pk] += 3
    viewcounts.flush()  # refused: kept for later, and the reader's page is not lost
    assert viewcounts._pending[topic.pk] == 3


def test_read_only_errors_are_told_from_other_database_errors():
    standby = InternalError("cannot execute INSERT in a read-only transaction")
    standby.__cause__ = psycopg.errors.ReadOnlySqlTransaction(
        "cannot execute INSERT in a read-only transaction")
    assert is_read_only(standby)
    locked = OperationalError("database is locked")
    assert not is_read_only(locked)
    assert not is_read_only(psycopg.errors.UniqueViolation("duplicate key"))
