"""The CPU-bound half of a poll: parse, geotag and score new items, store them.

Runs in worker processes (each with its own database connection), or inline.
Every new item is assessed once, here, and stored with its assessment.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from ..errors import ModelError
from ..records import Assessment, FeedState, FetchResult, Item, ParseResult
from ..store import Store
from .assessment import Text, assess_all
from .workers import WorkerPool, default_workers

if TYPE_CHECKING:
    # Annotations only: a worker process imports this module, and needs neither the
    # configuration nor the HTTP client (each 0.05 s of its start).
    from ..classify.scorer import Scorer
    from ..config import Settings
    from ..sources import Source
    from ..sources.http import FetchLimits

log = logging.getLogger(__name__)


def fetch_limits(settings: Settings) -> FetchLimits:
    """The fetcher's limits from the ``poll:`` section."""
    from ..sources.http import FetchLimits

    poll = settings.poll
    extra = {"user_agent": poll.user_agent} if poll.user_agent else {}
    return FetchLimits(
        connect_timeout=poll.connect_timeout.total_seconds(),
        read_timeout=poll.read_timeout.total_seconds(),
        deadline=poll.deadline.total_seconds(),
        max_bytes=poll.max_bytes,
        max_redirects=poll.max_redirects,
        **extra,
    )


#: Items of a share of a large body assessed and stored together (see ingest).
SHARE_CHUNK = 500

#: Items geotagged and scored together. The scorer's arrays take about 25 KB per news
#: item while it runs (12 MB for 500), and the allocator keeps the heap they grew: a
#: smaller batch lowers a worker's peak as much (64 items: 2 MB less than 128), for at
#: most a few hundredths of a second over 3,000 items (docs/performance.md).
ASSESS_BATCH = 64

#: Each worker process's own connection to the database (see worker_pool).
_worker_store: Store | None = None


def _start_worker(database_url: str) -> None:
    """A worker's start-up, before its first task (and outside that task's deadline):
    its own database connection, and the gazetteer's cache made ready, built by one
    process while the others wait (seconds, once per gazetteer version)."""
    global _worker_store
    from ..geo import gazetteer

    _worker_store = Store(database_url)
    gazetteer.ensure_cached()


def ingest(
    source: Source,
    fetched: FetchResult,
    state: FeedState | None,
    now: datetime,
    store: Store | None = None,
    share: tuple[int, int] = (0, 1),
) -> tuple[int, int, tuple[str, ...]]:
    """Parse a fetched body and store its items with the feed's new state, atomically.

    Returns (items new, items duplicate, parse warnings). Runs in a worker process
    (with that worker's store) or inline (with the store passed in).

    ``share`` (k, n) with n > 1 takes every n-th item from the k-th, stored with no
    ``state``: a large body shared among the workers, whose state the caller saves
    once every share is stored (pipeline/polling.py). Each worker reads the whole body
    but builds only its share's items (Source.parse_share): only the body crosses between
    processes. A share is assessed and stored SHARE_CHUNK items at a time, each chunk in
    its own transaction: the shares' writes then take turns while the others assess,
    instead of queueing for SQLite's one writer at the end. Nothing needs a share to be
    atomic: a chunk stored without the rest is what a share stored without the others is.
    """
    store = store or _worker_store
    assert store is not None, "ingest() outside a worker needs a store"
    whole = share[1] < 2
    parsed = source.parse(fetched) if whole else source.parse_share(fetched, share)
    if whole:
        new, dup = store_parsed(store, source.feed.name, state, parsed, now)
        return new, dup, parsed.warnings
    mine, ready = parsed.items, parsed.assessments
    new = dup = 0
    for start in range(0, len(mine), SHARE_CHUNK):
        part = slice(start, start + SHARE_CHUNK)
        chunk = replace(parsed, items=mine[part], assessments=ready[part])
        counts = store_parsed(store, source.feed.name, state, chunk, now)
        new, dup = new + counts[0], dup + counts[1]
    return new, dup, parsed.warnings


def store_parsed(
    store: Store, feed: str, state: FeedState | None, parsed: ParseResult, now: datetime
) -> tuple[int, int]:
    """Assess the parsed items not stored yet, and store them all with the feed's state
    (None: a share of a body, stored without it; see :func:`ingest`).

    Returns (items new, items duplicate). The half of a poll after parsing: replays
    (:mod:`warning.backtest.replay`) enter archived items here, as if a feed had carried them.
    """
    warning = "; ".join(parsed.warnings) or None
    given = parsed.assessments or (None,) * len(parsed.items)
    # Most of a changed feed is stories already stored: assess only the others. Stored
    # stories stay stored, so record_poll counts them as duplicates and never keeps
    # their placeholder assessments (unless a new revision replaces them).
    seen = store.stored_already(parsed.items)
    fresh = [
        item
        for item, known, ready in zip(parsed.items, seen, given, strict=True)
        if not known and ready is None
    ]
    assessed = iter(assess(fresh))
    assessments = [
        ready if ready is not None else (Assessment() if known else next(assessed))
        for known, ready in zip(seen, given, strict=True)
    ]
    saved = None if state is None else replace(state, last_warning=warning)
    return store.record_poll(feed, saved, parsed.items, now, assessments)


def assess(items: Sequence[Item]) -> list[Assessment]:
    """Geotag and score new items with the shipped model: each is assessed once, here,
    and stored with its result (:mod:`.assessment` is how)."""
    if not items:
        return []  # spares a worker loading the gazetteer and model for event data
    texts = [
        Text(i.title, i.summary, i.lang, i.published.date() if i.published else None) for i in items
    ]
    model = _model()
    return [
        assessment
        for start in range(0, len(texts), ASSESS_BATCH)
        for assessment in assess_all(texts[start : start + ASSESS_BATCH], model)
    ]


#: The shipped model's scoring pack once loaded, or why it could not be: either way,
#: tried once.
_model_state: Scorer | ModelError | None = None


def _model() -> Scorer | None:
    """The shipped model; None (said once per process) when it cannot be used.

    Items are still stored and geotagged without it: losing the feed because the
    model is broken would be worse than storing items unscored. A failure is kept,
    so a broken model costs one attempt per process, not a read and a hash per poll.
    """
    global _model_state
    if _model_state is None:
        # Imported here: numpy only, no scikit-learn, and only by processes that score.
        from ..classify import scorer

        try:
            _model_state = scorer.load_default()
        except ModelError as exc:
            _model_state = exc
            log.error("items are stored unscored: %s", exc)
    return None if isinstance(_model_state, ModelError) else _model_state


def require_model() -> Scorer:
    """The shipped model, or the ModelError saying why not: for replays, where items
    stored unscored would make every rule silent and the replay meaningless."""
    _model()
    if isinstance(_model_state, ModelError):
        raise _model_state
    assert _model_state is not None
    return _model_state


def worker_pool(settings: Settings) -> WorkerPool:
    """The worker processes the ``poll:`` section asks for (default: one per core).

    Nothing starts here: a worker starts when a poll first brings something to parse
    (so a cycle of 304s starts none), and makes the gazetteer's cache ready as it
    starts (:func:`_start_worker`), before its first task's deadline runs.
    """
    workers = settings.poll.processes
    return WorkerPool(
        default_workers() if workers is None else workers,
        _start_worker,
        (settings.database.reveal(),),
    )
