"""Country outlines, point-in-country tests and distances to a country's border.

The outlines come from the GeoJSON that the ``countryinfo`` package ships with
each country (its files are matched to ISO 3166-1 alpha-2 codes through their
own ``ISO.alpha2`` field, because the file names are not reliable: Togo is
``toga.json``). They are coarse, tens of vertices per country (Ghana has 25),
so a border can be off by several kilometres to a few tens of kilometres;
``bench/bench_borders.py`` measures by how much and ``docs/geography.md``
records the figures.

Distances to an outline are computed in a local equirectangular projection
centred on the query point (x = Δlon·cos(lat)·R, y = Δlat·R), which is within
about 1% of the great-circle distance for the few hundred kilometres that
border bands are about, and cheap enough for thousands of points a second.
Edges are grouped into small chunks with bounding boxes, so most of an outline
is skipped without looking at its edges.

Everything is loaded once per process, on first use (about 40 ms), and kept as
plain tuples: roughly 10,000 vertices for the whole world.
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import json
import math
from pathlib import Path
from typing import Any, NamedTuple

#: Mean Earth radius (IUGG), the R of every distance in this module.
EARTH_RADIUS_KM = 6371.0
#: Kilometres per degree of latitude (and of longitude at the equator).
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180.0

# Edges per chunk: small enough that a chunk's bounding box is tight, large enough
# that the box test is not the main cost. 8-16 measure about the same.
_CHUNK_EDGES = 12

LatLon = tuple[float, float]
# One edge as (lat1, lon1, lat2, lon2).
Edge = tuple[float, float, float, float]


class Ring(NamedTuple):
    """A closed ring of (lat, lon) vertices (first == last) and its bounding box."""

    points: tuple[LatLon, ...]
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float


class Chunk(NamedTuple):
    """A few consecutive border edges and their bounding box, for cheap rejection."""

    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float
    edges: tuple[Edge, ...]


class Outline(NamedTuple):
    """One country's outline: every ring of every polygon, outer rings and holes alike."""

    code: str
    rings: tuple[Ring, ...]
    chunks: tuple[Chunk, ...]
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def codes() -> frozenset[str]:
    """The alpha-2 codes that have an outline (about 170; small islands mostly lack one)."""
    return frozenset(_outlines())


def has_outline(code: str) -> bool:
    """Whether ``code`` (ISO 3166-1 alpha-2) has an outline to test against."""
    return code in _outlines()


def outline(code: str) -> Outline:
    """The outline of ``code``; KeyError when the data has none for it."""
    try:
        return _outlines()[code]
    except KeyError:
        raise KeyError(f"no outline for country {code!r}") from None


def contains(code: str, lat: float, lon: float) -> bool:
    """Whether the point lies inside the outline of ``code`` (even-odd rule).

    Every ring of every polygon takes part, so islands of a MultiPolygon count
    and holes (Lesotho inside South Africa) do not.
    """
    o = outline(code)
    if not (o.min_lat <= lat <= o.max_lat and o.min_lon <= lon <= o.max_lon):
        return False
    inside = False
    for ring in o.rings:
        # A point outside a ring's box crosses that ring an even number of times.
        if not (ring.min_lat <= lat <= ring.max_lat and ring.min_lon <= lon <= ring.max_lon):
            continue
        pts = ring.points
        lat_j, lon_j = pts[0]
        for lat_i, lon_i in pts[1:]:
            if (lat_i > lat) != (lat_j > lat) and lon < (lon_j - lon_i) * (lat - lat_i) / (
                lat_j - lat_i
            ) + lon_i:
                inside = not inside
            lat_j, lon_j = lat_i, lon_i
    return inside


def distance_to_border_km(code: str, lat: float, lon: float) -> float:
    """Distance in km from the point to the nearest edge of the outline of ``code``.

    Outside the country this is the distance to the country; inside, the
    distance to its boundary (coasts included: an outline does not know which
    of its edges are land borders).
    """
    return math.sqrt(_nearest_sq(outline(code), lat, lon, math.inf, first=False))


def near_border(code: str, lat: float, lon: float, km: float) -> bool:
    """Whether some edge of the outline of ``code`` is within ``km`` of the point.

    The same as ``distance_to_border_km(...) <= km`` but stops at the first edge
    close enough and skips the whole outline when its box is farther than ``km``.
    """
    o = outline(code)
    margin = km / KM_PER_DEGREE
    if lat < o.min_lat - margin or lat > o.max_lat + margin:
        return False
    limit_sq = km * km
    return _nearest_sq(o, lat, lon, limit_sq, first=True) <= limit_sq


def _nearest_sq(o: Outline, lat: float, lon: float, bound_sq: float, *, first: bool) -> float:
    """Smallest squared distance (km²) to an edge if it is at most ``bound_sq``, else inf.

    With ``first``, return as soon as one edge is within the bound.
    """
    ky = KM_PER_DEGREE
    kx = math.cos(math.radians(lat)) * KM_PER_DEGREE
    best = bound_sq
    found = math.inf
    for chunk in o.chunks:
        gy = max(0.0, chunk.min_lat - lat, lat - chunk.max_lat) * ky
        gx = _lon_gap(lon, chunk.min_lon, chunk.max_lon) * kx
        # The box gap is exact in this projection, so it is a true lower bound.
        if gx * gx + gy * gy > best:
            continue
        for lat1, lon1, lat2, lon2 in chunk.edges:
            # Δlon wrapped into [-180, 180) so edges across the antimeridian stay close.
            x1 = ((lon1 - lon + 540.0) % 360.0 - 180.0) * kx
            y1 = (lat1 - lat) * ky
            ex = ((lon2 - lon + 540.0) % 360.0 - 180.0) * kx - x1
            ey = (lat2 - lat) * ky - y1
            length_sq = ex * ex + ey * ey
            t = 0.0
            if length_sq > 0.0:
                t = min(1.0, max(0.0, -(x1 * ex + y1 * ey) / length_sq))
            px, py = x1 + t * ex, y1 + t * ey
            d_sq = px * px + py * py
            if d_sq <= best:
                best = found = d_sq
                if first:
                    return found
    return found


def _lon_gap(lon: float, min_lon: float, max_lon: float) -> float:
    """Degrees of longitude from ``lon`` to the interval, the short way round."""
    if min_lon <= lon <= max_lon or max_lon - min_lon >= 180.0:
        return 0.0
    return min((min_lon - lon) % 360.0, (lon - max_lon) % 360.0)


# --- loading ---------------------------------------------------------------------------


@functools.cache
def _outlines() -> dict[str, Outline]:
    """Every outline countryinfo ships, by alpha-2 code; read once per process.

    Two threads racing here would both build the same table; that is harmless.
    """
    out: dict[str, Outline] = {}
    for path in sorted(_data_dir().glob("*.json")):
        with path.open("rb") as fh:
            info = json.load(fh)
        iso = info.get("ISO")
        code = iso.get("alpha2") if isinstance(iso, dict) else None
        # Some countries have two files (one without geometry); keep the one with it.
        if not isinstance(code, str) or code in out:
            continue
        polygons = _polygons(info.get("geoJSON"))
        if polygons:
            out[code] = _build(code, polygons)
    return out


def _data_dir() -> Path:
    # find_spec locates the package without importing it (and its own caches).
    spec = importlib.util.find_spec("countryinfo")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the countryinfo package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _polygons(geojson: Any) -> list[list[list[list[float]]]]:
    """The polygons (lists of rings of [lon, lat]) of a FeatureCollection or geometry."""
    if not isinstance(geojson, dict):
        return []
    if geojson.get("type") == "FeatureCollection":
        return [p for f in geojson.get("features") or () for p in _polygons(f)]
    if geojson.get("type") == "Feature":
        return _polygons(geojson.get("geometry"))
    if geojson.get("type") == "Polygon":
        return [geojson["coordinates"]]
    if geojson.get("type") == "MultiPolygon":
        return list(geojson["coordinates"])
    return []


def _build(code: str, polygons: list[list[list[list[float]]]]) -> Outline:
    rings: list[Ring] = []
    chunks: list[Chunk] = []
    for polygon in polygons:
        for raw in polygon:
            points = [(float(p[1]), float(p[0])) for p in raw]
            if len(points) < 3:
                continue
            if points[0] != points[-1]:
                points.append(points[0])
            lats = [p[0] for p in points]
            lons = [p[1] for p in points]
            rings.append(Ring(tuple(points), min(lats), max(lats), min(lons), max(lons)))
            chunks.extend(_chunks(points))
    return Outline(
        code,
        tuple(rings),
        tuple(chunks),
        min(r.min_lat for r in rings),
        max(r.max_lat for r in rings),
        min(r.min_lon for r in rings),
        max(r.max_lon for r in rings),
    )


def _chunks(points: list[LatLon]) -> list[Chunk]:
    edges = [
        (a[0], a[1], b[0], b[1])
        for a, b in itertools.pairwise(points)
        # Polygons are cut along the antimeridian (Fiji, Russia); that cut is no border.
        if not (abs(a[1]) == 180.0 and a[1] == b[1])
    ]
    out = []
    for start in range(0, len(edges), _CHUNK_EDGES):
        group = tuple(edges[start : start + _CHUNK_EDGES])
        lats = [v for e in group for v in (e[0], e[2])]
        lons = [v for e in group for v in (e[1], e[3])]
        out.append(Chunk(min(lats), max(lats), min(lons), max(lons), group))
    return out
