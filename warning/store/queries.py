"""The Store: every query the program runs, behind one small class.

No other module talks SQL. Writes run in short transactions; on SQLite one writer
at a time (a lock in this process, ``BEGIN IMMEDIATE`` across processes), on
PostgreSQL as many as the server allows, with conflicts settled by unique keys
(``INSERT .. ON CONFLICT DO NOTHING``) rather than by locks of ours.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Table, bindparam, func, make_url, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.schema import Column

from warning.errors import StoreError
from warning.records import Assessment, FeedState, Item
from warning.store import migrate as migrations
from warning.store.engine import WRITE_OPTION, is_memory_sqlite, make_engine, safe_url
from warning.store.tables import (
    feeds,
    item_countries,
    item_places,
    item_scores,
    items,
    sightings,
)

if TYPE_CHECKING:
    from warning.store.alerts import AlertStore

log = logging.getLogger(__name__)

T = TypeVar("T")

HINT = "check the `database` URL in the configuration and that the database server is running"

#: Keys per ``IN (...)`` list: far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 500

#: PostgreSQL errors after which the whole transaction can simply run again.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock
ATTEMPTS = 3

#: Item keys in order of preference when matching an incoming item to a stored one.
KEY_KINDS = ("guid_key", "url_key", "content_hash")

STATE_COLUMNS = (
    "etag",
    "last_modified",
    "final_url",
    "next_due",
    "last_attempt",
    "last_success",
    "consecutive_failures",
    "last_error",
    "last_warning",
)


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


class Store:
    """The database behind the daemon: feeds and their state, items and sightings."""

    def __init__(self, url: str) -> None:
        self._safe_url = safe_url(url)
        try:
            backend = make_url(url).get_backend_name()
        except sa_exc.ArgumentError as err:
            raise StoreError(f"invalid database URL {self._safe_url}", HINT) from err
        if backend not in ("sqlite", "postgresql"):
            raise StoreError(
                f"unsupported database {self._safe_url}",
                "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
            )
        try:
            self._engine = make_engine(url)
        except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError) as err:
            raise StoreError(f"invalid database URL {self._safe_url}: {err}", HINT) from err
        except OSError as err:  # the SQLite file's directory could not be created
            raise StoreError(f"cannot create the database {self._safe_url}: {err}", HINT) from err
        except ModuleNotFoundError as err:  # the backend's driver is not installed
            raise StoreError(
                f"no driver for database URL {self._safe_url}: {err}",
                "for PostgreSQL install the `postgres` extra (psycopg)",
            ) from err
        self._insert = sqlite.insert if self.dialect == "sqlite" else postgresql.insert
        self._sql = _Statements(self._insert)
        # SQLite has one writer at a time anyway; waiting on a lock here is fairer and
        # cheaper than every thread polling the file lock through the busy timeout.
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if self.dialect == "sqlite" else contextlib.nullcontext()
        )
        # An in-memory database is one shared connection: readers must queue too.
        self._read_lock = (
            self._write_lock if is_memory_sqlite(self._engine) else contextlib.nullcontext()
        )

    @functools.cached_property
    def alerts(self) -> AlertStore:
        """Queries about alerts, deliveries and silences (store/alerts.py)."""
        from warning.store.alerts import AlertStore

        return AlertStore(self)

    @property
    def dialect(self) -> str:
        """The backend's name: ``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    # --- plumbing ------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn an unreachable or failing database into StoreError; let bugs through."""
        try:
            yield
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as err:
            reason = " ".join(str(err.orig).split()) if err.orig is not None else str(err)
            raise StoreError(f"database {self._safe_url}: {reason}", HINT) from err
        except sa_exc.DisconnectionError as err:
            raise StoreError(f"database {self._safe_url}: {err}", HINT) from err
        except sa_exc.StatementError as err:
            # A value our types refused (a naive datetime): the caller's bug, said plainly.
            if not isinstance(err, sa_exc.DBAPIError) and isinstance(err.orig, ValueError):
                raise err.orig from None
            raise

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._errors(), self._read_lock, self._engine.connect() as conn:
            yield conn

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, again if PostgreSQL aborted it as transient."""
        attempt = 1
        while True:
            try:
                with self._errors(), self._write_lock, self._engine.connect() as conn:
                    conn.execution_options(**{WRITE_OPTION: True})
                    with conn.begin():
                        return work(conn)
            except StoreError as err:
                sqlstate = getattr(getattr(err.__cause__, "orig", None), "sqlstate", None)
                if attempt >= ATTEMPTS or sqlstate not in TRANSIENT_SQLSTATES:
                    raise
                log.debug("retrying a transaction after %s (attempt %d)", sqlstate, attempt)
                attempt += 1

    # --- schema --------------------------------------------------------------------

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision (safe to call on every start)."""
        with self._errors(), self._write_lock:
            migrations.migrate(self._engine)

    def ping(self) -> None:
        """Check the database answers; StoreError when it does not."""
        with self._read() as conn:
            conn.execute(select(1)).one()

    # --- feeds ---------------------------------------------------------------------

    def sync_feeds(self, feeds_: Iterable[tuple[str, str, str, str]]) -> None:
        """Make the feeds table know every configured (name, kind, url, outlet).

        Missing feeds are added and known ones updated. Feeds no longer configured
        are kept: their items and sightings still refer to them.
        """
        rows = {
            name: {"name": name, "kind": kind, "url": url, "outlet": outlet}
            for name, kind, url, outlet in feeds_
        }  # one row per name: an upsert may not touch the same row twice
        if not rows:
            return
        self._write(lambda conn: conn.execute(self._sql.sync_feed, list(rows.values())))

    def feed_state(self, name: str) -> FeedState:
        """The polling state of one feed; defaults when it was never polled."""
        with self._read() as conn:
            row = conn.execute(
                select(feeds.c.name, *_state_columns()).where(feeds.c.name == name)
            ).one_or_none()
        return _to_state(row._mapping) if row is not None else FeedState(name)

    def feed_states(self) -> dict[str, FeedState]:
        """The polling state of every feed the database knows, by name."""
        with self._read() as conn:
            rows = conn.execute(select(feeds.c.name, *_state_columns())).all()
        return {row.name: _to_state(row._mapping) for row in rows}

    def save_state(self, state: FeedState) -> None:
        """Save a feed's state alone (a failure, a 304), creating the feed if needed."""
        self._write(lambda conn: self._upsert_state(conn, state))

    def _upsert_state(self, conn: Connection, state: FeedState) -> int:
        values = {"name": state.name, **{c: getattr(state, c) for c in STATE_COLUMNS}}
        feed_id: int = conn.execute(self._sql.save_state, values).scalar_one()
        return feed_id

    # --- items ---------------------------------------------------------------------

    def record_poll(
        self,
        feed: str,
        state: FeedState,
        items_: Sequence[Item],
        seen_at: datetime,
        assessments: Sequence[Assessment] | None = None,
    ) -> tuple[int, int]:
        """Store one poll's items and the feed's new state in one transaction.

        Returns ``(items_new, items_duplicate)``. Atomic on purpose: an ETag saved
        without the items it came with would make the next poll skip them forever.
        ``assessments`` (geotag and scores), parallel to ``items_``, are stored with the
        items that are new; a duplicate keeps the assessment of its first sighting.
        """
        if assessments is not None and len(assessments) != len(items_):
            raise ValueError(f"{len(assessments)} assessments for {len(items_)} items")
        if state.name != feed:
            raise ValueError(f"state of feed {state.name!r} passed for feed {feed!r}")
        if seen_at.tzinfo is None:
            raise ValueError("seen_at must be timezone-aware UTC")
        new = self._write(lambda conn: self._record(conn, state, items_, seen_at, assessments))
        log.debug("feed %s: %d new, %d duplicate items", feed, new, len(items_) - new)
        return new, len(items_) - new

    def _record(
        self,
        conn: Connection,
        state: FeedState,
        batch: Sequence[Item],
        seen_at: datetime,
        assessments: Sequence[Assessment] | None,
    ) -> int:
        # The state goes first because it yields the feed id; a failure among the items
        # then rolls the state back with them.
        feed_id = self._upsert_state(conn, state)
        if not batch:
            return 0
        stored = _match_stored(conn, batch)
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
            found = _match_stored(conn, [batch[i] for i in lost])
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
            self._sql.insert_sightings,
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
        current = _revisions(conn, list(revised.values()))
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
                )
            )
        if assessments is not None:
            ids = list(changed.values())
            for table in (item_countries, item_places, item_scores):
                for chunk_start in range(0, len(ids), CHUNK):
                    chunk = ids[chunk_start : chunk_start + CHUNK]
                    conn.execute(table.delete().where(table.c.item_id.in_(chunk)))
            self._insert_assessments(
                conn, [(item_id, assessments[i]) for i, item_id in changed.items()]
            )
        if changed:
            log.info("%d stored items replaced by a newer revision", len(changed))

    def stored_already(self, items_: Sequence[Item]) -> list[bool]:
        """For each item, whether a stored item matches it (by any dedup key).

        A cheap read that lets the caller skip expensive per-item work (geotagging,
        scoring) for stories it has seen; ``record_poll`` still decides for certain.
        An item whose ``revision`` differs from the stored one's is not "stored
        already": it will replace the stored one and needs assessing.
        """
        with self._read() as conn:
            matched = _match_stored(conn, items_)
            revisions = _revisions(
                conn, [matched[i] for i, it in enumerate(items_) if it.revision and i in matched]
            )
        return [
            i in matched and (not item.revision or revisions.get(matched[i]) == item.revision)
            for i, item in enumerate(items_)
        ]

    def _insert_assessments(self, conn: Connection, done: list[tuple[int, Assessment]]) -> None:
        countries = [
            {"item_id": item_id, "code": c.code, "score": c.score, "rank": rank}
            for item_id, a in done
            for rank, c in enumerate(a.geo.countries)
        ]
        places = [
            {"item_id": item_id, **dataclasses.asdict(p)}
            for item_id, a in done
            for p in a.geo.places
        ]
        scores = [
            {
                "item_id": item_id,
                "label": s.label,
                "probability": s.probability,
                "above": s.above,
                "terms": "|".join(s.terms),
                "model": a.model,
            }
            for item_id, a in done
            for s in a.scores
        ]
        for table, rows in (
            (item_countries, countries),
            (item_places, places),
            (item_scores, scores),
        ):
            if rows:
                conn.execute(table.insert(), rows)

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
                self._sql.insert_items, [_item_row(batch[i], feed_id, seen_at) for i in keyed]
            )
            for row in rows:
                key = next((kind, row._mapping[kind]) for kind in KEY_KINDS if row._mapping[kind])
                result[by_key[key]] = row.id
        for i in keyless:  # rare: with no key there is nothing to match, so it is always new
            stmt = items.insert().returning(items.c.id)
            result[i] = conn.execute(stmt, _item_row(batch[i], feed_id, seen_at)).scalar_one()
        return result

    def count_items(self) -> int:
        """How many distinct items are stored."""
        with self._read() as conn:
            count: int = conn.execute(select(func.count()).select_from(items)).scalar_one()
        return count

    def items(self, limit: int | None = None) -> list[StoredItem]:
        """Stored items, newest first (by first sighting), each with its outlets."""
        query = (
            select(items, feeds.c.name.label("feed_name"))
            .join(feeds, items.c.feed_id == feeds.c.id)
            .order_by(items.c.first_seen.desc(), items.c.id.desc())
            .limit(limit)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
            carried: dict[int, list[tuple[str, str | None]]] = {row.id: [] for row in rows}
            about: dict[int, list[str]] = {row.id: [] for row in rows}
            signals: dict[int, list[str]] = {row.id: [] for row in rows}
            ids = list(carried)
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
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


# --- helpers -------------------------------------------------------------------------


def _keys(item: Item) -> list[tuple[str, str]]:
    """The item's dedup keys that are present, in order of preference."""
    return [(kind, key) for kind in KEY_KINDS if (key := getattr(item, kind))]


def _match_stored(conn: Connection, batch: Sequence[Item]) -> dict[int, int]:
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
        for start in range(0, len(keys), CHUNK):
            found = conn.execute(_LOOKUP[kind], {"keys": keys[start : start + CHUNK]})
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


class _Statements:
    """The hot path's statements, built once per Store: building (and cache-keying) an
    upsert per call cost more than running it."""

    def __init__(self, insert: Callable[[Table], Any]) -> None:
        upsert = insert(feeds)
        self.save_state = upsert.on_conflict_do_update(
            index_elements=[feeds.c.name], set_={c: upsert.excluded[c] for c in STATE_COLUMNS}
        ).returning(feeds.c.id)
        self.sync_feed = upsert.on_conflict_do_update(
            index_elements=[feeds.c.name],
            set_={c: upsert.excluded[c] for c in ("kind", "url", "outlet")},
        )
        self.insert_items = (
            insert(items)
            .on_conflict_do_nothing()
            .returning(items.c.id, *(items.c[k] for k in KEY_KINDS))
        )
        self.insert_sightings = insert(sightings).on_conflict_do_nothing()


def _revisions(conn: Connection, ids: Sequence[int]) -> dict[int, str | None]:
    """The stored revision of each item id."""
    out: dict[int, str | None] = {}
    for start in range(0, len(ids), CHUNK):
        for item_id, revision in conn.execute(
            select(items.c.id, items.c.revision).where(items.c.id.in_(ids[start : start + CHUNK]))
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


def _state_columns() -> list[Column[Any]]:
    return [feeds.c[c] for c in STATE_COLUMNS]


def _to_state(row: Any) -> FeedState:
    return FeedState(**{"name": row["name"], **{c: row[c] for c in STATE_COLUMNS}})
