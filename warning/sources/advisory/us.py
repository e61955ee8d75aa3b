"""US State Department advisories (``travel.state.gov/_res/rss/TAsTWs.xml``, RSS 2.0).

One item per country, the current advisory. The level is a ``<category
domain="Threat-Level">Level 4: Do Not Travel</category>`` (also in the title,
``Mali - Level 4: Do Not Travel``); the country a ``<category domain="Country-Tag">``
in the Department's own code set: FIPS 10-4 (``NI`` is Nigeria, ``NG`` Niger, ``UV``
Burkina Faso, ``IV`` Côte d'Ivoire) plus a few codes of its own (``A1``, ``A2``,
``A3``). Some items carry no code (Hong Kong, Macau) and the country comes from the
title's name. Older copies of the feed give the categories without ``domain``
attributes.
"""

from __future__ import annotations

import re
from typing import Any

from ...geo.fips import fips_to_iso
from ...records import Item
from ..caps import Clipper
from ..xmlfeeds import utc_datetime
from .items import Skip, advisory_item
from .names import country_from_name

__all__ = ["US_OWN_CODES", "us_code_to_iso", "us_entry"]

#: The Department's codes that are not FIPS 10-4 (A3, the French West Indies, is several
#: ISO countries and stays unmapped).
US_OWN_CODES = {"A1": "BQ", "A2": "GF"}

_LEVEL = re.compile(r"\blevel\s*([1-4])\b", re.IGNORECASE)
_CODE = re.compile(r"[A-Z][A-Z0-9]{1,4}")
_TITLE_SPLIT = re.compile(r"\s+[-\u2013\u2014]\s+|\s+travel advisory\b", re.IGNORECASE)
# Paragraph ends in the description's HTML: the first paragraph is what changed.
_PARAGRAPH_END = re.compile(r"</p\s*>|<br\s*/?>\s*<br\s*/?>|\n\s*\n", re.IGNORECASE)


def us_code_to_iso(code: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a State Department ``Country-Tag``, or None."""
    code = code.strip().upper()
    return US_OWN_CODES.get(code) or fips_to_iso(code)


def us_entry(
    entry: dict[str, Any], feed: str, outlet: str, base_url: str, clip: Clipper
) -> tuple[Item, str] | Skip:
    """One country's advisory as (item, country), or why it has none."""
    get = dict.get
    title = clip.title(str(get(entry, "title") or ""), html=False)
    tags = [
        (str(get(t, "scheme") or "").lower(), str(get(t, "term") or "").strip())
        for t in get(entry, "tags") or ()
    ]
    code = next((term for scheme, term in tags if scheme == "country-tag" and term), None)
    if code is None:  # the feed without domain attributes: the one bare code among the terms
        code = next((t for s, t in tags if not s and _CODE.fullmatch(t) and t != "advisory"), None)
    by_code = us_code_to_iso(code) if code else None
    by_name = country_from_name(_TITLE_SPLIT.split(title, maxsplit=1)[0]) if title else None
    if by_code and by_name and by_code != by_name:
        return Skip("disagree", f"{code}: {by_code} by code, {by_name} by title")
    country = by_code or by_name
    if country is None:
        return Skip("code", code) if code else Skip("country")
    level_texts = [t for s, t in tags if s == "threat-level"] or [t for _, t in tags] + [title]
    level = next((int(m.group(1)) for t in level_texts if (m := _LEVEL.search(t))), None)
    if level is None:
        return Skip("level")
    published = utc_datetime(get(entry, "published_parsed") or get(entry, "updated_parsed"))
    if published is None:
        return Skip("date")
    summary = _first_paragraph(str(get(entry, "summary") or ""), clip)
    return advisory_item(
        "us", country, level, published, title, summary, entry, feed, outlet, base_url
    )


def _first_paragraph(html: str, clip: Clipper) -> str:
    for chunk in _PARAGRAPH_END.split(html):
        text = clip.summary(chunk, html=True)
        if text:
            return text
    return ""
