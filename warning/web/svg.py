"""The situation page's pictures, drawn on the server as inline SVG: the map and the trends.

No script and no resource from elsewhere: the country shapes are ``data/africa.json``
(Natural Earth, public domain; see ``data/LICENCE``), colours come from the page's own
style sheet by class (``level-alert``), and each shape is a link to its country's page,
so the map works with JavaScript off. Every text drawn is escaped.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from ..geo.zones import Admin1Zone, BorderBandZone, CircleZone, CountriesZone, Zone
from .situation import CountryState, Day

DATA = Path(__file__).with_name("data") / "africa.json"
KM_PER_DEGREE = 111.2


@functools.cache
def shapes() -> dict[str, Any]:
    """The map data: projection, size and each country's path and label point."""
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return data


def on_map(code: str) -> bool:
    return code in shapes()["countries"]


def _project(lat: float, lon: float) -> tuple[float, float]:
    p = shapes()["projection"]
    return lon * p["scale"] - p["left"], -lat * p["scale"] - p["top"]


def _zone_countries(zone: Zone) -> tuple[str, ...]:
    """The countries a zone outlines on the map (a band: the countries it lies in)."""
    if isinstance(zone, CountriesZone | BorderBandZone):
        return zone.countries
    if isinstance(zone, Admin1Zone):
        return tuple(dict.fromkeys(r.country for r in zone.regions))
    return ()


def africa(states: Sequence[CountryState], zones: Iterable[Zone], zone_alerts: set[str]) -> str:
    """The map: each country shaded by its level and linked to its page, watch zones
    outlined (dashed; solid red with an open alert), a marker on each country with
    open alerts showing how many."""
    data = shapes()
    by_code = {s.code: s for s in states}
    width, height = data["size"]
    parts = [
        f'<svg class="map" viewBox="0 0 {width} {height}" role="img" '
        'aria-labelledby="map-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="map-title">Map of Africa: each country shaded by its strongest signal '
        "now; the table beside it says the same in words</title>",
    ]
    for code, shape in data["countries"].items():
        state = by_code.get(code)
        level = state.level if state else "quiet"
        name = escape(shape["name"])
        parts.append(
            f'<a href="/country/{code}" class="country level-{level}" data-code="{code}" '
            f'data-level="{level}"><path d="{shape["d"]}"><title>{name}: {level}</title>'
            "</path></a>"
        )
    for zone in zones:
        alerted = " zone-alert" if f"zone:{zone.name}" in zone_alerts else ""
        name = escape(zone.name)
        if isinstance(zone, CircleZone):
            x, y = _project(zone.lat, zone.lon)
            r = zone.radius / KM_PER_DEGREE * data["projection"]["scale"]
            parts.append(
                f'<circle class="zone{alerted}" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}">'
                f"<title>watch zone {name}</title></circle>"
            )
            continue
        paths = "".join(
            data["countries"][c]["d"] for c in _zone_countries(zone) if c in data["countries"]
        )
        if paths:
            parts.append(
                f'<path class="zone{alerted}" d="{paths}"><title>watch zone {name}</title></path>'
            )
    for state in states:
        shape = data["countries"].get(state.code)
        if shape is None or not state.open_alerts:
            continue
        x, y = shape["at"]
        parts.append(
            f'<a href="/country/{state.code}" class="marker"><circle cx="{x}" cy="{y}" r="11"/>'
            f'<text x="{x}" y="{y + 4}">{state.open_alerts}</text>'
            f"<title>{escape(state.name)}: {state.open_alerts} open alert(s)</title></a>"
        )
    parts.append("</svg>")
    return "".join(parts)


CHART_W, CHART_H, PAD_L, PAD_R, PAD_T, PAD_B = 640, 170, 36, 36, 10, 24


def trend(label: str, days: Sequence[Day]) -> str:
    """One label's days: bars of independent outlets (left axis), the mean score as a
    line (right axis, 0 to 1) and the baseline as a dashed line."""
    top = max([d.outlets or 0 for d in days] + [math.ceil(d.baseline or 0) for d in days] + [1])
    inner_w, inner_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B
    step = inner_w / max(len(days), 1)

    def y_count(n: float) -> float:
        return PAD_T + inner_h * (1 - n / top)

    def y_score(s: float) -> float:
        return PAD_T + inner_h * (1 - s)

    parts = [
        f'<svg class="chart" viewBox="0 0 {CHART_W} {CHART_H}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}: independent outlets per '
        "day (bars), mean score (line) and baseline (dashed), last "
        f"{len(days)} days</title>",
        f'<line class="axis" x1="{PAD_L}" y1="{PAD_T + inner_h}" x2="{CHART_W - PAD_R}" '
        f'y2="{PAD_T + inner_h}"/>',
        f'<text class="tick" x="{PAD_L - 4}" y="{PAD_T + 8}" text-anchor="end">{top}</text>',
        f'<text class="tick" x="{PAD_L - 4}" y="{PAD_T + inner_h}" text-anchor="end">0</text>',
        f'<text class="tick" x="{CHART_W - PAD_R + 4}" y="{PAD_T + 8}">1.0</text>',
    ]
    for i, d in enumerate(days):
        x = PAD_L + i * step
        if d.outlets:
            y = y_count(d.outlets)
            parts.append(
                f'<rect class="bar" x="{x + 1:.1f}" y="{y:.1f}" width="{step - 2:.1f}" '
                f'height="{PAD_T + inner_h - y:.1f}"><title>{d.day:%d %b}: {d.outlets} '
                "outlet(s)</title></rect>"
            )
        if i % 7 == 0 or i == len(days) - 1:
            parts.append(
                f'<text class="tick" x="{x + step / 2:.1f}" y="{CHART_H - 6}" '
                f'text-anchor="middle">{d.day:%d %b}</text>'
            )
    for css, values, to_y in (
        ("score", [d.mean_score for d in days], y_score),
        ("baseline", [d.baseline for d in days], y_count),
    ):
        # A day without a value leaves no point, so the line joins the days around it.
        points = " ".join(
            f"{PAD_L + (i + 0.5) * step:.1f},{to_y(v):.1f}"
            for i, v in enumerate(values)
            if v is not None
        )
        if points:
            parts.append(f'<polyline class="{css}" points="{points}"/>')
    parts.append("</svg>")
    return "".join(parts)
