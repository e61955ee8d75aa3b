"""ACLED events as items: from the ACLED API, or from ACLED's CSV exports.

ACLED (Armed Conflict Location & Event Data) codes political violence and
demonstrations by hand: each event has a type, a place with coordinates, a date
and a fatality count. Being structured data, an ACLED item brings its own
assessment (the country, the place, labels from the event type: see
:data:`ACLED_EVENT_LABELS` and :data:`ACLED_SUBTYPE_PROBABILITY`) and is neither
geotagged nor scored. ACLED edits past events (``timestamp`` is the last change)
and deletes some: an edited event replaces the stored one through its
``revision``; a deleted one becomes a tombstone without labels.

The options pick the mode. With ``email`` and ``password`` (ACLED's OAuth login)
or ``email`` and ``key`` (its retired key API) the ``url`` is the API's
``acled/read`` endpoint: paged, and asked only for what changed since the last
poll. Without credentials the ``url`` is an export (CSV, or a saved API answer)
by ``file://`` or http(s), fetched conditionally like any feed.
docs/acled.md has the tables, the decisions and the API details.

The package: this module holds the options and the source; api.py the API client and
events.py the parser and its label tables. Every name below is importable from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ...geo.countries import parse_filter
from ...records import FeedState, FetchResult, ParseResult
from ...settings import Secret, at_least, option, positive
from ..base import Feed, Source
from .api import MARK, AcledAuthError, AcledError, Api
from .events import (
    ACLED_EVENT_LABELS,
    ACLED_SUBTYPE_PROBABILITY,
    DEFAULT_PROBABILITY,
    MODEL,
    OUTLET,
    parse_events,
    probability,
)

if TYPE_CHECKING:
    from ..http import Fetcher

__all__ = [
    "ACLED_EVENT_LABELS",
    "ACLED_SUBTYPE_PROBABILITY",
    "DEFAULT_PROBABILITY",
    "MODEL",
    "OUTLET",
    "AcledAuthError",
    "AcledError",
    "AcledOptions",
    "AcledSource",
    "parse_events",
    "probability",
]

# --- options -----------------------------------------------------------------------


def _page_size(value: int) -> str | None:
    return None if 1 <= value <= 5000 else "must be between 1 and 5000"


@dataclass(frozen=True, slots=True)
class AcledOptions:
    """Keys of an ``acled`` feed beyond the common ones; see docs/configuration.md."""

    email: Secret | None = None
    key: Secret | None = None
    password: Secret | None = None
    since: timedelta = option(timedelta(days=14), check=positive)
    countries: tuple[str, ...] = option((), parse=parse_filter)
    page_size: int = option(1000, check=_page_size)
    max_pages: int = option(20, check=at_least(1))
    deletions: bool = True
    token_url: str | None = None

    @property
    def auth(self) -> Literal["oauth", "key"] | None:
        """How the API is asked: OAuth login, legacy key, or not at all (an export)."""
        if self.password is not None:
            return "oauth"
        return "key" if self.key is not None else None

    def problems(self) -> Iterator[tuple[str, str]]:
        """Combinations of keys that cannot work: (key, message)."""
        if self.auth is not None and self.email is None:
            yield "email", "is required with password or key (the ACLED account's address)"
        if self.email is not None and self.auth is None:
            yield "email", "needs password (or the legacy key); without them url is an export"
        if self.key is not None and self.password is not None:
            yield "key", "give password (the OAuth login) or key (retired), not both"
        if self.token_url is not None and self.auth != "oauth":
            yield "token_url", "is only used with password"


# --- the source ----------------------------------------------------------------------


class AcledSource(Source):
    """ACLED events: the API when credentials are given, else a CSV export or saved answer."""

    kind: ClassVar[str] = "acled"
    Options: ClassVar[type] = AcledOptions

    def __init__(self, feed: Feed) -> None:
        super().__init__(feed)
        self._token: tuple[str, float] | None = None  # OAuth access token, monotonic expiry

    def __getstate__(self) -> dict[str, Any]:
        return {"feed": self.feed}  # sent to worker processes: the token stays here

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.feed = state["feed"]
        self._token = None

    @property
    def options(self) -> AcledOptions:
        return self.options_as(AcledOptions)

    def fetch(self, fetcher: Fetcher, state: FeedState) -> FetchResult:
        """Export mode: a conditional GET. API mode: every page of changes and deletions."""
        opts = self.options
        problem = next(opts.problems(), None)
        if problem is not None:
            raise AcledError(f"feeds {self.feed.name}: {problem[0]}: {problem[1]}", "fix the feed")
        if opts.auth is None:
            ours = (state.last_modified or "").startswith(MARK)
            return fetcher.fetch(
                self.feed.url,
                etag=None if ours else state.etag,
                last_modified=None if ours else state.last_modified,
            )
        with Api(self, fetcher.limits) as api:
            return api.poll(state)

    def parse_body(self, fetched: FetchResult) -> ParseResult:
        """Items of a changed body, each with its assessment; bad rows counted and skipped."""
        opts = self.options
        return parse_events(
            fetched.body,
            feed=self.feed.name,
            lang=self.feed.lang or "en",
            since=opts.since,
            countries=opts.countries,
        )
