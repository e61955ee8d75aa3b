"""What the situation page shows, as plain records: each country's level and each label's trend.

A country's level is the strongest of what holds for it now (docs/situation.md):
``corroborated`` (an open alert about it, confirmed by several outlets), ``alert`` (an
open alert), ``elevated`` (a label's signal over the last 24 hours at 0.5 or more: one
clear report), ``low`` (some evidence, weaker), ``quiet`` (none). Signals are the alert
cycle's own (:func:`warning.alerting.signals.aggregate` over the same evidence reads), so
the page and the alerts never disagree about a score.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..alerting.rules import LABELS
from ..alerting.signals import (
    DAY,
    HISTORY_DAYS,
    aggregate,
    baseline,
    daily_outlets,
    history_end,
    independent,
    strength,
)
from ..geo.countries import name as country_name
from ..records import Evidence
from ..store import Store
from ..store.alerts import StoredAlert

#: Levels, weakest first; the index is a level's rank.
LEVELS = ("quiet", "low", "elevated", "alert", "corroborated")
#: The window of the "current" signal.
WINDOW = timedelta(hours=24)
#: A label's current score from which a country is ``elevated`` (the default coup rule's).
ELEVATED = 0.5
#: Days of trend on a country's page.
TREND_DAYS = 30


@dataclass(frozen=True, slots=True)
class CountryState:
    """One country now: its level, each label's 24-hour score and its open alerts."""

    code: str
    name: str
    level: str
    labels: dict[str, float]
    outlets: dict[str, int]
    open_alerts: int


@dataclass(frozen=True, slots=True)
class Day:
    """One UTC day of a label's trend for one country."""

    day: datetime
    #: Independent outlets that day; None before the program was watching.
    outlets: int | None
    #: Mean strength (probability × how much the item is about the country) of its items.
    mean_score: float | None
    #: Usual outlets per day over the 28 days before; None without a week of history.
    baseline: float | None


def level_of(scores: dict[str, float], alerts: Sequence[StoredAlert]) -> str:
    """The strongest level that holds, from the scores and the open alerts about a country."""
    if any(a.level >= 1 for a in alerts):
        return "corroborated"
    if alerts:
        return "alert"
    if not scores:
        return "quiet"
    return "elevated" if max(scores.values()) >= ELEVATED else "low"


def countries(store: Store, now: datetime, only: Sequence[str] | None = None) -> list[CountryState]:
    """Every country (of ``only``, when given) with a signal in the last 24 hours or an
    open alert, strongest first."""
    start = now - WINDOW
    scores: dict[str, dict[str, float]] = {}
    outlets: dict[str, dict[str, int]] = {}
    for label in LABELS:
        for code, evidence in store.situation.evidence(label, start, now, only).items():
            _score(scores, outlets, code, label, evidence, now)
    open_by: dict[str, list[StoredAlert]] = {}
    for alert in store.situation.open_alerts():
        if only is None or alert.subject in only:
            open_by.setdefault(alert.subject, []).append(alert)
    codes = (scores.keys() | open_by.keys()) - {s for s in open_by if ":" in s}
    found = [
        _state(code, scores.get(code, {}), outlets.get(code, {}), open_by.get(code, []))
        for code in codes
    ]
    found.sort(key=lambda c: (-LEVELS.index(c.level), -max(c.labels.values(), default=0), c.code))
    return found


def country(
    store: Store, code: str, now: datetime, days: int = TREND_DAYS
) -> tuple[CountryState, dict[str, list[Day]]]:
    """One country now (``quiet`` when nothing holds for it) and each label's last ``days``
    UTC days, oldest first (today last), from one read of its evidence."""
    end = history_end(now) + DAY
    span = days + HISTORY_DAYS
    first = end - span * DAY
    by_label = store.situation.country_evidence(code, LABELS, first, end)
    since = store.situation.watching_since()
    scores: dict[str, dict[str, float]] = {}
    outlets: dict[str, dict[str, int]] = {}
    trends = {}
    for label, evidence in by_label.items():
        _score(scores, outlets, code, label, evidence, now)
        trends[label] = _trend(evidence, first, end, span, since)
    about = [a for a in store.situation.open_alerts() if a.subject == code]
    state = _state(code, scores.get(code, {}), outlets.get(code, {}), about)
    return state, trends


def _score(
    scores: dict[str, dict[str, float]],
    outlets: dict[str, dict[str, int]],
    code: str,
    label: str,
    evidence: Sequence[Evidence],
    now: datetime,
) -> None:
    """Note ``label``'s 24-hour signal for ``code`` when any outlet carries it."""
    signal = aggregate(code, label, evidence, now - WINDOW, now)
    if signal.outlets:
        scores.setdefault(code, {})[label] = round(signal.score, 3)
        outlets.setdefault(code, {})[label] = len(signal.outlets)


def _state(
    code: str, scores: dict[str, float], outlets: dict[str, int], open_alerts: list[StoredAlert]
) -> CountryState:
    return CountryState(
        code=code,
        name=country_name(code),
        level=level_of(scores, open_alerts),
        labels=scores,
        outlets=outlets,
        open_alerts=len(open_alerts),
    )


@functools.lru_cache(maxsize=4096)
def _outlets_of_stories(day: tuple[Evidence, ...]) -> int:
    return len(independent(day))


def _outlets_of_day(day: list[Evidence]) -> int:
    """Independent outlets in one day's evidence, remembered: a past day's items do not
    change, so a page reloaded, or another label's, clusters only today's again. The
    key is the evidence itself (items, titles, outlets, strengths), never a stale count."""
    return _outlets_of_stories(tuple(sorted(day, key=lambda e: e.item_id)))


def _trend(
    evidence: Sequence[Evidence], first: datetime, end: datetime, span: int, since: datetime | None
) -> list[Day]:
    """Daily outlets, mean strength and baseline of the days after the first
    :data:`HISTORY_DAYS` of [first, end), which are only the first day's history."""
    counts = daily_outlets(evidence, span, end, since=since, count=_outlets_of_day)
    padded: list[int | None] = [None] * (span - len(counts)) + list(counts)
    strengths: list[list[float]] = [[] for _ in range(span)]
    for e in evidence:
        strengths[(e.seen - first) // DAY].append(strength(e))
    out = []
    for i in range(HISTORY_DAYS, span):
        history = [n for n in padded[i - HISTORY_DAYS : i] if n is not None]
        values = strengths[i]
        out.append(
            Day(
                day=first + i * DAY,
                outlets=padded[i],
                mean_score=sum(values) / len(values) if values else None,
                baseline=baseline(history),
            )
        )
    return out
