"""A PostgreSQL server for tests: the one named by WARNING_TEST_PG_URL, or a throwaway cluster.

The throwaway cluster is built with the machine's own ``initdb``/``pg_ctl`` in a
temporary directory, listens only on a unix socket there, trusts local connections,
and is removed when the test session ends. As root (CI) the server runs as the
``postgres`` user, since PostgreSQL refuses to run as root. With neither the
variable nor the binaries, PostgreSQL tests skip with :data:`SKIP_REASON`.

Each pytest-xdist worker starts its own cluster (under a second: cheaper than sharing one
between processes that end in any order); with the variable set they share that server.
Either way every test gets a database of its own from :func:`fresh_database`.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

ENV_URL = "WARNING_TEST_PG_URL"
SKIP_REASON = "PostgreSQL tests skipped: no WARNING_TEST_PG_URL and no initdb/pg_ctl on PATH"

# Durability is pointless for a cluster that lives for one test session.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")

# Stops the cluster if the test process dies without cleaning up (killed, os._exit):
# a server left running would hold its directory in /tmp until the machine reboots.
WATCHDOG = """
import os, shutil, subprocess, sys, time
parent, root, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
while os.getppid() == parent:
    time.sleep(0.5)
subprocess.run(stop, cwd=root, capture_output=True, check=False)
shutil.rmtree(root, ignore_errors=True)
"""


class ThrowawayCluster:
    """A PostgreSQL cluster in a temporary directory, reachable by unix socket only."""

    def __init__(self) -> None:
        initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
        if initdb is None or pg_ctl is None:
            raise FileNotFoundError("initdb/pg_ctl not on PATH")
        self._initdb, self._pg_ctl = initdb, pg_ctl
        self._as_root = os.geteuid() == 0
        # The server user must reach the socket directory: as root, avoid a private TMPDIR.
        self.root = Path(
            tempfile.mkdtemp(prefix="warning-pg-", dir="/tmp" if self._as_root else None)
        )
        self.data = self.root / "data"
        self.user = "postgres" if self._as_root else getpass.getuser()
        self.url = f"postgresql+psycopg://{self.user}@/postgres?host={self.root}"
        self._watchdog: subprocess.Popen[bytes] | None = None

    def _command(self, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if self._as_root else list(args)

    def _run(self, *args: str) -> None:
        cmd = self._command(*args)
        done = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> str:
        """Create and start the cluster; its URL (database ``postgres``)."""
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            self._initdb, "-D", str(self.data), "-U", self.user, "--auth=trust",
            "--encoding=UTF8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        options = " ".join(
            ["-c listen_addresses=''", f"-c unix_socket_directories='{self.root}'"]
            + [f"-c {s}" for s in FAST_SETTINGS]
        )
        self._options = options
        log = self.root / "server.log"
        stop = self._command(self._pg_ctl, "-D", str(self.data), "-m", "immediate", "stop")
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", WATCHDOG, str(os.getpid()), str(self.root), *stop],
            start_new_session=True,  # outlives a Ctrl-C aimed at the test run
        )
        self._run(self._pg_ctl, "-D", str(self.data), "-l", str(log), "-o", options, "-w", "start")
        return self.url

    def pause(self) -> None:
        """Stop the server, keeping its data: the database "goes away"."""
        self._run(self._pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start the paused server again, as it was."""
        log = self.root / "server.log"
        self._run(
            self._pg_ctl, "-D", str(self.data), "-l", str(log), "-o", self._options, "-w", "start"
        )

    def stop(self) -> None:
        """Stop the server and delete the directory."""
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(self._pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def postgres_server() -> Iterator[str | None]:
    """Yield a server URL (with an existing database to connect to), or None when there is none."""
    url = os.environ.get(ENV_URL)
    if url:
        yield url
        return
    try:
        cluster = ThrowawayCluster()
    except FileNotFoundError:
        yield None
        return
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """Create an empty database on the server; yield its URL; drop it afterwards."""
    name = f"warning_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                # FORCE: a failed test may have left connections open in some pool.
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
