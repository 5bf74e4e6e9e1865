"""What `townsquare serve` and `townsquare worker` make sure of before they start.

Each check answers None or a sentence for the operator. A refusal stops the command with
status 1 before it starts anything: a plain sentence instead of a traceback, a site that
answers 500 to every sign-in, or a second server quietly sharing a port.
"""

import errno
import hashlib
import os
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.storage import FileSystemStorage, storages
from django.core.management import call_command
from django.db import OperationalError, connection
from django.db.migrations.executor import MigrationExecutor

# Beside the collected files, the digest of the sources they were collected from.
STATIC_STAMP = ".sources-digest"


def refuse_unless_ready(command, options: dict,
                        ports: tuple[tuple[str, int, str], ...] = ()) -> None:
    """Exit with status 1 and the first refusal on the command's stderr, then run Django's
    system checks (the command's own come first: Django's would meet an unwritable folder
    or an unreachable database with a traceback). Warnings are printed unless verbosity is
    0. `ports`: (host, port, the option that chooses it)."""
    checks: list[Callable[[], str | None]] = [
        *(lambda p=p: port_refusal(*p) for p in ports),
        folder_refusal, database_refusal, migration_refusal, secret_key_refusal]
    for check in checks:
        if refusal := check():
            command.stderr.write(refusal)
            raise SystemExit(1)
    if not options.get("skip_checks"):
        command.check()
    if options["verbosity"] and (warning := media_warning()):
        command.stderr.write(warning)


def port_refusal(host: str, port: int, option: str) -> str | None:
    """Whether something already listens on the port. Granian binds with SO_REUSEPORT, which
    would let a second server share the port and half the traffic: the probe binds without."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            # Connections of a server that just stopped (TIME_WAIT) don't make a port busy.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except socket.gaierror as error:
        return f"Townsquare can't listen on {host}: {error.strerror}. Choose another with --host."
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return (f"Port {port} on {host} is already in use: is another Townsquare running? "
                    f"Choose another with {option}.")
        return (f"Townsquare can't listen on port {port} on {host} ({error.strerror}). "
                f"Choose another with {option}.")
    return None


def folder_refusal() -> str | None:
    """Whether the data folder (and the local folders in it) take new files."""
    folders = [Path(settings.DATA_DIR), Path(settings.STATIC_ROOT)]
    if (media := local_media_folder()) is not None:
        folders.append(media)
    for folder in folders:
        if folder.exists() and (error := _unwritable(folder)):
            which = "data folder" if folder == folders[0] else "folder"
            return (f"The {which} {folder} is not writable ({error.strerror}): Townsquare "
                    "keeps its SQLite database, uploads and collected static files there. Make "
                    "it writable by the user running Townsquare, or point TOWNSQUARE_DATA_DIR "
                    "at a folder that is.")
    return None


def _unwritable(folder: Path) -> OSError | None:
    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as error:
        return error


def database_refusal() -> str | None:
    """Whether the database takes writes: with a read-only one, pages would load but every
    sign-in and post would fail."""
    consequence = "pages would load, but every sign-in and post would fail"
    if connection.vendor == "sqlite":
        return sqlite_refusal(connection.settings_dict["NAME"], consequence)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW transaction_read_only")
            (read_only,) = cursor.fetchone()
    except OperationalError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return (f"The database can't be reached ({first_line}): check DATABASE_URL and that "
                "the database server is running.")
    if read_only == "on":
        return (f"The database is read-only (a hot standby, or transactions read-only by "
                f"default): {consequence}. Point DATABASE_URL at the primary server.")
    return None


def sqlite_refusal(name, consequence: str) -> str | None:
    """Whether the SQLite file, its -wal and -shm files and its folder are writable."""
    name = str(name)
    if name == ":memory:" or "mode=memory" in name:
        return None
    path = Path(name)
    if not path.parent.is_dir():
        return f"The database's folder {path.parent} does not exist: check DATABASE_URL."
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            with open(file, "r+b"):
                pass
        except FileNotFoundError:
            continue
        except OSError as error:
            return (f"The database file {file} is not writable ({error.strerror}): "
                    f"{consequence}. Make it writable by the user running Townsquare.")
    if error := _unwritable(path.parent):
        return (f"The database's folder {path.parent} is not writable ({error.strerror}): "
                f"SQLite keeps its -wal and -shm files beside the database, so {consequence}.")
    return None


def migration_refusal() -> str | None:
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return "The database needs migrating: run `townsquare migrate`."
    return None


def secret_key_refusal() -> str | None:
    if not _shared_database() or settings.SECRET_KEY_GIVEN:
        return None
    return ("SECRET_KEY must be set when the database is shared (DATABASE_URL is not SQLite): "
            "without it each data folder would make its own key, and a member signed in "
            "through one instance would be a guest on another. Give every instance the same "
            "SECRET_KEY.")


def media_warning() -> str | None:
    media = local_media_folder()
    if not _shared_database() or media is None:
        return None
    return (f"Uploaded images are kept in this machine's data folder ({media}): other "
            "instances sharing the database won't see them unless that folder is shared, or "
            "MEDIA_STORAGE_URL names storage they all reach.")


def _shared_database() -> bool:
    """Whether other machines may use the same database (DATABASE_URL is not SQLite)."""
    return not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


def local_media_folder() -> Path | None:
    """The folder uploads are kept in when it is inside the data folder."""
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        return None
    folder = Path(storage.location)
    return folder if folder.is_relative_to(settings.DATA_DIR) else None


def collect_static() -> bool:
    """Collect the static files unless they were collected from these very sources (a
    collection compresses every file and takes seconds); whether it collected."""
    stamp = Path(settings.STATIC_ROOT) / STATIC_STAMP
    digest = static_sources_digest()
    if stamp.exists() and stamp.read_text() == digest:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(digest)
    return True


def static_sources_digest() -> str:
    """A digest of the static sources' names, sizes and times, and of how they are stored."""
    entries = set()
    for finder in finders.get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):  # collectstatic's ignores
            status = os.stat(storage.path(path))
            entries.add(f"{path}\0{storage.path(path)}\0{status.st_size}\0{status.st_mtime_ns}")
    digest = hashlib.sha256(settings.STORAGES["staticfiles"]["BACKEND"].encode())
    for entry in sorted(entries):
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()
