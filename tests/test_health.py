"""/healthz and /metrics: the judge on a fake clock, and the real listener in the daemon."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from tests.test_daemon import Daemon, NotifySocket, wait_until
from warning import metrics
from warning.health import Health, HealthServer
from warning.records import PollOutcome
from warning.store import Store, open_store


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_healthy_at_start_then_stalled_without_alert_cycles(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    clock = Clock(metrics.value("warning_last_alert_cycle_timestamp_seconds") + 1_000)
    judge = Health(store, timedelta(seconds=30), None, clock=clock)
    assert judge.verdict().healthy  # fresh start: the grace is three intervals
    clock.now += 91
    verdict = judge.verdict()
    assert not verdict.healthy
    assert verdict.checks["alert_cycle"].startswith("stalled")
    assert verdict.checks["database"] == "ok"
    metrics.alerts_decided([], 0.01, clock.now)  # a cycle finishes
    assert judge.verdict().healthy
    store.close()


def test_polls_must_succeed_within_three_of_the_shortest_interval(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    clock = Clock(metrics.value("warning_last_successful_poll_timestamp_seconds") + 10_000)
    metrics.alerts_decided([], 0.01, clock.now)
    judge = Health(store, timedelta(seconds=30), timedelta(minutes=10), clock=clock)
    metrics.poll_done(PollOutcome("a", "error", error="HTTP 500"), clock.now)
    clock.now += 29 * 60
    metrics.alerts_decided([], 0.01, clock.now)
    assert judge.verdict().healthy  # 29 minutes: within 3 x 10 min of the start
    clock.now += 2 * 60
    metrics.alerts_decided([], 0.01, clock.now)
    assert judge.verdict().checks["polls"].startswith("stalled: ")
    metrics.poll_done(PollOutcome("a", "not_modified"), clock.now)
    assert judge.verdict().healthy
    store.close()


def test_an_unreachable_database_fails_the_check() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    store = Store(f"postgresql+psycopg://nobody@127.0.0.1:{port}/none?connect_timeout=2")
    judge = Health(store, timedelta(seconds=30), None)
    metrics.alerts_decided([], 0.01, judge.clock())
    verdict = judge.verdict()
    assert not verdict.healthy and verdict.checks["database"].startswith("unreachable")
    store.close()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_the_listener_answers_healthz_metrics_and_404(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    metrics.alerts_decided([], 0.01, Health(store, timedelta(1), None).clock())
    server = HealthServer("127.0.0.1", 0, Health(store, timedelta(seconds=30), None)).start()
    host, port = server.address
    base = f"http://{host}:{port}"
    try:
        status, body = get(base + "/healthz")
        assert status == 200 and json.loads(body)["healthy"] is True
        status, body = get(base + "/metrics")
        assert status == 200
        assert "warning_delivery_queue_depth 0.0" in body
        assert "process_resident_memory_bytes" in body
        assert get(base + "/nope")[0] == 404
    finally:
        server.close()
        store.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_daemon_serves_health_and_counts_its_polls(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.add("/a.xml", make_rss(sample_items(3, seed=31)))
    cfg, db, port = tmp_path / "warning.yaml", tmp_path / "w.db", free_port()
    cfg.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{db}",
                "feeds": [{"name": "a", "url": feed_server.url("/a.xml"), "every": "1h"}],
                "health": {"listen": f"127.0.0.1:{port}"},
            }
        )
    )
    notify = NotifySocket()
    daemon = Daemon(cfg, notify, tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: notify.count("READY=1") == 1, what="READY=1")

        def polled() -> bool:
            try:
                return 'warning_polls_total{status="new"} 1.0' in get(base + "/metrics")[1]
            except OSError:
                return False

        wait_until(polled, timeout=60, what="the poll counted in /metrics")
        body = get(base + "/metrics")[1]
        assert 'warning_items_total{kind="new"} 3.0' in body
        status, health = get(base + "/healthz")
        assert status == 200, health
        assert json.loads(health) == {
            "healthy": True,
            "database": "ok",
            "alert_cycle": "ok",
            "polls": "ok",
        }
        code, _ = daemon.stop()
        assert code == 0
    finally:
        daemon.kill()
        notify.close()


@pytest.mark.parametrize("value", ["9464", "localhost", "127.0.0.1:0x10", "127.0.0.1:70000"])
def test_a_bad_listen_address_is_a_config_error(tmp_path: Path, value: str) -> None:
    from warning import config
    from warning.errors import ConfigError

    path = tmp_path / "warning.yaml"
    path.write_text(f"health:\n  listen: '{value}'\n")
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    [problem] = caught.value.problems
    assert problem.key == "health.listen" and problem.line == 2
    assert "HOST:PORT" in problem.message
