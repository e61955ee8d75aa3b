"""Elements as feedparser names them, and what the fast path does with each.

The tables the reader (reader.py) consults: feedparser 6's namespace prefixes, the
elements it has rules for, and which of them the fast path reads, skips or refuses
(the rule in the package docstring, point 5); with feedparser's way of keying
attributes and its last touches on text. Built from feedparser's own tables where it
has them, so that an upgrade that changes them fails tests/test_fastfeed.py.
"""

from __future__ import annotations

import contextlib
import re

from feedparser.api import StrictFeedParser
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin


class Unsupported(Exception):
    """The body is outside the fast path's rule: feedparser reads it."""


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# feedparser's namespace table, by lower-cased URI; and its content types that are HTML.
PREFIXES: dict[str, str] = {uri.lower(): p for uri, p in _FeedParserMixin.namespaces.items()}
HTML_TYPES = frozenset(_FeedParserMixin.html_types)
map_type = _FeedParserMixin.map_content_type
looks_like_html = _FeedParserMixin.looks_like_html
#: Every element name feedparser has a start or end rule for.
HANDLED = frozenset(
    n.split("_", 2)[2] for n in dir(StrictFeedParser) if n.startswith(("_start_", "_end_"))
)
#: Elements with a rule that leaves the keys we read alone, skipped inside an entry.
ENTRY_SKIPPED = _names(
    """author name email uri url homepage contributor category keywords enclosure rights
    copyright dc_creator dc_author dc_subject dc_rights dc_publisher language created
    expirationdate width height managingeditor webmaster generator tags cc_license
    creativecommons_license media_content media_thumbnail media_credit media_group
    media_keywords media_category media_rating media_license media_restriction
    media_player"""
)
#: Text elements read directly under an entry (media:description is read at any depth).
ENTRY_TEXT = _names(
    """title link description summary content content_encoded guid id pubdate published
    updated dc_date source"""
)
#: Keys rss.py reads that an element without a rule would overwrite by its name.
READ_KEYS = frozenset({"title_detail", "summary_detail", "published_parsed", "updated_parsed"})
#: Feed-level elements that leave state behind for the first entry, or misplaced entries.
FEED_REFUSED = _names(
    """summary content content_encoded fullitem body xhtml_body itunes_summary source
    item entry channel feed rss"""
)
#: Elements feedparser reads as content: markup inside one makes it run end rules of
#: elements it never started (and unbalance its content state), so they hold text only.
CONTENT_NAMES = _names(
    """title subtitle tagline rights copyright description abstract info summary content
    body xhtml_body content_encoded fullitem feedburner_browserfriendly dc_title
    dc_description dc_rights itunes_subtitle itunes_summary media_title
    media_description"""
)
PLAIN_OR_HTML = frozenset({"text/plain", "text/html"})
ENTITY_LIKE = re.compile("&([A-Za-z0-9_]+);")
_C1_CONTROLS = re.compile("[\x80-\x9f]")  # what feedparser's _cp1252 table maps


def attributes(attrs: dict[str, str]) -> dict[str, str]:
    """An element's attributes keyed as feedparser keys them."""
    out: dict[str, str] = {}
    for raw, value in attrs.items():
        uri, _, local = raw.rpartition(" ")
        prefix = PREFIXES.get(uri.lower(), "") if uri else ""
        out[(f"{prefix}:{local}" if prefix else local).lower()] = value
    for raw, value in attrs.items():  # the strict parser adds each by its bare name too
        out[raw.rpartition(" ")[2].lower()] = value
    for key in ("rel", "type"):
        if key in out:
            out[key] = out[key].lower()
    return out


def repaired(value: str) -> str:
    """feedparser's last touches on text: UTF-8 read as Latin-1 undone, cp1252 controls mapped."""
    if value.isascii():
        return value
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("iso-8859-1").decode("utf-8")
    # str.translate walks every character in Python's slow path: only when one is there.
    return value.translate(_cp1252) if _C1_CONTROLS.search(value) else value
