"""The daemon as systemd runs it: a real process, real signals, a real notify socket."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from tests.support import (
    Daemon,
    NotifySocket,
    free_port,
    item_count,
    metric,
    wait_for,
    write_daemon_config,
)
from warning.store import Store


@pytest.fixture
def notify_socket() -> Iterator[NotifySocket]:
    sock = NotifySocket()
    yield sock
    sock.close()


def test_ready_reload_and_stop(
    tmp_path: Path, feed_server: FeedServer, notify_socket: NotifySocket
) -> None:
    feed_server.add("/a.xml", make_rss(sample_items(3, seed=11)))
    feed_server.add("/b.xml", make_rss(sample_items(2, seed=12)))
    cfg, db = tmp_path / "warning.yaml", tmp_path / "w.db"
    write_daemon_config(cfg, db, [{"name": "a", "url": feed_server.url("/a.xml"), "every": "1h"}])
    daemon = Daemon(cfg, notify_socket, tmp_path)
    try:
        wait_for(lambda: notify_socket.count("READY=1") == 1, what="READY=1")
        wait_for(lambda: item_count(db) == 3, what="feed a stored")

        # A broken configuration is reported with its line and the old one keeps running.
        cfg.write_text("feeds:\n  - name: a\n    url: http://x/\n    every: often\n")
        daemon.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: notify_socket.count("READY=1") == 2, what="READY=1 after reload")
        assert notify_socket.count("RELOADING=1") == 1
        assert f"{cfg}:4: feeds[0].every" in daemon.text()
        assert daemon.proc.poll() is None

        # A good one is applied: feed b is added and polled.
        write_daemon_config(
            cfg,
            db,
            [
                {"name": "a", "url": feed_server.url("/a.xml"), "every": "1h"},
                {"name": "b", "url": feed_server.url("/b.xml"), "every": "1h"},
            ],
        )
        daemon.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: item_count(db) == 5, what="feed b stored after reload")
        assert notify_socket.count("RELOADING=1") == 2
        # Feed a was unchanged, so it was not re-polled on reload.
        assert sum(1 for r in feed_server.requests if r[1] == "/a.xml") == 1

        code, took = daemon.stop()
        assert code == 0 and took < 10
        assert notify_socket.count("STOPPING=1") == 1
    finally:
        daemon.kill()


def test_sigterm_during_a_slow_fetch_exits_promptly_and_keeps_data(
    tmp_path: Path, feed_server: FeedServer, notify_socket: NotifySocket
) -> None:
    feed_server.add("/fast.xml", make_rss(sample_items(4, seed=13)))
    feed_server.add("/slow.xml", make_rss(sample_items(2, seed=14)), trickle=1.0)
    cfg, db = tmp_path / "warning.yaml", tmp_path / "w.db"
    write_daemon_config(
        cfg,
        db,
        [
            {"name": "fast", "url": feed_server.url("/fast.xml"), "every": "1h"},
            {"name": "slow", "url": feed_server.url("/slow.xml"), "every": "1h"},
        ],
    )
    daemon = Daemon(cfg, notify_socket, tmp_path)
    try:
        wait_for(lambda: notify_socket.count("READY=1") == 1, what="READY=1")
        wait_for(lambda: item_count(db) == 4, what="fast feed stored")
        wait_for(
            lambda: any(r[1] == "/slow.xml" for r in feed_server.requests),
            what="slow fetch in flight",
        )
        code, took = daemon.stop()
        assert code == 0 and took < 10
        assert item_count(db) == 4
        # The cancelled fetch is not held against the feed.
        store = Store(f"sqlite:///{db}")
        try:
            assert store.feed_state("slow").consecutive_failures == 0
        finally:
            store.close()
    finally:
        daemon.kill()


def test_watchdog_pings_while_the_scheduler_runs(
    tmp_path: Path, feed_server: FeedServer, notify_socket: NotifySocket
) -> None:
    feed_server.add("/a.xml", make_rss(sample_items(1, seed=15)))
    cfg, db = tmp_path / "warning.yaml", tmp_path / "w.db"
    write_daemon_config(cfg, db, [{"name": "a", "url": feed_server.url("/a.xml"), "every": "1h"}])
    daemon = Daemon(cfg, notify_socket, tmp_path, WATCHDOG_USEC="1000000")
    try:
        wait_for(lambda: notify_socket.count("WATCHDOG=1") >= 2, what="two watchdog pings")
        code, _ = daemon.stop()
        assert code == 0
    finally:
        daemon.kill()


def test_sigint_also_stops_cleanly(
    tmp_path: Path, feed_server: FeedServer, notify_socket: NotifySocket
) -> None:
    cfg, db = tmp_path / "warning.yaml", tmp_path / "w.db"
    write_daemon_config(cfg, db, [])
    daemon = Daemon(cfg, notify_socket, tmp_path)
    try:
        wait_for(lambda: notify_socket.count("READY=1") == 1, what="READY=1")
        code, took = daemon.stop(signal.SIGINT)
        assert code == 0 and took < 10
    finally:
        daemon.kill()


@pytest.mark.slow
def test_the_daemon_alerts_the_desk_and_a_restart_sends_nothing_twice(
    tmp_path: Path, feed_server: FeedServer, notify_socket: NotifySocket
) -> None:
    from tests.slackserver import SlackServer

    story = {
        "title": "Soldiers seize power in Niger and detain the president in Niamey",
        "description": "Mutinous troops surrounded the presidential palace overnight.",
        "link": "https://news.example.org/niger-coup",
        "guid": "niger-coup",
    }
    feed_server.add("/a.xml", make_rss([story, *sample_items(3, seed=21)]))
    cfg, db, port = tmp_path / "warning.yaml", tmp_path / "w.db", free_port()
    with SlackServer() as slack:
        cfg.write_text(
            yaml.safe_dump(
                {
                    "database": f"sqlite:///{db}",
                    "feeds": [{"name": "a", "url": feed_server.url("/a.xml"), "every": "1h"}],
                    "notify": {
                        "slack": {"token": "xoxb-t", "channel": "#desk", "base_url": slack.base_url}
                    },
                    # /metrics counts finished alert cycles: the proof the job ran.
                    "health": {"listen": f"127.0.0.1:{port}"},
                }
            )
        )
        daemon = Daemon(cfg, notify_socket, tmp_path)
        try:
            wait_for(lambda: notify_socket.count("READY=1") == 1, what="READY=1")
            wait_for(lambda: item_count(db) == 4, what="feed stored")
            # The alert job runs every 30 s; the first run may precede the poll.
            wait_for(lambda: len(slack.posted()) == 1, timeout=60, what="the coup alert")
            assert "Niger" in (slack.posted()[0].text or "")
            code, _ = daemon.stop()
            assert code == 0
        finally:
            daemon.kill()
        # A restart runs the alert job at once: nothing new to say, nothing resent.
        daemon = Daemon(cfg, notify_socket, tmp_path)
        try:
            wait_for(lambda: notify_socket.count("READY=1") == 2, what="READY=1 again")
            wait_for(
                lambda: (metric(port, "warning_alert_cycle_seconds_count") or 0) >= 1,
                timeout=60,
                what="the restarted daemon's first alert cycle (decide and deliver) to finish",
            )
            assert len(slack.posted()) == 1
            daemon.stop()
        finally:
            daemon.kill()


#: `warning` with the test-only `hang` source kind (its parse hangs in C, holding the GIL).
WITH_HANGING_KIND = [
    "-c",
    "import sys; from tests.stuckwork import run_daemon; sys.exit(run_daemon(sys.argv[1:]))",
]


def test_sigterm_stops_within_the_unit_timeout_while_a_worker_is_stuck_in_c(
    tmp_path: Path, feed_server: FeedServer, notify_socket: NotifySocket
) -> None:
    feed_server.add("/hostile.xml", make_rss(sample_items(2, seed=71)))
    feed_server.add("/good.xml", make_rss(sample_items(3, seed=72)))
    cfg, db, stuck = tmp_path / "warning.yaml", tmp_path / "w.db", tmp_path / "stuck"
    stuck.mkdir()
    cfg.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{db}",
                "feeds": [
                    {"name": "hostile", "kind": "hang", "url": feed_server.url("/hostile.xml")},
                    {"name": "good", "url": feed_server.url("/good.xml")},
                ],
                # The parse deadline is far away: only the stop can end the stuck task.
                "poll": {"processes": 2, "deadline": "10m"},
            }
        )
    )
    daemon = Daemon(
        cfg, notify_socket, tmp_path, WITH_HANGING_KIND, WARNING_TEST_STUCK_DIR=str(stuck)
    )
    try:
        wait_for(lambda: notify_socket.count("READY=1") == 1, what="READY=1")
        wait_for(lambda: any(stuck.iterdir()), timeout=60, what="a worker stuck in C")
        wait_for(lambda: item_count(db) == 3, timeout=60, what="the good feed stored")
        [pidfile] = stuck.iterdir()
        worker = int(pidfile.read_text())

        def good_polled() -> bool:
            store = Store(f"sqlite:///{db}")
            try:
                return store.feed_state("good").last_success is not None
            finally:
                store.close()

        # The good feed's poll has ended (its task too): only the stuck one is left to stop.
        wait_for(good_polled, timeout=60, what="the good feed's poll to be recorded")
        code, took = daemon.stop(timeout=60)
        print(f"stopped in {took:.1f} s with a worker stuck in C")
        assert code == 0 and took < 20  # systemd/warning.service: TimeoutStopSec=20s
        assert "stopped 1 worker task(s) still running" in daemon.text()
        with pytest.raises(ProcessLookupError):
            os.kill(worker, 0)  # killed and reaped
        store = Store(f"sqlite:///{db}")
        try:  # stopping is not the feed's fault
            assert store.feed_state("hostile").consecutive_failures == 0
        finally:
            store.close()
    finally:
        daemon.kill()
