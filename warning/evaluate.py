"""Measuring the program against labelled data (``warning evaluate``).

The CSV format is DESIGN.md's: columns ``text`` and ``labels``, optionally
``countries``, ``lang``, ``date`` and ``id``; labels and countries are ``;``-separated,
empty for none. Rows are assessed as the daemon assesses an item
(:mod:`warning.pipeline.assessment`); metrics are computed here from plain tuples,
so they can be checked by hand and reused by the benchmarks.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .classify import LABELS
from .errors import DataError
from .pipeline.assessment import Model, Text, assess_all, labels
from .records import Assessment


@dataclass(frozen=True, slots=True)
class EvalRow:
    """One labelled example."""

    id: str
    text: str
    labels: tuple[str, ...]
    countries: tuple[str, ...] | None  # None when the file has no countries column
    lang: str | None
    date: date | None = None  # when the item was published, for dated actors
    url: str | None = None  # where it was published: its host is its outlet (--alerts)


@dataclass(frozen=True, slots=True)
class Counts:
    """True positives, false positives and false negatives, with the usual ratios."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (cell or "").split(";") if part.strip())


def read_rows(path: Path) -> list[EvalRow]:
    """Read an evaluation CSV; DataError naming the file (and line) when it is unusable."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [c for c in ("text", "labels") if c not in columns]
            if missing:
                raise DataError(
                    f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(columns)}",
                    "the CSV needs a header row with text and labels "
                    "(and optionally countries, lang, id)",
                )
            rows = []
            for number, record in enumerate(reader, start=1):
                text = (record.get("text") or "").strip()
                if not text:
                    raise DataError(f"{path}:{reader.line_num}: row {number} has no text")
                when = (record.get("date") or "").strip()
                try:
                    published = date.fromisoformat(when[:10]) if when else None
                except ValueError:
                    raise DataError(
                        f"{path}:{reader.line_num}: row {number}: date {when!r} is not YYYY-MM-DD"
                    ) from None
                rows.append(
                    EvalRow(
                        id=(record.get("id") or str(number)).strip(),
                        text=text,
                        labels=_split(record.get("labels")),
                        countries=(
                            tuple(c.upper() for c in _split(record.get("countries")))
                            if "countries" in columns
                            else None
                        ),
                        lang=(record.get("lang") or "").strip() or None,
                        date=published,
                        url=(record.get("url") or "").strip() or None,
                    )
                )
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read as UTF-8 CSV: {exc}") from None
    if not rows:
        raise DataError(f"{path}: no rows")
    return rows


def measure(rows: Sequence[EvalRow], model: Model) -> tuple[dict[str, Any], list[Assessment]]:
    """The model's report on labelled rows, and each row's assessment.

    Each row is assessed with its language and date as an item's; the report has
    per-label and per-language figures, and countries when the rows have them.
    """
    texts = [Text.parse(row.text, lang=row.lang, when=row.date) for row in rows]
    assessed = assess_all(texts, model, explain=False)
    report: dict[str, Any] = {
        "rows": len(rows),
        "model": model.version,
        **label_report(
            LABELS,
            [r.labels for r in rows],
            [labels(a) for a in assessed],
            [r.lang for r in rows],
        ),
    }
    if rows and rows[0].countries is not None:
        gold = [row.countries or () for row in rows]
        report["countries"] = set_counts(gold, [a.geo.codes for a in assessed]).as_dict()
    return report, assessed


def set_counts(gold: Sequence[tuple[str, ...]], predicted: Sequence[tuple[str, ...]]) -> Counts:
    """Micro-averaged counts over (row, value) pairs, e.g. (item, country)."""
    tp = fp = fn = 0
    for want, got in zip(gold, predicted, strict=True):
        want_set, got_set = set(want), set(got)
        tp += len(want_set & got_set)
        fp += len(got_set - want_set)
        fn += len(want_set - got_set)
    return Counts(tp, fp, fn)


def label_report(
    labels: Sequence[str],
    gold: Sequence[tuple[str, ...]],
    predicted: Sequence[tuple[str, ...]],
    langs: Sequence[str | None],
) -> dict[str, Any]:
    """Per-label precision/recall/F1 with tp/fp/fn and support, macro-F1, and per language."""

    def per_label(rows: list[int]) -> dict[str, dict[str, float | int]]:
        out = {}
        for label in labels:
            want = [(label,) if label in gold[i] else () for i in rows]
            got = [(label,) if label in predicted[i] else () for i in rows]
            counts = set_counts(want, got)
            out[label] = {**counts.as_dict(), "support": counts.tp + counts.fn}
        return out

    def macro(table: dict[str, dict[str, float | int]]) -> float:
        return round(sum(float(m["f1"]) for m in table.values()) / len(table), 4)

    everything = per_label(list(range(len(gold))))
    report: dict[str, Any] = {"macro_f1": macro(everything), "per_label": everything}
    by_lang: dict[str, Any] = {}
    for lang in sorted({lang for lang in langs if lang}):
        table = per_label([i for i, x in enumerate(langs) if x == lang])
        by_lang[lang] = {
            "rows": sum(1 for x in langs if x == lang),
            "macro_f1": macro(table),
            "per_label": table,
        }
    report["per_lang"] = by_lang
    report["any_label_share"] = round(sum(1 for p in predicted if p) / max(len(predicted), 1), 4)
    return report
