import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS
from rich.console import Console

from townsquare.dumps.exporter import export_dump
from townsquare.dumps.progress import RichProgress, summary_table
from townsquare.dumps.snapshot import read_snapshot


class Command(BaseCommand):
    help = ("Export the whole community as a forum dump folder, every file read from one "
            "snapshot of the database while the site goes on writing.")

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, folder: Path, database: str, **options):
        console = Console(file=self.stdout._out, force_terminal=sys.stdout.isatty() or None)
        with RichProgress(console, unit="records") as progress, read_snapshot(database):
            counts = export_dump(folder, progress, site=settings.SITE_NAME, using=database)
        console.print(summary_table(f"Exported to {folder}", counts))
