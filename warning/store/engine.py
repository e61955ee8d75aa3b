"""Engine creation: SQLite pragmas and transaction control, PostgreSQL pooling, UTC times.

SQLite is the embedded default and PostgreSQL the shared one; everything above this
module sees the same behaviour from both: timezone-aware UTC datetimes, foreign keys
enforced, and write transactions that take the database's write lock up front.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool
from sqlalchemy.types import TypeDecorator

from warning.store.access import open_as_owner

log = logging.getLogger(__name__)

#: Execution option that makes the next transaction on a SQLite connection a writer.
WRITE_OPTION = "warning_write"

#: Milliseconds a SQLite connection waits for another process's write lock.
SQLITE_BUSY_TIMEOUT_MS = 30_000


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``; SQLite stores naive text, so values are
    converted to UTC before writing and marked UTC after reading. Naive datetimes
    are refused: their meaning depends on the machine's clock settings.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Check and convert a datetime on its way into the database."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: times must be UTC-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return stored datetimes as aware UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def safe_url(url: str) -> str:
    """The URL with its password and secret query values (``?password=``) masked."""
    from warning.redact import redact_url  # the one place URLs are redacted

    return redact_url(url)


def make_engine(url: str) -> Engine:
    """Create the engine for a SQLAlchemy URL (SQLite file or memory, or PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url)
    else:
        connect_args: dict[str, Any] = {}
        if parsed.get_driver_name() == "psycopg":
            # No server-side prepared statements: a generic plan cached while a table was
            # nearly empty (a fresh database's first cycle) stays a sequential scan as the
            # table grows. Planning each query afresh is cheap; that was not.
            connect_args["prepare_threshold"] = None
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    log.debug("database engine for %s", engine.url.render_as_string(hide_password=True))
    return engine


def is_memory_sqlite(engine: Engine) -> bool:
    """True for an in-memory SQLite database (one shared connection)."""
    return engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    database = parsed.database or ""
    memory = database in ("", ":memory:")
    if memory:
        # One connection for every thread: otherwise each thread sees its own empty database.
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        if not database.startswith("file:"):
            open_as_owner(Path(database).absolute())  # never root-owned files in its folder
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the sqlite3 module (its legacy mode skips
        # BEGIN for SELECT and DDL); _on_begin below emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not memory:
                _use_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the write lock at BEGIN, so the busy timeout applies; a deferred
        # transaction that upgrades from read to write later can fail at once with
        # "database is locked" when another writer committed in between.
        options: dict[str, Any] = dict(conn.get_execution_options())
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE_OPTION) else "BEGIN")

    return engine


def _use_wal(cursor: Any) -> None:
    """Switch a SQLite file to WAL (persistent, so usually already done).

    Processes opening a new file together can deadlock on the switch; SQLite then
    answers "database is locked" at once, without waiting out the busy timeout,
    so we retry ourselves.
    """
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.01, 0.05))
