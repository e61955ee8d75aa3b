"""Memory of the daemon and of each worker process, to size the unit's MemoryMax=.

    .venv/bin/python bench/bench_memory.py [--feeds 300] [--items 20] [--processes 4]

Starts `warning run` (the command the unit runs) with ``poll.processes`` workers
over feeds served on 127.0.0.1, waits until every feed has been polled once
(counted on /metrics), lets the next polls run, then prints each process's
resident memory now (VmRSS) and at its peak (VmHWM), and the sizing the
operations guide derives from them: daemon + workers x per-worker. Asserts
nothing; not run by CI.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.feedgen import make_rss, sample_items  # noqa: E402
from tests.feedserver import FeedServer  # noqa: E402


def status_kb(pid: int, field: str) -> int:
    """One ``kB`` field of /proc/PID/status (VmRSS, VmHWM); 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def workers(pid: int) -> list[int]:
    """The daemon's worker processes (not multiprocessing's resource tracker)."""
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found.extend(int(c) for c in f.read().split())
    return [p for p in found if b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()]


def polls_done(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            body = r.read().decode()
    except OSError:
        return 0
    return int(
        sum(float(v) for v in re.findall(r"^warning_polls_total\{[^}]*\} (\S+)$", body, re.M))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--settle", type=float, default=20.0, help="seconds after the first cycle")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="start with no gazetteer cache (a new install's first start: the daemon builds it)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FeedServer() as server:
        work = Path(tmp)
        for i in range(args.feeds):
            items = sample_items(args.items, seed=i, link_prefix=f"https://o{i % 50}.example/{i}")
            server.add(f"/f{i}.xml", make_rss(items, title=f"Feed {i}"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        lines = [
            f"database: sqlite:///{work / 'w.db'}",
            f"health: {{listen: '127.0.0.1:{port}'}}",
            f"poll: {{processes: {args.processes}}}",
            "feeds:",
        ]
        for i in range(args.feeds):
            lines += [f"  - name: f{i}", f"    url: {server.url(f'/f{i}.xml')}", "    every: 1m"]
        (work / "warning.yaml").write_text("\n".join(lines) + "\n")
        env = {**os.environ, "CACHE_DIRECTORY": str(work / "cache"), "HOME": str(work)}
        if not args.cold:  # the usual start: the cache was built by an earlier one
            subprocess.run(
                [sys.executable, "-m", "warning", "score", "Bamako"],
                env=env,
                cwd=work,
                check=True,
                capture_output=True,
            )
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "warning",
                "--config",
                str(work / "warning.yaml"),
                "--log-level",
                "error",
                "run",
            ],
            cwd=work,
            env=env,
        )
        try:
            deadline = time.monotonic() + 600
            while polls_done(port) < args.feeds and time.monotonic() < deadline:
                time.sleep(1)
            print(f"first cycle: {polls_done(port)} polls")
            time.sleep(args.settle)
            pool = workers(proc.pid)
            daemon_rss, daemon_hwm = status_kb(proc.pid, "VmRSS"), status_kb(proc.pid, "VmHWM")
            print(
                f"daemon pid {proc.pid}: rss {daemon_rss / 1024:.0f} MB, "
                f"peak {daemon_hwm / 1024:.0f} MB"
            )
            peaks = []
            for pid in pool:
                rss, hwm = status_kb(pid, "VmRSS"), status_kb(pid, "VmHWM")
                peaks.append(hwm)
                print(f"worker pid {pid}: rss {rss / 1024:.0f} MB, peak {hwm / 1024:.0f} MB")
            if peaks:
                per = max(peaks) / 1024
                total = daemon_hwm / 1024 + len(peaks) * per
                print(f"daemon + {len(peaks)} x {per:.0f} MB = {total:.0f} MB at the peaks")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)


if __name__ == "__main__":
    main()
