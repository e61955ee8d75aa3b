"""An advisory document parsed: which publisher, each entry through its reader, one summary.

The entries of a US State Department RSS body go through :func:`.us.us_entry`, those
of an FCDO Atom body through :func:`.uk.uk_entry`; each gives an item with its own
assessment (the country, no label scores) or a :class:`~.items.Skip`, and the skips
become one warning, or the ParseError of a feed where nothing was usable.
"""

from __future__ import annotations

from collections import Counter

from ...errors import ParseError
from ...records import Assessment, CountryScore, GeoTag, Item, ParseResult
from ..base import crash_guarded
from ..caps import DEFAULT_CAPS, CapOptions, Clipper, newest_entries
from ..xmlfeeds import entry_time, read_feed
from .items import REASONS, Skip
from .uk import feed_link, uk_entry
from .us import us_entry

__all__ = ["MODEL", "PUBLISHERS", "parse_advisories"]

#: The "model" recorded with every advisory assessment (no classifier is involved).
MODEL = "advisory-1"
#: Publishers this kind understands, as written in item guids and tags.
PUBLISHERS = ("us", "uk")


@crash_guarded("advisory feed")
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
    parsed, entries, warnings = read_feed(bytes(body))
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
    page = feed_link(parsed.get("feed") or {})
    items: list[Item] = []
    assessments: list[Assessment | None] = []
    skipped: list[Skip] = []
    for entry in entries:
        try:
            got = (
                us_entry(entry, feed, outlet, base_url, clip)
                if publisher == "us"
                else uk_entry(entry, feed, outlet, base_url, page, clip)
            )
        except Exception as exc:  # one odd entry must not lose the others
            got = Skip("error", f"{type(exc).__name__}: {exc}")
        if isinstance(got, Skip):
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


def _summarise(skipped: list[Skip], total: int) -> str:
    """``2 of 9 entries skipped: 1 without a country, 1 with an unknown country code (QQ)``."""
    counts = Counter(s.reason for s in skipped)
    parts = []
    for reason, label in REASONS.items():
        if not counts[reason]:
            continue
        details = list(dict.fromkeys(s.detail for s in skipped if s.reason == reason and s.detail))
        shown = (
            f" ({', '.join(details[:5])}{', ...' if len(details) > 5 else ''})" if details else ""
        )
        parts.append(f"{counts[reason]} {label}{shown}")
    return f"{len(skipped)} of {total} entries skipped: {', '.join(parts)}"
