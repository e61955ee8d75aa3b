"""One poll of one source, and one cycle over all of them."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import secrets
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from .. import metrics
from ..alerting.outbox import DeliveryReport
from ..alerting.rules import Rule
from ..config import Settings
from ..errors import AppError, FetchCancelled, SourceError, StoreError
from ..notify import Notifiers
from ..records import CycleReport, Decided, FeedState, FetchResult, PollOutcome, Signal
from ..sources import REGISTRY, Source
from ..sources.http import Fetcher
from ..store import Store
from .alerting import Alerter
from .intake import ingest
from .workers import WorkCancelled, WorkerPool, WorkerTimeout

log = logging.getLogger(__name__)

#: Slack for the database write and a wait for a worker, on top of a poll's two deadlines.
POLL_MARGIN = timedelta(seconds=60)
#: A news body over this size (about 2,000 items) is shared among the workers, a share
#: for each started unit of it at most: assessing its items, not parsing them, is most
#: of the work, and a second worker halves it for the cost of a parse on another core.
SHARE_BYTES = 1 << 20


def poll_budget(settings: Settings) -> timedelta:
    """The longest one poll should take: the fetch's deadline, then the parse's (the
    same ``poll.deadline``, enforced by killing the worker), plus POLL_MARGIN.

    A lease lasts this long, then expires by itself; /healthz calls a poll that has
    been in flight longer than this stuck.
    """
    return 2 * settings.poll.deadline + POLL_MARGIN


def backoff(every: timedelta, failures: int, cap: timedelta, jitter: float) -> timedelta:
    """Delay before the next try after ``failures`` failures in a row.

    The first failure retries at the normal interval, each further one doubles
    it, up to ``cap`` (but never below the feed's own interval). Jitter spreads
    retries of feeds that failed together, e.g. when the network came back.
    """
    doublings = min(max(failures - 1, 0), 30)
    delay = min(every * (2**doublings), max(cap, every))
    return delay * (1 + random.uniform(-jitter, jitter))


class Pipeline:
    """Polls configured sources into the store. Thread-safe: one poll per feed at a time."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        workers: WorkerPool,
        notifiers: Notifiers | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.fetcher = fetcher
        self.workers = workers
        self.notifiers = notifiers or Notifiers(settings.notify)
        self.sources: dict[str, Source] = {f.name: REGISTRY[f.kind](f) for f in settings.feeds}
        self.alerter = Alerter(settings, store, self.notifiers)
        # Several instances share one PostgreSQL by leasing each feed for its poll
        # (Store.lease); SQLite has one writer and so one instance.
        self.leases = store.dialect == "postgresql"
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.lease_hold = poll_budget(settings)
        # Parsing and storing a fetched body gets as long as fetching it did.
        self.parse_deadline = settings.poll.deadline.total_seconds()

    def poll(
        self,
        name: str,
        *,
        force: bool = False,
        now: datetime | None = None,
        state: FeedState | None = None,
        unchanged: list[FeedState] | None = None,
    ) -> PollOutcome:
        """Poll one feed unless it is backing off (``force`` polls it anyway).

        ``state`` saves a query when the caller already read it (a whole cycle).
        ``unchanged`` collects the new state of a feed answered 304 instead of writing
        it, for the caller to save with the others (:meth:`cycle`).
        """
        with metrics.poll_in_flight(name):
            outcome = self._poll(name, force=force, now=now, state=state, unchanged=unchanged)
        metrics.poll_done(outcome, time.time())
        return outcome

    def _poll(
        self,
        name: str,
        *,
        force: bool,
        now: datetime | None,
        state: FeedState | None,
        unchanged: list[FeedState] | None = None,
    ) -> PollOutcome:
        source = self.sources[name]
        now = now or datetime.now(UTC)
        # Half an interval of slack, so a job fired early by jitter still runs.
        due_by = None if force else now + source.feed.every / 2
        if self.leases:
            try:
                leased = self.store.lease(name, self.owner, now, self.lease_hold, due_by)
            except StoreError as exc:
                log.error("feed=%s not polled: %s", name, exc)
                return PollOutcome(name, "error", error=str(exc))
            if leased is None:
                return PollOutcome(name, "skipped")  # another instance has it, or had it
            try:
                # Saved before the lease goes: the next instance must see this poll.
                return self._poll_leased(source, leased, now, force=True, unchanged=None)
            finally:
                with contextlib.suppress(StoreError):  # else the lease simply expires
                    self.store.release(name, self.owner)
        if state is None:
            try:
                state = self.store.feed_state(name)
            except StoreError as exc:
                log.error("feed=%s not polled: %s", name, exc)
                return PollOutcome(name, "error", error=str(exc))
        return self._poll_leased(source, state, now, force=force, unchanged=unchanged)

    def _poll_leased(
        self,
        source: Source,
        state: FeedState,
        now: datetime,
        *,
        force: bool,
        unchanged: list[FeedState] | None,
    ) -> PollOutcome:
        name = source.feed.name
        started = time.monotonic()
        if not force and state.next_due and now < state.next_due - source.feed.every / 2:
            return PollOutcome(name, "skipped")
        attempt = replace(state, last_attempt=now)
        try:
            fetched = source.fetch(self.fetcher, state)
            ok = replace(
                attempt,
                last_success=now,
                consecutive_failures=0,
                last_error=None,
                next_due=now + source.feed.every,
                final_url=fetched.final_url,
                etag=fetched.etag,
                last_modified=fetched.last_modified,
            )
            if fetched.status == "not_modified":
                if unchanged is None:
                    self.store.save_state(ok)
                else:
                    unchanged.append(ok)  # list.append is atomic: safe from poll threads
                outcome = PollOutcome(name, "not_modified", bytes_received=fetched.bytes_received)
            else:
                new, dup, warnings = self._ingest(source, fetched, ok, now)
                outcome = PollOutcome(
                    name,
                    "new",
                    items_new=new,
                    items_duplicate=dup,
                    bytes_received=fetched.bytes_received,
                    warnings=warnings,
                )
        except (FetchCancelled, WorkCancelled):
            return PollOutcome(name, "skipped")  # shutting down; not the feed's fault
        except WorkerTimeout:
            metrics.PARSE_TIMEOUTS.inc()
            slow = SourceError(
                f"parsing this feed took longer than {self.parse_deadline:g} s; "
                "its worker process was stopped",
                "the feed may be built to stall parsers (or be huge); it is retried with backoff."
                " If it is a trusted feed that needs longer, raise poll.deadline",
            )
            return self._failed(source, attempt, now, slow, started)
        except (SourceError, StoreError) as exc:
            return self._failed(source, attempt, now, exc, started)
        except Exception as exc:  # a bug must cost one feed one poll, never the cycle
            log.exception("feed=%s internal error", name)
            return self._failed(source, attempt, now, AppError(f"internal error: {exc!r}"), started)
        outcome = replace(outcome, elapsed=time.monotonic() - started)
        self._log(outcome)
        return outcome

    def _ingest(
        self, source: Source, fetched: FetchResult, ok: FeedState, now: datetime
    ) -> tuple[int, int, tuple[str, ...]]:
        """Parse, assess and store a changed body with the feed's new state: in one
        worker, or, for a large news body, in shares over several (every worker parses
        the body, assesses and stores its share), the state saved once all are stored."""
        if self.workers.inline:
            return ingest(source, fetched, ok, now, self.store)
        shares = min(self.workers.workers, 1 + len(fetched.body) // SHARE_BYTES)
        if not source.news or shares < 2:
            return self.workers.call(ingest, source, fetched, ok, now, deadline=self.parse_deadline)

        def share(k: int) -> tuple[int, int, tuple[str, ...]]:
            return self.workers.call(
                ingest, source, fetched, None, now, None, (k, shares), deadline=self.parse_deadline
            )

        with ThreadPoolExecutor(shares - 1, thread_name_prefix="share") as others:
            rest = others.map(share, range(1, shares))
            done = [share(0), *rest]  # the first share in this poll's own thread
        # Each share warns about the whole body, but counts only the entries it failed
        # to read itself (sources/rss.py): the same warnings once, each share's failures.
        warnings = tuple(dict.fromkeys(w for d in done for w in d[2]))
        self.store.save_state(replace(ok, last_warning="; ".join(warnings) or None))
        return sum(d[0] for d in done), sum(d[1] for d in done), warnings

    def _failed(
        self, source: Source, state: FeedState, now: datetime, exc: AppError, started: float
    ) -> PollOutcome:
        failures = state.consecutive_failures + 1
        delay = backoff(
            source.feed.every, failures, self.settings.poll.backoff_max, self.settings.poll.jitter
        )
        failed = replace(
            state, consecutive_failures=failures, last_error=str(exc), next_due=now + delay
        )
        try:
            self.store.save_state(failed)
        except StoreError as store_exc:
            log.error("feed=%s state not saved: %s", source.feed.name, store_exc)
        log.warning(
            "feed=%s failed (%d in a row, next try in %s): %s",
            source.feed.name,
            failures,
            _short(delay),
            exc,
        )
        return PollOutcome(
            source.feed.name, "error", error=str(exc), elapsed=time.monotonic() - started
        )

    @staticmethod
    def _log(outcome: PollOutcome) -> None:
        log.info(
            "feed=%s status=%s new=%d duplicate=%d bytes=%d elapsed=%.2fs",
            outcome.feed,
            outcome.status,
            outcome.items_new,
            outcome.items_duplicate,
            outcome.bytes_received,
            outcome.elapsed,
        )
        for warning in outcome.warnings:
            log.warning("feed=%s %s", outcome.feed, warning)

    def cycle(self, *, force: bool = True, now: datetime | None = None) -> CycleReport:
        """Poll every feed once, concurrently, and total the outcomes.

        ``now`` is the simulated time of every poll (replays and soak runs); by default
        each poll takes the clock's time.
        """
        started = datetime.now(UTC)
        names = list(self.sources)
        states = self.store.feed_states()  # one query instead of one per feed
        # Most of a steady cycle is 304s: their states are written together at the end,
        # one transaction instead of one per feed, each a wait for SQLite's one writer.
        # A crash before then loses only "polled, unchanged", so those feeds are polled
        # again. With leases each poll saves its own, before its lease is released.
        unchanged: list[FeedState] | None = None if self.leases else []
        # A feed with no validator (never polled, or its server sends no ETag nor
        # Last-Modified) is answered in full: there will be parsing, so workers start
        # now, during the fetches, rather than after the first body. A cycle of 304s
        # starts none.
        self.workers.warm(
            sum(not (st.etag or st.last_modified) for st in (states.get(n) for n in names) if st)
            + sum(n not in states for n in names)
        )
        workers = max(1, min(self.settings.poll.concurrency, len(names)))
        try:
            with ThreadPoolExecutor(workers, thread_name_prefix="poll") as pool:
                outcomes = tuple(
                    pool.map(
                        lambda n: self.poll(
                            n,
                            force=force,
                            now=now,
                            state=states.get(n) or FeedState(n),
                            unchanged=unchanged,
                        ),
                        names,
                    )
                )
        finally:
            if unchanged:
                try:
                    self.store.save_states(unchanged)
                except StoreError as exc:  # they are polled again: nothing is lost
                    log.error("states of %d unchanged feeds not saved: %s", len(unchanged), exc)
        return CycleReport(started=started, finished=datetime.now(UTC), outcomes=outcomes)

    # --- alerts: see alerting.py ---------------------------------------------------

    def alert_cycle(self, now: datetime | None = None) -> tuple[list[Decided], DeliveryReport]:
        """Evaluate every rule, record the decisions, then deliver what is due."""
        return self.alerter.alert_cycle(now)

    def evaluate(self, now: datetime) -> list[Decided]:
        return self.alerter.evaluate(now)

    def signals(
        self, rule: Rule, now: datetime, open_: dict[tuple[str, str, str], object]
    ) -> list[Signal]:
        return self.alerter.signals(rule, now, open_)


def _short(delay: timedelta) -> str:
    seconds = int(delay.total_seconds())
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
