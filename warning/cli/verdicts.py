"""How the alert commands print verdicts: in ``alerts list`` and ``show``, and the
precision report of ``alerts report``. Printing only; recording is
:mod:`warning.alerting.verdicts`, imported when a command runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..alerting.verdicts import RuleReport
    from ..store.verdicts import StoredVerdict

#: ``alerts verdict``'s words (alerting.verdicts.SHELL, spelled out so that building the
#: parser imports no store); tests/test_cli_alerts.py holds the two equal.
VERDICT_WORDS = ("confirmed", "false-alarm", "wrong-country", "old-news")

REPORT_HEADER = (
    "rule",
    "label",
    "alerts",
    "confirmed",
    "false alarm",
    "wrong country",
    "old news",
    "judged",
    "precision",
    "first verdict",
)


def print_verdicts(answers: Sequence[StoredVerdict]) -> None:
    """Every verdict on an alert, oldest first, then the one that stands."""
    from ..alerting.verdicts import describe, standing

    stands = standing(answers)
    if stands is None:
        print("  no verdict yet")
        return
    print("  verdicts:")
    for v in answers:
        note = f": {v.note}" if v.note else ""
        print(f"    {describe(v)} via {v.source}{note}")
    print(f"  verdict: {describe(stands)}")


def print_report(rows: Sequence[RuleReport], since: datetime) -> None:
    """The precision report as an aligned table, one line per rule and label."""
    print(f"alerts opened since {since:%Y-%m-%d %H:%M} UTC, by the verdict that stands on each")
    if not rows:
        print("no alerts")
        return
    table = [REPORT_HEADER] + [
        (
            r.rule,
            r.label,
            str(r.alerts),
            *(str(n) for n in r.counts.values()),
            str(r.judged),
            f"{r.precision:.2f}" if r.precision is not None else "-",
            human(r.median_wait),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(REPORT_HEADER))]
    for row in table:
        # Names to the left, figures to the right.
        cells = [
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


def human(seconds: float | None) -> str:
    """A wait as people say it: 45s, 20m, 1h 12m, 2d 3h; ``-`` when there is none."""
    if seconds is None:
        return "-"
    s = round(seconds)
    for big, small, unit, sub in ((86400, 3600, "d", "h"), (3600, 60, "h", "m")):
        if s >= big:
            rest = (s % big) // small
            return f"{s // big}{unit} {rest}{sub}" if rest else f"{s // big}{unit}"
    return f"{s // 60}m" if s >= 60 else f"{s}s"
