"""Run the Alembic migrations shipped inside the package, without an alembic.ini."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from warning.store.engine import WRITE_OPTION

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where it is used, and only when there is work for it: every
# command opens a store and asks for the newest schema, which the database almost
# always has already; importing Alembic and reading its scripts to learn that took
# 0.1 s of every command's start (see newest_shipped and at_newest).

log = logging.getLogger(__name__)

#: Where the migration scripts live; found from this file so an installed package works.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

#: Key of the PostgreSQL advisory lock that serialises migrations of one database
#: (an arbitrary constant: "warning" in ASCII).
ADVISORY_LOCK_KEY = 0x7761726E696E67

# Alembic's `context` and `op` are process-wide proxies: two threads migrating at once
# (two Stores in one process) would drive each other's connections.
_IN_PROCESS = threading.Lock()


def alembic_config() -> Config:
    """An Alembic Config pointing at the packaged migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest revision the package ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # only possible if the versions folder were empty
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


def newest_shipped() -> str:
    """The newest revision the package ships, from the scripts' file names alone.

    Each script is named after its revision (``0006_leases.py`` holds ``0006``) and
    revisions are numbered in order; tests/test_imports.py holds this equal to
    Alembic's own head, so a script named otherwise fails the tests rather than
    being skipped here.
    """
    names = sorted(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("*_*.py"))
    if not names:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return names[-1]


def _stored_revisions(engine: Engine) -> list[str] | None:
    """The revisions the database says it is at; None when it has no schema of ours."""
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:  # no such table yet: a new database
        return None
    return [row[0] for row in found]


def at_newest(engine: Engine) -> bool:
    """True when the database is at the newest shipped revision (a plain query, no Alembic).

    Anything else (never migrated, older, mid-migration in another instance, or not
    readable) is False, and :func:`migrate` takes its locked path to find out.
    """
    return _stored_revisions(engine) == [newest_shipped()]


def never_migrated(engine: Engine) -> bool:
    """True when the database has no schema of ours yet: a first start."""
    return _stored_revisions(engine) is None


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest revision; a no-op when it is already there.

    The version check and the upgrade run in one transaction that this function owns
    (Alembic sees it as external and leaves it alone), so a failed migration leaves
    nothing behind. Instances starting together take turns: on PostgreSQL through a
    session advisory lock, on SQLite through ``BEGIN IMMEDIATE``; the second finds
    the work done.
    """
    if at_newest(engine):
        return
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    safe = engine.url.render_as_string(hide_password=True)
    dialect = engine.dialect.name
    head = head_revision()
    with _IN_PROCESS, engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        if dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            conn.commit()  # the lock belongs to the session and outlives this transaction
        try:
            if dialect == "sqlite":
                # Batch migrations rebuild tables; with foreign keys on, dropping the old
                # table would cascade-delete rows that reference it.
                _sqlite_pragma(conn, "foreign_keys=OFF")
            try:
                with conn.begin():
                    before = MigrationContext.configure(conn).get_current_revision()
                    if before == head:
                        log.debug("database %s is at revision %s", safe, head)
                        return
                    log.info("migrating database %s from revision %s to %s", safe, before, head)
                    config = alembic_config()
                    config.attributes["connection"] = conn
                    command.upgrade(config, "head")
                    if dialect == "sqlite":
                        _sqlite_check_foreign_keys(conn)
            finally:
                if dialect == "sqlite":
                    _sqlite_pragma(conn, "foreign_keys=ON")
        finally:
            if dialect == "postgresql":
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                conn.commit()


def _sqlite_pragma(conn: Connection, pragma: str) -> None:
    # Straight to the driver, outside any transaction: inside one, SQLite ignores it.
    conn.connection.driver_connection.execute(f"PRAGMA {pragma}")  # type: ignore[union-attr]


def _sqlite_check_foreign_keys(conn: Connection) -> None:
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left rows with dangling foreign keys: {broken[:5]}")
