"""Option parsers both GDELT kinds share: the byte caps and the ``countries`` filter.

Separate so that each kind's options class (events.py, gkg.py) and the fetching code
(fetching.py, which applies the caps) can use them without importing one another.
"""

from __future__ import annotations

from typing import Any

import pycountry

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


def country_list(value: Any) -> tuple[str, ...]:
    """ISO 3166-1 alpha-2 codes (a list, or one code), upper-cased, duplicates dropped."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for v in items:
        code = v.strip().upper() if isinstance(v, str) else ""
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            raise ValueError(f"expected ISO 3166-1 alpha-2 country codes such as ML, got {v!r}")
        if code not in out:
            out.append(code)
    if not out:
        raise ValueError("expected at least one country code; leave the key out for every country")
    return tuple(out)
