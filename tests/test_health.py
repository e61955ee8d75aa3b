"""/healthz and /metrics: the judge on a fake clock, and the real listener in the daemon."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from tests.stuckwork import HangingSource
from tests.support import Daemon, NotifySocket, free_port, wait_for
from warning import config, metrics
from warning.pipeline import Pipeline, fetch_limits, worker_pool
from warning.records import FeedState, PollOutcome
from warning.service import health
from warning.service.health import Health, HealthServer
from warning.sources import REGISTRY
from warning.sources.http import Fetcher
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


def test_feeds_overdue_by_three_intervals_are_stuck_but_not_at_start_nor_in_backoff(
    tmp_path: Path,
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    start = metrics.value("warning_last_alert_cycle_timestamp_seconds") + 100_000
    clock = Clock(start)
    every = {"late": timedelta(minutes=1), "backoff": timedelta(minutes=1), "new": timedelta(1)}
    judge = Health(
        store,
        timedelta(seconds=30),
        None,
        feeds=lambda: every,
        poll_budget=timedelta(minutes=2),
        clock=clock,
    )

    def at(t: float) -> datetime:
        return datetime.fromtimestamp(t, UTC)

    # Due a day before the daemon started (it was down): late only from the start on.
    store.save_state(FeedState("late", next_due=at(start - 86_400)))
    store.save_state(FeedState("backoff", next_due=at(start - 60)))
    assert judge.verdict().checks["feeds"] == "ok"

    clock.now = start + 170  # three intervals (180 s) not yet passed since the start
    metrics.alerts_decided([], 0.01, clock.now)
    store.save_state(FeedState("backoff", consecutive_failures=4, next_due=at(start + 8 * 60)))
    assert judge.verdict().healthy

    clock.now = start + 200
    metrics.alerts_decided([], 0.01, clock.now)
    verdict = judge.verdict()
    assert not verdict.healthy
    assert verdict.checks["feeds"] == "stuck: late"
    [late] = verdict.stuck
    assert late["feed"] == "late"
    assert late["since"] == at(start).isoformat(timespec="seconds")
    assert late["reason"] == "overdue by 200s (limit 180s)"

    store.save_state(FeedState("late", next_due=at(clock.now + 60)))  # polled at last
    assert judge.verdict().healthy
    store.close()


def test_an_overdue_feed_gets_at_least_the_time_a_poll_may_take(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    clock = Clock(metrics.value("warning_last_alert_cycle_timestamp_seconds") + 200_000)
    every = {"fast": timedelta(seconds=30)}
    budget = timedelta(minutes=3)
    judge = Health(store, timedelta(1), None, feeds=lambda: every, poll_budget=budget, clock=clock)
    store.save_state(FeedState("fast", next_due=datetime.fromtimestamp(clock.now, UTC)))
    clock.now += 150  # five intervals, but a slow poll (fetch, then parse) is still allowed
    assert judge.verdict().checks["feeds"] == "ok"
    clock.now += 40
    assert judge.verdict().checks["feeds"] == "stuck: fast"
    store.close()


@pytest.fixture
def hostile(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Pipeline]:
    """A pipeline with one worker process, a feed whose parse hangs, and a good feed."""
    monkeypatch.setitem(REGISTRY, HangingSource.kind, HangingSource)
    feed_server.add("/hostile.xml", make_rss(sample_items(2, seed=61)))
    feed_server.add("/good.xml", make_rss(sample_items(2, seed=62)))
    path = tmp_path / "warning.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{tmp_path / 'w.db'}",
                "feeds": [
                    {"name": "hostile", "kind": "hang", "url": feed_server.url("/hostile.xml")},
                    {"name": "good", "url": feed_server.url("/good.xml")},
                ],
                "poll": {"processes": 1, "deadline": "60s"},
                "rules": [],
            }
        )
    )
    settings = config.load(path)
    store = open_store(settings.database.reveal())
    store.sync_feeds((f.name, f.kind, f.url, f.outlet) for f in settings.feeds)
    workers = worker_pool(settings)
    with Fetcher(fetch_limits(settings)) as fetcher:
        yield Pipeline(settings, store, fetcher, workers)
        workers.close(0)
    store.close()


def test_hostile_tasks_on_every_worker_turn_healthz_503_naming_the_feeds(
    hostile: Pipeline,
) -> None:
    pipeline = hostile
    judge = Health(
        pipeline.store,
        timedelta(seconds=30),
        None,
        feeds=lambda: {f.name: f.every for f in pipeline.settings.feeds},
        poll_budget=timedelta(seconds=1),  # the daemon's is 2 x poll.deadline + 60 s
    )
    metrics.alerts_decided([], 0.01, judge.clock())
    server = HealthServer("127.0.0.1", 0, judge).start()
    base = "http://{}:{}".format(*server.address)
    outcomes: list[PollOutcome] = []
    polls = [
        threading.Thread(target=lambda n=name: outcomes.append(pipeline.poll(n, force=True)))
        for name in ("hostile", "good")
    ]
    try:
        assert get(base + "/healthz")[0] == 200
        polls[0].start()
        wait_for(lambda: "hostile" in [f for f, _ in metrics.polls_in_flight()])
        time.sleep(0.2)
        polls[1].start()  # waits for the only worker, which is stuck
        wait_for(lambda: get(base + "/healthz")[0] == 503, timeout=30, what="503")
        wait_for(lambda: "good" in get(base + "/healthz")[1], timeout=30, what="good named")
        status, body = get(base + "/healthz")
        answer = json.loads(body)
        assert status == 503 and answer["healthy"] is False
        assert answer["database"] == "ok"
        assert answer["feeds"] == "stuck: hostile, good"
        assert [s["feed"] for s in answer["stuck"]] == ["hostile", "good"]
        assert all(s["reason"].startswith("a poll in flight for ") for s in answer["stuck"])
        assert all(datetime.fromisoformat(s["since"]) for s in answer["stuck"])
        assert "warning_polls_in_flight 2.0" in get(base + "/metrics")[1]
    finally:
        pipeline.workers.close(0)  # the stuck task is killed: a shutdown, not a failure
        for t in polls:
            t.join(30)
        server.close()
    assert sorted(o.status for o in outcomes) == ["skipped", "skipped"]
    assert metrics.polls_in_flight() == []


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


def test_idle_half_requests_neither_pile_up_threads_nor_silence_healthz(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    judge = Health(store, timedelta(seconds=30), None)
    metrics.alerts_decided([], 0.01, judge.clock())
    server = HealthServer("127.0.0.1", 0, judge).start()
    base = "http://{}:{}".format(*server.address)

    def answers() -> bool:
        try:
            return get(base + "/healthz")[0] == 200
        except OSError:  # refused while every slot is taken
            return False

    before = threading.active_count()
    idle: list[socket.socket] = []
    try:
        for _ in range(200):
            sock = socket.create_connection(server.address, timeout=30)
            sock.sendall(b"GET /he")  # and nothing more
            idle.append(sock)
        time.sleep(1.0)  # the listener has taken every connection by now
        grown = threading.active_count() - before
        assert grown <= health.MAX_CONNECTIONS, grown
        # Each is closed: beyond the limit at once, the others after the client timeout.
        for sock in idle:
            assert sock.recv(1024) == b""
        wait_for(answers, timeout=10, what="/healthz answering")
        assert threading.active_count() - before <= 2
    finally:
        for sock in idle:
            sock.close()
        server.close()
        store.close()


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
        wait_for(lambda: notify.count("READY=1") == 1, what="READY=1")

        def polled() -> bool:
            try:
                return 'warning_polls_total{status="new"} 1.0' in get(base + "/metrics")[1]
            except OSError:
                return False

        wait_for(polled, timeout=60, what="the poll counted in /metrics")
        body = get(base + "/metrics")[1]
        assert 'warning_items_total{kind="new"} 3.0' in body
        status, health = get(base + "/healthz")
        assert status == 200, health
        assert json.loads(health) == {
            "healthy": True,
            "database": "ok",
            "alert_cycle": "ok",
            "polls": "ok",
            "feeds": "ok",
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


def test_a_client_trickling_its_request_is_cut_off_at_the_connection_deadline(
    tmp_path: Path,
) -> None:
    # One byte every 0.2 s never trips the 5 s read timeout; the deadline of the whole
    # connection (shortened here from 15 s) still frees the slot.
    store = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    server = HealthServer("127.0.0.1", 0, Health(store, timedelta(seconds=30), None))
    server.httpd.connection_s = 1.0
    server.start()
    sock = socket.create_connection(server.address, timeout=10)
    cut = False
    try:
        for byte in b"GET /healthz HTTP/1.0\r\nX-Slow: " + b"a" * 40:
            try:
                sock.sendall(bytes([byte]))
            except OSError:  # reset: the server has cut it
                cut = True
                break
            time.sleep(0.2)
            sock.settimeout(0.01)
            try:
                cut = sock.recv(1024) == b""
            except TimeoutError:
                pass
            except OSError:
                cut = True
            sock.settimeout(10)
            if cut:
                break
        assert cut, "a trickling client kept its connection past the deadline"
        assert get("http://{}:{}/healthz".format(*server.address))[0] in (200, 503)
    finally:
        sock.close()
        server.close()
        store.close()
