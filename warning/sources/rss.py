"""RSS 0.9x/1.0/2.0 and Atom feeds, parsed into items.

Plain, well-formed RSS 2.0 and Atom 1.0 in UTF-8 — most news feeds — are read by
expat directly (fastfeed/, whose docstring gives the exact rule), several times
faster; everything else goes to feedparser, which does the forgiving part
(encodings, broken XML, a dozen dialects). Both give entries of the same shape,
and this module turns them into normalised items the same way, within the caps of
caps.py (title and summary length, items per poll). feedparser's input is guarded
(entity declarations are refused, the body is never mistaken for a file name);
the fast path never reads a DOCTYPE at all. The guards and helpers the advisory
kind shares are in xmlfeeds.py.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urljoin

from ..normalize import canonical_url, content_hash, guid_key, lang_code
from ..records import FetchResult, Item, ParseResult
from .base import WHOLE, Share, Source, crash_guarded
from .caps import DEFAULT_CAPS, SUMMARY_MAX_CHARS, CapOptions, Clipper, caps_of, newest_entries
from .fastfeed import Entry, read_plain_feed
from .xmlfeeds import entry_time, read_feed, utc_datetime

__all__ = ["SUMMARY_MAX_CHARS", "RssOptions", "RssSource", "parse_feed"]

#: The helper's name before it moved to xmlfeeds.py; tests/test_rss.py still imports it.
_utc = utc_datetime


@dataclass(frozen=True, slots=True)
class RssOptions(CapOptions):
    """Keys of the ``rss`` kind beyond the common feed keys: the caps of one poll."""


class RssSource(Source):
    """A feed in any RSS version or Atom, over http(s):// or file://."""

    kind: ClassVar[str] = "rss"
    Options: ClassVar[type] = RssOptions
    news: ClassVar[bool] = True

    def parse_body(self, fetched: FetchResult) -> ParseResult:
        """Items of a changed body."""
        return self.parse_share(fetched, WHOLE)

    def parse_share(self, fetched: FetchResult, share: Share) -> ParseResult:
        """One share of a changed body's items: only those are built (parse_feed)."""
        return parse_feed(
            fetched.body,
            feed=self.feed.name,
            outlet=self.feed.outlet,
            base_url=fetched.final_url or fetched.url,
            lang=self.feed.lang,
            caps=caps_of(self.feed.options),
            share=share,
        )


@crash_guarded("feed")
def parse_feed(
    body: bytes,
    *,
    feed: str,
    outlet: str,
    base_url: str,
    lang: str | None = None,
    caps: CapOptions = DEFAULT_CAPS,
    fast: bool = True,
    share: Share = WHOLE,
) -> ParseResult:
    """Parse an RSS or Atom document into items.

    ``base_url`` (the final URL, after redirects) resolves relative links;
    ``lang`` is the configured hint and wins over the feed's own language.
    At most ``caps.max_items`` entries are read (the newest), and titles and
    summaries are cut to their caps; what was cut is in the result's warnings.
    A well-formed feed without entries gives an empty result. Raises
    UnsafeFeed when the body declares XML entities, and ParseError when
    nothing usable is in it; never anything else. ``fast=False`` hands every
    body to feedparser (the tests and bench/bench_parse.py compare both paths).

    ``share`` (k, n) builds items only for every n-th entry of the document from the
    k-th, among those the cap keeps: the cap is decided on all entries, and the
    warnings are the whole body's (the other entries' cuts are counted without
    building their items), so that the n shares together store, and warn about,
    what one whole parse does. Entries that fail to be read are counted by the share
    that builds them.
    """
    body = bytes(body)  # a memoryview or bytearray is read as bytes
    stand_in = None if share == WHOLE else functools.partial(_stand_in, share=share, caps=caps)
    plain = read_plain_feed(body, stand_in) if fast else None
    warnings: list[str]
    if plain is not None:
        entries, feed_language, warnings = plain.entries, plain.language, []
    else:
        parsed, entries, warnings = read_feed(body)
        feed_language = (parsed.get("feed") or {}).get("language")
        del parsed  # the document holds every entry again: freed before the items are built
        if stand_in is not None:
            entries = [stand_in(index, entry) for index, entry in enumerate(entries)]
    del plain
    entries, dropped = newest_entries(entries, caps.max_items, entry_time)
    default_lang = lang_code(lang) if lang else None
    feed_lang = lang_code(feed_language)
    clip = Clipper(caps)
    items: list[Item] = []
    skipped = 0
    failed: list[str] = []
    # Popped in document order, so each entry is freed once read: a large feed's
    # entries and its items never all exist at once.
    entries.reverse()
    while entries:
        entry = entries.pop()
        if isinstance(entry, _OtherShare):
            _count_cuts(entry, base_url, clip)
            continue
        try:
            item = _entry_item(entry, feed, outlet, base_url, default_lang, feed_lang, clip)
        except Exception as exc:  # one odd entry must not lose the others
            failed.append(f"{type(exc).__name__}: {exc}")
            item = None
        if item is None:
            skipped += 1
        else:
            items.append(item)
    if failed:
        warnings.append(f"{len(failed)} entries could not be read (first: {failed[0]})")
    warnings += clip.warnings()
    if dropped:
        warnings.append(dropped)
    return ParseResult(items=tuple(items), warnings=tuple(warnings), entries_skipped=skipped)


def _entry_item(
    entry: dict[str, Any],
    feed: str,
    outlet: str,
    base_url: str,
    hint_lang: str | None,
    feed_lang: str | None,
    clip: Clipper,
) -> Item | None:
    # dict.get, not FeedParserDict.get: it skips feedparser's key aliasing (and
    # its deprecation warnings), which costs more than the rest of this function.
    get = dict.get
    title = _text(get(entry, "title"), get(entry, "title_detail"), clip.title)
    summary_html, detail = _summary_source(entry)
    summary = _text(summary_html, detail, clip.summary)
    link = clip.link(_absolute_link(entry, base_url))
    if not title and not summary and not link:
        return None
    return Item(
        feed=feed,
        outlet=outlet,
        title=title,
        summary=summary,
        link=link,
        published=utc_datetime(get(entry, "published_parsed") or get(entry, "updated_parsed")),
        lang=hint_lang or _xml_lang(get(entry, "title_detail"), detail) or feed_lang,
        guid_key=guid_key(get(entry, "id"), outlet),
        url_key=canonical_url(link),
        content_hash=content_hash(title, summary),
    )


def _summary_source(entry: dict[str, Any]) -> tuple[object, dict[str, Any] | None]:
    """The raw text an entry's summary is made of, and its detail (type, language)."""
    summary_html = dict.get(entry, "summary")
    detail = dict.get(entry, "summary_detail")
    if not summary_html or detail is None:
        # No summary: the content's text. feedparser also copies content into
        # summary without a summary_detail; the content's detail then applies.
        content = dict.get(entry, "content")
        if content:
            detail = content[0]
            summary_html = summary_html or dict.get(detail, "value")
    return summary_html, detail


class _OtherShare(dict[str, Any]):
    """What one share of a body keeps of an entry whose item another share builds."""


def _stand_in(index: int, entry: Entry, *, share: Share, caps: CapOptions) -> Entry:
    """``entry`` when its item is ``share``'s; else what the cap (its dates) and the
    warnings (:func:`_count_cuts`) need of it, to hold for the rest of the parse.

    A field's text is never longer than the field as sent (markup and entities only
    shrink, whitespace only collapses), so a title or summary within its cap cannot be
    cut, and only a longer one (rare) is kept.
    """
    k, n = share
    if index % n == k:
        return entry
    get = dict.get  # not FeedParserDict's, which falls back to other keys
    other = _OtherShare({key: get(entry, key) for key in _OTHER_KEYS})
    title = get(entry, "title")
    if isinstance(title, str) and len(title) > caps.max_title_chars:
        other["title"], other["title_detail"] = title, get(entry, "title_detail")
    summary_html, detail = _summary_source(entry)
    if isinstance(summary_html, str) and len(summary_html) > caps.max_summary_chars:
        other["summary"], other["summary_detail"] = summary_html, detail
    return other


#: What a stand-in always keeps: the dates, and what its link is made of.
_OTHER_KEYS = ("published_parsed", "updated_parsed", "link", "id")


def _count_cuts(entry: _OtherShare, base_url: str, clip: Clipper) -> None:
    """Count what building the item of another share's entry would cut, as that share
    does (the warnings are the whole body's), from its stand-in: it holds a title or a
    summary only when :func:`_stand_in` found it over its cap."""
    with contextlib.suppress(Exception):  # the share that builds the item counts its failure
        _text(dict.get(entry, "title"), dict.get(entry, "title_detail"), clip.title)
        _text(*_summary_source(entry), clip.summary)
        clip.link(_absolute_link(entry, base_url))


def _text(value: object, detail: dict[str, Any] | None, clip: Callable[..., str]) -> str:
    if not value or not isinstance(value, str):
        return ""
    kind = (dict.get(detail, "type") if detail else None) or "text/html"
    # Plain text is only whitespace-collapsed: feedparser has already decoded its
    # entities, and unescaping again would turn "&amp;lt;" into "<".
    return clip(value, html="html" in kind)


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


def _xml_lang(*details: dict[str, Any] | None) -> str | None:
    # xml:lang of the title or of the text used as summary (feedparser fills it
    # in from enclosing elements too).
    for detail in details:
        if detail:
            code = lang_code(dict.get(detail, "language"))
            if code:
                return code
    return None
