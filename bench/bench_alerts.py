"""Benchmark of one alert cycle over a month of stored, scored items; prints figures.

    .venv/bin/python bench/bench_alerts.py [--items 100000] [--days 30] [--database URL]

The daemon evaluates every rule every 30 s, so one evaluation must stay far below
that on a realistic store. This fills a fresh database (SQLite in a temporary
directory unless ``--database`` names another) with ``--items`` items spread over
``--days`` days from 200 outlets about 60 countries, each with a geotag and label
scores drawn so that about 4% carry a label above its threshold (roughly what the
bundled feeds show), then times ``Pipeline.evaluate`` with the bundled default
rules: first run (alerts opened), second run (steady state), each rule's signals
on its own, and peak memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from warning import config  # noqa: E402
from warning.classify import LABELS  # noqa: E402
from warning.pipeline import Pipeline  # noqa: E402
from warning.records import (  # noqa: E402
    Assessment,
    CountryScore,
    FeedState,
    GeoTag,
    Item,
    LabelScore,
    Place,
)
from warning.store import open_store  # noqa: E402
from warning.workers import WorkerPool  # noqa: E402

COUNTRIES = [
    "ML", "BF", "NE", "TD", "GN", "SN", "MR", "CI", "GH", "TG", "BJ", "NG", "CM", "SD",
    "ET", "KE", "SO", "CD", "CF", "LY", "EG", "TN", "DZ", "MA", "FR", "GB", "US", "UA",
    "RU", "IL", "PS", "LB", "SY", "IQ", "IR", "AF", "PK", "IN", "BD", "MM", "TH", "PH",
    "ID", "CN", "JP", "KR", "BR", "AR", "CO", "VE", "MX", "HT", "PE", "BO", "EC", "ZA",
    "ZW", "MZ", "UG", "RW",
]  # fmt: skip
# A few places in the coastal-north band (CI/GH/TG/BJ near BF), from GeoNames.
BAND = [
    Place("Kafolo", "CI", "city", None, 9.6, -4.32),
    Place("Bawku", "GH", "city", None, 11.06, -0.24),
    Place("Dapaong", "TG", "city", None, 10.86, 0.21),
    Place("Tanguieta", "BJ", "city", None, 10.62, 1.27),
]


def fill(store: object, items: int, days: int, now: datetime, rng: random.Random) -> float:
    """Store ``items`` synthetic scored items; returns the seconds it took."""
    started = time.perf_counter()
    outlets = [f"outlet-{n}" for n in range(200)]
    store.sync_feeds((o, "rss", f"https://{o}.example.org/rss", o) for o in outlets)  # type: ignore[attr-defined]
    batch = 50  # one poll of one feed
    for start in range(0, items, batch):
        outlet = rng.choice(outlets)
        seen = now - timedelta(seconds=rng.uniform(0, days * 86400))
        rows, assessments = [], []
        for n in range(start, min(start + batch, items)):
            country = rng.choice(COUNTRIES[:12] if rng.random() < 0.5 else COUNTRIES)
            key = f"bench-{n}"
            rows.append(
                Item(
                    outlet,
                    outlet,
                    f"Story {n} about {country} {rng.random():.6f}",
                    "",
                    f"https://{outlet}.example.org/{n}",
                    seen,
                    "en",
                    key,
                    key,
                    key,
                )
            )
            places = (rng.choice(BAND),) if country in ("CI", "GH", "TG", "BJ") else ()
            scores = []
            for label in LABELS:
                p = rng.random() ** 12  # mostly near 0; about 4% above 0.76
                scores.append(LabelScore(label, p, p > 0.76, ("term",) if p > 0.76 else ()))
            assessments.append(
                Assessment(GeoTag((CountryScore(country, 0.9),), places), tuple(scores), "bench")
            )
        store.record_poll(outlet, FeedState(outlet), rows, seen, assessments)  # type: ignore[attr-defined]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--database", help="SQLAlchemy URL (default: SQLite in a temp dir)")
    args = parser.parse_args()
    rng = random.Random(2020)
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/bench.db"
        settings = config.load(config.resources.bundled_config())
        store = open_store(url)
        took = fill(store, args.items, args.days, now, rng)
        print(f"stored {args.items:,} scored items over {args.days} days in {took:.1f} s")
        pipeline = Pipeline(settings, store, None, WorkerPool(0, lambda: None))  # type: ignore[arg-type]
        for rule in settings.rules.active:
            t = time.perf_counter()
            signals = pipeline.signals(rule, now, {})
            print(
                f"  rule {rule.name:<22} {len(signals):>4} signals "
                f"in {time.perf_counter() - t:.3f} s"
            )
        for run in ("first", "second"):
            t = time.perf_counter()
            decided = pipeline.evaluate(now)
            print(
                f"evaluate ({run} run): {time.perf_counter() - t:.2f} s, {len(decided)} decisions"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory {peak:.0f} MB")
        store.close()


if __name__ == "__main__":
    main()
