"""What a monitor asks a site: can it read and write its database, is its schema current, is
its cache answering, and is its background work keeping up.

`/health/` answers these as JSON (503 when the site cannot serve at all, 200 otherwise with
`"status": "degraded"` and the failing checks named) and `townsquare status` prints them as a
table. Details stay generic — a public endpoint names no host, path or error text; the
exceptions go to the log.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string

from .models import Heartbeat

log = logging.getLogger(__name__)

WORKER = "worker"
# The queue is behind when a task ready to run has waited longer than this.
QUEUE_LATE_SECONDS = 600


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    # A failed critical check means the site cannot serve pages: /health/ answers 503.
    critical: bool = False


_schema_current = False


def check_database() -> Check:
    try:
        started = time.perf_counter()
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
        elapsed = (time.perf_counter() - started) * 1000
        return Check("database", True, f"answered in {elapsed:.1f} ms", critical=True)
    except Exception:
        log.warning("health: the database did not answer", exc_info=True)
        return Check("database", False, "unreachable", critical=True)


def check_migrations() -> Check:
    """Pending migrations. Once the schema is found current it stays so for this process (a
    migration is applied before a new release starts)."""
    global _schema_current
    if _schema_current:
        return Check("migrations", True, "all applied", critical=True)
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:
        log.warning("health: migrations could not be read", exc_info=True)
        return Check("migrations", False, "could not be read", critical=True)
    if plan:
        return Check("migrations", False, f"{len(plan)} not applied: run `townsquare migrate`",
                     critical=True)
    _schema_current = True
    return Check("migrations", True, "all applied", critical=True)


def check_cache() -> Check:
    cache = caches["default"]
    probe = get_random_string(12)
    key = f"health:{probe}"
    cache.set(key, probe, 30)
    answered = cache.get(key) == probe
    cache.delete(key)
    if answered:
        return Check("cache", True, "answering")
    return Check("cache", False, "not answering: pages are built without it")


def check_worker() -> Check:
    beat = Heartbeat.objects.filter(name=WORKER).values_list("beat_at", flat=True).first()
    if beat is None:
        return Check("worker", False, "has never run: start `townsquare worker`")
    age = (timezone.now() - beat).total_seconds()
    late = 3 * settings.WORKER_TICK_SECONDS + 30
    if age > late:
        return Check("worker", False, f"last seen {age:.0f} s ago")
    return Check("worker", True, f"last seen {age:.0f} s ago")


def check_queue() -> Check:
    from django_tasks_db.models import DBTaskResult

    ready = DBTaskResult.objects.ready()
    waiting = ready.count()
    if not waiting:
        return Check("queue", True, "empty")
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    age = (timezone.now() - oldest).total_seconds()
    detail = f"{waiting} ready, the oldest waiting {age:.0f} s"
    return Check("queue", age <= QUEUE_LATE_SECONDS, detail)


def site_checks() -> list[Check]:
    """The database first (nothing else can answer without it), then each of HEALTH_CHECKS:
    functions returning a Check, named in settings so that each app checks its own part."""
    database = check_database()
    if not database.ok:
        return [database]
    return [database, *(import_string(path)() for path in settings.HEALTH_CHECKS)]


def overall(checks: list[Check]) -> str:
    if any(c.critical and not c.ok for c in checks):
        return "down"
    return "ok" if all(c.ok for c in checks) else "degraded"


def beat(name: str = WORKER) -> None:
    """Record that a background process is alive (the worker's clock calls this each tick)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})
