"""serve's supervision (core/supervisor.py) with small stand-in children: a child that dies is
restarted after a pause, saying which and why; a page server that cannot stay up stops serve
with status 1; being asked to stop ends every child."""

import io
import signal
import sys
import threading

import pytest

from townsquare.core import supervisor
from townsquare.core.supervisor import Child, Supervisor

SLEEPS = [sys.executable, "-c", "import time; time.sleep(60)"]


def fails(code: int) -> list[str]:
    return [sys.executable, "-c", f"raise SystemExit({code})"]


@pytest.fixture(autouse=True)
def short_pauses(monkeypatch):
    monkeypatch.setattr(supervisor, "FIRST_PAUSE_SECONDS", 0.05)
    monkeypatch.setattr(supervisor, "POLL_SECONDS", 0.02)


@pytest.fixture
def started(monkeypatch):
    """Every (child name, process) the supervisor starts."""
    seen = []
    start = Supervisor._start

    def recording(self, child):
        start(self, child)
        seen.append((child.name, child.process))

    monkeypatch.setattr(Supervisor, "_start", recording)
    return seen


def stop_when(supervised: Supervisor, condition) -> None:
    """Ask the supervisor to stop, from another thread, once `condition()` holds."""
    def watch():
        while not condition():
            threading.Event().wait(0.02)
        supervised.stopping = True

    threading.Thread(target=watch, daemon=True).start()


def test_a_child_that_dies_is_restarted_and_the_others_go_on(started):
    stderr = io.StringIO()
    supervised = Supervisor([Child("page server", SLEEPS, essential=True),
                             Child("background worker", fails(3))],
                            env=None, cwd=None, stderr=stderr)
    stop_when(supervised, lambda: stderr.getvalue().count("background worker") >= 3)
    assert supervised.run() == 0
    names = [name for name, _ in started]
    assert names.count("page server") == 1 and names.count("background worker") >= 3
    assert stderr.getvalue().splitlines()[:3] == [
        "townsquare serve: The background worker exited with code 3; starting it again in "
        f"{pause:g} s." for pause in (0.05, 0.1, 0.2)]
    assert all(process.returncode is not None for _, process in started)  # all ended


def test_a_page_server_that_cannot_stay_up_stops_serve_with_status_1(started):
    stderr = io.StringIO()
    supervised = Supervisor([Child("page server", fails(1), essential=True),
                             Child("background worker", SLEEPS)],
                            env=None, cwd=None, stderr=stderr)
    assert supervised.run() == 1
    assert stderr.getvalue().splitlines()[-1] == (
        "townsquare serve: The page server exited with code 1, 4 times in a row soon after "
        "starting: Townsquare stops.")
    assert [name for name, _ in started].count("page server") == 4
    worker = [process for name, process in started if name == "background worker"]
    assert len(worker) == 1 and worker[0].returncode == -signal.SIGTERM  # stopped with it
