"""``type: advisory``: a travel advisory's level changes for a watched country.

The signal is not aggregated from scored news: it is the list of level changes
in the window, from the stored advisory versions (``warning.store.advisories``),
one signal per country under the label ``advisory``. docs/advisories.md and the
``advisory`` section of docs/rules.md tell the same story for operators.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from ...geo.countries import name as country_name
from ...records import Evidence, Signal
from ...settings import option, positive
from .base import ALL, Rule, parse_severity

if TYPE_CHECKING:
    from ...store.advisories import AdvisoryVersion

__all__ = [
    "DIRECTIONS",
    "LABEL",
    "AdvisoryChange",
    "AdvisoryRule",
    "advisory_changes",
    "advisory_signals",
]

#: The label of advisory signals and alerts (not a classifier label).
LABEL = "advisory"
DIRECTIONS = ("raised", "lowered", "any")
MAX_LEVEL = 4
#: The assessment "model" of advisory items (warning.sources.advisory.MODEL).
MODEL = "advisory-1"
PUBLISHER_NAMES = {"us": "US State Department", "uk": "UK FCDO"}


def _direction(value: Any) -> str:
    if value not in DIRECTIONS:
        raise ValueError(f"unknown direction {value!r}; one of: {', '.join(DIRECTIONS)}")
    return str(value)


def _advisory_level(value: Any) -> str | None:
    return None if 1 <= value <= MAX_LEVEL else f"must be an advisory level, 1 to {MAX_LEVEL}"


@dataclass(frozen=True, slots=True)
class AdvisoryChange:
    """One publisher's advisory for one country going from one level to another."""

    old_level: int
    new_level: int
    #: The version that made the change (its item is the evidence).
    version: AdvisoryVersion

    @property
    def raised(self) -> bool:
        return self.new_level > self.old_level


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryRule(Rule):
    """``type: advisory``: a publisher changes its travel advisory level for a country.

    Fires while the window holds a change in ``direction`` (``raised``,
    ``lowered`` or ``any``) to or from a level of at least ``min_level``. The
    alert's level is the new advisory level, so a further raise escalates the
    same alert thread; it is calm once no matching change is left in the window.
    """

    type: ClassVar[str] = "advisory"
    uses_label: ClassVar[bool] = False
    direction: str = option("raised", parse=_direction)
    min_level: int = option(3, check=_advisory_level)
    window: timedelta = option(timedelta(days=1), check=positive)
    severity: str = option("high", parse=parse_severity)

    def matches(self, change: AdvisoryChange) -> bool:
        """Whether a change is one this rule watches (direction and ``min_level``)."""
        if max(change.old_level, change.new_level) < self.min_level:
            return False
        if self.direction == "raised":
            return change.raised
        if self.direction == "lowered":
            return not change.raised
        return True

    def level(self, signal: Signal) -> int:
        """The new advisory level (1 to 4); 0 for a calm signal."""
        return round(signal.score * MAX_LEVEL)

    def firing(self, signal: Signal) -> bool:
        return bool(signal.evidence)

    def calm(self, signal: Signal) -> bool:
        return not signal.evidence

    def problems(self) -> list[tuple[str, str]]:
        out = Rule.problems(self)
        if self.zone is not None:
            out.append(("zone", "advisory levels are per country; use countries"))
        return out


def advisory_changes(
    history: Mapping[tuple[str, str], Sequence[AdvisoryVersion]], start: datetime, end: datetime
) -> list[AdvisoryChange]:
    """Level changes between consecutive versions whose newer one was first seen in [start, end).

    Versions first seen together with a history's first one are where watching
    began, not news: the first poll of a feed (or of a newly listed country)
    never counts as a change, whatever the feed lists.
    """
    out = []
    for versions in history.values():
        if not versions:
            continue
        began = versions[0].first_seen
        for old, new in itertools.pairwise(versions):
            if new.level != old.level and new.first_seen > began and start <= new.first_seen < end:
                out.append(AdvisoryChange(old.level, new.level, new))
    return out


def advisory_signals(
    rule: AdvisoryRule,
    history: Mapping[tuple[str, str], Sequence[AdvisoryVersion]],
    now: datetime,
    open_subjects: Iterable[str] = (),
) -> list[Signal]:
    """One ``advisory`` signal per country the rule watches, firing or calm.

    Every country with an advisory history (or in ``open_subjects``: the
    subjects of the rule's open alerts) gets a signal, so that open alerts can
    resolve. Its evidence is the matching changes in the window, the highest new
    level first; its score the new level / 4 (the highest across publishers of
    each publisher's latest matching change); its outlets the publishers' feeds.
    """
    end = now + timedelta(microseconds=1)  # half-open, as for news signals
    start = end - rule.window
    watched = None if ALL in rule.countries else set(rule.countries)
    found: dict[str, list[AdvisoryChange]] = {}
    for change in advisory_changes(history, start, end):
        if rule.matches(change):
            found.setdefault(change.version.country, []).append(change)
    subjects = {country for _, country in history} | set(open_subjects)
    if watched is not None:
        subjects &= watched
    out = []
    for subject in sorted(subjects):
        changes = found.get(subject)
        if not changes:
            out.append(Signal(subject, LABEL, start, end, 0.0))
            continue
        latest: dict[str, AdvisoryChange] = {}
        for change in sorted(changes, key=lambda c: (c.version.first_seen, c.version.item_id)):
            latest[change.version.source] = change
        score = max(c.new_level for c in latest.values()) / MAX_LEVEL
        evidence = sorted(
            (_evidence(c) for c in changes),
            key=lambda e: (-e.probability, -e.seen.timestamp(), e.item_id),
        )
        out.append(
            Signal(
                subject,
                LABEL,
                start,
                end,
                score,
                outlets=tuple(dict.fromkeys(e.outlet for e in evidence)),
                evidence=tuple(evidence),
                items=tuple(e.item_id for e in evidence),
            )
        )
    return out


def change_title(change: AdvisoryChange) -> str:
    """``Mali: raised from level 3 to level 4 (US State Department)``."""
    v = change.version
    verb = "raised" if change.raised else "lowered"
    publisher = PUBLISHER_NAMES.get(v.source, v.source)
    return (
        f"{country_name(v.country)}: {verb} from level {change.old_level} "
        f"to level {change.new_level} ({publisher})"
    )


def _evidence(change: AdvisoryChange) -> Evidence:
    v = change.version
    return Evidence(
        item_id=v.item_id,
        title=change_title(change),
        link=v.link,
        outlets=(v.outlet,),
        seen=v.first_seen,
        probability=change.new_level / MAX_LEVEL,
        model=MODEL,
    )
