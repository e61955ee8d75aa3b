"""Worker processes start while a cycle fetches, when its feeds will need parsing (issue 15).

A feed with no validator (never polled, or a server that sends neither ETag nor
Last-Modified) is answered in full, so a cycle that has one starts its workers at once,
during the fetches, instead of after the first body arrives. A cycle of 304s starts
none (tests/test_imports.py). These assert the order of events, not their times.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from warning import config
from warning.pipeline import Pipeline, fetch_limits, worker_pool
from warning.pipeline.workers import WorkerPool
from warning.sources.http import Fetcher
from warning.store import Store


def noop(value: int) -> int:
    return value


def ready() -> None:
    """A worker initializer with nothing to do."""


def test_a_cycle_with_new_feeds_starts_its_workers_while_it_fetches(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    # The only feed answers after 8 s: a worker alive before then was started by the
    # cycle itself, not by the body's arrival.
    feed_server.add("/slow.xml", make_rss(sample_items(3, seed=7)), latency=8.0)
    path = tmp_path / "warning.yaml"
    path.write_text(
        f"database: sqlite:///{tmp_path / 'w.db'}\n"
        f"feeds:\n  - name: slow\n    url: {feed_server.url('/slow.xml')}\n"
        "poll:\n  processes: 2\n"
    )
    settings = config.load(path)
    store = Store(settings.database.reveal())
    store.migrate()
    store.sync_feeds((f.name, f.kind, f.url, f.outlet) for f in settings.feeds)
    with Fetcher(fetch_limits(settings)) as fetcher, worker_pool(settings) as workers:
        pipeline = Pipeline(settings, store, fetcher, workers)
        reports = []
        cycle = threading.Thread(target=lambda: reports.append(pipeline.cycle()))
        cycle.start()
        deadline = time.monotonic() + 60
        while not workers.pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        started = len(workers.pids())
        still_fetching = cycle.is_alive()
        cycle.join(60)
    store.close()
    assert started == 1, "one feed to parse: one worker"
    assert still_fetching, "the worker started only once the body had arrived"
    assert reports[0].outcomes[0].items_new == 3


def test_a_task_waits_for_a_warming_worker_rather_than_starting_another() -> None:
    with WorkerPool(2, ready) as pool:
        pool.warm(1)
        assert pool.call(noop, 7) == 7
        assert len(pool.pids()) == 1
        pool.warm(5)  # never more than the pool's size
        deadline = time.monotonic() + 60
        while len(pool.pids()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(pool.pids()) == 2
        assert [pool.call(noop, i) for i in range(4)] == [0, 1, 2, 3]
        assert len(pool.pids()) == 2


def test_warming_a_closed_or_inline_pool_starts_nothing() -> None:
    pool = WorkerPool(2, ready)
    pool.warm(2)
    pool.close()  # while they start: they are stopped, and nothing is left counted
    deadline = time.monotonic() + 60
    while pool._warming and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.pids() == [] and pool._count == 0
    pool.warm(2)
    assert pool._count == 0
    inline = WorkerPool(0, ready)
    inline.warm(3)
    assert inline.pids() == [] and inline._count == 0


def test_a_new_database_starts_its_workers_while_the_schema_is_created(tmp_path: Path) -> None:
    from warning.service.runtime import Runtime

    path = tmp_path / "warning.yaml"
    path.write_text(
        f"database: sqlite:///{tmp_path / 'w.db'}\n"
        "feeds:\n  - name: a\n    url: http://127.0.0.1:9/a.xml\n"
        "poll:\n  processes: 2\n"
    )
    settings = config.load(path)
    with Runtime(settings) as runtime:
        runtime.start()  # no cycle runs: only start() can have started them
        deadline = time.monotonic() + 60
        while len(runtime.workers.pids()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(runtime.workers.pids()) == 2, "the whole pool: a large feed is shared"
    with Runtime(settings) as runtime:
        runtime.start()  # the schema exists: the cycle decides, from the feeds' states
        assert runtime.workers._count == 0
