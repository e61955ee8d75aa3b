"""Run the Alembic migrations shipped inside the package, without an alembic.ini."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from warning.store.engine import WRITE_OPTION

log = logging.getLogger(__name__)

#: Where the migration scripts live; found from this file so an installed package works.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

#: Key of the PostgreSQL advisory lock that serialises migrations of one database
#: (an arbitrary constant: "warning" in ASCII).
ADVISORY_LOCK_KEY = 0x7761726E696E67


def alembic_config() -> Config:
    """An Alembic Config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest revision the package ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # only possible if the versions folder were empty
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest revision; a no-op when it is already there.

    On PostgreSQL a session advisory lock makes instances that start together take
    turns; the second finds the work done. On SQLite the migration runs in one
    ``BEGIN IMMEDIATE`` transaction, which serialises it the same way.
    """
    safe = engine.url.render_as_string(hide_password=True)
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        if postgres:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            conn.commit()  # the lock is held by the session, beyond this transaction
        try:
            before = MigrationContext.configure(conn).get_current_revision()
            conn.rollback()  # end the read so the upgrade starts its own transaction
            head = head_revision()
            if before == head:
                log.debug("database %s is at revision %s", safe, head)
                return
            log.info("migrating database %s from revision %s to %s", safe, before, head)
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            conn.commit()
        finally:
            if postgres:
                conn.rollback()  # a failed upgrade leaves the transaction aborted
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                conn.commit()
