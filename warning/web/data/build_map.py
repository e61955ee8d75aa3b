"""Builds ``africa.json`` (the situation page's country shapes) from Natural Earth.

Run once, by hand, when the shapes should change; the page never fetches anything:

    cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python warning/web/data/build_map.py /tmp/package/countries-50m.json

``world-atlas`` (Mike Bostock, ISC licence) packages Natural Earth's 1:50m admin-0
countries (public domain) as TopoJSON. TopoJSON stores each shared border once as an
"arc" of quantized, delta-encoded points; a polygon's ring is a list of arc indices,
``~i`` meaning arc ``i`` reversed. We decode the rings of Africa's countries, project
them (plate carrée: Africa straddles the equator, so the distortion is small), simplify
each ring (Douglas-Peucker) and write SVG path data in map units, with each country's
label point, where the page marks its open alerts.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

#: ISO 3166-1 alpha-2 codes of Africa's countries and Western Sahara.
# fmt: off
AFRICA = frozenset((
    "DZ", "AO", "BJ", "BW", "BF", "BI", "CV", "CM", "CF", "TD", "KM", "CG", "CD", "CI",
    "DJ", "EG", "GQ", "ER", "SZ", "ET", "GA", "GM", "GH", "GN", "GW", "KE", "LS", "LR",
    "LY", "MG", "MW", "ML", "MR", "MU", "MA", "MZ", "NA", "NE", "NG", "RW", "ST", "SN",
    "SC", "SL", "SO", "ZA", "SS", "SD", "TZ", "TG", "TN", "UG", "EH", "ZM", "ZW",
))
# fmt: on
#: Natural Earth draws Somaliland apart, with no ISO code; ISO 3166 counts it in Somalia.
NAMELESS = {"Somaliland": "SO"}
#: Map units per degree, and the simplification tolerance in map units (0.025 degree).
SCALE = 10.0
TOLERANCE = 0.25
OUT = Path(__file__).with_name("africa.json")


def decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Every arc as (lon, lat) points: undo the delta encoding, then the quantization."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """One closed ring from its arcs; consecutive arcs share their joining point."""
    points: list[tuple[float, float]] = []
    for i in indices:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, iteratively (rings have thousands of points)."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        length = math.hypot(bx - ax, by - ay)
        worst, index = 0.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            if length == 0:
                d = math.hypot(px - ax, py - ay)
            else:
                d = abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / length
            if d > worst:
                worst, index = d, i
        if worst > tolerance:
            keep[index] = True
            stack.extend([(first, index), (index, last)])
    return [p for p, k in zip(points, keep, strict=True) if k]


def area_centroid(points: list[tuple[float, float]]) -> tuple[float, float, float]:
    """A ring's area (absolute) and centroid."""
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if a == 0:
        x, y = points[0]
        return 0.0, x, y
    return abs(a / 2), cx / (3 * a), cy / (3 * a)


def build(topology: dict[str, Any]) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from warning.geo import countries

    arcs = decode_arcs(topology)
    rings: dict[str, list[list[tuple[float, float]]]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = NAMELESS.get(geometry["properties"]["name"])
        if code is None and geometry.get("id"):
            code = countries.from_numeric(geometry["id"])
        if code not in AFRICA:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            for indices in polygon:
                rings.setdefault(code, []).append(
                    [(lon * SCALE, -lat * SCALE) for lon, lat in ring(indices, arcs)]
                )
    xs = [x for rs in rings.values() for r in rs for x, _ in r]
    ys = [y for rs in rings.values() for r in rs for _, y in r]
    left, top = math.floor(min(xs)) - 5, math.floor(min(ys)) - 5
    shapes = {}
    for code in sorted(rings):
        parts, best = [], (-1.0, 0.0, 0.0)
        for r in rings[code]:
            moved = [(x - left, y - top) for x, y in r]
            # Islands smaller than the tolerance would vanish: keep them as a small triangle.
            kept = simplify(moved, TOLERANCE)
            if len(kept) < 4:
                kept = [*moved[:: max(1, len(moved) // 3)][:3], moved[0]]
            best = max(best, area_centroid(kept))
            parts.append("M" + " ".join(f"{x:.1f} {y:.1f}" for x, y in kept[:-1]) + "Z")
        shapes[code] = {
            "name": countries.name(code),
            "d": "".join(parts),
            "at": [round(best[1], 1), round(best[2], 1)],
        }
    return {
        "source": "Natural Earth 1:50m admin-0 countries (public domain), via the npm package "
        "world-atlas 2.0.2 (ISC); built by warning/web/data/build_map.py",
        "projection": {"scale": SCALE, "left": left, "top": top},
        "size": [math.ceil(max(xs)) + 5 - left, math.ceil(max(ys)) + 5 - top],
        "countries": shapes,
    }


def main() -> None:
    topology = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    data = build(topology)
    OUT.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(data['countries'])} countries, {OUT.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
