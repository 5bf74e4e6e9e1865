"""Benchmark Townsquare against a running production server and write docs/performance.md.

    python -m bench.run --posts 40000 [--posts 1000000] [--duration 10]

For each size: generate the dataset (cached in bench/data/), import it into a fresh data
folder (timed), start `townsquare serve` with DEBUG off (the sizes side by side, on ports of
their own), and drive them in turn with wrk from a second process: guest and signed-in pages,
reply and reaction throughput (while guests read), the ceiling of the same stack (a fixed
body of the topic page's size) before each page, memory per worker.
"""

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import statistics
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


def prepare(posts: int, code: Path = ROOT, label: str = "") -> tuple[dict, float, dict]:
    """A fresh data folder with the dataset imported by the code in `code` (timed)."""
    data = ROOT / "bench" / "var" / f"{label}{posts}"
    shutil.rmtree(data, ignore_errors=True)
    # The code to serve comes first on the path: another checkout's package shadows this one.
    env = {**os.environ, "TOWNSQUARE_DATA_DIR": str(data), "DEBUG": "false",
           "ROOT_URLCONF": "bench.urls", "PYTHONPATH": str(code),
           "RATE_LIMIT_POST": "100000000,60", "RATE_LIMIT_REACT": "100000000,60",
           # Older versions (bench.compare) counted every sign-in attempt.
           "RATE_LIMIT_SIGNIN": "1000,60", "GUEST_PAGE_CACHE_SECONDS": "60"}
    sh(TOWNSQUARE, "migrate", "--no-input", env=env, cwd=code)
    folder = dataset(posts)
    started = time.perf_counter()
    sh(TOWNSQUARE, "import", str(folder), env=env, cwd=code)
    seconds = time.perf_counter() - started
    meta = json.loads((folder / "meta.json").read_text())
    return env, seconds, meta


def start_server(env: dict, port: int = PORT) -> subprocess.Popen:
    server = subprocess.Popen([TOWNSQUARE, "serve", "--port", str(port), "--workers", "2",
                               "--no-worker"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True, cwd=env["PYTHONPATH"])
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_bench/ceiling/?size=10",
                                   timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=60)


def sign_in(username: str, base: str | None = None) -> dict[str, str]:
    base = base or BASE
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/signin/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username,
                                   "password": "bench-password"}).encode()
    opener.open(urllib.request.Request(base + "/signin/", data=form,
                                       headers={"Referer": base + "/signin/"}))
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


def write_script(kind: str, path: str, cookies: dict, first: int = 0, span: int = 1,
                 base: str | None = None) -> str:
    handle = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    handle.write(WRITE_SCRIPT % {"kind": kind, "path": path, "csrf": cookies["csrftoken"],
                                 "first": first, "span": span, "base": base or BASE,
                                 "prefix": kind, "cookie": cookie})
    handle.close()
    return handle.name


PAGES = ("home", "category", "topic", "hot topic, first page", "hot topic, last page")


def open_site(posts: int, port: int, code: Path = ROOT, label: str = "") -> dict:
    """Import a dataset into a fresh data folder (timed) and serve it on `port`."""
    env, import_seconds, meta = prepare(posts, code, label)
    server = start_server(env, port)
    try:
        return _site(posts, port, server, import_seconds, meta)
    except BaseException:
        stop_server(server)
        raise


def _site(posts: int, port: int, server, import_seconds: float, meta: dict) -> dict:
    base = f"http://127.0.0.1:{port}"
    hot = meta["hot_topic_id"]
    hot_url = urllib.request.urlopen(f"{base}/t/{hot}/x/").url
    html = urllib.request.urlopen(hot_url).read().decode()
    hot_pages = max((int(n) for n in re.findall(r"\?page=(\d+)", html)), default=0)
    assert hot_pages > 1, f"no page links on {hot_url}"
    normal = urllib.request.urlopen(f"{base}/t/{hot + 1}/x/").url
    category = urllib.request.urlopen(f"{base}/c/1/x/").url
    # Topic pages by number: a member opening a topic's plain address is sent on to their
    # first unread post, so the plain address would measure that redirect.
    urls = [base + "/", category, f"{normal}?page=1", f"{hot_url}?page=1",
            f"{hot_url}?page={hot_pages}"]
    site = {"posts": posts, "server": server, "base": base, "hot": hot, "normal": normal,
            "import_seconds": import_seconds, "counts": meta["counts"],
            "pages": dict(zip(PAGES, urls, strict=True)),
            "topic_bytes": len(urllib.request.urlopen(normal).read()),
            "member": sign_in("member2", base), "writer": sign_in("member3", base),
            "results": {}, "ceilings": []}
    for url in urls:  # warm caches; wrk counts a redirect as a success: make sure of a page
        urllib.request.urlopen(url).read()
        assert page_status(url, site["member"]) == 200, url
    return site


def ceiling(site: dict, seconds: int) -> float:
    """The stack's ceiling on this machine right now (its speed drifts: see `measure`)."""
    rps = wrk(f"{site['base']}/_bench/ceiling/?size={site['topic_bytes']}", seconds)["rps"]
    site["ceilings"].append(rps)
    return rps


def measure(sizes: list[int], seconds: int) -> list[dict]:
    """Every row for every dataset, the datasets served side by side and measured in turn.

    The machine's speed drifts (by a third within minutes, on a shared host), so numbers
    taken minutes apart don't compare: rows that are compared with each other (a page on
    each dataset; the first and last page of the hot topic) are measured interleaved, in
    slices of a few seconds taken in turn, and the ceiling again before each page (shares
    are of the median).
    """
    sites = []
    try:
        for i, posts in enumerate(sizes):
            sites.append(open_site(posts, PORT + 10 * i))
        for names in (["home"], ["category"], ["topic"],
                      ["hot topic, first page", "hot topic, last page"]):
            for site in sites:
                ceiling(site, seconds)
            for who in ("guest", "member"):
                rows = [(site, f"{name} ({who})", site["pages"][name],
                         site["member"] if who == "member" else None)
                        for name in names for site in sites]
                measured = interleaved([(url, cookies) for _, _, url, cookies in rows], seconds)
                for (site, row, _, _), result in zip(rows, measured, strict=True):
                    site["results"][row] = result
        for site in sites:
            ceiling(site, seconds)
            base, hot, writer = site["base"], site["hot"], site["writer"]
            reply = write_script("reply", f"/t/{hot + 1}/reply/", writer, base=base)
            site["results"]["reply (member)"] = wrk(
                f"{base}/t/{hot + 1}/reply/", seconds, cookies=writer, script=reply,
                connections=4)
            react = write_script("react", "/p/%d/react/", writer, first=10, span=5000,
                                 base=base)
            site["results"]["reaction (member)"] = wrk(
                f"{base}/p/10/react/", seconds, cookies=writer, script=react,
                connections=4)
            site["results"] |= mixed(site, reply, seconds)
            site["memory_mb"] = worker_memory(site["server"])
    finally:
        for site in sites:
            stop_server(site["server"])
    return [{key: value for key, value in site.items() if key != "server"} for site in sites]


SLICE_SECONDS = 2


def interleaved(jobs: list[tuple[str, dict | None]], seconds: int) -> list[dict]:
    """wrk on each (url, cookies) in turn, SLICE_SECONDS at a time, until each has had
    `seconds`: requests/s is the mean over its slices, p50 and p99 the median of them."""
    slices: list[list[dict]] = [[] for _ in jobs]
    for _ in range(max(1, seconds // SLICE_SECONDS)):
        for taken, (url, cookies) in zip(slices, jobs, strict=True):
            taken.append(wrk(url, SLICE_SECONDS, cookies=cookies))
    return [{"rps": statistics.fmean(s["rps"] for s in taken),
             "p50": statistics.median(s["p50"] for s in taken),
             "p99": statistics.median(s["p99"] for s in taken),
             "errors": sum(s["errors"] for s in taken)} for taken in slices]


def mixed(site: dict, reply: str, seconds: int) -> dict:
    """Replies posted while guests read topic pages: do reads wait on writes?"""
    base, hot = site["base"], site["hot"]
    readers = subprocess.Popen(["wrk", "-t1", "-c8", f"-d{seconds}s", "--latency",
                                site["normal"]], stdout=subprocess.PIPE, text=True)
    writes = wrk(f"{base}/t/{hot + 1}/reply/", seconds, cookies=site["writer"], script=reply,
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
             "This machine's speed drifts (a shared host: its ceiling moves by a third within "
             "minutes), so the datasets are served side by side, and the rows that are "
             "compared (a page on each dataset; the hot topic's first and last page) are "
             f"measured interleaved: {SLICE_SECONDS} s of each in turn until each has had "
             f"{seconds} s. Requests/s is the mean over a row's slices, p50 and p99 the "
             "median of them. The ceiling is measured again before each page and shares are "
             "of the median of those measurements.", "",
             "Reproduce: `.venv/bin/python -m bench.run " +
             " ".join(f"--posts {r['posts']}" for r in runs) + "`", ""]
    for run in runs:
        tops = sorted(run["ceilings"])
        lines += [f"## {run['posts']:,} posts", "",
                  f"Dataset: {json.dumps(run['counts'])}. "
                  f"Import: **{run['import_seconds']:.1f} s**. "
                  f"Topic page: {run['topic_bytes']:,} bytes. Memory per worker: "
                  + ", ".join(f"{m:.0f} MB" for m in run["memory_mb"]) + ".", "",
                  "| what | requests/s | share of ceiling | p50 ms | p99 ms | non-2xx/3xx |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |",
                  f"| ceiling (median of {len(tops)}; {tops[0]:,.0f} to {tops[-1]:,.0f}) | "
                  f"{ceiling_of(run):,.0f} | 100% | | | |"]
        order = [f"{page} ({who})" for page in PAGES for who in ("guest", "member")]
        rows = sorted(run["results"].items(),
                      key=lambda item: order.index(item[0]) if item[0] in order else len(order))
        for name, r in rows:
            lines.append(f"| {name} | {r['rps']:,.0f} | {r['rps'] / ceiling_of(run):.0%} | "
                         f"{r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} |")
        lines.append("")
    lines += targets(runs)
    return "\n".join(lines)


def ceiling_of(run: dict) -> float:
    return statistics.median(run["ceilings"])


def targets(runs: list[dict]) -> list[str]:
    """Each target of the performance issue, checked against this run's numbers."""
    lines = ["## Targets", "", "| target | measured | met |", "| --- | --- | :---: |"]

    def row(name: str, measured: str, met: bool) -> None:
        lines.append(f"| {name} | {measured} | {'yes' if met else '**no**'} |")

    for run in runs:
        r, size = run["results"], f"{run['posts']:,} posts"
        for who, least in (("guest", 0.50), ("member", 0.25)):
            got = r[f"topic ({who})"]["rps"] / ceiling_of(run)
            row(f"{size}: topic page as a {who} ≥ {least:.0%} of the ceiling", f"{got:.0%}",
                got >= least)
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
                row(f"1,000,000 vs 40,000 posts within 10%: {name}", f"{ratio - 1:+.1%}",
                    ratio >= 0.9)
    lines += ["", "Reads while replies are written: see the last two rows of each table "
              "(guests load a topic page while a member posts replies to another topic).",
              "", "The reaction rows go through 5,000 posts in turn; the few non-2xx answers "
              "there are the writer's reactions to their own posts, which the site refuses "
              "(403)."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, action="append")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--report-only", action="store_true",
                        help="write the report again from the last run's numbers")
    args = parser.parse_args()
    last = ROOT / "bench" / "var" / "last-run.json"
    if args.report_only:
        runs = json.loads(last.read_text())
    else:
        if not shutil.which("wrk"):
            raise SystemExit("wrk is needed: apt-get install wrk")
        runs = measure(args.posts or [40_000], args.duration)
        last.parent.mkdir(parents=True, exist_ok=True)
        last.write_text(json.dumps(runs, indent=2))
    text = report(runs, args.duration)
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
