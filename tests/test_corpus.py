"""The training corpus keeps the form its guide (models/corpus/GUIDE.md) promises.

Training skips malformed rows rather than failing, so a broken row would silently
shrink the corpus; this catches it when the row is written.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pycountry
import pytest

from warning.classify import LABELS

CORPUS = Path(__file__).resolve().parents[1] / "models" / "corpus"
FILES = sorted(CORPUS.glob("*.csv"))
CODES = {c.alpha_2 for c in pycountry.countries} | {"XK"}  # Kosovo: user-assigned, in use


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["text", "labels", "lang", "countries"], path.name
        return list(reader)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_row_follows_the_guide(path: Path) -> None:
    problems = []
    for n, row in enumerate(rows(path), start=1):  # data rows: texts span several lines
        labels = [x for x in row["labels"].split(";") if x]
        countries = [x for x in row["countries"].split(";") if x]
        if not row["text"].strip():
            problems.append(f"row {n}: empty text")
        if any(x not in LABELS for x in labels) or labels != sorted(set(labels)):
            problems.append(f"row {n}: labels {row['labels']!r} (sorted, from {LABELS})")
        if row["lang"] not in ("en", "fr"):
            problems.append(f"row {n}: lang {row['lang']!r}")
        if any(c not in CODES for c in countries) or countries != sorted(set(countries)):
            problems.append(f"row {n}: countries {row['countries']!r} (sorted ISO alpha-2)")
    assert not problems, f"{path.name}: " + "; ".join(problems[:10])


def test_no_text_is_written_twice() -> None:
    texts = Counter(" ".join(r["text"].split()).lower() for p in FILES for r in rows(p))
    assert [t[:80] for t, n in texts.items() if n > 1] == []


def test_the_corpus_meets_the_issue_minimums() -> None:
    every = [r for p in FILES for r in rows(p)]
    per_label = Counter(x for r in every for x in r["labels"].split(";") if x)
    assert len(every) >= 3000
    assert sum(r["lang"] == "fr" for r in every) / len(every) >= 0.35
    assert all(per_label[label] >= 400 for label in LABELS), per_label
    assert sum(not r["labels"] for r in every) >= 1000
