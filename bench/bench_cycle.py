"""Benchmark of the polling cycle; prints figures, asserts nothing.

    .venv/bin/python bench/bench_cycle.py [--feeds 1000] [--items 20] [--latency 0.1]

Measures, on this machine:
1. one `warning poll --once` over N feeds served on 127.0.0.1 with added latency
   (target: at most 10 s for 1,000 feeds at 100 ms);
2. a second cycle with nothing changed (target: >= 95% answered 304, <= 5% of
   the first cycle's bytes);
3. peak memory of each `warning poll --once`, with its worker processes (target: <= 300 MB);
4. ingest throughput, parsed XML to stored items, against bare feedparser.parse
   on the same files in the same run (target: >= 50%).
The feed server runs in its own process so it does not compete for our GIL.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import feedparser

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.feedgen import make_rss, sample_items  # noqa: E402
from warning.records import FeedState  # noqa: E402
from warning.sources.rss import parse_feed  # noqa: E402
from warning.store import Store  # noqa: E402


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
                sys.executable,
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
        while proc.poll() is None:
            tree_peaks_kb(proc.pid, peaks)
            time.sleep(0.25)  # cheap: the high-water marks keep the peaks in between
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"warning poll --once exited {proc.returncode}")
    return json.loads(out_path.read_text()), wall, sum(peaks.values()) / 1024


def cycle_bench(args: argparse.Namespace, work: Path) -> dict[str, float]:
    feeds_dir = work / "feeds"
    feeds_dir.mkdir()
    for i in range(args.feeds):
        items = sample_items(args.items, seed=i, link_prefix=f"https://outlet{i % 50}.example/{i}")
        (feeds_dir / f"f{i}.xml").write_bytes(make_rss(items, title=f"Feed {i}"))
    server, port = start_server(feeds_dir, args.latency)
    try:
        config = work / "warning.yaml"
        lines = [f"database: sqlite:///{work / 'bench.db'}", "feeds:"]
        for i in range(args.feeds):
            lines += [f"  - name: f{i}", f"    url: http://127.0.0.1:{port}/f{i}.xml"]
        config.write_text("\n".join(lines) + "\n")

        first, wall1, tree1 = poll_once(config, work)
        stats1 = server_stats(port)
        server_reset(port)
        second, wall2, tree2 = poll_once(config, work)
        stats2 = server_stats(port)
    finally:
        server.terminate()
        server.wait()
    wire1 = stats1["bytes_sent"] + stats1["header_bytes_sent"]
    wire2 = stats2["bytes_sent"] + stats2["header_bytes_sent"]
    return {
        "feeds": args.feeds,
        "items_per_feed": args.items,
        "latency_s": args.latency,
        "cycle1_wall_s": round(wall1, 2),
        "cycle1_items_new": first["items_new"],  # type: ignore[dict-item]
        "cycle1_feeds_failed": first["feeds_failed"],  # type: ignore[dict-item]
        "cycle1_bytes_sent": wire1,
        "cycle2_bytes_sent": wire2,
        "cycle2_wall_s": round(wall2, 2),
        "cycle2_items_new": second["items_new"],  # type: ignore[dict-item]
        "cycle2_304_share": round(stats2["status_304"] / max(stats2["requests"], 1), 4),
        # Bytes on the wire from the server, headers included, second cycle over first.
        "cycle2_bytes_share": round(wire2 / max(wire1, 1), 4),
        "cycle1_elapsed_in_process_s": first["elapsed_seconds"],  # type: ignore[dict-item]
        "cycle2_elapsed_in_process_s": second["elapsed_seconds"],  # type: ignore[dict-item]
        "peak_rss_mb_with_workers": round(max(tree1, tree2), 1),
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
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--skip-cycle", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="warning-bench-") as tmp:
        work = Path(tmp)
        os.environ.setdefault("XDG_STATE_HOME", str(work / "state"))
        figures: dict[str, float] = {"cpus": os.cpu_count() or 0}
        figures |= ingest_bench(work)
        if not args.skip_cycle:
            figures |= cycle_bench(args, work)
    for key, value in figures.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
