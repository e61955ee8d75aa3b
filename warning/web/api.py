"""The situation page's data as JSON, for other tools (``/api/...``; docs/situation.md).

``/api/countries`` is ``[{"code", "name", "level", "labels": {label: score},
"open_alerts"}]`` (DESIGN.md); the other shapes are this module's, documented there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..alerting.verdicts import standing
from ..alerting.views import alert_json, iso, verdict_json
from ..redact import scrub
from ..store.alerts import StoredAlert
from ..store.situation import AlertDetail, ItemView
from .situation import CountryState, Day


def country_state(s: CountryState) -> dict[str, Any]:
    return {
        "code": s.code,
        "name": s.name,
        "level": s.level,
        "labels": dict(s.labels),
        "outlets": dict(s.outlets),
        "open_alerts": s.open_alerts,
    }


def alert_detail(d: AlertDetail) -> dict[str, Any]:
    """One alert as ``/alerts/ID`` shows it: with headlines, decisions, deliveries, verdicts."""
    return {
        **alert_json(d.alert),
        "model": d.alert.model,
        "rules_hash": d.alert.rules_hash,
        "dedup_key": d.alert.dedup_key,
        "headlines": [
            {"item": i, "title": h[0], "url": h[1], "outlet": h[2], "seen": iso(h[3])}
            for i in d.alert.items
            if (h := d.headlines.get(i)) is not None
        ],
        "events": [
            {
                "seq": ev["seq"],
                "decision": ev["decision"],
                "at": iso(ev["at"]),
                "score": round(ev["score"], 3),
                "note": ev.get("note"),
                "deliveries": [
                    {
                        "route": dl["route"],
                        "status": dl["status"],
                        "attempts": dl["attempts"],
                        "last_error": scrub(dl["last_error"]) if dl["last_error"] else None,
                        "sent_at": iso(dl["sent_at"]),
                    }
                    for dl in ev["deliveries"]
                ],
            }
            for ev in d.events
        ],
        "verdicts": [verdict_json(v) for v in d.verdicts],
        "verdict": verdict_json(standing(d.verdicts)),
    }


def item(i: ItemView) -> dict[str, Any]:
    return {
        "id": i.id,
        "title": i.title,
        "url": i.link,
        "outlet": i.outlet,
        "seen": iso(i.seen),
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
        "alerts": [alert_json(a) for a in alerts],
        "items": [item(i) for i in latest],
    }
