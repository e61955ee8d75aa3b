"""Country outlines: containment, distance to a border, and the fast band test agree."""

from __future__ import annotations

import math
import random

import pytest

from warning.geo import borders

# Coordinates from GeoNames (geonameid in the comment).
BAMAKO = (12.65, -8.0)  # 2460596
ACCRA = (5.55602, -0.1969)  # 2306104
OUAGADOUGOU = (12.36566, -1.53388)  # 2357048
NIAMEY = (13.51366, 2.1098)  # 2440485
KAFOLO = (9.58333, -4.3)  # 2287682, CI, on the Comoé at the BF border
BAWKU = (11.05926, -0.24249)  # 2303287, GH, by the BF and TG borders
MALANVILLE = (11.86819, 3.38327)  # 2392837, BJ, on the Niger facing NE


def test_codes_come_from_the_iso_field_not_the_file_name() -> None:
    # Togo's file is toga.json; Côte d'Ivoire's is cote_d_ivoire.json.
    for code in ("ML", "BF", "NE", "CI", "GH", "TG", "BJ", "NG"):
        assert borders.has_outline(code)
        assert borders.outline(code).code == code
    assert len(borders.codes()) > 150
    assert not borders.has_outline("XX")
    with pytest.raises(KeyError, match="no outline for country 'XX'"):
        borders.contains("XX", 0.0, 0.0)


@pytest.mark.parametrize(
    ("code", "point", "inside"),
    [
        ("ML", BAMAKO, True),
        ("GH", ACCRA, True),
        ("BF", ACCRA, False),
        ("BF", OUAGADOUGOU, True),
        ("NE", NIAMEY, True),
        ("ML", NIAMEY, False),
        # A MultiPolygon: both main islands of New Zealand, not the sea between.
        ("NZ", (-41.28664, 174.77557), True),  # Wellington
        ("NZ", (-43.53333, 172.63333), True),  # Christchurch
        ("NZ", (-40.0, 170.0), False),
        # A hole: Maseru is in Lesotho, which South Africa's outline surrounds.
        ("LS", (-29.31667, 27.48333), True),
        ("ZA", (-29.31667, 27.48333), False),
    ],
)
def test_contains(code: str, point: tuple[float, float], inside: bool) -> None:
    assert borders.contains(code, *point) is inside


def test_towns_on_a_border_are_close_to_the_neighbours_outline() -> None:
    assert borders.distance_to_border_km("BF", *KAFOLO) < 20
    assert borders.distance_to_border_km("BF", *BAWKU) < 20
    assert borders.distance_to_border_km("NE", *MALANVILLE) < 20


def test_distances_across_the_region() -> None:
    assert borders.distance_to_border_km("BF", *ACCRA) > 400
    assert 250 < borders.distance_to_border_km("CI", *OUAGADOUGOU) < 450
    # Inside a country: the distance to its own boundary.
    assert 80 < borders.distance_to_border_km("BF", *OUAGADOUGOU) < 250


def test_a_vertex_is_on_the_border_and_a_point_off_it_is_at_its_distance() -> None:
    lat, lon = borders.outline("BF").rings[0].points[5]
    assert borders.distance_to_border_km("BF", lat, lon) == pytest.approx(0.0, abs=1e-6)
    # 30 km due north of a vertex: the border is at most 30 km away.
    north = lat + 30 / borders.KM_PER_DEGREE
    assert borders.distance_to_border_km("BF", north, lon) <= 30.0 + 1e-6


def test_the_antimeridian_cut_is_not_a_border() -> None:
    # Chukotka straddles 180°; its polygon is cut there, but that line is inland.
    for lon in (179.99, -179.99):
        assert borders.contains("RU", 67.5, lon)
        assert borders.distance_to_border_km("RU", 67.5, lon) > 50


def test_near_border_agrees_with_the_distance() -> None:
    rng = random.Random(3)
    for _ in range(1500):
        lat, lon = rng.uniform(3, 18), rng.uniform(-12, 8)
        code = rng.choice(("BF", "ML", "NE", "GH"))
        km = rng.choice((5.0, 50.0, 100.0, 300.0))
        d = borders.distance_to_border_km(code, lat, lon)
        if abs(d - km) > 1e-9:
            assert borders.near_border(code, lat, lon, km) is (d <= km), (code, lat, lon, km, d)


def test_haversine() -> None:
    assert borders.haversine_km(0, 0, 1, 0) == pytest.approx(borders.KM_PER_DEGREE)
    assert borders.haversine_km(*ACCRA, *ACCRA) == 0.0
    assert borders.haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * borders.EARTH_RADIUS_KM)
    assert borders.haversine_km(*ACCRA, *OUAGADOUGOU) == pytest.approx(
        borders.haversine_km(*OUAGADOUGOU, *ACCRA)
    )
