"""Watch zones: each kind matches what it should, and each mistake gets file:line: key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from warning import yamlsrc
from warning.geo.zones import (
    ZONE_TYPES,
    Admin1Zone,
    BorderBandZone,
    CircleZone,
    CountriesZone,
    Zone,
    fold_region,
    load_zones,
    parse_distance_km,
)
from warning.records import CountryScore, GeoTag, Place
from warning.settings import Reader

EXAMPLE = """
zones:
  - name: sahel
    type: countries
    countries: [ML, BF, NE]
  - name: north-benin-togo
    type: admin1
    regions: ["BJ:Alibori", "TG:Savanes", "TG:Maritime"]
  - name: around-ouaga
    type: circle
    lat: 12.36566
    lon: -1.53388
    radius: 150km
  - name: coastal-north
    type: border_band
    countries: [CI, GH, TG, BJ]
    near: [BF, ML, NE]
    within: 100km
"""


def read(text: str) -> tuple[tuple[Zone, ...], list[str]]:
    doc = yamlsrc.parse(textwrap.dedent(text).lstrip("\n"), Path("zones.yaml"))
    reader = Reader(doc)
    zones = load_zones(reader, doc.data.get("zones"), ("zones",))
    return zones, [str(p) for p in reader.problems]


def zone(name: str) -> Zone:
    zones, problems = read(EXAMPLE)
    assert problems == []
    return next(z for z in zones if z.name == name)


def town(name: str, country: str, lat: float, lon: float, admin1: str | None = None) -> Place:
    return Place(name, country, "city", admin1=admin1, lat=lat, lon=lon)


# Coordinates from GeoNames.
KAFOLO = town("Kafolo", "CI", 9.58333, -4.3)
BAWKU = town("Bawku", "GH", 11.05926, -0.24249)
TANGUIETA = town("Tanguiéta", "BJ", 10.62118, 1.26651)
MALANVILLE = town("Malanville", "BJ", 11.86819, 3.38327)
ABIDJAN = town("Abidjan", "CI", 5.35444, -4.00167)
ACCRA = town("Accra", "GH", 5.55602, -0.1969)
LOME = town("Lomé", "TG", 6.13748, 1.21227)
COTONOU = town("Cotonou", "BJ", 6.36536, 2.41833)
TAMALE = town("Tamale", "GH", 9.40079, -0.8393)
OUAGADOUGOU = town("Ouagadougou", "BF", 12.36566, -1.53388)
KOUDOUGOU = town("Koudougou", "BF", 12.25263, -2.36272)
BOBO = town("Bobo-Dioulasso", "BF", 11.17715, -4.2979)


def test_example_loads_every_kind() -> None:
    zones, problems = read(EXAMPLE)
    assert problems == []
    assert [type(z) for z in zones] == [CountriesZone, Admin1Zone, CircleZone, BorderBandZone]
    assert [z.kind for z in zones] == list(ZONE_TYPES)
    assert all(ZONE_TYPES[z.kind] is type(z) for z in zones)
    sahel, regions, circle, band = zones
    assert isinstance(sahel, CountriesZone) and sahel.countries == ("ML", "BF", "NE")
    assert isinstance(regions, Admin1Zone)
    assert [(r.country, r.name) for r in regions.regions][:2] == [
        ("BJ", "Alibori"),
        ("TG", "Savanes"),
    ]
    assert isinstance(circle, CircleZone) and circle.radius == 150.0
    assert isinstance(band, BorderBandZone) and band.within == 100.0
    assert read("zones:\n")[0] == ()


@pytest.mark.parametrize(
    ("text", "km"),
    [("100km", 100.0), ("50 km", 50.0), ("2000m", 2.0), ("1.5KM", 1.5), (" 10 km ", 10.0)],
)
def test_distances(text: str, km: float) -> None:
    assert parse_distance_km(text) == km


def test_countries_zone() -> None:
    sahel = zone("sahel")
    assert sahel.matches(OUAGADOUGOU)
    assert sahel.matches(Place("Mali", "ML", "country"))  # no coordinates needed
    assert not sahel.matches(ACCRA)
    about_mali = GeoTag(countries=(CountryScore("ML", 0.9),))
    assert sahel.matches_item(about_mali)  # an item's countries count, with no place
    assert sahel.matches_item(GeoTag(places=(OUAGADOUGOU,)))
    assert not sahel.matches_item(GeoTag((CountryScore("GH", 1.0),), (ACCRA,)))
    assert not sahel.matches_item(GeoTag())


def test_admin1_zone_folds_case_accents_and_generic_words() -> None:
    regions = zone("north-benin-togo")
    assert regions.matches(town("Kandi", "BJ", 11.13, 2.94, admin1="Alibori"))
    assert regions.matches(Place("Dapaong", "TG", "city", admin1="SAVANES"))  # no coordinates
    assert regions.matches(Place("Lomé", "TG", "capital", admin1="Maritime Region"))
    # A region named on its own is a place of kind admin1.
    assert regions.matches(Place("Alibori", "BJ", "admin1"))
    # Côte d'Ivoire has a Savanes district too: the country must match as well.
    assert not regions.matches(Place("Korhogo", "CI", "city", admin1="Savanes"))
    assert not regions.matches(Place("Parakou", "BJ", "city", admin1="Borgou"))
    assert not regions.matches(Place("Alibori", "BJ", "city"))  # a town, not the region
    assert regions.matches_item(GeoTag(places=(ACCRA, Place("x", "BJ", "city", admin1="Alibori"))))
    assert not regions.matches_item(GeoTag((CountryScore("BJ", 1.0),)))
    assert fold_region("Ouémé") == fold_region("OUEME") == "oueme"
    assert fold_region("Région") == "region"  # a generic word alone is the name
    assert fold_region("Maritime (Région)") == "maritime"
    assert fold_region("Upper East Region") == "upper east"


def test_admin1_strict_false_accepts_names_pycountry_lacks() -> None:
    text = """
    zones:
      - {name: new-mali, type: admin1, regions: ["ML:Bandiagara"], strict: false}
    """
    zones, problems = read(text)
    assert problems == []
    assert zones[0].matches(Place("Bandiagara", "ML", "city", admin1="Bandiagara"))


def test_circle_zone() -> None:
    circle = zone("around-ouaga")
    assert circle.matches(OUAGADOUGOU)
    assert circle.matches(KOUDOUGOU)  # about 90 km west
    assert not circle.matches(BOBO)  # about 330 km south-west
    assert not circle.matches(Place("Burkina Faso", "BF", "country"))  # no coordinates
    assert circle.matches_item(GeoTag(places=(BOBO, KOUDOUGOU)))
    assert not circle.matches_item(GeoTag((CountryScore("BF", 1.0),)))


@pytest.mark.parametrize("place", [KAFOLO, BAWKU, TANGUIETA, MALANVILLE])
def test_border_band_takes_places_near_the_sahel(place: Place) -> None:
    assert zone("coastal-north").matches(place)


@pytest.mark.parametrize("place", [ABIDJAN, ACCRA, LOME, COTONOU, TAMALE, OUAGADOUGOU])
def test_border_band_leaves_the_coast_and_the_sahel_itself(place: Place) -> None:
    # Tamale is ~150 km from BF; Ouagadougou is in BF, not in one of the band's countries.
    assert not zone("coastal-north").matches(place)


def test_border_band_needs_coordinates_and_counts_places_the_outline_puts_across() -> None:
    band = zone("coastal-north")
    assert not band.matches(Place("Ghana", "GH", "country"))
    assert band.matches_item(GeoTag(places=(ACCRA, BAWKU)))
    assert not band.matches_item(GeoTag((CountryScore("GH", 1.0),), (ACCRA,)))
    # Cinkassé (TG) lies on the border; the coarse BF outline takes it in by ~9 km.
    narrow = BorderBandZone(name="narrow", countries=("TG",), near=("BF",), within=2.0)
    assert narrow.matches(town("Sinkassé", "TG", 11.10389, 0.00944))
    assert not narrow.matches(town("Dapaong", "TG", 10.86225, 0.20762))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "  - {name: a, type: circle, lat: 95, lon: 0, radius: 10km}",
            "zones.yaml:2: zones[0].lat: must be between -90 and 90",
        ),
        (
            "  - {name: a, type: circle, lat: 0, lon: -200, radius: 10km}",
            "zones.yaml:2: zones[0].lon: must be between -180 and 180",
        ),
        (
            "  - name: a\n    type: circle\n    lat: 0\n    lon: 0\n    radius: 150",
            "zones.yaml:6: zones[0].radius: 150 has no unit; write it like 150km or 150m",
        ),
        (
            "  - {name: a, type: circle, lat: 0, lon: 0, radius: 10 miles}",
            "zones.yaml:2: zones[0].radius: '10 miles' is not a distance; "
            "write it like 100km, 50 km or 2000m",
        ),
        (
            "  - {name: a, type: circle, lat: 0, lon: 0, radius: 0km}",
            "zones.yaml:2: zones[0].radius: must be greater than zero",
        ),
        (
            "  - {name: a, type: circle, lat: 0, lon: 0}",
            "zones.yaml:2: zones[0].radius: is required",
        ),
        (
            "  - name: a\n    type: countries\n    countries: [ML, XX]",
            "zones.yaml:4: zones[0].countries: unknown country code 'XX'; "
            "use ISO 3166-1 alpha-2 codes such as ML, BF, NE",
        ),
        (
            "  - {name: a, type: countries, countries: [MLI]}",
            "zones.yaml:2: zones[0].countries: 'MLI' is not an alpha-2 code; "
            "did you mean ML (Mali)?",
        ),
        (
            "  - {name: a, type: countries, countries: []}",
            "zones.yaml:2: zones[0].countries: must list at least one country code, "
            "like [ML, BF, NE]",
        ),
        (
            "  - {name: a, type: polygon}",
            "zones.yaml:2: zones[0].type: unknown zone type 'polygon'; "
            "one of: countries, admin1, circle, border_band",
        ),
        (
            "  - {name: a, type: border-band}",
            "zones.yaml:2: zones[0].type: unknown zone type 'border-band'; "
            "did you mean 'border_band'?",
        ),
        (
            "  - {name: a, countries: [ML]}",
            "zones.yaml:2: zones[0].type: is required; one of: countries, admin1, circle, "
            "border_band",
        ),
        (
            "  - name: a\n    type: countries\n    countries: [ML]\n    contries: [BF]",
            "zones.yaml:5: zones[0].contries: unknown key; did you mean 'countries'?",
        ),
        (
            "  - {type: countries, countries: [ML]}",
            "zones.yaml:2: zones[0].name: is required",
        ),
        (
            "  - {name: a, type: admin1, regions: [Alibori]}",
            "zones.yaml:2: zones[0].regions: expected regions written as COUNTRY:Name, "
            "like \"BJ:Alibori\", got 'Alibori'",
        ),
        (
            '  - {name: a, type: admin1, regions: ["BJ:Aliboru"]}',
            "zones.yaml:2: zones[0].regions: BJ has no admin-1 region 'Aliboru' in ISO 3166-2; "
            "did you mean BJ:Alibori? (strict: false accepts names that pycountry lacks)",
        ),
        (
            "  - {name: a, type: border_band, countries: [GH], near: [BF], within: 5000km}",
            "zones.yaml:2: zones[0].within: must be at most 1000km; "
            "for wider areas use a countries zone",
        ),
        (
            "  - {name: a, type: border_band, countries: [GH], near: [MV], within: 50km}",
            "zones.yaml:2: zones[0].near: no border outline for MV; "
            "a band needs one for each near country",
        ),
        (
            "  - {name: a, type: border_band, countries: [GH, BF], near: [BF], within: 50km}",
            "zones.yaml:2: zones[0].near: BF also in countries; a band is near another country",
        ),
        ("  - just a name", "zones.yaml:2: zones[0]: expected a mapping with name and type"),
    ],
)
def test_each_mistake_is_reported_where_it_is(body: str, expected: str) -> None:
    zones, problems = read("zones:\n" + body + "\n")
    assert problems == [expected]
    assert zones == ()


def test_zone_names_are_unique_and_zones_must_be_a_list() -> None:
    text = """
    zones:
      - {name: sahel, type: countries, countries: [ML]}
      - {name: coast, type: countries, countries: [GH]}
      - {name: sahel, type: countries, countries: [BF]}
    """
    zones, problems = read(text)
    assert [z.name for z in zones] == ["sahel", "coast"]
    assert problems == [
        "zones.yaml:4: zones[2].name: duplicate zone name 'sahel' (first at line 2)"
    ]
    _, problems = read("zones: {name: sahel}\n")
    assert problems == [
        "zones.yaml:1: zones: expected a list of zones (each `- name: ..., type: ...`)"
    ]


def test_every_mistake_of_a_file_is_reported_at_once() -> None:
    text = """
    zones:
      - {name: a, type: circle, lat: 95, lon: 0, radius: 10}
      - {name: b, type: countries, countries: [ZZ]}
      - {name: c, type: countries, countries: [ML]}
    """
    zones, problems = read(text)
    assert [z.name for z in zones] == ["c"]
    assert [p.split(": ")[1] for p in problems] == [
        "zones[0].lat",
        "zones[0].radius",
        "zones[1].countries",
    ]
