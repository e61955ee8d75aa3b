"""Worker processes for the CPU-bound part of a poll.

feedparser, normalisation and the database writes are pure Python: with every
poll thread doing them in one process, a cycle over many changed feeds runs
on one core, and a huge feed holds the GIL that the scheduler, the watchdog
and the fetcher's event loop need. A small process pool uses every core and
keeps the daemon responsive. Workers are started with ``spawn`` (the daemon
has threads, and forking a threaded process is unsafe) and only when first
needed, so a steady-state cycle of 304s never starts one.

Every task has a deadline: feed text is hostile, and a parse can hang in C code
(a backtracking regex holds the GIL) where nothing inside the worker can stop it,
so the parent SIGKILLs the worker and the next task gets a new one. Hence a pool
of our own rather than ProcessPoolExecutor, which cannot stop one task: each
worker has its own pipe and one task at a time, so a kill costs exactly the task
it was running. No queue is shared whose lock a killed worker could leave held;
the other tasks in flight carry on, with nothing to fail or retry.

This module only runs functions; what they do is the pipeline's business. What runs
inside a worker (its loop, and its death with the daemon) is in worker_process.py.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import multiprocessing.util  # registers its exit hook now, so that ours runs before it
import os
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from .. import redact
from ..errors import SourceError
from .worker_process import worker_main

log = logging.getLogger(__name__)

T = TypeVar("T")

#: A task given no deadline of its own gets this one: none runs unbounded.
DEFAULT_DEADLINE_S = 300.0
#: How long close() lets tasks in flight finish (their database writes) before killing them.
CLOSE_GRACE_S = 10.0
#: A new worker must have imported and run its initializer within this.
STARTUP_S = 120.0


def default_workers() -> int:
    """One worker per core on a multi-core machine; none (run inline) on one core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores if cores and cores > 1 else 0


class WorkerTimeout(SourceError):
    """A task outlived its deadline; its worker was killed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"a worker task took longer than {seconds:g} s; its worker process was stopped",
            "the input may be built to stall parsers; it is retried with backoff",
        )
        self.seconds = seconds


class WorkCancelled(SourceError):
    """The pool closed (the daemon is stopping) before this task finished: not its fault."""

    def __init__(self) -> None:
        super().__init__("the worker pool closed before this task finished")


@dataclass(eq=False)  # compared and hashed by identity
class _Worker:
    process: Any
    conn: Connection
    cancelled: bool = False  # set by close(): its death is the pool's doing
    idle_since: float = 0.0  # time.monotonic() when it last became idle

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        """Let an idle worker exit by itself (EOF on its pipe), or kill it."""
        self.conn.close()
        self.process.join(5)
        self.kill()  # a no-op once it has exited


class WorkerPool:
    """Runs picklable functions in up to ``workers`` processes, each with a deadline.

    ``initializer(*initargs)`` runs once in each new worker (to open its own
    database connection, say). With ``workers`` 0 nothing is started and the
    caller runs the work inline instead (with no deadline: a thread cannot be killed).
    """

    def __init__(
        self, workers: int, initializer: Callable[..., None], initargs: tuple[Any, ...] = ()
    ) -> None:
        self.workers = workers
        self._initializer = initializer
        self._initargs = initargs
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._count = 0  # workers alive or starting
        self._warming = 0  # of which started by warm(), not yet idle
        self._claims = 0  # callers waiting for one of those rather than starting their own
        self._closed = False
        # Every worker is started from this one thread, which lives as long as the pool
        # (see worker_process._die_with_parent); an executor's thread waits for work until shutdown.
        self._spawner = ThreadPoolExecutor(1, thread_name_prefix="warning-spawner")

    @property
    def inline(self) -> bool:
        return self.workers == 0

    def pids(self) -> list[int]:
        """The worker processes alive now (for tests and diagnostics)."""
        with self._cond:
            return [w.process.pid for w in (*self._idle, *self._busy)]

    def call(self, fn: Callable[..., T], *args: Any, deadline: float = DEFAULT_DEADLINE_S) -> T:
        """``fn(*args)`` in a worker, within ``deadline`` seconds of the worker taking it.

        Raises what ``fn`` raised; WorkerTimeout when the deadline passed (the worker
        is killed); SourceError if the worker died; WorkCancelled once the pool closes.
        A wait for a free worker is not counted: it is bounded by the others' deadlines.
        """
        worker = self._take()
        healthy = False
        try:
            try:
                worker.conn.send((fn, args))
                if not worker.conn.poll(deadline):
                    raise WorkerTimeout(deadline)  # _give_back kills it
                kind, value = worker.conn.recv()
            except (EOFError, OSError):
                if worker.cancelled:
                    raise WorkCancelled() from None
                raise SourceError(
                    "a worker process died while handling this feed",
                    "the feed may be pathologically large or malformed; it is retried with backoff",
                ) from None
            healthy = True
        finally:
            self._give_back(worker, healthy)
        if kind == "error":
            raise value
        return value

    def warm(self, tasks: int) -> None:
        """Start workers for ``tasks`` coming tasks now, in the background (at most the
        pool's size, counting those up or starting): their start-up (0.3 s each) then
        overlaps what the caller does before the first task, such as fetching it.

        A task arriving meanwhile waits for a warming worker rather than starting
        another. A failed start is only logged; the task starts a worker itself, and
        reports the failure if it recurs.
        """
        with self._cond:
            wanted = 0 if self._closed else min(tasks, self.workers) - self._count
            if wanted <= 0:
                return
            self._count += wanted  # their slots, as _take counts a start
            self._warming += wanted
        for _ in range(wanted):
            threading.Thread(target=self._warm_one, name="warning-warm", daemon=True).start()

    def _warm_one(self) -> None:
        worker: _Worker | None = None
        try:
            worker = self._start()
        except BaseException as exc:
            if not isinstance(exc, WorkCancelled):
                log.warning("a worker process did not start ahead of its first task: %s", exc)
        with self._cond:
            self._warming -= 1
            keep = worker is not None and not self._closed
            if worker is not None and keep:
                worker.idle_since = time.monotonic()
                self._idle.append(worker)
            else:
                self._count -= 1
            self._cond.notify_all()  # whoever claimed it, or may now start one
        if worker is not None and not keep:
            worker.stop()

    def _take(self) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise WorkCancelled()
                while self._idle:
                    worker = self._idle.pop()
                    if worker.process.is_alive():
                        self._busy.add(worker)
                        return worker
                    self._count -= 1  # died idle (the OOM killer, say): not this task's fault
                    worker.conn.close()
                if self._warming > self._claims:  # one is starting already: wait for it
                    self._claims += 1
                    try:
                        self._cond.wait()
                    finally:
                        self._claims -= 1
                    continue
                if self._count < self.workers:
                    self._count += 1  # a slot for the worker we start below
                    break
                self._cond.wait()
        try:
            worker = self._start()
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise
        with self._cond:
            if not self._closed:
                self._busy.add(worker)
                return worker
            self._count -= 1
        worker.stop()
        raise WorkCancelled()

    def _start(self) -> _Worker:
        """A new worker, initialised and ready (its start-up is not any task's time)."""
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        level = logging.getLogger().level
        # The secrets filled into feed URLs, for the worker's log lines to mask.
        masks = redact.masked()
        args = (theirs, os.getpid(), level, masks, self._initializer, self._initargs)
        process = context.Process(target=worker_main, args=args, name="warning-worker")
        _open_pools.add(self)
        try:
            self._spawner.submit(process.start).result()
        except BaseException as exc:
            ours.close()
            if isinstance(exc, RuntimeError) and self._closed:  # the spawner shut down too
                raise WorkCancelled() from None
            raise
        finally:
            theirs.close()
        worker = _Worker(process, ours)
        try:
            if not ours.poll(STARTUP_S):
                raise SourceError(
                    f"a worker process did not start within {STARTUP_S:g} s",
                    "the machine may be overloaded; the feed is retried with backoff",
                )
            kind, value = ours.recv()
            if kind == "error":  # the initializer failed
                raise value
        except BaseException as exc:
            worker.kill()
            if isinstance(exc, EOFError | OSError):
                raise SourceError(
                    "a worker process died while starting",
                    "see the log lines before this one; the feed is retried with backoff",
                ) from None
            raise
        return worker

    def _give_back(self, worker: _Worker, healthy: bool) -> None:
        with self._cond:
            self._busy.discard(worker)
            keep = healthy and not self._closed
            if keep:
                worker.idle_since = time.monotonic()
                self._idle.append(worker)
                # One idle worker serves one waiting caller: waking all 64 poll threads
                # for it cost the daemon 0.1 ms of CPU per task.
                self._cond.notify()
            else:
                self._count -= 1
                self._cond.notify_all()  # a free slot, or close() waiting for the last task
        if not keep:
            if healthy:
                worker.stop()
            else:
                worker.kill()
                if not worker.cancelled:
                    log.warning("a worker process was stopped; the next task starts a new one")

    def retire_idle(self, after: float) -> int:
        """Stop the workers idle for ``after`` seconds or more; how many were stopped.

        A worker holds the pack, numpy and the table's caches (~70 MB): a daemon whose
        feeds have brought nothing new for a while gives that back, and the next feed
        with news starts a worker again (during its fetch, see warm()). Idle workers
        are reused newest first, so in a busy hour the spare ones are those that retire.
        """
        now = time.monotonic()
        with self._cond:
            old = [w for w in self._idle if now - w.idle_since >= after]
            self._idle = [w for w in self._idle if w not in old]
            self._count -= len(old)
            self._cond.notify_all()  # free slots
        for worker in old:
            worker.stop()
        if old:
            log.info("stopped %d worker process(es) idle for %g s or more", len(old), after)
        return len(old)

    def close(self, grace: float = CLOSE_GRACE_S) -> None:
        """Let tasks in flight finish (their database writes) for up to ``grace``
        seconds, then kill the workers still busy and stop the idle ones.

        A killed task's caller gets WorkCancelled; a write it had begun is a
        transaction the database rolls back.
        """
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._cond.notify_all()  # callers waiting for a worker give up
        for worker in idle:
            worker.stop()
        end = time.monotonic() + grace
        with self._cond:
            while self._busy and (left := end - time.monotonic()) > 0:
                self._cond.wait(left)
            stuck = list(self._busy)
        for worker in stuck:
            worker.cancelled = True
            worker.process.kill()  # its caller wakes (EOF on the pipe) and reaps it
        if stuck:
            log.warning("stopped %d worker task(s) still running after %g s", len(stuck), grace)
        with self._cond:  # each caller wakes on EOF and reaps its worker
            self._cond.wait_for(lambda: not self._busy, 10)
        self._spawner.shutdown()
        _open_pools.discard(self)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Pools that have started workers and are not closed yet.
_open_pools: weakref.WeakSet[WorkerPool] = weakref.WeakSet()


@atexit.register
def _kill_leftovers() -> None:
    """Kill the workers of pools nobody closed (a crash, a forgotten close()).

    Otherwise multiprocessing's exit hook joins them, and they ignore SIGTERM and
    wait on their pipes for work: the interpreter would never exit.
    """
    for pool in list(_open_pools):
        for worker in [*pool._idle, *pool._busy]:
            worker.process.kill()
