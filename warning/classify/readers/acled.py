"""ACLED training rows, from a CSV export or a saved API response (JSON).

Text is ``notes`` without ACLED's date clause and tags; labels come from
``event_type`` alone (:data:`~warning.sources.acled.ACLED_EVENT_LABELS`, the table
the acled source kind polls with). A strategic development whose notes speak of a
coup, a mutiny or an election is skipped, not kept as a negative: it may well be one
of our positives, and labelling it by keyword would be guessing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from ...errors import DataError
from ...sources.acled import ACLED_EVENT_LABELS
from .rows import ReadResult, Tally, TrainRow, as_str, clean, norm

# A strategic development that may be a coup or an election dispute is not a safe
# negative (see the module docstring).
_POSSIBLE_SIGNAL = re.compile(
    r"\b(?:coups?|putsch\w*|junta|mutin\w*|overthr\w+|ousted|seiz\w* power|takeover"
    r"|elect\w*|ballots?|vot(?:e|es|ed|ing|ers?)|polls?|rigg\w+)\b",
    re.IGNORECASE,
)
# ACLED boilerplate that no news text carries: the opening date clause ("On 3 May
# 2023," / "Around 3 May 2023 (month of),") and trailing tags ("[size=no report]").
_ACLED_DATE = re.compile(
    r"^(?:on|around|about|between|during|from|in|overnight)\b[^,]{0,60}?\b\d{4}\b[^,]{0,30},\s*",
    re.IGNORECASE,
)
_ACLED_TAGS = re.compile(r"(?:\s*\[[^\[\]]*\])+\s*$")


def _acled_text(notes: str) -> str:
    text = _ACLED_TAGS.sub("", _ACLED_DATE.sub("", clean(notes)))
    return text[:1].upper() + text[1:]


def _acled_record(record: Mapping[str, object], where: str, tally: Tally) -> None:
    event = norm(record.get("event_type"))
    notes = _acled_text(as_str(record.get("notes")))
    if not event:
        return tally.skip("no event_type")
    labels = ACLED_EVENT_LABELS.get(event)
    if labels is None:
        return tally.skip("unknown event_type")
    if not notes:
        return tally.skip("no text")
    if not labels and _POSSIBLE_SIGNAL.search(notes):
        return tally.skip("strategic development mentioning a coup or an election")
    ident = as_str(record.get("event_id_cnty")) or where
    tally.add(TrainRow(notes, labels, "en", f"acled:{ident}"))


def read_csv(path: Path) -> ReadResult:
    """An ACLED CSV export (header with ``event_type`` and ``notes``)."""
    tally = Tally("acled")
    for line, record in tally.csv_records(path):
        _acled_record(record, f"{path.name}:{line}", tally)
    return tally.result()


def read_json(path: Path) -> ReadResult:
    """A saved ACLED API response: ``{"data": [...]}``, or the bare list."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path}: cannot read as UTF-8 JSON: {exc}") from None
    # The API wraps its records in {"data": [...]}; a bare list (a saved "data") is fine too.
    records = document.get("data") if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise DataError(
            f'{path}: no list of records under "data"',
            'save the ACLED API response as it comes: {"status": ..., "data": [...]}',
        )
    tally = Tally("acled-json")
    for number, record in enumerate(records, start=1):
        if isinstance(record, dict):
            _acled_record(
                {str(k).strip().lower(): v for k, v in record.items()},
                f"{path.name}:{number}",
                tally,
            )
        else:
            tally.skip("not an object")
    return tally.result()
