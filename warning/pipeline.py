"""One poll of one source, and one cycle over all of them.

This is the only module that calls several stages, in the order of DESIGN.md's
data flow: source fetch and parse, geotagging and scoring, the store; then, in
an alert cycle, aggregation, rules and the alert lifecycle, and the outbox. The
daemon's jobs and ``warning poll --once`` both call :meth:`Pipeline.poll` and
:meth:`Pipeline.alert_cycle`, so what is tested one-shot is what runs in production.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from . import aggregate
from .alerts import decide, dedup_key
from .classify import artifact
from .classify.model import Model
from .config import Settings
from .errors import AppError, FetchCancelled, ModelError, SourceError, StoreError
from .geo import gazetteer
from .geo.resolve import geotag
from .notify import Notifiers
from .notify.render import place_name
from .outbox import DeliveryReport, deliver
from .records import (
    AlertMessage,
    Assessment,
    CycleReport,
    Decided,
    Decision,
    FeedState,
    FetchResult,
    Headline,
    Item,
    LabelScore,
    PollOutcome,
    Signal,
)
from .rules import ALL, Rule
from .rules.advisory import AdvisoryRule, advisory_signals
from .rules.types import FlatlineRule, SpikeRule
from .sources import REGISTRY, Source
from .sources.http import Fetcher, FetchLimits
from .store import Store, advisories
from .store.alerts import StoredAlert
from .workers import WorkerPool, default_workers

log = logging.getLogger(__name__)


def fetch_limits(settings: Settings) -> FetchLimits:
    """The fetcher's limits from the ``poll:`` section."""
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


# --- the CPU-bound half of a poll, run in worker processes -------------------------

#: Each worker process's own connection to the database (see worker_pool).
_worker_store: Store | None = None


def _open_worker_store(database_url: str) -> None:
    global _worker_store
    _worker_store = Store(database_url)


def ingest(
    source: Source,
    fetched: FetchResult,
    state: FeedState,
    now: datetime,
    store: Store | None = None,
) -> tuple[int, int, tuple[str, ...]]:
    """Parse a fetched body and store its items with the feed's new state, atomically.

    Returns (items new, items duplicate, parse warnings). Runs in a worker process
    (with that worker's store) or inline (with the store passed in).
    """
    store = store or _worker_store
    assert store is not None, "ingest() outside a worker needs a store"
    parsed = source.parse(fetched)
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
    new, dup = store.record_poll(
        source.feed.name, replace(state, last_warning=warning), parsed.items, now, assessments
    )
    return new, dup, parsed.warnings


def assess(items: Sequence[Item]) -> list[Assessment]:
    """Geotag and score new items: each is scored once, here, and stored with its result."""
    if not items:
        return []  # spares a worker loading the gazetteer and model for event data
    gaz = gazetteer.load()
    model = _model()
    scored = model.score([f"{i.title}\n{i.summary}" for i in items]) if model and items else []
    out = []
    for n, item in enumerate(items):
        when = item.published.date() if item.published else None
        geo = geotag(item.title, item.summary, gaz, when=when, lang=item.lang)
        if model is None:
            out.append(Assessment(geo))
            continue
        s = scored[n]
        scores = tuple(
            LabelScore(label, p, label in s.labels, s.terms.get(label, ()))
            for label, p in s.probabilities.items()
        )
        out.append(Assessment(geo, scores, model.version))
    return out


#: The shipped model once loaded, or why it could not be: either way, tried once.
_model_state: Model | ModelError | None = None


def _model() -> Model | None:
    """The shipped model; None (said once per process) when it cannot be used.

    Items are still stored and geotagged without it: losing the feed because the
    model is broken would be worse than storing items unscored. A failure is kept,
    so a broken model costs one attempt per process, not a read and a hash per poll.
    """
    global _model_state
    if _model_state is None:
        try:
            _model_state = artifact.load_default()
        except ModelError as exc:
            _model_state = exc
            log.error("items are stored unscored: %s", exc)
    return _model_state if isinstance(_model_state, Model) else None


def worker_pool(settings: Settings) -> WorkerPool:
    """The worker processes the ``poll:`` section asks for (default: one per core).

    The gazetteer cache is made ready first, so workers read it rather than each
    building it (seconds) on their first item.
    """
    gazetteer.ensure_cached()
    workers = settings.poll.processes
    return WorkerPool(
        default_workers() if workers is None else workers,
        _open_worker_store,
        (settings.database.reveal(),),
    )


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
        self.zones = {z.name: z for z in settings.zones}

    def poll(
        self,
        name: str,
        *,
        force: bool = False,
        now: datetime | None = None,
        state: FeedState | None = None,
    ) -> PollOutcome:
        """Poll one feed unless it is backing off (``force`` polls it anyway).

        ``state`` saves a query when the caller already read it (a whole cycle).
        """
        source = self.sources[name]
        now = now or datetime.now(UTC)
        started = time.monotonic()
        if state is None:
            try:
                state = self.store.feed_state(name)
            except StoreError as exc:
                log.error("feed=%s not polled: %s", name, exc)
                return PollOutcome(name, "error", error=str(exc))
        # Half an interval of slack, so a job fired early by jitter still runs.
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
                self.store.save_state(ok)
                outcome = PollOutcome(name, "not_modified", bytes_received=fetched.bytes_received)
            else:
                if self.workers.inline:
                    new, dup, warnings = ingest(source, fetched, ok, now, self.store)
                else:
                    new, dup, warnings = self.workers.call(ingest, source, fetched, ok, now)
                outcome = PollOutcome(
                    name,
                    "new",
                    items_new=new,
                    items_duplicate=dup,
                    bytes_received=fetched.bytes_received,
                    warnings=warnings,
                )
        except FetchCancelled:
            return PollOutcome(name, "skipped")  # shutting down; not the feed's fault
        except (SourceError, StoreError) as exc:
            return self._failed(source, attempt, now, exc, started)
        except Exception as exc:  # a bug must cost one feed one poll, never the cycle
            log.exception("feed=%s internal error", name)
            return self._failed(source, attempt, now, AppError(f"internal error: {exc!r}"), started)
        outcome = replace(outcome, elapsed=time.monotonic() - started)
        self._log(outcome)
        return outcome

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

    def cycle(self, *, force: bool = True) -> CycleReport:
        """Poll every feed once, concurrently, and total the outcomes."""
        started = datetime.now(UTC)
        names = list(self.sources)
        states = self.store.feed_states()  # one query instead of one per feed
        workers = max(1, min(self.settings.poll.concurrency, len(names)))
        with ThreadPoolExecutor(workers, thread_name_prefix="poll") as pool:
            outcomes = tuple(
                pool.map(
                    lambda n: self.poll(n, force=force, state=states.get(n) or FeedState(n)),
                    names,
                )
            )
        return CycleReport(started=started, finished=datetime.now(UTC), outcomes=outcomes)

    # --- alerts -------------------------------------------------------------------

    def alert_cycle(self, now: datetime | None = None) -> tuple[list[Decided], DeliveryReport]:
        """Evaluate every rule, record the decisions, then deliver what is due.

        A dry run writes no alert and sends nothing, not even deliveries already
        pending: a dry run against the production database must never take an
        alert's key, or a pending delivery, from the daemon that really sends.
        """
        now = now or datetime.now(UTC)
        decided = self.evaluate(now)
        if self.notifiers.dry_run:
            return decided, DeliveryReport()
        return decided, deliver(self.store, self.notifiers, now)

    def evaluate(self, now: datetime) -> list[Decided]:
        """Run every active rule over its signals; each decision is stored with its deliveries.

        Storing comes before sending (the outbox sends), and every insert is keyed,
        so a crash or a second instance never produces a decision twice.
        """
        rules = self.settings.rules
        alerts = self.store.alerts
        open_ = alerts.open_alerts()
        silences = alerts.active_silences(now)
        decided: list[Decided] = []
        for rule in rules.active:
            episodes = alerts.last_closed(rule.name)
            for signal in self.signals(rule, now, open_):
                key = (rule.name, signal.subject, signal.label)
                alert = open_.get(key)
                count, last_resolved = episodes.get(key[1:], (0, None))
                verdict = decide(rule, signal, alert, last_resolved, now)
                if verdict is None:
                    continue
                silence = next((s.id for s in silences if s.matches(*key)), None)
                if self.notifiers.dry_run:
                    if verdict.decision is not None:
                        self._log_dry_run(rule, signal, verdict.decision, alert, now)
                        decided.append(Decided(alert.id if alert else 0, *key, verdict.decision))
                    continue
                if alert is None:
                    fields = {
                        "rule": rule.name,
                        "subject": signal.subject,
                        "label": signal.label,
                        "severity": rule.severity,
                        "model": next((e.model for e in signal.evidence if e.model), None),
                        "rules_hash": rules.digest,
                        **verdict.changes,
                    }
                    dedup = dedup_key(*key, count + 1)
                    alert_id = alerts.open(dedup, fields, signal, now, rule.routes, silence)
                    if alert_id is None:
                        continue  # another instance opened it first
                elif alerts.record(
                    alert,
                    verdict.decision,
                    verdict.changes,
                    signal,
                    now,
                    rule.routes,
                    silence,
                ):
                    alert_id = alert.id
                else:
                    continue
                if verdict.decision is not None:
                    decided.append(
                        Decided(alert_id, *key, verdict.decision, silenced=silence is not None)
                    )
                    log.info(
                        "alert=%d %s rule=%s subject=%s label=%s score=%.2f outlets=%d%s",
                        alert_id,
                        verdict.decision,
                        rule.name,
                        signal.subject,
                        signal.label,
                        signal.score,
                        len(signal.outlets),
                        " (silenced)" if silence else "",
                    )
        return decided

    def _log_dry_run(
        self,
        rule: Rule,
        signal: Signal,
        decision: Decision,
        alert: StoredAlert | None,
        now: datetime,
    ) -> None:
        """What would be sent, through the log notifier, for every route of the rule."""
        message = AlertMessage(
            alert_id=alert.id if alert else 0,
            key=f"dry-run.{now.timestamp()}",
            decision=decision,
            rule=rule.name,
            subject=signal.subject,
            place=place_name(signal.subject),
            label=signal.label,
            severity=rule.severity,
            score=signal.score,
            outlets=signal.outlets,
            headlines=tuple(Headline(e.title, e.link, e.outlet, e.seen) for e in signal.evidence),
            terms=tuple(dict.fromkeys(t for e in signal.evidence for t in e.terms)),
            model=next((e.model for e in signal.evidence if e.model), None),
            opened=alert.opened_at if alert else now,
            at=now,
            spike=signal.spike,
            level=rule.level(signal),
        )
        for route in rule.routes:
            self.notifiers.log.send(message, route, None)

    def signals(
        self, rule: Rule, now: datetime, open_: Mapping[tuple[str, str, str], object]
    ) -> list[Signal]:
        """The signals a rule looks at now: every subject with evidence or an open alert."""
        if isinstance(rule, AdvisoryRule):
            watched = [s for (r, s, _) in open_ if r == rule.name]
            versions = advisories.advisory_history(self.store, now - rule.window)
            return advisory_signals(rule, versions, now, watched)
        if isinstance(rule, FlatlineRule):
            return self._quiet_signals(rule, now)
        # Windows are half-open, [start, end); an item stored at this very instant counts.
        end = now + timedelta(microseconds=1)
        start = end - rule.window
        spike = isinstance(rule, SpikeRule)
        first = start - rule.baseline if isinstance(rule, SpikeRule) else start
        if rule.zone is not None:
            subject = f"zone:{rule.zone}"
            found = {
                subject: self.store.alerts.zone_evidence(
                    rule.label, first, end, self.zones[rule.zone]
                )
            }
        else:
            countries = None if ALL in rule.countries else rule.countries
            found = self.store.alerts.evidence(rule.label, first, end, countries)
        subjects = set(found) | {s for (r, s, _) in open_ if r == rule.name}
        since = self.store.alerts.watching_since() if spike else None
        out = []
        for subject in sorted(subjects):
            evidence = found.get(subject, [])
            history = None
            if isinstance(rule, SpikeRule):
                days = max(1, rule.baseline // timedelta(days=1))
                history = aggregate.daily_outlets(evidence, days, start, since=since)
            out.append(aggregate.aggregate(subject, rule.label, evidence, start, end, history))
        return out

    def _quiet_signals(self, rule: FlatlineRule, now: datetime) -> list[Signal]:
        """Item counts per feed or country now (score) and usually (baseline)."""
        kind = "feed" if rule.feeds else "country"
        if kind == "feed":
            names = None if ALL in rule.feeds else list(rule.feeds)
        else:
            names = None if ALL in rule.countries else list(rule.countries)
        slots = max(1, rule.baseline // rule.window)
        counts = self.store.alerts.slot_counts(kind, names, now, rule.window, slots + 1)
        since = self.store.alerts.watching_since()
        # Slots that began before the first stored item mean "not watching yet", not quiet.
        watched = (
            slots if since is None else int(min(slots, (now - rule.window - since) // rule.window))
        )
        out = []
        for name, per_slot in sorted(counts.items()):
            history = per_slot[slots - watched : slots] if watched > 0 else []
            usual = sum(history) / len(history) if len(history) >= 3 else None
            subject = f"feed:{name}" if kind == "feed" else name
            out.append(
                Signal(
                    subject, "quiet", now - rule.window, now, float(per_slot[-1]), baseline=usual
                )
            )
        return out


def _short(delay: timedelta) -> str:
    seconds = int(delay.total_seconds())
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
