"""Brief queries (``store.briefs``): the brief's outbox, and the alerts a brief reports.

A brief is inserted under its unique dedup key before anything is sent, so two
instances (or a restart) queue it once; sending takes a row by compare-and-set, as the
alert outbox does (store/outbox.py), so two instances never both send it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from warning.store import claims
from warning.store.alerts import StoredAlert, alert_row
from warning.store.database import Database
from warning.store.tables import alerts, briefs

__all__ = ["BriefQueries", "StoredBrief"]


@dataclass(frozen=True, slots=True)
class StoredBrief:
    """One brief for one route, as queued (see tables.briefs)."""

    id: int
    dedup_key: str
    route: str
    period: str
    content: str
    status: str
    attempts: int
    next_try: datetime
    last_error: str | None
    sent_at: datetime | None
    ref: str | None
    created_at: datetime


_COLUMNS = [briefs.c[f.name] for f in fields(StoredBrief)]


class BriefQueries:
    """Queue a brief once, take it for sending, record how it went; alerts for its content."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def queue(self, key: str, route: str, period: str, content: str, now: datetime) -> bool:
        """Insert the brief under ``key``; False when it was queued before (by anyone)."""

        def work(conn: Connection) -> bool:
            insert = self.db.insert(briefs).values(
                dedup_key=key,
                route=route,
                period=period,
                content=content,
                status="pending",
                next_try=now,
                created_at=now,
            )
            return bool(conn.execute(insert.on_conflict_do_nothing()).rowcount)

        return self.db.write(work)

    def get(self, key: str) -> StoredBrief | None:
        with self.db.read() as conn:
            row = conn.execute(select(*_COLUMNS).where(briefs.c.dedup_key == key)).first()
        return StoredBrief(**row._mapping) if row is not None else None

    def due(self, now: datetime, limit: int = 20) -> list[StoredBrief]:
        """Briefs to try now: pending and due, or claimed by a process that died."""
        ready = or_(
            and_(briefs.c.status == "pending", briefs.c.next_try <= now),
            and_(briefs.c.status == "sending", briefs.c.claimed_until <= now),
        )
        query = select(*_COLUMNS).where(ready).order_by(briefs.c.id).limit(limit)
        with self.db.read() as conn:
            return [StoredBrief(**r._mapping) for r in conn.execute(query)]

    def claim(self, brief: StoredBrief, now: datetime, lease: timedelta) -> bool:
        """Take a due brief for sending; False when another process took it first."""
        return claims.claim(self.db, briefs, brief.id, brief.status, brief.attempts, now + lease)

    def finish(self, brief_id: int, status: str, **values: Any) -> None:
        """Record how a claimed brief ended: sent, failed, or pending (a retry)."""
        claims.finish(self.db, briefs, brief_id, status, **values)

    def alerts_about(self, start: datetime, end: datetime) -> list[StoredAlert]:
        """Alerts open now, or opened or resolved in [start, end), oldest first."""
        opened = and_(alerts.c.opened_at >= start, alerts.c.opened_at < end)
        resolved = and_(alerts.c.resolved_at >= start, alerts.c.resolved_at < end)
        query = (
            select(alerts)
            .where(or_(alerts.c.status == "open", opened, resolved))
            .order_by(alerts.c.opened_at, alerts.c.id)
        )
        with self.db.read() as conn:
            return [alert_row(r) for r in conn.execute(query)]
