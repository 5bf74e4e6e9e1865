"""Fault injection: what a running site loses, doubles or fails while its parts break.

    python -m bench.reliability [--database sqlite|postgres] [--scenario a,b,c,d]
                                [--writers 8] [--seconds 30]

Starts its own services on loopback (a `redis-server` on a free port, and with
`--database postgres` a PostgreSQL cluster initialised in a temporary folder), imports a small
benchmark community into a fresh site per scenario and runs `townsquare serve` on it. During
each phase N members post replies through the real reply form (each body carries a unique
marker; a failed post is sent again with the same submit token, as a browser's retry would
be), a guest and a member read the topic page, and a guest holds its live event stream.
Then the fault:

  a. kill -9 of a page worker, then of the stream process, in turn (serve must bring them back)
  b. Redis stopped for a while, frozen (SIGSTOP) for 10 s, restarted
  c. PostgreSQL restarted, then crashed (immediate stop) and started (--database postgres)
  d. `townsquare backup` under writers, restored into a fresh site, counts compared

Each phase is a row: replies acknowledged (2xx/3xx) and stored (markers found in the database
afterwards), acknowledged ones missing, duplicates, errors by status, the longest page time
(overall and while the fault lasted) and how long after the service returned the live stream
delivered again. The table goes to the "Reliability measured" section of docs/operations.md.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.run import ROOT, write_section
from bench.services import PostgresCluster, RedisServer
from bench.traffic import Load, Row, Site

START, END = "<!-- reliability: written by bench/reliability.py -->", "<!-- end of reliability -->"
FREEZE_SECONDS = 10


# -- Scenarios --------------------------------------------------------------------------------

@dataclass
class Run:
    database: str
    writers: int
    seconds: float
    posts: int
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="townsquare-rel-")))
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    redis: RedisServer | None = None
    postgres: PostgresCluster | None = None


def new_site(run: Run, name: str, community: bool = True) -> Site:
    """A fresh site on the run's services: a database of its own, the run's Redis and key."""
    settings = {"REDIS_URL": run.redis.url, "SECRET_KEY": run.secret_key}
    if run.postgres:
        settings["DATABASE_URL"] = run.postgres.create_database(name)
    return Site(run.folder / name, settings, run.posts if community else None)


def phase(run: Run, site: Site, name: str, fault) -> Row:
    """Traffic for `run.seconds`, `fault(load)` called a third of the way in; it returns
    ((start, end) of the fault, [moments a service came back], a note)."""
    if not site.serving():
        site.stop()
        site.serve()
    with Load(site, run.writers) as load:
        began = time.monotonic()
        time.sleep(run.seconds / 3)
        window, restored, note = fault(load)
        # The rest of the phase, and a third of it at least to see the recovery.
        time.sleep(max(run.seconds / 3, began + run.seconds - time.monotonic()))
    if not site.serving():
        note += f"; serve exited (status {site.server.returncode})"
    stored = site.count(load.run_id)["markers"]
    row = load.row(name, stored, window, restored)
    row.note = note.strip("; ")
    return row


def kills(run: Run, site: Site) -> list[Row]:
    """a. kill -9 of a page worker, then of the stream process, in turn."""
    def fault(load):
        site = load.site
        began, restored, killed = time.monotonic(), [], Counter()
        for turn in range(6):
            if not site.serving():
                break
            kind = "wsgi" if turn % 2 == 0 else "asgi"
            masters, workers = site.processes(kind)
            # A page worker is one of granian's workers (granian starts another); the stream
            # process is the server that serve started.
            victims = workers if kind == "wsgi" else masters
            if not victims:
                break
            os.kill(victims[0], signal.SIGKILL)
            killed["page worker" if kind == "wsgi" else "stream process"] += 1
            if kind == "asgi":
                restored.append(time.monotonic())
            time.sleep(run.seconds / 9)
        return ((began, time.monotonic()), restored,
                "killed: " + ", ".join(f"{what} ×{n}" for what, n in killed.items()))

    return [phase(run, site, "a. kill -9 page worker / stream process, 3 times each", fault)]


def outage(stop, start, seconds: float = 0):
    """A fault: `stop()` a service, wait `seconds`, `start()` it again."""
    def fault(load):
        began = time.monotonic()
        stop()
        time.sleep(seconds)
        start()
        back = time.monotonic()
        return (began, back), [back], f"down {back - began:.1f} s"
    return fault


def redis_faults(run: Run, site: Site) -> list[Row]:
    """b. Redis stopped for a while, frozen, restarted."""
    redis = run.redis
    return [phase(run, site, f"b. Redis stopped for {run.seconds / 3:.0f} s",
                  outage(redis.stop, redis.start, run.seconds / 3)),
            phase(run, site, f"b. Redis frozen (SIGSTOP) for {FREEZE_SECONDS} s",
                  outage(redis.freeze, redis.thaw, FREEZE_SECONDS)),
            phase(run, site, "b. Redis restarted", outage(redis.stop, redis.start))]


def postgres_faults(run: Run, site: Site) -> list[Row]:
    """c. PostgreSQL restarted (its sessions ended), then crashed and started again."""
    postgres = run.postgres
    if postgres is None:
        return [Row("c. PostgreSQL restart", note="run with --database postgres", skipped=True)]
    return [phase(run, site, "c. PostgreSQL restarted (fast stop)",
                  outage(lambda: postgres.stop("fast"), postgres.start)),
            phase(run, site, "c. PostgreSQL crashed (immediate stop) and started",
                  outage(lambda: postgres.stop("immediate"), postgres.start))]


def backup_restore(run: Run, site: Site) -> list[Row]:
    """d. `townsquare backup` under writers, restored into a fresh site, counts compared."""
    if site.manage("help", "backup", check=False).returncode != 0:
        return [Row("d. backup under writers, then restore", skipped=True,
                    note="this version has no `townsquare backup`")]
    target = run.folder / "backups"
    target.mkdir(exist_ok=True)
    taken = {}

    def fault(load):
        taken.update(before=load.site.count(), acknowledged=set(load.acknowledged),
                     run_id=load.run_id)
        began = time.monotonic()
        done = load.site.manage("backup", str(target), check=False)
        taken.update(seconds=time.monotonic() - began, done=done, after=load.site.count())
        return (began, time.monotonic()), [], f"backup took {taken['seconds']:.1f} s"

    row = phase(run, site, "d. backup under writers, then restore", fault)
    if taken["done"].returncode != 0:
        row.note += "; backup failed: " + _last_line(taken["done"])
        return [row]
    folder = max(target.glob("townsquare-*"), key=lambda path: path.stat().st_mtime)
    fresh = new_site(run, f"{site.name}restored", community=False)
    done = fresh.manage("restore", str(folder), check=False)
    if done.returncode != 0:
        row.note += "; restore failed: " + _last_line(done)
        return [row]
    restored, before, after = fresh.count(taken["run_id"]), taken["before"], taken["after"]
    missing = taken["acknowledged"] - set(restored["markers"])
    row.note += (f"; replies acknowledged before the backup began but missing from the "
                 f"restored site: {len(missing)} of {len(taken['acknowledged'])}")
    row.note += "; restored " + ", ".join(
        f"{restored[k]:,} {k} (source {before[k]:,} at the start, {after[k]:,} at the end)"
        for k in ("posts", "topics", "members"))
    manifest = json.loads((folder / "manifest.json").read_text())
    if isinstance(manifest, dict) and "counts" in manifest:
        row.note += f"; the manifest counts {json.dumps(manifest['counts'])}"
    return [row]


def _last_line(done: subprocess.CompletedProcess) -> str:
    return ((done.stderr or done.stdout).strip().splitlines() or ["(no output)"])[-1]


SCENARIOS = {"a": kills, "b": redis_faults, "c": postgres_faults, "d": backup_restore}


# -- Report -----------------------------------------------------------------------------------

COLUMNS = ("scenario", "acknowledged", "stored", "acknowledged but missing", "duplicates",
           "errors", "longest page", "longest page during the fault", "live events resumed",
           "notes")


def cells(row: Row) -> list[str]:
    def seconds(value):
        return "" if value is None else "never" if value == float("inf") else f"{value:.1f} s"

    if row.skipped:
        return [row.scenario, *[""] * (len(COLUMNS) - 2), f"skipped: {row.note}"]
    errors = ", ".join(f"{k}×{n}" for k, n in sorted(row.errors.items())) or "none"
    return [row.scenario, f"{row.acknowledged:,}", f"{row.stored:,}", f"{row.lost:,}",
            f"{row.duplicates:,}", errors, seconds(row.longest_page),
            seconds(row.longest_in_fault), seconds(row.live_resumed), row.note]


def report(run: Run, rows: list[Row]) -> str:
    label = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[run.database]
    lines = [f"### {label}", "",
             f"`python -m bench.reliability --database {run.database} --writers "
             f"{run.writers} --seconds {run.seconds:g} --scenario "
             f"{','.join(sorted({r.scenario[0] for r in rows}))}`", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in rows]
    return "\n".join(lines)


INTRO = """## Reliability measured

Measured by `bench/reliability.py` on a 2-core machine, all traffic on loopback. Each scenario
gets a fresh site with a small benchmark community (`townsquare serve`: 2 page workers and the
stream process; a Redis of its own; PostgreSQL in a cluster of its own where named). In every
phase writers post replies through the reply form, each body with a unique marker, and send a
failed post again (up to 5 times) with the same submit token, as a browser's retry would; a
guest and a member read the topic page; a guest holds the topic's live event stream. The fault
comes a third of the way into the phase.

*Acknowledged* replies got the form's success answer (303 to the new post); *stored* ones are
the markers found in the database afterwards; *acknowledged but missing* must be 0. Errors
count every failed request, writes and page reads, by status (`refused`, `reset`, `timeout`:
no HTTP answer). *Live events resumed* is the longest wait, from the moment the service came
back (or the stream process was killed), until the stream delivered a reply sent after it.
In scenario a, the page worker killed is one of granian's worker processes (granian starts
another); the stream process is the server process `serve` started for the stream."""


def write_results(out: Path, run: Run, text: str) -> None:
    """This database's table in the section, the other database's kept as it was."""
    old = out.read_text() if out.exists() else "# Operating Townsquare\n"
    blocks = {}
    for database in ("sqlite", "postgres"):
        start, end = f"<!-- {database} -->", f"<!-- end of {database} -->"
        if database == run.database:
            blocks[database] = f"{start}\n{text}\n{end}"
        elif start in old and end in old:
            blocks[database] = start + old.split(start, 1)[1].split(end, 1)[0] + end
    if not out.exists():
        out.write_text(old)
    write_section(out, "\n\n".join([INTRO, *blocks.values()]), START, END)


def show(rows: list[Row]) -> None:
    table = Table(*COLUMNS, title="Reliability", show_lines=True)
    for row in rows:
        table.add_row(*cells(row))
    Console(width=220).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--scenario", default="a,b,c,d",
                        help="comma-separated letters among a, b, c, d")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30, help="length of each phase")
    parser.add_argument("--posts", type=int, default=2000, help="size of the community")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "operations.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    letters = [s.strip() for s in args.scenario.split(",") if s.strip()]
    if unknown := [s for s in letters if s not in SCENARIOS]:
        parser.error(f"unknown scenarios: {', '.join(unknown)}")
    if args.writers < 1 or args.writers > 40:
        parser.error("--writers must be between 1 and 40 (the community's members)")
    run = Run(args.database, args.writers, max(args.seconds, 9), args.posts)
    rows: list[Row] = []
    try:
        run.redis = RedisServer()
        if args.database == "postgres":
            run.postgres = PostgresCluster()
        for letter in letters:
            site = new_site(run, f"site{letter}")
            try:
                rows += SCENARIOS[letter](run, site)
            finally:
                site.stop()
            show(rows)
    finally:
        for service in (run.redis, run.postgres):
            if service:
                service.close()
        shutil.rmtree(run.folder, ignore_errors=True)
    text = report(run, rows)
    if not args.no_write:
        write_results(args.out, run, text)
    print(text)


if __name__ == "__main__":
    main()
