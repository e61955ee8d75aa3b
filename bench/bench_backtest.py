"""Benchmark of a backtest over a million stored, scored items; prints figures.

    .venv/bin/python bench/bench_backtest.py [--items 1000000] [--days 90] [--step 5m]
                                             [--database URL] [--keep]

Fills a fresh SQLite database (in a temporary directory unless ``--database`` names
another) with ``--items`` items over ``--days`` days from 200 outlets about 60
countries, the way the daemon stores them: a sighting, a country score and the four
label scores per item, about 9% of items above some label's threshold, a fifth of
them wire copies of another outlet's story, and places in the coastal-north band for
items about CI, GH, TG and BJ. Rows are inserted in bulk (the daemon's own write path
would take far longer to fill and is measured by bench_cycle.py). Then it times what
``warning backtest`` does with the bundled default rules: loading the evidence, then
simulating every step, and reports peak memory.

The issue's target: a backtest over 1,000,000 stored scored items in at most 60 s.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from warning import config, resources  # noqa: E402
from warning.backtest import StoredHistory, simulate  # noqa: E402
from warning.settings import parse_duration  # noqa: E402
from warning.store import open_store  # noqa: E402
from warning.store.tables import (  # noqa: E402
    feeds,
    item_countries,
    item_places,
    item_scores,
    items,
    sightings,
)

LABELS = ("coup", "election_dispute", "attack", "unrest")
COUNTRIES = [
    "ML", "BF", "NE", "TD", "GN", "SN", "MR", "CI", "GH", "TG", "BJ", "NG", "CM", "CF",
    "SD", "SS", "ET", "SO", "KE", "CD", "LY", "TN", "DZ", "MA", "EG", "FR", "US", "GB",
    "DE", "UA", "RU", "TR", "IR", "IQ", "SY", "LB", "IL", "PS", "YE", "SA", "AF", "PK",
    "IN", "BD", "MM", "TH", "PH", "ID", "CN", "JP", "BR", "VE", "CO", "PE", "MX", "HT",
    "ZW", "MZ", "UG", "RW",
]  # fmt: skip
# Places in the coastal-north band (CI/GH/TG/BJ near BF), from GeoNames.
BAND = {
    "CI": ("Kafolo", 9.6, -4.32),
    "GH": ("Bawku", 11.06, -0.24),
    "TG": ("Dapaong", 10.86, 0.21),
    "BJ": ("Tanguieta", 10.62, 1.27),
}
WORDS = [
    "army",
    "road",
    "market",
    "court",
    "rain",
    "school",
    "port",
    "strike",
    "vote",
    "border",
    "power",
    "fuel",
]
CHUNK = 20_000


def fill(url: str, total: int, days: int, start: datetime, rng: random.Random) -> Counter[str]:
    """Insert ``total`` items with their rows in bulk; returns items above, per label."""
    above: Counter[str] = Counter()
    outlets = [f"outlet-{n}" for n in range(200)]
    with open_store(url) as store:
        store.sync_feeds((o, "rss", f"https://{o}.example.org/rss", o) for o in outlets)
        engine = store.db.engine  # bulk rows, bypassing the per-poll write path
        with engine.begin() as conn:
            ids = {r.name: r.id for r in conn.execute(feeds.select())}
        span = days * 86400
        recent: list[str] = []
        for first in range(0, total, CHUNK):
            rows_i, rows_s, rows_c, rows_p, rows_sc = [], [], [], [], []
            for n in range(first, min(first + CHUNK, total)):
                seen = start + timedelta(seconds=span * n / total + rng.uniform(0, 60))
                outlet = rng.choice(outlets)
                country = rng.choice(COUNTRIES)
                if recent and rng.random() < 0.2:
                    title = rng.choice(recent[-50:])  # a wire copy of a recent story
                else:
                    words = " ".join(rng.choice(WORDS) for _ in range(7))
                    title = f"{country} {words} {n}"
                    recent.append(title)
                rows_i.append(
                    {
                        "id": n + 1,
                        "guid_key": f"b{n}",
                        "url_key": f"b{n}",
                        "content_hash": f"b{n}",
                        "title": title,
                        "summary": "",
                        "link": f"https://{outlet}.example.org/{n}",
                        "published": seen,
                        "first_seen": seen,
                        "lang": "en",
                        "feed_id": ids[outlet],
                        "outlet": outlet,
                        "tags": "",
                    }
                )
                rows_s.append(
                    {"item_id": n + 1, "feed_id": ids[outlet], "outlet": outlet, "seen_at": seen}
                )
                rows_c.append({"item_id": n + 1, "code": country, "score": 0.9, "rank": 0})
                if country in BAND:
                    name, lat, lon = BAND[country]
                    rows_p.append(
                        {
                            "item_id": n + 1,
                            "name": name,
                            "country": country,
                            "kind": "city",
                            "admin1": None,
                            "lat": lat,
                            "lon": lon,
                            "in_title": True,
                        }
                    )
                for label in LABELS:
                    p = rng.random() ** 12  # mostly near 0; about 2.3% per label above 0.76
                    hit = p > 0.76
                    above[label] += hit
                    rows_sc.append(
                        {
                            "item_id": n + 1,
                            "label": label,
                            "probability": p,
                            "above": hit,
                            "terms": "term" if hit else "",
                            "model": "bench",
                        }
                    )
            del recent[:-100]
            with engine.begin() as conn:
                conn.execute(items.insert(), rows_i)
                conn.execute(sightings.insert(), rows_s)
                conn.execute(item_countries.insert(), rows_c)
                if rows_p:
                    conn.execute(item_places.insert(), rows_p)
                conn.execute(item_scores.insert(), rows_sc)
    return above


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--step", default="5m")
    parser.add_argument("--database", help="fill this (new) database instead of a temporary one")
    parser.add_argument("--keep", action="store_true", help="with --database: reuse it as filled")
    args = parser.parse_args()
    step = parse_duration(args.step)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database or f"sqlite:///{Path(scratch) / 'bench.db'}"
        if not args.keep:
            began = time.perf_counter()
            above = fill(url, args.items, args.days, start, rng)
            print(
                f"filled {args.items:,} items over {args.days} days in "
                f"{time.perf_counter() - began:.1f} s; above a threshold: {dict(above)}"
            )
        settings = config.load(resources.bundled_config())
        rules = settings.rules.active
        with open_store(url, migrate=False) as store:
            first, last = store.alerts.watching_since(), store.alerts.last_seen()
            assert first is not None and last is not None
            began = time.perf_counter()
            history = StoredHistory(store, rules, settings.zones, first, last)
            loaded = time.perf_counter() - began
            began = time.perf_counter()
            outcomes = simulate(rules, history, first, last, step, settings.rules.digest)
            simulated = time.perf_counter() - began
        steps = int((last - first) / step) + 1
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        decisions = Counter(o.decision for o in outcomes)
        print(f"rules: {', '.join(r.name for r in rules)}")
        print(f"evidence loaded: {history.items:,} items above a threshold in {loaded:.1f} s")
        print(
            f"simulated {steps:,} steps of {args.step} in {simulated:.1f} s: "
            f"{len(outcomes):,} decisions {dict(decisions)}"
        )
        print(
            f"backtest total: {loaded + simulated:.1f} s (target <= 60 s); "
            f"peak memory {peak:.0f} MB"
        )


if __name__ == "__main__":
    main()
