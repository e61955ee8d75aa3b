"""Operator alerts: a failing feed, a stalled daemon, a failed reload, raised and resolved.

A real pipeline over a local feed server and SQLite, on a simulated clock; the
operator route is a local Slack server, so the messages are checked as sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from tests.slackserver import SlackServer
from warning import config
from warning.pipeline import Pipeline, fetch_limits, worker_pool
from warning.sources.http import Fetcher
from warning.store import Store, open_store

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@dataclass
class Ops:
    feeds: FeedServer
    slack: SlackServer
    store: Store
    pipeline: Pipeline

    def decided(self, now: datetime) -> list[tuple[str, str, str]]:
        decided, _ = self.pipeline.alert_cycle(now)
        return [(d.rule, d.subject, d.decision) for d in decided]

    def texts(self) -> list[str]:
        return [m.text or "" for m in self.slack.posted()]


@pytest.fixture
def ops(tmp_path: Path, feed_server: FeedServer) -> Iterator[Ops]:
    feed_server.add("/a.xml", make_rss(sample_items(3, seed=41)))
    with SlackServer() as slack:
        path = tmp_path / "warning.yaml"
        path.write_text(
            yaml.safe_dump(
                {
                    "database": f"sqlite:///{tmp_path / 'w.db'}",
                    "feeds": [{"name": "a", "url": feed_server.url("/a.xml"), "every": "10m"}],
                    "poll": {"processes": 0},
                    "notify": {
                        "slack": {"token": "x", "channel": "#desk", "base_url": slack.base_url}
                    },
                    "operator": {"routes": ["slack:#ops"], "feed_failures": 3},
                    "rules": [],
                }
            )
        )
        settings = config.load(path)
        store = open_store(settings.database.reveal())
        store.sync_feeds((f.name, f.kind, f.url, f.outlet) for f in settings.feeds)
        with Fetcher(fetch_limits(settings)) as fetcher, worker_pool(settings) as workers:
            pipeline = Pipeline(settings, store, fetcher, workers)
            yield Ops(feed_server, slack, store, pipeline)
            pipeline.notifiers.close()
        store.close()


def test_a_feed_failing_three_times_raises_then_resolves(ops: Ops) -> None:
    assert ops.pipeline.poll("a", force=True, now=T0).status == "new"
    assert ops.decided(T0) == []
    ops.feeds.add("/a.xml", b"upstream down", status=500)
    for n in range(1, 4):
        now = T0 + timedelta(minutes=10 * n)
        assert ops.pipeline.poll("a", force=True, now=now).status == "error"
        decided = ops.decided(now)
    assert decided == [("operator:feed-failing", "feed:a", "new")]
    [message] = ops.slack.posted()
    assert message.channel == ops.slack.channel_id("#ops")
    assert "OPERATOR" in (message.text or "") and "3 failures in a row" in (message.text or "")
    assert "HTTP 500" in (message.text or "")
    # A fourth failure says nothing new; the first success resolves it.
    now = T0 + timedelta(minutes=40)
    ops.pipeline.poll("a", force=True, now=now)
    assert ops.decided(now) == []
    ops.feeds.add("/a.xml", make_rss(sample_items(3, seed=41)))
    now += timedelta(minutes=10)
    ops.pipeline.poll("a", force=True, now=now)
    assert ops.decided(now) == [("operator:feed-failing", "feed:a", "resolved")]
    assert len(ops.slack.posted()) == 2 and ops.slack.posted()[1].thread_ts == message.ts


def test_a_daemon_that_stops_polling_raises_stalled(ops: Ops) -> None:
    ops.pipeline.poll("a", force=True, now=T0)
    assert ops.decided(T0 + timedelta(minutes=29)) == []  # within 3 x 10 min
    assert ops.decided(T0 + timedelta(minutes=31)) == [("operator:stalled", "daemon", "new")]
    assert any("no feed polled since" in t for t in ops.texts())
    ops.pipeline.poll("a", force=True, now=T0 + timedelta(minutes=32))
    assert ops.decided(T0 + timedelta(minutes=32)) == [("operator:stalled", "daemon", "resolved")]


def test_a_failed_reload_raises_until_one_succeeds(ops: Ops) -> None:
    ops.pipeline.poll("a", force=True, now=T0)
    ops.pipeline.alerter.reload_problems = ("warning.yaml:4: feeds[0].every: expected a duration",)
    assert ops.decided(T0) == [("operator:reload-failed", "config", "new")]
    assert any("feeds[0].every" in t for t in ops.texts())
    ops.pipeline.alerter.reload_problems = ()
    assert ops.decided(T0 + timedelta(minutes=1)) == [
        ("operator:reload-failed", "config", "resolved")
    ]


def test_operator_alerts_can_be_switched_off(tmp_path: Path) -> None:
    path = tmp_path / "warning.yaml"
    db = tmp_path / "w.db"  # named: the default would be under the home directory
    path.write_text(f"database: sqlite:///{db}\noperator:\n  enabled: false\nfeeds: []\n")
    settings = config.load(path)
    store = open_store(settings.database.reveal())
    try:
        pipeline = Pipeline(settings, store, None, worker_pool(settings))  # type: ignore[arg-type]
        assert pipeline.alerter.operator_rules == ()
    finally:
        store.close()
