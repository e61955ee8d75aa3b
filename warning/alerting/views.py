"""An alert and a verdict as JSON: one shape wherever a tool reads them.

``warning alerts list --json``, the situation page's ``/api/alerts`` and ``/api/alerts/ID``
all give these objects, so a script written against one reads the others.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from .verdicts import TITLES

if TYPE_CHECKING:
    from ..store.alerts import StoredAlert
    from ..store.verdicts import StoredVerdict


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def alert_json(a: StoredAlert) -> dict[str, Any]:
    """An alert's episode: what it is about, how strong, and when it opened and changed."""
    return {
        "id": a.id,
        "status": a.status,
        "rule": a.rule,
        "subject": a.subject,
        "label": a.label,
        "severity": a.severity,
        "score": round(a.score, 3),
        "outlets": list(a.outlets),
        "corroborated": a.level >= 1,
        "items": list(a.items),
        "opened_at": iso(a.opened_at),
        "updated_at": iso(a.updated_at),
        "resolved_at": iso(a.resolved_at),
        "acknowledged_by": a.acknowledged_by,
    }


def verdict_json(v: StoredVerdict | None) -> dict[str, Any] | None:
    """A verdict: decision and its title, who (and through what), when, the note."""
    if v is None:
        return None
    return {
        "decision": v.decision,
        "title": TITLES.get(v.decision, v.decision),
        "by": v.by_name,
        "source": v.source,
        "at": iso(v.at),
        "note": v.note,
    }
