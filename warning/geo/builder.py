"""The gazetteer builder's working state: entries, the names that point at them, and
the word lists of ``data/build.yaml`` that say how to read the packages.

:mod:`warning.geo.packages` and :mod:`warning.geo.build` add to a :class:`Builder`;
:meth:`Builder.compile` turns it into the plain data :mod:`warning.geo.compact` encodes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, NamedTuple

from ..errors import DataError
from .names import name_key
from .table import ACRONYM, CAP, DATA_DIR, FIRST_CONCERN, Entry

#: The builder's word lists (sources in its header); part of the cache key.
WORDS_FILE = DATA_DIR / "build.yaml"


class Words(NamedTuple):
    """``data/build.yaml``: what the builder adds to and ignores in the packages."""

    #: Country code -> usual short forms of its name that the packages lack.
    short_forms: dict[str, tuple[str, ...]]
    #: Subdivision types (casefolded) that are below admin-1 in practice.
    minor_types: frozenset[str]
    #: Folded words that name a direction or a kind of area, not a place.
    generic: frozenset[str]
    #: Subdivision type (casefolded) -> how news writes it, "{}" for the name.
    type_forms: dict[str, tuple[str, ...]]
    #: Country name keys that are also people's names (the resolver's person test).
    person_names: frozenset[str]


@functools.cache
def words() -> Words:
    """The word lists, read once per process (the builder's process)."""
    import yaml

    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    try:
        return Words(
            short_forms={cc: tuple(forms) for cc, forms in data["short_forms"].items()},
            minor_types=frozenset(data["minor_types"]),
            generic=frozenset(data["generic"]),
            type_forms={kind: tuple(forms) for kind, forms in data["type_forms"].items()},
            person_names=frozenset(data["person_names"]),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise DataError(
            f"{WORDS_FILE}: not the builder's word lists ({exc!r})",
            "restore the file from the package: it is data the program ships",
        ) from None


class Builder:
    """Collects entries and the names that point at them, then compiles the table."""

    def __init__(self) -> None:
        self.entries: list[tuple[Any, ...]] = []
        self.index: dict[tuple[Any, ...], int] = {}
        self.names: dict[str, list[int]] = {}
        self.flags: dict[str, int] = {}

    def add(self, entry: Entry, names: Iterable[str], *, min_len: int = 2) -> None:
        row = tuple(entry)
        idx = self.index.get(row)
        if idx is None:
            idx = self.index[row] = len(self.entries)
            self.entries.append(row)
        self.alias(idx, names, min_len=min_len)

    def alias(self, idx: int, names: Iterable[str], *, min_len: int = 2) -> None:
        for name in names:
            key = name_key(name)
            if len(key) < min_len:
                continue
            ids = self.names.setdefault(key, [])
            if idx not in ids:
                ids.append(idx)
            letters = [c for c in name if c.isalpha()]
            flag = (CAP if name[:1].isupper() else 0) | (
                ACRONYM if len(letters) <= 6 and name.isupper() else 0
            )
            kind = self.entries[idx][1]
            if kind == "demonym" and not any(self.entries[i][1] == "country" for i in ids):
                # Nationality words are lowercase in French ("l'armée burkinabè") even
                # where the list writes them capitalised; a country's name is not.
                flag &= ~CAP
            # A key is as strict as the loosest way it is written.
            self.flags[key] = self.flags.get(key, CAP | ACRONYM) & flag

    def drop(self, key: str, keep: Any) -> None:
        ids = [i for i in self.names.get(key, ()) if keep(Entry._make(self.entries[i]))]
        if ids:
            self.names[key] = ids
        else:
            self.names.pop(key, None)
            self.flags.pop(key, None)

    def compile(self, person_names: set[str], info: dict[str, Any]) -> dict[str, Any]:
        # The default reading of a name: a look-alike or a country before anything
        # else; among places, the countries of first concern, then the most populous.
        rank = {"not_place": 0, "country": 1, "capital": 2, "demonym": 3, "actor": 5}

        def order(i: int) -> tuple[int, int, int]:
            e = Entry._make(self.entries[i])
            first = any(c in FIRST_CONCERN for c in e.countries)
            return (rank.get(e.kind, 4), 0 if first else 1, -e.population)

        def namesake_town_first(ids: list[int]) -> list[int]:
            # "Kidal" is a region and its chief town: the town is the likelier reading
            # and the more precise point (the region stays its admin-1).
            a, b = (Entry._make(self.entries[i]) for i in ids[:2])
            if a.kind == "admin1" and b.kind == "city" and b.admin1 == a.name:
                return [ids[1], ids[0], *ids[2:]]
            return ids

        names = {
            k: (self.flags[k], *namesake_town_first(sorted(ids, key=order)))
            if len(ids) > 1
            else (self.flags[k], *ids)
            for k, ids in self.names.items()
        }
        partial = set()
        for key in names:
            parts = key.split(" ")
            for n in range(1, len(parts)):
                partial.add(" ".join(parts[:n]))
        return {
            "names": names,
            "entries": tuple(self.entries),
            "partial": frozenset(partial),
            "person_names": frozenset(person_names),
            "info": info,
        }
