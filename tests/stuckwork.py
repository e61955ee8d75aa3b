"""Tasks that hang in C code, holding the GIL, for the worker-deadline tests; and
helpers that watch processes through /proc.

Workers are spawned, so what they run must be importable: these live here. The
hang is a catastrophically backtracking regex, which never releases the GIL nor
looks at signals, like the parser blow-ups hostile feeds are built to cause.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from warning.records import FetchResult, ParseResult
from warning.sources import REGISTRY
from warning.sources.rss import RssSource

#: Workers of the hanging source write their pid here (a file per worker), when set.
PID_DIR_ENV = "WARNING_TEST_STUCK_DIR"


def hang_in_c() -> None:
    """Runs for hours inside one re.match call: (a*)* on 40 a's tries 2**40 splits."""
    re.match(r"(a*)*b", "a" * 40)


def note_pid_then_hang(path: str) -> None:
    Path(path).write_text(str(os.getpid()))
    hang_in_c()


def init_nothing() -> None:
    pass


def process_gone(pid: int) -> bool:
    """No such process, or only its zombie (nobody may reap it in a container)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] == "Z"
    except FileNotFoundError:
        return True


def children_of(pid: int) -> list[int]:
    """The live processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue  # ended meanwhile
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


class HangingSource(RssSource):
    """An RSS feed whose parse never finishes: the body is fetched for real, then hangs."""

    kind = "hang"

    def parse(self, fetched: FetchResult) -> ParseResult:
        where = os.environ.get(PID_DIR_ENV)
        if where:
            Path(where, f"worker-{os.getpid()}").write_text(str(os.getpid()))
        hang_in_c()
        raise AssertionError("unreachable")


def run_daemon(argv: list[str]) -> int:
    """``warning ARGV`` with the ``hang`` source kind registered, for a subprocess run
    with ``-c`` (see tests/test_daemon.py), not ``-m``: under ``-m`` this module would be
    ``__main__``, and workers could not unpickle its class by that name."""
    from warning.cli import main

    REGISTRY[HangingSource.kind] = HangingSource
    return main(argv)
