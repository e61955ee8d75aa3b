"""What every rule type shares: the YAML keys, the subjects it watches, the routes.

A rule is data (STYLE.md): an options dataclass whose fields are its YAML keys.
Each type adds its own keys and answers one question about a signal: is it
*firing*? The alert lifecycle (:mod:`warning.alerting.lifecycle`) does everything else the
same way for every type: new, escalated, ongoing, resolved, cooldown, silences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from ...geo.countries import parse_codes
from ...records import Signal
from ...settings import option, positive

LABELS = ("coup", "election_dispute", "attack", "unrest")
SEVERITIES = ("low", "medium", "high", "critical")
NOTIFIER_KINDS = ("slack", "email", "webhook", "apprise", "log")
ALL = "*"

_ROUTE = re.compile(r"^(?P<kind>[a-z]+)(?::(?P<target>.+))?$")
#: Loose on purpose (the email notifier checks strictly): catches ``email:ops`` at load.
_EMAIL = re.compile(r"[^@\s,]+@[^@\s,]+\.[^@\s,]+")
#: An Apprise tag, as ``notify.apprise.urls`` entries carry them.
_TAG = re.compile(r"[A-Za-z0-9_-]+")


def parse_countries(value: Any) -> tuple[str, ...]:
    """``"*"`` (every country) or a list of ISO 3166-1 alpha-2 codes."""
    if value == ALL or value == [ALL]:
        return (ALL,)
    return parse_codes(value)


def parse_label(value: Any) -> str:
    if value not in LABELS:
        raise ValueError(f"unknown label {value!r}; one of: {', '.join(LABELS)}")
    return str(value)


def parse_severity(value: Any) -> str:
    if value not in SEVERITIES:
        raise ValueError(f"unknown severity {value!r}; one of: {', '.join(SEVERITIES)}")
    return str(value)


def parse_routes(value: Any) -> tuple[str, ...]:
    """``[slack, "slack:#other", email, "email:ops@example.org", log]``."""
    items = value if isinstance(value, list) else [value]
    routes = []
    for item in items:
        route = item.strip() if isinstance(item, str) else item
        m = _ROUTE.match(route) if isinstance(route, str) else None
        if isinstance(route, str) and route.endswith(":") and route[:-1] in NOTIFIER_KINDS:
            kind = route[:-1]
            example = "email:ops@example.org" if kind == "email" else "slack:#other-channel"
            raise ValueError(
                f"route {item!r} has nothing after the colon; write {kind} alone for "
                f"its default target, or name one, like {example}"
            )
        if m is None or m["kind"] not in NOTIFIER_KINDS:
            raise ValueError(
                f"unknown route {item!r}; routes are {', '.join(NOTIFIER_KINDS)}, optionally "
                "with a target, like slack:#other-channel or email:ops@example.org"
            )
        if m["kind"] == "webhook" and m["target"]:
            raise ValueError(
                f"route {item!r}: the webhook has one address, notify.webhook.url; "
                "write webhook alone"
            )
        if m["kind"] == "apprise" and m["target"] and not _TAG.fullmatch(m["target"]):
            raise ValueError(
                f"route {item!r}: apprise:TAG names a tag of notify.apprise.urls "
                "(letters, digits, - and _), like apprise:oncall"
            )
        if m["kind"] == "email" and m["target"]:
            bad = [a for a in m["target"].split(",") if not _EMAIL.fullmatch(_address(a))]
            if bad:
                raise ValueError(
                    f"route {item!r}: {bad[0].strip()!r} is not an email address; "
                    "write it like email:ops@example.org (several: comma-separated)"
                )
        routes.append(route)
    if not routes:
        raise ValueError("must name at least one route, like [slack, email]")
    return tuple(dict.fromkeys(routes))


def _address(piece: str) -> str:
    """``ops@example.org`` or ``Ops desk <ops@example.org>`` -> the address."""
    piece = piece.strip()
    return piece[piece.rfind("<") + 1 : -1] if piece.endswith(">") else piece


def fraction(value: Any) -> str | None:
    return None if 0 < value <= 1 else "must be above 0 and at most 1 (a score, like 0.5)"


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """The keys every rule type takes (docs/rules.md lists them with examples).

    ``countries`` and ``zone`` pick what the rule watches: each listed country
    on its own, every country (``*``, the default), or one watch zone as a whole.
    """

    type: ClassVar[str]
    #: Whether the type reads classifier labels (flatline does not).
    uses_label: ClassVar[bool] = True

    name: str
    label: str = option("", parse=parse_label)
    countries: tuple[str, ...] = option((ALL,), parse=parse_countries)
    zone: str | None = None
    severity: str = option("medium", parse=parse_severity)
    window: timedelta = option(timedelta(hours=6), check=positive)
    min_outlets: int = option(1, check=positive)
    corroborate: int = option(2, check=positive)
    cooldown: timedelta = option(timedelta(hours=12))
    hold: timedelta = option(timedelta(hours=3))
    repeat: timedelta = option(timedelta(hours=6), check=positive)
    routes: tuple[str, ...] = option(("log",), parse=parse_routes)
    description: str | None = None
    enabled: bool = True

    def level(self, signal: Signal) -> int:
        """0 while unconfirmed, 1 once ``corroborate`` independent outlets report it.

        An alert escalates (same thread) when its level rises.
        """
        return 1 if len(signal.outlets) >= self.corroborate else 0

    def firing(self, signal: Signal) -> bool:
        """Whether the signal crosses this rule's threshold now."""
        raise NotImplementedError

    def calm(self, signal: Signal) -> bool:
        """Whether the signal is low enough to count toward resolving (below the lower level)."""
        raise NotImplementedError

    def problems(self) -> list[tuple[str, str]]:
        """Checks across keys; each is (key, message)."""
        out = []
        if self.uses_label and not self.label:
            out.append(("label", f"is required; one of: {', '.join(LABELS)}"))
        if self.corroborate < self.min_outlets:
            out.append(("corroborate", "must be at least min_outlets"))
        return out
