"""Measuring at the level of alerts: labelled news through the whole pipeline.

A desk feels precision per alert, not per item. ``warning evaluate --alerts`` turns
labelled CSV rows (``warning evaluate``'s format, with ``url`` and optionally
``date``) into a few hours of news: each row is an item of the outlet named by its
web host, published on its ``date``, arriving at an even pace over ``span`` in the
order of the files (several files are interleaved, as several feeds would be). The
items go through the real pipeline — geotagging, scoring, the old-news check, the
chosen rules, the alert lifecycle — into a throwaway database (a replay, see
:mod:`warning.backtest.replay`), and each alert is then checked against the labels:

- an alert is **backed** when one of its evidence items truly carries the alert's
  label for the alert's country (for a zone, for a country of a place of the item
  inside the zone); precision is backed alerts over alerts;
- a true (country, label) pair of the rows is **covered** when an alert of that label
  is about that country, or about a zone one of its rows' places falls in; recall is
  covered pairs over pairs. Rules decide what is watched (attacks only in the
  coastal band, by default), so recall is per label and read with the rules in mind.

Only the four signal labels count; flatline and advisory alerts say nothing about
the rows.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..classify import LABELS
from ..config import Settings
from ..errors import DataError
from ..evaluate import EvalRow
from ..normalize import canonical_url, content_hash, guid_key, lang_code, title_and_body
from ..records import Item, ParseResult
from ..store import Store, open_store
from .replay import Arrival, FileNotifier, replay

#: The outlet of a row without a URL.
NO_HOST = "unknown-outlet"


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    """One alert of the run, and whether the labelled rows back it."""

    alert_id: int
    rule: str
    subject: str
    label: str
    backed: bool
    #: The ids of the rows behind its evidence, in the order they were stored.
    rows: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AlertEvaluation:
    rows: int
    alerts: tuple[AlertOutcome, ...]
    #: Every true (country, label) pair, and whether an alert covered it.
    pairs: dict[tuple[str, str], bool]

    @property
    def precision(self) -> float:
        return sum(a.backed for a in self.alerts) / len(self.alerts) if self.alerts else 0.0

    def per_label(self) -> dict[str, dict[str, Any]]:
        out = {}
        for label in LABELS:
            alerts = [a for a in self.alerts if a.label == label]
            pairs = [ok for (_, lab), ok in self.pairs.items() if lab == label]
            out[label] = {
                "alerts": len(alerts),
                "backed": sum(a.backed for a in alerts),
                "precision": round(sum(a.backed for a in alerts) / len(alerts), 4)
                if alerts
                else None,
                "pairs": len(pairs),
                "covered": sum(pairs),
                "recall": round(sum(pairs) / len(pairs), 4) if pairs else None,
                "missed": sorted(
                    c for (c, lab), ok in self.pairs.items() if lab == label and not ok
                ),
            }
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "alerts": len(self.alerts),
            "backed": sum(a.backed for a in self.alerts),
            "precision": round(self.precision, 4),
            "per_label": self.per_label(),
            "unbacked": [
                {
                    "alert": a.alert_id,
                    "rule": a.rule,
                    "subject": a.subject,
                    "label": a.label,
                    "rows": list(a.rows),
                }
                for a in self.alerts
                if not a.backed
            ],
        }


def outlet_of(url: str | None) -> str:
    """A row's outlet: the web host of its URL, without ``www.``."""
    host = (urlsplit(url).hostname or "") if url else ""
    return host.removeprefix("www.") or NO_HOST


def _item(row: EvalRow, at: datetime) -> Item:
    """A row as an item of its outlet, published on its date (else when it arrives)."""
    outlet = outlet_of(row.url)
    title, body = title_and_body(row.text)
    return Item(
        feed=outlet,
        outlet=outlet,
        title=title,
        summary=body,
        link=row.url,
        published=datetime.combine(row.date, time(12), UTC) if row.date else at,
        lang=lang_code(row.lang),
        guid_key=guid_key(f"row:{row.id}", outlet),
        url_key=canonical_url(row.url),
        content_hash=content_hash(title, body),
    )


def stream(files: Sequence[Sequence[EvalRow]], start: datetime, span: timedelta) -> list[Arrival]:
    """The rows of several files as arrivals over ``span``: each file spread over the
    whole span in its own order, the files interleaved."""
    placed: list[tuple[float, int, EvalRow]] = []
    for f, rows in enumerate(files):
        placed.extend(((n + 0.5) / len(rows), f, row) for n, row in enumerate(rows))
    placed.sort(key=lambda p: (p[0], p[1]))
    arrivals = []
    for n, (_, _, row) in enumerate(placed):
        at = start + span * (n / len(placed))
        item = _item(row, at)
        arrivals.append(Arrival(at, item.feed, "evaluate", "", ParseResult((item,))))
    return arrivals


def evaluate_alerts(
    settings: Settings,
    files: Sequence[Sequence[EvalRow]],
    *,
    start: datetime,
    span: timedelta = timedelta(hours=6),
    step: timedelta = timedelta(minutes=5),
) -> AlertEvaluation:
    """Stream the rows through the pipeline and the configured rules; check each alert."""
    rows = [row for f in files for row in f]
    if not rows:
        raise DataError("no rows to stream", hint="give a labelled CSV with at least one row")
    with (
        tempfile.TemporaryDirectory(prefix="warning-evaluate-") as scratch,
        open_store(f"sqlite:///{Path(scratch) / 'evaluate.db'}") as store,
    ):
        replay(settings, stream(files, start, span), store, FileNotifier(io.StringIO()), step)
        return _judge(settings, store, rows, start)


def _judge(
    settings: Settings, store: Store, rows: Sequence[EvalRow], start: datetime
) -> AlertEvaluation:
    # Each row's stored item: its own, or the one it deduplicated into (a wire copy).
    ids = store.matching_items([_item(row, start) for row in rows])
    item_rows: dict[int, list[EvalRow]] = defaultdict(list)
    for row, item_id in zip(rows, ids, strict=True):
        if item_id is not None:
            item_rows[item_id].append(row)
    places = {i: tag.places for i, tag in store.alerts.geotags(list(item_rows)).items()}
    zones = {f"zone:{z.name}": z for z in settings.zones}  # a zone rule's subject

    def countries(subject: str, item_id: int, row: EvalRow) -> set[str]:
        """The row's true countries that an alert about ``subject`` stands for."""
        truth = set(row.countries or ())
        zone = zones.get(subject)
        if zone is None:
            return truth & {subject}
        return truth & {p.country for p in places.get(item_id, ()) if zone.matches(p)}

    outcomes = []
    for alert in sorted(store.alerts.recent(limit=1_000_000), key=lambda a: a.id):
        if alert.label not in LABELS:
            continue
        evidence: list[int] = []
        for event in store.alerts.events(alert.id):
            evidence.extend(i for i in json.loads(event["items"]) if i not in evidence)
        behind = [(i, row) for i in evidence for row in item_rows.get(i, ())]
        backed = any(
            alert.label in row.labels and countries(alert.subject, i, row) for i, row in behind
        )
        outcomes.append(
            AlertOutcome(
                alert.id,
                alert.rule,
                alert.subject,
                alert.label,
                backed,
                tuple(row.id for _, row in behind),
            )
        )

    pairs: dict[tuple[str, str], bool] = {}
    for row, item_id in zip(rows, ids, strict=True):
        for label in row.labels:
            for country in row.countries or ():
                covered = item_id is not None and any(
                    a.label == label
                    and (a.subject == country or country in countries(a.subject, item_id, row))
                    for a in outcomes
                )
                pairs[(country, label)] = pairs.get((country, label), False) or covered
    return AlertEvaluation(len(rows), tuple(outcomes), pairs)
