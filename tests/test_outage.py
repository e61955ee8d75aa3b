"""The database going away for a minute: the daemon keeps running and catches up.

Its own throwaway PostgreSQL cluster (the machine's initdb/pg_ctl), stopped for a
minute under a running daemon and started again; skipped without those binaries.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from tests.pgserver import ThrowawayCluster, fresh_database
from tests.support import Daemon, NotifySocket, wait_for
from warning.store import Store

OUTAGE = 60  # seconds


def stored(url: str) -> int:
    try:
        with Store(url) as store:
            return store.count_items()
    except Exception:
        return -1


@pytest.mark.slow
@pytest.mark.postgres
def test_a_minute_without_the_database_is_survived(tmp_path: Path, feed_server: FeedServer) -> None:
    try:
        cluster = ThrowawayCluster()
    except FileNotFoundError:
        pytest.skip("needs PostgreSQL's initdb and pg_ctl to stop and start a server")
    items = sample_items(3, seed=71)
    feed_server.add("/a.xml", make_rss(items))
    try:
        server = cluster.start()
        with fresh_database(server) as url:
            cfg = tmp_path / "warning.yaml"
            cfg.write_text(
                yaml.safe_dump(
                    {
                        "database": url,
                        "feeds": [{"name": "a", "url": feed_server.url("/a.xml"), "every": "30s"}],
                        "poll": {"processes": 0},
                        "operator": {"enabled": False},
                    }
                )
            )
            notify = NotifySocket()
            daemon = Daemon(cfg, notify, tmp_path)
            try:
                wait_for(lambda: notify.count("READY=1") == 1, timeout=60, what="READY=1")
                wait_for(lambda: stored(url) == 3, timeout=60, what="the first poll")
                cluster.pause()
                feed_server.add("/a.xml", make_rss([*sample_items(1, seed=72), *items]))
                time.sleep(OUTAGE)  # polls and alert cycles fail meanwhile
                assert daemon.proc.poll() is None, daemon.text()
                cluster.resume()
                wait_for(lambda: stored(url) == 4, timeout=90, what="the item after the outage")
                assert "database" in daemon.text()  # the outage was logged, not hidden
                code, _ = daemon.stop(timeout=30)
                assert code == 0
            finally:
                daemon.kill()
                notify.close()
    finally:
        cluster.stop()
