"""Worker processes: work runs elsewhere, errors come back whole, a dead worker is replaced."""

from __future__ import annotations

import os
import pickle
import threading
import time

import pytest

from warning.errors import HTTPStatusError, ParseError, SourceError
from warning.workers import WorkerPool

_marker: str | None = None


def _init(marker: str) -> None:
    global _marker
    _marker = marker


def _whoami() -> tuple[int, str | None]:
    return os.getpid(), _marker


def _raise_parse_error() -> None:
    raise ParseError("no entries in http://x/feed", "check the feed url")


def _die() -> None:
    os._exit(3)


def _slow_write(path: str) -> None:
    time.sleep(0.5)
    with open(path, "w") as f:
        f.write("done")


def test_work_runs_in_an_initialised_worker_process() -> None:
    with WorkerPool(1, _init, ("opened",)) as pool:
        pid, marker = pool.call(_whoami)
    assert pid != os.getpid()
    assert marker == "opened"


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


def _wchan(pid: int) -> str:
    with open(f"/proc/{pid}/wchan") as f:
        return f.read()


def test_a_broken_pool_closes_even_when_the_dead_worker_held_the_queue_lock() -> None:
    pool = WorkerPool(2, _init, ("x",))
    barrier = [threading.Thread(target=pool.call, args=(time.sleep, 0.5)) for _ in range(2)]
    for t in barrier:
        t.start()
    for t in barrier:
        t.join(30)
    pids = list(pool._pool._processes)  # type: ignore[union-attr]
    assert len(pids) == 2
    time.sleep(0.5)
    try:
        # Idle workers wait for work: one reads the queue holding its lock, the other
        # waits for the lock (in futex). Kill the holder, the worst case.
        holder = [p for p in pids if "futex" not in _wchan(p)]
    except OSError:
        pool.close()
        pytest.skip("needs /proc/<pid>/wchan")
    assert len(holder) == 1, [_wchan(p) for p in pids]
    os.kill(holder[0], 9)
    closing = threading.Thread(target=pool.close)
    closing.start()
    closing.join(20)
    assert not closing.is_alive(), "close() hung on a broken pool"
    for pid in pids:
        with pytest.raises(OSError):
            os.kill(pid, 0)  # reaped: no such process
