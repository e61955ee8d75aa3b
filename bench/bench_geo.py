"""Benchmark of geotagging; prints figures, asserts nothing.

    .venv/bin/python bench/bench_geo.py [--items 5000] [--rounds 3]

Measures, on this machine:
1. geotag throughput on one core (this process pinned to one CPU where the OS allows),
   over generated headline+lede items (tests/feedgen.py) and, when it exists, the
   real-news evaluation file's texts (target: at least 2,000 items/s); then again with
   no lookup remembered from one item to the next;
2. cold start of ``python -c "from warning.geo.gazetteer import load; load()"`` with a
   warm cache: a fresh interpreter each time, median of several runs (the gazetteer's
   part of the 1.5 s budget of ``warning score``);
3. a first build, in a fresh interpreter with an empty cache directory.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.feedgen import sample_items  # noqa: E402
from warning.geo.gazetteer import CACHE_FILE, cache_dir, load  # noqa: E402
from warning.geo.resolve import geotag  # noqa: E402
from warning.normalize import title_and_body  # noqa: E402

EVAL = REPO.parent / "shared" / "data" / "eval" / "realnews-dev.csv"
LOAD = "from warning.geo.gazetteer import load; load()"
#: The whole command as an analyst runs it: imports, configuration, gazetteer, resolution.
SCORE = (
    "import sys; from warning.cli import main; "
    "sys.exit(main(['score', 'Soldiers seize state television in Niamey']))"
)


def texts(n: int) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    generated = sample_items(n, seed=7)
    tag = re.compile(r"<[^>]+>")
    out["generated"] = [(str(i["title"]), tag.sub("", str(i["description"]))) for i in generated]
    if EVAL.exists():
        with EVAL.open(encoding="utf-8", newline="") as f:
            # Title and body split as `warning evaluate` does: first line, else sentence.
            out["realnews"] = [title_and_body(row["text"]) for row in csv.DictReader(f)]
    return out


def throughput(items: list[tuple[str, str]], rounds: int, forget: bool = False) -> float:
    """Best items/s over ``rounds`` passes; ``forget`` empties the gazetteer's memory of
    recent lookups before each item, so every lookup reads the mapped table (the worst
    case: a worker's first items, or text of nothing but new words)."""
    gaz = load()
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for title, body in items:
            if forget:
                gaz.found.clear()
            geotag(title, body, gaz)
        best = max(best, len(items) / (time.perf_counter() - start))
    return best


def cold_start(env: dict[str, str], runs: int, code: str = LOAD) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL
        )
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000, help="generated items")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the items (best)")
    parser.add_argument("--runs", type=int, default=5, help="cold starts to time")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    load()  # builds the cache if it is stale, outside the timings
    cache = cache_dir() / CACHE_FILE
    print(f"cache: {cache} ({cache.stat().st_size / 1e6:.1f} MB)")

    for name, items in texts(args.items).items():
        chars = sum(len(t) + len(b) for t, b in items) / len(items)
        rate = throughput(items, args.rounds)
        print(f"geotag {name}: {len(items)} items of {chars:.0f} chars, {rate:,.0f} items/s")
        rate = throughput(items, args.rounds, forget=True)
        print(f"  every lookup from the table: {rate:,.0f} items/s")

    env = dict(os.environ)
    warm = cold_start(env, args.runs)
    print(f"cold load, warm cache: median {statistics.median(warm):.3f} s (min {min(warm):.3f})")
    score = cold_start(env, args.runs, SCORE)
    print(f"`warning score TEXT`, warm cache: median {statistics.median(score):.3f} s")
    bare = cold_start(env, args.runs, "pass")
    print(f"  of which the bare interpreter: median {statistics.median(bare):.3f} s")
    with tempfile.TemporaryDirectory() as tmp:
        first = cold_start(env | {"CACHE_DIRECTORY": tmp}, 1)
    print(f"first build (empty cache): {first[0]:.1f} s")


if __name__ == "__main__":
    main()
