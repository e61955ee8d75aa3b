"""What a brief says, read from the store: per country of concern, the day's changes.

For the window [start, end) (the last 24 hours by default), each country gets its
signals per label against the 28-day baseline (``alerting.signals``, the numbers spike
rules use), its new, resolved and still-open alerts, and its top stories: near-duplicate
items folded into one story, one story per independent outlet before any outlet's
second. Countries are those the operator named, plus any with an alert or a signal up;
a named country with nothing to say is listed as quiet. The result is plain data
(:class:`Brief`), stored as JSON when queued so that every retry sends the same brief.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from ..alerting import signals
from ..alerting.watcher import PREFIX as OPERATOR
from ..classify import LABELS
from ..records import Evidence
from ..store import Store
from ..store.alerts import StoredAlert

#: Independent outlets at least this many times the usual count: the signal is up.
UP = 1.5
#: Without a baseline (fewer than 7 days watched), this many outlets make a signal "new".
NEW_OUTLETS = 2
#: Top stories per country.
STORIES = 5


@dataclass(frozen=True, slots=True)
class Change:
    """One label's signal over the window: independent outlets now and usually."""

    label: str
    outlets: int
    score: float
    baseline: float | None
    spike: float | None
    #: up, down, steady, or new (seen, with no baseline yet).
    trend: str


@dataclass(frozen=True, slots=True)
class AlertLine:
    id: int
    rule: str
    label: str
    severity: str
    corroborated: bool
    outlets: int
    opened_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class Story:
    """A story as the brief lists it: the headline of its first report."""

    title: str
    link: str | None
    outlet: str
    #: Every outlet that carried it (copies and near-duplicates), the first one first.
    outlets: tuple[str, ...]
    seen: datetime
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CountryBrief:
    subject: str
    changes: tuple[Change, ...]
    new: tuple[AlertLine, ...]
    resolved: tuple[AlertLine, ...]
    still_open: tuple[AlertLine, ...]
    stories: tuple[Story, ...]


@dataclass(frozen=True, slots=True)
class Brief:
    start: datetime
    end: datetime
    #: The IANA zone its times are shown in.
    timezone: str
    countries: tuple[CountryBrief, ...]
    #: Countries of concern with nothing to report.
    quiet: tuple[str, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=_iso, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Brief:
        data = json.loads(text)
        return cls(
            start=datetime.fromisoformat(data["start"]),
            end=datetime.fromisoformat(data["end"]),
            timezone=data["timezone"],
            countries=tuple(_country(c) for c in data["countries"]),
            quiet=tuple(data["quiet"]),
        )


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {value!r}")


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _alert_line(data: dict[str, Any]) -> AlertLine:
    return AlertLine(
        **{**data, "opened_at": _time(data["opened_at"]), "resolved_at": _time(data["resolved_at"])}
    )


def _country(data: dict[str, Any]) -> CountryBrief:
    return CountryBrief(
        subject=data["subject"],
        changes=tuple(Change(**c) for c in data["changes"]),
        new=tuple(_alert_line(a) for a in data["new"]),
        resolved=tuple(_alert_line(a) for a in data["resolved"]),
        still_open=tuple(_alert_line(a) for a in data["still_open"]),
        stories=tuple(
            Story(**{**s, "outlets": tuple(s["outlets"]), "labels": tuple(s["labels"]),
                     "seen": datetime.fromisoformat(s["seen"])})
            for s in data["stories"]
        ),
    )  # fmt: skip


def trend(outlets: int, baseline: float | None, spike: float | None) -> str:
    """up, down or steady against the baseline; new when seen with no baseline yet."""
    if baseline is None or spike is None:
        return "new" if outlets else "steady"
    if spike >= UP and outlets > baseline:
        return "up"
    if spike <= 1 / UP and baseline >= 1:
        return "down"
    return "steady"


def gather(
    store: Store, start: datetime, end: datetime, countries: Sequence[str], timezone: str
) -> Brief:
    """The brief for [start, end) about ``countries`` and any country with news to tell."""
    since = store.alerts.watching_since()
    day = signals.history_end(start)
    days = signals.HISTORY_DAYS
    changes: dict[str, list[Change]] = defaultdict(list)
    evidence: dict[str, list[tuple[str, Evidence]]] = defaultdict(list)
    for label in LABELS:
        now = store.alerts.evidence(label, start, end)
        past = store.alerts.evidence(label, day - days * signals.DAY, day)
        for code in sorted(now.keys() | past.keys()):
            history = signals.daily_outlets(past.get(code, ()), days, day, since=since)
            signal = signals.aggregate(code, label, now.get(code, ()), start, end, history)
            n = len(signal.outlets)
            found = Change(
                label, n, signal.score, signal.baseline, signal.spike,
                trend(n, signal.baseline, signal.spike),
            )  # fmt: skip
            if n or found.trend == "down":
                changes[code].append(found)
            evidence[code].extend((label, e) for e in now.get(code, ()))
    lines: dict[str, dict[str, list[AlertLine]]] = defaultdict(lambda: defaultdict(list))
    for alert in store.briefs.alerts_about(start, end):
        if alert.rule.startswith(OPERATOR):
            continue  # about the daemon, not a country: the operator's alerts
        lines[alert.subject][_when(alert, start, end)].append(_line(alert))
    concern = list(dict.fromkeys(countries))
    for code, seen in changes.items():
        if any(c.trend == "up" or (c.trend == "new" and c.outlets >= NEW_OUTLETS) for c in seen):
            concern.append(code)
    concern.extend(lines)
    out, quiet_ones = [], []
    for subject in dict.fromkeys(concern):
        told = CountryBrief(
            subject,
            tuple(changes.get(subject, ())),
            tuple(lines[subject]["new"]) if subject in lines else (),
            tuple(lines[subject]["resolved"]) if subject in lines else (),
            tuple(lines[subject]["open"]) if subject in lines else (),
            top_stories(evidence.get(subject, ())),
        )
        if told.changes or told.new or told.resolved or told.still_open or told.stories:
            out.append(told)
        else:
            quiet_ones.append(subject)
    out.sort(key=_urgency)
    return Brief(start, end, timezone, tuple(out), tuple(quiet_ones))


def _when(alert: StoredAlert, start: datetime, end: datetime) -> str:
    if start <= alert.opened_at < end:
        return "new"  # opened (and perhaps resolved) in the window: news either way
    if alert.resolved_at is not None:
        return "resolved"
    return "open"


def _line(alert: StoredAlert) -> AlertLine:
    return AlertLine(
        alert.id,
        alert.rule,
        alert.label,
        alert.severity,
        alert.level >= 1,
        len(alert.outlets),
        alert.opened_at,
        alert.resolved_at,
    )


def _urgency(country: CountryBrief) -> tuple[int, int]:
    """New alerts first, then signals up, then open alerts, then the rest (stable)."""
    if country.new:
        return (0, -len(country.new))
    if any(c.trend == "up" for c in country.changes):
        return (1, 0)
    return (2, 0) if country.still_open else (3, 0)


def top_stories(found: Iterable[tuple[str, Evidence]], limit: int = STORIES) -> tuple[Story, ...]:
    """The strongest stories, one per independent outlet before any outlet's second.

    Items under several labels are one item; near-duplicates are one story
    (``signals.stories``), headed by its first report, strongest stories first.
    """
    labels: dict[int, set[str]] = defaultdict(set)
    evidence = []
    for label, e in found:
        labels[e.item_id].add(label)
        evidence.append(e)
    ranked = sorted(
        signals.stories(evidence),
        key=lambda s: (-max(signals.strength(e) for e in s.items), s.items[0].seen),
    )
    firsts: list[signals.Story] = []
    seconds: list[signals.Story] = []
    origins: set[str] = set()
    for story in ranked:
        (seconds if story.origin in origins else firsts).append(story)
        origins.add(story.origin)
    out = []
    for story in (firsts + seconds)[:limit]:
        head = story.items[0]
        carried = dict.fromkeys(o for e in story.items for o in (e.outlets or (e.outlet,)))
        out.append(
            Story(
                head.title,
                head.link,
                head.outlet,
                tuple(carried),
                head.seen,
                tuple(sorted({lab for e in story.items for lab in labels[e.item_id]})),
            )
        )
    return tuple(out)


def window(end: datetime, since: timedelta) -> tuple[datetime, datetime]:
    """[end − since, end), end inclusive of an item stored at this very instant."""
    stop = end + timedelta(microseconds=1)
    return stop - since, stop
