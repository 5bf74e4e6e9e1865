"""Benchmark the live event stream: many readers on one topic, one reply, how fast it arrives.

    python -m bench.stream [--readers 2000 [--readers 5000]] [--posts 40000] [--rounds 3]

Imports the benchmark dataset into its own data folder, starts `townsquare serve` with DEBUG
off (page workers plus the ASGI stream process), opens N concurrent event streams on one
topic from this process (asyncio, raw sockets, as guests), posts one reply through the page
workers as a member, and records when each reader received it: first with the stream
process finding the event by its poll alone (LIVE_WAKE_ADDRESS empty), then as `serve` runs
it, woken by the page worker that wrote the event. Then the same across two `serve`s sharing
Redis (half the readers on each stream process, the reply posted through the first). With
--rounds, the setups are measured in turn that many times, each a row. Writes its own
section of docs/performance.md.
"""

import argparse
import asyncio
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import bench.run as harness
from bench.run import ROOT, TOWNSQUARE, dataset, sh, write_section

START, END = "<!-- stream: written by bench/stream.py -->", "<!-- end of stream -->"
FIRST, SECOND = 8310, 8320  # page ports; each stream process listens on the next one


def prepare(posts: int) -> tuple[dict, int]:
    """A fresh data folder with the dataset imported; (environment, the hot topic's id)."""
    data = ROOT / "bench" / "var" / f"stream-{posts}"
    shutil.rmtree(data, ignore_errors=True)
    env = {**os.environ, "TOWNSQUARE_DATA_DIR": str(data), "DEBUG": "false",
           "PYTHONPATH": str(ROOT), "RATE_LIMIT_POST": "100000000,60"}
    env.pop("REDIS_URL", None)
    env.pop("LIVE_WAKE_ADDRESS", None)  # serve's own, unless a setup says otherwise
    sh(TOWNSQUARE, "migrate", "--no-input", env=env)
    folder = dataset(posts)
    sh(TOWNSQUARE, "import", str(folder), env=env)
    return env, json.loads((folder / "meta.json").read_text())["hot_topic_id"]


def start(env: dict, port: int) -> subprocess.Popen:
    for taken in (port, port + 1):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", taken)) == 0:
                raise SystemExit(f"port {taken} is in use: stop what runs there first")
    server = subprocess.Popen([TOWNSQUARE, "serve", "--port", str(port), "--workers", "2",
                               "--no-worker"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            urllib.request.urlopen(f"http://127.0.0.1:{port + 1}/", timeout=1)
        except urllib.error.HTTPError:  # the stream process answers 404 for "/": it is up
            return server
        except OSError:
            time.sleep(0.2)
    stop(server)
    raise SystemExit("the server did not start")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=60)


def stream_workers(server: subprocess.Popen) -> list[int]:
    """pids of the ASGI stream worker processes under a `serve`."""
    out = sh("ps", "-o", "pid=,ppid=,args=", "-e").stdout
    rows = [line.split(None, 2) for line in out.splitlines() if line.strip()]
    masters = {int(pid) for pid, ppid, args in rows
               if int(ppid) == server.pid and "asgi" in args}
    return [int(pid) for pid, ppid, _ in rows if int(ppid) in masters]


def rss_mb(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


class Reader(asyncio.Protocol):
    """One event-stream reader; it notes the moment its bytes hold the marker (a protocol,
    not a stream reader task, so that the time is taken as the socket is read)."""

    def __init__(self, request: bytes, marker: bytes, opened: list, arrived: list):
        self.request, self.marker = request, marker
        self.opened, self.arrived = opened, arrived
        self.buffer = b""
        self.head = True
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes):
        self.buffer = self.buffer[-len(self.marker):] + data
        if self.head and b"\r\n\r\n" in self.buffer:
            self.head = False
            if not self.buffer.startswith(b"HTTP/1.1 200"):
                self.fail(RuntimeError(self.buffer.split(b"\r\n", 1)[0].decode()))
                return
            self.opened.append(time.perf_counter())
        if not self.head and self.marker in self.buffer:
            self.arrived.append(time.perf_counter())
            self.fail(None)

    def fail(self, error):
        if not self.done.done():
            self.done.set_exception(error) if error else self.done.set_result(None)
        self.transport.close()

    def connection_lost(self, exc):
        if not self.done.done():
            self.done.set_exception(exc or ConnectionError("closed by the server"))


async def reader(port: int, topic: int, opened: list, arrived: list, marker: bytes) -> None:
    request = (f"GET /live/t/{topic}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "Accept: text/event-stream\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(
        lambda: Reader(request, marker, opened, arrived), "127.0.0.1", port)
    await protocol.done


def post_reply(port: int, topic: int, cookies: dict, text: str) -> float:
    """Post a reply as the page's form would (not following its redirect); when it was sent."""
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    page = urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{port}/t/{topic}/x/", headers={"Cookie": cookie})).read().decode()
    token = re.search(r'name="submit_token" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"body": text, "submit_token": token,
                                   "csrfmiddlewaretoken": cookies["csrftoken"]})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = time.perf_counter()
    connection.request("POST", f"/t/{topic}/reply/", body=body, headers={
        "Cookie": cookie, "Referer": f"http://127.0.0.1:{port}/",
        "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 303:
        raise SystemExit(f"the reply was refused: {response.status}")
    return sent


async def measure(stream_ports: list[int], topic: int, readers: int, page_port: int,
                  cookies: dict, workers: list[int]) -> dict:
    opened, arrived = [], []
    marker = f"stream-bench-{uuid.uuid4().hex}"
    before = rss_mb(workers)
    began = time.perf_counter()
    tasks = [asyncio.create_task(reader(stream_ports[i % len(stream_ports)], topic, opened,
                                        arrived, marker.encode())) for i in range(readers)]
    deadline = time.monotonic() + 120
    while len(opened) + sum(t.done() for t in tasks) < readers and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    connect_s = time.perf_counter() - began
    failed = [t.exception() for t in tasks if t.done() and t.exception()]
    if failed:
        print(f"{len(failed)} readers failed, e.g. {failed[0]!r}", flush=True)
    await asyncio.sleep(3)  # the presence pushes of all those arrivals settle
    memory = rss_mb(workers) - before
    sent = await asyncio.to_thread(post_reply, page_port, topic, cookies,
                                   f"A reply for every reader {marker}")
    await asyncio.wait(tasks, timeout=30)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = sorted((t - sent) * 1000 for t in arrived)
    nan = float("nan")
    return {"readers": readers, "opened": len(opened), "received": len(latencies),
            "connect_s": connect_s,
            "first": latencies[0] if latencies else nan,
            "p50": statistics.median(latencies) if latencies else nan,
            "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else nan,
            "max": latencies[-1] if latencies else nan,
            "kb_per_connection": memory * 1024 / max(len(opened), 1),
            "stream_mb": rss_mb(workers)}


def run(readers: int, env: dict, topic: int, redis_url: str) -> list[dict]:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the servers inherit it too
    results = []
    for setup, extra in (("one stream process, database event log, found by its poll only",
                          {"LIVE_WAKE_ADDRESS": ""}),
                         ("one stream process, database event log, woken by the writer", {})):
        server = start(env | extra, FIRST)
        try:
            harness.BASE = f"http://127.0.0.1:{FIRST}"
            cookies = harness.sign_in("member3")
            result = asyncio.run(measure([FIRST + 1], topic, readers, FIRST, cookies,
                                         stream_workers(server)))
            results.append(result | {"setup": setup})
        finally:
            stop(server)
    prefix = f"bench-stream-{uuid.uuid4().hex[:8]}"
    redis_env = {**env, "REDIS_URL": redis_url, "CACHE_KEY_PREFIX": prefix,
                 "LIVE_REDIS_PREFIX": f"{prefix}:live"}
    first = start(redis_env, FIRST)
    try:
        second = start(redis_env, SECOND)
        try:
            cookies = harness.sign_in("member3")
            workers = stream_workers(first) + stream_workers(second)
            result = asyncio.run(measure([FIRST + 1, SECOND + 1], topic, readers, FIRST,
                                         cookies, workers))
            results.append(result | {"setup": "two stream processes, Redis event log "
                                              "(reply posted through the first)"})
        finally:
            stop(second)
    finally:
        stop(first)
        _forget(redis_url, prefix)
    return results


def _forget(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def report(results: list[dict], posts: int, rounds: int = 1) -> str:
    lines = [
        "## The live event stream", "",
        "Measured by `bench/stream.py` on this 2-core machine: `townsquare serve` (2 page "
        "workers plus the ASGI stream process) with DEBUG off, SQLite, on the "
        f"{posts:,}-post dataset. N guests hold an event stream on the hot topic (all from "
        "one asyncio client process on the same 2 cores); a member posts one reply through "
        "the page workers; each reader's delay runs from the moment the reply's POST was sent "
        "(so it includes that request, the commit and the log's poll or blocking read) to "
        "the moment that reader parsed the new post. Memory per connection is the stream "
        "processes' resident memory grown while the readers connected, divided by them. "
        "\"first\" is the reply's own request and commit plus the wait for the log: without "
        "Redis a poll every 0.2 s, or (as `townsquare serve` runs it) the page worker that "
        "wrote the event waking the stream process with a datagram (`LIVE_WAKE_ADDRESS`), "
        "the poll kept as the safety net; with Redis a blocking read. The spread from there "
        "to p99 is the fan-out: the stream process writing to every connection and the "
        "client reading them all, on the same two cores. The machine is shared: the rows "
        "of one setup differ by what else ran meanwhile.", "",
        "Reproduce: `.venv/bin/python -m bench.stream "
        + " ".join(f"--readers {n}" for n in dict.fromkeys(r["readers"] for r in results))
        + (f" --rounds {rounds}" if rounds > 1 else "") + "`", "",
        "| setup | readers connected | connecting took | received the reply | first ms | p50 ms "
        "| p99 ms | max ms | memory per connection | stream processes' memory |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(
            f"| {r['setup']} | {r['opened']:,} | {r['connect_s']:.1f} s | {r['received']:,} "
            f"| {r['first']:.0f} | {r['p50']:.0f} | {r['p99']:.0f} | {r['max']:.0f} "
            f"| {r['kb_per_connection']:.1f} KB | {r['stream_mb']:.0f} MB |")
    if rounds > 1:
        lines += ["", f"Over the {rounds} rounds, median (lowest to highest):", "",
                  "| setup | readers | first ms | p50 ms | p99 ms |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for (setup, readers), rows in _by_setup(results).items():
            lines.append(f"| {setup} | {readers:,} | " + " | ".join(
                _spread([r[k] for r in rows]) for k in ("first", "p50", "p99")) + " |")
    return "\n".join(lines)


def _by_setup(results: list[dict]) -> dict[tuple[str, int], list[dict]]:
    grouped: dict[tuple[str, int], list[dict]] = {}
    for r in results:
        grouped.setdefault((r["setup"], r["readers"]), []).append(r)
    return grouped


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ({min(values):.0f} to {max(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, action="append",
                        help="concurrent readers (repeat for several runs; default 2000)")
    parser.add_argument("--posts", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every setup this many times, in turn (a row each)")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL")
                        or "redis://127.0.0.1:6379/0")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    env, topic = prepare(args.posts)
    results = [r for n in args.readers or [2000] for _ in range(args.rounds)
               for r in run(n, env, topic, args.redis)]
    text = report(results, args.posts, args.rounds)
    if not args.no_write:
        write_section(args.out, text, START, END)
    print(text)


if __name__ == "__main__":
    main()
