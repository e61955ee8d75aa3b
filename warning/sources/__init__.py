"""Source kinds: the registry that the ``kind`` key of a feed names.

Built-in kinds are registered here exactly as an outside plugin would be: by
adding its class to :data:`REGISTRY`. Nothing registers itself on import.

The registry is built on first use, not when the package is imported: a worker
process that only parses RSS imports ``sources.rss`` (to unpickle its source)
without the other kinds and the HTTP client they bring (docs/performance.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Feed, NoOptions, Source

if TYPE_CHECKING:
    REGISTRY: dict[str, type[Source]]


def _registry() -> dict[str, type[Source]]:
    from .acled import AcledSource
    from .advisory import TravelAdvisorySource
    from .gdelt import GdeltEventsSource, GdeltGkgSource
    from .rss import RssSource

    return {
        RssSource.kind: RssSource,
        AcledSource.kind: AcledSource,
        GdeltEventsSource.kind: GdeltEventsSource,
        GdeltGkgSource.kind: GdeltGkgSource,
        TravelAdvisorySource.kind: TravelAdvisorySource,
    }


def __getattr__(name: str) -> Any:
    if name == "REGISTRY":
        registry = globals()["REGISTRY"] = _registry()  # built once, then a plain global
        return registry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["REGISTRY", "Feed", "NoOptions", "Source"]
