"""What several test modules share: waiting on events, the daemon as a process, config writers.

Test modules import helpers from here (or from the server modules), never from each other.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from warning import cli
from warning.store import Store

REPO = Path(__file__).resolve().parents[1]


def wait_for(predicate: Callable[[], object], timeout: float = 20.0, what: str = "") -> None:
    """Return once ``predicate()`` is true; fail naming ``what`` after ``timeout`` seconds.

    Wait on an event that proves the work happened (a log line, a metric, a row, a
    request the server saw), never on a sleep: a sleep passes vacuously on a slow machine.
    """
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or predicate}")
        time.sleep(0.05)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 a moment ago, for a listener the test cannot ask for port 0."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def metric(port: int, sample: str) -> float | None:
    """The value of one sample (``name`` or ``name{labels}``) on a daemon's /metrics.

    None while the listener is not up yet or the sample is absent.
    """
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            body = r.read().decode()
    except OSError:
        return None
    for line in body.splitlines():
        name, _, value = line.rpartition(" ")
        if name == sample:
            return float(value)
    return None


class NotifySocket:
    """A datagram socket standing in for systemd's NOTIFY_SOCKET; records every message."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="wn-", dir="/tmp")  # AF_UNIX paths are short
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages: list[str] = []
        self._closed = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._closed:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                continue
            except OSError:
                return

    def count(self, line: str) -> int:
        return sum(1 for m in self.messages if line in m.splitlines())

    def close(self) -> None:
        self._closed = True
        self._thread.join(2)
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


class Daemon:
    """`warning run` as systemd starts it: a real process, its output in ``daemon.log``."""

    def __init__(
        self,
        config: Path,
        notify: NotifySocket,
        tmp_path: Path,
        command: list[str] | None = None,
        **env: str,
    ) -> None:
        self.log_path = tmp_path / "daemon.log"
        self.log = self.log_path.open("w")
        # The checkout's code, not a copy installed in the environment: the daemon runs
        # in tmp_path, where `-m warning` would otherwise find only site-packages.
        path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        full_env = {
            **os.environ,
            "NOTIFY_SOCKET": notify.path,
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": path,
            **env,
        }
        self.proc = subprocess.Popen(
            [sys.executable, *(command or ["-m", "warning"]), "--config", str(config), "run"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=tmp_path,
        )

    def text(self) -> str:
        return self.log_path.read_text()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> tuple[int, float]:
        start = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        return code, time.monotonic() - start

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def write_daemon_config(path: Path, db: Path, feeds: list[dict[str, object]]) -> None:
    """A daemon configuration: a SQLite database at ``db`` and ``feeds``."""
    path.write_text(yaml.safe_dump({"database": f"sqlite:///{db}", "feeds": feeds}))


def item_count(db: Path) -> int:
    store = Store(f"sqlite:///{db}")
    try:
        return store.count_items()
    finally:
        store.close()


def write_config(
    tmp_path: Path, feeds: list[dict[str, Any]], database: str | None = None, **extra: Any
) -> Path:
    """``tmp_path/warning.yaml`` with ``feeds``, other top-level keys from ``extra``."""
    database = database or f"sqlite:///{tmp_path / 'warning.db'}"
    data: dict[str, Any] = {"database": database, "feeds": feeds}
    data.update(extra)
    path = tmp_path / "warning.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def poll_once(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """`warning poll --once --json` in process; its JSON report."""
    capsys.readouterr()
    assert cli.main(["--config", str(path), "poll", "--once", "--json"]) == 0
    return json.loads(capsys.readouterr().out)
