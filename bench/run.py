"""Benchmark Townsquare against a running production server and write docs/performance.md.

    python -m bench.run --posts 40000 [--posts 1000000] [--duration 10]

For each size: generate the dataset (cached in bench/data/), import it into a fresh data
folder (timed), start `townsquare serve` with DEBUG off, and drive it with wrk from a second
process: guest and signed-in pages, reply and reaction throughput (while guests read), the
ceiling of the same stack (a fixed body of the topic page's size), memory per worker.
"""

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench.generate import generate

ROOT = Path(__file__).resolve().parent.parent
PORT = 8100
BASE = f"http://127.0.0.1:{PORT}"
TOWNSQUARE = str(Path(sys.executable).with_name("townsquare"))


def sh(*args, env=None, **kw):
    return subprocess.run(args, check=True, env=env, capture_output=True, text=True, **kw)


def dataset(posts: int) -> Path:
    folder = ROOT / "bench" / "data" / f"{posts}"
    if not (folder / "meta.json").exists():
        print(f"generating {posts:,} posts", flush=True)
        generate(folder, posts, hot=min(10_000, posts // 4))
    return folder


def prepare(posts: int) -> tuple[dict, float, dict]:
    data = ROOT / "bench" / "var" / f"{posts}"
    shutil.rmtree(data, ignore_errors=True)
    env = {**os.environ, "TOWNSQUARE_DATA_DIR": str(data), "DEBUG": "false",
           "ROOT_URLCONF": "bench.urls", "PYTHONPATH": str(ROOT),
           "RATE_LIMIT_POST": "100000000,60", "RATE_LIMIT_REACT": "100000000,60",
           "RATE_LIMIT_SIGNIN": "1000,60", "GUEST_PAGE_CACHE_SECONDS": "60"}
    sh(TOWNSQUARE, "migrate", "--no-input", env=env)
    folder = dataset(posts)
    started = time.perf_counter()
    sh(TOWNSQUARE, "import", str(folder), env=env)
    seconds = time.perf_counter() - started
    meta = json.loads((folder / "meta.json").read_text())
    return env, seconds, meta


def start_server(env: dict) -> subprocess.Popen:
    server = subprocess.Popen([TOWNSQUARE, "serve", "--port", str(PORT), "--workers", "2",
                               "--no-worker"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(BASE + "/_bench/ceiling/?size=10", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=60)


def sign_in(username: str) -> dict[str, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(BASE + "/signin/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username,
                                   "password": "bench-password"}).encode()
    opener.open(urllib.request.Request(BASE + "/signin/", data=form,
                                       headers={"Referer": BASE + "/signin/"}))
    cookies = {c.name: c.value for c in jar}
    assert "sessionid" in cookies, "sign-in failed"
    return cookies


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def page_status(url: str, cookies: dict[str, str]) -> int:
    """The status a signed-in member gets for `url`, redirects not followed."""
    opener = urllib.request.build_opener(_NoRedirect)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    try:
        with opener.open(urllib.request.Request(url, headers={"Cookie": cookie})) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wrk(url: str, seconds: int, *, cookies=None, script=None, connections=16) -> dict:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if cookies:
        args += ["-H", "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items())]
    if script:
        args += ["-s", script]
    out = sh(*args, url).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", out).group(1)) for p in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": lat["50"], "p99": lat["99"],
            "errors": int(errors.group(1)) if errors else 0}


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def worker_memory(server: subprocess.Popen) -> list[float]:
    out = sh("ps", "-o", "pid=,ppid=,rss=", "-e").stdout.split("\n")
    rows = [tuple(map(int, line.split())) for line in out if line.strip()]
    children = {pid for pid, ppid, _ in rows if ppid == server.pid}
    grandchildren = [rss for pid, ppid, rss in rows if ppid in children]
    workers = grandchildren or [rss for pid, ppid, rss in rows if ppid == server.pid]
    return [rss / 1024 for rss in workers]


WRITE_SCRIPT = """
local n = 0
local csrf = "%(csrf)s"
request = function()
  n = n + 1
  local body
  if "%(kind)s" == "reply" then
    body = "body=Benchmark+reply+number+" .. n .. "+with+some+words&submit_token=" ..
           "%(prefix)s-" .. n .. "-" .. math.random(1000000000)
  else
    local kinds = {"like", "haha", "love", "thanks"}
    body = "kind=" .. kinds[(n %% 4) + 1]
  end
  local path = "%(path)s"
  if "%(kind)s" == "react" then path = string.format(path, %(first)d + (n %% %(span)d)) end
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-CSRFToken"] = csrf, ["Referer"] = "%(base)s/", ["Cookie"] = "%(cookie)s"}, body)
end
"""


def write_script(kind: str, path: str, cookies: dict, first: int = 0, span: int = 1) -> str:
    handle = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    handle.write(WRITE_SCRIPT % {"kind": kind, "path": path, "csrf": cookies["csrftoken"],
                                 "first": first, "span": span, "base": BASE, "prefix": kind,
                                 "cookie": cookie})
    handle.close()
    return handle.name


def measure(posts: int, seconds: int) -> dict:
    env, import_seconds, meta = prepare(posts)
    server = start_server(env)
    try:
        hot = meta["hot_topic_id"]
        hot_url = urllib.request.urlopen(f"{BASE}/t/{hot}/x/").url
        html = urllib.request.urlopen(hot_url).read().decode()
        hot_pages = max(int(n) for n in re.findall(r"\?page=(\d+)", html))
        normal = urllib.request.urlopen(f"{BASE}/t/{hot + 1}/x/").url
        category = urllib.request.urlopen(f"{BASE}/c/1/x/").url
        # Topic pages by number: a member opening a topic's plain address is sent on to their
        # first unread post, so the plain address would measure that redirect.
        pages = {"home": BASE + "/", "category": category, "topic": f"{normal}?page=1",
                 "hot topic, first page": f"{hot_url}?page=1", "hot topic, last page":
                 f"{hot_url}?page={hot_pages}"}
        topic_size = len(urllib.request.urlopen(normal).read())
        for url in pages.values():  # warm caches and connections
            urllib.request.urlopen(url).read()
        results = {"ceiling": wrk(f"{BASE}/_bench/ceiling/?size={topic_size}", seconds)}
        member = sign_in("member2")
        for url in pages.values():  # wrk counts a redirect as a success: make sure of a page
            assert page_status(url, member) == 200, url
        for name, url in pages.items():
            results[f"{name} (guest)"] = wrk(url, seconds)
            results[f"{name} (member)"] = wrk(url, seconds, cookies=member)
        writer = sign_in("member3")
        reply = write_script("reply", f"/t/{hot + 1}/reply/", writer)
        results["reply (member)"] = wrk(BASE + f"/t/{hot + 1}/reply/", seconds, cookies=writer,
                                        script=reply, connections=4)
        react = write_script("react", "/p/%d/react/", writer, first=10, span=5000)
        results["reaction (member)"] = wrk(BASE + "/p/10/react/", seconds, cookies=writer,
                                           script=react, connections=4)
        results |= mixed(writer, hot, normal, reply, seconds)
        memory = worker_memory(server)
    finally:
        stop_server(server)
    return {"posts": posts, "import_seconds": import_seconds, "results": results,
            "memory_mb": memory, "topic_bytes": topic_size, "counts": meta["counts"]}


def mixed(writer, hot, normal, reply, seconds) -> dict:
    """Replies posted while guests read topic pages: do reads wait on writes?"""
    readers = subprocess.Popen(["wrk", "-t1", "-c8", f"-d{seconds}s", "--latency", normal],
                               stdout=subprocess.PIPE, text=True)
    writes = wrk(BASE + f"/t/{hot + 1}/reply/", seconds, cookies=writer, script=reply,
                 connections=2)
    out = readers.communicate()[0]
    reads = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
             "p50": _ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1)),
             "p99": _ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)), "errors": 0}
    return {"reply while guests read (member)": writes,
            "topic while replies are posted (guest)": reads}


def report(runs: list[dict], seconds: int) -> str:
    lines = ["# Townsquare performance", "",
             "Measured by `bench/run.py` on this 2-core machine: `townsquare serve` (granian, 2 "
             "worker processes, DEBUG off, SQLite) driven by `wrk -t2 -c16` over loopback for "
             f"{seconds} s per row. The ceiling is the same server stack (Django, every "
             "middleware) returning a fixed body as large as the topic page.", "",
             "Reproduce: `.venv/bin/python -m bench.run " +
             " ".join(f"--posts {r['posts']}" for r in runs) + "`", ""]
    for run in runs:
        ceiling = run["results"]["ceiling"]["rps"]
        lines += [f"## {run['posts']:,} posts", "",
                  f"Dataset: {json.dumps(run['counts'])}. "
                  f"Import: **{run['import_seconds']:.1f} s**. "
                  f"Topic page: {run['topic_bytes']:,} bytes. Memory per worker: "
                  + ", ".join(f"{m:.0f} MB" for m in run["memory_mb"]) + ".", "",
                  "| what | requests/s | share of ceiling | p50 ms | p99 ms | non-2xx/3xx |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for name, r in run["results"].items():
            share = f"{100 * r['rps'] / ceiling:.0f}%"
            lines.append(f"| {name} | {r['rps']:,.0f} | {share} | {r['p50']:.1f} | "
                         f"{r['p99']:.1f} | {r['errors']} |")
        lines.append("")
    lines += targets(runs)
    return "\n".join(lines)


def targets(runs: list[dict]) -> list[str]:
    """Each target of the performance issue, checked against this run's numbers."""
    lines = ["## Targets", "", "| target | measured | met |", "| --- | --- | :---: |"]

    def row(name: str, measured: str, met: bool) -> None:
        lines.append(f"| {name} | {measured} | {'yes' if met else '**no**'} |")

    for run in runs:
        r, size = run["results"], f"{run['posts']:,} posts"
        ceiling = r["ceiling"]["rps"]
        for who, share in (("guest", 0.50), ("member", 0.25)):
            got = r[f"topic ({who})"]["rps"] / ceiling
            row(f"{size}: topic page as a {who} ≥ {share:.0%} of the ceiling", f"{got:.0%}",
                got >= share)
        for who in ("guest", "member"):
            first = r[f"hot topic, first page ({who})"]["rps"]
            last = r[f"hot topic, last page ({who})"]["rps"]
            row(f"{size}: last page of the hot topic within 5% of its first ({who})",
                f"{last / first - 1:+.1%}", last >= 0.95 * first)
        row(f"{size}: memory per worker < 150 MB",
            ", ".join(f"{m:.0f} MB" for m in run["memory_mb"]),
            all(m < 150 for m in run["memory_mb"]))
        per_post = run["topic_bytes"] / 20
        row(f"{size}: about 2 KB of HTML per post", f"{per_post:,.0f} bytes", per_post <= 2100)
    big = [run for run in runs if run["posts"] >= 1_000_000]
    small = [run for run in runs if run["posts"] <= 40_000]
    if big:
        seconds = big[0]["import_seconds"]
        row("import of 1,000,000 posts < 3 min", f"{seconds:.0f} s", seconds < 180)
    if big and small:
        for page in ("home", "category", "topic", "hot topic, last page"):
            for who in ("guest", "member"):
                name = f"{page} ({who})"
                ratio = big[0]["results"][name]["rps"] / small[0]["results"][name]["rps"]
                row(f"1,000,000 vs 40,000 posts within 10%: {name}", f"{ratio - 1:+.0%}",
                    ratio >= 0.9)
    lines += ["", "Reads while replies are written: see the last two rows of each table "
              "(guests load a topic page while a member posts replies to another topic)."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, action="append")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    runs = [measure(posts, args.duration) for posts in args.posts or [40_000]]
    text = report(runs, args.duration)
    (ROOT / "bench" / "var").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "var" / "last-run.json").write_text(json.dumps(runs, indent=2))
    write_section(args.out, text)
    print(text)


START, END = "<!-- pages: written by bench/run.py -->", "<!-- end of pages -->"


def write_section(out: Path, text: str, start: str = START, end: str = END) -> None:
    """Replace one harness's section of the file (between its `start` and `end` markers),
    keeping what other harnesses wrote; a new section goes at the end."""
    section = f"{start}\n{text}\n{end}\n"
    old = out.read_text() if out.exists() else ""
    if start in old and end in old:
        before, rest = old.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        out.write_text(before + section + ("\n" + after if after else ""))
    else:
        out.write_text((old.rstrip("\n") + "\n\n" if old else "") + section)


if __name__ == "__main__":
    main()
