"""Compression bombs for tests, and a child process that fetches one under a memory limit.

The bombs are built from a generator, so a test never holds what they inflate to:
a 2 GiB bomb costs a few kilobytes and a few milliseconds. After a full flush,
deflate codes each 1 MiB block of zeros the same way, so one coded block is
repeated; the trailer's checksum is that of the blocks actually compressed, which
no decoder reaches before the bomb has done its work.

A fetch of a bomb runs in a child process (``python -m tests.bombs MODE URL``) with
its address space limited to :data:`ADDRESS_SPACE`: a decoder that is not bounded
dies there with a MemoryError instead of taking the test machine down.
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import subprocess
import sys
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

GIB = 1 << 30
#: The child's RLIMIT_AS: the daemon's unit has MemoryMax=1G.
ADDRESS_SPACE = GIB
#: The body cap the child fetches with.
CAP = 1 << 20
#: zlib window bits of each coding: gzip, zlib-wrapped deflate, raw deflate.
WBITS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS, "raw-deflate": -zlib.MAX_WBITS}
_BLOCK = 1 << 20


def compressed(chunks: Iterable[bytes], coding: str) -> Iterator[bytes]:
    """``chunks`` compressed with ``coding`` (a key of :data:`WBITS`), as they stream."""
    packer = zlib.compressobj(9, zlib.DEFLATED, WBITS[coding])
    for chunk in chunks:
        out = packer.compress(chunk)
        if out:
            yield out
    yield packer.flush()


def stacked(body: bytes, codings: list[str]) -> bytes:
    """``body`` compressed with each of ``codings`` in turn (an honest layered body)."""
    for coding in codings:
        body = b"".join(compressed([body], coding))
    return body


def zeros(size: int, coding: str) -> Iterator[bytes]:
    """``size`` zero bytes (a multiple of 1 MiB, at least 2 MiB) compressed with ``coding``."""
    block = bytes(_BLOCK)
    packer = zlib.compressobj(9, zlib.DEFLATED, WBITS[coding])
    yield packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    yield from itertools.repeat(again, size // _BLOCK - 1)
    yield packer.flush()


def bomb(size: int, codings: list[str]) -> bytes:
    """``size`` zero bytes under ``codings``, listed in the order applied (as in the header)."""
    stream = zeros(size, codings[0])
    for coding in codings[1:]:
        stream = compressed(stream, coding)
    return b"".join(stream)


def fetch_in_child(mode: str, url: str, warm_url: str) -> dict[str, Any]:
    """Run :func:`main` in a child under the address-space limit; its JSON report.

    ``mode`` is ``fetch`` (the shared Fetcher) or ``acled`` (the ACLED API client);
    ``warm_url`` is fetched first, so imports and pools are not counted as growth.
    """
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.bombs", mode, url, warm_url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env=env,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, (done.returncode, done.stdout, done.stderr)
    report: dict[str, Any] = json.loads(lines[-1])
    return report


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    """Child: fetch ``url`` after ``warm_url`` under RLIMIT_AS; print outcome and growth."""
    mode, url, warm_url = argv
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    from datetime import timedelta

    from warning.records import FeedState
    from warning.settings import Secret
    from warning.sources.acled import AcledOptions, AcledSource
    from warning.sources.base import Feed
    from warning.sources.http import Fetcher, FetchLimits

    def fetch(fetcher: Fetcher, target: str) -> None:
        if mode == "fetch":
            fetcher.fetch(target)
            return
        options = AcledOptions(email=Secret("desk@example.org"), key=Secret("k"), deletions=False)
        feed = Feed("acled", "acled", target, timedelta(hours=6), "acled", "en", options)
        AcledSource(feed).fetch(fetcher, FeedState("acled"))

    with Fetcher(FetchLimits(max_bytes=CAP), concurrency=1) as fetcher:
        try:
            fetch(fetcher, warm_url)
        except Exception as exc:  # a warm-up failure is reported, not fatal
            print(f"warm-up failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        before = _maxrss_mb()
        try:
            fetch(fetcher, url)
            outcome = "ok"
        except BaseException as exc:  # a MemoryError is what an unbounded decoder gives
            outcome = f"{type(exc).__name__}: {exc}"
        grew = _maxrss_mb() - before
    print(json.dumps({"outcome": outcome, "grew_mb": round(grew, 1)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
