"""Crash safety: SIGKILL the daemon at random moments, twenty times, and lose nothing.

Feeds keep carrying new items and coup reports (so alerts are decided and pending)
while a real `warning run` is killed with SIGKILL at a random moment after it
starts, then started again. After each kill the daemon's worker processes must be
gone with it, and SQLite's integrity check must pass;
at the end a `warning poll --once` finishes what the last run left, and then
every item ever served is stored, and no alert was sent twice.
"""

from __future__ import annotations

import collections
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from tests.slackserver import SlackServer
from tests.stuckwork import children_of, process_gone
from tests.support import Daemon, NotifySocket, wait_for
from warning.store import Store

KILLS = 20
FEEDS = 6
COUPS = [
    "Soldiers seize power in Niger and detain the president in Niamey",
    "Mutinous troops take over state television in Bamako, Mali",
    "Coup attempt in Guinea: gunfire near the presidential palace in Conakry",
    "Army officers announce the dissolution of the government in Burkina Faso",
]


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    rng = random.Random(20201018)
    stories: dict[int, list[dict[str, object]]] = {
        n: sample_items(2, seed=500 + n, link_prefix=f"https://f{n}.example.org/s")
        for n in range(FEEDS)
    }
    for n, items in stories.items():
        feed_server.add(f"/f{n}.xml", make_rss(items))
    db = tmp_path / "w.db"
    with SlackServer() as slack:
        cfg = tmp_path / "warning.yaml"
        cfg.write_text(
            yaml.safe_dump(
                {
                    "database": f"sqlite:///{db}",
                    "feeds": [
                        {
                            "name": f"f{n}",
                            "url": feed_server.url(f"/f{n}.xml"),
                            "every": "30s",
                            "outlet": f"outlet{n}",
                        }
                        for n in range(FEEDS)
                    ],
                    "notify": {
                        "slack": {"token": "x", "channel": "#desk", "base_url": slack.base_url}
                    },
                    "operator": {"enabled": False},
                }
            )
        )
        workers_seen = 0  # child processes the killed daemons had
        for kill in range(KILLS):
            # New items on two feeds; a coup report now and then, so alerts are pending.
            for k, n in enumerate(rng.sample(range(FEEDS), 2)):
                extra = sample_items(1, seed=10_000 + kill * 10 + n)[0]
                extra["link"] = extra["guid"] = f"https://f{n}.example.org/k{kill}"
                stories[n].insert(0, extra)
                if kill % 5 == 0 and k == 0:  # one outlet: the same text twice is one story
                    title = COUPS[kill // 5 % len(COUPS)]
                    link = f"https://f{n}.example.org/coup{kill}"
                    stories[n].insert(0, {"title": title, "link": link, "guid": link})
                feed_server.add(f"/f{n}.xml", make_rss(stories[n]))
            notify = NotifySocket()
            daemon = Daemon(cfg, notify, tmp_path)
            try:
                wait_for(lambda n=notify: n.count("READY=1") == 1, timeout=60, what="READY=1")
                time.sleep(rng.uniform(0.2, 4.0))
                workers = children_of(daemon.proc.pid)
                daemon.proc.send_signal(signal.SIGKILL)
                daemon.proc.wait(10)
                # Busy or idle, its workers die with it rather than run on, orphaned.
                wait_for(
                    lambda w=workers: all(process_gone(p) for p in w),
                    timeout=10,
                    what=f"workers {workers} gone with the daemon",
                )
                workers_seen += len(workers)
            finally:
                daemon.kill()
                notify.close()
            with sqlite3.connect(db) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",), kill
        assert workers_seen, "no daemon had started a worker when it was killed"
        # What the last run left undone, one full cycle finishes.
        done = subprocess.run(
            [sys.executable, "-m", "warning", "--config", str(cfg), "poll", "--once", "--json"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        store = Store(f"sqlite:///{db}")
        try:
            stored = {i.link for i in store.items()}
            alerts = store.alerts.recent(limit=1000)
        finally:
            store.close()
        served = {str(item["link"]) for items in stories.values() for item in items}
        assert served <= stored, sorted(served - stored)[:5]
        # Each alert's first message went out exactly once.
        firsts = collections.Counter(
            m.group(1)
            for p in slack.posted()
            if p.thread_ts is None and (m := re.search(r"Alert (\d+)", p.text or ""))
        )
        assert alerts, "the coup reports raised no alert"
        assert sorted(firsts) == sorted(str(a.id) for a in alerts)
        assert set(firsts.values()) == {1}, firsts
