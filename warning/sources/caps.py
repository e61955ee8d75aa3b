"""Bounds on what one poll of a feed may store: title and summary length, items per poll.

Feed content is hostile until proven otherwise: one 4.9 MB poll can carry 26,000
entries, or one title of 4.5 MB. Each source kind turns its fields into text
through a :class:`Clipper`, which cuts the raw field before any parsing (so the
work per field is bounded whatever the feed sends), cuts the text to its cap on a
character boundary with a trailing "…", and counts what it cut; the count becomes
one warning on the feed (``warning feeds``, its log line), which names the key
that raises the cap for a feed that is legitimately that large.

The defaults, and why:

- a title is a headline: real ones stay under 300 characters, so 1,000 cuts
  nothing real and keeps a bogus one from filling every screen and message;
- a summary is the lede, what the classifier and the geotagger read and what an
  alert quotes: the first 4,000 characters carry it (the page is one click
  away), and a full-text feed's long articles are cut to it as before;
- 2,000 items per poll is ten times the longest real feeds we poll (news feeds
  carry 10 to 200 entries; the US advisories about 210), while 26,000 items
  took 35 s and 410 MB to assess and store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..normalize import html_to_text, truncate
from ..settings import option, positive

__all__ = [
    "DEFAULT_CAPS",
    "ITEMS_MAX",
    "LINK_MAX_CHARS",
    "RAW_FACTOR",
    "SUMMARY_MAX_CHARS",
    "TITLE_MAX_CHARS",
    "CapOptions",
    "Clipper",
    "caps_of",
    "newest_entries",
    "truncate",
]

#: Longest title kept, in characters.
TITLE_MAX_CHARS = 1_000
#: Longest summary kept, in characters.
SUMMARY_MAX_CHARS = 4_000
#: Most entries one poll of one feed stores.
ITEMS_MAX = 2_000
#: Longest link kept: real article URLs stay under 500 characters, and a cut URL would
#: point nowhere, so a longer one is dropped (the item keeps its title and summary).
LINK_MAX_CHARS = 4_096
#: A raw field is cut to this many times its text cap before its markup is read:
#: markup takes room (a link, an image, inline styles), but 32 characters of it for
#: each character of text kept is more than real feeds use, and it bounds the work.
RAW_FACTOR = 32


# Keyword-only, so that a kind's own options keep their positions when it adds these.
@dataclass(frozen=True, slots=True, kw_only=True)
class CapOptions:
    """The keys that bound one poll of a feed (docs/configuration.md, "Caps")."""

    #: Entries stored per poll; the newest are kept.
    max_items: int = option(ITEMS_MAX, check=positive)
    #: Characters of a title kept.
    max_title_chars: int = option(TITLE_MAX_CHARS, check=positive)
    #: Characters of a summary kept.
    max_summary_chars: int = option(SUMMARY_MAX_CHARS, check=positive)


#: The caps of a feed that sets none.
DEFAULT_CAPS = CapOptions()


def caps_of(options: object) -> CapOptions:
    """The caps a source's options carry; the defaults for options without them."""
    return options if isinstance(options, CapOptions) else DEFAULT_CAPS


class Clipper:
    """Plain text of one poll's fields, within the caps; counts what it cut.

    One per poll: :meth:`warnings` sums the cuts up for the feed.
    """

    def __init__(self, caps: CapOptions, *, settable: bool = True) -> None:
        self.caps = caps
        #: Whether the feed's kind has the keys that raise the caps (the warning names them).
        self.settable = settable
        self._cut = {"title": 0, "summary": 0, "link": 0}
        self._longest = {"title": 0, "summary": 0, "link": 0}

    def title(self, raw: str, *, html: bool) -> str:
        """A title's plain text, at most ``max_title_chars``; every cut is counted."""
        return self._text("title", raw, self.caps.max_title_chars, html, quiet=False)

    def summary(self, raw: str, *, html: bool) -> str:
        """A summary's plain text, at most ``max_summary_chars``.

        A long summary is the common case of a full-text feed, not an attack: it is
        cut quietly, as it always was, and counted only when the raw field is past
        the bound of :data:`RAW_FACTOR` times the cap.
        """
        return self._text("summary", raw, self.caps.max_summary_chars, html, quiet=True)

    def link(self, url: str | None) -> str | None:
        """``url``, or None when it is longer than :data:`LINK_MAX_CHARS`."""
        if url is None or len(url) <= LINK_MAX_CHARS:
            return url
        self._cut["link"] += 1
        self._longest["link"] = max(self._longest["link"], len(url))
        return None

    def _text(self, field: str, raw: str, limit: int, html: bool, *, quiet: bool) -> str:
        length = len(raw)
        bounded = length > limit * RAW_FACTOR
        if bounded:
            raw = raw[: limit * RAW_FACTOR]
        text = html_to_text(raw) if html else " ".join(raw.split())
        shortened = len(text) > limit
        if shortened:
            text = truncate(text, limit)
        elif bounded and text and not text.endswith("…"):
            text += "…"  # what followed the bound is gone, even when the rest was markup
        if bounded or (shortened and not quiet):
            self._cut[field] += 1
            self._longest[field] = max(self._longest[field], length)
        return text

    def warnings(self) -> list[str]:
        """One warning per field that was cut, with the key that raises its cap."""
        out = []
        titles, summaries, links = self._cut["title"], self._cut["summary"], self._cut["link"]
        if titles:
            limit = self.caps.max_title_chars
            out.append(
                f"{_count(titles, 'title')} longer than {limit:,} characters cut to {limit:,} "
                f"(the longest held {self._longest['title']:,} as sent)"
                + self._raise("max_title_chars")
            )
        if summaries:
            limit = self.caps.max_summary_chars
            out.append(
                f"{_count(summaries, 'summary')} of more than {limit * RAW_FACTOR:,} characters "
                f"as sent cut to {limit:,} characters of text (the longest held "
                f"{self._longest['summary']:,})" + self._raise("max_summary_chars")
            )
        if links:
            out.append(
                f"{_count(links, 'link')} longer than {LINK_MAX_CHARS:,} characters dropped "
                f"(the longest held {self._longest['link']:,}); their items are stored without"
            )
        return out

    def _raise(self, key: str) -> str:
        return f"; if the feed is legitimate, raise `{key}` on the feed" if self.settable else ""


def _count(n: int, noun: str) -> str:
    """``1 title``, ``3 titles``, ``2 summaries``."""
    if n == 1:
        return f"1 {noun}"
    return f"{n:,} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"


T = TypeVar("T")


def newest_entries(
    entries: list[T], limit: int, when: Callable[[T], Any]
) -> tuple[list[T], str | None]:
    """At most ``limit`` entries, the newest, in their document order; and a warning.

    ``when(entry)`` gives an entry's time as something comparable, or None when it
    has none. Undated entries rank after dated ones, in document order (feeds list
    newest first). The warning says how many were dropped: they are not stored
    this poll, and are read when the feed next changes after the cap is raised.
    """
    if len(entries) <= limit:
        return entries, None
    times = [when(e) for e in entries]
    order = sorted(
        range(len(entries)),
        key=lambda i: (times[i] is not None, times[i] or ()),
        reverse=True,  # a stable sort: equal times keep their document order
    )
    kept = sorted(order[:limit])
    dropped = len(entries) - limit
    warning = (
        f"the feed holds {len(entries):,} entries, more than max_items ({limit:,}): "
        f"the {limit:,} newest were stored and {dropped:,} dropped this poll; "
        "if the feed is legitimately that long, raise `max_items` on the feed"
    )
    return [entries[i] for i in kept], warning
