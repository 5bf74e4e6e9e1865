"""/health/ and `townsquare status`: what a monitor sees when parts of the site fail."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from townsquare.core import health
from townsquare.core.management.commands.worker import run_ticks
from townsquare.core.models import Heartbeat
from townsquare.live.tasks import prune_live_events

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_schema_state(monkeypatch):
    monkeypatch.setattr(health, "_schema_current", False)


def get_health(client):
    response = client.get("/health/")
    return response, json.loads(response.content)


def test_a_healthy_site_answers_ok_without_a_cookie(client):
    health.beat()
    response, body = get_health(client)
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "cache", "live events", "worker",
                                   "queue"}
    assert all(check["ok"] for check in body["checks"].values())
    assert "no-cache" in response["Cache-Control"]
    assert not response.cookies


def test_the_worker_clock_records_its_heartbeat(settings, monkeypatch):
    settings.WORKER_TICKS = []
    # The clock closes connections between ticks; inside the test's transaction on
    # PostgreSQL that would close the transaction too.
    monkeypatch.setattr("townsquare.core.management.commands.worker.close_old_connections",
                        lambda: None)
    assert not Heartbeat.objects.exists()
    run_ticks()
    assert Heartbeat.objects.get(name="worker").beat_at > timezone.now() - timedelta(seconds=5)


def test_a_worker_that_never_ran_or_stopped_makes_the_site_degraded(client, settings):
    response, body = get_health(client)
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["worker"] == {"ok": False,
                                        "detail": "has never run: start `townsquare worker`"}
    Heartbeat.objects.create(name="worker",
                             beat_at=timezone.now() - timedelta(seconds=10 * 60))
    settings.WORKER_TICK_SECONDS = 15
    _, body = get_health(client)
    assert not body["checks"]["worker"]["ok"]
    assert body["checks"]["worker"]["detail"].startswith("last seen 6")


def test_a_late_queue_makes_the_site_degraded(client):
    health.beat()
    prune_live_events.enqueue()
    _, body = get_health(client)
    assert body["checks"]["queue"]["ok"]
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(hours=1))
    _, body = get_health(client)
    assert body["status"] == "degraded"
    assert body["checks"]["queue"]["detail"].startswith("1 ready, the oldest waiting 3")


def test_a_cache_that_forgets_makes_the_site_degraded_not_down(client, monkeypatch):
    health.beat()
    monkeypatch.setattr(health, "caches", {"default": _ForgetfulCache()})
    response, body = get_health(client)
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["cache"]["ok"] is False


def test_pending_migrations_answer_503(client, monkeypatch):
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan",
                        lambda self, targets: [("newsdesk.0001_initial", False)])
    response, body = get_health(client)
    assert response.status_code == 503
    assert body["status"] == "down"
    assert body["checks"]["migrations"]["detail"] == \
        "1 not applied: run `townsquare migrate`"


def test_an_unreachable_database_answers_503_naming_nothing_of_it(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server at 10.1.2.3: secret detail")

    monkeypatch.setattr(health, "connections", {"default": _Refusing(refuse)})
    response, body = get_health(client)
    assert response.status_code == 503
    assert body == {"status": "down",
                    "checks": {"database": {"ok": False, "detail": "unreachable"}}}


def test_the_status_command_prints_each_check_and_exits_by_the_state():
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("status", stdout=out)
    assert exited.value.code == 1
    assert "worker" in out.getvalue() and "FAILING" in out.getvalue()
    health.beat()
    out = StringIO()
    call_command("status", stdout=out)
    assert "Townsquare: ok" in out.getvalue()
    assert "FAILING" not in out.getvalue()


def test_health_refuses_writes(client):
    assert client.post("/health/").status_code == 405


class _ForgetfulCache:
    def set(self, *args, **kwargs):
        pass

    def get(self, key, default=None):
        return default

    def delete(self, key):
        pass


class _Refusing:
    def __init__(self, refuse):
        self.cursor = refuse
