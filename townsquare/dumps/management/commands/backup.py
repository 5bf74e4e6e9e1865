import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, OperationalError
from rich.console import Console
from rich.table import Table

from townsquare.dumps.backup import take_backup
from townsquare.dumps.manifest import BackupError, read_manifest
from townsquare.dumps.progress import RichProgress


class Command(BaseCommand):
    help = ("Back the whole site up into a new folder DIR/townsquare-YYYYmmdd-HHMMSS while it "
            "runs: the database from one snapshot, the media files, the generated secret key "
            "and a manifest with checksums.")

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="where the backup folder is made")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, folder: Path, database: str, **options):
        console = Console(file=self.stdout._out, force_terminal=sys.stdout.isatty() or None)
        try:
            with RichProgress(console) as progress:
                path = take_backup(folder, progress=progress, using=database)
        except BackupError as error:
            raise CommandError(str(error), returncode=error.returncode) from None
        except (OSError, OperationalError) as error:
            first_line = str(error).strip().partition("\n")[0] or type(error).__name__
            raise CommandError(f"The backup stopped: {first_line}") from None
        console.print(_summary(read_manifest(path)))
        console.print(f"Backup written to {path}", soft_wrap=True)


def _summary(manifest: dict) -> Table:
    table = Table(title=f"Backup of {manifest['site']}")
    table.add_column("part")
    table.add_column("contents")
    table.add_column("bytes", justify="right")
    files = manifest["files"]
    database = manifest["database"]
    rows = manifest["rows"]
    table.add_row(f"database ({database['engine']})",
                  f"{sum(rows.values()):,} rows in {len(rows)} tables",
                  f"{files[database['file']]['size']:,}")
    media = manifest["media"]
    table.add_row("media", f"{media['files']:,} file{'s' * (media['files'] != 1)}",
                  f"{media['bytes']:,}")
    table.add_row("secret key", manifest["secret_key"].split(":")[0],
                  f"{files['secret_key']['size']:,}" if "secret_key" in files else "")
    return table
