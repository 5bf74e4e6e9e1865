"""The backup folder (`townsquare backup` / `townsquare restore`): its names, its
manifest, checksums, and what the manifest records of a database.

    townsquare-20260301-030000/
      manifest.json      written last; a folder without it is not a backup
      database.sqlite3   or database.pgdump (pg_dump --format=custom)
      media/...          every file of the media storage, under its storage name
      secret_key         the data folder's generated key, when the site uses it
"""

import hashlib
import json
import re
from datetime import datetime
from pathlib import Path, PurePosixPath

from django.db.backends.base.base import BaseDatabaseWrapper

FORMAT, VERSION = "townsquare-backup", 1
MANIFEST = "manifest.json"
FOLDER_NAME = re.compile(r"townsquare-\d{8}-\d{6}")
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
KEY_FILE = "secret_key"
MEDIA = "media"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """One sentence for the operator. `returncode` 2: the input was refused before anything
    was touched; 1: the work failed."""

    def __init__(self, message: str, *, returncode: int = 1):
        super().__init__(message)
        self.returncode = returncode


def folder_name(moment: datetime) -> str:
    return f"townsquare-{moment:%Y%m%d-%H%M%S}"


def digest_file(path: Path, progress=None) -> dict:
    """A file's size and sha256, read in chunks (advancing `progress` by bytes)."""
    sha, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
            size += len(chunk)
            if progress:
                progress.advance(len(chunk))
    return {"size": size, "sha256": sha.hexdigest()}


def copy_stream(source, path: Path, progress=None) -> dict:
    """Copy an open binary file to `path`, returning the size and sha256 of what was
    written."""
    sha, size = hashlib.sha256(), 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        while chunk := source.read(CHUNK):
            out.write(chunk)
            sha.update(chunk)
            size += len(chunk)
            if progress:
                progress.advance(len(chunk))
    return {"size": size, "sha256": sha.hexdigest()}


def read_manifest(folder: Path) -> dict:
    """The manifest of the backup in `folder`, its shape checked; BackupError (code 2)
    for anything that is not a backup this version can read."""
    if not folder.exists():
        raise BackupError(f"{folder} does not exist.", returncode=2)
    if not folder.is_dir():
        raise BackupError(f"{folder} is not a folder.", returncode=2)
    path = folder / MANIFEST
    if not path.is_file():
        inside = sorted(p.name for p in folder.iterdir() if complete_backup(p))
        hint = f"; it holds backups, such as {folder / inside[-1]}" if inside else ""
        raise BackupError(f"{folder} is not a Townsquare backup: it has no {MANIFEST}{hint}.",
                          returncode=2)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BackupError(f"{path} is not valid JSON, so {folder} is not a usable backup.",
                          returncode=2) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Townsquare backup manifest.", returncode=2)
    version = manifest.get("version")
    if type(version) is not int or version < 1:
        raise BackupError(f"{path} has no valid format version.", returncode=2)
    if version > VERSION:
        raise BackupError(f"{folder} is in backup format {version}, written by a newer "
                          f"Townsquare; this one reads format {VERSION}, so restore it with "
                          f"the newer version.", returncode=2)
    if problem := _shape_problem(manifest):
        raise BackupError(f"{path} is damaged: {problem}.", returncode=2)
    return manifest


def _shape_problem(manifest: dict) -> str:
    files, rows = manifest.get("files"), manifest.get("rows")
    database, migrations = manifest.get("database"), manifest.get("migrations")
    if not isinstance(files, dict) or not all(
            isinstance(v, dict) and type(v.get("size")) is int
            and re.fullmatch(r"[0-9a-f]{64}", str(v.get("sha256"))) for v in files.values()):
        return "'files' must map each name to its size and sha256"
    if unsafe := [name for name in files if not _safe_name(name)]:
        return f"{unsafe[0]!r} is not a name a backup holds"
    if not isinstance(rows, dict) or not all(type(n) is int for n in rows.values()):
        return "'rows' must map each table to its row count"
    if not isinstance(migrations, dict) or not all(
            isinstance(v, str) for v in migrations.values()):
        return "'migrations' must map each app to its latest migration"
    engine = database.get("engine") if isinstance(database, dict) else None
    if engine not in DATABASE_FILES or DATABASE_FILES[engine] not in files:
        return "'database' must name the engine and its file"
    return ""


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name or not path.parts:
        return False
    return name in (KEY_FILE, *DATABASE_FILES.values()) or (
        path.parts[0] == MEDIA and len(path.parts) > 1)


def complete_backup(folder: Path) -> dict | None:
    """The manifest of a finished backup folder, or None for anything else."""
    if not folder.is_dir() or not FOLDER_NAME.fullmatch(folder.name):
        return None
    try:
        return read_manifest(folder)
    except BackupError:
        return None


def verify_files(folder: Path, manifest: dict, progress) -> None:
    """Every file the manifest names is there with its size and sha256, else BackupError
    (code 2) naming the first that is not."""
    progress.file_started("checksums", sum(f["size"] for f in manifest["files"].values()))
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            raise BackupError(f"{name} is missing from the backup {folder}; nothing was "
                              f"restored.", returncode=2)
        if digest_file(path, progress) != expected:
            raise BackupError(f"{name} does not match its checksum in the manifest (the file "
                              f"is damaged or was changed); nothing was restored.",
                              returncode=2)
    progress.file_done("checksums", len(manifest["files"]))


def list_tables(connection: BaseDatabaseWrapper) -> list[str]:
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def count_rows(connection: BaseDatabaseWrapper, tables: list[str]) -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def latest_migrations(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """Each app's latest applied migration (names are numbered, so the greatest)."""
    if "django_migrations" not in list_tables(connection):
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app")
        return dict(cursor.fetchall())
