"""Deterministic benchmark communities in the forum dump format, at any size.

    python -m bench.generate --posts 40000 --out bench/data/40k

About 600-character Markdown bodies with links, every fifth post a quote of an earlier post
in its topic, 30% of posts with reactions, and one hot topic with thousands of posts.
"""

import argparse
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

WORDS = (
    "river basin survey council report figures month rainfall marsh wetland farmers grazing "
    "authority residents village harbour bridge vote budget school hospital energy wind solar "
    "grid price market export harvest drought flood storm coast island mountain road rail "
    "station museum library festival season record growth decline estimate analysis evidence "
    "official spokesperson minister mayor committee plan proposal agreement deadline review "
    "study researchers data sample trend average increase decrease share percent kilometres "
    "square tonnes litres hectares population census district region province north south "
    "east west central local national international community members readers question"
).split()
KINDS = ["like", "like", "like", "thanks", "haha", "love", "love", "sad", "confused"]
BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 16))
    if rng.random() < 0.3:
        i = rng.randrange(len(words))
        words[i] = f"**{words[i]}**"
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def body(rng: random.Random, target: int = 600) -> str:
    parts, size = [], 0
    while size < target:
        text = sentence(rng)
        if rng.random() < 0.25:
            slug = "-".join(rng.choices(WORDS, k=3))
            text += f" See [the {rng.choice(WORDS)} notes](https://news.example.org/{slug})."
        parts.append(text)
        size += len(text) + 1
    half = len(parts) // 2
    return " ".join(parts[:half]) + "\n\n" + " ".join(parts[half:])


def plan(posts: int, hot: int) -> tuple[int, int, list[int]]:
    """Members, categories and the number of posts in each topic (one hot topic)."""
    members = max(20, posts // 40)
    categories = 8
    rest = max(posts - hot, 0)
    sizes = []
    rng = random.Random(7)
    while rest > 0:
        n = min(rest, rng.randint(5, 45))
        sizes.append(n)
        rest -= n
    # At the index meta.json names (len(sizes) // 2 once inserted).
    sizes.insert((len(sizes) + 1) // 2, min(hot, posts))
    return members, categories, sizes


def generate(out: Path, posts: int, hot: int, seed: int = 1) -> dict[str, int]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    members, categories, sizes = plan(posts, hot)
    step = timedelta(seconds=max(1, int(600 * 86400 / max(posts, 1))))
    counts = {"users": members, "categories": categories, "topics": len(sizes)}
    with (out / "users.jsonl").open("w") as f:
        for i in range(1, members + 1):
            role = "editor" if i == 1 else "member"
            f.write(json.dumps({"id": i, "username": f"member{i}",
                                "email": f"member{i}@example.org", "role": role,
                                "date_joined": "2023-06-01T00:00:00Z",
                                "password": "bench-password"}) + "\n")
    with (out / "categories.jsonl").open("w") as f:
        for i in range(1, categories + 1):
            f.write(json.dumps({"id": i, "title": f"Category {i}", "slug": f"category-{i}",
                                "description": f"Discussion area number {i}.",
                                "position": i}) + "\n")
    post_id, reactions = 0, 0
    when = BASE_TIME
    with (out / "topics.jsonl").open("w") as ft, (out / "posts.jsonl").open("w") as fp, \
            (out / "reactions.jsonl").open("w") as fr:
        for topic_id, size in enumerate(sizes, start=1):
            author = rng.randint(1, members)
            title = " ".join(rng.choices(WORDS, k=rng.randint(4, 9))).capitalize()
            ft.write(json.dumps({"id": topic_id, "category_id": 1 + topic_id % categories,
                                 "user_id": author, "title": title,
                                 "created": when.isoformat()}) + "\n")
            earlier: list[tuple[int, str]] = []
            for n in range(size):
                post_id += 1
                who = author if n == 0 else rng.randint(1, members)
                record = {"id": post_id, "topic_id": topic_id, "user_id": who,
                          "created": when.isoformat(), "body": body(rng)}
                if post_id % 5 == 0 and earlier:
                    quoted, text = rng.choice(earlier[-20:])
                    record["body"] = f":::quote {quoted}\n{text}\n:::\n\n" + record["body"]
                    record["quotes_post_id"] = quoted
                fp.write(json.dumps(record) + "\n")
                earlier.append((post_id, record["body"][-160:].split("\n")[-1][:150]))
                if rng.random() < 0.3:
                    for reactor in rng.sample(range(1, members + 1), rng.randint(1, 3)):
                        if reactor != who:
                            fr.write(json.dumps({"post_id": post_id, "user_id": reactor,
                                                 "kind": rng.choice(KINDS)}) + "\n")
                            reactions += 1
                when += step
    counts |= {"posts": post_id, "reactions": reactions}
    meta = {"format": "forum-dump", "version": 1, "site": "Benchmark", "counts": counts,
            "hot_topic_id": len(sizes) // 2 + 1}
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=40_000)
    parser.add_argument("--hot", type=int, default=10_000, help="posts in the hot topic")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(generate(args.out, args.posts, args.hot, args.seed))


if __name__ == "__main__":
    main()
