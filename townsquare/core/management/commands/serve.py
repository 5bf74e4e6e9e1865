import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run Townsquare with granian: the production server, also for local use."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_WORKERS", os.cpu_count() or 2)),
            help="page worker processes (default: one per core)",
        )
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args, host, port, workers, no_collectstatic, **options):
        if not no_collectstatic and not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Townsquare on http://{host}:{port}/ with {workers} workers")
        command = [
            sys.executable, "-m", "granian",
            "--interface", "wsgi",
            "--host", host, "--port", str(port),
            "--workers", str(workers),
            "--blocking-threads", "2",
            "--respawn-failed-workers",
            "--no-ws",
            "config.wsgi:application",
        ]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
        try:
            raise SystemExit(subprocess.call(command, env=env, cwd=settings.BASE_DIR))
        except KeyboardInterrupt:
            pass
