"""Alert episodes kept in memory: the backtest's :class:`~warning.alerting.lifecycle.AlertBook`.

The daemon writes episodes to the database (``store.alerts``); a backtest must not
write there, and needs only what the lifecycle reads back. Both go through
:func:`warning.alerting.lifecycle.record`, which works out every field a decision
changes (``episode_fields``), so an episode opens, updates and resolves the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..records import Decision
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
    #: The incident whose thread it goes to (grouping), None when not grouped.
    incident: int | None = None
    #: The inhibiting alert (``rule|label|level``) when muted: recorded, not sent.
    muted_by: str | None = None


class MemoryBook:
    """Open alerts, past episodes and every decision, in memory."""

    def __init__(self) -> None:
        self.open_alerts: dict[Key, StoredAlert] = {}
        #: Per key: episodes so far, and when the last one resolved.
        self.episodes: dict[Key, tuple[int, datetime | None]] = {}
        self.outcomes: list[Outcome] = []
        #: Alerts the desk was told of (an outcome not muted), for inhibit.settle.
        self.told: set[int] = set()
        #: Per subject: its latest incident's id, when an alert last joined, its open alerts.
        self.incidents: dict[str, tuple[int, datetime, set[int]]] = {}
        self._ids = 0
        self._incidents = 0

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
        if change.group is not None:
            alert = replace(alert, incident_id=self._join(alert, change.now, change.group))
        self.open_alerts[key] = alert
        self.episodes[key] = (count + 1, last)
        self._note(alert, "new", change)
        return alert.id

    def _join(self, alert: StoredAlert, now: datetime, window: timedelta) -> int:
        """The incident a new alert joins, as store/incidents.py's ``join`` picks it."""
        found = self.incidents.get(alert.subject)
        if found is not None and found[2] and now - found[1] < window:
            number, members = found[0], found[2]
        else:
            self._incidents += 1
            number, members = self._incidents, set()
        self.incidents[alert.subject] = (number, now, members | {alert.id})
        return number

    def record(self, alert: StoredAlert, change: AlertChange) -> bool:
        key = (alert.rule, alert.subject, alert.label)
        updated = replace(alert, **change.fields)
        if updated.status == "open":
            self.open_alerts[key] = updated
        else:
            del self.open_alerts[key]
            count, _ = self.episodes[key]
            self.episodes[key] = (count, updated.resolved_at)
            found = self.incidents.get(alert.subject)
            if found is not None and found[0] == alert.incident_id:
                found[2].discard(alert.id)  # empty: closed, the next alert opens another
        if change.decision:
            self._note(updated, change.decision, change)
        return True

    def _note(self, alert: StoredAlert, decision: Decision, change: AlertChange) -> None:
        signal, now = change.signal, change.now
        if change.muted_by is None:
            self.told.add(alert.id)
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
                incident=alert.incident_id,
                muted_by=change.muted_by,
            )
        )
