"""Fixtures for the newsletter's tests: subscribing through the site, subscribers made
directly, forum activity at chosen times, and running queued tasks."""

import re
import secrets

import pytest
from django.conf import settings
from django.utils import timezone

from townsquare.newsletter.models import Subscriber


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Call something as if its transaction committed: the emails and tasks it leaves for
    after the commit run before this returns."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def subscribe(client, committed):
    """POST the banner form the way a browser on the site does (its own Origin), unless
    other headers are given."""

    def post(email="reader@example.org", frequency="weekly", *, htmx=False, using=None,
             headers=None):
        sent = {"Origin": "http://testserver"} if headers is None else dict(headers)
        if htmx:
            sent["HX-Request"] = "true"
        return committed((using or client).post, "/newsletter/subscribe/",
                         {"email": email, "frequency": frequency}, headers=sent)

    return post


@pytest.fixture
def make_subscriber(db):
    counter = iter(range(1, 10_000))

    def make(email=None, *, status="active", frequency="daily", **extra):
        now = timezone.now()
        return Subscriber.objects.create(
            email=email or f"reader{next(counter)}@example.org", status=status,
            frequency=frequency, created=now, confirmed=now if status == "active" else None,
            confirm_nonce=secrets.token_urlsafe(16), manage_key=secrets.token_urlsafe(16),
            **extra)

    return make


def link_in(message, kind: str) -> str:
    """The path of the /newsletter/<kind>/<token>/ link in an email's text."""
    found = re.search(re.escape(settings.SITE_URL) + rf"(/newsletter/{kind}/[^/\s]+/)",
                      message.body)
    assert found, f"no {kind} link in:\n{message.body}"
    return found.group(1)


def run_queued_tasks() -> None:
    """Run every queued task (and those they queue) with the worker's own loop, without
    its clock."""
    from unittest import mock

    from django_tasks_db.management.commands import db_worker

    # The test's transaction lives on the database connection: the worker's tidying of old
    # connections between tasks would close it (PostgreSQL), so here it leaves them alone.
    with mock.patch.object(db_worker, "close_old_connections", lambda: None):
        db_worker.Worker(queue_names=["*"], interval=0, batch=True, backend_name="default",
                         startup_delay=False, max_tasks=None, worker_id="newsletter-tests",
                         excluded_queue_names=[]).run()

