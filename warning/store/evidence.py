"""Item reads behind signals and alert messages: evidence, item times, headlines.

A mixin of :class:`~warning.store.alerts.AlertQueries` (``store.alerts.evidence(...)``
and so on), separate because these queries only read items, their scores, places and
sightings, and never touch the alert tables: the signal side of the store, apart from
the alert episodes (alerts.py) and the outbox (outbox.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, case, func, select

from warning.records import CountryScore, Evidence, GeoTag, Place
from warning.store.database import Database, chunks
from warning.store.tables import (
    feeds,
    item_countries,
    item_places,
    item_scores,
    items,
    sightings,
)

if TYPE_CHECKING:
    from warning.geo.zones import Zone


def _seen_columns(kind: str) -> tuple[Any, Any]:
    """The subject and the time of a new item: a feed and its sighting, or a country
    and the item's first sighting (a feed's items include those another carried first)."""
    if kind == "feed":
        return feeds.c.name, sightings.c.seen_at
    return item_countries.c.code, items.c.first_seen


def _seen(kind: str, names: Sequence[str] | None, start: datetime, end: datetime) -> Any:
    """The new items of ``kind``'s subjects in [start, end), with no columns yet."""
    name, at = _seen_columns(kind)
    if kind == "feed":
        query = select().select_from(sightings.join(feeds, feeds.c.id == sightings.c.feed_id))
    else:
        query = select().select_from(
            item_countries.join(items, items.c.id == item_countries.c.item_id)
        )
    query = query.where(at >= start, at < end)
    return query if names is None else query.where(name.in_(list(names)))


class EvidenceQueries:
    """Evidence for signals, item counts for flatline rules, and what messages show of items."""

    def __init__(self, db: Database) -> None:
        self.db = db

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
        with self.db.read() as conn:
            rows = conn.execute(query).all()
            outlets = read_outlets(conn, {r.id for r in rows})
        out: dict[str, list[Evidence]] = {}
        for r in rows:
            out.setdefault(r.code, []).append(evidence_of(r, outlets, r.score))
        return out

    def zone_evidence(
        self, label: str, start: datetime, end: datetime, zone: Zone
    ) -> list[Evidence]:
        """Items in [start, end) above ``label``'s threshold that fall inside ``zone``."""
        with self.db.read() as conn:
            rows = conn.execute(_scored(label, start, end)).all()
            geotags = read_geotags(conn, [r.id for r in rows])
            inside = [r for r in rows if r.id in geotags and zone.matches_item(geotags[r.id])]
            outlets = read_outlets(conn, {r.id for r in inside})
        return [evidence_of(r, outlets) for r in inside]

    def seen_times(
        self, kind: str, names: Sequence[str] | None, start: datetime, end: datetime
    ) -> dict[str, list[datetime]]:
        """When each new item in [start, end) was first seen, per feed or country, sorted.

        For flatline rules, which count them per slot (``signals.slot_counts``).

        A feed's items are its sightings (an item another feed carried first counts for
        both); a country's are the items about it.
        """
        name, at = _seen_columns(kind)
        query = _seen(kind, names, start, end).add_columns(name, at)
        out: dict[str, list[datetime]] = {}
        with self.db.read() as conn:
            for subject, seen in conn.execute(query):
                out.setdefault(subject, []).append(seen)
        for times in out.values():
            times.sort()
        return out

    def slot_counts(
        self, kind: str, names: Sequence[str] | None, end: datetime, slot: timedelta, slots: int
    ) -> dict[str, list[int]]:
        """How many new items each feed or country had in each of ``slots`` slots of
        ``slot`` before ``end``, oldest first, as ``signals.slot_counts`` counts them
        from :meth:`seen_times` (which backtests read once for every step).

        Counted by the database: a fortnight of a busy desk's items is tens of
        thousands of rows that Python would only count (0.15 s of every alert cycle).
        Each column is the items before one slot's end; a slot is their difference.
        """
        edges = [end - slot * (slots - i) for i in range(slots + 1)]
        name, at = _seen_columns(kind)
        before = [func.sum(case((at < edge, 1), else_=0)) for edge in edges[1:]]
        query = _seen(kind, names, edges[0], end).add_columns(name, *before).group_by(name)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return {row[0]: [int(b) - int(a) for a, b in pairwise((0, *row[1:]))] for row in rows}

    def watching_since(self) -> datetime | None:
        """When the first item was stored: history before it means "not watching", not quiet."""
        with self.db.read() as conn:
            return conn.execute(select(func.min(items.c.first_seen))).scalar()

    def last_seen(self) -> datetime | None:
        """When the latest item was stored (where a backtest ends by default)."""
        with self.db.read() as conn:
            return conn.execute(select(func.max(items.c.first_seen))).scalar()

    # --- what an alert message shows of its items ------------------------------------

    def geotags(self, item_ids: Sequence[int]) -> dict[int, GeoTag]:
        """The stored geotag (countries and places) of each item that has one."""
        with self.db.read() as conn:
            return read_geotags(conn, item_ids)

    def headlines(
        self, item_ids: Sequence[int]
    ) -> dict[int, tuple[str, str | None, str, datetime]]:
        """Title, link, first outlet and first-seen time of each item."""
        out = {}
        with self.db.read() as conn:
            outlets = read_outlets(conn, set(item_ids))
            for chunk in chunks(list(item_ids)):
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
        with self.db.read() as conn:
            for chunk in chunks(list(item_ids)):
                for (text,) in conn.execute(
                    select(item_scores.c.terms).where(
                        item_scores.c.item_id.in_(chunk), item_scores.c.label == label
                    )
                ):
                    for term in split_terms(text):
                        counts[term] = counts.get(term, 0) + 1
        ranked = sorted(counts, key=lambda t: -counts[t])
        return tuple(ranked[:limit])


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


def evidence_of(row: Any, outlets: dict[int, tuple[str, ...]], weight: float = 1.0) -> Evidence:
    return Evidence(
        item_id=row.id,
        title=row.title,
        link=row.link,
        outlets=outlets.get(row.id, ()),
        seen=row.first_seen,
        probability=row.probability,
        weight=weight,
        terms=split_terms(row.terms),
        model=row.model,
    )


def read_geotags(conn: Connection, ids: Sequence[int]) -> dict[int, GeoTag]:
    """The stored geotag (countries and places) of each item that has one."""
    countries: dict[int, list[CountryScore]] = {}
    places: dict[int, list[Place]] = {}
    for chunk in chunks(ids):
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


def read_outlets(conn: Connection, ids: set[int]) -> dict[int, tuple[str, ...]]:
    """Every outlet that carried each item, the first to carry it first."""
    seen: dict[int, list[tuple[datetime, str]]] = {}
    for chunk in chunks(sorted(ids)):
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


def split_terms(text: str) -> tuple[str, ...]:
    """Stored terms are ``|``-separated: a term may be two words ("coup d'etat")."""
    return tuple(t for t in text.split("|") if t)
