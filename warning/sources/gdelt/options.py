"""Option parsers both GDELT kinds share: the byte caps (``countries`` is geo/countries.py's).

Separate so that each kind's options class (events.py, gkg.py) and the fetching code
(fetching.py, which applies the caps) can use them without importing one another.
"""

from __future__ import annotations

from typing import Any

from ...settings import parse_size

#: Largest file accepted inside a zip archive (``max_unzipped``), unless a feed says otherwise.
DEFAULT_MAX_UNZIPPED = 100_000_000


def size(value: Any) -> int:
    """A size in bytes: a whole number or a string like ``50MB``."""
    if isinstance(value, bool):
        raise ValueError("expected a size like 50MB")
    return int(value) if isinstance(value, int) else parse_size(str(value))


def size_or_none(value: Any) -> int | None:
    return None if value is None else size(value)
