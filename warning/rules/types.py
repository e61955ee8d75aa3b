"""The rule types: what "firing" and "calm" mean for each.

Registered in :data:`warning.rules.REGISTRY` by their ``type:`` name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from ..aggregate import MIN_HISTORY
from ..records import Signal
from ..settings import at_least, format_duration, option, positive
from .base import ALL, Rule, fraction, parse_severity


def _feed_names(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) and v.strip() for v in items):
        raise ValueError("expected a list of feed names, or *")
    return tuple(dict.fromkeys(v.strip() for v in items))


@dataclass(frozen=True, slots=True, kw_only=True)
class ThresholdRule(Rule):
    """``type: threshold``: the signal's score reaches ``threshold`` with enough outlets.

    Resolves once the score stays below ``resolve_below`` (default: half the
    threshold) for ``hold``; the gap between the two levels stops flapping.
    """

    type: ClassVar[str] = "threshold"
    threshold: float = option(check=fraction)
    resolve_below: float | None = option(None, check=fraction)

    def firing(self, signal: Signal) -> bool:
        return signal.score >= self.threshold and len(signal.outlets) >= self.min_outlets

    def calm(self, signal: Signal) -> bool:
        lower = self.resolve_below if self.resolve_below is not None else self.threshold / 2
        return signal.score < lower

    def problems(self) -> list[tuple[str, str]]:
        out = Rule.problems(self)
        if self.resolve_below is not None and self.resolve_below >= self.threshold:
            out.append(("resolve_below", "must be lower than threshold, or alerts would flap"))
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class SpikeRule(Rule):
    """``type: spike``: independent outlets reach ``threshold`` times the usual number.

    The usual number comes from ``baseline`` of stored history (docs/signals.md);
    with too little history (cold start) a spike rule does not fire.
    """

    type: ClassVar[str] = "spike"
    threshold: float = option(3.0, check=at_least(1))
    baseline: timedelta = option(timedelta(days=28), check=positive)
    min_outlets: int = option(2, check=positive)
    corroborate: int = option(3, check=positive)
    resolve_below: float | None = option(None, check=at_least(0))

    def firing(self, signal: Signal) -> bool:
        return (
            signal.spike is not None
            and signal.spike >= self.threshold
            and len(signal.outlets) >= self.min_outlets
        )

    def calm(self, signal: Signal) -> bool:
        lower = self.resolve_below if self.resolve_below is not None else (1 + self.threshold) / 2
        return signal.spike is None or signal.spike < lower

    def problems(self) -> list[tuple[str, str]]:
        out = Rule.problems(self)
        if self.resolve_below is not None and self.resolve_below >= self.threshold:
            out.append(("resolve_below", "must be lower than threshold, or alerts would flap"))
        shortest = max(self.window * 7, timedelta(days=MIN_HISTORY))
        if self.baseline < shortest:
            out.append(
                (
                    "baseline",
                    f"must be at least {format_duration(shortest)} ({MIN_HISTORY} days of "
                    "history, and seven windows)",
                )
            )
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class FlatlineRule(Rule):
    """``type: flatline``: a feed, or a country's news, goes quiet.

    Watches ``feeds`` (names, or ``*``) when given, else ``countries``: fires when a
    window holds at most ``threshold`` new items although the subject usually
    has at least ``min_usual`` per window (from ``baseline`` of history). A
    country going silent can mean an internet shutdown; a feed going silent, a
    broken source. The signal's score is the item count here, not a probability.
    """

    type: ClassVar[str] = "flatline"
    uses_label: ClassVar[bool] = False
    feeds: tuple[str, ...] = option((), parse=_feed_names)
    threshold: int = option(0, check=at_least(0))
    min_usual: float = option(5.0, check=positive)
    baseline: timedelta = option(timedelta(days=7), check=positive)
    severity: str = option("low", parse=parse_severity)

    def level(self, signal: Signal) -> int:
        return 0

    def firing(self, signal: Signal) -> bool:
        return (
            signal.baseline is not None
            and signal.baseline >= self.min_usual
            and signal.score <= self.threshold
        )

    def calm(self, signal: Signal) -> bool:
        return signal.score > self.threshold

    def problems(self) -> list[tuple[str, str]]:
        out = Rule.problems(self)
        # Quiet is counted per feed or per country (warning.pipeline): a zone has no count.
        if self.zone is not None:
            out.append(
                ("zone", "a flatline rule counts items per feed or per country; use countries")
            )
        if self.feeds and self.countries != (ALL,):
            out.append(("feeds", "give either feeds or countries, not both"))
        if self.baseline < self.window * 3:
            out.append(
                (
                    "baseline",
                    f"must be at least {format_duration(self.window * 3)} "
                    "(three windows) to be a baseline",
                )
            )
        return out
