import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from townsquare.core import startup
from townsquare.core.supervisor import Child, Supervisor


class Command(BaseCommand):
    requires_system_checks = []  # run by startup.refuse_unless_ready, after its own
    help = ("Run Townsquare with granian: page workers (WSGI), the live event stream (an "
            "ASGI process) and the background worker, restarted when one dies and stopped "
            "together. Refuses to start on a busy port, a read-only data folder or database, "
            "or an unmigrated database. The production server, also for local use.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_WORKERS", os.cpu_count() or 2)),
            help="page worker processes (default: one per core)",
        )
        parser.add_argument("--stream-port", type=int, default=None,
                            help="port of the live event stream (default: --port + 1)")
        parser.add_argument("--no-stream", action="store_true",
                            help="serve pages only (live updates off)")
        parser.add_argument("--no-worker", action="store_true",
                            help="don't run the background worker (news polling, digests...)")
        parser.add_argument("--no-collectstatic", action="store_true",
                            help="don't collect static files (by default collected when they "
                                 "changed since the last start)")

    def handle(self, *args, host, port, workers, stream_port, no_stream, no_worker,
               no_collectstatic, **options):
        stream_port = stream_port or port + 1
        if not no_stream and stream_port == port:
            self.stderr.write("The live event stream needs a port of its own: choose another "
                              "with --stream-port.")
            raise SystemExit(1)
        ports = ((host, port, "--port"),) + (
            () if no_stream else ((host, stream_port, "--stream-port"),))
        startup.refuse_unless_ready(self, options, ports)
        if not no_collectstatic and not settings.DEBUG:
            startup.collect_static()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
        page_origin = f"http://{host}:{port}"
        if not no_stream:  # where the other processes wake the stream (townsquare/live/wake.py)
            env.setdefault("LIVE_WAKE_ADDRESS", f"127.0.0.1:{stream_port}")
        if not no_stream and not os.environ.get("LIVE_STREAM_URL"):
            # Pages connect straight to the stream process's port (behind a front proxy that
            # routes /live/ to it, set LIVE_STREAM_URL to the site's origin instead).
            env["LIVE_STREAM_URL"] = f"http://{host}:{stream_port}"
            origins = {page_origin, f"http://localhost:{port}", f"http://127.0.0.1:{port}"}
            env["LIVE_ALLOWED_ORIGINS"] = ",".join(sorted(origins))
        granian = [sys.executable, "-m", "townsquare.core.webserver", "--host", host, "--no-ws",
                   "--respawn-failed-workers", "--workers-kill-timeout", "5"]
        children = [Child("page server", granian + [
            "--interface", "wsgi", "--port", str(port), "--workers", str(workers),
            "--blocking-threads", "2", "config.wsgi:application"], essential=True)]
        if not no_stream:
            # Each reader holds a connection: allow many more at once than granian's default
            # (1,024), and as many open files as the system lets this process have.
            limit = int(os.environ.get("LIVE_MAX_CONNECTIONS", "10000"))
            _raise_open_files(limit + 1024)
            # While it is down (and restarted) pages work on; browsers reconnect by themselves.
            children.append(Child("live event stream", granian + [
                "--interface", "asgi", "--port", str(stream_port), "--workers", "1",
                "--backlog", "4096", "--backpressure", str(limit), "config.asgi:application"]))
        if not no_worker:
            # Tasks and the clock that queues them (townsquare/core/management/commands/worker.py);
            # serve has run its checks and said its warnings already.
            children.append(Child("background worker", [
                sys.executable, "-m", "townsquare.cli", "worker", "--verbosity", "0"]))
        self.stdout.write(f"Townsquare on {page_origin}/ with {workers} workers"
                          + ("" if no_stream else f"; live stream on port {stream_port}")
                          + ("" if no_worker else "; background worker"))
        self.stdout.flush()
        supervisor = Supervisor(children, env=env, cwd=settings.BASE_DIR, stderr=sys.stderr)
        # Asked to stop: a clean exit. The page server unable to stay up: a failure.
        raise SystemExit(supervisor.run())


def _raise_open_files(wanted: int) -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ImportError, ValueError, OSError):
        pass  # the system's limit stays; granian refuses what it can't hold
