"""UCDP GED training rows: every event of organised violence with deaths is ``attack``.

Text is ``source_headline`` (the first, when several are joined by ``;``), else the
first 300 characters of ``source_article``.
"""

from __future__ import annotations

from pathlib import Path

from .rows import ReadResult, Tally, TrainRow, as_str, clean, cut

#: UCDP GED type_of_violence -> labels: state-based, non-state, one-sided violence.
UCDP_VIOLENCE_LABELS: dict[str, tuple[str, ...]] = {
    "1": ("attack",),
    "2": ("attack",),
    "3": ("attack",),
}
_MISSING = {"", "na", "n/a", "none", "null", "-"}


def read(path: Path) -> ReadResult:
    """A UCDP GED CSV (header with ``type_of_violence`` and ``source_headline``)."""
    tally = Tally("ucdp-ged")
    for line, record in tally.csv_records(path):
        kind = as_str(record.get("type_of_violence")).removesuffix(".0")
        labels = UCDP_VIOLENCE_LABELS.get(kind)
        if labels is None:
            tally.skip("unknown type_of_violence")
            continue
        # Several sources' headlines are joined by ";": the first stands for the event,
        # so one event stays one row.
        headlines = [clean(h) for h in as_str(record.get("source_headline")).split(";")]
        text = next((h for h in headlines if h.lower() not in _MISSING), "")
        if not text:
            article = clean(as_str(record.get("source_article")))
            text = "" if article.lower() in _MISSING else cut(article, 300)
        if not text:
            tally.skip("no text")
            continue
        ident = as_str(record.get("id")) or f"{path.name}:{line}"
        tally.add(TrainRow(text, labels, "en", f"ucdp-ged:{ident}"))
    return tally.result()
