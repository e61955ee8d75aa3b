"""Benchmark of alert cycles over stored, scored items; prints figures.

    .venv/bin/python bench/bench_alerts.py [--items 10000] [--days 1] [--countries 50]
                                           [--database URL]

The daemon evaluates every rule every 30 s, so one evaluation must stay far below
that on a realistic store. This fills a fresh database (SQLite in a temporary
directory unless ``--database`` names another) with ``--items`` items spread over
``--days`` days from 200 outlets about 60 countries, each with a geotag and label
scores drawn so that about 4% carry a label above its threshold (roughly what the
bundled feeds show), then times ``Pipeline.evaluate`` with the bundled default
rules: first run (alerts opened), second run (steady state), each rule's signals
on its own, and peak memory. Then the latency the desk sees: a coup report is
stored and an alert cycle runs with Slack pointed at a local server
(tests/slackserver.py); the time from the item's commit to Slack's answer.

The issue's target: 10,000 new items across 50 countries evaluated in at most 2 s,
and at most 1 s from an item being stored to its Slack request within a cycle.
"""

from __future__ import annotations

import argparse
import logging
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.slackserver import SlackServer  # noqa: E402
from warning import config  # noqa: E402
from warning.classify import LABELS  # noqa: E402
from warning.config import Settings  # noqa: E402
from warning.notify import Notifiers, NotifySettings  # noqa: E402
from warning.notify.slack import SlackOptions  # noqa: E402
from warning.pipeline import Pipeline  # noqa: E402
from warning.pipeline.workers import WorkerPool  # noqa: E402
from warning.records import (  # noqa: E402
    Assessment,
    CountryScore,
    FeedState,
    GeoTag,
    Item,
    LabelScore,
    Place,
)
from warning.settings import Secret  # noqa: E402
from warning.store import Store, open_store  # noqa: E402

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


def fill(
    store: object, items: int, days: int, countries: int, now: datetime, rng: random.Random
) -> float:
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
            country = rng.choice(COUNTRIES[:countries])
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
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--countries", type=int, default=50, choices=range(12, len(COUNTRIES) + 1))
    parser.add_argument("--database", help="SQLAlchemy URL (default: SQLite in a temp dir)")
    args = parser.parse_args()
    rng = random.Random(2020)
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/bench.db"
        settings = config.load(config.resources.bundled_config())
        store = open_store(url)
        took = fill(store, args.items, args.days, args.countries, now, rng)
        print(
            f"stored {args.items:,} scored items about {args.countries} countries "
            f"over {args.days} days in {took:.1f} s"
        )
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
        logging.disable(logging.WARNING)  # the log notifier would print every alert
        pipeline.alert_cycle(now)  # what is pending goes to the log, not to the Slack below
        latency(settings, store, now + timedelta(minutes=1))
        store.close()


def latency(settings: Settings, store: Store, now: datetime) -> None:
    """From a coup report's commit to Slack's answer, through one alert cycle."""
    with SlackServer() as slack:
        notify = NotifySettings(
            {"slack": SlackOptions(Secret("xoxb-bench"), "#desk", slack.base_url)}
        )
        notifiers = Notifiers(notify)
        pipeline = Pipeline(settings, store, None, WorkerPool(0, lambda: None), notifiers)  # type: ignore[arg-type]
        times = []
        # Countries the filled store never mentions: each report opens a new alert.
        for n, country in enumerate(("IS", "NZ", "UY")):
            outlet = f"latency-{n}"
            store.sync_feeds([(outlet, "rss", f"https://{outlet}.example.org/", outlet)])
            key = f"latency-{n}"
            coup = Item(
                outlet,
                outlet,
                f"Soldiers seize power in {country}",
                "",
                None,
                now,
                "en",
                key,
                key,
                key,
            )
            scores = tuple(
                LabelScore(label, 0.99 if label == "coup" else 0.0, label == "coup")
                for label in LABELS
            )
            assessed = Assessment(GeoTag((CountryScore(country, 0.95),)), scores, "bench")
            store.record_poll(outlet, FeedState(outlet), [coup], now, [assessed])
            stored = time.perf_counter()
            decided, report = pipeline.alert_cycle(now)
            times.append(time.perf_counter() - stored)
            assert any(country in (m.text or "") for m in slack.posted()), (decided, report)
            now += timedelta(minutes=1)
        notifiers.close()
    print(
        "stored -> Slack answered, within one alert cycle: "
        + ", ".join(f"{t:.2f} s" for t in times)
        + " (target <= 1 s)"
    )


if __name__ == "__main__":
    main()
