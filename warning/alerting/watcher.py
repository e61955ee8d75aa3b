"""Watching the watcher: built-in rules about the daemon itself, for the operator.

Four conditions raise *operator alerts* on the operator's own routes (``operator:``
in the configuration), through the same lifecycle and outbox as the desk's alerts,
so they are stored, deduplicated, retried and resolved the same way:

- a feed that keeps failing (``operator.feed_failures`` failures in a row);
- a feed that goes quiet (no new item for a day, when it usually has some);
- a daemon that stops cycling (no poll of any feed attempted within three of the
  shortest feed interval; seen by the next alert cycle, or after a restart);
- a configuration reload that failed (until a reload succeeds).

They are not YAML rules: the operator cannot delete them by mistake, only route
them (or switch them off with ``operator.enabled: false``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from ..records import FeedState, Signal
from ..redact import scrub, scrub_optional
from .rules import Rule
from .rules.types import FlatlineRule

#: Rule names start with this, so that alerts, silences and the notifiers can tell.
PREFIX = "operator:"
#: How many of the shortest feed interval may pass without a successful poll.
STALL_INTERVALS = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorRule(Rule):
    """Fires while its check fails (signal score 1), resolves as soon as it passes."""

    type: ClassVar[str] = "operator"
    uses_label: ClassVar[bool] = False
    check: str = ""

    def level(self, signal: Signal) -> int:
        return 0

    def firing(self, signal: Signal) -> bool:
        return signal.score >= 1

    def calm(self, signal: Signal) -> bool:
        return signal.score < 1


def rules(routes: tuple[str, ...], feed_failures: int) -> tuple[Rule, ...]:
    """The built-in operator rules, on the operator's routes."""
    common: dict[str, Any] = {
        "severity": "high",
        "routes": routes,
        "hold": timedelta(0),
        "cooldown": timedelta(0),
        "repeat": timedelta(hours=12),
        "window": timedelta(hours=1),
    }
    failing = f"a feed failed {feed_failures} times in a row"
    return (
        OperatorRule(
            name=f"{PREFIX}feed-failing", check="feed-failing", description=failing, **common
        ),
        OperatorRule(
            name=f"{PREFIX}stalled",
            check="stalled",
            description="the daemon stopped polling",
            **common,
        ),
        OperatorRule(
            name=f"{PREFIX}reload-failed",
            check="reload-failed",
            description="a configuration reload failed",
            **common,
        ),
        FlatlineRule(
            name=f"{PREFIX}feed-quiet",
            feeds=("*",),
            window=timedelta(days=1),
            baseline=timedelta(days=7),
            min_usual=3.0,
            threshold=0,
            severity="medium",
            routes=routes,
            hold=timedelta(hours=1),
            cooldown=timedelta(hours=12),
            repeat=timedelta(days=1),
            description="a feed that usually has news had none for a day",
        ),
    )


def signals(
    rule: OperatorRule,
    now: datetime,
    states: dict[str, FeedState],
    intervals: dict[str, timedelta],
    feed_failures: int,
    reload_problems: tuple[str, ...],
) -> list[Signal]:
    """The signals of one operator check: score 1 while it fails, with a note saying why."""
    start = now - rule.window

    def signal(subject: str, failing: bool, note: str | None) -> Signal:
        return Signal(subject, rule.check, start, now, 1.0 if failing else 0.0, note=note)

    if rule.check == "feed-failing":
        return [
            signal(
                f"feed:{name}",
                state.consecutive_failures >= feed_failures,
                f"feed {name}: {state.consecutive_failures} failures in a row; "
                f"last error: {scrub_optional(state.last_error)}",
            )
            for name, state in sorted(states.items())
            if name in intervals
        ]
    if rule.check == "stalled":
        if not intervals:
            return []
        limit = STALL_INTERVALS * min(intervals.values())
        # Attempts, not successes: failing feeds are feed-failing's business; a daemon
        # that stops cycling stops trying at all.
        last = max((s.last_attempt for s in states.values() if s.last_attempt), default=None)
        stalled = last is not None and now - last > limit
        note = f"no feed polled since {last:%Y-%m-%d %H:%M} UTC" if last else None
        return [signal("daemon", stalled, note)]
    if rule.check == "reload-failed":
        note = scrub("; ".join(reload_problems[:5])) or None
        return [signal("config", bool(reload_problems), note)]
    raise ValueError(f"unknown operator check {rule.check!r}")
