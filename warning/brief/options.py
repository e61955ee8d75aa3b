"""``brief:``: when the morning brief goes out, in which time zone, where, and about which
countries. Read by the configuration like any options class (settings.Reader)."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import time
from typing import Any

from ..alerting.rules.base import parse_routes
from ..geo.countries import parse_codes
from ..settings import option

#: The notifier kinds a brief can be rendered for (render.py).
KINDS = ("slack", "email", "webhook", "apprise", "log")

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def parse_at(value: Any) -> time:
    """``"06:30"`` -> 06:30. YAML 1.1 reads an unquoted 06:30 as the number 390."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f"got the number {value}: YAML reads an unquoted 06:30 as minutes; "
            'quote the time, like at: "06:30"'
        )
    m = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if m is None or int(m[1]) > 23 or int(m[2]) > 59:
        raise ValueError(f'{value!r} is not a time of day; write it like "06:30" (00:00 to 23:59)')
    return time(int(m[1]), int(m[2]))


def parse_timezone(value: Any) -> zoneinfo.ZoneInfo:
    """An IANA time zone name (``Africa/Abidjan``); the system's zone data or tzdata's."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a time zone name like Africa/Abidjan, got {value!r}")
    try:
        return zoneinfo.ZoneInfo(value.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        pass
    if not zoneinfo.available_timezones():
        raise ValueError(
            f"no time zone data on this machine to read {value!r}: "
            "install the tzdata package (pip install tzdata, or the system's tzdata)"
        )
    raise ValueError(
        f"unknown time zone {value!r}; use an IANA name like Africa/Abidjan, "
        "Africa/Lagos or UTC (the list: python3 -c 'import zoneinfo; "
        "print(sorted(zoneinfo.available_timezones()))')"
    )


def parse_brief_routes(value: Any) -> tuple[str, ...]:
    """Routes as rules write them (``slack``, ``email:ops@example.org``), of a kind the
    brief can be rendered for."""
    routes = parse_routes(value)
    for route in routes:
        kind = route.partition(":")[0]
        if kind not in KINDS:
            raise ValueError(f"route {route!r}: the brief goes to {', '.join(KINDS)}")
    return routes


@dataclass(frozen=True, slots=True)
class BriefOptions:
    """``brief``: once a day at ``at`` (the local time of ``timezone``), to ``routes``,
    about ``countries`` and any other country with an alert or a signal up."""

    at: time = option(parse=parse_at)
    routes: tuple[str, ...] = option(parse=parse_brief_routes)
    timezone: zoneinfo.ZoneInfo = option(zoneinfo.ZoneInfo("UTC"), parse=parse_timezone)
    countries: tuple[str, ...] = option((), parse=parse_codes)
