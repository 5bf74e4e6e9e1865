"""Real processes in tests: started with their output in a file, found in /proc, and all
killed when the test ends, whatever it left running."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings

REPO = Path(settings.BASE_DIR)
WAIT = 90  # seconds: a start on a busy two-core machine takes a few


class Processes:
    """The processes a test starts; everything under them is killed at the end."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[subprocess.Popen] = []
        self.trees: set[tuple[int, int]] = set()

    def start(self, args: list[str], env: dict) -> subprocess.Popen:
        log = open(self.folder / f"process-{len(self.started)}.log", "w")  # noqa: SIM115
        process = subprocess.Popen([sys.executable, "-m", *args], cwd=REPO, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        process.log = Path(log.name)
        log.close()
        self.started.append(process)
        return process

    def note(self, process: subprocess.Popen) -> set[tuple[int, int]]:
        """Remember the process's tree as it is now (to kill at the end), and return it."""
        tree = process_tree(process.pid)
        self.trees |= tree
        return tree

    def end(self):
        for process in self.started:
            if process.poll() is None:
                self.note(process)
        for pid, _ in alive(self.trees):
            os.kill(pid, signal.SIGKILL)
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.wait(10)


def run(processes: Processes, args: list[str], env: dict, timeout: float = WAIT):
    """Run to the end: (exit status, output); None as the status if it was still running."""
    process = processes.start(args, env)
    try:
        code = process.wait(timeout)
    except subprocess.TimeoutExpired:
        code = None
    return code, process.log.read_text()


def process_table() -> dict[int, tuple[int, str, int]]:
    """pid -> (parent pid, state, start time), read from /proc."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        table[int(entry.name)] = (int(fields[1]), fields[0], int(fields[19]))
    return table


def process_tree(pid: int) -> set[tuple[int, int]]:
    """(pid, start time) of a process and of all its descendants."""
    table = process_table()
    tree, look = set(), [pid]
    while look:
        current = look.pop()
        if current in table:
            tree.add((current, table[current][2]))
            look += [child for child, (parent, _, _) in table.items() if parent == current]
    return tree


def alive(processes: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Those still running (not ended, not a zombie, not another process with the same pid)."""
    table = process_table()
    return {(pid, start) for pid, start in processes
            if pid in table and table[pid][2] == start and table[pid][1] not in "ZX"}


def children(pid: int, marker: str) -> list[int]:
    return [child for child, (parent, state, _) in process_table().items()
            if parent == pid and state not in "ZX" and marker in command_line(child)]


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def status(port: int) -> int | None:
    """The HTTP status of GET / on the port, None when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_until(condition, what: str, seconds: float = WAIT):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.1)
    return result


def one_process(pids: list[int]) -> set[tuple[int, int]]:
    """The one process of `pids`, as (pid, start time)."""
    [pid] = pids
    return {(pid, process_table()[pid][2])}


