"""The alert lifecycle: from a rule and its signal to new, escalated, ongoing or resolved.

One pure function, :func:`decide`, the same for every rule type (a type only
says what *firing*, *calm* and the *level* of a signal mean). The rules:

- **new**: the rule fires for a subject with no open alert, and the last alert
  for it resolved at least ``cooldown`` ago;
- **escalated**: an open alert's level rises (unconfirmed -> corroborated: a
  second independent outlet); it goes to the same thread;
- **ongoing**: still firing with new evidence, once ``repeat`` has passed since
  the last message; each reminder doubles the wait (``repeat``, 2×, 4×, ...);
- **resolved**: the signal has stayed *calm* (below the rule's lower level) for
  ``hold``. Between the two levels nothing changes and the hold restarts, so a
  signal hovering at the threshold cannot flap between new and resolved.

docs/alerts.md tells the same story for operators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..records import Decision, Signal
from ..store.alerts import AlertChange, StoredAlert
from .rules import Rule


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do about one (rule, subject, label): tell the desk, and what to store."""

    decision: Decision | None
    changes: dict[str, Any] = field(default_factory=dict)


def decide(
    rule: Rule,
    signal: Signal,
    alert: StoredAlert | None,
    last_resolved: datetime | None,
    now: datetime,
) -> Verdict | None:
    """The lifecycle step for one signal; None when there is nothing to store."""
    firing = rule.firing(signal)
    if alert is None:
        if not firing:
            return None
        if last_resolved is not None and now - last_resolved < rule.cooldown:
            return None
        return Verdict("new", {"level": rule.level(signal)})
    if firing:
        level = rule.level(signal)
        if level > alert.level:
            return Verdict("escalated", {"level": level, "calm_since": None})
        due = alert.last_message_at + rule.repeat * (2**alert.reminders)
        fresh = set(signal.items) - set(alert.items)
        # An acknowledged alert needs no reminders; escalation and all-clear still go out.
        if now >= due and fresh and alert.acknowledged_at is None:
            return Verdict("ongoing", {"reminders": alert.reminders + 1, "calm_since": None})
        return Verdict(None, {"calm_since": None})
    if rule.calm(signal):
        since = alert.calm_since or now
        if now - since >= rule.hold:
            return Verdict(
                "resolved", {"status": "resolved", "resolved_at": now, "calm_since": since}
            )
        return Verdict(None, {"calm_since": since})
    return Verdict(None, {"calm_since": None})


def dedup_key(rule: str, subject: str, label: str, episode: int) -> str:
    """The unique key of an alert episode: two instances deciding it insert it once."""
    return f"{rule}|{subject}|{label}|{episode}"


def episode_fields(
    alert: StoredAlert | None, verdict: Verdict, signal: Signal, now: datetime
) -> dict[str, Any]:
    """The fields of an alert episode a verdict writes: every field of a new episode
    (but its identity), or what changes in an open one.

    The one statement of how a decision moves an episode (status, level, counters,
    times), for the database and for a backtest's memory alike.
    """
    fields = {**verdict.changes, "score": signal.score, "spike": signal.spike, "updated_at": now}
    # A signal gone quiet names no outlets: the episode keeps the evidence it last had.
    if alert is None or signal.outlets:
        fields |= {"outlets": signal.outlets, "items": signal.items}
    # Each decision is one more event; the compare-and-set on ``events`` relies on it.
    fields["events"] = (alert.events if alert else 0) + (1 if verdict.decision else 0)
    if verdict.decision:
        fields["last_message_at"] = now
    if alert is None:
        fields |= {"status": "open", "opened_at": now, "reminders": 0}
    return fields


class AlertBook(Protocol):
    """Where alert episodes are written: the database (``store.alerts``), or memory in a
    backtest (:mod:`warning.backtest.book`). Both write the fields :func:`episode_fields`
    computed, so that both keep episodes the same way."""

    def open(self, change: AlertChange) -> int | None: ...

    def record(self, alert: StoredAlert, change: AlertChange) -> bool: ...


def record(
    book: AlertBook,
    rule: Rule,
    signal: Signal,
    alert: StoredAlert | None,
    verdict: Verdict,
    episodes: int,
    silence: int | None,
    now: datetime,
    rules_hash: str,
    *,
    group: timedelta | None = None,
    muted_by: str | None = None,
) -> int | None:
    """Write a verdict: open episode ``episodes + 1``, or update ``alert``; its id.

    A new episode joins its subject's incident within ``group`` (None: no grouping);
    ``muted_by`` names the alert an inhibit rule mutes the decision for (inhibit.py).

    None when another writer got there first (the dedup key exists, or the alert's
    event count moved): that writer has recorded, and will send, the same decision.
    """
    fields = episode_fields(alert, verdict, signal, now)
    if alert is None:
        fields |= {
            "dedup_key": dedup_key(rule.name, signal.subject, signal.label, episodes + 1),
            "rule": rule.name,
            "subject": signal.subject,
            "label": signal.label,
            "severity": rule.severity,
            "model": next((e.model for e in signal.evidence if e.model), None),
            "rules_hash": rules_hash,
        }
    change = AlertChange(
        verdict.decision, fields, signal, now, rule.routes, silence, group, muted_by
    )
    if alert is None:
        return book.open(change)
    return alert.id if book.record(alert, change) else None
