"""Worker processes for the CPU-bound part of a poll.

feedparser, normalisation and the database writes are pure Python: with every
poll thread doing them in one process, a cycle over many changed feeds runs
on one core, and a huge feed holds the GIL that the scheduler, the watchdog
and the fetcher's event loop need. A small process pool uses every core and
keeps the daemon responsive. Workers are started with ``spawn`` (the daemon
has threads, and forking a threaded process is unsafe) and only when first
needed, so a steady-state cycle of 304s never starts one.

This module only runs functions; what they do is the pipeline's business.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from . import logs
from .errors import SourceError

log = logging.getLogger(__name__)

T = TypeVar("T")


def default_workers() -> int:
    """One worker per core on a multi-core machine; none (run inline) on one core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores if cores and cores > 1 else 0


#: How often a worker checks that the daemon is still its parent.
PARENT_CHECK_S = 0.5
#: How often close() looks for a worker that died while the pool shuts down.
SHUTDOWN_CHECK_S = 0.5


def _start_worker(
    log_level: int, initializer: Callable[..., None], initargs: tuple[Any, ...]
) -> None:
    # The parent decides when workers stop (pool shutdown): a SIGTERM or Ctrl-C sent
    # to the whole process group must not kill a database write half-way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()
    logs.setup(log_level)
    initializer(*initargs)


def _die_with_parent() -> None:
    """Exit when the daemon dies (even by SIGKILL), within PARENT_CHECK_S.

    Otherwise a killed daemon leaves its workers behind, each holding a model and a
    gazetteer (~230 MB), when it runs outside systemd's cgroup cleanup. A write in
    progress is a transaction the database rolls back. Not prctl(PR_SET_PDEATHSIG):
    that fires when the *thread* that started the worker ends, and workers are
    started by whichever poll thread submits first, so they were killed at random,
    sometimes holding the pool's queue lock, which then hung the pool's shutdown.
    """
    parent = os.getppid()
    if parent == 1:  # the parent died before this worker got here
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="warning-parent-watch", daemon=True).start()


def _processes(pool: ProcessPoolExecutor) -> list[Any]:
    """The pool's worker processes (a private attribute, there since Python 3.2;
    shutdown() clears it, so take it before)."""
    return list((getattr(pool, "_processes", None) or {}).values())


def _kill(processes: list[Any]) -> None:
    """SIGKILL the workers of a broken pool.

    The executor stops the survivors of a broken pool with SIGTERM, which workers
    ignore (see _start_worker); one left waiting on a queue lock that a dead worker
    held would make the pool's shutdown wait forever. Their tasks have already
    failed, and a write in progress is a transaction the database rolls back.
    """
    for process in processes:
        if process.is_alive():
            process.kill()


class WorkerPool:
    """Runs picklable functions in ``workers`` processes.

    ``initializer(*initargs)`` runs once in each new worker (to open its own
    database connection, say). With ``workers`` 0 nothing is started and the
    caller runs the work inline instead.
    """

    def __init__(
        self, workers: int, initializer: Callable[..., None], initargs: tuple[Any, ...] = ()
    ) -> None:
        self.workers = workers
        self._initializer = initializer
        self._initargs = initargs
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def inline(self) -> bool:
        return self.workers == 0

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker; SourceError if the worker died doing it."""
        pool = self._get()
        try:
            return pool.submit(fn, *args).result()
        except BrokenProcessPool:
            self._discard(pool)
            raise SourceError(
                "a worker process died while handling this feed",
                "the feed may be pathologically large or malformed; it is retried with backoff",
            ) from None

    def _get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("worker pool is closed")
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(
                        logging.getLogger().level,
                        self._initializer,
                        self._initargs,
                    ),
                )
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        _kill(_processes(pool))
        pool.shutdown(wait=False, cancel_futures=True)
        log.warning("a worker process died; a new pool starts with the next task")

    def close(self) -> None:
        """Let work in flight finish (so database writes complete), then stop the workers."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is None:
            return
        # shutdown(wait=True), except that once a worker has died the others are
        # killed rather than waited for (see _kill). The pool may not know yet that
        # it is broken: a shutdown that starts first takes the orderly path, which
        # waits for every worker just the same.
        manager = getattr(pool, "_executor_manager_thread", None)
        processes = _processes(pool)
        pool.shutdown(wait=False, cancel_futures=True)
        while manager is not None and manager.is_alive():
            manager.join(SHUTDOWN_CHECK_S)
            if any(process.exitcode not in (None, 0) for process in processes):
                _kill(processes)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
