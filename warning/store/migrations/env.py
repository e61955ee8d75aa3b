"""Alembic environment: runs migrations on the connection that warning.store.migrate passes in.

There is no alembic.ini and no URL here: ``migrate()`` builds the Config in code and
puts an open connection in ``config.attributes["connection"]``, so the command line
tools and the daemon migrate the very database they are configured for.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from warning.store.tables import metadata


def run_migrations_online() -> None:
    """Run pending migrations on the caller's connection."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "warning migrations run through warning.store.migrate(), not the alembic command"
        )
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=sqlite,
        # Our engine emits BEGIN itself, so SQLite DDL is transactional too: the whole
        # upgrade commits or rolls back as one, on both backends.
        transactional_ddl=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported")
run_migrations_online()
