"""The fast path's reader: expat's callbacks keep feedparser's state for the keys rss.py reads.

One :class:`Reader` per body. It derives each element's name as feedparser's strict
parser does, judges it by the tables of elements.py, and raises Unsupported the
moment the body leaves the rule (package docstring), so that feedparser reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from feedparser.datetimes import _parse_date
from feedparser.urls import _urljoin

from .elements import (
    CONTENT_NAMES,
    ENTITY_LIKE,
    ENTRY_SKIPPED,
    ENTRY_TEXT,
    FEED_REFUSED,
    HANDLED,
    HTML_TYPES,
    PLAIN_OR_HTML,
    PREFIXES,
    READ_KEYS,
    Unsupported,
    attributes,
    looks_like_html,
    map_type,
    repaired,
)

#: An entry, keyed as feedparser's.
Entry = dict[str, Any]
#: What to keep of an entry once read, given its place in the document (read_plain_feed).
StandIn = Callable[[int, Entry], Entry]


@dataclass(frozen=True, slots=True)
class PlainFeed:
    """A plain feed's entries, shaped as feedparser's, and the feed's own language."""

    entries: list[Entry]
    language: str | None


# What an open element is, for its end.
(_SKIP, _SKIP_TEXT, _ROOT, _CHANNEL, _ENTRY, _FEED_LANG, _TITLE, _SUMMARY, _CONTENT, _LINK_TEXT,
 _LINK_HREF, _GUID, _PUBLISHED, _UPDATED, _SOURCE) = range(15)  # fmt: skip


class Reader:
    """One parse: expat's callbacks keep feedparser's state for the keys we read."""

    def __init__(self, stand_in: StandIn | None = None) -> None:
        self.stand_in = stand_in
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
        known = PREFIXES.get(lower)
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
            prefix = PREFIXES.get(lower)
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
            raise Unsupported  # markup inside a text field: feedparser's inline-content rules
        name = self._name(raw)
        lang = self.lang
        a = attributes(attrs) if attrs else {}
        if a:
            if a.get("xml:base", a.get("base")):
                raise Unsupported
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
                raise Unsupported  # RSS 0.9x, or no version
            self.version = "rss20"
        elif name != "feed" or self.version != "atom10":
            raise Unsupported
        self.atom = name == "feed"
        if lang:
            self.language = lang.replace("_", "-")
        return _ROOT

    def _feed_element(self, name: str, a: dict[str, str], depth: int) -> int:
        parent = self.stack[-1][1]
        if not self.atom and depth == 2:
            if name != "channel" or self.channels or "lastmod" in a or "href" in a:
                raise Unsupported
            self.channels += 1
            return _CHANNEL
        if parent == _CHANNEL and not self.atom and name == "item" and depth == 3:
            return self._start_entry(a, depth)
        if parent == _ROOT and self.atom and name == "entry":
            return self._start_entry(a, depth)
        if name == "language" or name == "dc_language":
            if parent not in (_CHANNEL, _ROOT):
                raise Unsupported
            self._open_text({})
            return _FEED_LANG
        if name in FEED_REFUSED:
            raise Unsupported
        return self._skip(name)

    def _skip(self, name: str) -> int:
        if name in CONTENT_NAMES:
            self._open_text({})
            return _SKIP_TEXT
        return _SKIP

    def _start_entry(self, a: dict[str, str], depth: int) -> int:
        if "rdf:about" in a or "lastmod" in a or "href" in a:
            raise Unsupported
        self.entry = {}
        self.entries.append(self.entry)
        self.entry_depth = depth
        self.guid_is_link = False
        self.title_depth = -1
        self.depths = {}
        return _ENTRY

    def _entry_element(self, name: str, a: dict[str, str], depth: int) -> int:
        if name in ENTRY_TEXT:
            if depth != self.entry_depth + 1:
                raise Unsupported
        elif name == "media_description":
            pass
        elif name in ENTRY_SKIPPED or (name not in HANDLED and name not in READ_KEYS):
            return self._skip(name)
        else:
            raise Unsupported
        if "mode" in a or "src" in a:
            raise Unsupported  # base64 or remote content
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
        if a.get("rel") == "alternate" and map_type(a.get("type")) in HTML_TYPES:
            self.entry["link"] = _urljoin("", a["href"])  # type: ignore[index]
        return _LINK_HREF

    def _open_text(self, a: dict[str, str], default_type: str | None = None) -> None:
        self.text = []
        if default_type is None:
            self.params = {}
            return
        kind = map_type(a.get("type", default_type))
        if kind not in PLAIN_OR_HTML:
            raise Unsupported  # xhtml, or a type feedparser would decode as base64
        lang = self.lang.replace("_", "-") if self.lang else self.lang
        self.params = {"type": kind, "language": lang}

    def _data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def _end(self, raw: str) -> None:
        name, kind = self.stack.pop()
        if self._name(raw) != name:
            raise Unsupported  # a namespace rebound inside the element
        depth = len(self.stack) + 1
        self.langs.pop()
        if self.langs:
            self.lang = self.langs[-1]
        if kind <= _CHANNEL:  # _SKIP, _SKIP_TEXT, _ROOT, _CHANNEL
            self.text = None
            return
        if kind == _ENTRY:
            if self.stand_in is not None:
                last = len(self.entries) - 1
                self.entries[last] = self.stand_in(last, self.entries[last])
            self.entry = None
            self.has_content = False
            return
        pieces, self.text = self.text or [], None
        if kind == _LINK_HREF:
            return
        value = "".join(pieces).strip()
        if kind == _FEED_LANG:
            self.language = repaired(value)
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
            and looks_like_html(value)
        ):
            params["type"] = "text/html"
        value = repaired(value)
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
            value = ENTITY_LIKE.sub(r"&\g<1>", value.replace("&amp;", "&"))
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


def _xml_declaration(version: str, encoding: str | None, standalone: int) -> None:
    if encoding is not None and encoding.lower() != "utf-8":
        raise Unsupported


def _refuse(*args: object) -> None:
    raise Unsupported
