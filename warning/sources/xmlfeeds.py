"""Guards and helpers shared by the feedparser-based kinds: RSS/Atom (rss.py) and advisories.

Both kinds hand untrusted XML to feedparser, so both must refuse entity declarations
before it sees the body, explain a broken ("bozo") feed the same way, and read its
times alike (the caps both apply are in caps.py). They live here, apart from either
kind, so that neither source imports the other.
"""

from __future__ import annotations

import codecs
import functools
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from xml.sax import SAXParseException

import feedparser

from ..errors import ParseError, UnsafeFeed

__all__ = [
    "describe_bozo",
    "entry_time",
    "not_a_feed",
    "read_feed",
    "refuse_entities",
    "utc_datetime",
]


def entry_time(entry: dict[str, Any]) -> tuple[int, ...] | None:
    """An entry's published (else updated) time as a comparable tuple; None without one."""
    parsed = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    if parsed is None:
        return None
    try:
        return tuple(int(v) for v in parsed[:6])
    except (TypeError, ValueError):
        return None


def utc_datetime(parsed: Any) -> datetime | None:
    """A feedparser ``*_parsed`` time as an aware UTC datetime; None when absent or invalid."""
    # feedparser's *_parsed values are UTC struct_times; out-of-range fields
    # (year 0, month 13) do occur in the wild.
    if parsed is None:
        return None
    try:
        year, month, day, hour, minute, second = parsed[:6]
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


# --- bozo feeds ------------------------------------------------------------------


def describe_bozo(exc: object, body: bytes) -> str:
    """What is wrong with a feed feedparser flagged as bozo, for a warning or an error."""
    if isinstance(exc, SAXParseException):
        line = exc.getLineNumber()
        if line and not _XML_DECL.match(next(_ascii_views(body))):
            line -= 1  # feedparser put a declaration line in front of the document
        return f"not well-formed XML (line {line}): {exc.getMessage()}"
    if isinstance(exc, feedparser.CharacterEncodingOverride):
        return f"wrong character encoding: {exc}"
    if isinstance(exc, feedparser.CharacterEncodingUnknown):
        return f"unknown character encoding: {exc}"
    if exc is None:
        return "not well-formed"
    return f"{type(exc).__name__}: {exc}"


_HTML_START = re.compile(rb"<(?:!doctype\s+html|html)[\s>]", re.IGNORECASE)


def not_a_feed(body: bytes, problem: str) -> ParseError:
    """The error for a body with no feed in it: an HTML page is told apart, with its own hint."""
    if _HTML_START.search(body, 0, 2048):
        return ParseError(
            f"the body is an HTML page, not a feed ({problem})",
            "the url may point at the site rather than its feed, or at a login or consent "
            "page; open it in a browser and look for the RSS/Atom link",
        )
    return ParseError(
        f"no feed entries could be read: {problem}",
        "check that the url serves RSS or Atom; if it does, the publisher's XML is broken",
    )


# --- entity declarations -----------------------------------------------------------


def read_feed(body: bytes) -> tuple[Any, list[Any], list[str]]:
    """Parse an RSS or Atom body safely: (the feedparser result, its entries, warnings).

    Refuses an empty body, a prolog declaring entities, and a document that is no
    feed. A malformed feed that still yields entries, or one whose only fault is a
    wrong charset declaration, is read leniently with a warning.
    """
    if not body.strip():
        raise ParseError(
            "the body is empty", "the server answered without a feed; it is retried next time"
        )
    refuse_entities(body)
    # A file-like object: feedparser opens bytes or str as a file name or URL if it can.
    # No base URL is given to feedparser: it would resolve a plain GUID ("12345")
    # into a URL under the feed's address, so callers resolve links themselves.
    # Sanitising and rewriting links inside HTML are wasted work: only text is kept.
    parsed = feedparser.parse(io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False)
    entries = parsed.get("entries") or []
    version = parsed.get("version") or ""
    warnings: list[str] = []
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        problem = describe_bozo(exc, body)
        if entries:
            warnings.append(f"{problem}; parsed leniently")
        elif version and isinstance(exc, feedparser.CharacterEncodingOverride):
            # A quiet feed with a wrong charset declaration is still a feed.
            warnings.append(problem)
        else:
            raise not_a_feed(body, problem)
    elif not entries and not version:
        raise not_a_feed(body, "the document is XML but neither RSS nor Atom")
    return parsed, entries, warnings


def refuse_entities(body: bytes) -> None:
    """Raise UnsafeFeed when the prolog declares an XML entity.

    feedparser hands the document to expat, which expands internal entities:
    nested ones ("billion laughs") or one long one referenced many times turn
    a small feed into gigabytes. Feeds have no need for them, so any
    declaration is refused. Only the prolog is scanned, so "<!ENTITY" as text
    or CDATA inside the document is harmless.
    """
    for view in _ascii_views(body):
        if _prolog_declares_entity(view):
            raise UnsafeFeed(
                "the feed declares XML entities (<!ENTITY in its DOCTYPE) and was refused "
                "unparsed: the parser would expand them, and a 0.1 MB feed can grow to "
                "gigabytes (entity expansion)",
                "ask the publisher to remove the entity declarations, or remove the feed "
                "from the configuration",
            )


_BOMS = (
    # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_EBCDIC_XML = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC, which feedparser also sniffs
_XML_DECL = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml")
_XML_DECL_ENCODING = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']"
)


def _wide_codec(body: bytes) -> str | None:
    head = body[:4]
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    if len(head) < 4 or b"\x00" not in head:
        return None
    # No BOM: where the NULs around the first (ASCII) character fall tells the layout.
    a, b, c, d = head
    if a == b == c == 0 and d:
        return "utf-32-be"
    if a and b == c == d == 0:
        return "utf-32-le"
    if a == 0 and b and c == 0:
        return "utf-16-be"
    if a and b == 0 and d == 0:
        return "utf-16-le"
    return None


def _ascii_views(body: bytes) -> Iterator[bytes]:
    """The body as ASCII-compatible bytes, in each way feedparser may decode it."""
    codec = _wide_codec(body)
    if codec is not None:
        view = body.decode(codec, "replace").encode("utf-8")
    elif body.startswith(_EBCDIC_XML):
        view = body.decode("cp037", "replace").encode("utf-8")
    elif b"\x00" in body[:4]:
        # An unusual UCS-4 byte order: its ASCII characters survive without the NULs.
        view = body.replace(b"\x00", b"")
    else:
        view = body
    yield view
    # A declared encoding in which "<!ENTITY" is not spelt in ASCII (UTF-7,
    # EBCDIC): feedparser decodes with it, so look at the text it would see.
    m = _XML_DECL_ENCODING.match(view)
    if m is not None:
        declared = m.group(1).decode("ascii")
        if not _ascii_compatible(declared):
            yield body.decode(declared, "replace").encode("utf-8")


_PROBE = "<!ENTITY-[]>?\"' \t\n"


@functools.lru_cache(maxsize=64)
def _ascii_compatible(encoding: str) -> bool:
    try:
        name = codecs.lookup(encoding).name
        if name.startswith(("utf-16", "utf-32")):
            return True  # handled by _wide_codec
        return _PROBE.encode(name) == _PROBE.encode("ascii")
    except (LookupError, UnicodeError):
        return True  # feedparser cannot use it either; it falls back to UTF-8


# Significant bytes inside a <!...> declaration: quotes, the internal subset's
# brackets, nested markup and the closing '>'.
_DECL_SPECIAL = re.compile(rb"[\"'<>\[\]]")
# What starts the root element, the same test as feedparser's own prolog split
# (so every entity feedparser could pick up lies before it).
_ELEMENT_START = re.compile(rb"[A-Za-z0-9_]")


def _prolog_declares_entity(doc: bytes) -> bool:
    pos = 0
    in_decl = False  # inside <!DOCTYPE ...> (or another <!...> declaration)
    in_subset = False  # inside its [...] internal subset
    while True:
        if in_decl:
            m = _DECL_SPECIAL.search(doc, pos)
            if m is None:
                return False
            i = m.start()
        else:
            i = doc.find(b"<", pos)
            if i < 0:
                return False
        c = doc[i]
        if c == 0x3C:  # '<'
            if doc.startswith(b"<!--", i):
                end = doc.find(b"-->", i + 4)
                if end < 0:
                    return False
                pos = end + 3
            elif doc.startswith(b"<?", i):
                end = doc.find(b"?>", i + 2)
                if end < 0:
                    return False
                pos = end + 2
            elif doc.startswith(b"<!", i):
                if doc[i + 2 : i + 8].upper() == b"ENTITY":
                    return True
                in_decl = True
                pos = i + 2
            elif _ELEMENT_START.match(doc, i + 1):
                return False  # the root element: the prolog is over
            else:
                pos = i + 1
        elif c == 0x22 or c == 0x27:  # a quoted literal may hold any of the above
            end = doc.find(doc[i : i + 1], i + 1)
            if end < 0:
                return False
            pos = end + 1
        else:
            if c == 0x5B:  # '['
                in_subset = True
            elif c == 0x5D:  # ']'
                in_subset = False
            elif not in_subset:  # '>' closes the declaration
                in_decl = False
            pos = i + 1
