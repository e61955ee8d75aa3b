"""Ground truth: known events, and how a backtest's alerts line up with them.

An events file is a CSV with at least ``country,label,date`` (more columns are
kept as notes). ``date`` is a day (``2023-07-26``) or a moment with its UTC offset
(``2023-07-26T09:30:00+01:00``). The package ships one: coups and coup attempts
since 2010 (:data:`COUPS`, docs/coups-since-2010.md).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ..alerting.rules.base import LABELS
from ..errors import DataError
from ..geo.countries import parse_codes
from ..geo.zones import Zone
from .book import Outcome

#: The bundled ground truth: coups d'état and failed attempts since 2010.
COUPS = Path(__file__).with_name("data") / "coups-since-2010.csv"

REQUIRED = ("country", "label", "date")


@dataclass(frozen=True, slots=True)
class Event:
    """A known event: a country, a label, and when (a whole day, or a moment)."""

    country: str
    label: str
    at: datetime
    #: True when only the day is known: then the event spans [at, at + 1 day).
    whole_day: bool
    line: int
    note: str = ""

    @property
    def until(self) -> datetime:
        return self.at + timedelta(days=1) if self.whole_day else self.at


def read_events(path: Path) -> list[Event]:
    """Every event in an events CSV; DataError listing each bad row as file:line: problem."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or ())]
            if missing:
                raise DataError(
                    f"{path}:1: the header needs the columns {', '.join(REQUIRED)}; "
                    f"missing: {', '.join(missing)}",
                    hint="the first line names the columns, like country,label,date",
                )
            events, problems = [], []
            for row in reader:
                try:
                    events.append(_event(row, reader.line_num))
                except ValueError as exc:
                    problems.append(f"{path}:{reader.line_num}: {exc}")
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise DataError(f"{path}: not a CSV file ({exc})") from None
    if problems:
        raise DataError.listing(problems, "fix those rows, or remove them; no event was read")
    return events


def _event(row: dict[str, str | None], line: int) -> Event:
    values = {c: (row.get(c) or "").strip() for c in REQUIRED}
    for column, value in values.items():
        if not value:
            raise ValueError(f"{column}: is empty")
    try:
        (country,) = parse_codes(values["country"])
    except ValueError as exc:
        raise ValueError(f"country: {exc}") from None
    label = values["label"]
    if label not in LABELS:
        raise ValueError(f"label: unknown label {label!r}; one of: {', '.join(LABELS)}")
    at, whole_day = _when(values["date"])
    note = "; ".join(
        f"{k}: {v.strip()}" for k, v in row.items() if k not in REQUIRED and k and v and v.strip()
    )
    return Event(country, label, at, whole_day, line, note)


def _when(text: str) -> tuple[datetime, bool]:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime(day.year, day.month, day.day, tzinfo=UTC), True
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"date: {text!r} is not a date; write 2023-07-26, or 2023-07-26T09:30:00+01:00 "
            "for a moment"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(
            f"date: {text!r} has a time but no UTC offset; add one, like {text}Z or {text}+01:00"
        )
    return moment.astimezone(UTC), False


# --- alerts against events ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    """An event, and the first alert about it (None: missed)."""

    event: Event
    alert: Outcome | None

    @property
    def lead(self) -> timedelta | None:
        """How long after the event began the first alert came (negative: before it)."""
        return None if self.alert is None else self.alert.at - self.event.at


@dataclass(frozen=True, slots=True)
class Scorecard:
    """Alerts of the labels the events cover, scored against them."""

    matches: tuple[Match, ...]
    #: New alerts of a covered label that match no event within the tolerance.
    false_alarms: tuple[Outcome, ...]
    alerts: int
    tolerance: timedelta

    @property
    def recall(self) -> float | None:
        """Share of events with an alert."""
        found = sum(1 for m in self.matches if m.alert is not None)
        return found / len(self.matches) if self.matches else None

    @property
    def precision(self) -> float | None:
        """Share of alerts that match an event."""
        return (self.alerts - len(self.false_alarms)) / self.alerts if self.alerts else None


def score(
    outcomes: Iterable[Outcome],
    events: Sequence[Event],
    start: datetime,
    end: datetime,
    tolerance: timedelta,
    zones: Sequence[Zone] = (),
) -> Scorecard:
    """Match new alerts to events in [start, end] of the same label and place.

    An alert matches an event when it opened from ``tolerance`` before the event
    began to ``tolerance`` after it ended, about the event's country or a watch zone
    holding it. Only labels the events cover are judged: a file of coups says nothing
    about unrest alerts.
    """
    inside = [e for e in events if start <= e.until and e.at <= end]
    labels = {e.label for e in inside} or {e.label for e in events}
    members = {f"zone:{z.name}": _countries(z) for z in zones}
    alerts = [o for o in outcomes if o.decision == "new" and o.label in labels]

    def about(alert: Outcome, event: Event) -> bool:
        where = members.get(alert.subject, {alert.subject})
        return (
            alert.label == event.label
            and event.country in where
            and event.at - tolerance <= alert.at <= event.until + tolerance
        )

    matches = tuple(
        Match(event, next((a for a in alerts if about(a, event)), None)) for event in inside
    )
    false = tuple(a for a in alerts if not any(about(a, e) for e in inside))
    return Scorecard(matches, false, len(alerts), tolerance)


def _countries(zone: Zone) -> set[str]:
    """The countries an event may be in to match an alert about ``zone``.

    A circle zone names none: its alerts match no event (docs/backtest.md).
    """
    found = set(getattr(zone, "countries", ()))
    found.update(region.country for region in getattr(zone, "regions", ()))
    return found
