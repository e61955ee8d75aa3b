"""Storage: SQLite or PostgreSQL behind one small query class, with Alembic migrations."""

from __future__ import annotations

from warning.store.access import require_existing
from warning.store.queries import Store, StoredItem


def open_store(url: str, *, migrate: bool = True, create: bool = True) -> Store:
    """Open the database at ``url`` and, unless told not to, bring its schema up to date.

    With ``create`` False a SQLite file that does not exist is an error naming its path.
    """
    if not create:
        require_existing(url)
    store = Store(url)
    if migrate:
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
    return store


__all__ = ["Store", "StoredItem", "open_store"]
