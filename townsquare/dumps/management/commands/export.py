import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from rich.console import Console

from townsquare.dumps.exporter import export_dump
from townsquare.dumps.progress import RichProgress, summary_table


class Command(BaseCommand):
    help = "Export the whole community as a forum dump folder."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options):
        console = Console(file=self.stdout._out, force_terminal=sys.stdout.isatty() or None)
        with RichProgress(console, unit="records") as progress, transaction.atomic():
            counts = export_dump(folder, progress, site=settings.SITE_NAME)
        console.print(summary_table(f"Exported to {folder}", counts))
