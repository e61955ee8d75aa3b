"""Queries behind advisory signals: the stored travel-advisory versions, per country.

Advisory items (:mod:`warning.sources.advisory`) carry their facts as tags:
``advisory-source:us``, ``country:ML``, ``advisory-level:4``. The level history
of one (publisher, country) is its items in the order they were first seen;
a change of level between two of them is what an ``advisory`` rule reads.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from warning.store.database import Database, chunks
from warning.store.tables import items

__all__ = ["AdvisoryQueries", "AdvisoryVersion", "advisory_tags"]

#: (publisher, country): the key of one level history.
Series = tuple[str, str]


@dataclass(frozen=True, slots=True)
class AdvisoryVersion:
    """One stored version of one publisher's advisory for one country, with its level."""

    item_id: int
    source: str  # us | uk
    country: str  # ISO 3166-1 alpha-2
    level: int  # 1 to 4
    title: str
    summary: str
    link: str | None
    outlet: str
    published: datetime | None
    first_seen: datetime


def advisory_tags(tags: Collection[str]) -> tuple[str, str, int] | None:
    """(publisher, country, level) from an item's tags; None unless all three are there."""
    source = country = level = None
    for tag in tags:
        key, _, value = tag.partition(":")
        if key == "advisory-source":
            source = value
        elif key == "country":
            country = value
        elif key == "advisory-level" and value.isdigit():
            level = int(value)
    if source and country and level is not None:
        return source, country, level
    return None


class AdvisoryQueries:
    """The stored advisory versions (``store.advisories``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def history(
        self, since: datetime | None = None, countries: Collection[str] | None = None
    ) -> dict[Series, list[AdvisoryVersion]]:
        """Every advisory version with a level, per (publisher, country), oldest first.

        With ``since``, only the versions first seen at or after it, each history
        preceded by its last version from before (the level a change in the window
        started from). ``countries`` (ISO codes) limits the countries. Order: first
        seen, then published, then item id; a publisher's own date only breaks ties,
        because a wrong one (they occur) must not reorder what was seen.
        """
        columns = (items.c.id, items.c.tags, items.c.first_seen, items.c.published)
        tagged = items.c.tags.like("%advisory-source:%")
        wanted = set(countries) if countries is not None else None
        with self.db.read() as conn:
            if since is None:
                rows = list(conn.execute(_full().where(tagged)))
            else:
                earlier: dict[Series, tuple[Any, ...]] = {}
                old = select(*columns).where(tagged, items.c.first_seen < since)
                for row in conn.execute(old):
                    key = _series(row.tags, wanted)
                    if key is not None and (key not in earlier or _order(row) > earlier[key]):
                        earlier[key] = _order(row)
                rows = list(conn.execute(_full().where(tagged, items.c.first_seen >= since)))
                ids = [order[-1] for order in earlier.values()]
                for chunk in chunks(ids):
                    rows += conn.execute(_full().where(items.c.id.in_(chunk)))
        out: dict[Series, list[AdvisoryVersion]] = {}
        for row in sorted(rows, key=_order):
            parsed = advisory_tags(row.tags.split("|")) if row.tags else None
            if parsed is None or (wanted is not None and parsed[1] not in wanted):
                continue
            source, country, level = parsed
            out.setdefault((source, country), []).append(
                AdvisoryVersion(
                    item_id=row.id,
                    source=source,
                    country=country,
                    level=level,
                    title=row.title,
                    summary=row.summary or "",
                    link=row.link,
                    outlet=row.outlet or "",
                    published=row.published,
                    first_seen=row.first_seen,
                )
            )
        return out


def _full() -> Any:
    return select(
        items.c.id,
        items.c.tags,
        items.c.title,
        items.c.summary,
        items.c.link,
        items.c.outlet,
        items.c.published,
        items.c.first_seen,
    )


def _series(tags: str | None, wanted: set[str] | None) -> Series | None:
    parsed = advisory_tags(tags.split("|")) if tags else None
    if parsed is None or (wanted is not None and parsed[1] not in wanted):
        return None
    return parsed[0], parsed[1]


def _order(row: Any) -> tuple[Any, ...]:
    return (row.first_seen, row.published or row.first_seen, row.id)
