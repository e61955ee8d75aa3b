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


def _start_worker(
    log_level: int, initializer: Callable[..., None], initargs: tuple[Any, ...]
) -> None:
    # The parent decides when workers stop (pool shutdown): a SIGTERM or Ctrl-C sent
    # to the whole process group must not kill a database write half-way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logs.setup(log_level)
    initializer(*initargs)


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
        pool.shutdown(wait=False, cancel_futures=True)
        log.warning("a worker process died; a new pool starts with the next task")

    def close(self) -> None:
        """Let work in flight finish (so database writes complete), then stop the workers."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
