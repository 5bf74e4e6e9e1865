"""The checks `townsquare serve` and `townsquare worker` make before they start
(core/startup.py), one by one: the database's writability, a busy port, the key a shared
database needs, uploads other instances can't see, and static files collected only when they
changed. test_serve.py runs the commands themselves."""

import socket
import sqlite3
from pathlib import Path

import pytest
from django.db import connection

from townsquare.core import startup

CONSEQUENCE = "sign-ins would fail"


def sqlite_file(folder: Path) -> Path:
    path = folder / "townsquare.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    db.close()
    return path


def test_a_writable_sqlite_file_is_accepted(tmp_path):
    assert startup.sqlite_refusal(sqlite_file(tmp_path), CONSEQUENCE) is None


def test_a_read_only_sqlite_file_is_refused(tmp_path, unwritable):
    path = sqlite_file(tmp_path)
    unwritable(path)
    refusal = startup.sqlite_refusal(path, CONSEQUENCE)
    assert refusal.startswith(f"The database file {path} is not writable")
    assert CONSEQUENCE in refusal


def test_a_read_only_wal_file_is_refused(tmp_path, unwritable):
    path = sqlite_file(tmp_path)
    wal = tmp_path / "townsquare.sqlite3-wal"
    wal.write_bytes(b"")
    unwritable(wal)
    assert startup.sqlite_refusal(path, CONSEQUENCE).startswith(
        f"The database file {wal} is not writable")


def test_a_sqlite_file_in_a_read_only_folder_is_refused(tmp_path, unwritable):
    path = sqlite_file(tmp_path)
    unwritable(tmp_path)
    assert startup.sqlite_refusal(path, CONSEQUENCE).startswith(
        f"The database's folder {tmp_path} is not writable")


@pytest.mark.django_db
def test_a_read_only_postgresql_database_is_refused():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's read-only mode")
    assert startup.database_refusal() is None
    with connection.cursor() as cursor:
        cursor.execute("SET transaction_read_only = on")  # as on a hot standby
    assert startup.database_refusal().startswith("The database is read-only")


def test_a_busy_port_is_refused_and_a_free_one_accepted():
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as granian binds
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert startup.port_refusal("127.0.0.1", port, "--port") == (
            f"Port {port} on 127.0.0.1 is already in use: is another Townsquare running? "
            "Choose another with --port.")
    assert startup.port_refusal("127.0.0.1", port, "--port") is None


@pytest.mark.django_db
def test_a_shared_database_with_its_key_is_accepted(shared_database, settings):
    settings.SECRET_KEY_GIVEN = True
    assert startup.secret_key_refusal() is None


def test_sqlite_needs_no_secret_key(settings):
    settings.SECRET_KEY_GIVEN = False
    if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        pytest.skip("the tests' database is not SQLite")
    assert startup.secret_key_refusal() is None


def test_uploads_kept_outside_the_data_folder_need_no_warning(shared_database, settings,
                                                               tmp_path):
    assert startup.media_warning() is not None
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "shared")}}}
    assert startup.media_warning() is None


def test_sqlite_needs_no_upload_warning(settings):
    if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        pytest.skip("the tests' database is not SQLite")
    assert startup.media_warning() is None


@pytest.fixture
def static_folders(settings, tmp_path):
    source = tmp_path / "source"
    (source / "css").mkdir(parents=True)
    (source / "css" / "site.css").write_text("body { color: black }")
    settings.STATICFILES_DIRS = [source]
    settings.STATIC_ROOT = tmp_path / "collected"
    return source, settings.STATIC_ROOT


def test_static_files_are_collected_again_only_when_they_changed(static_folders):
    source, collected = static_folders
    assert startup.collect_static() is True
    assert (collected / "css" / "site.css").read_text() == "body { color: black }"

    (collected / "css" / "site.css").unlink()
    assert startup.collect_static() is False  # the same sources: nothing copied
    assert not (collected / "css" / "site.css").exists()

    (source / "css" / "site.css").write_text("body { color: navy }")
    assert startup.collect_static() is True
    assert (collected / "css" / "site.css").read_text() == "body { color: navy }"


def test_a_new_static_file_is_collected(static_folders):
    source, collected = static_folders
    startup.collect_static()
    (source / "css" / "print.css").write_text("nav { display: none }")
    assert startup.collect_static() is True
    assert (collected / "css" / "print.css").exists()
