"""Analyst verdicts: what the desk says about an alert, what saying it does, and what it
teaches about the alert's evidence.

A verdict is one of five decisions. ``ack`` says someone is on it; the other four
judge the alert: ``confirmed``, ``false_alarm``, ``wrong_country``, ``old_news``. The
same decision arrives as a Slack button's ``action_id`` (:data:`ACTIONS`, the contract
of DESIGN.md), as a word of ``warning alerts verdict`` (:data:`SHELL`), or by its own
name; :func:`decision` reads all three.

Recording a verdict (:func:`record_verdict`) also acknowledges the alert: ``ack``
always, as ``warning alerts ack`` does; a judgement only when nobody had acknowledged
it yet, since judging an alert means someone looked at it (its reminders stop, and
the first acknowledgement keeps its author). Each judgement becomes item-level
feedback on the alert's evidence (:func:`feedback_for`), and the latest judgement on
an alert is the one that counts (:func:`standing`, :func:`report`).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, cast

from ..errors import VerdictError
from ..store.alerts import StoredAlert
from ..store.verdicts import Feedback, JudgedAlert, StoredVerdict
from .rules.base import LABELS

if TYPE_CHECKING:
    from ..store import Store

VerdictDecision = Literal["ack", "confirmed", "false_alarm", "wrong_country", "old_news"]
Source = Literal["slack", "shell", "email"]

#: Every decision, as stored; the ones after ``ack`` judge the alert.
DECISIONS: tuple[VerdictDecision, ...] = (
    "ack",
    "confirmed",
    "false_alarm",
    "wrong_country",
    "old_news",
)
JUDGEMENTS: tuple[VerdictDecision, ...] = DECISIONS[1:]
SOURCES: tuple[Source, ...] = ("slack", "shell", "email")

#: The Slack buttons' ``action_id`` (block ``warning-verdict``) -> decision.
ACTIONS: dict[str, VerdictDecision] = {
    "ack": "ack",
    "confirm": "confirmed",
    "false_alarm": "false_alarm",
    "wrong_country": "wrong_country",
    "old_news": "old_news",
}
#: ``warning alerts verdict ID WORD`` -> decision (``alerts ack`` is the shell's ack).
SHELL: dict[str, VerdictDecision] = {
    "confirmed": "confirmed",
    "false-alarm": "false_alarm",
    "wrong-country": "wrong_country",
    "old-news": "old_news",
}
#: How a decision reads in a message or a listing ("False alarm — amina, 03:12").
TITLES: dict[str, str] = {
    "ack": "Acknowledged",
    "confirmed": "Confirmed",
    "false_alarm": "False alarm",
    "wrong_country": "Wrong country",
    "old_news": "Old news",
}


@dataclass(frozen=True, slots=True)
class Recorded:
    """What :func:`record_verdict` did: the verdict that stands for this answer, and
    whether it is new (False: the same person had just said the same; nothing written)."""

    verdict: StoredVerdict
    new: bool


def decision(word: str) -> VerdictDecision:
    """The decision ``word`` names: a stored name, a Slack action id or a shell word."""
    found = cast(dict[str, VerdictDecision], {d: d for d in DECISIONS}) | ACTIONS | SHELL
    try:
        return found[word]
    except KeyError:
        raise VerdictError(
            f"unknown verdict {word!r}",
            f"one of: {', '.join(SHELL)} (or ack)",
        ) from None


def country_of(alert: StoredAlert) -> str | None:
    """The alert's country, or None when its subject is a zone or a feed."""
    return None if ":" in alert.subject else alert.subject


def feedback_for(
    alert: StoredAlert, decision: VerdictDecision, items: Iterable[int]
) -> list[Feedback]:
    """What a verdict says about each evidence item of ``alert``.

    False alarm and Old news: the item does not carry the label (for the alert's
    country, or any country when the subject is a zone). Wrong country: it does not
    carry the label for that country; said of a zone it says nothing about a country,
    so nothing. Confirmed: the item carries the label (for that country). An ack says
    nothing about the items, and nor does a verdict on an alert of a label the
    classifier does not have (a quiet feed, a travel advisory).
    """
    if decision == "ack" or alert.label not in LABELS:
        return []
    country = country_of(alert)
    if decision == "wrong_country" and country is None:
        return []
    carries = decision == "confirmed"
    return [Feedback(item, alert.label, country, carries) for item in sorted(set(items))]


def evidence(store: Store, alert_id: int) -> set[int]:
    """Every item behind an alert: the union of its events' items."""
    found: set[int] = set()
    for event in store.alerts.events(alert_id):
        found.update(json.loads(event["items"]))  # stored as a JSON list of ids
    return found


def record_verdict(
    store: Store,
    alert_id: int,
    decision_: str,
    by_name: str,
    *,
    by_id: str | None = None,
    note: str | None = None,
    source: str = "shell",
    now: datetime,
) -> Recorded:
    """Record a verdict on an alert, with its feedback and acknowledgement, in one
    transaction; the same answer again by the same person records nothing.

    ``decision_`` may be any spelling :func:`decision` reads. VerdictError for an
    unknown decision, source or alert, with nothing recorded.
    """
    chosen = decision(decision_)
    if source not in SOURCES:
        raise VerdictError(f"unknown verdict source {source!r}", f"one of: {', '.join(SOURCES)}")
    alert = store.alerts.get(alert_id)
    if alert is None:
        raise _no_alert(alert_id)
    rows = feedback_for(alert, chosen, evidence(store, alert_id))
    done = store.verdicts.record(
        alert_id,
        chosen,
        by_name,
        by_id=by_id,
        note=note,
        source=source,
        at=now,
        feedback_rows=rows,
        acknowledge=chosen == "ack" or alert.acknowledged_at is None,
    )
    if done is None:  # deleted meanwhile
        raise _no_alert(alert_id)
    verdict, new = done
    return Recorded(verdict, new)


def _no_alert(alert_id: int) -> VerdictError:
    return VerdictError(f"no alert #{alert_id}", "`warning alerts list` shows the alerts")


def standing(verdicts: Sequence[StoredVerdict]) -> StoredVerdict | None:
    """The verdict that stands among an alert's (oldest first): the latest judgement,
    else the latest ack, else None. An ack after a judgement does not undo it."""
    judged = [v for v in verdicts if v.decision != "ack"]
    if judged:
        return judged[-1]
    return verdicts[-1] if verdicts else None


def describe(verdict: StoredVerdict) -> str:
    """``False alarm — amina, 2026-11-20 03:12 UTC``."""
    title = TITLES.get(verdict.decision, verdict.decision)
    return f"{title} — {verdict.by_name}, {verdict.at:%Y-%m-%d %H:%M} UTC"


# --- precision per rule -------------------------------------------------------------


@dataclass(slots=True)
class RuleReport:
    """One rule and label's alerts over a period and what the desk said of them."""

    rule: str
    label: str
    alerts: int = 0
    #: Alerts by the judgement that stands on each (an ack alone judges nothing).
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(JUDGEMENTS, 0))
    acknowledged: int = 0
    #: Seconds from an alert's opening to its first verdict of any kind, per answered alert.
    waits: list[float] = field(default_factory=list)

    @property
    def judged(self) -> int:
        return sum(self.counts.values())

    @property
    def precision(self) -> float | None:
        """Confirmed ÷ judged; None when nothing is judged."""
        return self.counts["confirmed"] / self.judged if self.judged else None

    @property
    def median_wait(self) -> float | None:
        """Median seconds from opening to first verdict; None when nobody answered."""
        return statistics.median(self.waits) if self.waits else None

    def as_json(self) -> dict[str, Any]:
        """The report's JSON row (DESIGN.md: rule, label, alerts, the four counts,
        precision; then judged, acknowledged and the median wait)."""
        precision = self.precision
        return {
            "rule": self.rule,
            "label": self.label,
            "alerts": self.alerts,
            **self.counts,
            "precision": round(precision, 4) if precision is not None else None,
            "judged": self.judged,
            "acknowledged": self.acknowledged,
            "median_seconds_to_first_verdict": self.median_wait,
        }


def report(alerts: Iterable[JudgedAlert]) -> list[RuleReport]:
    """Per (rule, label), sorted: alerts raised, each counted by its standing judgement."""
    rows: dict[tuple[str, str], RuleReport] = {}
    for alert in alerts:
        row = rows.setdefault((alert.rule, alert.label), RuleReport(alert.rule, alert.label))
        row.alerts += 1
        if not alert.verdicts:
            continue
        first = min(v.at for v in alert.verdicts)
        row.waits.append((first - alert.opened_at).total_seconds())
        verdict = standing(alert.verdicts)
        if verdict is not None and verdict.decision in row.counts:
            row.counts[verdict.decision] += 1
        else:
            row.acknowledged += 1
    return [rows[key] for key in sorted(rows)]
