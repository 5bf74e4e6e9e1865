"""The processes `townsquare serve` runs, kept up together and never left behind.

Each child starts in its own process group, so that ending the group ends whatever the child
started too (granian's worker processes), and asks Linux to signal it when `serve` ends, even
by SIGKILL (PR_SET_PDEATHSIG). A child that dies is restarted after a pause that doubles with
each quick failure; only the page server giving up for good stops `serve` itself.
"""

import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import partial

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.2
# The pause before a restart doubles with each quick death in a row, up to the most.
FIRST_PAUSE_SECONDS = 1.0
MAX_PAUSE_SECONDS = 30.0
# A child that ran this long has stayed up: its death starts the count again.
STABLE_SECONDS = 60.0
# Quick deaths in a row after which the page server is taken as unable to run.
PAGE_SERVER_ATTEMPTS = 4
# How long children have to finish what they are doing when asked to stop.
STOP_SECONDS = 10.0

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def die_with_parent(parent_pid: int, signum: int) -> None:
    """In a new child process: be sent `signum` when the parent ends (Linux only), and end
    now if the parent already has."""
    if _libc is not None:
        _libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


@dataclass
class Child:
    name: str
    argv: list[str]
    essential: bool = False  # the page server: serve stops when it cannot stay up
    process: subprocess.Popen | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float | None = None


class Supervisor:
    def __init__(self, children: list[Child], *, env: dict, cwd, stderr=None):
        self.children = children
        self.env, self.cwd = env, cwd
        self.stderr = stderr or sys.stderr
        self.stopping = False

    def run(self) -> int:
        """Run until asked to stop (0) or until the page server cannot stay up (1)."""
        signals = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
        previous = {signum: signal.signal(signum, self._ask_to_stop) for signum in signals}
        try:
            for child in self.children:
                self._start(child)
            while not self.stopping:
                if self._look_after_children():
                    return 1
                time.sleep(POLL_SECONDS)
            return 0
        finally:
            self._stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _ask_to_stop(self, *_):
        self.stopping = True

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(
            child.argv, env=self.env, cwd=self.cwd, process_group=0,
            preexec_fn=partial(die_with_parent, os.getpid(), signal.SIGTERM))
        child.started = time.monotonic()
        child.restart_at = None

    def _look_after_children(self) -> bool:
        """Restart the children that died and are due; True when serve must give up."""
        now = time.monotonic()
        for child in self.children:
            if child.process is not None and _has_exited(child.process):
                _end_group(child.process)
                code = child.process.wait()
                child.process = None
                child.failures = 1 if now - child.started >= STABLE_SECONDS else child.failures + 1
                if child.essential and child.failures >= PAGE_SERVER_ATTEMPTS:
                    self._say(f"The {child.name} {exit_reason(code)}, {child.failures} times "
                              "in a row soon after starting: Townsquare stops.")
                    return True
                pause = min(FIRST_PAUSE_SECONDS * 2 ** (child.failures - 1), MAX_PAUSE_SECONDS)
                self._say(f"The {child.name} {exit_reason(code)}; starting it again in "
                          f"{pause:g} s.")
                child.restart_at = now + pause
            elif child.process is None and child.restart_at is not None \
                    and now >= child.restart_at:
                self._start(child)
        return False

    def _stop_all(self) -> None:
        running = [child.process for child in self.children if child.process is not None]
        for process in running:
            # Not process.terminate(): it reaps a child that has ended, freeing its pid.
            os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while time.monotonic() < deadline and not all(_has_exited(p) for p in running):
            time.sleep(0.05)
        for process in running:
            _end_group(process)  # whatever is left of it and of what it started
            process.wait()
        for child in self.children:
            child.process = None

    def _say(self, sentence: str) -> None:
        print(f"townsquare serve: {sentence}", file=self.stderr, flush=True)


def _has_exited(process: subprocess.Popen) -> bool:
    """Whether the child has ended, without reaping it: until it is reaped its pid (and so
    its process group's id) cannot be given to another process, so ending the group is safe."""
    if process.returncode is not None:
        return True
    return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _end_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # nothing left in the group


def exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"
