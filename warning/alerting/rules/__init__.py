"""Alert rules: the registry of rule types, and loading a rules file.

Built-in types are registered here exactly as an outside plugin would be: by
adding the class to :data:`REGISTRY`. ``docs/rules.md`` documents every key.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...geo.zones import Zone
from ...settings import Reader
from ...yamlsrc import KeyPath
from .advisory import AdvisoryRule
from .base import ALL, LABELS, SEVERITIES, Rule
from .types import FlatlineRule, SpikeRule, ThresholdRule

REGISTRY: dict[str, type[Rule]] = {
    ThresholdRule.type: ThresholdRule,
    SpikeRule.type: SpikeRule,
    FlatlineRule.type: FlatlineRule,
    AdvisoryRule.type: AdvisoryRule,
}

__all__ = ["ALL", "LABELS", "REGISTRY", "SEVERITIES", "Rule", "RuleSet", "load_rules"]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The validated rules, where they came from, and a hash stored with every alert."""

    file: Path
    rules: tuple[Rule, ...]
    digest: str
    #: Every file the rules came from, when more than one (``rules:`` a list or a glob).
    files: tuple[Path, ...] = ()

    @property
    def sources(self) -> tuple[Path, ...]:
        """The files the rules were read from (the configuration's own, for inline rules)."""
        return self.files or (self.file,)

    @property
    def active(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.enabled)

    def get(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)


def digest(entries: Sequence[Any], zones: Sequence[Zone] = ()) -> str:
    """A short hash of the rules as written and the zones they use, stored with every alert.

    Redrawing a zone changes what a rule watches, so it changes the hash too.
    """
    used = sorted(repr(z) for z in zones)
    text = json.dumps([list(entries), used], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_rules(
    reader: Reader,
    entries: Sequence[Any],
    file: Path,
    zones: Sequence[Zone],
    feeds: Sequence[str],
    path: KeyPath = (),
) -> RuleSet:
    """Validate every rule; mistakes go to ``reader.problems`` with their line."""
    rules: list[Rule] = []
    seen: dict[str, KeyPath] = {}
    zone_names = {z.name for z in zones}
    for i, entry in enumerate(entries):
        rule = _rule(reader, entry, (*path, i), zone_names, set(feeds))
        if rule is not None and reader.unique(seen, rule.name, (*path, i), "rule"):
            rules.append(rule)
    used = {r.zone for r in rules if r.zone}
    return RuleSet(file, tuple(rules), digest(entries, [z for z in zones if z.name in used]))


def _rule(
    reader: Reader, entry: Any, path: KeyPath, zone_names: set[str], feeds: set[str]
) -> Rule | None:
    cls = reader.entry_kind(REGISTRY, entry, path, "type", "rule type", "at least name and type")
    if cls is None:
        return None
    before = len(reader.problems)
    # A key of another type (min_usual on a threshold rule) says so, not "did you mean".
    foreign = {
        key: owners
        for key in entry
        if key not in _keys(cls)
        and (owners := [t for t, other in REGISTRY.items() if key in _keys(other)])
    }
    for key, owners in foreign.items():
        others = " and ".join(owners)
        reader.error((*path, key), f"is a key of {others} rules, not {cls.type} rules")
    entry = {k: v for k, v in entry.items() if k not in foreign}
    rule = reader.options(cls, entry, path, extra_allowed=("type",))
    if rule is None or len(reader.problems) > before:
        return None
    found = rule.problems()
    if "countries" in entry and "zone" in entry:
        found.append(("zone", "give either countries or zone, not both"))
    if not rule.uses_label and "label" in entry:
        found.append(("label", f"a {cls.type} rule does not read labels; remove it"))
    if rule.zone is not None and rule.zone not in zone_names:
        close = difflib.get_close_matches(rule.zone, sorted(zone_names), n=1)
        hint = (
            f"did you mean {close[0]!r}?"
            if close
            else "define it under `zones:` in the main configuration file"
        )
        found.append(("zone", f"no zone named {rule.zone!r}; {hint}"))
    for name in getattr(rule, "feeds", ()):
        if name != ALL and name not in feeds:
            found.append(("feeds", f"no feed named {name!r} in the configuration"))
    for key, message in found:
        reader.error((*path, key), message)
    return None if found else rule


def _keys(cls: type[Rule]) -> set[str]:
    """The YAML keys of a rule type: its dataclass fields."""
    return {f.name for f in dataclasses.fields(cls)}
