"""The curated geography files: demonyms, regions, places, look-alikes, actors.

``data/curated.yaml`` and ``data/actors.yaml`` hold what the maintained packages
lack (see docs/geography.md). They are validated here, strictly, with
``file:line: key: message`` errors, before the gazetteer is built from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from .names import name_key


class CuratedName(NamedTuple):
    """One curated demonym, region, place or look-alike, after validation."""

    names: tuple[str, ...]
    countries: tuple[str, ...]
    kind: str = "region"
    admin1: str | None = None
    lat: float | None = None
    lon: float | None = None
    population: int = 0
    role: str | None = None


class CuratedActor(NamedTuple):
    """One actor from ``actors.yaml``: names, countries, role and years (inclusive)."""

    names: tuple[str, ...]
    countries: tuple[str, ...]
    role: str
    years: tuple[int, int]


class Curated(NamedTuple):
    """Both curated files, validated."""

    demonyms: tuple[CuratedName, ...] = ()
    regions: tuple[CuratedName, ...] = ()
    places: tuple[CuratedName, ...] = ()
    not_places: tuple[CuratedName, ...] = ()
    stop: tuple[str, ...] = ()
    person_names: tuple[str, ...] = ()
    actors: tuple[CuratedActor, ...] = ()


_SECTIONS = ("demonyms", "regions", "places", "stop", "not_places")
_NOTES = {"source", "sources", "note", "notes", "comment"}
# Kinds a curated place may have, and the kind of entry each becomes: a district,
# prefecture or park is an area (like a curated region), a camp a settlement.
_PLACE_KINDS = {
    "city": "city",
    "capital": "capital",
    "admin1": "admin1",
    "region": "region",
    "district": "region",
    "park": "region",
    "camp": "city",
}


class _Checker:
    """Validates one curated document, collecting ``file:line: key: message`` problems."""

    def __init__(self, doc: Any, codes: frozenset[str]) -> None:
        self.doc = doc
        self.codes = codes
        self.problems: list[Any] = []

    def fail(self, path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(self.doc.problem(path, message))

    def entry(self, path: tuple[str | int, ...], value: Any, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {type(value).__name__}")
            return {}
        for key in value.keys() - allowed - _NOTES:
            self.fail((*path, key), f"unknown key (expected one of {', '.join(sorted(allowed))})")
        return value

    def names(
        self, path: tuple[str | int, ...], item: dict[str, Any], *keys: str
    ) -> tuple[str, ...]:
        out: list[str] = []
        for key in keys:
            value = item.get(key)
            if value is None:
                continue
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
                self.fail((*path, key), "expected a name or a list of non-empty names")
                continue
            out.extend(values)
        if not out:
            self.fail((*path, keys[0]), "missing: at least one name is required")
        return tuple(out)

    def countries(
        self, path: tuple[str | int, ...], item: dict[str, Any], *, empty: bool = False
    ) -> tuple[str, ...]:
        # Lenient about `country` versus `countries`; strict about the codes themselves.
        if "country" in item and "countries" in item:
            self.fail((*path, "country"), "give either country or countries, not both")
        key = "countries" if "countries" in item else "country"
        value = item.get(key)
        if value is None and not empty:
            self.fail((*path, key), "missing: a country code is required")
            return ()
        values = [] if value is None else [value] if not isinstance(value, list) else value
        # YAML 1.1 reads an unquoted NO (Norway) as false.
        values = ["NO" if v is False else v for v in values]
        bad = [v for v in values if not isinstance(v, str) or v.upper() not in self.codes]
        if bad:
            self.fail((*path, key), f"not ISO 3166-1 alpha-2 codes: {bad}")
        if not values and not empty:
            self.fail((*path, key), "at least one country code is required")
        return tuple(v.upper() for v in values if isinstance(v, str))

    def number(
        self, path: tuple[str | int, ...], item: dict[str, Any], key: str, lo: float, hi: float
    ) -> float | None:
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            self.fail((*path, key), f"expected a number from {lo} to {hi}")
            return None
        return float(value)

    def point(self, path: tuple[str | int, ...], item: dict[str, Any]) -> tuple[Any, Any]:
        lat = self.number(path, item, "lat", -90, 90)
        lon = self.number(path, item, "lon", -180, 180)
        if (lat is None) != (lon is None):
            self.fail((*path, "lat" if lat is None else "lon"), "give both lat and lon, or neither")
            return None, None
        return lat, lon

    def items(self, section: str) -> Iterator[tuple[tuple[str | int, ...], Any]]:
        values = self.doc.data.get(section) if isinstance(self.doc.data, dict) else None
        if values is None:
            return
        if not isinstance(values, list):
            self.fail((section,), "expected a list")
            return
        for i, value in enumerate(values):
            yield (section, i), value


def _read_curated(c: _Checker) -> dict[str, Any]:
    out: dict[str, list[Any]] = {s: [] for s in (*_SECTIONS, "person_names")}
    if c.doc.data is not None and not isinstance(c.doc.data, dict):
        c.fail((), "expected a mapping with sections " + ", ".join(_SECTIONS))
        return out
    for key in (c.doc.data or {}).keys() - set(_SECTIONS):
        c.fail((key,), f"unknown section (expected one of {', '.join(_SECTIONS)})")
    for path, v in c.items("demonyms"):
        item = c.entry(path, v, {"country", "countries", "names"})
        out["demonyms"].append(
            CuratedName(c.names(path, item, "names"), c.countries(path, item), "demonym")
        )
    for path, v in c.items("regions"):
        item = c.entry(path, v, {"names", "name", "country", "countries", "lat", "lon"})
        names = c.names(path, item, "names", "name")
        out["regions"].append(
            CuratedName(names, c.countries(path, item), "region", None, *c.point(path, item))
        )
    for path, v in c.items("places"):
        keys = {"name", "names", "aliases", "country", "countries", "admin1", "lat", "lon", "kind"}
        item = c.entry(path, v, keys | {"population"})
        kind = item.get("kind", "city")
        if kind not in _PLACE_KINDS:
            c.fail((*path, "kind"), f"expected one of {', '.join(_PLACE_KINDS)}")
        admin1 = item.get("admin1")
        if admin1 is not None and not isinstance(admin1, str):
            c.fail((*path, "admin1"), "expected a name")
            admin1 = None
        pop = c.number(path, item, "population", 0, 1e10)
        out["places"].append(
            CuratedName(
                c.names(path, item, "name", "names", "aliases"),
                c.countries(path, item),
                _PLACE_KINDS.get(str(kind), "city"),
                admin1,
                *c.point(path, item),
                int(pop or 0),
                str(kind),
            )
        )
    for path, v in c.items("not_places"):
        item = c.entry(path, v, {"names", "name", "country", "countries", "lat", "lon"})
        names = c.names(path, item, "names", "name")
        countries = c.countries(path, item, empty=True)
        out["not_places"].append(
            CuratedName(names, countries, "not_place", None, *c.point(path, item))
        )
    for path, v in c.items("stop"):
        # A plain string never matches as a place; a mapping marks a name that is a
        # place except where the words around it make it a person's name.
        if isinstance(v, str) and v.strip():
            out["stop"].append(name_key(v))
        elif isinstance(v, dict):
            item = c.entry(path, v, {"name", "unless_followed_by_capitalised", "person"})
            name = c.names(path, item, "name")
            out["person_names"].extend(name_key(n) for n in name)
        else:
            c.fail(path, "expected a phrase or a mapping with a name")
    return out


def _read_actors(c: _Checker) -> list[CuratedActor]:
    out: list[CuratedActor] = []
    data = c.doc.data
    if isinstance(data, dict) and set(data) == {"actors"}:
        data = data["actors"]  # tolerate a top-level `actors:` key
    if data is None:
        return out
    if not isinstance(data, list):
        c.fail((), "expected a list of actors")
        return out
    for i, v in enumerate(data):
        path: tuple[str | int, ...] = (i,)
        item = c.entry(path, v, {"names", "name", "country", "countries", "kind", "from", "to"})
        years = []
        for key, default in (("from", 0), ("to", 9999)):
            value = item.get(key, default)
            if hasattr(value, "year"):  # a YAML date: keep its year
                value = value.year
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9999:
                c.fail((*path, key), "expected a year")
                value = default
            years.append(value)
        if years[0] > years[1]:
            c.fail((*path, "to"), f"ends ({years[1]}) before it starts ({years[0]})")
        role = item.get("kind", "actor")
        if not isinstance(role, str):
            c.fail((*path, "kind"), "expected a word such as head_of_state or armed_group")
            role = "actor"
        names = c.names(path, item, "names", "name")
        # No country: a regional body that must not be read as any one country's.
        countries = c.countries(path, item, empty=True)
        out.append(CuratedActor(names, countries, role, (years[0], years[1])))
    return out


def load_curated(curated: Path, actors: Path) -> Curated:
    """Read and validate both curated files; a missing file counts as empty.

    Raises :class:`~warning.errors.ConfigError` naming file, line, entry and key for
    every problem found.
    """
    from ..errors import ConfigError
    from ..yamlsrc import load as load_yaml
    from .countries import codes as iso_codes

    codes = iso_codes()
    problems = []
    parts: dict[str, Any] = {}
    if curated.exists():
        check = _Checker(load_yaml(curated), codes)
        parts = _read_curated(check)
        problems += check.problems
    people: list[CuratedActor] = []
    if actors.exists():
        check = _Checker(load_yaml(actors), codes)
        people = _read_actors(check)
        problems += check.problems
    if problems:
        raise ConfigError(problems)
    return Curated(
        demonyms=tuple(parts.get("demonyms", ())),
        regions=tuple(parts.get("regions", ())),
        places=tuple(parts.get("places", ())),
        not_places=tuple(parts.get("not_places", ())),
        stop=tuple(parts.get("stop", ())),
        person_names=tuple(parts.get("person_names", ())),
        actors=tuple(people),
    )
