"""Situation page timings on a database of 100,000 items (docs/performance.md).

Fills a SQLite file with N items over 60 days (countries, places, four label scores each,
one sighting), a few hundred alerts with events and deliveries, through the store's
Database in bulk; then times each page through the real HTTP server, median of 5 runs.

    .venv/bin/python bench/bench_web.py [--items 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warning.store import open_store
from warning.store.tables import (
    alert_events,
    alerts,
    deliveries,
    feeds,
    item_countries,
    item_places,
    item_scores,
    items,
    sightings,
)
from warning.web.server import WebServer, open_site

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
COUNTRIES = ["ML", "BF", "NE", "TD", "GN", "SN", "MR", "CI", "GH", "TG", "BJ", "NG", "CM", "SD"]
LABELS = ["coup", "election_dispute", "attack", "unrest"]
WORDS = [
    "army",
    "attack",
    "village",
    "jihadists",
    "protest",
    "vote",
    "palace",
    "soldiers",
    "gunmen",
    "convoy",
    "border",
]


def fill(url: str, n: int, rng: random.Random) -> None:
    store = open_store(url)
    db = store.db
    db.write(
        lambda c: c.execute(
            feeds.insert(),
            [
                {"id": i + 1, "name": f"feed-{i}", "outlet": f"outlet-{i}", "created_at": NOW}
                for i in range(40)
            ],
        )
    )
    step = 20_000
    for first in range(1, n + 1, step):
        ids = range(first, min(first + step, n + 1))
        rows, countries, places, scores, seen = [], [], [], [], []
        for i in ids:
            at = NOW - timedelta(seconds=rng.uniform(0, 60 * 86400))
            feed = rng.randrange(40) + 1
            code = rng.choice(COUNTRIES)
            # Headlines share common words and differ in rare ones (names, places, figures),
            # as real ones do; titles drawn from a dozen words would all be one story.
            common = [rng.choice(WORDS) for _ in range(4)]
            title = " ".join(common + [f"w{rng.randrange(30_000)}" for _ in range(5)])
            rows.append(
                {
                    "id": i,
                    "guid_key": f"g{i}",
                    "title": title,
                    "link": f"https://x.example/{i}",
                    "first_seen": at,
                    "published": at,
                    "feed_id": feed,
                    "outlet": f"outlet-{feed - 1}",
                    "lang": rng.choice(["en", "fr"]),
                }
            )
            countries.append({"item_id": i, "code": code, "score": 1.0, "rank": 0})
            places.append(
                {"item_id": i, "name": "Djibo", "country": code, "kind": "city", "in_title": True}
            )
            seen.append(
                {"item_id": i, "feed_id": feed, "outlet": f"outlet-{feed - 1}", "seen_at": at}
            )
            for label in LABELS:
                p = rng.random() ** 3
                scores.append(
                    {
                        "item_id": i,
                        "label": label,
                        "probability": p,
                        "above": p > 0.5,
                        "terms": "soldiers|palace" if p > 0.5 else "",
                        "model": "bench",
                    }
                )

        def work(
            c, rows=rows, countries=countries, places=places, scores=scores, seen=seen
        ) -> None:
            for table, values in (
                (items, rows),
                (item_countries, countries),
                (item_places, places),
                (item_scores, scores),
                (sightings, seen),
            ):
                c.execute(table.insert(), values)

        db.write(work)
    alert_rows, events, dels = [], [], []
    for a in range(1, 301):
        opened = NOW - timedelta(hours=rng.uniform(0, 60 * 24))
        alert_rows.append(
            {
                "id": a,
                "dedup_key": f"k{a}",
                "rule": "coup",
                "subject": rng.choice(COUNTRIES),
                "label": rng.choice(LABELS),
                "severity": "high",
                "status": "open" if a % 10 == 0 else "resolved",
                "level": a % 2,
                "score": 0.8,
                "outlets": json.dumps(["outlet-1", "outlet-2"]),
                "items": json.dumps([rng.randrange(1, n) for _ in range(5)]),
                "rules_hash": "h",
                "opened_at": opened,
                "updated_at": opened,
                "last_message_at": opened,
            }
        )
        events.append(
            {
                "id": a,
                "alert_id": a,
                "seq": 1,
                "decision": "new",
                "at": opened,
                "level": 0,
                "score": 0.8,
                "outlets": "[]",
                "items": "[]",
            }
        )
        dels.append(
            {
                "event_id": a,
                "alert_id": a,
                "route": "slack",
                "status": "sent",
                "attempts": 1,
                "next_try": opened,
                "created_at": opened,
            }
        )
    db.write(
        lambda c: [
            c.execute(t.insert(), v)
            for t, v in ((alerts, alert_rows), (alert_events, events), (deliveries, dels))
        ]
    )
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-web-"))
    url = f"sqlite:///{folder / 'web.db'}"
    start = time.perf_counter()
    fill(url, args.items, random.Random(7))
    print(f"filled {args.items} items, 300 alerts in {time.perf_counter() - start:.1f}s ({folder})")
    site = open_site(url, lambda: ())
    site.clock = lambda: NOW
    server = WebServer("127.0.0.1", 0, site).start()
    base = "http://{}:{}".format(*server.address)
    open_id = 10
    for path in (
        "/",
        "/api/countries",
        "/country/ML",
        "/api/country/ML",
        f"/alerts/{open_id}",
        f"/api/alerts/{open_id}",
        "/api/alerts?status=open",
    ):
        times = []
        for _ in range(6):
            t = time.perf_counter()
            with urllib.request.urlopen(base + path) as r:
                size = len(r.read())
            times.append(time.perf_counter() - t)
        print(
            f"{path:<26} median {statistics.median(times[1:]) * 1000:6.1f} ms  "
            f"max {max(times[1:]) * 1000:6.1f} ms  first {times[0] * 1000:6.1f} ms  "
            f"{size // 1024} KB"
        )
    server.close()


if __name__ == "__main__":
    main()
