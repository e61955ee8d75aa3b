"""Several instances on one PostgreSQL: feed leases, no feed polled twice, one alert.

The lease itself is tested on both backends (SQLite has one writer, so one
instance, but the method must behave the same); the three-process test needs
PostgreSQL and skips, with the reason, without it.
"""

from __future__ import annotations

import collections
import itertools
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from tests.newsroom import NIGER_COUP
from tests.pgserver import SKIP_REASON, fresh_database
from tests.slackserver import SlackServer
from tests.support import Daemon, NotifySocket, free_port, metric, wait_for
from warning.records import FeedState
from warning.store import Store, open_store

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
HOLD = timedelta(minutes=2)


def test_a_lease_is_held_by_one_owner_until_released_or_expired(db_url: str) -> None:
    store = open_store(db_url)
    try:
        store.sync_feeds([("a", "rss", "https://a.example.org/", "a")])
        due = T0 + timedelta(minutes=5)
        assert store.lease("a", "one", T0, HOLD, due) == FeedState("a")
        assert store.lease("a", "two", T0, HOLD, due) is None  # one holds it
        assert store.lease("a", "one", T0, HOLD, due) is not None  # its own again
        store.release("a", "two")  # not two's to release
        assert store.lease("a", "two", T0 + timedelta(seconds=30), HOLD, due) is None
        # A dead owner's lease expires by itself.
        assert store.lease("a", "two", T0 + HOLD + timedelta(seconds=1), HOLD, due) is not None
        store.release("a", "two")
        # Once polled, the feed is not due again for another instance.
        store.save_state(FeedState("a", next_due=T0 + timedelta(minutes=10)))
        assert store.lease("a", "one", T0 + timedelta(minutes=3), HOLD, due) is None
        # A forced poll (poll --once) ignores the due time, not a live lease.
        assert store.lease("a", "one", T0 + timedelta(minutes=3), HOLD, None) is not None
        assert store.lease("a", "two", T0 + timedelta(minutes=3), HOLD, None) is None
    finally:
        store.close()


FEEDS = 300
EVERY = 30  # seconds: the shortest interval the configuration allows


def polls_per_feed(server: FeedServer) -> collections.Counter[str]:
    return collections.Counter(path for _, path, *_ in server.requests)


def cycles(port: int) -> float:
    """Alert cycles an instance has finished, from its /metrics."""
    return metric(port, "warning_alert_cycle_seconds_count") or 0.0


@pytest.mark.slow
@pytest.mark.postgres
def test_three_instances_poll_each_feed_once_and_take_over_from_a_dead_one(
    tmp_path: Path, feed_server: FeedServer, pg_server_url: str | None
) -> None:
    if pg_server_url is None:
        pytest.skip(SKIP_REASON)
    for n in range(FEEDS):
        feed_server.add(f"/f{n}.xml", make_rss(sample_items(1, seed=1000 + n)))
    coup = {**NIGER_COUP, "link": "https://f0.example.org/coup", "guid": "coup"}
    feed_server.add("/f0.xml", make_rss([coup, *sample_items(1, seed=1000)]))
    with fresh_database(pg_server_url) as url, SlackServer() as slack:
        shared = {
            "database": url,
            "feeds": [
                {"name": f"f{n}", "url": feed_server.url(f"/f{n}.xml"), "every": "30s"}
                for n in range(FEEDS)
            ],
            "poll": {"processes": 0, "deadline": "10s"},
            "notify": {"slack": {"token": "x", "channel": "#desk", "base_url": slack.base_url}},
            "operator": {"enabled": False},
        }
        Store(url).migrate()  # once, before three processes race to do it
        notify = [NotifySocket() for _ in range(3)]
        # One /metrics listener each: its alert cycle count proves the rules were evaluated.
        ports = [free_port() for _ in range(3)]
        for i, port in enumerate(ports):
            (tmp_path / f"d{i}").mkdir()
            health = {"health": {"listen": f"127.0.0.1:{port}"}}
            (tmp_path / f"d{i}" / "warning.yaml").write_text(yaml.safe_dump(shared | health))
        daemons = [
            Daemon(tmp_path / f"d{i}" / "warning.yaml", n, tmp_path / f"d{i}")
            for i, n in enumerate(notify)
        ]
        try:
            for n in notify:
                wait_for(lambda n=n: n.count("READY=1") == 1, timeout=60, what="READY=1")
            # Every feed once, by whichever instance got there first.
            wait_for(lambda: len(polls_per_feed(feed_server)) == FEEDS, timeout=60)
            first = polls_per_feed(feed_server)
            assert set(first.values()) == {1}, first.most_common(3)
            # Kill one; within the next interval (plus the dead lease's expiry, at most
            # deadline + 60 s) the others poll all 300 feeds again, each once.
            daemons[0].proc.send_signal(signal.SIGKILL)
            wait_for(
                lambda: all(polls_per_feed(feed_server)[f"/f{n}.xml"] >= 2 for n in range(FEEDS)),
                timeout=EVERY * 4 + 70,
                what="the survivors to poll every feed again (taking over the dead one's)",
            )
            # Nobody polled a feed twice within one due time: the due check keeps a feed's
            # polls at least half an interval apart, less the wait between a poll's start
            # and its request on a busy machine; two instances polling the same due time
            # would be seconds apart at most.
            times: dict[str, list[float]] = collections.defaultdict(list)
            for (_, path, _), at in zip(
                feed_server.requests, feed_server.request_times, strict=True
            ):
                times[path].append(at)
            gaps = [b - a for polls in times.values() for a, b in itertools.pairwise(polls)]
            assert min(gaps) >= EVERY / 4, sorted(gaps)[:5]
            # Three instances evaluated the rules every 30 s all along: one coup alert.
            wait_for(lambda: len(slack.posted()) >= 1, timeout=60, what="the coup alert")
            # Each survivor then runs a whole alert cycle that began after the alert was
            # sent (two more finished cycles: one may have been under way) and sends nothing.
            seen = [cycles(port) for port in ports[1:]]
            for port, before in zip(ports[1:], seen, strict=True):
                wait_for(
                    lambda port=port, before=before: cycles(port) >= before + 2,
                    timeout=EVERY * 2 + 30,
                    what=f"two more alert cycles on the instance at :{port}",
                )
            [posted] = slack.posted()
            assert "Niger" in (posted.text or "")
            for d in daemons[1:]:
                code, _ = d.stop(timeout=30)
                assert code == 0
        finally:
            for d in daemons:
                d.kill()
            for n in notify:
                n.close()
