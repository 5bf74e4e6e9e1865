"""`townsquare worker`: background work — the task queue and the clock that feeds it.

Tasks (Django's tasks API) are stored by the database backend (django-tasks-db) and run here
by its worker loop. Beside it a clock thread calls each function named in
settings.WORKER_TICKS every WORKER_TICK_SECONDS; a tick looks at what is due (sources to poll,
stories scheduled to publish, digests to send) and enqueues tasks for it. Ticks must be
idempotent and cheap: a tick that fails is logged and the clock goes on.
"""

import logging
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Worker

from townsquare.core import startup

logger = logging.getLogger("townsquare.worker")


def run_ticks() -> None:
    """Call every configured tick once; one failing never stops the others. Then record the
    worker's heartbeat (`/health/`, `townsquare status`)."""
    for path in [*settings.WORKER_TICKS, "townsquare.core.health.beat"]:
        try:
            import_string(path)()
        except Exception:
            logger.exception("worker tick %s failed", path)
        finally:
            close_old_connections()


class Command(BaseCommand):
    requires_system_checks = []  # run by startup.refuse_unless_ready, after its own
    help = ("Run background work: tasks from the queue, and a clock that queues periodic "
            "work (polling news sources, publishing scheduled stories, newsletter digests).")

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0,
                            help="seconds between looks at an empty queue (default 1)")
        parser.add_argument("--tick", type=float, default=None,
                            help="seconds between clock ticks (default WORKER_TICK_SECONDS)")
        parser.add_argument("--once", action="store_true",
                            help="tick once, run every task that is ready, then exit")
        parser.add_argument("--max-tasks", type=int, default=None,
                            help="exit after running this many tasks")
        parser.add_argument("--worker-id", default=None)

    def handle(self, *args, interval, tick, once, max_tasks, worker_id, **options):
        startup.refuse_unless_ready(self, options)
        logging.getLogger("django_tasks_db").setLevel(
            logging.INFO if options["verbosity"] > 1 else logging.WARNING)
        worker = Worker(
            queue_names=["*"], interval=interval, batch=once, backend_name="default",
            startup_delay=not once, max_tasks=max_tasks, excluded_queue_names=[],
            worker_id=worker_id or get_random_string(32),
        )
        worker.configure_signals()
        if once:
            run_ticks()
            worker.run()
            return
        seconds = tick if tick is not None else settings.WORKER_TICK_SECONDS
        stop = threading.Event()

        def clock():
            while not stop.is_set():
                run_ticks()
                stop.wait(seconds)

        threading.Thread(target=clock, name="townsquare-clock", daemon=True).start()
        if options["verbosity"]:
            self.stdout.write(f"Townsquare worker: tasks from the queue, clock every {seconds:g} s")
        try:
            worker.run()
        finally:
            stop.set()
