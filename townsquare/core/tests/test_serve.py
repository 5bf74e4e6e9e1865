"""`townsquare serve` and `townsquare worker` as an operator runs them: they refuse to start
when they could not work, serve keeps the pages up while the stream process is restarted, and
leaves no process behind however it ends.

Real processes on a data folder of their own (SQLite, whatever this test run's database),
except for the refusals that need no process: those run the command here. Every wait is
bounded, and every process a test starts is killed when it ends.
"""

import io
import os
import signal
import socket
import subprocess
import sys

import pytest
from django.core.management import call_command

from .processes import (
    REPO,
    WAIT,
    Processes,
    alive,
    children,
    free_port,
    one_process,
    port_is_free,
    run,
    status,
    wait_until,
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


def start_serve(processes, data, *extra) -> tuple[subprocess.Popen, int, int]:
    port, stream = free_port(), free_port()
    serve = processes.start(["townsquare.cli", "serve", "--workers", "1", "--port", str(port),
                             "--stream-port", str(stream), *extra], environment(data))
    wait_until(lambda: serve.poll() is not None or (status(port) == 200 and status(stream)),
               "serve answers on both ports")
    assert serve.poll() is None, serve.log.read_text()
    processes.note(serve)
    return serve, port, stream


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


def test_a_killed_stream_process_is_restarted_while_pages_go_on(processes, migrated):
    serve, port, stream = start_serve(processes, migrated, "--no-worker")
    [stream_main] = children(serve.pid, "asgi")
    stream_worker = one_process(children(stream_main, "asgi"))

    os.kill(stream_main, signal.SIGKILL)
    assert status(port) == 200
    # Its worker goes with it (no orphan holding the port), and serve starts a new one.
    wait_until(lambda: not alive(stream_worker), "the killed stream's worker has ended")
    wait_until(lambda: children(serve.pid, "asgi") not in ([], [stream_main])
               and status(stream), "a new stream process answers")
    assert status(port) == 200
    assert ("townsquare serve: The live event stream was killed by SIGKILL; starting it again "
            "in 1 s.") in serve.log.read_text()

    # Granian's own worker killed: granian starts another (or serve starts granian again).
    [stream_main] = children(serve.pid, "asgi")
    stream_worker = one_process(children(stream_main, "asgi"))
    os.kill(next(iter(stream_worker))[0], signal.SIGKILL)
    assert status(port) == 200
    wait_until(lambda: not alive(stream_worker), "the killed stream worker has ended")
    wait_until(lambda: status(stream), "the stream answers again")
    assert serve.poll() is None and status(port) == 200

    tree = processes.note(serve)
    serve.send_signal(signal.SIGTERM)
    assert serve.wait(WAIT) == 0
    wait_until(lambda: not alive(tree), "every process of serve's tree has ended", 30)
    wait_until(lambda: port_is_free(port) and port_is_free(stream), "both ports are free", 30)


def test_serve_killed_with_sigkill_takes_every_process_with_it(processes, migrated):
    serve, port, stream = start_serve(processes, migrated)  # the background worker too
    tree = processes.note(serve)
    assert len(tree) == 6  # serve, two granian mains and their workers, the background worker
    serve.kill()
    serve.wait(10)
    wait_until(lambda: not alive(tree), "every process of serve's tree has ended", 30)
    wait_until(lambda: port_is_free(port) and port_is_free(stream), "both ports are free", 30)


def test_granians_workers_end_with_its_main_process(processes, migrated):
    # Plain granian leaves its workers serving when its main process is killed.
    port = free_port()
    server = processes.start(["townsquare.core.webserver", "--interface", "wsgi", "--port",
                              str(port), "--workers", "1", "config.wsgi:application"],
                             environment(migrated))
    wait_until(lambda: server.poll() is not None or status(port) == 200, "granian answers")
    workers = one_process(children(server.pid, "webserver"))
    processes.note(server)
    server.kill()
    server.wait(10)
    wait_until(lambda: not alive(workers), "granian's worker has ended", 30)
    wait_until(lambda: port_is_free(port), "the port is free", 30)


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
