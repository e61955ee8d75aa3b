"""Watch zones: named areas an operator draws in YAML, which rules can be scoped to.

Four kinds, picked with ``type:`` and registered in :data:`ZONE_TYPES`; each is a
frozen options dataclass (its fields are its YAML keys) that also answers
whether a place, or a whole geotagged item, falls inside it:

- ``countries``: places in any of the listed countries;
- ``admin1``: places in one of the listed admin-1 regions (``"BJ:Alibori"``);
- ``circle``: places within ``radius`` of a point (great-circle distance);
- ``border_band``: places in one of ``countries`` within ``within`` of the
  border of any country in ``near``.

Membership of a country is the gazetteer's (``Place.country``, from GeoNames),
never the coarse outline's: a town on the border belongs to the country it is
in even when the outline puts it a few kilometres across. The outlines only
measure how near a border is (see :mod:`warning.geo.borders`).
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, Protocol

from ..records import GeoTag, Place
from ..settings import Reader, option, positive
from ..yamlsrc import KeyPath
from . import borders
from .countries import parse_code, parse_codes, subdivisions

#: Widest border band: the local projection is accurate to a few hundred km, and a
#: wider band is better written as a countries zone.
MAX_BAND_KM = 1000.0

_DISTANCE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(km|m)\s*", re.IGNORECASE)


class Zone(Protocol):
    """What rules and the aggregator use of a zone, whatever its kind."""

    #: The ``type:`` it is written with.
    kind: ClassVar[str]

    @property
    def name(self) -> str: ...

    def matches(self, place: Place) -> bool: ...

    def matches_item(self, geotag: GeoTag) -> bool: ...


# --- value parsers (raise ValueError; the reader reports it at the key's line) -----------


def parse_distance_km(value: Any) -> float:
    """``"100km"``, ``"50 km"``, ``"2000m"`` -> kilometres; a bare number has no unit."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("expected a distance like 100km or 2000m")
    if not isinstance(value, str):
        raise ValueError(f"{value!r} has no unit; write it like {value}km or {value}m")
    m = _DISTANCE.fullmatch(value)
    if not m:
        raise ValueError(f"{value!r} is not a distance; write it like 100km, 50 km or 2000m")
    number = float(m.group(1))
    return number if m.group(2).lower() == "km" else number / 1000.0


def _latitude(value: float) -> str | None:
    return None if -90 <= value <= 90 else "must be between -90 and 90"


def _longitude(value: float) -> str | None:
    return None if -180 <= value <= 180 else "must be between -180 and 180"


def _band_width(value: float) -> str | None:
    if value <= 0:
        return "must be greater than zero"
    if value > MAX_BAND_KM:
        return f"must be at most {MAX_BAND_KM:g}km; for wider areas use a countries zone"
    return None


# --- admin-1 names -------------------------------------------------------------------------

# Generic words a region's name may carry or lack ("Upper East Region", "Maritime (Région)").
# Compared after accents are stripped, so "Région" is "region".
_GENERIC = frozenset(
    ("region", "department", "departement", "province", "state", "district", "prefecture")
)


@functools.lru_cache(maxsize=4096)
def fold_region(name: str) -> str:
    """Compare key of an admin-1 name: no case, accents, punctuation, "(...)" or "Region"."""
    text = re.sub(r"\([^)]*\)", " ", name)
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    words = re.sub(r"[\W_]+", " ", text).split()
    # Drop a trailing generic word unless it is the whole name.
    while len(words) > 1 and words[-1] in _GENERIC:
        words.pop()
    return " ".join(words)


class Region(NamedTuple):
    """One admin-1 region of a zone: country code, the name as written, its compare key."""

    country: str
    name: str
    key: str


def _regions(value: Any) -> tuple[Region, ...]:
    items = value if isinstance(value, list) else [value]
    out: list[Region] = []
    for item in items:
        if not isinstance(item, str) or ":" not in item:
            raise ValueError(
                f'expected regions written as COUNTRY:Name, like "BJ:Alibori", got {item!r}'
            )
        country, _, name = item.partition(":")
        name = name.strip()
        if not fold_region(name):
            raise ValueError(f"{item!r} names no region after the colon")
        out.append(Region(parse_code(country), name, fold_region(name)))
    if not out:
        raise ValueError('must list at least one region, like ["BJ:Alibori", "TG:Savanes"]')
    return tuple(dict.fromkeys(out))


@functools.cache
def iso_regions(country: str) -> dict[str, str]:
    """Top-level ISO 3166-2 subdivisions of ``country`` (pycountry): compare key -> name."""
    return {fold_region(n): n for n in subdivisions(country)}


# --- the zone kinds ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CountriesZone:
    """``type: countries``: places in, and items about, any of ``countries``."""

    kind: ClassVar[str] = "countries"
    name: str
    countries: tuple[str, ...] = option(parse=parse_codes)

    def matches(self, place: Place) -> bool:
        return place.country in self.countries

    def matches_item(self, geotag: GeoTag) -> bool:
        # An item about Mali is in a Mali zone even when it names no place there.
        return any(c.code in self.countries for c in geotag.countries) or any(
            self.matches(p) for p in geotag.places
        )


@dataclass(frozen=True, slots=True)
class Admin1Zone:
    """``type: admin1``: places in one of ``regions`` ("CC:Name", ISO 3166-2 admin-1 names).

    With ``strict`` (the default) a name must be one pycountry lists for that
    country, so a misspelt region is an error instead of a zone that never
    matches; ``strict: false`` accepts names pycountry lacks (regions created
    after its data, such as Mali's of 2023).
    """

    kind: ClassVar[str] = "admin1"
    name: str
    regions: tuple[Region, ...] = option(parse=_regions)
    strict: bool = True

    def matches(self, place: Place) -> bool:
        # A region named on its own ("attacks in Alibori") is a place of kind admin1.
        names = [place.admin1] if place.admin1 else []
        if place.kind == "admin1":
            names.append(place.name)
        keys = {fold_region(n) for n in names}
        return any(r.country == place.country and r.key in keys for r in self.regions)

    def matches_item(self, geotag: GeoTag) -> bool:
        return any(self.matches(p) for p in geotag.places)

    def problems(self) -> Iterator[tuple[str, str]]:
        if not self.strict:
            return
        for region in self.regions:
            known = iso_regions(region.country)
            if not known or region.key in known:
                continue
            close = difflib.get_close_matches(region.key, list(known), n=1, cutoff=0.6)
            hint = (
                f"did you mean {region.country}:{known[close[0]]}?"
                if close
                else f"known: {', '.join(sorted(known.values()))}"
            )
            yield (
                "regions",
                f"{region.country} has no admin-1 region {region.name!r} in ISO 3166-2; {hint} "
                "(strict: false accepts names that pycountry lacks)",
            )


@dataclass(frozen=True, slots=True)
class CircleZone:
    """``type: circle``: places within ``radius`` km (great-circle) of (``lat``, ``lon``)."""

    kind: ClassVar[str] = "circle"
    name: str
    lat: float = option(check=_latitude)
    lon: float = option(check=_longitude)
    radius: float = option(parse=parse_distance_km, check=positive)

    def matches(self, place: Place) -> bool:
        if place.lat is None or place.lon is None:
            return False
        # Latitude alone bounds the distance from below: a cheap rejection.
        if abs(place.lat - self.lat) * borders.KM_PER_DEGREE > self.radius:
            return False
        return borders.haversine_km(self.lat, self.lon, place.lat, place.lon) <= self.radius

    def matches_item(self, geotag: GeoTag) -> bool:
        return any(self.matches(p) for p in geotag.places)


@dataclass(frozen=True, slots=True)
class BorderBandZone:
    """``type: border_band``: places in ``countries`` within ``within`` km of a ``near`` border.

    A place counts when the gazetteer puts it in one of ``countries`` and it lies
    within ``within`` of the outline of a ``near`` country, or inside that outline
    (the coarse outline overshoots there, so the place is at the border).
    """

    kind: ClassVar[str] = "border_band"
    name: str
    countries: tuple[str, ...] = option(parse=parse_codes)
    near: tuple[str, ...] = option(parse=parse_codes)
    within: float = option(parse=parse_distance_km, check=_band_width)

    def matches(self, place: Place) -> bool:
        if place.lat is None or place.lon is None or place.country not in self.countries:
            return False
        lat, lon = place.lat, place.lon
        return any(
            borders.near_border(code, lat, lon, self.within) or borders.contains(code, lat, lon)
            for code in self.near
        )

    def matches_item(self, geotag: GeoTag) -> bool:
        return any(self.matches(p) for p in geotag.places)

    def problems(self) -> Iterator[tuple[str, str]]:
        for code in self.near:
            if not borders.has_outline(code):
                yield (
                    "near",
                    f"no border outline for {code}; a band needs one for each near country",
                )
        both = [c for c in self.countries if c in self.near]
        if both:
            yield "near", f"{', '.join(both)} also in countries; a band is near another country"


#: ``type:`` -> zone class. Built-ins are listed here, as any added kind would be.
ZONE_TYPES: dict[str, type[Zone]] = {
    "countries": CountriesZone,
    "admin1": Admin1Zone,
    "circle": CircleZone,
    "border_band": BorderBandZone,
}


# --- loading -------------------------------------------------------------------------------


def load_zones(reader: Reader, value: Any, path: KeyPath = ("zones",)) -> tuple[Zone, ...]:
    """Build the zones listed at ``path``; every mistake goes to ``reader.problems``.

    Returns the valid zones only; the caller raises when the reader has problems.
    """
    return reader.named(
        value, path, "zone", "name: ..., type: ...", lambda entry, at: _zone(reader, entry, at)
    )


def _zone(reader: Reader, entry: Any, path: KeyPath) -> Zone | None:
    cls = reader.entry_kind(ZONE_TYPES, entry, path, "type", "zone type", "name and type")
    if cls is None:
        return None
    before = len(reader.problems)
    zone = reader.options(cls, entry, path, extra_allowed=("type",))
    # An unknown key is reported but does not stop options() from building the zone.
    if zone is None or len(reader.problems) > before:
        return None
    # Checks across fields, or against data, that one value's parser cannot make.
    checks = getattr(zone, "problems", None)
    found = list(checks()) if checks is not None else []
    for key, message in found:
        reader.error((*path, key), message)
    return None if found else zone
