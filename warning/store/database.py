"""The Database: an engine, its transactions, and what every query class needs of it.

Query classes (feeds.py, items.py, alerts.py, evidence.py, outbox.py, advisories.py)
take one and use only its public side: :meth:`Database.read` for a connection to read
on, :meth:`Database.write` to run work in one write transaction, :meth:`Database.insert`
for the backend's ``INSERT .. ON CONFLICT`` and :func:`chunks` for ``IN (...)`` lists.

Writes run in short transactions; on SQLite one writer at a time (a lock in this
process, ``BEGIN IMMEDIATE`` across processes), on PostgreSQL as many as the server
allows, with conflicts settled by unique keys rather than by locks of ours.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, make_url, select
from sqlalchemy import exc as sa_exc

from warning.errors import StoreError
from warning.store import migrate as migrations
from warning.store.engine import WRITE_OPTION, is_memory_sqlite, make_engine, safe_url

log = logging.getLogger("warning.store.queries")  # the logger these messages always had

T = TypeVar("T")
S = TypeVar("S")

HINT = "check the `database` URL in the configuration and that the database server is running"

#: Keys per ``IN (...)`` list: far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 500

#: PostgreSQL errors after which the whole transaction can simply run again.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock
ATTEMPTS = 3


def chunks(keys: Sequence[S]) -> Iterator[Sequence[S]]:
    """``keys`` in slices of at most :data:`CHUNK`, for ``IN (...)`` lists."""
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


class Database:
    """One database URL: its engine, read connections and write transactions."""

    def __init__(self, url: str) -> None:
        self.safe_url = safe_url(url)
        try:
            backend = make_url(url).get_backend_name()
        except sa_exc.ArgumentError as err:
            raise StoreError(f"invalid database URL {self.safe_url}", HINT) from err
        if backend not in ("sqlite", "postgresql"):
            raise StoreError(
                f"unsupported database {self.safe_url}",
                "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
            )
        try:
            self.engine: Engine = make_engine(url)
        except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError) as err:
            raise StoreError(f"invalid database URL {self.safe_url}: {err}", HINT) from err
        except OSError as err:  # the SQLite file's directory could not be created
            raise StoreError(f"cannot create the database {self.safe_url}: {err}", HINT) from err
        except ModuleNotFoundError as err:  # the backend's driver is not installed
            raise StoreError(
                f"no driver for database URL {self.safe_url}: {err}",
                "for PostgreSQL install the `postgres` extra (psycopg)",
            ) from err
        # Only the backend's own dialect module: PostgreSQL's costs 25 ms to import.
        self._dialect_insert = importlib.import_module(f"sqlalchemy.dialects.{self.dialect}").insert
        # SQLite has one writer at a time anyway; waiting on a lock here is fairer and
        # cheaper than every thread polling the file lock through the busy timeout.
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if self.dialect == "sqlite" else contextlib.nullcontext()
        )
        # An in-memory database is one shared connection: readers must queue too.
        self._read_lock = (
            self._write_lock if is_memory_sqlite(self.engine) else contextlib.nullcontext()
        )

    @property
    def dialect(self) -> str:
        """The backend's name: ``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    def insert(self, table: Table) -> Any:
        """The backend's INSERT for ``table``, which has ``on_conflict_do_nothing/update``."""
        return self._dialect_insert(table)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection to read on; database failures come out as StoreError."""
        with self.errors(), self._read_lock, self.engine.connect() as conn:
            yield conn

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, again if PostgreSQL aborted it as transient.

        A callable rather than a ``with`` block because a retry runs the work again.
        """
        attempt = 1
        while True:
            try:
                with self.errors(), self._write_lock, self.engine.connect() as conn:
                    conn.execution_options(**{WRITE_OPTION: True})
                    with conn.begin():
                        return work(conn)
            except StoreError as err:
                sqlstate = getattr(getattr(err.__cause__, "orig", None), "sqlstate", None)
                if attempt >= ATTEMPTS or sqlstate not in TRANSIENT_SQLSTATES:
                    raise
                log.debug("retrying a transaction after %s (attempt %d)", sqlstate, attempt)
                attempt += 1

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Turn an unreachable or failing database into StoreError; let bugs through."""
        try:
            yield
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as err:
            reason = " ".join(str(err.orig).split()) if err.orig is not None else str(err)
            raise StoreError(f"database {self.safe_url}: {reason}", HINT) from err
        except sa_exc.DisconnectionError as err:
            raise StoreError(f"database {self.safe_url}: {err}", HINT) from err
        except sa_exc.StatementError as err:
            # A value our types refused (a naive datetime): the caller's bug, said plainly.
            if not isinstance(err, sa_exc.DBAPIError) and isinstance(err.orig, ValueError):
                raise err.orig from None
            raise

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision (safe to call on every start)."""
        with self.errors(), self._write_lock:
            migrations.migrate(self.engine)

    def is_new(self) -> bool:
        """Whether the database has no schema of ours yet (migrate() would create it)."""
        with self.errors():
            return migrations.never_migrated(self.engine)

    def ping(self) -> None:
        """Check the database answers; StoreError when it does not."""
        with self.read() as conn:
            conn.execute(select(1)).one()
