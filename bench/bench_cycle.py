"""Benchmark of the polling cycle, every stage on; prints figures, asserts nothing.

    .venv/bin/python bench/bench_cycle.py [--runs 5] [--feeds 1000] [--items 20] [--latency 0.1]

Measures, on this machine, each figure in every one of ``--runs`` runs, then the median
and the spread (the machine is shared and noisy: single runs mislead):
1. one `warning poll --once` over N feeds served on 127.0.0.1 with added latency, into
   a new database: fetch, parse, geotag, score, store, rules (target: at most 10 s wall
   for 1,000 feeds at 100 ms, process start included);
2. a second `poll --once` with nothing changed (targets: at most 2.5 s wall, process
   start included; >= 95% answered 304, <= 5% of the first cycle's bytes);
3. peak memory of each `warning poll --once`, with its worker processes (target: <= 300 MB);
4. one feed of 6,000 distinct real-text items (headlines and ledes of the real feeds of
   ../shared/data/feeds/news and of the evaluation CSVs, see real_text_feed) polled once
   into a new database, against bare `feedparser.parse` on the same bytes in the same
   run (target: the whole `poll --once` at least 0.4x as fast); skipped when ../shared
   is absent;
5. ingest throughput, parsed XML to stored items, against bare feedparser.parse
   on the same files in the same run (once; parse and store only, no assessment).
Every `poll --once` is a child process, timed from its start to its exit. The feed
server runs in its own process so it does not compete for our GIL.

``--python PATH`` runs those children with another interpreter: a production install
(``python -m venv /tmp/prod && /tmp/prod/bin/pip install .``), whose environment has
only the runtime dependencies. A development environment has the test extra's too, and
httpcore imports trio (selenium's) whenever it is installed: 0.07 s of every start.
The children still run this checkout's code (``python -m warning`` from its root).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser

REPO = Path(__file__).resolve().parents[1]
#: The interpreter that runs each `warning poll --once` (--python).
PYTHON = sys.executable
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_parse import NEWS, real_items  # noqa: E402

from tests.feedgen import make_rss, sample_items  # noqa: E402
from warning.records import FeedState  # noqa: E402
from warning.sources.rss import parse_feed  # noqa: E402
from warning.store import Store  # noqa: E402

EVAL = NEWS.parents[1] / "eval"


def real_text_feed(n: int) -> bytes:
    """One RSS feed of ``n`` distinct headline+lede items made of real text.

    The headlines and ledes are those of the real feeds in ../shared/data/feeds/news
    and of the evaluation CSVs' news snippets (first line, then the rest), English and
    French; item k pairs headline k mod H with lede (k div H) mod L, so every item is
    a different story to the store (as bench/bench_parse.py's repeated 90 are not).
    """
    pairs = [(str(i["title"]), str(i["description"])) for i in real_items()]
    for name in ("realnews-dev.csv", "realnews2-dev.csv"):
        with (EVAL / name).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                title, _, lede = row["text"].partition("\n")
                pairs.append((title, lede))
    titles = [t for t, _ in pairs if t.strip()]
    ledes = [lede for _, lede in pairs if lede.strip()]
    if n > len(titles) * len(ledes):
        raise SystemExit(f"only {len(titles) * len(ledes)} distinct items can be made")
    start = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    items = [
        {
            "title": titles[k % len(titles)],
            "description": ledes[(k // len(titles)) % len(ledes)],
            "link": f"https://news.example.org/story/{k}?at_medium=RSS",
            "guid": f"https://news.example.org/story/{k}",
            "published": start + timedelta(minutes=k),
        }
        for k in range(n)
    ]
    return make_rss(items, language="en-gb")


def start_server(directory: Path, latency: float) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.feedserver",
            "--dir",
            str(directory),
            "--latency",
            str(latency),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("port="):
        proc.kill()
        raise SystemExit(f"feed server did not start: {line!r}")
    return proc, int(line.split("=", 1)[1])


def server_stats(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__stats") as resp:
        return dict(json.load(resp))


def server_reset(port: int) -> None:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/__reset", method="POST", data=b"")
    urllib.request.urlopen(req).read()


def tree_peaks_kb(pid: int, peaks: dict[int, int]) -> None:
    """Record the peak resident memory (VmHWM) of a process and its descendants.

    VmHWM is the kernel's own high-water mark, so sampling now and then misses no
    peak; summing the processes' peaks bounds their combined peak from above.
    """
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
            peaks[p] = max(peaks.get(p, 0), hwm)
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (OSError, StopIteration):
            continue  # exited between two reads


def poll_once(config: Path, work: Path) -> tuple[dict[str, object], float, float]:
    """Run one cycle in a child process.

    Returns (report, wall seconds, peak RSS in MB of the process together with its
    worker processes).
    """
    out_path = work / "poll.json"
    start = time.perf_counter()
    with out_path.open("w") as out:
        proc = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "warning",
                "--config",
                str(config),
                "--log-level",
                "error",
                "poll",
                "--once",
                "--json",
            ],
            stdout=out,
            cwd=REPO,
        )
        peaks: dict[int, int] = {}
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.25):  # cheap: the high-water marks keep the peaks between
                tree_peaks_kb(proc.pid, peaks)

        # Sampled in a thread, so that the wall time is the exit's, not the next sample's.
        sampler = threading.Thread(target=sample)
        sampler.start()
        tree_peaks_kb(proc.pid, peaks)
        proc.wait()
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"warning poll --once exited {proc.returncode}")
    # Each process's own peak, the command's first: an odd sum is then explained by one
    # process, or by one more process than usual.
    order = [proc.pid, *sorted(p for p in peaks if p != proc.pid)]
    split = ", ".join(f"{peaks.get(p, 0) / 1024:.0f}" for p in order)
    print(f"  peak MB per process of poll --once (itself first): {split}", flush=True)
    return json.loads(out_path.read_text()), wall, sum(peaks.values()) / 1024


def write_config(path: Path, database: Path, feeds: list[tuple[str, str]], extra: str = "") -> None:
    lines = [f"database: sqlite:///{database}", "feeds:"]
    for name, url in feeds:
        lines += [f"  - name: {name}", f"    url: {url}"] + ([f"    {extra}"] if extra else [])
    path.write_text("\n".join(lines) + "\n")


def cycle_bench(args: argparse.Namespace, work: Path, port: int, run: int) -> dict[str, float]:
    """One first cycle and one unchanged cycle, into a database of this run's own."""
    config = work / f"cycle-{run}.yaml"
    feeds = [(f"f{i}", f"http://127.0.0.1:{port}/f{i}.xml") for i in range(args.feeds)]
    write_config(config, work / f"cycle-{run}.db", feeds)
    server_reset(port)
    first, wall1, tree1 = poll_once(config, work)
    stats1 = server_stats(port)
    server_reset(port)
    second, wall2, tree2 = poll_once(config, work)
    stats2 = server_stats(port)
    wire1 = stats1["bytes_sent"] + stats1["header_bytes_sent"]
    wire2 = stats2["bytes_sent"] + stats2["header_bytes_sent"]
    return {
        "cycle1_wall_s": round(wall1, 2),
        "cycle1_elapsed_in_process_s": first["elapsed_seconds"],  # type: ignore[dict-item]
        "cycle1_items_new": first["items_new"],  # type: ignore[dict-item]
        "cycle1_feeds_failed": first["feeds_failed"],  # type: ignore[dict-item]
        "cycle2_wall_s": round(wall2, 2),
        "cycle2_elapsed_in_process_s": second["elapsed_seconds"],  # type: ignore[dict-item]
        "cycle2_items_new": second["items_new"],  # type: ignore[dict-item]
        "cycle2_304_share": round(stats2["status_304"] / max(stats2["requests"], 1), 4),
        # Bytes on the wire from the server, headers included, second cycle over first.
        "cycle2_bytes_share": round(wire2 / max(wire1, 1), 4),
        "peak_rss_mb_with_workers": round(max(tree1, tree2), 1),
    }


def big_feed_bench(work: Path, port: int, body: bytes, run: int) -> dict[str, float]:
    """One feed of many real-text items: `poll --once` against bare feedparser.parse."""
    start = time.perf_counter()
    entries = len(feedparser.parse(io.BytesIO(body)).entries)
    bare = time.perf_counter() - start
    config = work / f"big-{run}.yaml"
    url = f"http://127.0.0.1:{port}/big.xml"
    # The default cap keeps the newest 2,000 entries of a poll; this feed is trusted.
    write_config(config, work / f"big-{run}.db", [("big", url)], extra="max_items: 10000")
    report, wall, tree = poll_once(config, work)
    return {
        "big_items": entries,
        "big_items_new": report["items_new"],  # type: ignore[dict-item]
        "big_bare_feedparser_s": round(bare, 2),
        "big_poll_once_wall_s": round(wall, 2),
        # How fast the whole poll is relative to bare feedparser (target: >= 0.4).
        "big_speed_vs_bare_feedparser": round(bare / wall, 3),
        "big_peak_rss_mb_with_workers": round(tree, 1),
    }


def ingest_bench(work: Path, files: int = 200, items: int = 25) -> dict[str, float]:
    bodies = [
        make_rss(sample_items(items, seed=10_000 + i, link_prefix=f"https://ingest{i}.example"))
        for i in range(files)
    ]
    total = files * items
    start = time.perf_counter()
    for body in bodies:
        feedparser.parse(body)
    bare = time.perf_counter() - start

    store = Store(f"sqlite:///{work / 'ingest.db'}")
    store.migrate()
    store.sync_feeds([("ingest", "rss", "http://127.0.0.1/ingest.xml", "ingest")])
    now = datetime.now(UTC)
    start = time.perf_counter()
    stored = 0
    for body in bodies:
        parsed = parse_feed(
            body, feed="ingest", outlet="ingest", base_url="http://127.0.0.1/ingest.xml"
        )
        new, _ = store.record_poll(
            "ingest", FeedState("ingest", etag="x", last_success=now), parsed.items, now
        )
        stored += new
    ours = time.perf_counter() - start
    store.close()
    assert stored == total, (stored, total)
    return {
        "ingest_items": total,
        "bare_feedparser_items_per_s": round(total / bare),
        "ingest_items_per_s": round(total / ours),
        "ingest_share_of_bare": round(bare / ours, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions (medians are printed)")
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--big-items", type=int, default=6000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--skip-cycle", action="store_true")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument(
        "--python", default=sys.executable, help="the interpreter of the polls (see above)"
    )
    args = parser.parse_args()
    global PYTHON
    PYTHON = args.python
    runs: list[dict[str, float]] = []
    figures: dict[str, float] = {"cpus": os.cpu_count() or 0}
    with tempfile.TemporaryDirectory(prefix="warning-bench-") as tmp:
        work = Path(tmp)
        os.environ.setdefault("XDG_STATE_HOME", str(work / "state"))
        if not args.skip_ingest:
            figures |= ingest_bench(work)
        feeds_dir = work / "feeds"
        feeds_dir.mkdir()
        for i in range(args.feeds if not args.skip_cycle else 0):
            items = sample_items(
                args.items, seed=i, link_prefix=f"https://outlet{i % 50}.example/{i}"
            )
            (feeds_dir / f"f{i}.xml").write_bytes(make_rss(items, title=f"Feed {i}"))
        big = None
        if not args.skip_big:
            if NEWS.is_dir() and EVAL.is_dir():
                big = real_text_feed(args.big_items)
                (feeds_dir / "big.xml").write_bytes(big)
            else:
                print(f"{NEWS} is absent: the real-text feed is skipped")
        server, port = start_server(feeds_dir, args.latency)
        try:
            for run in range(args.runs):
                figures_run: dict[str, float] = {}
                if not args.skip_cycle:
                    figures_run |= cycle_bench(args, work, port, run)
                if big is not None:
                    # The latency is the cycle's; one feed pays it once.
                    figures_run |= big_feed_bench(work, port, big, run)
                runs.append(figures_run)
                print(f"run {run + 1}: " + ", ".join(f"{k}={v}" for k, v in figures_run.items()))
        finally:
            server.terminate()
            server.wait()
    if not args.skip_cycle:
        figures |= {"feeds": args.feeds, "items_per_feed": args.items, "latency_s": args.latency}
    for key, value in figures.items():
        print(f"{key}: {value}")
    for key in runs[0] if runs else ():
        values = [r[key] for r in runs]
        spread = f"{min(values)} - {max(values)}" if len(values) > 1 else ""
        print(f"{key}: median {statistics.median(values)}  ({len(values)} runs: {spread})")


if __name__ == "__main__":
    main()
