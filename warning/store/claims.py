"""Work rows that several processes may try at once: claimed by compare-and-set, then finished.

Deliveries of alert messages and briefs are both rows with a ``status`` (pending,
sending, sent, failed), an ``attempts`` count, a ``claimed_until`` lease and a
``last_error``. A process takes one only if the row still has the status and attempts
it read, so of two instances that read it at once exactly one sends; a process that dies
while sending leaves a lease that runs out, and the row is due again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, update

from warning.redact import scrub
from warning.store.database import Database


def claim(
    db: Database, table: Table, row_id: int, status: str, attempts: int, until: datetime
) -> bool:
    """Mark the row as being sent until ``until``; False when another process took it."""

    def work(conn: Connection) -> bool:
        taken = update(table).where(
            table.c.id == row_id, table.c.status == status, table.c.attempts == attempts
        )
        values = {"status": "sending", "claimed_until": until, "attempts": attempts + 1}
        return bool(conn.execute(taken.values(**values)).rowcount)

    return db.write(work)


def finish(db: Database, table: Table, row_id: int, status: str, **values: Any) -> None:
    """Record how a claimed row ended: sent, failed, or pending again (a retry)."""
    if values.get("last_error"):  # a notifier's error may quote a URL with a secret
        values["last_error"] = scrub(values["last_error"])

    def work(conn: Connection) -> None:
        conn.execute(
            update(table)
            .where(table.c.id == row_id)
            .values(status=status, claimed_until=None, **values)
        )

    db.write(work)


__all__ = ["claim", "finish"]
