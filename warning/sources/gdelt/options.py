"""Options both GDELT kinds share: the byte caps (``countries`` is geo/countries.py's).

Separate so that each kind's options class (events.py, gkg.py) and the fetching code
(fetching.py, which applies the caps) can use them without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...settings import option, parse_size, positive

#: Largest file accepted inside a zip archive (``max_unzipped``), unless a feed says otherwise.
DEFAULT_MAX_UNZIPPED = 100_000_000


def size(value: Any) -> int:
    """A size in bytes: a whole number or a string like ``50MB``."""
    if isinstance(value, bool):
        raise ValueError("expected a size like 50MB")
    return int(value) if isinstance(value, int) else parse_size(str(value))


def size_or_none(value: Any) -> int | None:
    return None if value is None else size(value)


# Keyword-only, so that a kind's own options stay first in its constructor.
@dataclass(frozen=True, slots=True, kw_only=True)
class GdeltCaps:
    """The byte caps of a GDELT feed, keys of both kinds (docs/configuration.md)."""

    #: Cap on the downloaded body; None: ``poll.max_bytes``.
    max_bytes: int | None = option(None, parse=size_or_none, check=positive)
    #: Cap on the file inside a zip archive.
    max_unzipped: int = option(DEFAULT_MAX_UNZIPPED, parse=size, check=positive)
