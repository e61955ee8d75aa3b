"""The stored items a backtest needs, read once and kept in memory, sorted by time.

The daemon asks the database for a window's evidence every cycle; a backtest asks
for the whole period once, through the same queries, then slices it per step.
Nothing is re-scored: the scores are those stored with the items.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..alerting.rules import Rule
from ..alerting.rules.advisory import AdvisoryRule
from ..alerting.rules.types import FlatlineRule, SpikeRule
from ..geo.zones import Zone
from ..records import Evidence
from ..store import Store
from ..store.advisories import AdvisoryVersion, Series


@dataclass(slots=True)
class Timeline:
    """One subject's evidence for one label, earliest first."""

    evidence: list[Evidence] = field(default_factory=list)
    seen: list[datetime] = field(default_factory=list)

    @classmethod
    def of(cls, evidence: Sequence[Evidence]) -> Timeline:
        ordered = sorted(evidence, key=lambda e: (e.seen, e.item_id))
        return cls(ordered, [e.seen for e in ordered])

    def between(self, start: datetime, end: datetime) -> list[Evidence]:
        """The evidence first seen in [start, end)."""
        return self.evidence[bisect_left(self.seen, start) : bisect_left(self.seen, end)]


def lookback(rules: Sequence[Rule]) -> timedelta:
    """How much history before the first step the rules read (windows, baselines)."""
    longest = timedelta(days=1)
    for rule in rules:
        extra = (
            getattr(rule, "baseline", timedelta(0))
            if isinstance(rule, SpikeRule | FlatlineRule)
            else timedelta(0)
        )
        longest = max(longest, rule.window + extra + timedelta(days=1))
    return longest


class StoredHistory:
    """Evidence per label and subject, item times per feed or country, advisories.

    Loaded for [start − lookback(rules), end) and only for what ``rules`` read, so a
    backtest of one coup rule does not load every unrest report.
    """

    def __init__(
        self,
        store: Store,
        rules: Sequence[Rule],
        zones: Sequence[Zone],
        start: datetime,
        end: datetime,
    ) -> None:
        first = start - lookback(rules)
        alerts = store.alerts
        self.start, self.end = start, end
        self.since = alerts.watching_since()
        self.countries: dict[str, dict[str, Timeline]] = {}
        self.zones: dict[tuple[str, str], Timeline] = {}
        self.times: dict[str, dict[str, list[datetime]]] = {}
        self.advisories: dict[Series, list[AdvisoryVersion]] = {}
        by_name = {z.name: z for z in zones}
        for rule in rules:
            if isinstance(rule, AdvisoryRule):
                if not self.advisories:
                    self.advisories = store.advisories.history()
            elif isinstance(rule, FlatlineRule):
                kind = rule.counts[0]
                if kind not in self.times:
                    self.times[kind] = alerts.seen_times(kind, None, first, end)
            elif rule.zone is not None:
                key = (rule.zone, rule.label)
                if key not in self.zones:
                    found = alerts.zone_evidence(rule.label, first, end, by_name[rule.zone])
                    self.zones[key] = Timeline.of(found)
            elif rule.label not in self.countries:
                found_by_country = alerts.evidence(rule.label, first, end)
                self.countries[rule.label] = {
                    code: Timeline.of(evidence) for code, evidence in found_by_country.items()
                }

    def timelines(self, rule: Rule) -> dict[str, Timeline]:
        """The subjects a threshold or spike rule watches, with their evidence."""
        if rule.zone is not None:
            return {f"zone:{rule.zone}": self.zones[(rule.zone, rule.label)]}
        found = self.countries.get(rule.label, {})
        if "*" in rule.countries:
            return found
        return {code: found[code] for code in rule.countries if code in found}

    @property
    def items(self) -> int:
        """Distinct items above a threshold that were loaded (for the report)."""
        ids = {e.item_id for by in self.countries.values() for t in by.values() for e in t.evidence}
        ids.update(e.item_id for t in self.zones.values() for e in t.evidence)
        return len(ids)
