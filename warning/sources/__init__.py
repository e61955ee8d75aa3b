"""Source kinds: the registry that the ``kind`` key of a feed names.

Built-in kinds are registered here exactly as an outside plugin would be: by
adding its class to :data:`REGISTRY`. Nothing registers itself on import.
"""

from __future__ import annotations

from .base import Feed, NoOptions, Source
from .rss import RssSource

REGISTRY: dict[str, type[Source]] = {
    RssSource.kind: RssSource,
}

__all__ = ["REGISTRY", "Feed", "NoOptions", "Source"]
