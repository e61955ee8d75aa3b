"""Inside a worker process of the pool (workers.py): its task loop, and its death with the daemon.

The pool runs in the daemon and this module in each worker it spawns; the two share
nothing but the pipe, over which the pool sends ``(fn, args)`` and the worker replies
``("ready" | "ok" | "error", value)``.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from .. import logs, redact
from ..errors import AppError

#: How often a worker checks that the daemon is still its parent, where prctl is missing.
PARENT_CHECK_S = 0.5
#: prctl(2) option: the signal this process gets when the thread that started it exits.
PR_SET_PDEATHSIG = 1


def worker_main(
    conn: Connection,
    parent: int,
    log_level: int,
    masks: tuple[str, ...],
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
) -> None:
    """A worker's life: initialise, say ready, then run one task per message until EOF."""
    # The parent decides when workers stop: a SIGTERM or Ctrl-C sent to the whole
    # process group must not kill a database write half-way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent(parent)
    logs.setup(log_level)
    redact.mask(masks)
    try:
        initializer(*initargs)
    except BaseException as exc:
        _reply(conn, "error", exc)
        return
    _reply(conn, "ready", None)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            # The pool closed our pipe: stop. The pool's close(), and with it every
            # poll --once, waits for this exit: the interpreter's last collection would
            # walk every object of the pack and the table's caches (~0.1 s) only to free
            # memory the system takes back anyway (as `warning` itself does, cli.run()).
            gc.freeze()
            return
        fn, args = task
        try:
            result = fn(*args)
        except BaseException as exc:
            if not isinstance(exc, AppError):  # a bug: keep where it happened
                exc.add_note("".join(traceback.format_exception(exc)).rstrip())
            _reply(conn, "error", exc)
        else:
            _reply(conn, "ok", result)


def _reply(conn: Connection, kind: str, value: Any) -> None:
    try:
        conn.send((kind, value))
    except (EOFError, OSError):
        os._exit(1)  # the parent is gone or gave up on us
    except Exception as exc:  # the value does not pickle; say so rather than hang the caller
        conn.send(("error", RuntimeError(f"worker {kind} value could not be sent: {exc!r}")))


def _die_with_parent(parent: int) -> None:
    """Exit when the daemon dies, even by SIGKILL, even while this worker is busy.

    Otherwise a killed daemon leaves its workers behind (~230 MB each) outside
    systemd's cgroup cleanup, and one stuck in C code spins forever. On Linux the
    kernel does it (PR_SET_PDEATHSIG), needing nothing from this process, not even
    the GIL. It fires when the *thread* that started the worker exits, so the pool
    starts every worker from one thread that lives as long as the pool. Elsewhere a
    thread watches the parent, which a task holding the GIL delays.
    """
    by_kernel = False
    if sys.platform.startswith("linux"):
        import ctypes  # here: only a worker needs it, and the daemon and CLI start faster

        with contextlib.suppress(OSError, AttributeError):
            by_kernel = ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0
    if os.getppid() != parent:  # the parent died before this worker got here
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    if not by_kernel:
        threading.Thread(target=watch, name="warning-parent-watch", daemon=True).start()
