"""One advisory version as an item, and why an entry gave none: shared by both publishers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from ...records import Item

#: Why entries were skipped, by reason, as the feed's summary warning words it.
REASONS = {
    "country": "without a country",
    "code": "with an unknown country code",
    "page": "whose page names no known country",
    "disagree": "whose country code and title name different countries",
    "level": "without an advisory level",
    "date": "without a date",
    "error": "that could not be read",
}


@dataclass(frozen=True, slots=True)
class Skip:
    """Why one entry was skipped: a reason (a key of REASONS) and a detail (a code)."""

    reason: str
    detail: str = ""


def http_link(entry: dict[str, Any], base_url: str) -> str | None:
    """The entry's page, absolute; None without one (an Atom ``tag:`` id is no page)."""
    raw = dict.get(entry, "link")
    if not isinstance(raw, str) or not raw.strip():
        return None
    link = urljoin(base_url, raw.strip())
    return link if link[:8].lower().startswith(("http://", "https://")) else None


def advisory_item(
    source: str,
    country: str,
    level: int | None,
    at: datetime,
    title: str,
    summary: str,
    entry: dict[str, Any],
    feed: str,
    outlet: str,
    base_url: str,
    link: str | None = None,
) -> tuple[Item, str]:
    """(item, country) of one advisory version; its facts are the item's tags."""
    if link is None:
        link = http_link(entry, base_url)
    stamp = f"{at:%Y-%m-%dT%H:%M:%SZ}"
    tags: tuple[str, ...] = (f"advisory-level:{level}",) if level is not None else ()
    tags += (f"advisory-source:{source}", f"country:{country}")
    item = Item(
        feed=feed,
        outlet=outlet,
        title=title or f"{country} travel advisory",
        summary=summary,
        link=link,
        published=at,
        lang="en",
        # One key only: every version of a country's advisory shares its link, and a
        # later version may repeat an earlier one's text (3 -> 4 -> 3), so the URL and
        # content keys would fold distinct versions into one.
        guid_key=f"advisory:{source}:{country}:{stamp}",
        url_key=None,
        content_hash=None,
        tags=tags,
    )
    return item, country
