"""Storage: SQLite or PostgreSQL behind one Store, with Alembic migrations.

The shape, and the rule for adding a query:

- ``database.py``: the :class:`~warning.store.database.Database` (engine, read
  connections, write transactions with their retry, the dialect's INSERT, ``chunks`` of
  ``IN`` lists, ``CHUNK``). The only holder of the engine.
- Query classes, one per subject, each built on the Database and using only its
  public methods, never another class's privates: ``feeds.py`` (FeedQueries),
  ``items.py`` (ItemQueries; the poll writer in ``writer.py``), ``alerts.py``
  (AlertQueries, with its bases ``evidence.py`` and ``outbox.py``), ``advisories.py``,
  ``verdicts.py`` (VerdictQueries: the desk's verdicts on alerts and their feedback).
- ``queries.py``: the :class:`Store`, which only composes them. Callers reach a query
  through its object (``store.alerts.due(...)``, ``store.advisories.history(...)``);
  the feed and item queries of the polling side are also thin methods of the Store
  (``store.items()``, ``store.record_poll(...)``) because every poll calls them.
  Anything that needs a connection of its own (a test, a bench) uses ``store.db``.
"""

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
