import sys

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table

from townsquare.core.health import overall, site_checks


class Command(BaseCommand):
    help = ("The site's state, as /health/ reports it: database, migrations, cache, live "
            "events, worker and queue. Exits 0 when every check passes, 1 otherwise.")

    def handle(self, *args, **options):
        console = Console(file=self.stdout._out, force_terminal=sys.stdout.isatty() or None)
        checks = site_checks()
        status = overall(checks)
        table = Table(title=f"Townsquare: {status}")
        table.add_column("check")
        table.add_column("state")
        table.add_column("detail")
        for check in checks:
            table.add_row(check.name, "ok" if check.ok else "FAILING", check.detail)
        console.print(table)
        if status != "ok":
            raise SystemExit(1)
