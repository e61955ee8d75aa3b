"""Verdict queries (``store.verdicts``): what the desk said about alerts, and its feedback.

What a verdict means (which decisions exist, the feedback each implies, whether it
acknowledges) is decided in :mod:`warning.alerting.verdicts`; this module only writes
and reads it. A verdict, its feedback and the acknowledgement it implies are written
in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from warning.store.database import Database, chunks
from warning.store.tables import alerts, feedback, items, verdicts

__all__ = [
    "Feedback",
    "ItemText",
    "JudgedAlert",
    "StoredFeedback",
    "StoredVerdict",
    "VerdictQueries",
]


@dataclass(frozen=True, slots=True)
class StoredVerdict:
    """One verdict as stored (see tables.verdicts)."""

    id: int
    alert_id: int
    decision: str
    by_id: str | None
    by_name: str
    note: str | None
    source: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Feedback:
    """What a verdict says about one evidence item: it does (``carries``) or does not
    carry ``label`` for ``country`` (None: whatever the country)."""

    item_id: int
    label: str | None
    country: str | None
    carries: bool


@dataclass(frozen=True, slots=True)
class StoredFeedback:
    """One feedback row as stored, with the verdict and alert it came from."""

    id: int
    verdict_id: int
    alert_id: int
    item_id: int
    label: str | None
    country: str | None
    carries: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class ItemText:
    """What the classifier read of a judged item: headline, lede and the feed's hints."""

    title: str
    summary: str | None
    lang: str | None
    published: datetime | None


@dataclass(frozen=True, slots=True)
class JudgedAlert:
    """An alert as a precision report counts it: its rule and label, when it opened,
    and every verdict on it, oldest first (none when nobody answered)."""

    alert_id: int
    rule: str
    label: str
    opened_at: datetime
    verdicts: tuple[StoredVerdict, ...]


def _verdict(row: Any) -> StoredVerdict:
    return StoredVerdict(**row._mapping)


def _same_answer(latest: Any, decision: str, by_id: str | None, by_name: str) -> bool:
    """Whether ``latest`` already says this: a retried or double click, a repeated command.

    Who answered is the Slack user id when there is one, else the name.
    """
    if latest is None or latest.decision != decision:
        return False
    if by_id is not None:
        return bool(latest.by_id == by_id)
    return latest.by_id is None and latest.by_name == by_name


class VerdictQueries:
    """Verdict queries on a :class:`~warning.store.database.Database` (``store.verdicts``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def of_alert(self, alert_id: int) -> list[StoredVerdict]:
        """Every verdict on one alert, oldest first."""
        return self.of_alerts([alert_id]).get(alert_id, [])

    def of_alerts(self, alert_ids: Sequence[int]) -> dict[int, list[StoredVerdict]]:
        """Every verdict on each of these alerts, oldest first; alerts without one are absent."""
        found: dict[int, list[StoredVerdict]] = {}
        with self.db.read() as conn:
            for part in chunks(list(alert_ids)):
                rows = conn.execute(
                    select(verdicts).where(verdicts.c.alert_id.in_(part)).order_by(verdicts.c.id)
                )
                for row in rows:
                    found.setdefault(row.alert_id, []).append(_verdict(row))
        return found

    def opened_since(self, since: datetime) -> list[JudgedAlert]:
        """Every alert opened at or after ``since``, with its verdicts (``alerts report``)."""
        query = (
            select(alerts.c.id, alerts.c.rule, alerts.c.label, alerts.c.opened_at)
            .where(alerts.c.opened_at >= since)
            .order_by(alerts.c.id)
        )
        with self.db.read() as conn:
            opened = conn.execute(query).all()
        answers = self.of_alerts([row.id for row in opened])
        return [
            JudgedAlert(row.id, row.rule, row.label, row.opened_at, tuple(answers.get(row.id, ())))
            for row in opened
        ]

    def feedback(self, since: datetime | None = None) -> list[StoredFeedback]:
        """The feedback of each alert's latest judgement (a verdict other than ``ack``),
        given at or after ``since``; by id.

        An earlier judgement that someone overruled keeps its rows, for the record, but
        they are not returned: the desk's last word on an alert is the one to learn from.
        """
        latest = (
            select(func.max(verdicts.c.id))
            .where(verdicts.c.decision != "ack")
            .group_by(verdicts.c.alert_id)
        )
        query = (
            select(feedback, verdicts.c.alert_id)
            .join(verdicts, verdicts.c.id == feedback.c.verdict_id)
            .where(feedback.c.verdict_id.in_(latest))
            .order_by(feedback.c.id)
        )
        if since is not None:
            query = query.where(verdicts.c.at >= since)
        with self.db.read() as conn:
            return [StoredFeedback(**row._mapping) for row in conn.execute(query)]

    def texts(self, item_ids: Sequence[int]) -> dict[int, ItemText]:
        """The text of each of these items that is still stored (learning from feedback)."""
        found: dict[int, ItemText] = {}
        columns = (items.c.id, items.c.title, items.c.summary, items.c.lang, items.c.published)
        with self.db.read() as conn:
            for part in chunks(sorted(set(item_ids))):
                for row in conn.execute(select(*columns).where(items.c.id.in_(part))):
                    found[row.id] = ItemText(row.title, row.summary, row.lang, row.published)
        return found

    def record(
        self,
        alert_id: int,
        decision: str,
        by_name: str,
        *,
        by_id: str | None,
        note: str | None,
        source: str,
        at: datetime,
        feedback_rows: Sequence[Feedback],
        acknowledge: bool,
    ) -> tuple[StoredVerdict, bool] | None:
        """Store a verdict with its feedback and, if told, acknowledge the alert.

        Returns the verdict and True when it was recorded, the alert's latest verdict
        and False when that one already says the same (nothing is written), and None
        when there is no such alert.
        """

        def work(conn: Connection) -> tuple[StoredVerdict, bool] | None:
            # The alert's row lock (PostgreSQL; SQLite has one writer anyway) queues two
            # clicks on one alert, so that the second sees the first and is a repeat.
            found = conn.execute(
                select(alerts.c.id).where(alerts.c.id == alert_id).with_for_update()
            ).first()
            if found is None:
                return None
            latest = conn.execute(
                select(verdicts)
                .where(verdicts.c.alert_id == alert_id)
                .order_by(verdicts.c.id.desc())
                .limit(1)
            ).first()
            if _same_answer(latest, decision, by_id, by_name):
                return _verdict(latest), False
            values: dict[str, Any] = {
                "alert_id": alert_id,
                "decision": decision,
                "by_id": by_id,
                "by_name": by_name,
                "note": note,
                "source": source,
                "at": at,
            }
            verdict_id = conn.execute(
                verdicts.insert().values(values).returning(verdicts.c.id)
            ).scalar_one()
            if feedback_rows:
                conn.execute(
                    feedback.insert(),
                    [
                        {
                            "verdict_id": verdict_id,
                            "item_id": f.item_id,
                            "label": f.label,
                            "country": f.country,
                            "carries": f.carries,
                            "at": at,
                        }
                        for f in feedback_rows
                    ],
                )
            if acknowledge:
                conn.execute(
                    update(alerts)
                    .where(alerts.c.id == alert_id)
                    .values(acknowledged_at=at, acknowledged_by=by_name)
                )
            return StoredVerdict(id=int(verdict_id), **values), True

        return self.db.write(work)
