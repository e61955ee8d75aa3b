"""Our own CSV (DESIGN.md's evaluation format): ``text``, ``labels`` (``;``-separated),
optionally ``lang``, ``countries`` and ``id``."""

from __future__ import annotations

from pathlib import Path

from .. import LABELS
from .rows import ReadResult, Tally, TrainRow, clean


def read(path: Path) -> ReadResult:
    """Rows of our CSV; a row with no text or an unknown label is skipped."""
    tally = Tally("csv")
    for line, record in tally.csv_records(path):
        text = clean(record.get("text", ""))
        parts = (x.strip().lower() for x in record.get("labels", "").split(";"))
        labels = tuple(dict.fromkeys(x for x in parts if x))
        if not text:
            tally.skip("no text")
        elif any(label not in LABELS for label in labels):
            tally.skip("unknown label")
        else:
            lang = record.get("lang", "").strip().lower() or None
            ident = record.get("id", "").strip() or str(line)
            tally.add(TrainRow(text, labels, lang, f"csv:{path.name}:{ident}"))
    return tally.result()
