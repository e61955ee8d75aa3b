"""Engine creation: SQLite pragmas and transaction control, PostgreSQL pooling, UTC times.

SQLite is the embedded default and PostgreSQL the shared one; everything above this
module sees the same behaviour from both: timezone-aware UTC datetimes, foreign keys
enforced, and write transactions that take the database's write lock up front.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool
from sqlalchemy.types import TypeDecorator

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
    """The URL with any password masked, for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL may still hold a secret: say nothing of it
        return "<unparsable database URL>"


def make_engine(url: str) -> Engine:
    """Create the engine for a SQLAlchemy URL (SQLite file or memory, or PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url)
    else:
        engine = create_engine(url, pool_pre_ping=True)
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
        engine = create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        if not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the sqlite3 module (its legacy mode skips
        # BEGIN for SELECT and DDL); _on_begin below emits BEGIN itself.
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
        cursor = dbapi_connection.cursor()
        try:
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
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
