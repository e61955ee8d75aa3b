"""A backtest's findings: alerts per rule, country and label, and against known events,
for one rules file or several side by side. JSON-ready data, and the same as text."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..records import VerdictShown
from ..settings import format_duration
from .book import Outcome
from .desk import DeskVerdict, verdict_for
from .truth import Scorecard


@dataclass(frozen=True, slots=True)
class Run:
    """One rules file's backtest."""

    name: str
    digest: str
    outcomes: tuple[Outcome, ...]
    card: Scorecard | None = None
    #: The desk's verdicts on the stored alerts of the period (backtest/desk.py).
    desk: tuple[DeskVerdict, ...] = ()

    @property
    def new(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.decision == "new"]


def as_data(
    runs: Sequence[Run], start: datetime, end: datetime, step: timedelta, items: int
) -> dict[str, Any]:
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "step": format_duration(step),
        "items_above_threshold": items,
        "runs": [_run(run) for run in runs],
    }


def _run(run: Run) -> dict[str, Any]:
    new = run.new
    data: dict[str, Any] = {
        "rules": run.name,
        "digest": run.digest,
        "alerts": len(new),
        "by_rule": _counts(o.rule for o in new),
        "by_country": _counts(o.subject for o in new),
        "by_label": _counts(o.label for o in new),
        "messages": _counts(o.decision for o in run.outcomes if o.muted_by is None),
        "muted": sum(1 for o in run.outcomes if o.muted_by is not None),
        "incidents": len({(o.subject, o.incident) for o in run.outcomes if o.incident}),
        "outcomes": [
            {
                "at": o.at.isoformat(),
                "alert": o.alert,
                "decision": o.decision,
                "rule": o.rule,
                "subject": o.subject,
                "label": o.label,
                "level": o.level,
                "score": round(o.score, 4),
                "outlets": list(o.outlets),
                "headline": o.headline,
                "incident": o.incident,
                "muted_by": o.muted_by,
                "desk_verdict": _verdict(verdict_for(o, run.desk)),
            }
            for o in run.outcomes
        ],
        "desk_verdicts": _counts(
            v.title for o in new if (v := verdict_for(o, run.desk)) is not None
        ),
    }
    if run.card is not None:
        card = run.card
        data["events"] = {
            "tolerance": format_duration(card.tolerance),
            "events": len(card.matches),
            "alerts_judged": card.alerts,
            "precision": card.precision,
            "recall": card.recall,
            "matches": [
                {
                    "country": m.event.country,
                    "label": m.event.label,
                    "at": m.event.at.isoformat(),
                    "whole_day": m.event.whole_day,
                    "note": m.event.note,
                    "first_alert": m.alert.at.isoformat() if m.alert else None,
                    "alert_subject": m.alert.subject if m.alert else None,
                    "lead_hours": _hours(m.lead),
                }
                for m in card.matches
            ],
            "false_alarms": [
                {
                    "at": o.at.isoformat(),
                    "rule": o.rule,
                    "subject": o.subject,
                    "label": o.label,
                    "headline": o.headline,
                }
                for o in card.false_alarms
            ],
        }
    return data


def _verdict(v: VerdictShown | None) -> dict[str, str] | None:
    return None if v is None else {"verdict": v.title, "by": v.by, "at": v.at.isoformat()}


def _counts(values: Any) -> dict[str, int]:
    counted = Counter(values)
    return dict(sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))


def _hours(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 3600, 2)


def _lead(delta: timedelta | None) -> str:
    """+2h05m (after the event began), -1d03h (before), or "missed"."""
    if delta is None:
        return "missed"
    sign = "-" if delta < timedelta(0) else "+"
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return f"{sign}{days}d{hours:02d}h" if days else f"{sign}{hours}h{mins:02d}m"


def as_text(
    runs: Sequence[Run], start: datetime, end: datetime, step: timedelta, items: int
) -> str:
    """The runs side by side: one column per rules file."""
    width = max(12, *(len(r.name) for r in runs))
    label_w = 34
    lines = [
        f"backtest {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC, every "
        f"{format_duration(step)}; {items} stored items above a label's threshold",
        "",
        " " * label_w + "".join(f"{r.name:>{width + 2}}" for r in runs),
    ]

    def row(title: str, cells: Sequence[Any]) -> None:
        lines.append(f"{title:<{label_w}}" + "".join(f"{c!s:>{width + 2}}" for c in cells))

    row("alerts", [len(r.new) for r in runs])
    for decision in ("escalated", "ongoing", "resolved"):
        row(
            f"  then {decision}",
            [sum(1 for o in r.outcomes if o.decision == decision) for r in runs],
        )
    for title, key in (
        ("by rule", "rule"),
        ("by label", "label"),
        ("by country or zone", "subject"),
    ):
        names = sorted({getattr(o, key) for r in runs for o in r.new})
        if names:
            lines.append(title)
            for name in names:
                row(f"  {name}", [sum(1 for o in r.new if getattr(o, key) == name) for r in runs])
    verdicts = sorted({v.verdict.title for r in runs for v in r.desk})
    if verdicts:
        lines.append("judged by the desk (verdicts on the stored alerts these match)")
        for title in verdicts:
            row(
                f"  {title}",
                [
                    sum(1 for o in r.new if (v := verdict_for(o, r.desk)) and v.title == title)
                    for r in runs
                ],
            )
    cards = [r.card for r in runs]
    first = cards[0]
    if first is not None:
        lines.append(
            f"against {len(first.matches)} known events (an alert counts within "
            f"{format_duration(first.tolerance)} of one; lead is the first alert's time "
            "after the event began, - before it)"
        )
        for n, match in enumerate(first.matches):
            event = match.event
            when = f"{event.at:%Y-%m-%d}" if event.whole_day else f"{event.at:%Y-%m-%d %H:%M}"
            row(
                f"  {event.country} {event.label} {when}",
                [_lead(c.matches[n].lead) if c else "" for c in cards],
            )
        row("recall (events alerted)", [_share(c.recall) if c else "" for c in cards])
        row("precision (alerts on an event)", [_share(c.precision) if c else "" for c in cards])
        row("false alarms", [len(c.false_alarms) if c else "" for c in cards])
    lines.append("")
    for run in runs:
        lines.append(f"{run.name}: what would have been sent")
        if not run.outcomes:
            lines.append("  nothing")
        for o in run.outcomes:
            headline = f"  {o.headline!r}" if o.headline else ""
            v = verdict_for(o, run.desk) if o.decision == "new" else None
            desk = f"  [desk: {v.title}, {v.by}]" if v else ""
            muted = f"  [muted by {o.muted_by}]" if o.muted_by else ""
            group = f" incident {o.incident}" if o.incident else ""
            lines.append(
                f"  {o.at:%Y-%m-%d %H:%M} {o.decision:<9} {o.rule} {o.subject} {o.label} "
                f"score {o.score:.2f}, {len(o.outlets)} outlet(s){group}{headline}{desk}{muted}"
            )
    return "\n".join(lines)


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
