"""Soak: 1,000 local feeds over a simulated day; memory and errors, hour by hour.

    .venv/bin/python bench/bench_soak.py [--feeds 1000] [--hours 24] [--step 30] [--workers N]

Not run by CI. One process (and, with ``--workers``, its worker processes) runs
the real pipeline (fetch over HTTP from the local feed server, parse, geotag,
score, store, alert cycles with the bundled rules and the log notifier) on a
simulated clock: every ``--step`` minutes of simulated time it polls every feed
that is due (each every ``--step`` minutes) and runs one alert cycle. Each step
some feeds carry new items (a few of them coup or attack reports, so alerts are
decided). Prints the process's resident memory (and its PSS) at each simulated hour,
and the workers' PSS together (their shared pages, the gazetteer's mapped table among
them, counted once), and fails loudly on any error. The issue's target: memory
grows at most 10% between hour 1 and hour 24, with no errors.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.feedgen import make_rss, sample_items  # noqa: E402
from tests.feedserver import FeedServer  # noqa: E402
from warning import config  # noqa: E402
from warning.pipeline import Pipeline, fetch_limits, worker_pool  # noqa: E402
from warning.settings import Secret  # noqa: E402
from warning.sources.base import Feed  # noqa: E402
from warning.sources.http import Fetcher  # noqa: E402
from warning.store import open_store  # noqa: E402

EVENTS = [
    "Gunmen attack a police post near Djibo, killing four",
    "Soldiers seize power in Niamey and detain the president",
    "Protesters clash with police in Conakry over fuel prices",
]


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process (Linux /proc), in MB; 0 for one that has exited."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    if pid != "self":
        return 0.0  # a zombie has no VmRSS line; the fallback below would be ours
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pss_mb(pid: int | str = "self") -> float:
    """Proportional set size (Linux smaps_rollup) in MB: pages shared with other processes,
    such as the gazetteer's mapped table, count for their share only; 0 once exited."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def workers_mb() -> tuple[int, float]:
    """How many worker processes are alive, and their memory in MB (summed PSS, so the
    table they all map counts once).

    Children started by multiprocessing's spawn, so not its resource tracker.
    """
    pids = {
        pid
        for children in Path("/proc/self/task").glob("*/children")
        for pid in children.read_text().split()
    }
    alive = []
    for pid in pids:
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                alive.append(pss_mb(pid))
        except FileNotFoundError:  # exited between the listing and the read
            continue
    return len(alive), sum(alive)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--step", type=int, default=30, help="simulated minutes per step")
    parser.add_argument("--no-alerts", action="store_true", help="polls only (to compare)")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="worker processes, as the daemon's poll.processes (default 0: all in this process)",
    )
    parser.add_argument(
        "--trace", action="store_true", help="print what grew most (tracemalloc), hour 2 to the end"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    rng = random.Random(2020)
    start = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
    step = timedelta(minutes=args.step)
    with tempfile.TemporaryDirectory() as tmp, FeedServer() as server:
        stories = {n: sample_items(5, seed=n, start=start) for n in range(args.feeds)}
        for n, items in stories.items():
            server.add(f"/f{n}.xml", make_rss(items))
        settings = config.load(config.resources.bundled_config())
        feeds = tuple(
            Feed(f"f{n}", "rss", server.url(f"/f{n}.xml"), step, f"outlet{n % 200}")
            for n in range(args.feeds)
        )
        settings = dataclasses.replace(
            settings,
            feeds=feeds,
            database=Secret(f"sqlite:///{tmp}/s.db"),
            poll=dataclasses.replace(settings.poll, processes=args.workers),
        )
        store = open_store(settings.database.reveal())
        store.sync_feeds((f.name, f.kind, f.url, f.outlet) for f in feeds)
        baseline: tracemalloc.Snapshot | None = None
        errors = 0
        marks: dict[int, float] = {}
        worker_marks: dict[int, float] = {}
        wall = time.perf_counter()
        with (
            worker_pool(settings) as workers,
            Fetcher(fetch_limits(settings), concurrency=64) as fetcher,
        ):
            pipeline = Pipeline(settings, store, fetcher, workers)
            now = start
            steps = int(timedelta(hours=args.hours) / step)
            for k in range(steps):
                for n in rng.sample(range(args.feeds), args.feeds // 20):
                    item = sample_items(1, seed=100_000 + k * args.feeds + n, start=now)[0]
                    if rng.random() < 0.05:
                        item["title"] = f"{rng.choice(EVENTS)} ({k}-{n})"
                    stories[n] = [item, *stories[n][:19]]
                    server.add(f"/f{n}.xml", make_rss(stories[n]))
                report = pipeline.cycle(force=k == 0, now=now)
                errors += report.feeds_failed
                server.reset_stats()  # the test server logs every request: not ours to count
                if not args.no_alerts:
                    pipeline.alert_cycle(now)
                now += step
                hour = int((now - start) / timedelta(hours=1))
                if hour not in marks and (now - start) % timedelta(hours=1) == timedelta(0):
                    marks[hour] = rss_mb()
                    alive, worker_marks[hour] = workers_mb()
                    if args.trace and hour == 2:
                        tracemalloc.start(10)
                        baseline = tracemalloc.take_snapshot()
                    in_workers = (
                        f" + {worker_marks[hour]:.0f} MB (PSS) in {alive} workers"
                        if args.workers
                        else ""
                    )
                    print(
                        f"hour {hour:>2}: {marks[hour]:.0f} MB resident "
                        f"({pss_mb():.0f} MB PSS){in_workers}, "
                        f"{store.count_items():,} items, errors so far {errors}, "
                        f"wall {time.perf_counter() - wall:.0f} s",
                        flush=True,
                    )
        store.close()
    if args.trace:
        assert baseline is not None
        grown = tracemalloc.take_snapshot().compare_to(baseline, "traceback")
        for stat in grown[:8]:
            print(f"{stat.size_diff / 1e6:+.1f} MB in {stat.count_diff:+} blocks:")
            for line in stat.traceback.format()[-6:]:
                print("   ", line)
    growth("memory", marks, args.hours, f"; target at most +10%), errors {errors}")
    if args.workers:
        growth("workers' memory", worker_marks, args.hours, ")")


def growth(what: str, marks: dict[int, float], hours: int, tail: str) -> None:
    """Print how ``marks`` (MB at each hour) moved from hour 1 to the last hour."""
    first, last = marks.get(1), marks.get(hours)
    if first and last:
        print(
            f"{what} hour 1 -> hour {hours}: {first:.0f} -> {last:.0f} MB "
            f"({(last - first) / first:+.1%}{tail}"
        )


if __name__ == "__main__":
    main()
