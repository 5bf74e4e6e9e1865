"""PostgreSQL's own tools for backups: pg_dump and pg_restore, found on PATH and run with
the site's connection settings (the environment Django's `dbshell` gives psql)."""

import os
import re
import shutil
import subprocess
from collections import deque

from django.db.backends.postgresql.client import DatabaseClient

from .manifest import BackupError

# pg_dump and pg_restore --verbose name each table as they reach its rows.
TABLE_STARTED = re.compile(
    r'(?:dumping contents of|processing data for) table "(?:[^"]+)\.([^"]+)"')


def find_tool(name: str, *, at_least: int) -> tuple[str, str]:
    """The path and version of `name`, whose major version must be `at_least` or newer."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found on PATH; install the PostgreSQL client tools "
                          f"of version {at_least} or newer.")
    said = subprocess.run([path, "--version"], capture_output=True, text=True,
                          timeout=60).stdout
    found = re.search(r"\(PostgreSQL\)\s+(\d+)((?:\.\d+)*)", said)
    if found is None:
        raise BackupError(f"{path} --version answered {said.strip()!r}, which names no "
                          f"PostgreSQL version.")
    if int(found.group(1)) < at_least:
        raise BackupError(f"{path} is version {found.group(1)}{found.group(2)}, older than "
                          f"PostgreSQL {at_least}; install the client tools of version "
                          f"{at_least} or newer and put them first on PATH.")
    return path, found.group(1) + found.group(2)


def major(version: str) -> int:
    """15 of "15.2"; 0 of anything that does not start with a number."""
    found = re.match(r"\d+", version)
    return int(found.group()) if found else 0


def run_tool(path: str, settings_dict: dict, parameters: list[str], *,
             last: tuple[str, ...] = (), rows: dict[str, int], progress) -> None:
    """Run a pg tool against the site's database (its name ends the options, `last` comes
    after it). Progress is counted in rows: a table's, as the tool's verbose output moves
    past it."""
    args, env = DatabaseClient.settings_to_cmd_args_env(settings_dict,
                                                        ["--verbose", *parameters])
    env = {**os.environ, **(env or {}), "LC_ALL": "C"}
    progress.file_started("database", sum(rows.values()), unit="rows")
    tail, current = deque(maxlen=8), None
    with subprocess.Popen([path, *args[1:], *last], stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                          text=True, errors="replace") as process:
        for line in process.stderr:
            if found := TABLE_STARTED.search(line):
                progress.advance(rows.get(current, 0))
                current = found.group(1)
            elif "error" in line.lower() or "warning" in line.lower():
                tail.append(line.strip())
    if process.returncode != 0:
        name = os.path.basename(path)
        detail = " / ".join(tail) or f"exit status {process.returncode}"
        raise BackupError(f"{name} failed: {detail}")
    progress.file_done("database", sum(rows.values()))
