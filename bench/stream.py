"""Benchmark the live event stream: many readers on one topic, one reply, how fast it arrives.

    python -m bench.stream [--readers 2000] [--posts 40000]

Starts `townsquare serve` with production settings on a benchmark dataset (imported by
bench/run.py's `prepare`), opens N concurrent event-stream connections to one topic from this
process (asyncio, raw sockets), posts one reply through the page workers, and records when
each reader received it. Then the same across two stream processes sharing Redis (half the
readers on each, the reply posted through the first). Writes its section of
docs/performance.md.
"""

import argparse
import asyncio
import os
import re
import resource
import signal
import statistics
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.run import ROOT, TOWNSQUARE, sign_in, worker_memory

START, END = "<!-- stream: written by bench/stream.py -->", "<!-- end of stream -->"


def start(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen([TOWNSQUARE, "serve", "--port", str(port), "--workers", "2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=60)


def stream_workers(server: subprocess.Popen) -> list[int]:
    """pids of the ASGI stream worker processes under a `serve`."""
    out = subprocess.run(["ps", "-o", "pid=,ppid=,args=", "-e"], capture_output=True,
                         text=True).stdout
    rows = [line.split(None, 2) for line in out.splitlines() if line.strip()]
    masters = {int(pid) for pid, ppid, args in rows
               if int(ppid) == server.pid and "asgi" in args}
    return [int(pid) for pid, ppid, _ in rows if int(ppid) in masters]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def reader(port: int, topic: int, ready: asyncio.Event, arrived: list, opened: list,
                 marker: str) -> None:
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(f"GET /live/t/{topic}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode())
    await w.drain()
    await r.readuntil(b"\r\n\r\n")
    opened.append(1)
    await ready.wait()
    try:
        while True:
            line = await r.readline()
            if not line:
                return
            if line.startswith(b"data:") and marker.encode() in line:
                arrived.append(time.perf_counter())
                return
    finally:
        w.close()


def post_reply(port: int, topic: int, cookies: dict, text: str) -> float:
    page = urllib.request.Request(f"http://127.0.0.1:{port}/t/{topic}/x/",
                                  headers={"Cookie": _cookie(cookies)})
    html = urllib.request.urlopen(page).read().decode()
    token = re.search(r'name="submit_token" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"body": text, "submit_token": token,
                                   "csrfmiddlewaretoken": cookies["csrftoken"]}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/t/{topic}/reply/", data=body,
        headers={"Cookie": _cookie(cookies), "Referer": f"http://127.0.0.1:{port}/",
                 "X-CSRFToken": cookies["csrftoken"]})
    sent = time.perf_counter()
    urllib.request.urlopen(request).read()
    return sent


def _cookie(cookies: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


async def measure(ports: list[int], topic: int, readers: int, writer_port: int,
                  cookies: dict) -> dict:
    ready = asyncio.Event()
    arrived, opened = [], []
    marker = f"stream-bench-{time.time_ns()}"
    tasks = [asyncio.create_task(reader(ports[i % len(ports)], topic, ready, arrived, opened,
                                        marker)) for i in range(readers)]
    deadline = time.monotonic() + 60
    while len(opened) + sum(t.done() for t in tasks) < readers and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    failed = [t.exception() for t in tasks if t.done() and not t.cancelled() and t.exception()]
    if failed:
        print(f"{len(failed)} readers failed to connect, e.g. {failed[0]!r}", flush=True)
    print(f"{len(opened)} readers connected", flush=True)
    await asyncio.sleep(2.5)  # the presence updates of all those arrivals settle
    ready.set()
    sent = await asyncio.to_thread(post_reply, writer_port, topic, cookies,
                                   f"A reply for every reader {marker}")
    await asyncio.wait(tasks, timeout=30)
    for task in tasks:
        task.cancel()
    latencies = sorted((t - sent) * 1000 for t in arrived)
    return {"readers": readers, "opened": len(opened), "received": len(latencies),
            "p50": statistics.median(latencies) if latencies else float("nan"),
            "p99": latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan"),
            "max": latencies[-1] if latencies else float("nan")}


def run(readers: int, data: Path) -> list[dict]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # servers inherit it too
    env = {**os.environ, "TOWNSQUARE_DATA_DIR": str(data), "DEBUG": "false",
           "PYTHONPATH": str(ROOT), "RATE_LIMIT_POST": "100000000,60",
           "RATE_LIMIT_SIGNIN": "1000,60"}
    env.pop("REDIS_URL", None)
    topic = 2
    results = []
    server = start(env, 8100)
    try:
        import bench.run as harness

        harness.BASE = "http://127.0.0.1:8100"
        cookies = sign_in("member3")
        workers = stream_workers(server)
        before = sum(rss_mb(pid) for pid in workers)
        result = asyncio.run(measure([8101], topic, readers, 8100, cookies))
        after = sum(rss_mb(pid) for pid in workers)
        result |= {"setup": "one stream process, database event log",
                   "kb_per_connection": (after - before) * 1024 / max(result["opened"], 1),
                   "page_workers_mb": worker_memory(server)}
        results.append(result)
    finally:
        stop(server)
    redis_env = {**env, "REDIS_URL": os.environ.get("BENCH_REDIS_URL",
                                                    "redis://127.0.0.1:6379/14")}
    first, second = start(redis_env, 8100), start(redis_env, 8200)
    try:
        cookies = sign_in("member3")
        workers = stream_workers(first) + stream_workers(second)
        before = sum(rss_mb(pid) for pid in workers)
        result = asyncio.run(measure([8101, 8201], topic, readers, 8100, cookies))
        after = sum(rss_mb(pid) for pid in workers)
        result |= {"setup": "two stream processes, Redis event log",
                   "kb_per_connection": (after - before) * 1024 / max(result["opened"], 1)}
        results.append(result)
    finally:
        stop(first)
        stop(second)
    return results


def report(results: list[dict]) -> str:
    lines = ["## The live event stream", "",
             "Measured by `bench/stream.py` on this 2-core machine: `townsquare serve` (page "
             "workers plus the ASGI stream process) with DEBUG off on the 40,000-post dataset; "
             "N readers hold an event stream on one topic, a member posts one reply through "
             "the page workers, and each reader's arrival time is taken from the moment the "
             "reply was sent (it includes the reply's own request).", "",
             "Reproduce: `.venv/bin/python -m bench.stream --readers "
             f"{results[0]['readers']}`", "",
             "| setup | readers connected | received the reply | p50 ms | p99 ms | max ms | "
             "memory per connection |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r['setup']} | {r['opened']:,} | {r['received']:,} | "
                     f"{r['p50']:.0f} | {r['p99']:.0f} | {r['max']:.0f} | "
                     f"{r['kb_per_connection']:.1f} KB |")
    return "\n".join(lines)


def write_section(out: Path, text: str) -> None:
    section = f"{START}\n{text}\n{END}\n"
    old = out.read_text() if out.exists() else ""
    if START in old and END in old:
        before, rest = old.split(START, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        out.write_text(before + section + ("\n" + after if after else ""))
    else:
        out.write_text(old.rstrip("\n") + "\n\n" + section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=2000)
    parser.add_argument("--posts", type=int, default=40_000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    from bench.run import prepare

    env, _, _ = prepare(args.posts)
    results = run(args.readers, Path(env["TOWNSQUARE_DATA_DIR"]))
    text = report(results)
    write_section(args.out, text)
    print(text)


if __name__ == "__main__":
    main()
