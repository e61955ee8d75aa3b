"""Alert queries (``store.alerts``): alert episodes and silences, with evidence and outbox.

Same rules as the rest of the store: short transactions, and races between
instances settled by unique keys (``INSERT .. ON CONFLICT DO NOTHING``) or by
compare-and-set updates, never by locks of ours. An alert and its first event
and deliveries are inserted in one transaction, before any notifier runs.

The evidence and signal reads are in evidence.py, the outbox's queries in outbox.py:
both are bases of :class:`AlertQueries`, so ``store.alerts`` stays the one object behind
every alert query; each takes the Database alone and uses only its public methods.
``Delivery`` and ``FINAL`` are re-exported from here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, update

from warning.records import Decision, Signal
from warning.store.evidence import EvidenceQueries
from warning.store.incidents import close_if_done, join
from warning.store.outbox import FINAL, Delivery, OutboxQueries
from warning.store.tables import (
    alert_events,
    alerts,
    deliveries,
    silences,
)

__all__ = ["FINAL", "AlertChange", "AlertQueries", "Delivery", "Silence", "StoredAlert"]


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """One alert episode as stored (see tables.alerts)."""

    id: int
    dedup_key: str
    rule: str
    subject: str
    label: str
    severity: str
    status: str
    level: int
    score: float
    spike: float | None
    outlets: tuple[str, ...]
    items: tuple[int, ...]
    model: str | None
    rules_hash: str
    opened_at: datetime
    updated_at: datetime
    calm_since: datetime | None
    resolved_at: datetime | None
    last_message_at: datetime
    reminders: int
    events: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    #: The incident its messages thread in (grouping); None when not grouped.
    incident_id: int | None = None
    #: While an inhibit rule mutes it, the inhibiting alert (``rule|label|level``).
    muted_by: str | None = None


@dataclass(frozen=True, slots=True)
class AlertChange:
    """One lifecycle step to write to an alert episode (``lifecycle.record`` builds it)."""

    #: new, escalated, ongoing or resolved; None for a change nobody is told about.
    decision: Decision | None
    #: The episode's fields that change, lists as tuples: all of a new episode's but
    #: its id and the empty ones (``lifecycle.episode_fields``).
    fields: dict[str, Any]
    signal: Signal
    now: datetime
    #: Where the decision's message goes, and the silence holding it back, if any.
    routes: Sequence[str]
    silence_id: int | None
    #: A new alert joins its subject's incident within this window (None: no grouping).
    group: timedelta | None = None
    #: The inhibiting alert (``rule|label|level``) when the decision is muted: recorded
    #: with deliveries marked ``muted``, never sent (alerting/inhibit.py).
    muted_by: str | None = None


@dataclass(frozen=True, slots=True)
class Silence:
    id: int
    subject: str | None
    label: str | None
    rule: str | None
    until: datetime
    reason: str
    created_at: datetime
    created_by: str | None

    def matches(self, rule: str, subject: str, label: str) -> bool:
        return (
            (self.rule is None or self.rule == rule)
            and (self.subject is None or self.subject == subject)
            and (self.label is None or self.label == label)
        )


#: Columns that hold a JSON list (of outlets, of item ids): read whole, never queried.
_LISTS = ("outlets", "items")


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    """An alert's or event's fields as column values: its lists as JSON text."""
    return {k: json.dumps(list(v)) if k in _LISTS else v for k, v in fields.items()}


def alert_row(row: Any) -> StoredAlert:
    """A stored alert from its row of the alerts table (for every query class that reads one)."""
    data = dict(row._mapping)
    for key in _LISTS:
        data[key] = tuple(json.loads(data[key]))
    return StoredAlert(**data)


class AlertQueries(EvidenceQueries, OutboxQueries):
    """Alert queries on a :class:`~warning.store.database.Database` (``store.alerts``).

    Alert episodes and silences here; evidence and signal reads from
    :class:`~warning.store.evidence.EvidenceQueries`, the outbox from
    :class:`~warning.store.outbox.OutboxQueries`.
    """

    # --- alerts -------------------------------------------------------------------------

    def open_alerts(self, rule: str | None = None) -> dict[tuple[str, str, str], StoredAlert]:
        """Open alerts by (rule, subject, label)."""
        query = select(alerts).where(alerts.c.status == "open")
        if rule is not None:
            query = query.where(alerts.c.rule == rule)
        with self.db.read() as conn:
            found = [alert_row(r) for r in conn.execute(query)]
        return {(a.rule, a.subject, a.label): a for a in found}

    def last_closed(self, rule: str) -> dict[tuple[str, str], tuple[int, datetime | None]]:
        """Per (subject, label): how many episodes the rule has had, and when the last resolved."""
        query = (
            select(
                alerts.c.subject,
                alerts.c.label,
                func.count(),
                func.max(alerts.c.resolved_at),
            )
            .where(alerts.c.rule == rule)
            .group_by(alerts.c.subject, alerts.c.label)
        )
        with self.db.read() as conn:
            return {(s, lab): (n, last) for s, lab, n, last in conn.execute(query)}

    def get(self, alert_id: int) -> StoredAlert | None:
        with self.db.read() as conn:
            row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
        return alert_row(row) if row is not None else None

    def recent(
        self, status: str | None = None, limit: int = 50, since: datetime | None = None
    ) -> list[StoredAlert]:
        """Alerts, newest activity first."""
        query = select(alerts).order_by(alerts.c.updated_at.desc(), alerts.c.id.desc())
        if status is not None:
            query = query.where(alerts.c.status == status)
        if since is not None:
            query = query.where(alerts.c.updated_at >= since)
        with self.db.read() as conn:
            return [alert_row(r) for r in conn.execute(query.limit(limit))]

    def open(self, change: AlertChange) -> int | None:
        """Insert a new alert with its first event and deliveries; None if its dedup key
        exists.

        The one place an alert is created: the unique dedup key makes a second
        instance (or a second evaluation) that reaches the same decision a no-op.
        """

        def work(conn: Connection) -> int | None:
            values = _columns(change.fields)
            stmt = self.db.insert(alerts).values(values).on_conflict_do_nothing()
            alert_id = conn.execute(stmt.returning(alerts.c.id)).scalar()
            if alert_id is None:
                return None
            if change.group is not None:
                incident = join(conn, self.db, change.fields["subject"], change.now, change.group)
                conn.execute(
                    update(alerts).where(alerts.c.id == alert_id).values(incident_id=incident)
                )
            self._add_event(conn, alert_id, 1, change.fields["level"], change)
            return int(alert_id)

        return self.db.write(work)

    def record(self, alert: StoredAlert, change: AlertChange) -> bool:
        """Update an open alert's changed fields; with a decision, add its event and
        deliveries too.

        Compare-and-set on the alert's event count: when another instance recorded
        a decision first, nothing is written and False is returned.
        """
        fields = change.fields

        def work(conn: Connection) -> bool:
            done = conn.execute(
                update(alerts)
                .where(alerts.c.id == alert.id, alerts.c.events == alert.events)
                .values(_columns(fields))
            ).rowcount
            if not done:
                return False
            if change.decision:
                level = fields.get("level", alert.level)
                self._add_event(conn, alert.id, fields["events"], level, change)
            if fields.get("status") == "resolved" and alert.incident_id is not None:
                close_if_done(conn, alert.incident_id, change.now)
            return True

        return self.db.write(work)

    def _add_event(
        self, conn: Connection, alert_id: int, seq: int, level: int, change: AlertChange
    ) -> None:
        """Insert a decision's event and a delivery of it per route (silenced ones final)."""
        signal, now, silence_id = change.signal, change.now, change.silence_id
        event_id = conn.execute(
            alert_events.insert()
            .values(
                alert_id=alert_id,
                seq=seq,
                decision=change.decision,
                at=now,
                level=level,
                score=signal.score,
                spike=signal.spike,
                outlets=json.dumps(list(signal.outlets)),
                items=json.dumps(list(signal.items)),
                silence_id=silence_id,
                note=signal.note,
                muted_by=change.muted_by,
            )
            .returning(alert_events.c.id)
        ).scalar_one()
        status = "pending"
        if silence_id is not None:
            status = "silenced"
        elif change.muted_by is not None:
            status = "muted"
        conn.execute(
            deliveries.insert(),
            [
                {
                    "event_id": event_id,
                    "alert_id": alert_id,
                    "route": route,
                    "status": status,
                    "next_try": now,
                    "created_at": now,
                }
                for route in change.routes
            ],
        )

    def told(self, alert_id: int) -> bool:
        """Whether the desk was told of the alert: a delivery neither muted nor silenced."""
        query = select(deliveries.c.id).where(
            deliveries.c.alert_id == alert_id, deliveries.c.status.not_in(("muted", "silenced"))
        )
        with self.db.read() as conn:
            return conn.execute(query.limit(1)).first() is not None

    def acknowledge(self, alert_id: int, by: str, now: datetime) -> bool:
        def work(conn: Connection) -> bool:
            return bool(
                conn.execute(
                    update(alerts)
                    .where(alerts.c.id == alert_id)
                    .values(acknowledged_at=now, acknowledged_by=by)
                ).rowcount
            )

        return self.db.write(work)

    def events(self, alert_id: int) -> list[dict[str, Any]]:
        """An alert's events with their deliveries, oldest first (``alerts show``)."""
        with self.db.read() as conn:
            evs = [
                dict(r._mapping)
                for r in conn.execute(
                    select(alert_events)
                    .where(alert_events.c.alert_id == alert_id)
                    .order_by(alert_events.c.seq)
                )
            ]
            dels = conn.execute(select(deliveries).where(deliveries.c.alert_id == alert_id)).all()
        for ev in evs:
            ev["deliveries"] = [dict(d._mapping) for d in dels if d.event_id == ev["id"]]
        return evs

    # --- silences -----------------------------------------------------------------------

    def silence(
        self,
        until: datetime,
        reason: str,
        now: datetime,
        *,
        subject: str | None = None,
        label: str | None = None,
        rule: str | None = None,
        by: str | None = None,
    ) -> int:
        def work(conn: Connection) -> int:
            return int(
                conn.execute(
                    silences.insert()
                    .values(
                        subject=subject,
                        label=label,
                        rule=rule,
                        until=until,
                        reason=reason,
                        created_at=now,
                        created_by=by,
                    )
                    .returning(silences.c.id)
                ).scalar_one()
            )

        return self.db.write(work)

    def active_silences(self, now: datetime | None = None) -> list[Silence]:
        """Silences not lifted (and, with ``now``, not yet expired), oldest first."""
        query = select(silences).where(silences.c.lifted_at.is_(None)).order_by(silences.c.id)
        if now is not None:
            query = query.where(silences.c.until > now)
        with self.db.read() as conn:
            return [
                Silence(**{k: v for k, v in r._mapping.items() if k != "lifted_at"})
                for r in conn.execute(query)
            ]

    def lift(self, silence_id: int, now: datetime) -> bool:
        def work(conn: Connection) -> bool:
            return bool(
                conn.execute(
                    update(silences)
                    .where(silences.c.id == silence_id, silences.c.lifted_at.is_(None))
                    .values(lifted_at=now)
                ).rowcount
            )

        return self.db.write(work)
