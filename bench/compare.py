"""Two versions of Townsquare side by side: did a change make the pages slower?

    python -m bench.compare REF [--posts 40000] [--duration 10]

The code at REF (a commit, tag or branch) is unpacked beside this checkout; each version imports
the same dataset into a data folder of its own and is served on a port of its own, and every page
is measured on both interleaved (2 s of each in turn, as `bench.run` compares datasets), so the
machine's drift falls on both alike. The table goes into docs/performance.md between its own
markers.
"""

import argparse
import shutil
import subprocess
from pathlib import Path

from bench.run import (
    PAGES,
    PORT,
    ROOT,
    ceiling,
    ceiling_of,
    interleaved,
    open_site,
    stop_server,
    write_section,
)

START, END = "<!-- compare: written by bench/compare.py -->", "<!-- end of compare -->"


def unpack(ref: str) -> tuple[Path, str]:
    """The tree of `ref` in bench/var (ignored by git), and its short commit id."""
    commit = subprocess.run(["git", "rev-parse", "--short", f"{ref}^{{commit}}"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout.strip()
    folder = ROOT / "bench" / "var" / f"code-{commit}"
    if not (folder / "pyproject.toml").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", commit], cwd=ROOT, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder, commit


def head() -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return commit + (" with uncommitted changes" if dirty else "")


def compare(ref: str, posts: int, seconds: int) -> dict:
    code, before_id = unpack(ref)
    sites = []
    try:
        sites.append(open_site(posts, PORT + 50, code, label="before-"))
        sites.append(open_site(posts, PORT + 60, ROOT, label="after-"))
        rows = {}
        for name in PAGES:
            for site in sites:
                ceiling(site, seconds)
            for who in ("guest", "member"):
                jobs = [(site["pages"][name], site["member"] if who == "member" else None)
                        for site in sites]
                before, after = interleaved(jobs, seconds)
                rows[f"{name} ({who})"] = {"before": before, "after": after}
    finally:
        for site in sites:
            stop_server(site["server"])
    return {"posts": posts, "before": before_id, "after": head(), "rows": rows,
            "ceilings": [ceiling_of(site) for site in sites]}


def report(result: dict, seconds: int) -> str:
    lines = [
        "# Before and after", "",
        f"`bench/compare.py`: {result['before']} (before) and {result['after']} (after), each "
        f"serving the same {result['posts']:,}-post dataset on its own port, every row measured "
        f"on both interleaved ({seconds} s each, in 2 s slices). Ceilings: "
        + " and ".join(f"{c:,.0f}" for c in result["ceilings"]) + " requests/s.", "",
        f"Reproduce: `.venv/bin/python -m bench.compare {result['before']} "
        f"--posts {result['posts']}`", "",
        "| page | before requests/s | after requests/s | change | before p99 ms | after p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, row in result["rows"].items():
        before, after = row["before"], row["after"]
        lines.append(f"| {name} | {before['rps']:,.0f} | {after['rps']:,.0f} | "
                     f"{after['rps'] / before['rps'] - 1:+.1%} | {before['p99']:.1f} | "
                     f"{after['p99']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", help="the commit to compare against (e.g. main~3)")
    parser.add_argument("--posts", type=int, default=40_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    text = report(compare(args.ref, args.posts, args.duration), args.duration)
    write_section(args.out, text, START, END)
    print(text)


if __name__ == "__main__":
    main()
