"""Benchmark of RSS parsing: bare feedparser, parse_feed through feedparser, parse_feed's fast path.

    .venv/bin/python bench/bench_parse.py [--repeat 7]

On the same bytes, prints items a second for

- ``feedparser.parse``, bare (its default settings, on a file object);
- ``parse_feed(..., fast=False)``: the feedparser path of warning/sources/rss.py, items
  normalised and capped — what every feed went through before the fast path;
- ``parse_feed(...)``: the expat fast path (warning/sources/fastfeed/) where it applies;

best of ``--repeat`` runs (the three interleaved in each run), the spread over the runs,
and the ratios. The workloads:

1. the real BBC and Le Monde feeds of ../shared/data/feeds/news, as published (90 items);
2. one feed of 6,000 headline+lede items whose text is those feeds' real titles and
   descriptions, with unique links, GUIDs and dates (shape of tests/feedgen.py);
3. one feed of 6,000 generated headline+lede items (tests/feedgen.py);
4. 200 generated feeds of 25 items, the per-feed shape of bench/bench_cycle.py.

1 and 2 are skipped when ../shared is absent. It also checks that both parse_feed paths
give equal results on every workload, and says which bodies the fast path accepted.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import feedparser  # noqa: E402

from tests.feedgen import make_rss, sample_items  # noqa: E402
from warning.sources.caps import CapOptions  # noqa: E402
from warning.sources.fastfeed import read_plain_feed  # noqa: E402
from warning.sources.rss import parse_feed  # noqa: E402

NEWS = REPO.parent / "shared" / "data" / "feeds" / "news"
BASE = "https://feeds.example.org/rss.xml"
#: Caps that keep every item of the 6,000-item feeds (the default keeps 2,000).
ALL_ITEMS = CapOptions(max_items=10_000)


def real_items() -> list[dict[str, object]]:
    """The real feeds' titles and descriptions, as feed-ready text (HTML kept)."""
    out: list[dict[str, object]] = []
    for path in sorted(NEWS.glob("*.xml")):
        for entry in feedparser.parse(io.BytesIO(path.read_bytes())).entries:
            out.append({"title": entry.get("title", ""), "description": entry.get("summary", "")})
    return out


def real_text_feed(n: int) -> bytes:
    texts = real_items()
    start = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    items = []
    for i in range(n):
        text = texts[i % len(texts)]
        items.append(
            {
                **text,
                "link": f"https://news.example.org/story/{i}?at_medium=RSS",
                "guid": f"https://news.example.org/story/{i}",
                "published": start + timedelta(minutes=7 * i),
            }
        )
    return make_rss(items, language="en-gb")


def workloads() -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = {}
    if NEWS.is_dir():
        out["real news feeds (4 files)"] = [p.read_bytes() for p in sorted(NEWS.glob("*.xml"))]
        out["real-text headline+lede, 6,000 items"] = [real_text_feed(6_000)]
    else:
        print(f"{NEWS} is absent: the real-text workloads are skipped")
    out["generated headline+lede, 6,000 items"] = [make_rss(sample_items(6_000, seed=6_000))]
    out["generated, 200 feeds x 25 items"] = [
        make_rss(sample_items(25, seed=10_000 + i, link_prefix=f"https://f{i}.example"))
        for i in range(200)
    ]
    return out


def bare(body: bytes) -> int:
    return len(feedparser.parse(io.BytesIO(body)).entries)


def old_path(body: bytes) -> int:
    return len(
        parse_feed(body, feed="b", outlet="b", base_url=BASE, caps=ALL_ITEMS, fast=False).items
    )


def new_path(body: bytes) -> int:
    return len(parse_feed(body, feed="b", outlet="b", base_url=BASE, caps=ALL_ITEMS).items)


PARSERS: dict[str, Callable[[bytes], int]] = {
    "feedparser.parse (bare)": bare,
    "parse_feed, feedparser path": old_path,
    "parse_feed, fast path": new_path,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    for name, bodies in workloads().items():
        accepted = sum(read_plain_feed(b) is not None for b in bodies)
        same = all(
            parse_feed(b, feed="b", outlet="b", base_url=BASE, caps=ALL_ITEMS)
            == parse_feed(b, feed="b", outlet="b", base_url=BASE, caps=ALL_ITEMS, fast=False)
            for b in bodies
        )
        size = sum(len(b) for b in bodies)
        print(
            f"\n{name}: {size / 1e6:.2f} MB; fast path accepted {accepted}/{len(bodies)}; "
            f"both parse_feed paths equal: {'yes' if same else 'NO'}"
        )
        rates: dict[str, list[float]] = {p: [] for p in PARSERS}
        for _ in range(args.repeat):
            for label, parse in PARSERS.items():
                start = time.perf_counter()
                items = sum(parse(b) for b in bodies)
                rates[label].append(items / (time.perf_counter() - start))
        best = {label: max(r) for label, r in rates.items()}
        for label, r in rates.items():
            print(
                f"  {label:30} best {best[label]:9,.0f} items/s   runs {min(r):,.0f}–{max(r):,.0f}"
                f" (median {statistics.median(r):,.0f})"
            )
        f, o, b = (
            best["parse_feed, fast path"],
            best["parse_feed, feedparser path"],
            best["feedparser.parse (bare)"],
        )
        print(
            f"  fast path / feedparser path {f / o:.1f}x; fast path / bare feedparser {f / b:.1f}x"
        )


if __name__ == "__main__":
    main()
