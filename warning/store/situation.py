"""Situation queries (``store.situation``): what the situation page reads, and nothing else.

Reads only. The page's signals come from the same evidence reads as the alert cycle's
(:class:`~warning.store.evidence.EvidenceQueries`, the base); these add the alerts about
one country, the latest items about it with their places and scores, one alert with
everything recorded about it (shared with ``warning alerts show``), and the time of the
last change. :func:`read_only` makes a Database refuse writes, for the page's own store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select

from warning.records import Evidence
from warning.store.alerts import AlertQueries, StoredAlert, alert_row
from warning.store.database import Database
from warning.store.evidence import (
    EvidenceQueries,
    evidence_of,
    read_geotags,
    read_outlets,
    split_terms,
)
from warning.store.tables import alerts, item_countries, item_scores, items
from warning.store.verdicts import StoredVerdict, VerdictQueries

__all__ = ["AlertDetail", "ItemView", "SituationQueries", "read_only"]

#: Headlines an alert's page (and ``alerts show``) lists.
ALERT_HEADLINES = 10


@dataclass(frozen=True, slots=True)
class ItemView:
    """One stored item as the country page lists it."""

    id: int
    title: str
    link: str | None
    outlet: str
    seen: datetime
    lang: str | None
    #: Places the item names in this country and elsewhere, as "Name (CC)".
    places: tuple[str, ...]
    #: label -> (probability, the terms behind it) for each label above its threshold.
    labels: dict[str, tuple[float, tuple[str, ...]]]


@dataclass(frozen=True, slots=True)
class AlertDetail:
    """One alert with every decision (each with its deliveries), headlines and verdicts."""

    alert: StoredAlert
    events: list[dict[str, Any]]
    #: item id -> (title, link, first outlet, first seen), for the first headlines.
    headlines: dict[int, tuple[str, str | None, str, datetime]]
    verdicts: list[StoredVerdict]


class SituationQueries(EvidenceQueries):
    """The situation page's reads on a :class:`~warning.store.database.Database`."""

    def __init__(self, db: Database, alert_queries: AlertQueries, verdicts: VerdictQueries) -> None:
        super().__init__(db)
        # Composed, not inherited: an alert's page reads what `alerts show` reads.
        self._alerts = alert_queries
        self._verdicts = verdicts

    def country_evidence(
        self, code: str, labels: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[Evidence]]:
        """Each label's evidence about one country in [start, end), in one read: what
        :meth:`evidence` gives label by label, without reading an item's outlets once
        per label it carries (a country page reads 58 days of all four)."""
        query = (
            select(
                items.c.id,
                items.c.title,
                items.c.link,
                items.c.first_seen,
                item_scores.c.label,
                item_scores.c.probability,
                item_scores.c.terms,
                item_scores.c.model,
                item_countries.c.score,
            )
            .join(item_scores, item_scores.c.item_id == items.c.id)
            .join(item_countries, item_countries.c.item_id == items.c.id)
            .where(
                item_countries.c.code == code,
                items.c.first_seen >= start,
                items.c.first_seen < end,
                item_scores.c.label.in_(list(labels)),
                item_scores.c.above,
            )
        )
        with self.db.read() as conn:
            rows = conn.execute(query).all()
            outlets = read_outlets(conn, {r.id for r in rows})
        out: dict[str, list[Evidence]] = {label: [] for label in labels}
        for r in rows:
            out[r.label].append(evidence_of(r, outlets, r.score))
        return out

    def alerts_about(self, subject: str, limit: int = 20) -> list[StoredAlert]:
        """Alerts about one subject (a country code), open first, then newest activity."""
        query = (
            select(alerts)
            .where(alerts.c.subject == subject)
            .order_by((alerts.c.status == "open").desc(), alerts.c.updated_at.desc())
            .limit(limit)
        )
        with self.db.read() as conn:
            return [alert_row(r) for r in conn.execute(query)]

    def open_alerts(self, limit: int = 200) -> list[StoredAlert]:
        """Open alerts, newest first (by when they opened)."""
        query = (
            select(alerts)
            .where(alerts.c.status == "open")
            .order_by(alerts.c.opened_at.desc(), alerts.c.id.desc())
            .limit(limit)
        )
        with self.db.read() as conn:
            return [alert_row(r) for r in conn.execute(query)]

    def latest_items(self, code: str, limit: int = 30) -> list[ItemView]:
        """The newest items about country ``code``, with outlets, places and scores."""
        query = (
            select(items.c.id, items.c.title, items.c.link, items.c.outlet)
            .add_columns(items.c.first_seen, items.c.lang)
            .join(item_countries, item_countries.c.item_id == items.c.id)
            .where(item_countries.c.code == code)
            .order_by(items.c.first_seen.desc(), items.c.id.desc())
            .limit(limit)
        )
        with self.db.read() as conn:
            rows = conn.execute(query).all()
            ids = [r.id for r in rows]
            outlets = read_outlets(conn, set(ids))
            geotags = read_geotags(conn, ids)
            scores: dict[int, dict[str, tuple[float, tuple[str, ...]]]] = {}
            if ids:
                for s in conn.execute(
                    select(item_scores).where(item_scores.c.item_id.in_(ids), item_scores.c.above)
                ):
                    scores.setdefault(s.item_id, {})[s.label] = (
                        s.probability,
                        split_terms(s.terms),
                    )
        found = []
        for r in rows:
            tag = geotags.get(r.id)
            places = (
                tuple(dict.fromkeys(f"{p.name} ({p.country})" for p in tag.places)) if tag else ()
            )
            found.append(
                ItemView(
                    id=r.id,
                    title=r.title,
                    link=r.link,
                    outlet=outlets.get(r.id, (r.outlet or "",))[0],
                    seen=r.first_seen,
                    lang=r.lang,
                    places=places,
                    labels=dict(sorted(scores.get(r.id, {}).items())),
                )
            )
        return found

    def alert_detail(self, alert_id: int) -> AlertDetail | None:
        """Everything recorded about one alert; None when there is no such alert."""
        alert = self._alerts.get(alert_id)
        if alert is None:
            return None
        return AlertDetail(
            alert=alert,
            events=self._alerts.events(alert.id),
            headlines=self.headlines(alert.items[:ALERT_HEADLINES]),
            verdicts=self._verdicts.of_alert(alert.id),
        )

    def last_change(self) -> datetime | None:
        """When the newest item was stored or an alert last changed, whichever is later."""
        with self.db.read() as conn:
            seen = conn.execute(select(func.max(items.c.first_seen))).scalar()
            changed = conn.execute(select(func.max(alerts.c.updated_at))).scalar()
        times = [t for t in (seen, changed) if t is not None]
        return max(times) if times else None

    def countries_with_items(self, codes: Sequence[str]) -> set[str]:
        """Which of ``codes`` have any stored item (a country page with nothing is a 404)."""
        with self.db.read() as conn:
            return {
                c
                for (c,) in conn.execute(
                    select(item_countries.c.code)
                    .where(item_countries.c.code.in_(list(codes)))
                    .distinct()
                )
            }


def read_only(db: Database) -> None:
    """Make every new connection of ``db`` refuse writes (call before its first use).

    SQLite: ``PRAGMA query_only``; PostgreSQL: read-only transactions for the session.
    The page never writes, and a bug there must not change what the daemon stored.
    """
    statement = (
        "PRAGMA query_only=ON"
        if db.dialect == "sqlite"
        else "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"
    )

    @event.listens_for(db.engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(statement)
        finally:
            cursor.close()
        if db.dialect != "sqlite":
            dbapi_connection.commit()
