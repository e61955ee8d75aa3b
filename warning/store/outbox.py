"""The outbox: deliveries waiting to be sent, claimed, finished, and their threads.

A mixin of :class:`~warning.store.alerts.AlertQueries` (``store.alerts.due(...)`` and so
on), separate because these are the notifier loop's queries (warning/alerting/outbox.py): they
work on the deliveries table alone, once an alert decision has put rows in it.
:data:`FINAL` and :class:`Delivery` are importable from warning.store.alerts too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from warning.store import claims
from warning.store.database import Database
from warning.store.tables import alert_events, alerts, deliveries

#: Delivery states after which nothing more happens to a delivery.
FINAL = ("sent", "failed", "silenced", "muted")


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox row with what is needed to render its message."""

    id: int
    event_id: int
    alert_id: int
    route: str
    status: str
    attempts: int
    next_try: datetime
    last_error: str | None
    seq: int
    decision: str
    at: datetime
    level: int
    score: float
    spike: float | None
    outlets: tuple[str, ...]
    items: tuple[int, ...]
    note: str | None = None


def _selected() -> Any:
    """A delivery with its event: what a :class:`Delivery` holds."""
    return select(
        deliveries.c.id,
        deliveries.c.event_id,
        deliveries.c.alert_id,
        deliveries.c.route,
        deliveries.c.status,
        deliveries.c.attempts,
        deliveries.c.next_try,
        deliveries.c.last_error,
        alert_events.c.seq,
        alert_events.c.decision,
        alert_events.c.at,
        alert_events.c.level,
        alert_events.c.score,
        alert_events.c.spike,
        alert_events.c.outlets,
        alert_events.c["items"],
        alert_events.c.note,
    ).join(alert_events, alert_events.c.id == deliveries.c.event_id)


def _delivery(row: Any) -> Delivery:
    return Delivery(
        **{
            **row._mapping,
            "outlets": tuple(json.loads(row.outlets)),
            "items": tuple(json.loads(row.items)),
        }
    )


class OutboxQueries:
    """Deliveries: which are due, taking one for sending, and recording how it went."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def due(self, now: datetime, limit: int = 100) -> list[Delivery]:
        """Deliveries to try now, oldest event first.

        A delivery waits while an earlier one of the same thread (its alert, or its
        alert's incident) and route is not final, so a thread's messages go out in
        order and replies find their parent. Claimed deliveries whose claim expired
        (their process died) are due again.
        """
        earlier = deliveries.alias("earlier")
        mine = alerts.alias("mine")
        theirs = alerts.alias("theirs")
        incident = (
            select(mine.c.incident_id)
            .where(mine.c.id == deliveries.c.alert_id)
            .correlate(deliveries)
        )
        same_incident = (
            select(theirs.c.id)
            .where(
                theirs.c.id == earlier.c.alert_id,
                theirs.c.incident_id == incident.scalar_subquery(),
            )
            .exists()
        )
        blocked = (
            select(earlier.c.id)
            .where(
                or_(earlier.c.alert_id == deliveries.c.alert_id, same_incident),
                earlier.c.route == deliveries.c.route,
                earlier.c.id < deliveries.c.id,
                earlier.c.status.not_in(FINAL),
            )
            .exists()
        )
        ready = or_(
            and_(deliveries.c.status == "pending", deliveries.c.next_try <= now),
            and_(deliveries.c.status == "sending", deliveries.c.claimed_until <= now),
        )
        query = (
            _selected()
            .where(ready, ~blocked)
            .order_by(deliveries.c.event_id, deliveries.c.id)
            .limit(limit)
        )
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return [_delivery(r) for r in rows]

    def latest(self, alert_id: int, route: str) -> Delivery | None:
        """The alert's newest delivery on ``route`` that was sent (what the desk last saw)."""
        query = (
            _selected()
            .where(
                deliveries.c.alert_id == alert_id,
                deliveries.c.route == route,
                deliveries.c.status == "sent",
            )
            .order_by(deliveries.c.id.desc())
            .limit(1)
        )
        with self.db.read() as conn:
            row = conn.execute(query).first()
        return _delivery(row) if row is not None else None

    def pending_count(self) -> int:
        with self.db.read() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(deliveries)
                    .where(deliveries.c.status.in_(("pending", "sending")))
                ).scalar_one()
            )

    def claim(self, delivery: Delivery, now: datetime, lease: timedelta) -> bool:
        """Take a due delivery for sending; False when another process took it first."""
        return claims.claim(
            self.db, deliveries, delivery.id, delivery.status, delivery.attempts, now + lease
        )

    def finish(self, delivery_id: int, status: str, **values: Any) -> None:
        """Record how a claimed delivery ended: sent, failed, or pending (a retry)."""
        claims.finish(self.db, deliveries, delivery_id, status, **values)

    def thread_ref(self, alert_id: int, route: str) -> str | None:
        """The reference the first delivered message of this alert and route returned."""
        first = first_delivered(self.db, route, deliveries.c.alert_id == alert_id)
        return first[0] if first is not None else None


def first_delivered(db: Database, route: str, among: ColumnElement[bool]) -> tuple[str, int] | None:
    """The first message on ``route`` among the deliveries ``among`` selects (a condition
    on deliveries and their alerts) that was delivered: its reference and its alert. A
    thread hangs under it."""
    query = (
        select(deliveries.c.ref, deliveries.c.alert_id)
        .join(alerts, alerts.c.id == deliveries.c.alert_id)
        .where(among, deliveries.c.route == route, deliveries.c.ref.is_not(None))
        .order_by(deliveries.c.id)
        .limit(1)
    )
    with db.read() as conn:
        row = conn.execute(query).first()
    return (str(row.ref), int(row.alert_id)) if row is not None else None
