"""The situation page's data as JSON, for other tools (``/api/...``; docs/situation.md).

``/api/countries`` is ``[{"code", "name", "level", "labels": {label: score},
"open_alerts"}]`` (DESIGN.md); the other shapes are this module's, documented there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..alerting.verdicts import TITLES, standing
from ..redact import scrub
from ..store.alerts import StoredAlert
from ..store.situation import AlertDetail, ItemView
from ..store.verdicts import StoredVerdict
from .situation import CountryState, Day


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def country_state(s: CountryState) -> dict[str, Any]:
    return {
        "code": s.code,
        "name": s.name,
        "level": s.level,
        "labels": dict(s.labels),
        "outlets": dict(s.outlets),
        "open_alerts": s.open_alerts,
    }


def alert(a: StoredAlert) -> dict[str, Any]:
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
        "opened_at": _iso(a.opened_at),
        "updated_at": _iso(a.updated_at),
        "resolved_at": _iso(a.resolved_at),
        "acknowledged_by": a.acknowledged_by,
    }


def verdict(v: StoredVerdict | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "decision": v.decision,
        "title": TITLES.get(v.decision, v.decision),
        "by": v.by_name,
        "source": v.source,
        "at": _iso(v.at),
        "note": v.note,
    }


def alert_detail(d: AlertDetail) -> dict[str, Any]:
    """One alert as ``/alerts/ID`` shows it: with headlines, decisions, deliveries, verdicts."""
    return {
        **alert(d.alert),
        "model": d.alert.model,
        "rules_hash": d.alert.rules_hash,
        "dedup_key": d.alert.dedup_key,
        "headlines": [
            {"item": i, "title": h[0], "url": h[1], "outlet": h[2], "seen": _iso(h[3])}
            for i in d.alert.items
            if (h := d.headlines.get(i)) is not None
        ],
        "events": [
            {
                "seq": ev["seq"],
                "decision": ev["decision"],
                "at": _iso(ev["at"]),
                "score": round(ev["score"], 3),
                "note": ev.get("note"),
                "deliveries": [
                    {
                        "route": dl["route"],
                        "status": dl["status"],
                        "attempts": dl["attempts"],
                        "last_error": scrub(dl["last_error"]) if dl["last_error"] else None,
                        "sent_at": _iso(dl["sent_at"]),
                    }
                    for dl in ev["deliveries"]
                ],
            }
            for ev in d.events
        ],
        "verdicts": [verdict(v) for v in d.verdicts],
        "verdict": verdict(standing(d.verdicts)),
    }


def item(i: ItemView) -> dict[str, Any]:
    return {
        "id": i.id,
        "title": i.title,
        "url": i.link,
        "outlet": i.outlet,
        "seen": _iso(i.seen),
        "lang": i.lang,
        "places": list(i.places),
        "labels": {k: {"score": round(p, 3), "terms": list(t)} for k, (p, t) in i.labels.items()},
    }


def day(d: Day) -> dict[str, Any]:
    return {
        "day": d.day.date().isoformat(),
        "outlets": d.outlets,
        "mean_score": None if d.mean_score is None else round(d.mean_score, 3),
        "baseline": None if d.baseline is None else round(d.baseline, 3),
    }


def country(
    state: CountryState,
    trends: dict[str, list[Day]],
    alerts: Sequence[StoredAlert],
    latest: Sequence[ItemView],
) -> dict[str, Any]:
    return {
        **country_state(state),
        "trends": {label: [day(d) for d in days] for label, days in trends.items()},
        "alerts": [alert(a) for a in alerts],
        "items": [item(i) for i in latest],
    }
