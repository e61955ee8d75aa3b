"""RSS 0.9x/1.0/2.0 and Atom feeds, parsed by feedparser into items.

feedparser does the forgiving part (encodings, broken XML, a dozen dialects);
this module guards its input (entity declarations are refused, the body is
never mistaken for a file name) and turns its entries into normalised items.
"""

from __future__ import annotations

import codecs
import functools
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urljoin
from xml.sax import SAXParseException

import feedparser

from ..errors import ParseError, UnsafeFeed
from ..normalize import canonical_url, content_hash, guid_key, html_to_text, lang_code
from ..records import FeedState, FetchResult, Item, ParseResult
from .base import NoOptions, Source

if TYPE_CHECKING:
    from .http import Fetcher

__all__ = ["SUMMARY_MAX_CHARS", "RssSource", "parse_feed"]

#: Longest summary kept; longer ones are cut at a word boundary.
SUMMARY_MAX_CHARS = 4000


class RssSource(Source):
    """A feed in any RSS version or Atom, over http(s):// or file://."""

    kind: ClassVar[str] = "rss"
    Options: ClassVar[type] = NoOptions

    def fetch(self, fetcher: Fetcher, state: FeedState) -> FetchResult:
        """Conditional GET of the feed url, with the stored ETag/Last-Modified."""
        return fetcher.fetch(self.feed.url, etag=state.etag, last_modified=state.last_modified)

    def parse(self, fetched: FetchResult) -> ParseResult:
        """Items of a fetched body; an unchanged (304) fetch has none."""
        if fetched.status == "not_modified":
            return ParseResult(items=())
        return parse_feed(
            fetched.body,
            feed=self.feed.name,
            outlet=self.feed.outlet,
            base_url=fetched.final_url or fetched.url,
            lang=self.feed.lang,
        )


def parse_feed(
    body: bytes, *, feed: str, outlet: str, base_url: str, lang: str | None = None
) -> ParseResult:
    """Parse an RSS or Atom document into items.

    ``base_url`` (the final URL, after redirects) resolves relative links;
    ``lang`` is the configured hint and wins over the feed's own language.
    A well-formed feed without entries gives an empty result. Raises
    UnsafeFeed when the body declares XML entities, and ParseError when
    nothing usable is in it; never anything else.
    """
    try:
        return _parse_feed(bytes(body), feed, outlet, base_url, lang)
    except ParseError:
        raise
    except Exception as exc:  # a crash on one feed must not take the cycle down
        raise ParseError(
            f"feed could not be parsed ({type(exc).__name__}: {exc})",
            "the body may be corrupt; if this persists, report it with the saved body",
        ) from exc


def _parse_feed(
    body: bytes, feed: str, outlet: str, base_url: str, lang: str | None
) -> ParseResult:
    if not body.strip():
        raise ParseError(
            "the body is empty", "the server answered without a feed; it is retried next time"
        )
    _refuse_entities(body)
    # A file-like object: feedparser opens bytes or str as a file name or URL if it can.
    # No base URL is given to feedparser: it would resolve a plain GUID ("12345")
    # into a URL under the feed's address, so links are resolved below instead.
    # Sanitising and rewriting links inside HTML are wasted work: only text is kept.
    parsed = feedparser.parse(io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False)
    entries = parsed.get("entries") or []
    version = parsed.get("version") or ""
    warnings: list[str] = []
    if parsed.get("bozo"):
        problem = _describe_bozo(parsed.get("bozo_exception"), body)
        if entries:
            warnings.append(f"{problem}; parsed leniently")
        elif version and _only_encoding_problem(parsed.get("bozo_exception")):
            # A quiet feed with a wrong charset declaration is still a feed.
            warnings.append(problem)
        else:
            raise _not_a_feed(body, problem)
    elif not entries and not version:
        raise _not_a_feed(body, "the document is XML but neither RSS nor Atom")

    feed_info = parsed.get("feed") or {}
    default_lang = lang_code(lang) if lang else None
    feed_lang = lang_code(feed_info.get("language"))
    items: list[Item] = []
    skipped = 0
    failed: list[str] = []
    for entry in entries:
        try:
            item = _entry_item(entry, feed, outlet, base_url, default_lang, feed_lang)
        except Exception as exc:  # one odd entry must not lose the others
            failed.append(f"{type(exc).__name__}: {exc}")
            item = None
        if item is None:
            skipped += 1
        else:
            items.append(item)
    if failed:
        warnings.append(f"{len(failed)} entries could not be read (first: {failed[0]})")
    return ParseResult(items=tuple(items), warnings=tuple(warnings), entries_skipped=skipped)


def _entry_item(
    entry: dict[str, Any],
    feed: str,
    outlet: str,
    base_url: str,
    hint_lang: str | None,
    feed_lang: str | None,
) -> Item | None:
    # dict.get, not FeedParserDict.get: it skips feedparser's key aliasing (and
    # its deprecation warnings), which costs more than the rest of this function.
    get = dict.get
    title = _text(get(entry, "title"), get(entry, "title_detail"))
    summary_html = get(entry, "summary")
    detail = get(entry, "summary_detail")
    if not summary_html or detail is None:
        # No summary: the content's text. feedparser also copies content into
        # summary without a summary_detail; the content's detail then applies.
        content = get(entry, "content")
        if content:
            detail = content[0]
            summary_html = summary_html or dict.get(detail, "value")
    summary = _truncate(_text(summary_html, detail), SUMMARY_MAX_CHARS)
    link = _absolute_link(entry, base_url)
    if not title and not summary and not link:
        return None
    return Item(
        feed=feed,
        outlet=outlet,
        title=title,
        summary=summary,
        link=link,
        published=_utc(get(entry, "published_parsed") or get(entry, "updated_parsed")),
        lang=hint_lang or _xml_lang(get(entry, "title_detail"), detail) or feed_lang,
        guid_key=guid_key(get(entry, "id"), outlet),
        url_key=canonical_url(link),
        content_hash=content_hash(title, summary),
    )


def _text(value: object, detail: dict[str, Any] | None) -> str:
    if not value or not isinstance(value, str):
        return ""
    kind = (dict.get(detail, "type") if detail else None) or "text/html"
    if "html" in kind:
        return html_to_text(value)
    # feedparser has already decoded entities of plain text: unescaping again
    # would turn "&amp;lt;" into "<".
    return " ".join(value.split())


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _absolute_link(entry: dict[str, Any], base_url: str) -> str | None:
    link = dict.get(entry, "link")
    if not link or not isinstance(link, str):
        return None
    link = link.strip()
    if "://" not in link and link == dict.get(entry, "id"):
        # feedparser took a permalink GUID that is no URL at all ("12345") as the
        # link; resolving it under the feed's address would point nowhere.
        # (Its guidislink flag cannot tell: it is also set when an id merely
        # precedes the link element.)
        return None
    if link[:8].lower().startswith(("http://", "https://")):
        return link  # already absolute: the common case, and urljoin is slow
    try:
        link = urljoin(base_url, link)
    except ValueError:
        return None
    return link if link[:8].lower().startswith(("http://", "https://")) else None


def _utc(parsed: Any) -> datetime | None:
    # feedparser's *_parsed values are UTC struct_times; out-of-range fields
    # (year 0, month 13) do occur in the wild.
    if parsed is None:
        return None
    try:
        year, month, day, hour, minute, second = parsed[:6]
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _xml_lang(*details: dict[str, Any] | None) -> str | None:
    # xml:lang of the title or of the text used as summary (feedparser fills it
    # in from enclosing elements too).
    for detail in details:
        if detail:
            code = lang_code(dict.get(detail, "language"))
            if code:
                return code
    return None


# --- bozo feeds ------------------------------------------------------------------


def _describe_bozo(exc: object, body: bytes) -> str:
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


def _only_encoding_problem(exc: object) -> bool:
    return isinstance(exc, feedparser.CharacterEncodingOverride)


_HTML_START = re.compile(rb"<(?:!doctype\s+html|html)[\s>]", re.IGNORECASE)


def _not_a_feed(body: bytes, problem: str) -> ParseError:
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


def _refuse_entities(body: bytes) -> None:
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
