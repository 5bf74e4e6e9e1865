"""`townsquare serve` and `townsquare worker` as an operator runs them: they refuse to start
when they could not work, serve keeps the pages up while the stream process is restarted, and
leaves no process behind however it ends.

Real processes on a data folder of their own (SQLite, whatever this test run's database),
except for the refusals that need no process: those run the command here. Every wait is
bounded, and every process a test starts is killed when it ends.
"""

import io
import os
import socket
import subprocess
import sys

import pytest
from django.core.management import call_command

from .processes import (
    REPO,
    Processes,
    free_port,
    run,
)


def environment(data, **extra: str) -> dict[str, str]:
    """The site on SQLite in `data`, whatever this test run's database; DEBUG, so that pages
    need no collected static files."""
    dropped = ("DATABASE_URL", "REDIS_URL", "PYTEST_XDIST_WORKER", "SECRET_KEY",
               "MEDIA_STORAGE_URL", "LIVE_STREAM_URL", "LIVE_ALLOWED_ORIGINS")
    env = {name: value for name, value in os.environ.items() if name not in dropped}
    return env | {"DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(REPO),
                  "TOWNSQUARE_DATA_DIR": str(data), "DEBUG": "true", "LOG_LEVEL": "ERROR"} | extra


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    subprocess.run([sys.executable, "-m", "townsquare.cli", "migrate", "-v", "0"], cwd=REPO,
                   env=environment(data), check=True, timeout=300)
    return data


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    yield started
    started.end()


@pytest.mark.parametrize("busy", ["--port", "--stream-port"])
def test_serve_refuses_a_port_another_server_listens_on(processes, migrated, busy):
    port, stream = free_port(), free_port()
    with socket.socket() as other:
        # As granian binds: a second server binding the same way would share the port.
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", port if busy == "--port" else stream))
        other.listen()
        code, output = run(processes, ["townsquare.cli", "serve", "--workers", "1",
                                       "--no-worker", "--port", str(port),
                                       "--stream-port", str(stream)], environment(migrated))
    taken = port if busy == "--port" else stream
    assert code == 1, output
    assert (f"Port {taken} on 127.0.0.1 is already in use: is another Townsquare running? "
            f"Choose another with {busy}.") in output
    assert "granian" not in output  # nothing was started


def test_serve_and_the_worker_refuse_an_unmigrated_database(processes, tmp_path):
    env = environment(tmp_path / "new")
    code, output = run(processes, ["townsquare.cli", "serve", "--no-worker", "--port",
                                   str(free_port()), "--stream-port", str(free_port())], env)
    assert (code, output.strip()) == (1, "The database needs migrating: run `townsquare migrate`.")
    code, output = run(processes, ["townsquare.cli", "worker", "--once"], env)
    assert (code, output.strip()) == (1, "The database needs migrating: run `townsquare migrate`.")


@pytest.mark.parametrize("key", ["given", "kept in the data folder"])
def test_serve_refuses_a_data_folder_it_cannot_write(processes, tmp_path, unwritable, key):
    data = tmp_path / "data"
    data.mkdir()
    unwritable(data)
    env = environment(data, DEBUG="false", **({"SECRET_KEY": "k" * 50} if key == "given" else {}))
    code, output = run(processes, ["townsquare.cli", "serve", "--no-worker", "--port",
                                   str(free_port()), "--stream-port", str(free_port())], env)
    assert code == 1, output
    assert output.startswith(f"The data folder {data} is not writable"), output
    assert "Traceback" not in output


@pytest.fixture
def no_processes(monkeypatch):
    """A serve that got past its checks would start processes: fail instead."""
    import townsquare.core.management.commands.serve  # noqa: F401 (loaded before the patch)

    def refuse(*args, **kwargs):
        raise AssertionError(f"started {args[0]}")

    monkeypatch.setattr(subprocess, "Popen", refuse)


@pytest.mark.django_db
def test_serve_refuses_a_shared_database_without_secret_key(shared_database, no_processes):
    stderr = io.StringIO()
    with pytest.raises(SystemExit) as refused:
        call_command("serve", "--no-collectstatic", "--port", str(free_port()),
                     "--stream-port", str(free_port()), stderr=stderr)
    assert refused.value.code == 1
    assert stderr.getvalue().startswith("SECRET_KEY must be set when the database is shared")
    assert "a member signed in through one instance would be a guest on another" in \
        stderr.getvalue()


@pytest.mark.django_db
def test_the_worker_refuses_a_shared_database_without_secret_key(shared_database):
    stderr = io.StringIO()
    with pytest.raises(SystemExit) as refused:
        call_command("worker", "--once", stderr=stderr)
    assert refused.value.code == 1
    assert stderr.getvalue().startswith("SECRET_KEY must be set when the database is shared")


# The worker tidies database connections between ticks: real transactions, as in production.
@pytest.mark.django_db(transaction=True)
def test_the_worker_warns_that_local_uploads_are_not_shared(shared_database, settings):
    settings.SECRET_KEY_GIVEN = True
    stderr = io.StringIO()
    call_command("worker", "--once", stderr=stderr, stdout=io.StringIO())
    assert "Uploaded images are kept in this machine's data folder" in stderr.getvalue()
    assert "MEDIA_STORAGE_URL" in stderr.getvalue()
