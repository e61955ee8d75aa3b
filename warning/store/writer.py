"""Writing a poll's items: matching them to stored ones, inserting, revising, sightings.

The write half of :meth:`~warning.store.items.ItemQueries.record_poll`, separate because
it is the one intricate part of the store (deduplication across keys, races with other
writers, revisions) and needs nothing but a connection inside its write transaction. The
item queries keep the feed state and the transaction; an :class:`ItemWriter`, built once
per Database, does the rest.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Dialect, Table, bindparam, select

from warning.records import Assessment, Item, Place
from warning.store.database import chunks
from warning.store.tables import (
    item_countries,
    item_places,
    item_scores,
    items,
    sightings,
)

log = logging.getLogger("warning.store.queries")  # the logger these messages always had

#: Item keys in order of preference when matching an incoming item to a stored one.
KEY_KINDS = ("guid_key", "url_key", "content_hash")
#: A place's columns: its fields (read one by one, not with dataclasses.asdict, whose
#: recursive deep copy was a fifth of storing a large poll).
PLACE_FIELDS = tuple(f.name for f in dataclasses.fields(Place))


class ItemWriter:
    """Inserts a poll's items, assessments and sightings (:meth:`record`).

    Holds the hot path's statements, built once per Store: building (and cache-keying)
    an insert per call cost more than running it.
    """

    def __init__(self, insert: Callable[[Table], Any]) -> None:
        self.insert_items = (
            insert(items)
            .on_conflict_do_nothing()
            .returning(items.c.id, *(items.c[k] for k in KEY_KINDS))
        )
        self.insert_sightings = insert(sightings).on_conflict_do_nothing()

    def record(
        self,
        conn: Connection,
        feed_id: int,
        batch: Sequence[Item],
        seen_at: datetime,
        assessments: Sequence[Assessment] | None,
    ) -> int:
        """Store a poll's items and their sightings on ``conn``; how many were new.

        Items matching a stored one (by any dedup key) are sightings of it, replacing
        it when their ``revision`` differs; ``assessments`` go with the new and the
        replaced items.
        """
        if not batch:
            return 0
        stored = match_stored(conn, batch)
        ids: list[int | None] = [stored.get(i) for i in range(len(batch))]
        self._revise(conn, batch, stored, assessments)

        # Items matching nothing stored: the first of each group sharing a key is new,
        # the others (the same GUID twice in one feed, say) are its duplicates.
        first_with: dict[tuple[str, str], int] = {}
        copy_of: dict[int, int] = {}
        candidates: list[int] = []
        for i, item in enumerate(batch):
            if ids[i] is not None:
                continue
            keys = _keys(item)
            earlier = next((first_with[k] for k in keys if k in first_with), None)
            if earlier is not None:
                copy_of[i] = earlier
                continue
            candidates.append(i)
            for k in keys:
                first_with[k] = i

        inserted = self._insert_items(conn, feed_id, [batch[i] for i in candidates], seen_at)
        new = 0
        lost: list[int] = []
        fresh: list[tuple[int, Assessment]] = []
        for i, item_id in zip(candidates, inserted, strict=True):
            if item_id is None:
                lost.append(i)  # another writer stored the same story a moment ago
            else:
                ids[i] = item_id
                new += 1
                if assessments is not None:
                    fresh.append((item_id, assessments[i]))
        self._insert_assessments(conn, fresh)
        if lost:
            found = match_stored(conn, [batch[i] for i in lost])
            for n, i in enumerate(lost):
                ids[i] = found.get(n)
                if ids[i] is None:
                    log.warning("item %r conflicted but was not found again", batch[i].title)
        for i, first in copy_of.items():
            ids[i] = ids[first]

        seen: dict[int, str | None] = {}
        for item, item_id in zip(batch, ids, strict=True):
            if item_id is not None:
                seen.setdefault(item_id, item.outlet)
        conn.execute(
            self.insert_sightings,
            [
                {"item_id": i, "feed_id": feed_id, "outlet": outlet, "seen_at": seen_at}
                for i, outlet in seen.items()
            ],
        )
        return new

    def _revise(
        self,
        conn: Connection,
        batch: Sequence[Item],
        stored: dict[int, int],
        assessments: Sequence[Assessment] | None,
    ) -> None:
        """Replace stored items that the source has edited since (another ``revision``).

        The item keeps its id, first sighting and sightings, so it still counts once;
        its text and assessment become the new ones.
        """
        revised = {i: stored[i] for i, item in enumerate(batch) if item.revision and i in stored}
        if not revised:
            return
        current = stored_revisions(conn, list(revised.values()))
        changed = {
            i: item_id
            for i, item_id in revised.items()
            if current.get(item_id) != batch[i].revision
        }
        for i, item_id in changed.items():
            item = batch[i]
            conn.execute(
                items.update()
                .where(items.c.id == item_id)
                .values(
                    title=item.title,
                    summary=item.summary,
                    link=item.link,
                    published=item.published,
                    revision=item.revision,
                    tags="|".join(item.tags) or None,
                    past=None,  # the new revision's assessment says again
                )
            )
        if assessments is not None:
            ids = list(changed.values())
            for table in (item_countries, item_places, item_scores):
                for chunk in chunks(ids):
                    conn.execute(table.delete().where(table.c.item_id.in_(chunk)))
            self._insert_assessments(
                conn, [(item_id, assessments[i]) for i, item_id in changed.items()]
            )
        if changed:
            log.info("%d stored items replaced by a newer revision", len(changed))

    def _insert_assessments(self, conn: Connection, done: list[tuple[int, Assessment]]) -> None:
        countries = [
            (item_id, c.code, c.score, rank)
            for item_id, a in done
            for rank, c in enumerate(a.geo.countries)
        ]
        places = [
            (item_id, *(getattr(p, f) for f in PLACE_FIELDS))
            for item_id, a in done
            for p in a.geo.places
        ]
        scores = [
            (item_id, s.label, s.probability, s.above, "|".join(s.terms), a.model)
            for item_id, a in done
            for s in a.scores
        ]
        for item_id, a in done:
            if a.past is not None:  # rare: an update per old-news item
                conn.execute(items.update().where(items.c.id == item_id).values(past=a.past))
        _insert_plain(conn, item_countries, ("item_id", "code", "score", "rank"), countries)
        _insert_plain(conn, item_places, ("item_id", *PLACE_FIELDS), places)
        _insert_plain(
            conn,
            item_scores,
            ("item_id", "label", "probability", "above", "terms", "model"),
            scores,
        )

    def _insert_items(
        self, conn: Connection, feed_id: int, batch: list[Item], seen_at: datetime
    ) -> list[int | None]:
        """Insert items, skipping any a concurrent writer got in first; their ids or None."""
        result: list[int | None] = [None] * len(batch)
        keyed = [i for i, item in enumerate(batch) if _keys(item)]
        keyless = [i for i, item in enumerate(batch) if not _keys(item)]
        if keyed:
            # RETURNING yields only the rows inserted, in no promised order: map them
            # back by key (within a batch no two candidates share one).
            by_key = {k: i for i in keyed for k in _keys(batch[i])}
            rows = conn.execute(
                self.insert_items, [_item_row(batch[i], feed_id, seen_at) for i in keyed]
            )
            for row in rows:
                key = next((kind, row._mapping[kind]) for kind in KEY_KINDS if row._mapping[kind])
                result[by_key[key]] = row.id
        for i in keyless:  # rare: with no key there is nothing to match, so it is always new
            stmt = items.insert().returning(items.c.id)
            result[i] = conn.execute(stmt, _item_row(batch[i], feed_id, seen_at)).scalar_one()
        return result


def _insert_plain(
    conn: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Insert rows of plain values (numbers, text, booleans, None) with the driver's own
    executemany: SQLAlchemy's per-row parameter handling was half the cost of storing a
    large poll's assessments (a score row per label, a row per place and country)."""
    if not rows:
        return
    sql, order = _plain_insert(conn.dialect, table, columns)
    if order is not None:  # SQLite's "?" marks, in the statement's order
        conn.exec_driver_sql(sql, [tuple(row[i] for i in order) for row in rows])
    else:  # psycopg's %(name)s
        named = [dict(zip(columns, row, strict=True)) for row in rows]
        conn.exec_driver_sql(sql, named)


#: (backend, driver, table, columns) -> the INSERT's SQL, and for positional parameters
#: the columns' order in it. Compiled once per process: compiling cost as much as
#: inserting a small poll's rows.
_PLAIN_INSERTS: dict[tuple[str, str, str, tuple[str, ...]], tuple[str, list[int] | None]] = {}


def _plain_insert(
    dialect: Dialect, table: Table, columns: tuple[str, ...]
) -> tuple[str, list[int] | None]:
    key = (dialect.name, dialect.driver, table.name, columns)
    found = _PLAIN_INSERTS.get(key)
    if found is None:
        compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
        order = (
            [columns.index(name) for name in compiled.positiontup or ()]
            if compiled.positional
            else None
        )
        found = _PLAIN_INSERTS[key] = (compiled.string, order)
    return found


def _keys(item: Item) -> list[tuple[str, str]]:
    """The item's dedup keys that are present, in order of preference."""
    return [(kind, key) for kind in KEY_KINDS if (key := getattr(item, kind))]


def match_stored(conn: Connection, batch: Sequence[Item]) -> dict[int, int]:
    """Map batch positions to ids of stored items, trying GUID, then URL, then content hash.

    One ``SELECT .. IN`` per key kind (chunked), and each only for items that the
    previous kinds left unmatched.
    """
    matched: dict[int, int] = {}
    for kind in KEY_KINDS:
        wanted: dict[str, list[int]] = {}
        for i, item in enumerate(batch):
            key = getattr(item, kind)
            if key and i not in matched:
                wanted.setdefault(key, []).append(i)
        if not wanted:
            continue
        keys = list(wanted)
        for chunk in chunks(keys):
            found = conn.execute(_LOOKUP[kind], {"keys": chunk})
            for key, item_id in found:
                for i in wanted[key]:
                    matched[i] = item_id
    return matched


#: Item id by one key kind; "keys" expands to an IN list, so one cached statement serves
#: every batch size.
_LOOKUP = {
    kind: select(items.c[kind], items.c.id).where(
        items.c[kind].in_(bindparam("keys", expanding=True))
    )
    for kind in KEY_KINDS
}


def stored_revisions(conn: Connection, ids: Sequence[int]) -> dict[int, str | None]:
    """The stored revision of each item id."""
    out: dict[int, str | None] = {}
    for chunk in chunks(ids):
        for item_id, revision in conn.execute(
            select(items.c.id, items.c.revision).where(items.c.id.in_(chunk))
        ):
            out[item_id] = revision
    return out


def _item_row(item: Item, feed_id: int, seen_at: datetime) -> dict[str, Any]:
    return {
        "revision": item.revision,
        "tags": "|".join(item.tags) or None,
        "guid_key": item.guid_key,
        "url_key": item.url_key,
        "content_hash": item.content_hash,
        "title": item.title,
        "summary": item.summary,
        "link": item.link,
        "published": item.published,
        "first_seen": seen_at,
        "lang": item.lang,
        "feed_id": feed_id,
        "outlet": item.outlet,
    }
