"""Alert episodes kept in memory: the backtest's :class:`~warning.alerting.lifecycle.AlertBook`.

The daemon writes episodes to the database (``store.alerts``); a backtest must not
write there, and needs only what the lifecycle reads back. Both go through
:func:`warning.alerting.lifecycle.record`, which works out every field a decision
changes (``episode_fields``), so an episode opens, updates and resolves the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from ..records import Decision, Signal
from ..store.alerts import AlertChange, StoredAlert

Key = tuple[str, str, str]  # rule, subject, label


@dataclass(frozen=True, slots=True)
class Outcome:
    """One message the rules would have sent: a new, escalated, ongoing or resolved alert."""

    at: datetime
    alert: int
    rule: str
    subject: str
    label: str
    decision: Decision
    level: int
    score: float
    outlets: tuple[str, ...]
    #: The strongest headline behind the signal, to recognise the story by.
    headline: str | None


class MemoryBook:
    """Open alerts, past episodes and every decision, in memory."""

    def __init__(self) -> None:
        self.open_alerts: dict[Key, StoredAlert] = {}
        #: Per key: episodes so far, and when the last one resolved.
        self.episodes: dict[Key, tuple[int, datetime | None]] = {}
        self.outcomes: list[Outcome] = []
        self._ids = 0

    def open(self, change: AlertChange) -> int | None:
        fields = change.fields
        key = (fields["rule"], fields["subject"], fields["label"])
        count, last = self.episodes.get(key, (0, None))
        self._ids += 1
        alert = StoredAlert(
            id=self._ids,
            calm_since=None,
            resolved_at=None,
            acknowledged_at=None,
            acknowledged_by=None,
            **fields,
        )
        self.open_alerts[key] = alert
        self.episodes[key] = (count + 1, last)
        self._note(alert, "new", change.signal, change.now)
        return alert.id

    def record(self, alert: StoredAlert, change: AlertChange) -> bool:
        key = (alert.rule, alert.subject, alert.label)
        updated = replace(alert, **change.fields)
        if updated.status == "open":
            self.open_alerts[key] = updated
        else:
            del self.open_alerts[key]
            count, _ = self.episodes[key]
            self.episodes[key] = (count, updated.resolved_at)
        if change.decision:
            self._note(updated, change.decision, change.signal, change.now)
        return True

    def _note(self, alert: StoredAlert, decision: Decision, signal: Signal, now: datetime) -> None:
        self.outcomes.append(
            Outcome(
                at=now,
                alert=alert.id,
                rule=alert.rule,
                subject=alert.subject,
                label=alert.label,
                decision=decision,
                level=alert.level,
                score=signal.score,
                outlets=signal.outlets,
                headline=signal.evidence[0].title if signal.evidence else None,
            )
        )
