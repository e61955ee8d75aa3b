"""Where the rules come from: inline, one file, a list of files or a glob.

``rules:`` in the configuration is a list of rules written in place, the name of a
rules file, a list of such names, or a glob (``rules.d/*.yaml``); names are relative
to the configuration. Several files make one rule set: rule and zone names must be
unique across them, and the set's hash (stored with every alert) covers every file
in the order read, which for a glob is sorted by name so that it never depends on
the directory's listing order. A file holds a list of rules, or a mapping with
``rules`` and ``zones`` so that it can ship with the zones it uses (the bundled one
does).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ... import yamlsrc
from ...errors import ConfigError
from ...geo.zones import Zone, load_zones
from ...settings import Reader
from ...yamlsrc import KeyPath
from . import RuleSet, load_rules

#: What a missing rules file's error suggests.
HINT = "copy config/rules.yaml beside the configuration, or give an inline list / an absolute path"
_GLOB = frozenset("*?[")


def read_rules(
    reader: Reader,
    value: Any,
    config_file: Path,
    zones: tuple[Zone, ...],
    feeds: Sequence[str],
    *,
    own_zones_win: bool = True,
) -> tuple[RuleSet, tuple[Zone, ...]]:
    """The rules ``value`` names or holds, and the zones their files define.

    ``own_zones_win``: a zone in a rules file whose name is also the configuration's
    is an error (True), or gives way to the configuration's (False: the bundled rules,
    which an operator's zone of the same name replaces).
    """
    files = rule_files(reader, value, config_file)
    if files is None:
        return load_rules(reader, value or [], config_file, zones, feeds, ("rules",)), ()
    sets: list[RuleSet] = []
    defined: dict[str, Path] = {}
    own_zones: list[Zone] = []
    for file in files:
        rule_set, own = _one_file(reader, file, config_file, zones, feeds, own_zones_win)
        for zone in own:
            if zone.name in defined:
                reader.error(
                    ("rules",),
                    f"zone {zone.name!r} is defined in both {defined[zone.name]} and {file}; "
                    "rename one of them",
                )
            defined.setdefault(zone.name, file)
        zones, own_zones = zones + own, own_zones + list(own)
        sets.append(rule_set)
    return _merge(reader, sets, config_file), tuple(own_zones)


def rule_files(reader: Reader, value: Any, config_file: Path) -> list[Path] | None:
    """The files ``value`` names, in the order read; None when it is a list of rules."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        names: list[tuple[str, KeyPath]] = [(v, ("rules", i)) for i, v in enumerate(value)]
    elif isinstance(value, list):
        if any(isinstance(v, str) for v in value):
            reader.error(
                ("rules",),
                "mixes file names and rules; give either a list of files or a list of rules",
            )
            return []
        return None
    elif value is None:  # `rules:` with nothing after it: no rules, as `rules: []`
        return None
    elif isinstance(value, str) and value.strip():
        names = [(value, ("rules",))]
    else:
        reader.error(("rules",), "expected a file name (relative to this file) or a list of rules")
        return []
    files: list[Path] = []
    for name, path in names:
        full = (config_file.parent / name).resolve()
        if _GLOB & set(name):
            matched = sorted(p for p in full.parent.glob(full.name) if p.is_file())
            if not matched:
                reader.error(path, f"{name!r} matches no file in {full.parent}", hint=HINT)
            files += matched
        elif full.is_file():
            files.append(full)
        else:
            what = "is a directory, not a file" if full.is_dir() else "file not found"
            reader.error(path, f"{what}: {full}", hint=HINT)
    duplicates = {f for f in files if files.count(f) > 1}
    if duplicates:
        reader.error(("rules",), f"names {sorted(map(str, duplicates))[0]} more than once")
        return list(dict.fromkeys(files))
    return files


def _one_file(
    reader: Reader,
    rules_file: Path,
    config_file: Path,
    zones: tuple[Zone, ...],
    feeds: Sequence[str],
    own_zones_win: bool,
) -> tuple[RuleSet, tuple[Zone, ...]]:
    """One rules file: a list of rules, or ``rules`` and ``zones``."""
    try:
        doc = yamlsrc.load(rules_file)
    except ConfigError as exc:
        reader.problems.extend(exc.problems)
        return RuleSet(rules_file, (), ""), ()
    file_reader = Reader(doc)
    data = doc.data if doc.data is not None else []
    own_zones: tuple[Zone, ...] = ()
    entries: Any = data
    path: KeyPath = ()
    if isinstance(data, dict):
        top = file_reader.mapping(data, (), ("rules", "zones"))
        own_zones = load_zones(file_reader, top.get("zones"))
        if own_zones_win:
            main = {z.name: i for i, z in enumerate(zones)}
            for i, zone in enumerate(own_zones):
                if zone.name in main:
                    first = reader.doc.line(("zones", main[zone.name], "name"))
                    file_reader.error(
                        ("zones", i, "name"),
                        f"duplicate zone name {zone.name!r} (first at {config_file}:{first}); "
                        "rename one of them",
                    )
        else:
            names = {z.name for z in zones}
            own_zones = tuple(z for z in own_zones if z.name not in names)
        entries, path = top.get("rules") or [], ("rules",)
    if not isinstance(entries, list):
        file_reader.error(path, "expected a list of rules (each `- name: ..., type: ...`)")
        entries = []
    rules = load_rules(file_reader, entries, rules_file, zones + own_zones, feeds, path)
    reader.problems.extend(file_reader.problems)
    return rules, own_zones


def _merge(reader: Reader, sets: list[RuleSet], config_file: Path) -> RuleSet:
    """One rule set from several files' (one file's as it is)."""
    if len(sets) == 1:
        return sets[0]
    if not sets:
        return RuleSet(config_file, (), "")
    first: dict[str, Path] = {}
    for rule_set in sets:
        for rule in rule_set.rules:
            if rule.name in first:
                reader.error(
                    ("rules",),
                    f"rule {rule.name!r} is defined in both {first[rule.name]} and "
                    f"{rule_set.file}; rule names are unique across files, rename one",
                )
            first.setdefault(rule.name, rule_set.file)
    rules = tuple(r for s in sets for r in s.rules)
    combined = hashlib.sha256("".join(s.digest for s in sets).encode()).hexdigest()[:16]
    return RuleSet(sets[0].file, rules, combined, tuple(s.file for s in sets))
