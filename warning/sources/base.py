"""What every source kind provides, and the feed settings it is built from.

A source turns one configured feed into items in two steps, so that the
pipeline can store the fetch state and the items in one transaction:
``fetch`` (network or file, conditional) and ``parse`` (bytes to items).
``parse`` is the same skeleton for every kind: an unchanged (304) fetch has no
items, and a changed body goes to the kind's own :meth:`Source.parse_body`.
:func:`crash_guarded` turns a parser's unforeseen crash into a ParseError that
names the feed's failure, for kinds that read bodies with third-party parsers.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar, ParamSpec, TypeVar

from ..errors import ParseError
from ..records import FeedState, FetchResult, ParseResult

if TYPE_CHECKING:
    from .http import Fetcher

P = ParamSpec("P")
OptionsT = TypeVar("OptionsT")

#: A share of a body's items, (k, n): every n-th item from the k-th (Source.parse).
Share = tuple[int, int]
#: The whole body: the one share of one.
WHOLE: Share = (0, 1)


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
    #: Whether its items are news text that the pipeline geotags and scores (rather
    #: than event data that arrives assessed): a large body is then worth sharing
    #: among the workers (pipeline/polling.py).
    news: ClassVar[bool] = False

    def __init__(self, feed: Feed) -> None:
        self.feed = feed

    def fetch(self, fetcher: Fetcher, state: FeedState) -> FetchResult:
        """Fetch the feed, conditionally on ``state``'s ETag/Last-Modified.

        The default is one conditional GET of the feed's url (or a file:// read);
        kinds that follow an index or talk to an API override it.
        """
        return fetcher.fetch(self.feed.url, etag=state.etag, last_modified=state.last_modified)

    def parse(self, fetched: FetchResult) -> ParseResult:
        """Items of a fetched body; an unchanged (304) fetch has none."""
        if fetched.status == "not_modified":
            return ParseResult(items=())
        return self.parse_body(fetched)

    @abstractmethod
    def parse_body(self, fetched: FetchResult) -> ParseResult:
        """Turn a changed body into items; raise ParseError when it holds none."""

    def parse_share(self, fetched: FetchResult, share: Share) -> ParseResult:
        """Every n-th item from the k-th of a changed body, ``share`` being (k, n), with
        the warnings of the whole body: a large body shared among the workers, each of
        which parses it (pipeline/polling.py).

        The default parses the whole body and keeps its share; a kind whose parser can
        build only its share's items overrides this (rss.py), so that no worker builds,
        and holds while it assesses, the items the other shares store.
        """
        k, n = share
        parsed = self.parse(fetched)
        return replace(parsed, items=parsed.items[k::n], assessments=parsed.assessments[k::n])

    def options_as(self, cls: type[OptionsT]) -> OptionsT:
        """The feed's options as ``cls``; its defaults when the feed was built without them."""
        options = self.feed.options
        return options if isinstance(options, cls) else cls()


def crash_guarded(what: str) -> Callable[[Callable[P, ParseResult]], Callable[P, ParseResult]]:
    """Decorate a parser so that anything it raises but ParseError becomes one.

    A crash on one feed must not take the cycle down: the feed fails with
    ``<what> could not be parsed (<exception>)`` and is retried like any other.
    """

    def decorate(parse: Callable[P, ParseResult]) -> Callable[P, ParseResult]:
        @functools.wraps(parse)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> ParseResult:
            try:
                return parse(*args, **kwargs)
            except ParseError:
                raise
            except Exception as exc:
                raise ParseError(
                    f"{what} could not be parsed ({type(exc).__name__}: {exc})",
                    "the body may be corrupt; if this persists, report it with the saved body",
                ) from exc

        return guarded

    return decorate
