"""Alert episodes kept in memory: the backtest's :class:`~warning.alerting.lifecycle.AlertBook`.

The daemon writes episodes to the database (``store.alerts``); a backtest must not
write there, and needs only what the lifecycle reads back. Both go through
:func:`warning.alerting.lifecycle.record`, so an episode opens, updates and resolves the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ..records import Decision, Signal
from ..store.alerts import StoredAlert

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

    def open(
        self,
        dedup_key: str,
        fields: dict[str, Any],
        signal: Signal,
        now: datetime,
        routes: Sequence[str],
        silence_id: int | None,
    ) -> int | None:
        key = (fields["rule"], signal.subject, signal.label)
        count, last = self.episodes.get(key, (0, None))
        self._ids += 1
        alert = StoredAlert(
            id=self._ids,
            dedup_key=dedup_key,
            rule=fields["rule"],
            subject=signal.subject,
            label=signal.label,
            severity=fields["severity"],
            status="open",
            level=fields["level"],
            score=signal.score,
            spike=signal.spike,
            outlets=signal.outlets,
            items=signal.items,
            model=fields["model"],
            rules_hash=fields["rules_hash"],
            opened_at=now,
            updated_at=now,
            calm_since=None,
            resolved_at=None,
            last_message_at=now,
            reminders=0,
            events=1,
            acknowledged_at=None,
            acknowledged_by=None,
        )
        self.open_alerts[key] = alert
        self.episodes[key] = (count + 1, last)
        self._note(alert, "new", signal, now)
        return alert.id

    def record(
        self,
        alert: StoredAlert,
        decision: str | None,
        changes: dict[str, Any],
        signal: Signal,
        now: datetime,
        routes: Sequence[str],
        silence_id: int | None,
    ) -> bool:
        key = (alert.rule, alert.subject, alert.label)
        updated = replace(
            alert,
            **changes,
            score=signal.score,
            spike=signal.spike,
            updated_at=now,
            events=alert.events + (1 if decision else 0),
            last_message_at=now if decision else alert.last_message_at,
        )
        if signal.outlets:
            updated = replace(updated, outlets=signal.outlets, items=signal.items)
        if updated.status == "open":
            self.open_alerts[key] = updated
        else:
            del self.open_alerts[key]
            count, _ = self.episodes[key]
            self.episodes[key] = (count, updated.resolved_at)
        if decision:
            self._note(updated, decision, signal, now)  # type: ignore[arg-type]
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
