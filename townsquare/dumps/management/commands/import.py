import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console

from townsquare.dumps.importer import import_dump
from townsquare.dumps.progress import RichProgress, summary_table
from townsquare.dumps.records import DumpError


class Command(BaseCommand):
    help = "Import a community from a forum dump folder (all of it, or nothing on error)."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options):
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        console = Console(file=self.stdout._out, stderr=False,
                          force_terminal=sys.stdout.isatty() or None)
        try:
            with RichProgress(console) as progress:
                summary = import_dump(folder, progress)
        except DumpError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            raise CommandError("Nothing was imported: fix the lines above and run the import "
                               "again.") from None
        console.print(summary_table("Imported", summary.counts, summary.seconds))
