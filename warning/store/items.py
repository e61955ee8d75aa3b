"""Item queries: storing a poll's items with the feed's state, and reading items back.

Matching and inserting a poll's items is the :class:`~warning.store.writer.ItemWriter`'s
job; this class holds the transaction around it and the reads.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from warning.records import Assessment, FeedState, Item
from warning.store.database import Database, chunks
from warning.store.feeds import FeedQueries
from warning.store.tables import feeds, item_countries, item_scores, items, sightings
from warning.store.writer import ItemWriter, match_stored, stored_revisions

log = logging.getLogger("warning.store.queries")  # the logger these messages always had


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as stored, with every feed and outlet that carried it."""

    id: int
    feed: str  # the feed it was first seen on
    outlet: str | None
    title: str
    summary: str | None
    link: str | None
    published: datetime | None
    first_seen: datetime
    lang: str | None
    outlets: tuple[str, ...]  # distinct outlets with a sighting, sorted
    feeds: tuple[str, ...]  # feeds with a sighting, sorted
    countries: tuple[str, ...] = ()  # what it is about, primary first
    labels: tuple[str, ...] = ()  # signals above their threshold
    revision: str | None = None
    tags: tuple[str, ...] = ()


class ItemQueries:
    """Items and their sightings; a poll's items are written with the feed's state."""

    def __init__(self, db: Database, feed_queries: FeedQueries) -> None:
        self.db = db
        self.feeds = feed_queries
        self.writer = ItemWriter(db.insert)

    def record_poll(
        self,
        feed: str,
        state: FeedState | None,
        items_: Sequence[Item],
        seen_at: datetime,
        assessments: Sequence[Assessment] | None = None,
    ) -> tuple[int, int]:
        """Store one poll's items and the feed's new state in one transaction.

        Returns ``(items_new, items_duplicate)``. Atomic on purpose: an ETag saved
        without the items it came with would make the next poll skip them forever.
        ``assessments`` (geotag and scores), parallel to ``items_``, are stored with the
        items that are new; a duplicate keeps the assessment of its first sighting.

        With ``state`` None the feed's state is left as it was: a share of a large body
        spread over several workers (pipeline/polling.py), whose state is saved once
        every share is stored, so a share that fails leaves the old ETag and the next
        poll fetches the body again (the shares stored then count as duplicates).
        """
        if assessments is not None and len(assessments) != len(items_):
            raise ValueError(f"{len(assessments)} assessments for {len(items_)} items")
        if state is not None and state.name != feed:
            raise ValueError(f"state of feed {state.name!r} passed for feed {feed!r}")
        if seen_at.tzinfo is None:
            raise ValueError("seen_at must be timezone-aware UTC")
        new = self.db.write(
            lambda conn: self._record(conn, feed, state, items_, seen_at, assessments)
        )
        log.debug("feed %s: %d new, %d duplicate items", feed, new, len(items_) - new)
        return new, len(items_) - new

    def _record(
        self,
        conn: Connection,
        feed: str,
        state: FeedState | None,
        batch: Sequence[Item],
        seen_at: datetime,
        assessments: Sequence[Assessment] | None,
    ) -> int:
        # The state goes first because it yields the feed id; a failure among the items
        # then rolls the state back with them.
        if state is None:
            feed_id = self.feeds.id_of(conn, feed)
        else:
            feed_id = self.feeds.upsert_state(conn, state)
        return self.writer.record(conn, feed_id, batch, seen_at, assessments)

    def stored_already(self, items_: Sequence[Item]) -> list[bool]:
        """For each item, whether a stored item matches it (by any dedup key).

        A cheap read that lets the caller skip expensive per-item work (geotagging,
        scoring) for stories it has seen; ``record_poll`` still decides for certain.
        An item whose ``revision`` differs from the stored one's is not "stored
        already": it will replace the stored one and needs assessing.
        """
        with self.db.read() as conn:
            matched = match_stored(conn, items_)
            revisions = stored_revisions(
                conn, [matched[i] for i, it in enumerate(items_) if it.revision and i in matched]
            )
        return [
            i in matched and (not item.revision or revisions.get(matched[i]) == item.revision)
            for i, item in enumerate(items_)
        ]

    def matching(self, items_: Sequence[Item]) -> list[int | None]:
        """For each item, the id of the stored item it deduplicated into, or None."""
        with self.db.read() as conn:
            matched = match_stored(conn, items_)
        return [matched.get(i) for i in range(len(items_))]

    def count(self) -> int:
        """How many distinct items are stored."""
        with self.db.read() as conn:
            count: int = conn.execute(select(func.count()).select_from(items)).scalar_one()
        return count

    def newest(self, limit: int | None = None) -> list[StoredItem]:
        """Stored items, newest first (by first sighting), each with its outlets."""
        query = (
            select(items, feeds.c.name.label("feed_name"))
            .join(feeds, items.c.feed_id == feeds.c.id)
            .order_by(items.c.first_seen.desc(), items.c.id.desc())
            .limit(limit)
        )
        with self.db.read() as conn:
            rows = conn.execute(query).all()
            carried: dict[int, list[tuple[str, str | None]]] = {row.id: [] for row in rows}
            about: dict[int, list[str]] = {row.id: [] for row in rows}
            signals: dict[int, list[str]] = {row.id: [] for row in rows}
            for chunk in chunks(list(carried)):
                for s in conn.execute(
                    select(sightings.c.item_id, feeds.c.name, sightings.c.outlet)
                    .join(feeds, sightings.c.feed_id == feeds.c.id)
                    .where(sightings.c.item_id.in_(chunk))
                ):
                    carried[s.item_id].append((s.name, s.outlet))
                for c in conn.execute(
                    select(item_countries.c.item_id, item_countries.c.code)
                    .where(item_countries.c.item_id.in_(chunk))
                    .order_by(item_countries.c.item_id, item_countries.c.rank)
                ):
                    about[c.item_id].append(c.code)
                for sc in conn.execute(
                    select(item_scores.c.item_id, item_scores.c.label)
                    .where(item_scores.c.item_id.in_(chunk), item_scores.c.above)
                    .order_by(item_scores.c.item_id, item_scores.c.label)
                ):
                    signals[sc.item_id].append(sc.label)
        return [
            StoredItem(
                id=row.id,
                feed=row.feed_name,
                outlet=row.outlet,
                title=row.title,
                summary=row.summary,
                link=row.link,
                published=row.published,
                first_seen=row.first_seen,
                lang=row.lang,
                outlets=tuple(sorted({o for _, o in carried[row.id] if o is not None})),
                feeds=tuple(sorted({f for f, _ in carried[row.id]})),
                countries=tuple(about[row.id]),
                labels=tuple(signals[row.id]),
                revision=row.revision,
                tags=tuple(row.tags.split("|")) if row.tags else (),
            )
            for row in rows
        ]
