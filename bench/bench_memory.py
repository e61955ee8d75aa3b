"""Memory of the daemon and of each worker process, to size the unit's MemoryHigh=/MemoryMax=.

    .venv/bin/python bench/bench_memory.py [--feeds 1000] [--items 20] [--processes 2]
        [--mode run|once] [--cold] [--code DIR]

Serves ``--feeds`` generated feeds of ``--items`` headline-plus-lede stories on 127.0.0.1
and runs, against a fresh SQLite database, with every stage on (fetch, parse, geotag,
score, store, rules):

* ``--mode run`` (default): ``warning run``, the command the unit runs, with
  ``poll.processes`` workers. Waits until every feed has been polled once (counted on
  /metrics); the feeds are due again only in an hour, so the daemon is then idle. Prints
  each process idle after the cycle and the peaks of the whole run.
* ``--mode once``: ``warning poll --once`` over the same feeds, the first cycle of
  ``bench/bench_cycle.py``: the peaks of the process and its workers.

Each process is read from ``/proc``: resident memory (``VmRSS``), its kernel high-water
mark (``VmHWM``), and the proportional set size (``Pss`` of ``smaps_rollup``), which
counts a page shared by several processes once in all: a shared library, or the
gazetteer's memory-mapped file, which every worker maps. Summed PSS is the memory the
processes cost together; summed ``VmHWM`` counts each shared page once per process, so
it bounds that from above. PSS has no high-water mark: it is sampled every
``--sample`` seconds, and the peak of the sum over the samples is printed.

``--cold`` starts with no gazetteer cache (a new install's first start, or the first
after an upgrade: it is built then). ``--code DIR`` runs the program from another source
tree (a ``git archive`` of an older commit, for before/after figures); by default this
checkout, never an installed copy. Asserts nothing; not run by CI.
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
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.feedgen import make_rss, sample_items  # noqa: E402
from tests.feedserver import FeedServer  # noqa: E402


def proc_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of /proc/PID/status and Pss of smaps_rollup, in kB ({} once gone)."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1])
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    out["Pss"] = int(line.split()[1])
    except (OSError, ValueError):
        return {}
    return out if len(out) == 3 else {}


def children(pid: int) -> list[int]:
    """The process's worker processes and any builder child (not the resource tracker)."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.extend(int(c) for c in f.read().split())
    except OSError:
        return []
    out = []
    for p in found:
        try:
            if b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes():
                out.append(p)
        except OSError:
            continue
    return out


@dataclass
class Sampler:
    """Samples a process and its children until stopped; keeps the peaks."""

    pid: int
    every: float
    hwm: dict[int, int] = field(default_factory=dict)  # kB, per process
    pss_peak: dict[int, int] = field(default_factory=dict)  # kB, per process
    total_pss_peak: int = 0  # kB: the largest sum over one sample
    roles: dict[int, str] = field(default_factory=dict)  # read while the process lives
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> dict[int, dict[str, int]]:
        now = {}
        for p in [self.pid, *children(self.pid)]:
            kb = proc_kb(p)
            if kb:
                now[p] = kb
                if p not in self.roles:
                    self.roles[p] = role(p, self.pid)
                self.hwm[p] = max(self.hwm.get(p, 0), kb["VmHWM"])
                self.pss_peak[p] = max(self.pss_peak.get(p, 0), kb["Pss"])
        self.total_pss_peak = max(self.total_pss_peak, sum(kb["Pss"] for kb in now.values()))
        return now

    def run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self.run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def mb(kb: int) -> str:
    return f"{kb / 1024:.0f} MB"


def role(pid: int, daemon: int) -> str:
    """daemon, worker, or builder (the short-lived process that builds the gazetteer)."""
    if pid == daemon:
        return "daemon"
    try:
        builder = b"_build_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        builder = False
    return "builder" if builder else "worker"


def show(now: dict[int, dict[str, int]], daemon: int, title: str) -> None:
    print(title)
    for p, kb in now.items():
        who = role(p, daemon)
        print(f"  {who} pid {p}: rss {mb(kb['VmRSS'])}, pss {mb(kb['Pss'])}")
    rest = [kb for p, kb in now.items() if p != daemon]
    print(
        f"  all {len(now)} processes: rss {mb(sum(kb['VmRSS'] for kb in now.values()))}, "
        f"pss {mb(sum(kb['Pss'] for kb in now.values()))}"
        + (f" (workers: pss {mb(sum(kb['Pss'] for kb in rest))})" if rest else "")
    )


def peaks(s: Sampler, daemon: int) -> None:
    print("peaks over the run")
    for p in s.hwm:
        who = s.roles.get(p, "worker")
        print(f"  {who} pid {p}: VmHWM {mb(s.hwm[p])}, sampled pss {mb(s.pss_peak[p])}")
    print(
        f"  summed: VmHWM {mb(sum(s.hwm.values()))}, "
        f"sampled pss of all processes at once {mb(s.total_pss_peak)}"
    )


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
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--mode", choices=("run", "once"), default="run")
    parser.add_argument("--settle", type=float, default=15.0, help="idle seconds after the cycle")
    parser.add_argument("--sample", type=float, default=0.2, help="seconds between samples")
    parser.add_argument("--cold", action="store_true", help="start with no gazetteer cache")
    parser.add_argument("--code", type=Path, default=REPO, help="source tree to run")
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
            lines += [f"  - name: f{i}", f"    url: {server.url(f'/f{i}.xml')}", "    every: 1h"]
        (work / "warning.yaml").write_text("\n".join(lines) + "\n")
        env = {
            **os.environ,
            "CACHE_DIRECTORY": str(work / "cache"),
            "HOME": str(work),
            "PYTHONPATH": str(args.code.resolve()),
        }
        cmd = [sys.executable, "-m", "warning", "--config", str(work / "warning.yaml")]
        cmd += ["--log-level", "error"]
        if not args.cold:  # the usual start: the cache was built by an earlier one
            subprocess.run(
                [*cmd, "score", "Bamako"], env=env, cwd=work, check=True, capture_output=True
            )
        if args.mode == "once":
            proc = subprocess.Popen([*cmd, "poll", "--once"], cwd=work, env=env)
            with Sampler(proc.pid, args.sample) as sampler:
                start = time.monotonic()
                proc.wait()
            print(f"poll --once: {time.monotonic() - start:.1f} s, exit {proc.returncode}")
            peaks(sampler, proc.pid)
            return
        proc = subprocess.Popen([*cmd, "run"], cwd=work, env=env)
        try:
            with Sampler(proc.pid, args.sample) as sampler:
                time.sleep(3)
                show(sampler.sample(), proc.pid, "started (the first cycle under way)")
                deadline = time.monotonic() + 600
                while polls_done(port) < args.feeds and time.monotonic() < deadline:
                    time.sleep(0.5)
                print(f"first cycle: {polls_done(port)} polls")
                time.sleep(args.settle)
                show(sampler.sample(), proc.pid, f"idle, {args.settle:g} s after the cycle")
            peaks(sampler, proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)


if __name__ == "__main__":
    main()
