"""Feeds made for tests and benchmarks: RSS 2.0 bytes from item dicts.

The headlines are generated from short phrase lists written for this project,
so fixtures are realistic in shape (headline plus a one- or two-sentence lede)
without copying anyone's text.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

PLACES = [
    "Bamako",
    "Ouagadougou",
    "Niamey",
    "Kidal",
    "Ménaka",
    "Djibo",
    "Tillabéri",
    "Gao",
    "Accra",
    "Lomé",
    "Cotonou",
    "Abidjan",
    "Dakar",
    "Conakry",
    "N'Djamena",
    "Nouakchott",
    "Kano",
    "Abuja",
    "Tamale",
    "Kara",
    "Parakou",
    "Korhogo",
    "Ségou",
    "Mopti",
]
SUBJECTS = [
    "Regional leaders",
    "The electoral commission",
    "Farmers' unions",
    "Health officials",
    "The central bank",
    "Teachers",
    "Local traders",
    "Aid agencies",
    "The football federation",
    "Opposition parties",
    "Road hauliers",
    "City authorities",
    "Students",
    "Fishermen",
]
ACTIONS = [
    "meet in {p} to discuss",
    "announce new plans for",
    "warn of delays to",
    "welcome progress on",
    "call for talks over",
    "publish a report on",
    "raise concerns about",
    "agree a timetable for",
    "open an inquiry into",
]
TOPICS = [
    "the cotton harvest",
    "fuel prices",
    "the rainy season",
    "a new bridge",
    "school fees",
    "cross-border trade",
    "power cuts",
    "the national budget",
    "mobile money rules",
    "a vaccination drive",
    "the regional cup final",
    "water supply",
]
LEDES = [
    "Officials said the decision followed weeks of consultation with residents.",
    "The announcement was made at a news conference on {d}.",
    "Observers expect the measures to take effect before the end of the month.",
    "Several groups said they would study the proposal before responding.",
    "The talks are due to resume next week in {p}, according to organisers.",
    "Residents interviewed in {p} gave a mixed reaction to the news.",
]


def sample_items(
    n: int,
    *,
    seed: int,
    link_prefix: str = "https://news.example.org/story",
    start: datetime | None = None,
) -> list[dict[str, object]]:
    """``n`` varied headline+lede items with unique GUIDs and links."""
    rng = random.Random(seed)
    start = start or datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    items = []
    for i in range(n):
        place = rng.choice(PLACES)
        title = f"{rng.choice(SUBJECTS)} {rng.choice(ACTIONS).format(p=place)} {rng.choice(TOPICS)}"
        when = start + timedelta(minutes=17 * i + rng.randint(0, 9))
        lede = " ".join(
            rng.choice(LEDES).format(p=rng.choice(PLACES), d=when.strftime("%A"))
            for _ in range(rng.randint(1, 2))
        )
        ident = f"{seed}-{i}"
        items.append(
            {
                "title": title,
                # The reference keeps generated stories distinct, as real ones are.
                "description": f"<p>{place} — {lede} (ref. {ident})</p>",
                "link": f"{link_prefix}/{ident}?utm_source=rss",
                "guid": f"{link_prefix}/{ident}",
                "published": when,
            }
        )
    return items


def make_rss(
    items: list[dict[str, object]],
    *,
    title: str = "Test feed",
    link: str = "https://news.example.org/",
    language: str | None = "en",
) -> bytes:
    """An RSS 2.0 document; keys of each item: title, description, link, guid, published."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>{escape(link)}</link>",
        "<description>Fixture feed</description>",
    ]
    if language:
        parts.append(f"<language>{language}</language>")
    for item in items:
        parts.append("<item>")
        if item.get("title") is not None:
            parts.append(f"<title>{escape(str(item['title']))}</title>")
        if item.get("description") is not None:
            parts.append(f"<description>{escape(str(item['description']))}</description>")
        if item.get("link") is not None:
            parts.append(f"<link>{escape(str(item['link']))}</link>")
        if item.get("guid") is not None:
            parts.append(f'<guid isPermaLink="false">{escape(str(item["guid"]))}</guid>')
        published = item.get("published")
        if isinstance(published, datetime):
            parts.append(f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")
