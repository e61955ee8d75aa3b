"""Benchmark of the gdelt-events source; prints figures, asserts nothing.

    .venv/bin/python bench/bench_gdelt.py [--files 96] [--repeat 7]

Measures, on this machine:
1. one 15-minute export, zipped as GDELT publishes it, unzipped, parsed and stored with
   Store.record_poll into a fresh SQLite database (target: at most 0.5 s for ~2,000 rows);
2. a day of exports (96 files) backfilled one after the other into one fresh database, each
   through the source's own fetch (file://) and pipeline.ingest, as a poll would (target: at
   most 60 s).
The export is the real one of ../shared/data/gdelt (2,111 rows) when present, else 2,000
rows made from the test fixtures. The day's files are that export with its GLOBALEVENTIDs
shifted by 10,000,000 per file and DATEADDED by 15 minutes, so no two files share an event.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from warning import pipeline  # noqa: E402
from warning.geo import gazetteer  # noqa: E402
from warning.records import FeedState, FetchResult  # noqa: E402
from warning.sources.base import Feed  # noqa: E402
from warning.sources.gdelt import EventsOptions, GdeltEventsSource  # noqa: E402
from warning.sources.http import Fetcher  # noqa: E402
from warning.store import open_store  # noqa: E402

REAL = REPO.parent / "shared" / "data" / "gdelt" / "20191024143000.export.CSV"
FIXTURE = REPO / "tests" / "fixtures" / "gdelt" / "20201024143000.export.CSV"
START = datetime(2019, 10, 24, 0, 0, tzinfo=UTC)


def base_rows() -> tuple[list[list[str]], str]:
    if REAL.exists():
        lines = REAL.read_text("utf-8").splitlines()
        return [line.split("\t") for line in lines], f"{REAL.name} (real, {len(lines):,} rows)"
    templates = [line.split("\t") for line in FIXTURE.read_text("utf-8").splitlines()]
    rows = []
    for n in range(2000):
        row = list(templates[n % len(templates)])
        row[0] = str(1_000_000_000 + n)
        rows.append(row)
    return rows, f"synthetic from {FIXTURE.name} (2,000 rows; absent: {REAL})"


def export(rows: list[list[str]], k: int) -> bytes:
    """File k of the day: ids shifted by k × 10,000,000, DATEADDED by k × 15 minutes."""
    added = (START + timedelta(minutes=15 * k)).strftime("%Y%m%d%H%M%S")
    out = []
    for row in rows:
        shifted = list(row)
        shifted[0] = str(int(row[0]) + k * 10_000_000)
        shifted[59] = added
        out.append("\t".join(shifted))
    data = ("\n".join(out) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{added}.export.CSV", data)
    return buffer.getvalue()


def source(url: str) -> GdeltEventsSource:
    feed = Feed("gdelt", "gdelt-events", url, timedelta(minutes=15), "gdelt", None, EventsOptions())
    return GdeltEventsSource(feed)


def one_export(body: bytes, work: Path, repeat: int) -> None:
    src = source("file:///bench.export.CSV.zip")
    fetched = FetchResult("ok", url=src.feed.url, final_url=src.feed.url, body=body)
    totals, parses, stores = [], [], []
    kept = 0
    for n in range(repeat):
        store = open_store(f"sqlite:///{work / f'one-{n}.db'}")
        try:
            started = time.perf_counter()
            parsed = src.parse(fetched)
            parsed_at = time.perf_counter()
            new, _ = store.record_poll(
                "gdelt",
                FeedState("gdelt"),
                parsed.items,
                datetime.now(UTC),
                list(parsed.assessments),
            )
            done = time.perf_counter()
        finally:
            store.close()
        kept = new
        parses.append(parsed_at - started)
        stores.append(done - parsed_at)
        totals.append(done - started)
    print(f"1. one export, {len(body):,} bytes zipped: {kept} events kept and stored")
    print(f"   unzip + parse: median {statistics.median(parses):.3f} s")
    print(f"   record_poll:   median {statistics.median(stores):.3f} s")
    print(
        f"   total:         median {statistics.median(totals):.3f} s, "
        f"max {max(totals):.3f} s over {repeat} runs (target <= 0.5 s)"
    )


def one_day(rows: list[list[str]], work: Path, files: int) -> None:
    folder = work / "day"
    folder.mkdir()
    paths = []
    for k in range(files):
        path = folder / f"{k:03d}.export.CSV.zip"
        path.write_bytes(export(rows, k))
        paths.append(path)
    store = open_store(f"sqlite:///{work / 'day.db'}")
    # Events bring their own assessment, so ingest loads neither the gazetteer nor the
    # model; the warm-up is kept so the figures compare with runs that did.
    started = time.perf_counter()
    gazetteer.load()
    warm = time.perf_counter() - started
    new_total = rows_total = 0
    slowest = 0.0
    started = time.perf_counter()
    try:
        with Fetcher() as fetcher:
            for k, path in enumerate(paths):
                src = source(path.as_uri())
                state = store.feed_state("gdelt")
                t0 = time.perf_counter()
                fetched = src.fetch(fetcher, state)
                now = START + timedelta(minutes=15 * k + 1)
                ok = FeedState("gdelt", etag=fetched.etag, last_modified=fetched.last_modified)
                new, _, _ = pipeline.ingest(src, fetched, ok, now, store)
                slowest = max(slowest, time.perf_counter() - t0)
                new_total += new
                rows_total += len(rows)
        elapsed = time.perf_counter() - started
        stored = store.count_items()
    finally:
        store.close()
    size = (work / "day.db").stat().st_size
    print(f"2. a day: {files} exports, {rows_total:,} rows -> {new_total:,} events stored")
    print(
        f"   backfill: {elapsed:.1f} s ({rows_total / elapsed:,.0f} rows/s; slowest file "
        f"{slowest:.3f} s; target <= 60 s)"
    )
    print(f"   items in the database: {stored:,}; SQLite file {size / 1e6:.1f} MB")
    print(f"   one-time per process, not counted: gazetteer load {warm:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=96)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rows, what = base_rows()
    print(f"input: {what}")
    with tempfile.TemporaryDirectory(prefix="bench-gdelt-") as tmp:
        work = Path(tmp)
        one_export(export(rows, 0), work, args.repeat)
        one_day(rows, work, args.files)


if __name__ == "__main__":
    main()
