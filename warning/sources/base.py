"""What every source kind provides, and the feed settings it is built from.

A source turns one configured feed into items in two steps, so that the
pipeline can store the fetch state and the items in one transaction:
``fetch`` (network or file, conditional) and ``parse`` (bytes to items).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from ..records import FeedState, FetchResult, ParseResult

if TYPE_CHECKING:
    from .http import Fetcher


@dataclass(frozen=True, slots=True)
class NoOptions:
    """A source kind with no options beyond the common feed keys."""


@dataclass(frozen=True, slots=True)
class Feed:
    """One entry of the ``feeds`` list, validated.

    ``options`` is an instance of the source kind's ``Options`` class.
    """

    name: str
    kind: str
    url: str
    every: timedelta
    outlet: str
    lang: str | None = None
    options: object = NoOptions()


class Source(ABC):
    """Base of the source kinds listed in :data:`warning.sources.REGISTRY`."""

    kind: ClassVar[str]
    #: Dataclass of the keys this kind accepts beyond the common feed keys.
    Options: ClassVar[type] = NoOptions

    def __init__(self, feed: Feed) -> None:
        self.feed = feed

    def fetch(self, fetcher: Fetcher, state: FeedState) -> FetchResult:
        """Fetch the feed, conditionally on ``state``'s ETag/Last-Modified.

        The default is one conditional GET of the feed's url (or a file:// read);
        kinds that follow an index or talk to an API override it.
        """
        return fetcher.fetch(self.feed.url, etag=state.etag, last_modified=state.last_modified)

    @abstractmethod
    def parse(self, fetched: FetchResult) -> ParseResult:
        """Turn a fetched body into items; raise ParseError when it holds none."""
