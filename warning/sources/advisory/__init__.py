"""Travel advisories: the US State Department RSS and the UK FCDO travel-advice Atom feeds.

Each advisory version (one country, one publication time) becomes one item with
its level in the item's tags, and with its own assessment (the country, no
label scores): advisories are official statements, not news for the classifier.
The signal is the change of level between two stored versions, worked out by
:mod:`warning.alerting.rules.advisory`. docs/advisories.md describes the formats, the
country-code mapping and the FCDO level mapping.

The package, in the order a body flows through it: this module holds the options
and the source; parse.py reads the document and sums up what it skipped; us.py and
uk.py read one entry of each publisher's feed (their docstrings give the feeds'
quirks); items.py builds the item they share; names.py matches the publishers'
country names. Every name below is importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ...records import FetchResult, ParseResult
from ...settings import option
from ..base import Source
from ..caps import CapOptions, caps_of
from .names import country_from_name
from .parse import MODEL, PUBLISHERS, parse_advisories
from .uk import fcdo_level
from .us import US_OWN_CODES, us_code_to_iso

__all__ = [
    "MODEL",
    "PUBLISHERS",
    "US_OWN_CODES",
    "AdvisoryOptions",
    "TravelAdvisorySource",
    "country_from_name",
    "fcdo_level",
    "parse_advisories",
    "us_code_to_iso",
]


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

    def parse_body(self, fetched: FetchResult) -> ParseResult:
        """Items and assessments of a changed body."""
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
