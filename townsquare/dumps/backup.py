"""`townsquare backup`: everything a site needs, taken while it runs.

The database is copied from one read snapshot (see snapshot.py): SQLite through its online
backup API, a step of pages at a time; PostgreSQL by pg_dump reading the very snapshot the
row counts were taken in. Then every file of the media storage, through Django's storage
API (a local folder or a bucket alike), and the data folder's generated secret key when the
site uses it. Uploaded files are stored under names that never change, so the copy taken
right after the snapshot holds every file the snapshot names, unless one was deleted in
between (an image taken down, an orphan pruned).

The folder is written under a hidden temporary name and renamed once its manifest is in
place: a backup that stopped half-way never looks complete.
"""

import importlib.metadata
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from . import pgtools
from .manifest import (
    DATABASE_FILES,
    FORMAT,
    KEY_FILE,
    MANIFEST,
    MEDIA,
    VERSION,
    BackupError,
    copy_stream,
    count_rows,
    digest_file,
    folder_name,
    latest_migrations,
    list_tables,
)
from .progress import NoProgress
from .snapshot import Snapshot, read_snapshot

# SQLite pages copied per step of the online backup (4 MB of 4 KB pages).
PAGES_PER_STEP = 1024

NOT_INCLUDED = [
    "the environment's settings (DATABASE_URL, REDIS_URL, EMAIL_URL, a SECRET_KEY set there...)",
    "cached pages and pieces, rebuilt as pages are read",
    "collected static files, which come with the code",
    "of a media bucket, the objects' metadata and older versions (the files are copied)",
]


def take_backup(parent: Path, *, progress=None, using: str = DEFAULT_DB_ALIAS,
                storage: Storage | None = None, scheduled: bool = False) -> Path:
    """Write a backup folder into `parent` and return its path."""
    progress = progress or NoProgress()
    parent = Path(parent)
    if not parent.is_dir():
        raise BackupError(f"{parent} is not a folder; create it first.", returncode=2)
    created = timezone.now().astimezone(UTC).replace(microsecond=0)
    final = parent / folder_name(created)
    if final.exists():
        raise BackupError(f"{final} already exists.")
    work = parent / f".{final.name}.partial"
    work.mkdir(mode=0o700)  # password hashes and the key: for the operator's eyes only
    try:
        manifest = _write_parts(work, progress, using, storage or default_storage)
        manifest = {"format": FORMAT, "version": VERSION, "site": settings.SITE_NAME,
                    "townsquare": _version(), "created": created.isoformat().replace(
                        "+00:00", "Z"), "scheduled": scheduled, **manifest}
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final


def _write_parts(work: Path, progress, using: str, storage: Storage) -> dict:
    with read_snapshot(using) as snapshot:
        if snapshot.vendor not in DATABASE_FILES:
            raise BackupError(f"Backups of {snapshot.vendor} databases are not supported.")
        tables = list_tables(snapshot.connection)
        rows = count_rows(snapshot.connection, tables)
        migrations = latest_migrations(snapshot.connection)
        database_file = work / DATABASE_FILES[snapshot.vendor]
        if snapshot.vendor == "sqlite":
            database = _copy_sqlite(snapshot, database_file, progress)
        else:
            database = _dump_postgresql(snapshot, database_file, rows, progress)
    files = {database_file.name: digest_file(database_file)}
    media = _copy_media(storage, work / MEDIA, progress)
    key, key_note = _copy_secret_key(work)
    return {
        "database": database,
        "migrations": migrations,
        "rows": rows,
        "media": {"storage": f"{type(storage).__module__}.{type(storage).__qualname__}",
                  "files": len(media), "bytes": sum(f["size"] for f in media.values())},
        "secret_key": key_note,
        "not_included": NOT_INCLUDED,
        "files": files | media | ({KEY_FILE: key} if key else {}),
    }


def _copy_sqlite(snapshot: Snapshot, target: Path, progress) -> dict:
    """SQLite's online backup of the snapshot's connection, which reads inside the snapshot's
    read transaction: the copy is that moment, and writers go on between the steps."""
    source = snapshot.connection.connection
    page_size = source.execute("PRAGMA page_size").fetchone()[0]
    progress.file_started("database", page_size * source.execute(
        "PRAGMA page_count").fetchone()[0])
    copied = 0

    def step(status, remaining, total):
        nonlocal copied
        progress.advance((total - remaining - copied) * page_size)
        copied = total - remaining

    destination = sqlite3.connect(target)
    try:
        source.backup(destination, pages=PAGES_PER_STEP, progress=step)
        # The copy is one self-contained file, whatever the site's journal mode.
        destination.execute("PRAGMA journal_mode = DELETE")
    finally:
        destination.close()
    progress.file_done("database", copied)
    return {"engine": "sqlite", "file": target.name, "sqlite_version": sqlite3.sqlite_version}


def _dump_postgresql(snapshot: Snapshot, target: Path, rows: dict[str, int], progress) -> dict:
    """pg_dump --format=custom, reading the snapshot the row counts come from."""
    server = snapshot.connection.pg_version // 10000
    path, version = pgtools.find_tool("pg_dump", at_least=server)
    pgtools.run_tool(path, snapshot.connection.settings_dict, [
        "--format=custom", f"--snapshot={snapshot.export_id()}", f"--file={target}"],
        rows=rows, progress=progress)
    return {"engine": "postgresql", "file": target.name, "server_version": server,
            "pg_dump_version": version}


def _copy_media(storage: Storage, target: Path, progress) -> dict[str, dict]:
    names = list(_storage_names(storage))
    progress.file_started("media", sum(storage.size(name) for name in names))
    files = {}
    for name in names:
        with storage.open(name, "rb") as source:
            files[f"{MEDIA}/{name}"] = copy_stream(source, target / name, progress)
    progress.file_done("media", len(files))
    return files


def _storage_names(storage: Storage, folder: str = "") -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a local media folder nothing was ever uploaded to
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for name in sorted(folders):
        yield from _storage_names(storage, f"{folder}/{name}" if folder else name)


def key_from_data_folder() -> bool:
    """Whether the site runs with the data folder's generated key (config/settings.py uses
    it when SECRET_KEY is not set in the environment)."""
    return not os.environ.get("SECRET_KEY")


def _copy_secret_key(work: Path) -> tuple[dict | None, str]:
    """The key file's size and sha256 when it was copied, and what the manifest says."""
    if not key_from_data_folder():
        return None, ("not included: SECRET_KEY is set in the environment; give the restored "
                      "site the same SECRET_KEY")
    path = Path(settings.DATA_DIR) / KEY_FILE
    if not path.is_file():
        return None, "not included: the data folder has no secret_key file"
    target = work / KEY_FILE
    shutil.copyfile(path, target)
    target.chmod(0o600)
    return digest_file(target), ("included: the data folder's generated key, on which "
                                 "sessions, password-reset links and cached pages depend")


def _version() -> str:
    try:
        return importlib.metadata.version("townsquare")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
