"""The Store: every query the program runs, behind one small class.

No other module talks SQL. Writes run in short transactions; on SQLite one writer
at a time (a lock in this process, ``BEGIN IMMEDIATE`` across processes), on
PostgreSQL as many as the server allows, with conflicts settled by unique keys
(``INSERT .. ON CONFLICT DO NOTHING``) rather than by locks of ours.

Writing a poll's items (matching, inserting, revising) is in items.py; the alert
queries behind ``store.alerts`` are in alerts.py, evidence.py and outbox.py.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Table, func, make_url, or_, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.sql.schema import Column

from warning.errors import StoreError
from warning.records import Assessment, FeedState, Item
from warning.redact import redact_url, scrub_optional
from warning.store import migrate as migrations
from warning.store.engine import WRITE_OPTION, is_memory_sqlite, make_engine, safe_url
from warning.store.items import CHUNK, ItemWriter, match_stored, stored_revisions
from warning.store.tables import (
    feeds,
    item_countries,
    item_scores,
    items,
    sightings,
)

if TYPE_CHECKING:
    from warning.store.alerts import AlertStore

log = logging.getLogger(__name__)

T = TypeVar("T")

HINT = "check the `database` URL in the configuration and that the database server is running"

#: PostgreSQL errors after which the whole transaction can simply run again.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock
ATTEMPTS = 3

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
        # Only the backend's own dialect module: PostgreSQL's costs 25 ms to import.
        self._insert = importlib.import_module(f"sqlalchemy.dialects.{self.dialect}").insert
        self._sql = _Statements(self._insert)
        self._item_writer = ItemWriter(self._insert)
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
        """Queries about alerts, deliveries and silences (store/alerts.py and its mixins)."""
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
            name: {"name": name, "kind": kind, "url": redact_url(url), "outlet": outlet}
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

    def lease(
        self, name: str, owner: str, now: datetime, hold: timedelta, due_by: datetime | None
    ) -> FeedState | None:
        """Take feed ``name`` for one poll; its state, or None when it is not ours to poll.

        For several instances on one database: None when another live process holds
        the feed's lease, or (unless ``due_by`` is None, a forced poll) when its next
        due time is after ``due_by`` because another instance has just polled it. On
        PostgreSQL the row is read ``FOR UPDATE SKIP LOCKED``: an instance deciding on
        the same feed at the same moment skips it rather than waiting. The lease ends
        with :meth:`release`, or by itself after ``hold`` if this process dies.
        """

        def work(conn: Connection) -> FeedState | None:
            query = select(feeds.c.name, *_state_columns()).where(
                feeds.c.name == name,
                or_(
                    feeds.c.lease_until.is_(None),
                    feeds.c.lease_until < now,
                    feeds.c.lease_owner == owner,
                ),
            )
            if due_by is not None:
                query = query.where(or_(feeds.c.next_due.is_(None), feeds.c.next_due <= due_by))
            if self.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = conn.execute(query).one_or_none()
            if row is None:
                return None
            conn.execute(
                update(feeds)
                .where(feeds.c.name == name)
                .values(lease_owner=owner, lease_until=now + hold)
            )
            return _to_state(row._mapping)

        return self._write(work)

    def release(self, name: str, owner: str) -> None:
        """End this process's lease on a feed (its state is saved already)."""

        def work(conn: Connection) -> None:
            conn.execute(
                update(feeds)
                .where(feeds.c.name == name, feeds.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

        self._write(work)

    def save_state(self, state: FeedState) -> None:
        """Save a feed's state alone (a failure, a 304), creating the feed if needed."""
        self._write(lambda conn: self._upsert_state(conn, state))

    def save_states(self, states: Sequence[FeedState]) -> None:
        """Save several feeds' states in one transaction (a cycle's 304s, together)."""
        if states:
            self._write(lambda conn: [self._upsert_state(conn, state) for state in states])

    def _upsert_state(self, conn: Connection, state: FeedState) -> int:
        values = {"name": state.name, **{c: getattr(state, c) for c in STATE_COLUMNS}}
        # URLs, and error texts quoting them, may carry a password: stored redacted, so
        # that `warning feeds` and operator alerts never show one. The final URL is only
        # recorded, never fetched again, so nothing needs its secrets.
        values["final_url"] = scrub_optional(state.final_url)
        values["last_error"] = scrub_optional(state.last_error)
        values["last_warning"] = scrub_optional(state.last_warning)
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
        return self._item_writer.record(conn, feed_id, batch, seen_at, assessments)

    def stored_already(self, items_: Sequence[Item]) -> list[bool]:
        """For each item, whether a stored item matches it (by any dedup key).

        A cheap read that lets the caller skip expensive per-item work (geotagging,
        scoring) for stories it has seen; ``record_poll`` still decides for certain.
        An item whose ``revision`` differs from the stored one's is not "stored
        already": it will replace the stored one and needs assessing.
        """
        with self._read() as conn:
            matched = match_stored(conn, items_)
            revisions = stored_revisions(
                conn, [matched[i] for i, it in enumerate(items_) if it.revision and i in matched]
            )
        return [
            i in matched and (not item.revision or revisions.get(matched[i]) == item.revision)
            for i, item in enumerate(items_)
        ]

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


class _Statements:
    """The feed statements of the hot path, built once per Store: building (and
    cache-keying) an upsert per call cost more than running it."""

    def __init__(self, insert: Callable[[Table], Any]) -> None:
        upsert = insert(feeds)
        self.save_state = upsert.on_conflict_do_update(
            index_elements=[feeds.c.name], set_={c: upsert.excluded[c] for c in STATE_COLUMNS}
        ).returning(feeds.c.id)
        self.sync_feed = upsert.on_conflict_do_update(
            index_elements=[feeds.c.name],
            set_={c: upsert.excluded[c] for c in ("kind", "url", "outlet")},
        )


def _state_columns() -> list[Column[Any]]:
    return [feeds.c[c] for c in STATE_COLUMNS]


def _to_state(row: Any) -> FeedState:
    return FeedState(**{"name": row["name"], **{c: row[c] for c in STATE_COLUMNS}})
