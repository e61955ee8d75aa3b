"""Source kinds: the registry that the ``kind`` key of a feed names.

Built-in kinds are registered here exactly as an outside plugin would be: by
adding its class to :data:`REGISTRY`. Nothing registers itself on import.
"""

from __future__ import annotations

from .acled import AcledSource
from .advisory import TravelAdvisorySource
from .base import Feed, NoOptions, Source
from .gdelt import GdeltEventsSource, GdeltGkgSource
from .rss import RssSource

REGISTRY: dict[str, type[Source]] = {
    RssSource.kind: RssSource,
    AcledSource.kind: AcledSource,
    GdeltEventsSource.kind: GdeltEventsSource,
    GdeltGkgSource.kind: GdeltGkgSource,
    TravelAdvisorySource.kind: TravelAdvisorySource,
}

__all__ = ["REGISTRY", "Feed", "NoOptions", "Source"]
