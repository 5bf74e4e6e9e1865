"""`townsquare restore`: a backup folder back into an empty site.

Nothing is touched until the manifest is readable, every migration it names is known to
this version, every file matches its size and sha256, and the site's database holds no
members, categories, topics or posts (`force` replaces such a site). Then the database
(SQLite: the backup API writes the site's file in place; PostgreSQL: pg_restore in one
transaction), the media files through the storage API and the key file; then every table's
rows are counted against the manifest.
"""

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader

from townsquare.accounts.models import User
from townsquare.forum.models import Category, Post, Topic

from . import pgtools
from .backup import PAGES_PER_STEP, key_from_data_folder
from .manifest import (
    CHUNK,
    KEY_FILE,
    MEDIA,
    BackupError,
    count_rows,
    list_tables,
    read_manifest,
    verify_files,
)
from .progress import NoProgress

ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class Check:
    """One line of the restore's report: a part, as the backup has it and as restored."""

    part: str
    backup: str
    restored: str
    ok: bool = True


@dataclass
class Report:
    parts: list[Check]
    tables: list[Check]

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.parts + self.tables if not check.ok]


def restore_backup(folder: Path, *, progress=None, using: str = DEFAULT_DB_ALIAS,
                   storage: Storage | None = None, force: bool = False) -> Report:
    progress = progress or NoProgress()
    folder = Path(folder)
    manifest = read_manifest(folder)
    connection = connections[using]
    pending, tool = _check_before_writing(folder, manifest, connection, force, progress)
    database = folder / manifest["database"]["file"]
    if tool is None:
        _restore_sqlite(connection, database, progress)
    else:
        _restore_postgresql(connection, tool, database, manifest["rows"], progress)
    parts = [Check("database", ENGINES[connection.vendor], "restored"),
             Check("migrations", f"{len(manifest['migrations'])} apps",
                   f"{pending} apps to migrate: run townsquare migrate" if pending
                   else "current"),
             _restore_media(folder, manifest, storage or default_storage, progress),
             _restore_key(folder, manifest)]
    return Report(parts, _count_checks(connection, manifest["rows"]))


def _check_before_writing(folder: Path, manifest: dict, connection: BaseDatabaseWrapper,
                          force: bool, progress) -> tuple[int, str | None]:
    """Every refusal, before anything is written: the apps with migrations to apply after
    the restore, and pg_restore's path on PostgreSQL."""
    engine = manifest["database"]["engine"]
    if engine != connection.vendor:
        raise BackupError(f"The backup holds a {ENGINES[engine]} database and this site runs "
                          f"on {ENGINES.get(connection.vendor, connection.vendor)}; move a "
                          f"community between the two with export and import.", returncode=2)
    pending = _pending_migrations(manifest)
    if not force and (held := _forum_rows(connection)):
        raise BackupError(f"This site's database already holds {held}; restore only into an "
                          f"empty site, or pass --force to replace everything in it.",
                          returncode=2)
    tool = None
    if engine == "sqlite" and connection.is_in_memory_db():
        raise BackupError("This site's SQLite database is in memory, with no file to restore "
                          "into.", returncode=2)
    if engine == "postgresql":
        written_by = pgtools.major(str(manifest["database"].get("pg_dump_version", "0")))
        tool, _ = pgtools.find_tool("pg_restore", at_least=written_by)
    verify_files(folder, manifest, progress)
    return pending, tool


def _pending_migrations(manifest: dict) -> int:
    """How many apps this version has newer migrations for; a backup naming migrations this
    version does not know (made by a newer one) is refused."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    applied = manifest["migrations"]
    for app, name in sorted(applied.items()):
        if (app, name) not in loader.disk_migrations:
            raise BackupError(f"The backup's migration {app}.{name} is unknown to this version "
                              f"of Townsquare; restore it with the version that made it or a "
                              f"newer one.", returncode=2)
    return sum(applied.get(app) != name for app, name in loader.graph.leaf_nodes())


def _forum_rows(connection: BaseDatabaseWrapper) -> str:
    tables = set(list_tables(connection))
    held = []
    for model, one, many in ((User, "member", "members"), (Category, "category", "categories"),
                             (Topic, "topic", "topics"), (Post, "post", "posts")):
        table = model._meta.db_table
        if table in tables and (count := count_rows(connection, [table])[table]):
            held.append(f"{count:,} {one if count == 1 else many}")
    return ", ".join(held)


def _restore_sqlite(connection: BaseDatabaseWrapper, source_file: Path, progress) -> None:
    target = connection.settings_dict["NAME"]
    connection.close()
    source = sqlite3.connect(f"{source_file.resolve().as_uri()}?mode=ro", uri=True)
    destination = sqlite3.connect(target, timeout=20)
    try:
        progress.file_started("database", source.execute("PRAGMA page_count").fetchone()[0],
                              unit="pages")
        done = 0

        def step(status, remaining, total):
            nonlocal done
            progress.advance(total - remaining - done)
            done = total - remaining

        source.backup(destination, pages=PAGES_PER_STEP, progress=step)
    finally:
        source.close()
        destination.close()
    progress.file_done("database", done)


def _restore_postgresql(connection: BaseDatabaseWrapper, tool: str, dump: Path,
                        rows: dict[str, int], progress) -> None:
    connection.close()
    # --clean --if-exists: a migrated but empty site's tables make way for the backup's.
    pgtools.run_tool(tool, connection.settings_dict, [
        "--no-owner", "--no-privileges", "--single-transaction", "--clean", "--if-exists",
        "--dbname"], last=(str(dump),), rows=rows, progress=progress)


def _restore_media(folder: Path, manifest: dict, storage: Storage, progress) -> Check:
    files = {name.removeprefix(f"{MEDIA}/"): info for name, info in manifest["files"].items()
             if name.startswith(f"{MEDIA}/")}
    size = sum(info["size"] for info in files.values())
    progress.file_started("media", size)
    kept = 0
    for name, info in files.items():
        if storage.exists(name):
            if _sha256(storage, name) == info["sha256"]:
                kept += 1
                progress.advance(info["size"])
                continue
            storage.delete(name)
        with (folder / MEDIA / name).open("rb") as handle:
            saved = storage.save(name, File(handle, name=name))
        if saved != name:
            raise BackupError(f"{MEDIA}/{name} was stored as {saved} by the media storage.")
        progress.advance(info["size"])
    progress.file_done("media", len(files))
    already = f", {kept:,} already there" if kept else ""
    return Check("media files", f"{len(files):,} ({size:,} bytes)",
                 f"{len(files) - kept:,} written{already}")


def _sha256(storage: Storage, name: str) -> str:
    sha = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _restore_key(folder: Path, manifest: dict) -> Check:
    if KEY_FILE not in manifest["files"]:
        return Check("secret key", "not included (set in the environment)",
                     "give this site the same SECRET_KEY")
    if not key_from_data_folder():
        return Check("secret key", "included", "not written: this site's SECRET_KEY is set "
                     "in its environment")
    path = Path(settings.DATA_DIR) / KEY_FILE
    path.write_bytes((folder / KEY_FILE).read_bytes())
    path.chmod(0o600)
    return Check("secret key", "included", "written to the data folder")


def _count_checks(connection: BaseDatabaseWrapper, expected: dict[str, int]) -> list[Check]:
    present = set(list_tables(connection))
    actual = count_rows(connection, sorted(present & set(expected)))
    return [Check(table, f"{rows:,} rows", f"{actual[table]:,} rows" if table in actual
                  else "missing",
                  actual.get(table) == rows)
            for table, rows in expected.items()]
