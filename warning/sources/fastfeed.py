"""A fast path for plain, well-formed RSS 2.0 and Atom 1.0: expat directly, no feedparser.

feedparser reads every dialect, encoding and breakage there is, at about 5,000 headline
items a second; most feeds we poll are plain RSS 2.0 or Atom 1.0 in UTF-8, which expat
alone reads several times faster. :func:`read_plain_feed` reads those and builds the
entry dictionaries feedparser 6 would build — for the keys rss.py reads (``title``,
``title_detail``, ``summary``, ``summary_detail``, ``content``, ``link``, ``id``,
``published_parsed``, ``updated_parsed``) and the feed's ``language`` — by feedparser's own
rules, using its own helpers for dates, links, guessing HTML in plain-text fields and
repairing double-encoded text. rss.py turns either kind of entry into items the same way,
so caps and normalisation are shared. The helpers and tables are feedparser 6's own
(imported, not copied), and tests/test_fastfeed.py holds both paths equal, item by item, on
feedparser's corpus, real news feeds, generated and written cases: an upgrade of feedparser
that changes its rules fails those tests rather than drifting silently.

The rule. The fast path reads a body only when all of these hold; otherwise it returns
None and feedparser reads the body, under the guards of xmlfeeds.py:

1. UTF-8: no UTF-16/32 byte-order mark or NUL bytes at the start, the body decodes as
   UTF-8, and the XML declaration, if any, declares UTF-8 or no encoding (read both as
   expat reads it and as feedparser's own pattern does).
2. Well-formed XML (expat, with namespaces) without any DOCTYPE: the parse stops at a
   DOCTYPE's first byte, before any entity could be declared, so nothing is ever expanded
   (xmlfeeds.refuse_entities then refuses an entity declaration, as before); an undeclared
   entity is an XML error.
3. RSS 2.0 — a root ``rss`` whose ``version`` starts with "2." (feedparser's ``rss20``) and
   one ``channel`` holding every ``item`` directly — or Atom 1.0 (``atom10``: ``entry``
   directly under ``feed``). RSS 0.9x, RSS 1.0 (RDF), Atom 0.3 and CDF go to feedparser.
4. No ``xml:base`` (nor ``base``) attribute anywhere: relative links are then left as they
   are and resolved by rss.py against the feed's URL, exactly as on the feedparser path.
5. Each element is judged by the name feedparser dispatches on (the namespace's usual
   prefix + local name, lower-cased; ``media:title`` is ``media_title``):

   - Read, directly under an entry, holding text only (a child element sends the body to
     feedparser): title, link, description, summary, content, content:encoded, guid, id,
     pubDate, published, updated, dc:date and RSS source (which only resets which title
     counts); media:description at any depth below the entry. Their ``type`` is text or
     html (never xhtml), with no ``mode`` or ``src`` attribute (no base64, no remote
     content). An Atom link without ``href`` goes to feedparser.
   - Skipped inside an entry: author, category, enclosure, rights and the like, and
     media:content, media:thumbnail and the other media elements except media:title; any
     element feedparser has no rule for, unless its name is a key we read.
   - Any other element feedparser has a rule for, inside an entry (media:title,
     itunes:*, dc:title, dc:language, image, xhtml:body, …), sends the body to feedparser.
   - At any level, an element feedparser reads as content (title, description, summary,
     rights, subtitle, …) holds text only: markup inside one makes feedparser run end rules
     of elements it never started.
   - Feed level: language or dc:language directly under the channel (or Atom feed) sets
     the feed's language, as does ``xml:lang`` on the root; summary- and content-like
     elements (which would leak into the first entry) and misplaced entries send the body
     to feedparser; the rest is skipped.

Every case of feedparser's own behaviour that shapes these keys is kept: the first
non-empty title wins; a second description (or a media:description after the description)
becomes content, a deeper one never overrides the summary's text, but a summary-mode one
still replaces ``summary_detail``; a permalink guid is the link when no link came before;
an Atom ``id`` counts as a permalink guid; a plain-text RSS field that looks like HTML is
HTML; ``xml:lang`` is inherited.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from feedparser.api import StrictFeedParser
from feedparser.datetimes import _parse_date
from feedparser.encodings import RE_XML_PI_ENCODING
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin

__all__ = ["PlainFeed", "read_plain_feed"]


@dataclass(frozen=True, slots=True)
class PlainFeed:
    """A plain feed's entries, shaped as feedparser's, and the feed's own language."""

    entries: list[dict[str, Any]]
    language: str | None


def read_plain_feed(body: bytes) -> PlainFeed | None:
    """The feed in ``body`` when it is plain RSS 2.0 or Atom 1.0 (module docstring); else None.

    None means "let feedparser read it", never "no feed": malformed or unusual bodies,
    and any failure of this path itself, are feedparser's to judge and report.
    """
    head = body[:4]
    if head[:2] in (b"\xfe\xff", b"\xff\xfe") or b"\x00" in head:
        return None  # UTF-16/32: feedparser's
    start = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    declared = RE_XML_PI_ENCODING.match(body, start)  # the encoding feedparser would pick
    if declared is not None and declared.group(1).lower() != b"utf-8":
        return None
    try:
        body.decode("utf-8")  # what feedparser checks before it hands the body to expat
    except UnicodeDecodeError:
        return None
    try:
        return _Reader().read(body)
    except Exception:  # expat's errors, our _Unsupported, and anything unforeseen
        return None


class _Unsupported(Exception):
    """The body is outside the fast path's rule: feedparser reads it."""


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# feedparser's namespace table, by lower-cased URI; and its content types that are HTML.
_PREFIXES: dict[str, str] = {uri.lower(): p for uri, p in _FeedParserMixin.namespaces.items()}
_HTML_TYPES = frozenset(_FeedParserMixin.html_types)
_map_type = _FeedParserMixin.map_content_type
_looks_like_html = _FeedParserMixin.looks_like_html
#: Every element name feedparser has a start or end rule for.
_HANDLED = frozenset(
    n.split("_", 2)[2] for n in dir(StrictFeedParser) if n.startswith(("_start_", "_end_"))
)
#: Elements with a rule that leaves the keys we read alone, skipped inside an entry.
_ENTRY_SKIPPED = _names(
    """author name email uri url homepage contributor category keywords enclosure rights
    copyright dc_creator dc_author dc_subject dc_rights dc_publisher language created
    expirationdate width height managingeditor webmaster generator tags cc_license
    creativecommons_license media_content media_thumbnail media_credit media_group
    media_keywords media_category media_rating media_license media_restriction
    media_player"""
)
#: Text elements read directly under an entry (media:description is read at any depth).
_ENTRY_TEXT = _names(
    """title link description summary content content_encoded guid id pubdate published
    updated dc_date source"""
)
#: Keys rss.py reads that an element without a rule would overwrite by its name.
_READ_KEYS = frozenset({"title_detail", "summary_detail", "published_parsed", "updated_parsed"})
#: Feed-level elements that leave state behind for the first entry, or misplaced entries.
_FEED_REFUSED = _names(
    """summary content content_encoded fullitem body xhtml_body itunes_summary source
    item entry channel feed rss"""
)
#: Elements feedparser reads as content: markup inside one makes it run end rules of
#: elements it never started (and unbalance its content state), so they hold text only.
_CONTENT_NAMES = _names(
    """title subtitle tagline rights copyright description abstract info summary content
    body xhtml_body content_encoded fullitem feedburner_browserfriendly dc_title
    dc_description dc_rights itunes_subtitle itunes_summary media_title
    media_description"""
)
_PLAIN_OR_HTML = frozenset({"text/plain", "text/html"})
_ENTITY_LIKE = re.compile("&([A-Za-z0-9_]+);")
_C1_CONTROLS = re.compile("[\x80-\x9f]")  # what feedparser's _cp1252 table maps

# What an open element is, for its end.
(_SKIP, _SKIP_TEXT, _ROOT, _CHANNEL, _ENTRY, _FEED_LANG, _TITLE, _SUMMARY, _CONTENT, _LINK_TEXT,
 _LINK_HREF, _GUID, _PUBLISHED, _UPDATED, _SOURCE) = range(15)  # fmt: skip


class _Reader:
    """One parse: expat's callbacks keep feedparser's state for the keys we read."""

    def __init__(self) -> None:
        self.version = ""
        self.atom = False
        self.in_use: dict[str, str] = {}  # feedparser's namespaces_in_use
        self.prefix_map: dict[str | None, str] = {}  # feedparser's namespacemap
        self.names: dict[str, str] = {}
        self.stack: list[tuple[str, int]] = []  # (name, kind) of each open element
        self.langs: list[str | None] = []
        self.lang: str | None = None
        self.language: str | None = None
        self.entries: list[dict[str, Any]] = []
        self.entry: dict[str, Any] | None = None
        self.entry_depth = 0
        self.channels = 0
        self.text: list[str] | None = None  # pieces of the open text element
        self.params: dict[str, Any] = {}  # type and language of the open text element
        self.title_depth = -1
        self.has_content = False
        self.guid_is_link = False
        self.depths: dict[str, int] = {}

    def read(self, body: bytes) -> PlainFeed | None:
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.namespace_prefixes = False
        parser.buffer_text = True
        parser.buffer_size = 1 << 16
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.XmlDeclHandler = _xml_declaration
        parser.StartDoctypeDeclHandler = _refuse
        parser.EntityDeclHandler = _refuse
        parser.StartNamespaceDeclHandler = self._namespace
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._data
        parser.Parse(body, True)
        if not self.version:
            return None
        return PlainFeed(self.entries, self.language)

    # --- names, as feedparser's strict parser derives them ------------------------

    def _namespace(self, prefix: str | None, uri: str) -> None:
        if not uri:
            return
        self.names.clear()  # a prefix may now mean something else
        lower = uri.lower()
        if not self.version:
            if prefix is None and lower == "http://my.netscape.com/rdf/simple/0.9/":
                self.version = "rss090"
            elif lower == "http://purl.org/rss/1.0/":
                self.version = "rss10"
            elif lower == "http://www.w3.org/2005/atom":
                self.version = "atom10"
        if "backend.userland.com/rss" in lower:
            uri = lower = "http://backend.userland.com/rss"
        known = _PREFIXES.get(lower)
        if known is not None:
            self.prefix_map[prefix] = known
            self.in_use[known] = uri
        else:
            self.in_use[prefix or ""] = uri

    def _name(self, raw: str) -> str:
        name = self.names.get(raw)
        if name is not None:
            return name
        uri, _, local = raw.rpartition(" ")
        tag = local.lower()
        if uri:
            lower = uri.lower()
            if "backend.userland.com/rss" in lower:
                uri = lower = "http://backend.userland.com/rss"
            prefix = _PREFIXES.get(lower)
            if prefix is None:  # an unknown namespace: the first prefix bound to it
                prefix = next((p for p, u in self.in_use.items() if p and u == uri), "")
            if prefix:
                tag = f"{prefix}:{local}".lower()
        prefix, colon, suffix = tag.partition(":")
        if colon:
            prefix = self.prefix_map.get(prefix, prefix)
            name = f"{prefix}_{suffix}" if prefix else suffix
        else:
            name = tag
        self.names[raw] = name
        return name

    # --- elements ------------------------------------------------------------------

    def _start(self, raw: str, attrs: dict[str, str]) -> None:
        if self.text is not None:
            raise _Unsupported  # markup inside a text field: feedparser's inline-content rules
        name = self._name(raw)
        lang = self.lang
        a = _attributes(attrs) if attrs else {}
        if a:
            if a.get("xml:base", a.get("base")):
                raise _Unsupported
            own = a.get("xml:lang", a.get("lang"))
            lang = None if own == "" else own if own is not None else lang
        self.langs.append(lang)
        self.lang = lang
        depth = len(self.stack) + 1
        if self.entry is not None:
            kind = self._entry_element(name, a, depth)
        elif depth == 1:
            kind = self._root(name, a, lang)
        else:
            kind = self._feed_element(name, a, depth)
        self.stack.append((name, kind))

    def _root(self, name: str, a: dict[str, str], lang: str | None) -> int:
        if name == "rss" and not self.version.startswith("rss"):
            if not a.get("version", "").startswith("2."):
                raise _Unsupported  # RSS 0.9x, or no version
            self.version = "rss20"
        elif name != "feed" or self.version != "atom10":
            raise _Unsupported
        self.atom = name == "feed"
        if lang:
            self.language = lang.replace("_", "-")
        return _ROOT

    def _feed_element(self, name: str, a: dict[str, str], depth: int) -> int:
        parent = self.stack[-1][1]
        if not self.atom and depth == 2:
            if name != "channel" or self.channels or "lastmod" in a or "href" in a:
                raise _Unsupported
            self.channels += 1
            return _CHANNEL
        if parent == _CHANNEL and not self.atom and name == "item" and depth == 3:
            return self._start_entry(a, depth)
        if parent == _ROOT and self.atom and name == "entry":
            return self._start_entry(a, depth)
        if name == "language" or name == "dc_language":
            if parent not in (_CHANNEL, _ROOT):
                raise _Unsupported
            self._open_text({})
            return _FEED_LANG
        if name in _FEED_REFUSED:
            raise _Unsupported
        return self._skip(name)

    def _skip(self, name: str) -> int:
        if name in _CONTENT_NAMES:
            self._open_text({})
            return _SKIP_TEXT
        return _SKIP

    def _start_entry(self, a: dict[str, str], depth: int) -> int:
        if "rdf:about" in a or "lastmod" in a or "href" in a:
            raise _Unsupported
        self.entry = {}
        self.entries.append(self.entry)
        self.entry_depth = depth
        self.guid_is_link = False
        self.title_depth = -1
        self.depths = {}
        return _ENTRY

    def _entry_element(self, name: str, a: dict[str, str], depth: int) -> int:
        if name in _ENTRY_TEXT:
            if depth != self.entry_depth + 1:
                raise _Unsupported
        elif name == "media_description":
            pass
        elif name in _ENTRY_SKIPPED or (name not in _HANDLED and name not in _READ_KEYS):
            return self._skip(name)
        else:
            raise _Unsupported
        if "mode" in a or "src" in a:
            raise _Unsupported  # base64 or remote content
        if name == "title":
            self._open_text(a, "text/plain")
            return _TITLE
        if name in ("description", "media_description", "summary"):
            default = "text/plain" if name == "summary" else "text/html"
            if "summary" in self.entry and not self.has_content:  # type: ignore[operator]
                self.has_content = True  # feedparser reads it as content
                self._open_text(a, "text/plain")
                return _CONTENT
            self._open_text(a, default)
            return _SUMMARY
        if name == "content" or name == "content_encoded":
            self.has_content = True
            self._open_text(a, "text/html" if name == "content_encoded" else "text/plain")
            return _CONTENT
        if name == "link":
            return self._start_link(a)
        self._open_text({})
        if name == "guid" or name == "id":
            self.guid_is_link = a.get("ispermalink", "true") == "true"
            return _GUID
        if name == "source":
            self.title_depth = -1
            return _SOURCE
        return _PUBLISHED if name in ("pubdate", "published") else _UPDATED

    def _start_link(self, a: dict[str, str]) -> int:
        a = dict(a)
        a.setdefault("rel", "alternate")
        a.setdefault("type", "application/atom+xml" if a["rel"] == "self" else "text/html")
        href = a.get("url", a.get("uri", a.get("href")))
        if href:
            a.pop("url", None)
            a.pop("uri", None)
            a["href"] = href
        self._open_text({})
        if "href" not in a:
            return _LINK_TEXT
        if a.get("rel") == "alternate" and _map_type(a.get("type")) in _HTML_TYPES:
            self.entry["link"] = _urljoin("", a["href"])  # type: ignore[index]
        return _LINK_HREF

    def _open_text(self, a: dict[str, str], default_type: str | None = None) -> None:
        self.text = []
        if default_type is None:
            self.params = {}
            return
        kind = _map_type(a.get("type", default_type))
        if kind not in _PLAIN_OR_HTML:
            raise _Unsupported  # xhtml, or a type feedparser would decode as base64
        lang = self.lang.replace("_", "-") if self.lang else self.lang
        self.params = {"type": kind, "language": lang}

    def _data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def _end(self, raw: str) -> None:
        name, kind = self.stack.pop()
        if self._name(raw) != name:
            raise _Unsupported  # a namespace rebound inside the element
        depth = len(self.stack) + 1
        self.langs.pop()
        if self.langs:
            self.lang = self.langs[-1]
        if kind <= _CHANNEL:  # _SKIP, _SKIP_TEXT, _ROOT, _CHANNEL
            self.text = None
            return
        if kind == _ENTRY:
            self.entry = None
            self.has_content = False
            return
        pieces, self.text = self.text or [], None
        if kind == _LINK_HREF:
            return
        value = "".join(pieces).strip()
        if kind == _FEED_LANG:
            self.language = _repaired(value)
            return
        entry = self.entry
        assert entry is not None
        if value and (kind == _LINK_TEXT or (kind == _GUID and self.guid_is_link)):
            value = _urljoin("", value)
        params = self.params
        if (
            not self.atom
            and params.get("type") == "text/plain"
            and ("<" in value or "&" in value)
            and _looks_like_html(value)
        ):
            params["type"] = "text/html"
        value = _repaired(value)
        if kind == _TITLE:
            if -1 < self.title_depth <= depth:
                return  # an earlier title counts
            self._store("title", value, depth)
            entry["title_detail"] = {**params, "value": value}
            if value:
                self.title_depth = depth
        elif kind == _SUMMARY:
            self._store("summary", value, depth)
            entry["summary_detail"] = {**params, "value": value}
        elif kind == _CONTENT:
            entry.setdefault("content", []).append({**params, "value": value})
            entry.setdefault("summary", value)
        elif kind == _LINK_TEXT:
            value = _ENTITY_LIKE.sub(r"&\g<1>", value.replace("&amp;", "&"))
            entry["link"] = value
        elif kind == _GUID:
            self._store("id", value, depth)
            if self.guid_is_link:
                entry.setdefault("link", value)
        elif kind == _PUBLISHED:
            entry["published_parsed"] = _parse_date(value)
        elif kind == _UPDATED:
            entry["updated_parsed"] = _parse_date(value)

    def _store(self, key: str, value: str, depth: int) -> None:
        # feedparser keeps a value from a shallower element over a deeper one's.
        old = self.depths.get(key)
        if old is None or depth <= old:
            self.depths[key] = depth
            self.entry[key] = value  # type: ignore[index]


def _attributes(attrs: dict[str, str]) -> dict[str, str]:
    """An element's attributes keyed as feedparser keys them."""
    out: dict[str, str] = {}
    for raw, value in attrs.items():
        uri, _, local = raw.rpartition(" ")
        prefix = _PREFIXES.get(uri.lower(), "") if uri else ""
        out[(f"{prefix}:{local}" if prefix else local).lower()] = value
    for raw, value in attrs.items():  # the strict parser adds each by its bare name too
        out[raw.rpartition(" ")[2].lower()] = value
    for key in ("rel", "type"):
        if key in out:
            out[key] = out[key].lower()
    return out


def _repaired(value: str) -> str:
    """feedparser's last touches on text: UTF-8 read as Latin-1 undone, cp1252 controls mapped."""
    if value.isascii():
        return value
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("iso-8859-1").decode("utf-8")
    # str.translate walks every character in Python's slow path: only when one is there.
    return value.translate(_cp1252) if _C1_CONTROLS.search(value) else value


def _xml_declaration(version: str, encoding: str | None, standalone: int) -> None:
    if encoding is not None and encoding.lower() != "utf-8":
        raise _Unsupported


def _refuse(*args: object) -> None:
    raise _Unsupported
