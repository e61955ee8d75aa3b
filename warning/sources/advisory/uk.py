"""UK FCDO travel advice (``www.gov.uk/foreign-travel-advice/<country>.atom``, Atom 1.0).

A country's feed, or the index ``foreign-travel-advice.atom``: one entry per country
with its change description as summary; the country is the slug of the entry's link.
The FCDO has no numeric levels: "advises against all travel" is level 4 and "advises
against all but essential travel" level 3 (to the whole country or parts of it). A
change description that states no advice (most of them: an entry-requirements update)
gives a version without a level: stored, but no level to compare.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from ...records import Item
from ..caps import Clipper
from ..xmlfeeds import utc_datetime
from .items import Skip, advisory_item, http_link
from .names import country_from_name

__all__ = ["fcdo_level", "feed_link", "uk_entry"]

_SLUG = re.compile(r"/foreign-travel-advice/([a-z0-9-]+)")
# A word boundary first and a possessive \w*+: a word of "advisadvis..." then costs one
# scan, not one from every "advi" in it.
_ADVICE = re.compile(r"\badvi[sc]\w*+\s+against\s+all\s+(but\s+essential\s+)?travel")
# Cues that a clause takes advice away rather than gives it.
_REMOVED = re.compile(r"\b(?:no\s+longer|remov\w*|lift\w*|withdr[ae]w\w*|rescind\w*)\b")
_CLAUSE = re.compile(r"[.;!?\n]+")


def fcdo_level(text: str) -> int | None:
    """The level a change description states: 4 against all travel, 3 all but essential.

    Whole country or parts of it alike; the strongest advice stated wins. A
    clause that takes advice away ("no longer advises against ...") states
    nothing, and neither does a description without advice: None.
    """
    text = " ".join(text.replace("\u2019", "'").lower().split())
    found = [
        4 if m.group(1) is None else 3
        for clause in _CLAUSE.split(text)
        if not _REMOVED.search(clause)
        for m in _ADVICE.finditer(clause)
    ]
    return max(found, default=None)


def uk_entry(
    entry: dict[str, Any],
    feed: str,
    outlet: str,
    base_url: str,
    page: str | None,
    clip: Clipper,
) -> tuple[Item, str] | Skip:
    """One version of a country's advice as (item, country), or why it has none.

    ``page`` is the feed's own page (:func:`feed_link`), which names the country
    of a country's feed whose entries link nowhere.
    """
    get = dict.get
    title = clip.title(str(get(entry, "title") or ""), html=False)
    link = http_link(entry, base_url) or page
    country = None
    slug = None
    for candidate in (link, page):
        m = _SLUG.search(urlsplit(candidate).path) if candidate else None
        if m is not None:
            slug = m.group(1)
            country = country_from_name(slug)
            break
    if country is None and title:
        country = country_from_name(re.sub(r"\s+travel advice$", "", title, flags=re.IGNORECASE))
    if country is None:
        return Skip("page", slug) if slug else Skip("country")
    updated = utc_datetime(get(entry, "updated_parsed") or get(entry, "published_parsed"))
    if updated is None:
        return Skip("date")
    detail = get(entry, "summary_detail")
    kind = str(get(detail, "type") or "text/html") if detail else "text/html"
    summary = clip.summary(str(get(entry, "summary") or ""), html="html" in kind)
    level = fcdo_level(summary)
    return advisory_item(
        "uk", country, level, updated, title, summary, entry, feed, outlet, base_url, link
    )


def feed_link(info: dict[str, Any]) -> str | None:
    """The feed's own page (a country feed's is the country's advice page)."""
    for link in info.get("links") or ():
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    feed_id = info.get("id")
    return str(feed_id) if isinstance(feed_id, str) and "://" in feed_id else None
