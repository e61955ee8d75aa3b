"""A simulated week of news, written for the replay and backtest tests.

Monday 2 to Sunday 8 November 2026. Days 1 to 4 carry ordinary news from six outlets,
some of it about the Sahel and some of it with words a careless keyword rule would
trip on. On day 5 (Friday 6 November) a coup unfolds in Niger: a rumour at 09:40 UTC,
then the soldiers' announcement and reports from other outlets.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)
#: The first report of the coup, and the country.
COUP_AT = datetime(2026, 11, 6, 9, 40, tzinfo=UTC)
COUP_COUNTRY = "NE"

ORDINARY = [
    ("sahel-wire", "en", "Mali's cotton harvest expected to rise as rains return to Sikasso"),
    ("sahel-wire", "en", "Niger opens new solar plant near Niamey to ease power cuts"),
    ("abidjan-daily", "fr", "Côte d'Ivoire : la saison du cacao démarre avec des prix en hausse"),
    ("abidjan-daily", "fr", "Abidjan accueille un salon international du livre"),
    ("accra-times", "en", "Ghana central bank holds interest rate as inflation eases"),
    ("accra-times", "en", "Black Stars name squad for World Cup qualifier against Mali"),
    ("lome-post", "fr", "Togo : le port de Lomé enregistre un trafic record de conteneurs"),
    ("lome-post", "fr", "Bénin : ouverture de la foire agricole de Parakou"),
    ("world-desk", "en", "Kenya and Tanzania sign road and rail agreement"),
    ("world-desk", "en", "Japanese carmaker reports higher quarterly profits"),
    ("world-desk", "en", "Brazil's football league kicks off its final round this weekend"),
    ("radio-sahel", "fr", "Burkina Faso : les producteurs de mangue cherchent de nouveaux marchés"),
    ("radio-sahel", "fr", "Niger : la campagne de vaccination contre la rougeole se poursuit"),
    ("sahel-wire", "en", "Senegal fishermen welcome new cold storage in Saint-Louis"),
    ("world-desk", "en", "Chess club elects new president after close vote"),
    ("abidjan-daily", "fr", "Football : coup d'envoi du championnat ivoirien ce samedi"),
]

COUP = [
    (
        timedelta(0),
        "sahel-wire",
        "en",
        "Gunfire heard near presidential palace in Niamey as soldiers block roads",
        "Residents reported heavy gunfire near the presidency in Niger's capital and state "
        "television went off air.",
    ),
    (
        timedelta(minutes=35),
        "radio-sahel",
        "fr",
        "Niger : des militaires annoncent à la télévision avoir renversé le président",
        "Des soldats ont déclaré à la télévision nationale la suspension des institutions et "
        "la fermeture des frontières.",
    ),
    (
        timedelta(hours=2),
        "world-desk",
        "en",
        "Niger soldiers say they have removed the president and suspended the constitution",
        "A group of officers appeared on national television overnight, announcing a curfew.",
    ),
]


def week_items() -> list[dict[str, str]]:
    """The week as JSON-lines records (published, source, title, summary, url, language)."""
    records = []
    for day in range(7):
        for n, (source, lang, title) in enumerate(ORDINARY):
            if (n + day) % 3 == 0:
                continue  # not every story every day
            at = MONDAY + timedelta(days=day, hours=6 + n)
            records.append(
                {
                    "published": at.isoformat(),
                    "source": source,
                    "title": f"{title} ({at:%d %B})" if day else title,
                    "summary": "",
                    "url": f"https://{source}.example/{day}/{n}",
                    "language": lang,
                }
            )
    for offset, source, lang, title, summary in COUP:
        at = COUP_AT + offset
        records.append(
            {
                "published": at.isoformat(),
                "source": source,
                "title": title,
                "summary": summary,
                "url": f"https://{source}.example/niger/{int(offset.total_seconds())}",
                "language": lang,
            }
        )
    return sorted(records, key=lambda r: r["published"])


def write_week(path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in week_items()))
    return path


#: A stricter coup rule: two independent outlets and a high score before anyone is told.
STRICT_RULES = """\
rules:
  - name: coup
    type: threshold
    label: coup
    countries: "*"
    threshold: 0.9
    window: 6h
    min_outlets: 2
    corroborate: 3
    severity: critical
    routes: [slack]
"""
