"""The CAMEO table: CAMEO event codes -> label weights, names and the corroboration formula.

Separate from the events parser because it is data with its own checks: the table is
``warning/sources/data/cameo_labels.yaml`` (kept beside the other sources' data, where
docs/gdelt.md points), read once and validated by :func:`load_cameo_table`; the events
kind's options check their ``labels`` against it too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

CAMEO_TABLE = Path(__file__).parent.parent / "data" / "cameo_labels.yaml"


@dataclass(frozen=True, slots=True)
class CameoRule:
    """One entry of the table: a code (prefix), its label weights, and actor conditions."""

    code: str
    labels: tuple[tuple[str, float], ...] = ()
    actor1: frozenset[str] = frozenset()
    actor2: frozenset[str] = frozenset()
    same_country: bool = False

    @property
    def conditional(self) -> bool:
        return bool(self.actor1 or self.actor2 or self.same_country)

    def applies(self, types1: frozenset[str], types2: frozenset[str], same: bool) -> bool:
        return (
            (not self.actor1 or bool(self.actor1 & types1))
            and (not self.actor2 or bool(self.actor2 & types2))
            and (same or not self.same_country)
        )


@dataclass(frozen=True, slots=True)
class CameoTable:
    """CAMEO codes -> label weights, names for titles, floors and the corroboration formula."""

    model: str
    per_source: float
    per_extra_article: float
    floors: Mapping[str, float]
    rules: Mapping[str, tuple[CameoRule, ...]]
    names: Mapping[str, str]

    def weights(
        self, code: str, types1: frozenset[str], types2: frozenset[str], same: bool
    ) -> dict[str, float]:
        """Label -> weight for an event: per label the most specific entry that applies."""
        best: dict[str, tuple[int, bool, float]] = {}
        for n in range(len(code), 1, -1):
            for rule in self.rules.get(code[:n], ()):
                if not rule.applies(types1, types2, same):
                    continue
                for label, weight in rule.labels:
                    rank = (n, rule.conditional, weight)
                    if label not in best or rank > best[label]:
                        best[label] = rank
        return {label: rank[2] for label, rank in best.items() if rank[2] > 0}

    def corroboration(self, sources: int, articles: int) -> float:
        """1 - (1 - per_source) ** (sources + per_extra_article * extra articles)."""
        sources = max(sources, 1)
        n = sources + self.per_extra_article * max(articles - sources, 0)
        return 1.0 - (1.0 - self.per_source) ** n

    def name(self, code: str) -> str:
        for n in range(len(code), 1, -1):
            found = self.names.get(code[:n])
            if found:
                return found
        return f"CAMEO event {code}"


@functools.cache
def load_cameo_table(path: Path = CAMEO_TABLE) -> CameoTable:
    """Read and check the CAMEO table; ValueError says what is wrong with it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    floors = {str(k): float(v) for k, v in data["floors"].items()}
    rules: dict[str, list[CameoRule]] = {}
    names: dict[str, str] = {}
    for n, entry in enumerate(data["codes"]):
        where = f"{path.name}: codes[{n}]"
        code = entry.get("code")
        if not isinstance(code, str) or not re.fullmatch(r"\d{2,4}", code):
            raise ValueError(f"{where}: code must be a quoted string of 2 to 4 digits")
        unknown = set(entry) - {"code", "name", "labels", "actor1", "actor2", "same_country"}
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        if "name" in entry:
            if code in names:
                raise ValueError(f"{where}: code {code} is named twice")
            names[code] = str(entry["name"])
        labels = tuple((str(k), float(v)) for k, v in (entry.get("labels") or {}).items())
        for label, weight in labels:
            if label not in floors or not 0.0 <= weight <= 1.0:
                raise ValueError(f"{where}: {label}: {weight} is no known label with a weight 0-1")
            if 0.0 < weight <= floors[label]:
                raise ValueError(
                    f"{where}: {label}: {weight} can never reach the floor; 0 excludes"
                )
        if labels:
            rule = CameoRule(
                code,
                labels,
                frozenset(entry.get("actor1") or ()),
                frozenset(entry.get("actor2") or ()),
                bool(entry.get("same_country", False)),
            )
            rules.setdefault(code, []).append(rule)
    corroborate = data["corroborate"]
    return CameoTable(
        model=str(data["model"]),
        per_source=float(corroborate["per_source"]),
        per_extra_article=float(corroborate["per_extra_article"]),
        floors=floors,
        rules={code: tuple(found) for code, found in rules.items()},
        names=names,
    )
