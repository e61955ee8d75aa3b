"""GDELT Global Knowledge Graph 2.x rows as news items (``kind: gdelt-gkg``).

A GKG row describes one news article GDELT read: its URL, its outlet, the themes
and locations GDELT found in it and, since 2019 or so, its title (in the Extras
field's ``<PAGE_TITLE>``). Each row with a title becomes an ordinary news item: the
title goes through geotagging and the classifier like an RSS headline. GDELT's own
findings are kept beside it as tags: the themes that bear on our labels
(``theme:ELECTION_FRAUD``) and the countries of its locations (``location:NE``,
FIPS 10-4 converted to ISO). The item's URL key is the article's canonical URL, so
an article seen both in a feed and in the GKG is stored once. Fetching (a file, a
zip of one, or ``lastupdate.txt``) is shared with the events kind (fetching.py);
docs/gdelt.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from ...errors import ParseError
from ...geo.countries import parse_filter
from ...geo.fips import fips_to_iso
from ...normalize import canonical_url, lang_code
from ...records import FetchResult, Item, ParseResult
from ...settings import option
from ..caps import DEFAULT_CAPS, Clipper
from .fetching import GdeltSource
from .options import GdeltCaps
from .rows import BadRow, read_rows, timestamp

__all__ = ["GKG_COLUMNS", "KEPT_THEMES", "GdeltGkgSource", "GkgOptions", "parse_gkg"]

GKG_COLUMNS = 27

#: GKG themes kept as tags, by the label they bear on (docs/gdelt.md). Names as GDELT
#: spells them ("SEIGE" is GDELT's spelling); the GKG has no theme for a coup as such.
THEMES_BY_LABEL: dict[str, tuple[str, ...]] = {
    "coup": ("GOV_DISSOLVEGOV", "MILITARY", "REBELLION", "TREASON", "POLITICAL_TURMOIL"),
    "election_dispute": ("ELECTION_FRAUD",),
    "attack": (
        "ARMEDCONFLICT", "ASSASSINATION", "EXTREMISM", "INSURGENCY", "JIHAD", "KIDNAP",
        "KILL", "LANDMINE", "REBELS", "SEIGE", "SELF_IDENTIFIED_ATROCITY", "SUICIDE_ATTACK",
        "TERROR", "WOUND",
    ),
    "unrest": (
        "BLOCKADE", "CURFEW", "INTERNET_BLACKOUT", "PROTEST", "STATE_OF_EMERGENCY", "STRIKE",
        "VIOLENT_UNREST",
    ),
}  # fmt: skip
KEPT_THEMES = frozenset(t for themes in THEMES_BY_LABEL.values() for t in themes)
#: Theme families kept whole: UNREST_POLICEBRUTALITY, TAX_TERROR_GROUP_BOKO_HARAM, ...
KEPT_PREFIXES = ("UNREST_", "TAX_TERROR_GROUP")

# Column positions (0-based), from the GKG 2.1 codebook.
_ID, _DATE, _COLLECTION, _OUTLET, _DOCUMENT = 0, 1, 2, 3, 4
_V1_THEMES, _V2_THEMES, _V1_LOCATIONS, _V2_LOCATIONS = 7, 8, 9, 10
_TRANSLATION, _EXTRAS = 25, 26
_SOURCE_LANG = re.compile(r"srclc:([A-Za-z]{2,3})")


@dataclass(frozen=True, slots=True)
class GkgOptions(GdeltCaps):
    """Keys of a ``gdelt-gkg`` feed beyond the common ones (docs/configuration.md)."""

    #: Keep only rows with a location in one of these countries; empty: all rows.
    countries: tuple[str, ...] = option((), parse=parse_filter)


class GdeltGkgSource(GdeltSource):
    """GDELT GKG 2.x files: article titles as news items, with GDELT's themes and places as tags."""

    kind: ClassVar[str] = "gdelt-gkg"
    Options: ClassVar[type] = GkgOptions
    index_suffix: ClassVar[str] = ".gkg.csv.zip"
    news: ClassVar[bool] = True  # titles the pipeline assesses, as an RSS feed's

    def parse_body(self, fetched: FetchResult) -> ParseResult:
        """The titled articles of a changed GKG file."""
        return parse_gkg(
            self._unpacked(fetched),
            feed=self.feed.name,
            outlet=self.feed.outlet,
            lang=self.feed.lang,
            options=self.options_as(GkgOptions),
        )


def parse_gkg(
    body: bytes,
    *,
    feed: str,
    outlet: str = "gdelt",
    lang: str | None = None,
    options: GkgOptions = GkgOptions(),
) -> ParseResult:
    """Items of the GKG rows that carry a page title; no assessments (they are news).

    Rows without a title (older GKG files have none) are skipped and counted, as are
    malformed rows; one warning sums both up. ParseError when no row is well-formed.
    """
    clip = Clipper(DEFAULT_CAPS, settable=False)
    rows = read_rows(body, lambda cols: _article(cols, feed, outlet, lang, options, clip))
    if rows.total == rows.problems.total() - rows.problems["no page title"]:
        raise ParseError(
            "no GDELT GKG row could be read"
            + (f" ({rows.first})" if rows.first else ": the body is empty"),
            f"check that the url serves a GDELT GKG 2.x file ({GKG_COLUMNS} tab-separated columns)",
        )
    return ParseResult(
        items=tuple(rows.kept),
        warnings=rows.warnings() + tuple(clip.warnings()),
        entries_skipped=rows.problems.total(),
    )


def _article(
    cols: list[str],
    feed: str,
    default_outlet: str,
    hint: str | None,
    options: GkgOptions,
    clip: Clipper,
) -> Item | None:
    """One row as an item; None when filtered out. BadRow when malformed or untitled."""
    if len(cols) != GKG_COLUMNS:
        raise BadRow("wrong column count", f"{len(cols)} column(s), expected {GKG_COLUMNS}")
    record = cols[_ID].strip()
    if not record:
        raise BadRow("no record id", "GKGRECORDID is empty")
    published = timestamp(cols[_DATE], "DATE")
    title = clip.title(_page_title(cols[_EXTRAS]), html=True)
    if not title:
        raise BadRow(
            "no page title", f"record {record} has no <PAGE_TITLE> (older GKG files have none)"
        )
    countries = _locations(cols[_V2_LOCATIONS] or cols[_V1_LOCATIONS])
    if options.countries and not any(c in options.countries for c in countries):
        return None
    document = cols[_DOCUMENT].strip()
    link = clip.link(document if document[:8].lower().startswith(("http://", "https://")) else None)
    source_lang = _SOURCE_LANG.search(cols[_TRANSLATION])
    themes = _themes(cols[_V2_THEMES], cols[_V1_THEMES])
    return Item(
        feed=feed,
        outlet=_outlet(cols[_OUTLET]) or default_outlet,
        title=title,
        summary="",
        link=link,
        published=published,
        lang=lang_code(source_lang.group(1)) if source_lang else lang_code(hint),
        guid_key=f"gkg:{record}",
        url_key=canonical_url(link),
        content_hash=None,  # a title alone is too short to tell two articles apart
        tags=tuple(f"theme:{t}" for t in themes) + tuple(f"location:{c}" for c in countries),
    )


def _page_title(extras: str) -> str:
    """The Extras field's ``<PAGE_TITLE>`` text, raw; "" without one.

    Two finds rather than a lazy regex, which would rescan the rest of the field
    from every further opening tag when the closing one is missing.
    """
    start = extras.find("<PAGE_TITLE>")
    if start < 0:
        return ""
    start += len("<PAGE_TITLE>")
    end = extras.find("</PAGE_TITLE>", start)
    return extras[start:end] if end >= 0 else ""


def _themes(v2: str, v1: str) -> list[str]:
    """Kept theme names, first-mentioned first: V2 ("THEME,offset;...") or V1 ("THEME;...")."""
    kept: dict[str, None] = {}
    for entry in (v2 or v1).split(";"):
        name = entry.split(",", 1)[0]
        if name in KEPT_THEMES or name.startswith(KEPT_PREFIXES):
            kept[name] = None
    return list(kept)


def _locations(field: str) -> list[str]:
    """ISO countries of the locations ("type#name#FIPS#...;..."), first-mentioned first."""
    found: dict[str, None] = {}
    for entry in field.split(";"):
        parts = entry.split("#")
        if len(parts) > 2:
            code = fips_to_iso(parts[2])
            if code:
                found[code] = None
    return list(found)


def _outlet(name: str) -> str:
    return name.strip().lower().removeprefix("www.")
