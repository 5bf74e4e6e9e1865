import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Run Townsquare with granian: page workers (WSGI) and the live event stream (an "
            "ASGI process) together. The production server, also for local use.")

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
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args, host, port, workers, stream_port, no_stream, no_worker,
               no_collectstatic, **options):
        if not no_collectstatic and not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        stream_port = stream_port or port + 1
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
        granian = [sys.executable, "-m", "granian", "--host", host, "--no-ws",
                   "--respawn-failed-workers", "--workers-kill-timeout", "5"]
        commands = [granian + ["--interface", "wsgi", "--port", str(port),
                               "--workers", str(workers), "--blocking-threads", "2",
                               "config.wsgi:application"]]
        if not no_stream:
            # Each reader holds a connection: allow many more at once than granian's default
            # (1,024), and as many open files as the system lets this process have.
            limit = int(os.environ.get("LIVE_MAX_CONNECTIONS", "10000"))
            _raise_open_files(limit + 1024)
            commands.append(granian + ["--interface", "asgi", "--port", str(stream_port),
                                       "--workers", "1", "--backlog", "4096",
                                       "--backpressure", str(limit),
                                       "config.asgi:application"])
        if not no_worker:
            # Tasks and the clock that queues them (townsquare/core/management/commands/worker.py).
            commands.append([sys.executable, "-m", "townsquare.cli", "worker"])
        self.stdout.write(f"Townsquare on {page_origin}/ with {workers} workers"
                          + ("" if no_stream else f"; live stream on port {stream_port}")
                          + ("" if no_worker else "; background worker"))
        processes = [subprocess.Popen(c, env=env, cwd=settings.BASE_DIR) for c in commands]
        stopping = []

        def stop(*_):
            stopping.append(True)
            for process in processes:
                if process.poll() is None:
                    process.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not stopping and all(p.poll() is None for p in processes):
                time.sleep(0.5)
        finally:
            asked = bool(stopping)
            stop()
            for process in processes:
                try:
                    process.wait(timeout=8)
                except subprocess.TimeoutExpired:
                    process.kill()
        # Asked to stop: a clean exit. One process died: stop the other and say so.
        raise SystemExit(0 if asked else 1)


def _raise_open_files(wanted: int) -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ImportError, ValueError, OSError):
        pass  # the system's limit stays; granian refuses what it can't hold
