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

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
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


#: prctl(2) option: the signal this process gets when its parent dies.
PR_SET_PDEATHSIG = 1


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
    """On Linux, have the kernel kill this worker when the daemon dies (even by SIGKILL).

    Otherwise a killed daemon leaves its workers behind, each holding a model and a
    gazetteer (~230 MB), when it runs outside systemd's cgroup cleanup. A write in
    progress is a transaction the database rolls back.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the call took effect
        os._exit(1)


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
