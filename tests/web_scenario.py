"""A week of Sahel news replayed into a database, for the situation page's tests.

Mali: a coup reported by three outlets on the last morning (a corroborated alert), after
quieter days; Burkina Faso: attacks in English and French; Niger: protests; a hostile
headline about Mali whose title carries markup and whose link is ``javascript:``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warning.cli import main

#: The simulated "now" of the scenario: just after its last item.
END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOSTILE = (
    "<script>document.title='pwned'</script>Mali: soldiers <img src=x "
    "onerror=\"document.title='pwned'\"> seize state TV in Bamako"
)


def _at(days: float, hours: float = 0) -> str:
    return (END - timedelta(days=days, hours=hours)).isoformat().replace("+00:00", "Z")


def records() -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for day in range(7, 1, -1):
        out.append(
            {
                "published": _at(day, 3),
                "source": "sahel-wire",
                "title": f"Jihadists ambush army convoy near Djibo in Burkina Faso, day {day}",
                "url": f"https://sahel-wire.example/bf-{day}",
            }
        )
        out.append(
            {
                "published": _at(day, 5),
                "source": "lefaso",
                "title": f"Burkina Faso : une attaque terroriste fait des morts à Djibo ({day})",
                "url": f"https://lefaso.example/attaque-{day}",
                "language": "fr",
            }
        )
    out += [
        {
            "published": _at(3, 2),
            "source": "niger-daily",
            "title": "Thousands protest in Niamey against rising fuel prices, police fire tear gas",
            "url": "https://niger-daily.example/protest",
        },
        {
            "published": _at(0, 8),
            "source": "sahel-wire",
            "title": "Gunmen kill twelve soldiers in an attack on an army post near Djibo",
            "url": "https://sahel-wire.example/bf-today",
        },
        {
            "published": _at(0, 6),
            "source": "sahel-wire",
            "title": "Gunfire heard near presidential palace in Bamako as soldiers block roads",
            "url": "https://sahel-wire.example/mali-coup",
        },
        {
            "published": _at(0, 5),
            "source": "rfi",
            "title": "Mali : des militaires annoncent la dissolution du gouvernement à Bamako",
            "url": "https://rfi.example/mali-coup",
            "language": "fr",
        },
        {
            "published": _at(0, 4),
            "source": "west-africa-times",
            "title": "Mutinous soldiers detain Mali's president and seize power in a coup",
            "url": "https://wat.example/mali",
        },
        {
            "published": _at(0, 3),
            "source": "rumour-mill",
            "title": HOSTILE,
            "url": "javascript:document.title='pwned'",
        },
    ]
    return out


def build(folder: Path) -> str:
    """Replay the scenario into ``folder/situation.db``; its URL."""
    archive = folder / "scenario.jsonl"
    archive.write_text("".join(json.dumps(r) + "\n" for r in records()), encoding="utf-8")
    url = f"sqlite:///{folder / 'situation.db'}"
    until = END.isoformat().replace("+00:00", "Z")
    assert main(["replay", str(archive), "--database", url, "--until", until, "--step", "1h"]) == 0
    return url
