"""Run rules over stored evidence on a simulated clock, as the daemon would have.

Every ``step`` the daemon's alert cycle is replayed: each rule's signals, then
:func:`~warning.alerting.lifecycle.decide` and :func:`~warning.alerting.lifecycle.record`
(into memory). The signals come from the same functions the daemon uses (:func:`signals.aggregate`,
:func:`signals.daily_outlets`, ``FlatlineRule.signals``, ``advisory_signals``), so
a backtest differs from what the daemon did only by the step (the daemon runs
every 30 s) and by what it leaves out: silences, acknowledgements and the operator
rules, which watch the daemon rather than the world.

Fast because a subject is re-aggregated and re-decided only when its window changed:
an item entered it (at its first-seen time) or left it (a window later), or a new UTC
day moved a spike rule's history. Between those moments a decision can change only
with the clock: an open alert that is calm resolves once its hold has passed, and a
firing subject held back by a cooldown alerts once it ends; those two are decided
again at every step, as is an open alert that an inhibit rule could mute, whose mute
changes with another alert.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..alerting import inhibit, signals
from ..alerting.lifecycle import Verdict, decide, record
from ..alerting.rules import Rule
from ..alerting.rules.advisory import AdvisoryRule, advisory_signals
from ..alerting.rules.types import FlatlineRule, SpikeRule
from ..records import Signal
from ..store.advisories import AdvisoryVersion, Series
from ..store.alerts import StoredAlert
from .book import MemoryBook, Outcome
from .history import StoredHistory, Timeline

#: The daemon's windows are half-open, [now + 1 µs − window, now + 1 µs): see Alerter.signals.
TICK = timedelta(microseconds=1)


def simulate(
    rules: Sequence[Rule],
    history: StoredHistory,
    start: datetime,
    end: datetime,
    step: timedelta,
    rules_hash: str = "",
    *,
    inhibit_rules: Sequence[inhibit.InhibitRule] = (),
    group: timedelta | None = None,
) -> list[Outcome]:
    """Every message ``rules`` would have sent from ``start`` to ``end``, oldest first;
    grouped into incidents within ``group`` and muted by ``inhibit_rules`` as the daemon
    would (an outcome's ``incident`` and ``muted_by``)."""
    if step <= timedelta(0):
        raise ValueError(f"the step must be positive, not {step}")
    book = MemoryBook()
    tracks = [_track(rule, history) for rule in rules if rule.enabled]
    for track in tracks:
        # The daemon re-decides every open alert each cycle, so one that an inhibit rule
        # could mute hears at once that its inhibitor opened or resolved, even when its
        # own window did not change: re-decide those at every step too.
        rule = track.rule
        target = inhibit.Standing(rule.name, "", rule.label, rule.severity, 0)
        track.recheck_open = any(r.mutes(target) for r in inhibit_rules)
    now = start
    while now <= end:
        steps = []
        for track in tracks:
            rule = track.rule
            for signal in track.signals(now, book):
                key = (rule.name, signal.subject, signal.label)
                alert = book.open_alerts.get(key)
                count, last_resolved = book.episodes.get(key, (0, None))
                steps.append(
                    (track, signal, alert, decide(rule, signal, alert, last_resolved, now), count)
                )
        open_after = []
        if inhibit_rules:
            decided = [(t.rule, s, a, v) for t, s, a, v, _ in steps if v is not None]
            open_after = inhibit.open_after(book.open_alerts, decided)
        for track, signal, alert, verdict, count in steps:
            rule, mark = track.rule, None
            if verdict is not None and inhibit_rules:
                told = alert is not None and alert.id in book.told
                verdict, mark = inhibit.settle(
                    inhibit_rules, rule, signal, alert, verdict, open_after, told.__bool__
                )
            if verdict is not None and not _idle(alert, verdict, signal):
                record(
                    book,
                    rule,
                    signal,
                    alert,
                    verdict,
                    count,
                    None,
                    now,
                    rules_hash,
                    group=group,
                    muted_by=mark,
                )
            track.settled(signal, (rule.name, signal.subject, signal.label) in book.open_alerts)
        now += step
    return book.outcomes


def _idle(alert: StoredAlert | None, verdict: Verdict, signal: Signal) -> bool:
    """Whether recording would change nothing the lifecycle reads back.

    Most steps re-decide an open alert whose signal has not changed: no message, the
    same items, the same calm-since. The daemon writes that down anyway (its score and
    update time); skipping it here changes no decision and saves most of a backtest.
    """
    return (
        alert is not None
        and verdict.decision is None
        and (not signal.outlets or alert.items is signal.items)
        and all(getattr(alert, key) == value for key, value in verdict.changes.items())
    )


def _track(rule: Rule, history: StoredHistory) -> _Track:
    if isinstance(rule, FlatlineRule):
        return _Flatline(rule, history)
    if isinstance(rule, AdvisoryRule):
        return _Advisory(rule, history)
    return _Windows(rule, history)


class _Track:
    """One rule's signals at each step."""

    def __init__(self, rule: Rule, history: StoredHistory) -> None:
        self.rule = rule
        self.history = history
        #: Whether an open alert's signal is decided again at every step (inhibition).
        self.recheck_open = False

    def signals(self, now: datetime, book: MemoryBook) -> Iterator[Signal]:
        raise NotImplementedError

    def settled(self, signal: Signal, is_open: bool) -> None:
        """Called after each signal was decided, with whether its alert is open now."""

    def open_subjects(self, book: MemoryBook) -> set[str]:
        return {s for (r, s, _) in book.open_alerts if r == self.rule.name}


class _Flatline(_Track):
    """Counts per feed or country, from the loaded times: cheap, so every step."""

    rule: FlatlineRule

    def signals(self, now: datetime, book: MemoryBook) -> Iterator[Signal]:
        kind, names, slots = self.rule.counts
        times = self.history.times[kind]
        wanted = names if names is not None else list(times)
        counts = {
            name: signals.slot_counts(times.get(name, []), now, self.rule.window, slots)
            for name in wanted
        }
        yield from self.rule.signals(counts, now, self.history.since)


class _Advisory(_Track):
    """Advisory changes in the window: a handful of versions, so every step."""

    rule: AdvisoryRule

    def signals(self, now: datetime, book: MemoryBook) -> Iterator[Signal]:
        versions = _since(self.history.advisories, now - self.rule.window)
        yield from advisory_signals(self.rule, versions, now, self.open_subjects(book))


def _since(
    history: dict[Series, list[AdvisoryVersion]], since: datetime
) -> dict[Series, list[AdvisoryVersion]]:
    """Like ``store.advisories.history(since)``: each series' versions first seen from
    ``since`` on, preceded by its last one from before."""
    out = {}
    for series, versions in history.items():
        first = next((i for i, v in enumerate(versions) if v.first_seen >= since), len(versions))
        out[series] = versions[max(0, first - 1) :]
    return out


@dataclass(slots=True)
class _Subject:
    timeline: Timeline
    signal: Signal | None = None
    dirty: bool = True
    #: Items in the window now.
    inside: int = 0
    #: Its decision can change with the clock alone, so it is decided again every step:
    #: firing with no alert open (held back by a cooldown), or calm with an alert open
    #: (waiting out the hold before resolving).
    timed: bool = False


@dataclass(slots=True)
class _Change:
    at: datetime
    subject: str
    delta: int

    def __lt__(self, other: _Change) -> bool:
        return self.at < other.at


class _Windows(_Track):
    """Threshold and spike rules: aggregation of each subject's window, when it changed."""

    def __init__(self, rule: Rule, history: StoredHistory) -> None:
        super().__init__(rule, history)
        # Sorted like the daemon's subjects, so decisions come in the daemon's order.
        self.subjects = {s: _Subject(t) for s, t in sorted(history.timelines(rule).items())}
        # An item enters a window at its first-seen time and leaves it one window later.
        self.changes: list[_Change] = [
            _Change(at, subject, delta)
            for subject, state in self.subjects.items()
            for seen in state.timeline.seen
            for at, delta in ((seen, 1), (seen + rule.window, -1))
        ]
        heapq.heapify(self.changes)
        self.day: datetime | None = None
        self.histories: dict[str, list[int]] = {}
        self.quiet: list[int] | None = None

    def signals(self, now: datetime, book: MemoryBook) -> Iterator[Signal]:
        rule = self.rule
        end = now + TICK
        start = end - rule.window
        while self.changes and self.changes[0].at <= now:
            change = heapq.heappop(self.changes)
            state = self.subjects[change.subject]
            state.inside += change.delta
            state.dirty = True
        if isinstance(rule, SpikeRule) and signals.history_end(start) != self.day:
            self._new_day(rule, signals.history_end(start))
        open_ = self.open_subjects(book)
        for subject, state in self.subjects.items():
            watched = state.inside > 0 or subject in open_
            if not watched or not (state.dirty or state.timed):
                continue
            if state.dirty or state.signal is None:
                state.signal = signals.aggregate(
                    subject,
                    rule.label,
                    state.timeline.between(start, end),
                    start,
                    end,
                    self.histories.get(subject, self.quiet),
                )
                state.dirty = False
            yield state.signal

    def settled(self, signal: Signal, is_open: bool) -> None:
        # Otherwise an unchanged signal gets the same verdict: an open alert that fires
        # needs new items to remind or escalate, and a quiet subject stays quiet.
        rule = self.rule
        timed = (rule.calm(signal) or self.recheck_open) if is_open else rule.firing(signal)
        self.subjects[signal.subject].timed = timed

    def _new_day(self, rule: SpikeRule, day: datetime) -> None:
        """History moved to another UTC day: every subject's baseline changes."""
        days = max(1, rule.baseline // signals.DAY)
        since = self.history.since
        self.day = day
        self.histories = {
            subject: signals.daily_outlets(
                state.timeline.between(day - days * signals.DAY, day), days, day, since=since
            )
            for subject, state in self.subjects.items()
        }
        self.quiet = signals.daily_outlets((), days, day, since=since)
        for state in self.subjects.values():
            state.dirty = True
