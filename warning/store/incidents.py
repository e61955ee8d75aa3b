"""Incident queries (``store.incidents``): alerts about one subject grouped into one thread.

An incident is joined inside the transaction that inserts its alert
(:func:`join`, called by ``AlertQueries.open``) and closed inside the one that
resolves its last open alert (:func:`close_if_done`), so the grouping is as
atomic as the alert itself. Two instances opening the first incident of a subject
at once insert it once: its ``dedup_key`` (subject|number) is unique.
warning/alerting/incidents.py says what grouping means for the desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select, update

from warning.records import IncidentEntry
from warning.store.database import Database
from warning.store.outbox import first_delivered
from warning.store.tables import alerts, incidents


@dataclass(frozen=True, slots=True)
class StoredIncident:
    id: int
    subject: str
    status: str
    opened_at: datetime
    joined_at: datetime
    closed_at: datetime | None


def join(conn: Connection, db: Database, subject: str, now: datetime, window: timedelta) -> int:
    """The incident a new alert about ``subject`` joins: the subject's open incident that
    an alert joined less than ``window`` ago, else a new one. Its id."""
    found = conn.execute(
        select(incidents.c.id)
        .where(
            incidents.c.subject == subject,
            incidents.c.status == "open",
            incidents.c.joined_at > now - window,
        )
        .order_by(incidents.c.id.desc())
        .limit(1)
    ).scalar()
    if found is not None:
        conn.execute(update(incidents).where(incidents.c.id == found).values(joined_at=now))
        return int(found)
    count = conn.execute(
        select(func.count()).select_from(incidents).where(incidents.c.subject == subject)
    ).scalar_one()
    key = f"{subject}|{count + 1}"
    values = {"dedup_key": key, "subject": subject, "status": "open"}
    stmt = db.insert(incidents).values(**values, opened_at=now, joined_at=now)
    made = conn.execute(stmt.on_conflict_do_nothing().returning(incidents.c.id)).scalar()
    if made is None:  # another instance opened it a moment ago: join theirs
        made = conn.execute(select(incidents.c.id).where(incidents.c.dedup_key == key)).scalar_one()
    return int(made)


def close_if_done(conn: Connection, incident_id: int, now: datetime) -> None:
    """Close the incident when none of its alerts is open any more."""
    still_open = (
        select(alerts.c.id)
        .where(alerts.c.incident_id == incident_id, alerts.c.status == "open")
        .exists()
    )
    conn.execute(
        update(incidents)
        .where(incidents.c.id == incident_id, incidents.c.status == "open", ~still_open)
        .values(status="closed", closed_at=now)
    )


class IncidentQueries:
    """Reads of incidents: the summary of one, and the thread its messages go to."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, incident_id: int) -> StoredIncident | None:
        with self.db.read() as conn:
            row = conn.execute(
                select(
                    incidents.c.id,
                    incidents.c.subject,
                    incidents.c.status,
                    incidents.c.opened_at,
                    incidents.c.joined_at,
                    incidents.c.closed_at,
                ).where(incidents.c.id == incident_id)
            ).first()
        return StoredIncident(**row._mapping) if row is not None else None

    def entries(self, incident_id: int) -> tuple[IncidentEntry, ...]:
        """The incident's open alerts, oldest first, as its summary lists them."""
        query = (
            select(alerts.c.id, alerts.c.rule, alerts.c.label, alerts.c.level, alerts.c.muted_by)
            .where(alerts.c.incident_id == incident_id, alerts.c.status == "open")
            .order_by(alerts.c.id)
        )
        with self.db.read() as conn:
            return tuple(IncidentEntry(*row) for row in conn.execute(query))

    def thread(self, incident_id: int, route: str) -> tuple[str, int] | None:
        """The first message of the incident on ``route`` that was delivered: its
        reference and its alert (the thread's parent)."""
        return first_delivered(self.db, route, alerts.c.incident_id == incident_id)
