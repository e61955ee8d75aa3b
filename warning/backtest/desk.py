"""What the desk said of the alerts a backtest replays: the verdicts on stored alerts.

A backtest re-runs rules over stored items, so the alerts it finds are often alerts
the daemon raised and an analyst judged (``warning alerts verdict``, the Slack
buttons). Each simulated alert is matched to a stored one about the same subject and
label that was open at the time (or opened up to :data:`SLACK` later), whatever rule
raised it: the verdict is about the event, and a new rules file is tried precisely
to see which of the desk's false alarms it still raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..alerting.outbox import shown
from ..records import VerdictShown
from ..store import Store
from .book import Outcome

#: How long before a stored alert opened a simulated one may come and still be it.
SLACK = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class DeskVerdict:
    """A stored alert over a period, and the verdict standing on it."""

    subject: str
    label: str
    opened: datetime
    closed: datetime | None
    verdict: VerdictShown


def desk_verdicts(store: Store, start: datetime, end: datetime) -> list[DeskVerdict]:
    """The judged stored alerts that overlap [start, end]."""
    out = []
    for alert in store.alerts.recent(limit=1_000_000, since=start):
        if alert.opened_at > end:
            continue
        verdict = shown(store, alert.id)
        if verdict is not None:
            out.append(
                DeskVerdict(alert.subject, alert.label, alert.opened_at, alert.resolved_at, verdict)
            )
    return out


def verdict_for(outcome: Outcome, desk: Sequence[DeskVerdict]) -> VerdictShown | None:
    """The desk's verdict on the stored alert a simulated one stands for, if any."""
    for d in desk:
        if (d.subject, d.label) != (outcome.subject, outcome.label):
            continue
        if d.opened - SLACK <= outcome.at and (d.closed is None or outcome.at <= d.closed):
            return d.verdict
    return None
