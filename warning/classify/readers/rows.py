"""What the training-file readers share: the row, the tally of a read, CSV and text helpers."""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import DataError


@dataclass(frozen=True, slots=True)
class TrainRow:
    """One training example: text, its labels (a subset of LABELS), language, provenance."""

    text: str
    labels: tuple[str, ...]
    lang: str | None
    source: str  # "<format>:<record id>", e.g. "acled:MLI1234", to trace a row back


@dataclass(frozen=True, slots=True)
class ReadResult:
    """What a file yielded: usable rows, how many were skipped and why, and its format."""

    rows: list[TrainRow]
    skipped: int
    format: str
    reasons: dict[str, int] = field(default_factory=dict)  # reason -> rows skipped


class Tally:
    """Rows kept and rows skipped (by reason) while reading one file."""

    def __init__(self, format: str) -> None:
        self.format = format
        self.rows: list[TrainRow] = []
        self.reasons: Counter[str] = Counter()

    def add(self, row: TrainRow) -> None:
        self.rows.append(row)

    def skip(self, reason: str) -> None:
        self.reasons[reason] += 1

    def result(self) -> ReadResult:
        return ReadResult(self.rows, self.reasons.total(), self.format, dict(self.reasons))

    def csv_records(self, path: Path) -> Iterator[tuple[int, dict[str, str]]]:
        """(line, record by lower-case header) per data row of a CSV file; a row with
        the wrong column count is skipped here, and counted."""
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.reader(handle)
                header = [h.strip().lower() for h in next(reader, [])]
                for row in reader:
                    if not any(cell.strip() for cell in row):
                        continue  # blank line
                    if len(row) != len(header):
                        self.skip("wrong column count")
                    else:
                        yield reader.line_num, dict(zip(header, row, strict=True))
        except FileNotFoundError:
            raise DataError(f"{path}: file not found") from None
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise DataError(f"{path}: cannot read as UTF-8 CSV: {exc}") from None


_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """Whitespace runs made one space, ends stripped."""
    return _SPACE.sub(" ", text).strip()


def as_str(value: object) -> str:
    """A field's value as stripped text; None as empty."""
    return "" if value is None else str(value).strip()


def norm(value: object) -> str:
    """A field's value lower-cased, whitespace runs made one space."""
    return _SPACE.sub(" ", as_str(value).lower())


def cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary where there is one."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    return head.rsplit(" ", 1)[0] if " " in head else head
