"""Queries behind signals and alerts: evidence, alert episodes, the outbox, silences.

Same rules as the rest of the store: short transactions, and races between
instances settled by unique keys (``INSERT .. ON CONFLICT DO NOTHING``) or by
compare-and-set updates, never by locks of ours. An alert and its first event
and deliveries are inserted in one transaction, before any notifier runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, func, or_, select, update

from warning.records import CountryScore, Evidence, GeoTag, Place, Signal
from warning.store.tables import (
    alert_events,
    alerts,
    deliveries,
    feeds,
    item_countries,
    item_places,
    item_scores,
    items,
    sightings,
    silences,
)

if TYPE_CHECKING:
    from warning.geo.zones import Zone
    from warning.store.queries import Store

CHUNK = 500

#: Delivery states after which nothing more happens to a delivery.
FINAL = ("sent", "failed", "silenced")


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


def _alert(row: Any) -> StoredAlert:
    data = dict(row._mapping)
    data["outlets"] = tuple(json.loads(data["outlets"]))
    data["items"] = tuple(json.loads(data["items"]))
    return StoredAlert(**data)


class AlertStore:
    """Alert queries on a :class:`~warning.store.Store` (``store.alerts``)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # --- evidence -----------------------------------------------------------------------

    def evidence(
        self,
        label: str,
        start: datetime,
        end: datetime,
        countries: Sequence[str] | None = None,
    ) -> dict[str, list[Evidence]]:
        """Items first seen in [start, end) above ``label``'s threshold, per country.

        An item about several countries is evidence for each, weighted by how much
        it is about that country (its country score).
        """
        query = _scored(label, start, end, item_countries.c.code, item_countries.c.score).join(
            item_countries, item_countries.c.item_id == items.c.id
        )
        if countries is not None:
            query = query.where(item_countries.c.code.in_(list(countries)))
        with self.store._read() as conn:
            rows = conn.execute(query).all()
            outlets = _outlets(conn, {r.id for r in rows})
        out: dict[str, list[Evidence]] = {}
        for r in rows:
            out.setdefault(r.code, []).append(_evidence(r, outlets, r.score))
        return out

    def zone_evidence(
        self, label: str, start: datetime, end: datetime, zone: Zone
    ) -> list[Evidence]:
        """Items in [start, end) above ``label``'s threshold that fall inside ``zone``."""
        with self.store._read() as conn:
            rows = conn.execute(_scored(label, start, end)).all()
            geotags = _geotags(conn, [r.id for r in rows])
            inside = [r for r in rows if r.id in geotags and zone.matches_item(geotags[r.id])]
            outlets = _outlets(conn, {r.id for r in inside})
        return [_evidence(r, outlets) for r in inside]

    def slot_counts(
        self, kind: str, names: Sequence[str] | None, end: datetime, slot: timedelta, slots: int
    ) -> dict[str, list[int]]:
        """New items per feed (``kind="feed"``) or per country in each slot before ``end``.

        Slot *i* (oldest first) is [end − (slots − i) × slot, end − (slots − i − 1) × slot).
        For flatline rules: how much a subject carries now, and usually.
        """
        start = end - slot * slots
        if kind == "feed":
            query = (
                select(feeds.c.name.label("name"), sightings.c.seen_at.label("at"))
                .join(feeds, feeds.c.id == sightings.c.feed_id)
                .where(sightings.c.seen_at >= start, sightings.c.seen_at < end)
            )
            column = feeds.c.name
        else:
            query = (
                select(item_countries.c.code.label("name"), items.c.first_seen.label("at"))
                .join(items, items.c.id == item_countries.c.item_id)
                .where(items.c.first_seen >= start, items.c.first_seen < end)
            )
            column = item_countries.c.code
        if names is not None:
            query = query.where(column.in_(list(names)))
        counts: dict[str, list[int]] = {n: [0] * slots for n in names or ()}
        with self.store._read() as conn:
            for name, at in conn.execute(query):
                counts.setdefault(name, [0] * slots)[(at - start) // slot] += 1
        return counts

    def watching_since(self) -> datetime | None:
        """When the first item was stored: history before it means "not watching", not quiet."""
        with self.store._read() as conn:
            return conn.execute(select(func.min(items.c.first_seen))).scalar()

    # --- alerts -------------------------------------------------------------------------

    def open_alerts(self, rule: str | None = None) -> dict[tuple[str, str, str], StoredAlert]:
        """Open alerts by (rule, subject, label)."""
        query = select(alerts).where(alerts.c.status == "open")
        if rule is not None:
            query = query.where(alerts.c.rule == rule)
        with self.store._read() as conn:
            found = [_alert(r) for r in conn.execute(query)]
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
        with self.store._read() as conn:
            return {(s, lab): (n, last) for s, lab, n, last in conn.execute(query)}

    def get(self, alert_id: int) -> StoredAlert | None:
        with self.store._read() as conn:
            row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
        return _alert(row) if row is not None else None

    def recent(
        self, status: str | None = None, limit: int = 50, since: datetime | None = None
    ) -> list[StoredAlert]:
        """Alerts, newest activity first."""
        query = select(alerts).order_by(alerts.c.updated_at.desc(), alerts.c.id.desc())
        if status is not None:
            query = query.where(alerts.c.status == status)
        if since is not None:
            query = query.where(alerts.c.updated_at >= since)
        with self.store._read() as conn:
            return [_alert(r) for r in conn.execute(query.limit(limit))]

    def open(
        self,
        dedup_key: str,
        fields: dict[str, Any],
        signal: Signal,
        now: datetime,
        routes: Sequence[str],
        silence_id: int | None,
    ) -> int | None:
        """Insert a new alert with its first event and deliveries; None if the key exists.

        The one place an alert is created: the unique dedup key makes a second
        instance (or a second evaluation) that reaches the same decision a no-op.
        """

        def work(conn: Connection) -> int | None:
            row = {
                **fields,
                "dedup_key": dedup_key,
                "status": "open",
                "score": signal.score,
                "spike": signal.spike,
                "outlets": json.dumps(list(signal.outlets)),
                "items": json.dumps(list(signal.items)),
                "opened_at": now,
                "updated_at": now,
                "last_message_at": now,
                "reminders": 0,
                "events": 1,
            }
            stmt = self.store._insert(alerts).values(row).on_conflict_do_nothing()
            alert_id = conn.execute(stmt.returning(alerts.c.id)).scalar()
            if alert_id is None:
                return None
            self._add_event(conn, alert_id, 1, "new", fields["level"], signal, now, silence_id)
            self._add_deliveries(conn, alert_id, 1, routes, now, silence_id)
            return int(alert_id)

        return self.store._write(work)

    def record(
        self,
        alert: StoredAlert,
        decision: str | None,
        changes: dict[str, Any],
        signal: Signal,
        now: datetime,
        routes: Sequence[str],
        silence_id: int | None,
    ) -> bool:
        """Update an open alert; with a decision, add its event and deliveries too.

        Compare-and-set on the alert's event count: when another instance recorded
        a decision first, nothing is written and False is returned.
        """

        def work(conn: Connection) -> bool:
            values = {
                **changes,
                "score": signal.score,
                "spike": signal.spike,
                "updated_at": now,
            }
            if signal.outlets:
                values["outlets"] = json.dumps(list(signal.outlets))
                values["items"] = json.dumps(list(signal.items))
            seq = alert.events + (1 if decision else 0)
            values["events"] = seq
            if decision:
                values["last_message_at"] = now
            done = conn.execute(
                update(alerts)
                .where(alerts.c.id == alert.id, alerts.c.events == alert.events)
                .values(values)
            ).rowcount
            if not done:
                return False
            if decision:
                level = changes.get("level", alert.level)
                self._add_event(conn, alert.id, seq, decision, level, signal, now, silence_id)
                self._add_deliveries(conn, alert.id, seq, routes, now, silence_id)
            return True

        return self.store._write(work)

    def _add_event(
        self,
        conn: Connection,
        alert_id: int,
        seq: int,
        decision: str,
        level: int,
        signal: Signal,
        now: datetime,
        silence_id: int | None,
    ) -> None:
        conn.execute(
            alert_events.insert().values(
                alert_id=alert_id,
                seq=seq,
                decision=decision,
                at=now,
                level=level,
                score=signal.score,
                spike=signal.spike,
                outlets=json.dumps(list(signal.outlets)),
                items=json.dumps(list(signal.items)),
                silence_id=silence_id,
            )
        )

    def _add_deliveries(
        self,
        conn: Connection,
        alert_id: int,
        seq: int,
        routes: Sequence[str],
        now: datetime,
        silence_id: int | None,
    ) -> None:
        event_id = conn.execute(
            select(alert_events.c.id).where(
                alert_events.c.alert_id == alert_id, alert_events.c.seq == seq
            )
        ).scalar_one()
        status = "silenced" if silence_id is not None else "pending"
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
                for route in routes
            ],
        )

    def acknowledge(self, alert_id: int, by: str, now: datetime) -> bool:
        def work(conn: Connection) -> bool:
            return bool(
                conn.execute(
                    update(alerts)
                    .where(alerts.c.id == alert_id)
                    .values(acknowledged_at=now, acknowledged_by=by)
                ).rowcount
            )

        return self.store._write(work)

    def events(self, alert_id: int) -> list[dict[str, Any]]:
        """An alert's events with their deliveries, oldest first (``alerts show``)."""
        with self.store._read() as conn:
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

    # --- outbox -------------------------------------------------------------------------

    def due(self, now: datetime, limit: int = 100) -> list[Delivery]:
        """Deliveries to try now, oldest event first.

        A delivery waits while an earlier one of the same alert and route is not
        final, so a thread's messages go out in order and replies find their parent.
        Claimed deliveries whose claim expired (their process died) are due again.
        """
        earlier = deliveries.alias("earlier")
        blocked = (
            select(earlier.c.id)
            .where(
                earlier.c.alert_id == deliveries.c.alert_id,
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
            select(
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
            )
            .join(alert_events, alert_events.c.id == deliveries.c.event_id)
            .where(ready, ~blocked)
            .order_by(deliveries.c.event_id, deliveries.c.id)
            .limit(limit)
        )
        with self.store._read() as conn:
            rows = conn.execute(query).all()
        return [
            Delivery(
                **{
                    **r._mapping,
                    "outlets": tuple(json.loads(r.outlets)),
                    "items": tuple(json.loads(r.items)),
                }
            )
            for r in rows
        ]

    def pending_count(self) -> int:
        with self.store._read() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(deliveries)
                    .where(deliveries.c.status.in_(("pending", "sending")))
                ).scalar_one()
            )

    def claim(self, delivery: Delivery, now: datetime, lease: timedelta) -> bool:
        """Take a due delivery for sending; False when another process took it first."""

        def work(conn: Connection) -> bool:
            return bool(
                conn.execute(
                    update(deliveries)
                    .where(
                        deliveries.c.id == delivery.id,
                        deliveries.c.status == delivery.status,
                        deliveries.c.attempts == delivery.attempts,
                    )
                    .values(
                        status="sending", claimed_until=now + lease, attempts=delivery.attempts + 1
                    )
                ).rowcount
            )

        return self.store._write(work)

    def finish(self, delivery_id: int, status: str, **values: Any) -> None:
        """Record how a claimed delivery ended: sent, failed, or pending (a retry)."""

        def work(conn: Connection) -> None:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(status=status, claimed_until=None, **values)
            )

        self.store._write(work)

    def thread_ref(self, alert_id: int, route: str) -> str | None:
        """The reference the first delivered message of this alert and route returned."""
        query = (
            select(deliveries.c.ref)
            .where(
                deliveries.c.alert_id == alert_id,
                deliveries.c.route == route,
                deliveries.c.ref.is_not(None),
            )
            .order_by(deliveries.c.id)
            .limit(1)
        )
        with self.store._read() as conn:
            return conn.execute(query).scalar()

    def headlines(
        self, item_ids: Sequence[int]
    ) -> dict[int, tuple[str, str | None, str, datetime]]:
        """Title, link, first outlet and first-seen time of each item."""
        out = {}
        with self.store._read() as conn:
            outlets = _outlets(conn, set(item_ids))
            for chunk in _chunks(list(item_ids)):
                for r in conn.execute(
                    select(
                        items.c.id, items.c.title, items.c.link, items.c.outlet, items.c.first_seen
                    ).where(items.c.id.in_(chunk))
                ):
                    first = outlets.get(r.id, (r.outlet or "",))[0]
                    out[r.id] = (r.title, r.link, first, r.first_seen)
        return out

    def terms(self, item_ids: Sequence[int], label: str, limit: int = 8) -> tuple[str, ...]:
        """The terms that drove ``label`` in these items, most common first."""
        counts: dict[str, int] = {}
        with self.store._read() as conn:
            for chunk in _chunks(list(item_ids)):
                for (text,) in conn.execute(
                    select(item_scores.c.terms).where(
                        item_scores.c.item_id.in_(chunk), item_scores.c.label == label
                    )
                ):
                    for term in _terms(text):
                        counts[term] = counts.get(term, 0) + 1
        ranked = sorted(counts, key=lambda t: -counts[t])
        return tuple(ranked[:limit])

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

        return self.store._write(work)

    def active_silences(self, now: datetime | None = None) -> list[Silence]:
        """Silences not lifted (and, with ``now``, not yet expired), oldest first."""
        query = select(silences).where(silences.c.lifted_at.is_(None)).order_by(silences.c.id)
        if now is not None:
            query = query.where(silences.c.until > now)
        with self.store._read() as conn:
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

        return self.store._write(work)


def _scored(label: str, start: datetime, end: datetime, *extra: Any) -> Any:
    """Items first seen in [start, end) whose ``label`` passed its threshold."""
    return (
        select(
            items.c.id,
            items.c.title,
            items.c.link,
            items.c.first_seen,
            item_scores.c.probability,
            item_scores.c.terms,
            item_scores.c.model,
            *extra,
        )
        .join(item_scores, item_scores.c.item_id == items.c.id)
        .where(
            items.c.first_seen >= start,
            items.c.first_seen < end,
            item_scores.c.label == label,
            item_scores.c.above,
        )
    )


def _evidence(row: Any, outlets: dict[int, tuple[str, ...]], weight: float = 1.0) -> Evidence:
    return Evidence(
        item_id=row.id,
        title=row.title,
        link=row.link,
        outlets=outlets.get(row.id, ()),
        seen=row.first_seen,
        probability=row.probability,
        weight=weight,
        terms=_terms(row.terms),
        model=row.model,
    )


def _geotags(conn: Connection, ids: Sequence[int]) -> dict[int, GeoTag]:
    """The stored geotag (countries and places) of each item that has one."""
    countries: dict[int, list[CountryScore]] = {}
    places: dict[int, list[Place]] = {}
    for chunk in _chunks(ids):
        for c in conn.execute(
            select(item_countries)
            .where(item_countries.c.item_id.in_(chunk))
            .order_by(item_countries.c.item_id, item_countries.c.rank)
        ):
            countries.setdefault(c.item_id, []).append(CountryScore(c.code, c.score))
        for p in conn.execute(select(item_places).where(item_places.c.item_id.in_(chunk))):
            places.setdefault(p.item_id, []).append(
                Place(p.name, p.country, p.kind, p.admin1, p.lat, p.lon, p.in_title)
            )
    return {
        i: GeoTag(tuple(countries.get(i, ())), tuple(places.get(i, ())))
        for i in countries.keys() | places.keys()
    }


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _outlets(conn: Connection, ids: set[int]) -> dict[int, tuple[str, ...]]:
    """Every outlet that carried each item, the first to carry it first."""
    seen: dict[int, list[tuple[datetime, str]]] = {}
    for chunk in _chunks(sorted(ids)):
        for item_id, outlet, at in conn.execute(
            select(sightings.c.item_id, sightings.c.outlet, sightings.c.seen_at).where(
                sightings.c.item_id.in_(chunk), sightings.c.outlet.is_not(None)
            )
        ):
            seen.setdefault(item_id, []).append((at, outlet))
    return {
        item_id: tuple(dict.fromkeys(o for _, o in sorted(pairs)))
        for item_id, pairs in seen.items()
    }


def _terms(text: str) -> tuple[str, ...]:
    """Stored terms are ``|``-separated: a term may be two words ("coup d'etat")."""
    return tuple(t for t in text.split("|") if t)
