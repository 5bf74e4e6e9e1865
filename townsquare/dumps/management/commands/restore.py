import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, OperationalError
from rich.console import Console
from rich.table import Table

from townsquare.dumps.manifest import BackupError
from townsquare.dumps.progress import RichProgress
from townsquare.dumps.restore import Check, Report, restore_backup


class Command(BaseCommand):
    help = ("Restore a backup folder (made by `townsquare backup`) into an empty site: every "
            "checksum is verified before anything is written, every table's rows counted "
            "after.")

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="a backup folder: DIR/townsquare-...")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument("--force", action="store_true",
                            help="replace a site that already holds members or posts (they "
                                 "are lost)")

    def handle(self, *args, folder: Path, database: str, force: bool, **options):
        console = Console(file=self.stdout._out, force_terminal=sys.stdout.isatty() or None)
        try:
            with RichProgress(console) as progress:
                report = restore_backup(folder, progress=progress, using=database, force=force)
        except BackupError as error:
            raise CommandError(str(error), returncode=error.returncode) from None
        except (OSError, OperationalError) as error:
            first_line = str(error).strip().partition("\n")[0] or type(error).__name__
            raise CommandError(f"The restore stopped: {first_line}") from None
        console.print(_table(folder, report))
        if report.failed:
            first = report.failed[0]
            raise CommandError(f"The restored site does not match its backup: {first.part} has "
                               f"{first.restored} where the manifest says {first.backup}.")
        console.print("Restored. Start the site's processes again; with REDIS_URL set, clear "
                      "its cache first so that no page cached before the restore is served."
                      if settings.REDIS_URL else
                      "Restored. Start the site's processes again.")


def _table(folder: Path, report: Report) -> Table:
    table = Table(title=f"Restored from {folder}")
    for heading in ("part", "in the backup", "restored", "check"):
        table.add_column(heading)

    def add(check: Check) -> None:
        table.add_row(check.part, check.backup, check.restored, "✓" if check.ok else "✗")

    for check in report.parts:
        add(check)
    table.add_section()
    empty = [check for check in report.tables if check.ok and check.backup == "0 rows"]
    for check in report.tables:
        if check not in empty:
            add(check)
    if empty:
        table.add_row(f"{len(empty)} other tables", "empty", "empty", "✓")
    return table
