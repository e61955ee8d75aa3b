"""Travel advisories: the US State Department RSS and the UK FCDO travel-advice Atom feeds.

Each advisory version (one country, one publication time) becomes one item with
its level in the item's tags, and with its own assessment (the country, no
label scores): advisories are official statements, not news for the classifier.
The signal is the change of level between two stored versions, worked out by
:mod:`warning.alerting.rules.advisory`. docs/advisories.md describes the formats, the
country-code mapping and the FCDO level mapping.

The feeds' own quirks, handled here:

- **US** (``travel.state.gov/_res/rss/TAsTWs.xml``, RSS 2.0): one item per
  country, the current advisory. The level is a ``<category
  domain="Threat-Level">Level 4: Do Not Travel</category>`` (also in the
  title, ``Mali - Level 4: Do Not Travel``); the country a ``<category
  domain="Country-Tag">`` in the Department's own code set: FIPS 10-4 (``NI``
  is Nigeria, ``NG`` Niger, ``UV`` Burkina Faso, ``IV`` Côte d'Ivoire) plus a
  few codes of its own (``A1``, ``A2``, ``A3``). Some items carry no code
  (Hong Kong, Macau) and the country comes from the title's name. Older copies
  of the feed give the categories without ``domain`` attributes.
- **UK** (``www.gov.uk/foreign-travel-advice/<country>.atom``, Atom 1.0, or the
  index ``foreign-travel-advice.atom``): one entry per country with its change
  description as summary; the country is the slug of the entry's link. The
  FCDO has no numeric levels: "advises against all travel" is level 4 and
  "advises against all but essential travel" level 3 (to the whole country or
  parts of it). A change description that states no advice (most of them: an
  entry-requirements update) gives a version without a level: stored, but no
  level to compare.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from ..errors import ParseError
from ..geo.countries import records as country_records
from ..geo.fips import fips_to_iso
from ..records import Assessment, CountryScore, FetchResult, GeoTag, Item, ParseResult
from ..settings import option
from .base import Source
from .caps import DEFAULT_CAPS, CapOptions, Clipper, caps_of, newest_entries
from .xmlfeeds import entry_time, read_feed, utc_datetime

__all__ = [
    "MODEL",
    "PUBLISHERS",
    "AdvisoryOptions",
    "TravelAdvisorySource",
    "country_from_name",
    "fcdo_level",
    "parse_advisories",
    "us_code_to_iso",
]

#: The "model" recorded with every advisory assessment (no classifier is involved).
MODEL = "advisory-1"
#: Publishers this kind understands, as written in item guids and tags.
PUBLISHERS = ("us", "uk")


def _publisher(value: Any) -> str | None:
    if value is None:
        return None
    if value not in PUBLISHERS:
        raise ValueError(
            f"unknown publisher {value!r}; us (US State Department RSS) or uk (UK FCDO Atom), "
            "or leave it out to tell from the feed (RSS is us, Atom is uk)"
        )
    return str(value)


@dataclass(frozen=True, slots=True)
class AdvisoryOptions(CapOptions):
    """Keys of the ``travel-advisory`` kind beyond the common feed keys (and the caps)."""

    #: ``us`` or ``uk``; None tells from the document (RSS is the US feed, Atom the FCDO's).
    publisher: str | None = option(None, parse=_publisher)


class TravelAdvisorySource(Source):
    """``kind: travel-advisory``: US State Department or UK FCDO advisories, an item a version."""

    kind: ClassVar[str] = "travel-advisory"
    Options: ClassVar[type] = AdvisoryOptions

    def parse(self, fetched: FetchResult) -> ParseResult:
        """Items and assessments of a fetched body; an unchanged (304) fetch has none."""
        if fetched.status == "not_modified":
            return ParseResult(items=())
        options = self.feed.options
        publisher = options.publisher if isinstance(options, AdvisoryOptions) else None
        return parse_advisories(
            fetched.body,
            feed=self.feed.name,
            outlet=self.feed.outlet,
            base_url=fetched.final_url or fetched.url,
            publisher=publisher,
            caps=caps_of(options),
        )


def parse_advisories(
    body: bytes,
    *,
    feed: str,
    outlet: str,
    base_url: str,
    publisher: str | None = None,
    caps: CapOptions = DEFAULT_CAPS,
) -> ParseResult:
    """Parse a US State Department RSS or FCDO Atom body into advisory items.

    ``publisher`` is ``us`` or ``uk``; None tells from the document. Entries
    without a usable country (or, for the US, level or date) are skipped,
    counted in ``entries_skipped`` and summed up in one warning. The caps of
    caps.py apply as for RSS, with a warning for what they cut. Raises
    UnsafeFeed for entity declarations and ParseError when no entry is usable.
    """
    try:
        return _parse(bytes(body), feed, outlet, base_url, publisher, caps)
    except ParseError:
        raise
    except Exception as exc:  # a crash on one feed must not take the cycle down
        raise ParseError(
            f"advisory feed could not be parsed ({type(exc).__name__}: {exc})",
            "the body may be corrupt; if this persists, report it with the saved body",
        ) from exc


@dataclass(frozen=True, slots=True)
class _Skip:
    """Why one entry was skipped: a reason (the key of _REASONS) and a detail (a code)."""

    reason: str
    detail: str = ""


_REASONS = {
    "country": "without a country",
    "code": "with an unknown country code",
    "page": "whose page names no known country",
    "disagree": "whose country code and title name different countries",
    "level": "without an advisory level",
    "date": "without a date",
    "error": "that could not be read",
}


def _parse(
    body: bytes, feed: str, outlet: str, base_url: str, publisher: str | None, caps: CapOptions
) -> ParseResult:
    parsed, entries, warnings = read_feed(body)
    version = parsed.get("version") or ""
    if publisher is None:
        publisher = (
            "uk" if version.startswith("atom") else "us" if version.startswith("rss") else ""
        )
    if publisher not in PUBLISHERS:
        raise ParseError(
            "the document is neither the US State Department's RSS nor an FCDO Atom feed",
            "check the url; set `publisher: us` or `publisher: uk` on the feed if it is one",
        )
    if not entries:
        raise ParseError(
            "the advisory feed holds no entries",
            "an advisory feed always lists at least one country; check the url",
        )
    entries, dropped = newest_entries(entries, caps.max_items, entry_time)
    clip = Clipper(caps)
    feed_link = _feed_link(parsed.get("feed") or {})
    items: list[Item] = []
    assessments: list[Assessment | None] = []
    skipped: list[_Skip] = []
    for entry in entries:
        try:
            got = (
                _us_entry(entry, feed, outlet, base_url, clip)
                if publisher == "us"
                else _uk_entry(entry, feed, outlet, base_url, feed_link, clip)
            )
        except Exception as exc:  # one odd entry must not lose the others
            got = _Skip("error", f"{type(exc).__name__}: {exc}")
        if isinstance(got, _Skip):
            skipped.append(got)
            continue
        item, country = got
        items.append(item)
        assessments.append(
            Assessment(geo=GeoTag(countries=(CountryScore(country, 1.0),)), model=MODEL)
        )
    if skipped:
        summary = _summarise(skipped, len(entries))
        if not items:
            raise ParseError(
                f"no usable advisory in the feed: {summary}",
                "the publisher may have changed its format; compare the feed with "
                "docs/advisories.md",
            )
        warnings.append(summary)
    warnings += clip.warnings()
    if dropped:
        warnings.append(dropped)
    return ParseResult(
        items=tuple(items),
        warnings=tuple(warnings),
        entries_skipped=len(skipped),
        assessments=tuple(assessments),
    )


def _summarise(skipped: list[_Skip], total: int) -> str:
    """``2 of 9 entries skipped: 1 without a country, 1 with an unknown country code (QQ)``."""
    counts = Counter(s.reason for s in skipped)
    parts = []
    for reason, label in _REASONS.items():
        if not counts[reason]:
            continue
        details = list(dict.fromkeys(s.detail for s in skipped if s.reason == reason and s.detail))
        shown = (
            f" ({', '.join(details[:5])}{', ...' if len(details) > 5 else ''})" if details else ""
        )
        parts.append(f"{counts[reason]} {label}{shown}")
    return f"{len(skipped)} of {total} entries skipped: {', '.join(parts)}"


# --- the US State Department --------------------------------------------------------

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


def _us_entry(
    entry: dict[str, Any], feed: str, outlet: str, base_url: str, clip: Clipper
) -> tuple[Item, str] | _Skip:
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
        return _Skip("disagree", f"{code}: {by_code} by code, {by_name} by title")
    country = by_code or by_name
    if country is None:
        return _Skip("code", code) if code else _Skip("country")
    level_texts = [t for s, t in tags if s == "threat-level"] or [t for _, t in tags] + [title]
    level = next((int(m.group(1)) for t in level_texts if (m := _LEVEL.search(t))), None)
    if level is None:
        return _Skip("level")
    published = utc_datetime(get(entry, "published_parsed") or get(entry, "updated_parsed"))
    if published is None:
        return _Skip("date")
    summary = _first_paragraph(str(get(entry, "summary") or ""), clip)
    return _item("us", country, level, published, title, summary, entry, feed, outlet, base_url)


def _first_paragraph(html: str, clip: Clipper) -> str:
    for chunk in _PARAGRAPH_END.split(html):
        text = clip.summary(chunk, html=True)
        if text:
            return text
    return ""


# --- the UK FCDO --------------------------------------------------------------------

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


def _uk_entry(
    entry: dict[str, Any],
    feed: str,
    outlet: str,
    base_url: str,
    feed_link: str | None,
    clip: Clipper,
) -> tuple[Item, str] | _Skip:
    get = dict.get
    title = clip.title(str(get(entry, "title") or ""), html=False)
    link = _http_link(entry, base_url) or feed_link
    country = None
    slug = None
    for candidate in (link, feed_link):
        m = _SLUG.search(urlsplit(candidate).path) if candidate else None
        if m is not None:
            slug = m.group(1)
            country = country_from_name(slug)
            break
    if country is None and title:
        country = country_from_name(re.sub(r"\s+travel advice$", "", title, flags=re.IGNORECASE))
    if country is None:
        return _Skip("page", slug) if slug else _Skip("country")
    updated = utc_datetime(get(entry, "updated_parsed") or get(entry, "published_parsed"))
    if updated is None:
        return _Skip("date")
    detail = get(entry, "summary_detail")
    kind = str(get(detail, "type") or "text/html") if detail else "text/html"
    summary = clip.summary(str(get(entry, "summary") or ""), html="html" in kind)
    level = fcdo_level(summary)
    return _item("uk", country, level, updated, title, summary, entry, feed, outlet, base_url, link)


def _http_link(entry: dict[str, Any], base_url: str) -> str | None:
    """The entry's page, absolute; None without one (an Atom ``tag:`` id is no page)."""
    raw = dict.get(entry, "link")
    if not isinstance(raw, str) or not raw.strip():
        return None
    link = urljoin(base_url, raw.strip())
    return link if link[:8].lower().startswith(("http://", "https://")) else None


def _feed_link(info: dict[str, Any]) -> str | None:
    """The feed's own page (a country feed's is the country's advice page)."""
    for link in info.get("links") or ():
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    feed_id = info.get("id")
    return str(feed_id) if isinstance(feed_id, str) and "://" in feed_id else None


# --- shared ---------------------------------------------------------------------------


def _item(
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
    if link is None:
        link = _http_link(entry, base_url)
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


# --- country names -------------------------------------------------------------------

#: Names (as slugs, see _slug) the publishers use that ISO 3166 spells otherwise.
_ALIASES = {
    "bolivia": "BO",
    "brunei": "BN",
    "burma": "MM",
    "burma-myanmar": "MM",
    "cape-verde": "CV",
    "congo": "CG",
    "czech-republic": "CZ",
    "democratic-republic-of-congo": "CD",
    "democratic-republic-of-the-congo": "CD",
    "drc": "CD",
    "east-timor": "TL",
    "iran": "IR",
    "israel-the-west-bank-and-gaza": "IL",
    "ivory-coast": "CI",
    "kosovo": "XK",
    "laos": "LA",
    "macau": "MO",
    "micronesia": "FM",
    "moldova": "MD",
    "north-korea": "KP",
    "occupied-palestinian-territories": "PS",
    "palestine": "PS",
    "pitcairn-island": "PN",
    "republic-of-congo": "CG",
    "republic-of-the-congo": "CG",
    "russia": "RU",
    "sint-maarten": "SX",
    "south-korea": "KR",
    "st-maarten": "SX",
    "st-martin": "MF",
    "swaziland": "SZ",
    "syria": "SY",
    "taiwan": "TW",
    "tanzania": "TZ",
    "turkey": "TR",
    "united-states": "US",
    "usa": "US",
    "vatican-city": "VA",
    "venezuela": "VE",
    "vietnam": "VN",
}

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SAINT = re.compile(r"\bsaint\b")


def _slug(text: str) -> str:
    """``"Côte d’Ivoire"`` -> ``"cote-d-ivoire"``; ``"The Gambia"`` -> ``"gambia"``."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower().replace("&", " and ")
    text = _SAINT.sub("st", _NOT_SLUG.sub("-", text).strip("-"))
    return text[4:] if text.startswith("the-") else text


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    out: dict[str, str] = {}
    for country in country_records():
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if name:
                out.setdefault(_slug(name), country.alpha_2)
    out.update(_ALIASES)
    return out


def country_from_name(name: str) -> str | None:
    """ISO code of a country name or gov.uk slug (``Burkina Faso``, ``cote-d-ivoire``), or None.

    Exact names only (ISO names, common and official names, and the publishers'
    own spellings): a near miss is None, never a guess.
    """
    key = _slug(name)
    return _names().get(key) if key else None
