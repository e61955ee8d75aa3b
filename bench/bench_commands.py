"""Benchmark of one-shot commands' wall time, process start included; prints figures.

    .venv/bin/python bench/bench_commands.py [--runs 7]

Each command runs as `python -m warning` from this checkout (never an installed copy,
which may be stale), against a configuration of its own: one feed on 127.0.0.1, and a
database that a first `poll --once` made (so the schema is current and the caches of
the gazetteer exist, as on a running installation). For each command it prints the
median wall time of ``--runs`` runs, the fastest and slowest, and the heavy libraries
it imported. Targets (issue 15): `warning feeds` <= 0.5 s, `warning score TEXT` <= 0.6 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.feedgen import make_rss, sample_items  # noqa: E402
from tests.feedserver import FeedServer  # noqa: E402

#: Libraries worth naming when a command imports them.
HEAVY = ("numpy", "sklearn", "scipy", "skops", "alembic", "slack_sdk", "feedparser", "httpx")

#: Runs the command, then writes the heavy libraries it imported to the file named
#: by WARNING_BENCH_MODULES (at exit, so the command's own exit status is kept).
WRAPPER = (
    "import atexit, json, os, runpy, sys\n"
    "def _report():\n"
    "    names = {m.split('.')[0] for m in list(sys.modules)}\n"
    "    with open(os.environ['WARNING_BENCH_MODULES'], 'w') as f:\n"
    f"        json.dump(sorted(names & set({HEAVY!r})), f)\n"
    "atexit.register(_report)\n"
    "sys.argv[0] = 'warning'\n"
    "runpy.run_module('warning', run_name='__main__', alter_sys=True)\n"
)

COMMANDS: dict[str, list[str]] = {
    "check": ["check"],
    "feeds": ["feeds"],
    "alerts list": ["alerts", "list"],
    "silence list": ["silence", "list"],
    "poll --once (nothing new)": ["poll", "--once"],
    "score TEXT": ["score", "Soldiers seized power in Bamako overnight, state TV said."],
}


def timed(args: list[str], modules: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO), "WARNING_BENCH_MODULES": str(modules)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args], env=env, capture_output=True, cwd=REPO
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{args} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="warning-bench-") as tmp, FeedServer() as server:
        work = Path(tmp)
        os.environ.setdefault("XDG_STATE_HOME", str(work / "state"))
        server.add("/feed.xml", make_rss(sample_items(20, seed=1)))
        config = work / "warning.yaml"
        config.write_text(
            f"database: sqlite:///{work / 'warning.db'}\n"
            f"feeds:\n  - name: wire\n    url: {server.url('/feed.xml')}\n"
        )
        base = ["--config", str(config), "--log-level", "error"]
        modules = work / "modules.json"
        timed([*base, "poll", "--once"], modules)  # the database, and the caches
        print(f"cpus: {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")
        for name, command in COMMANDS.items():
            walls = sorted(timed([*base, *command], modules) for _ in range(args.runs))
            heavy = json.loads(modules.read_text())
            print(
                f"{name:28} median {statistics.median(walls):.3f} s  "
                f"({walls[0]:.3f} - {walls[-1]:.3f}, {args.runs} runs)  "
                f"imports {', '.join(heavy) or 'none of ' + '/'.join(HEAVY[:4])}"
            )


if __name__ == "__main__":
    main()
