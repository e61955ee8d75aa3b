"""The rule types: what "firing" and "calm" mean for each.

Registered in :data:`warning.alerting.rules.REGISTRY` by their ``type:`` name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from ...records import Signal
from ...settings import at_least, format_duration, option, positive
from ..signals import MIN_HISTORY
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

    @property
    def counts(self) -> tuple[str, tuple[str, ...] | None, int]:
        """What to count: ``feed`` or ``country``, which names (None: all), how many
        windows (the baseline's, then the current one)."""
        if self.feeds:
            return "feed", None if ALL in self.feeds else self.feeds, self.slots + 1
        return "country", None if ALL in self.countries else self.countries, self.slots + 1

    @property
    def slots(self) -> int:
        return max(1, self.baseline // self.window)

    def signals(
        self, counts: dict[str, list[int]], now: datetime, since: datetime | None
    ) -> list[Signal]:
        """One signal per subject: items in the window now (score) and usually (baseline).

        ``counts`` are the subject's items per window, oldest first (see :attr:`counts`);
        ``since`` is when the first item was stored: windows before it mean "not watching
        yet", not quiet, and are left out of the baseline.
        """
        slots = self.slots
        watched = (
            slots if since is None else int(min(slots, (now - self.window - since) // self.window))
        )
        out = []
        for name, per_slot in sorted(counts.items()):
            history = per_slot[slots - watched : slots] if watched > 0 else []
            usual = sum(history) / len(history) if len(history) >= 3 else None
            subject = f"feed:{name}" if self.feeds else name
            out.append(
                Signal(
                    subject, "quiet", now - self.window, now, float(per_slot[-1]), baseline=usual
                )
            )
        return out

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
