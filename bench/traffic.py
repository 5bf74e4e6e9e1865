"""A site under load, for the fault-injection harness (bench/reliability.py).

`Site`: a fresh data folder (and database) with the benchmark community, served by
`townsquare serve`. `Load`: members posting replies through the reply form, readers loading the
topic page and a guest holding its live event stream, with what each of them saw.
"""

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench import stream
from bench.run import ROOT, TOWNSQUARE, dataset, sign_in
from bench.services import free_port

COUNT = """
import json, re
from townsquare.accounts.models import User
from townsquare.forum.models import Post, Topic
run = {run!r}
bodies = Post.objects.filter(body__contains=run).values_list("body", flat=True) if run else []
marker = re.compile(re.escape(run) + r"-\\d+-\\d+")
print(json.dumps({{"markers": [m for body in bodies for m in marker.findall(body)],
                  "posts": Post.objects.count(), "topics": Topic.objects.count(),
                  "members": User.objects.count()}}))
"""


@dataclass
class Row:
    """One line of the results table: what the load saw during one phase."""

    scenario: str
    acknowledged: int = 0
    stored: int = 0
    lost: int = 0
    duplicates: int = 0
    errors: Counter = field(default_factory=Counter)
    longest_page: float = 0.0
    longest_in_fault: float | None = None
    live_resumed: float | None = None
    note: str = ""
    skipped: bool = False


class Site:
    """A data folder of its own in `folder`, on the database and Redis that `settings` name;
    with `posts`, migrated and given a benchmark community of that size."""

    def __init__(self, folder: Path, settings: dict[str, str], posts: int | None = None):
        self.name = folder.name
        self.env = {key: value for key, value in os.environ.items()
                    if key not in ("DATABASE_URL", "REDIS_URL", "LIVE_STREAM_URL",
                                   "MEDIA_STORAGE_URL", "SECRET_KEY")}
        self.env |= {"TOWNSQUARE_DATA_DIR": str(folder), "PYTHONPATH": str(ROOT),
                     "DEBUG": "false", "LOG_LEVEL": "ERROR", "CACHE_KEY_PREFIX": self.name,
                     "LIVE_REDIS_PREFIX": f"{self.name}:live",
                     "RATE_LIMIT_POST": "100000000,60"} | settings
        self.server: subprocess.Popen | None = None
        if posts:
            self.manage("migrate", "--no-input")
            self.manage("import", str(dataset(posts)))
            meta = json.loads((dataset(posts) / "meta.json").read_text())
            self.topic = meta["hot_topic_id"] + 1  # an ordinary topic after the hot one

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([TOWNSQUARE, *args], env=self.env, cwd=ROOT, capture_output=True,
                              text=True, timeout=900)
        if check and done.returncode != 0:
            raise SystemExit(f"townsquare {args[0]} failed:\n{done.stdout}{done.stderr}")
        return done

    def serve(self) -> None:
        self.port = free_port(pair=True)
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = stream.start(self.env, self.port)
        canonical = urllib.request.urlopen(f"{self.base}/t/{self.topic}/x/", timeout=30).url
        self.topic_page = urlsplit(canonical).path + "?page=1"

    def serving(self) -> bool:
        return self.server is not None and self.server.poll() is None

    def stop(self) -> None:
        """Stop serve and everything it started, orphans of a killed process included."""
        if self.server is None:
            return
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.server.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while _group_alive(self.server.pid) and time.monotonic() < deadline:
                self.server.poll()
                time.sleep(0.2)
        self.server.poll()
        self.server = None

    def processes(self, kind: str) -> tuple[list[int], list[int]]:
        """(the granian servers of `kind`, "wsgi" or "asgi", that serve started; their workers)."""
        rows = [line.split(None, 2) for line in subprocess.run(
            ["ps", "-e", "-o", "pid=,ppid=,args="], capture_output=True, text=True
        ).stdout.splitlines() if line.strip()]
        masters = [int(pid) for pid, ppid, args in rows
                   if int(ppid) == self.server.pid and f"--interface {kind}" in args]
        workers = [int(pid) for pid, ppid, _ in rows if int(ppid) in masters]
        return masters, workers

    def count(self, run_id: str = "") -> dict:
        out = self.manage("shell", "-v", "0", "-c", COUNT.format(run=run_id)).stdout
        return json.loads(out.strip().splitlines()[-1])


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


# -- Traffic ----------------------------------------------------------------------------------

class Load:
    """Writers posting replies, two readers and a live stream listener, on one topic."""

    def __init__(self, site: Site, writers: int):
        self.site, self.run_id = site, f"rel{uuid.uuid4().hex[:8]}"
        self.sent: dict[str, float] = {}  # marker: when it was first sent
        self.acknowledged: set[str] = set()
        self.errors: Counter = Counter()
        self.pages: list[tuple[float, float]] = []  # (started, seconds)
        self.arrivals: list[tuple[float, str]] = []  # (when, marker) of each live event
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.members = [sign_in(f"member{2 + i}", site.base) for i in range(writers + 1)]
        self.threads = [threading.Thread(target=self.writer, args=(i,), daemon=True)
                        for i in range(writers)]
        self.threads += [threading.Thread(target=self.reader, args=(cookies,), daemon=True)
                         for cookies in (None, self.members[-1])]
        self.threads.append(threading.Thread(target=self.listener, daemon=True))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)

    def request(self, method: str, path: str, cookies: dict | None, body: str = "") -> int | str:
        """One request on a new connection: the status, or what went wrong instead."""
        headers = {"Referer": f"{self.site.base}/"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=30)
        try:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status
        except TimeoutError:
            return "timeout"
        except ConnectionRefusedError:
            return "refused"
        except (ConnectionError, http.client.HTTPException, OSError):
            return "reset"
        finally:
            connection.close()

    def note(self, outcome: int | str, success=range(200, 400)) -> bool:
        """Count an outcome unless it is one of `success`; whether it was."""
        ok = outcome in success
        if not ok:
            with self.lock:
                self.errors[str(outcome)] += 1
        return ok

    def writer(self, number: int) -> None:
        cookies = self.members[number]
        path = f"/t/{self.site.topic}/reply/"
        n = 0
        while not self.stopping.is_set():
            n += 1
            marker = f"{self.run_id}-{number}-{n}"
            form = (f"body=Reliability+reply+{marker}+with+a+few+words&submit_token="
                    f"{secrets.token_hex(16)}&csrfmiddlewaretoken={cookies['csrftoken']}")
            self.sent[marker] = time.monotonic()
            for attempt in range(5):  # the browser's retry: the same form, the same token
                # Accepted is 303 to the new post (a 302 would be to the sign-in page).
                if self.note(self.request("POST", path, cookies, form), success=(303,)):
                    self.acknowledged.add(marker)
                    break
                time.sleep(0.2 * (attempt + 1))

    def reader(self, cookies: dict | None) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            outcome = self.request("GET", self.site.topic_page, cookies)
            self.pages.append((started, time.monotonic() - started))
            if not self.note(outcome, success=(200,)):
                time.sleep(0.2)  # a reader waits a moment before reloading

    def listener(self) -> None:
        """A guest's event stream: notes when each reply's event arrives, reconnecting with
        Last-Event-ID like a browser, or without one after being told to reload (as the page
        does)."""
        pattern = re.compile(re.escape(self.run_id).encode() + rb"-\d+-\d+")
        last = ""
        while not self.stopping.is_set():
            try:
                last = self._listen(pattern, last)
            except OSError:
                pass
            time.sleep(0.5)

    def _listen(self, pattern: re.Pattern, last: str) -> str:
        with socket.create_connection(("127.0.0.1", self.site.port + 1), timeout=1) as sock:
            sock.sendall((f"GET /live/t/{self.site.topic}/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Accept: text/event-stream\r\nLast-Event-ID: {last}\r\n\r\n").encode())
            buffer = b""
            while not self.stopping.is_set():
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    return last
                buffer += data
                *events, buffer = buffer.split(b"\n\n")
                for event in events:
                    for marker in pattern.findall(event):
                        self.arrivals.append((time.monotonic(), marker.decode()))
                    if found := re.search(rb"^id: (\S+)", event, re.M):
                        last = found.group(1).decode()
                    if re.search(rb"^event: refresh$", event, re.M):
                        return ""  # told to reload: the reloaded page's stream starts afresh
        return last

    def row(self, scenario: str, stored: list[str], fault: tuple[float, float] | None,
            restored: list[float]) -> Row:
        counts = Counter(stored)
        pages = list(self.pages)
        during = [s for started, s in pages if fault and fault[0] <= started + s
                  and started <= fault[1]]
        return Row(scenario, acknowledged=len(self.acknowledged), stored=len(counts),
                   lost=len(self.acknowledged - set(counts)),
                   duplicates=sum(n - 1 for n in counts.values()), errors=self.errors,
                   longest_page=max((s for _, s in pages), default=0.0),
                   longest_in_fault=max(during, default=0.0) if fault else None,
                   live_resumed=self.live_resumed(restored))

    def live_resumed(self, restored: list[float]) -> float | None:
        """The longest wait, from a moment a service came back, until the stream delivered a
        reply sent after that moment."""
        waits = []
        for moment in restored:
            later = [t for t, marker in self.arrivals if self.sent[marker] >= moment]
            waits.append(min(later) - moment if later else float("inf"))
        return max(waits, default=None)
