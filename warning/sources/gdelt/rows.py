"""Tab-separated rows, as both GDELT kinds publish them: read, convert, count the bad ones.

Separate because the events and GKG parsers share it and nothing else: each passes
:func:`read_rows` its own row converter, which raises :class:`BadRow` for a malformed
row; the counts become one summary warning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar


class BadRow(ValueError):
    """One malformed row: ``kind`` is the summary's category, the message its detail."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Rows(Generic[T]):
    """What :func:`read_rows` made of a tab-separated body."""

    kept: list[T]
    problems: Counter[str]
    first: str | None  # where the first problem is, and what
    total: int

    def warnings(self) -> tuple[str, ...]:
        """One warning summing up the skipped rows, or none."""
        if not self.problems:
            return ()
        kinds = ", ".join(f"{n} {kind}" for kind, n in self.problems.most_common())
        skipped = self.problems.total()
        return (f"{skipped} of {self.total:,} rows skipped ({kinds}; first: {self.first})",)


def read_rows(body: bytes, convert: Callable[[list[str]], T | None]) -> Rows[T]:
    """Each non-empty line's tab-separated columns through ``convert``: its results that
    are not None, and the BadRow problems counted by kind."""
    kept: list[T] = []
    problems: Counter[str] = Counter()
    first: str | None = None
    total = 0
    for number, line in enumerate(body.decode("utf-8", "replace").split("\n"), 1):
        line = line.rstrip("\r")
        if not line:
            continue
        total += 1
        try:
            result = convert(line.split("\t"))
        except BadRow as exc:
            problems[exc.kind] += 1
            first = first or f"line {number}: {exc}"
            continue
        if result is not None:
            kept.append(result)
    return Rows(kept, problems, first, total)


def timestamp(text: str, column: str) -> datetime:
    """A ``YYYYMMDDHHMMSS`` UTC timestamp; BadRow otherwise."""
    try:
        if len(text) != 14 or not (text.isascii() and text.isdigit()):
            raise ValueError
        return datetime(
            int(text[:4]), int(text[4:6]), int(text[6:8]),
            int(text[8:10]), int(text[10:12]), int(text[12:]), tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        raise BadRow("bad date", f"{column} {text!r} is not a time YYYYMMDDHHMMSS") from None
