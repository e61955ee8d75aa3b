"""GDELT 2.0 event exports (``kind: gdelt-events``): mapped events as assessed items.

GDELT publishes, every 15 minutes, an export of the events it machine-coded from the
world's news: one tab-separated row of 61 columns per event, no header, zipped. Each
event that the CAMEO table (cameo.py) maps to a label becomes an item that brings its
own assessment: countries from the action location (FIPS 10-4, converted to ISO) and the
actors, the location as a place with coordinates, and label probabilities weighted by
how many sources reported it. Everything else (most of the ~200,000 events a day) is
dropped. Fetching is shared with the GKG kind (fetching.py); docs/gdelt.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from urllib.parse import urlsplit

from ...errors import ParseError
from ...geo.countries import from_alpha3, parse_filter
from ...geo.fips import fips_to_iso
from ...normalize import truncate
from ...records import (
    Assessment,
    CountryScore,
    FetchResult,
    GeoTag,
    Item,
    LabelScore,
    ParseResult,
    Place,
)
from ...settings import option, positive
from ..caps import DEFAULT_CAPS, Clipper
from .cameo import CameoTable, load_cameo_table
from .fetching import GdeltSource
from .options import GdeltCaps
from .rows import BadRow, read_rows, timestamp

EXPORT_COLUMNS = 61


def label_list(value: Any) -> tuple[str, ...]:
    known = tuple(load_cameo_table().floors)
    items = value if isinstance(value, list) else [value]
    if not items or any(v not in known for v in items):
        raise ValueError(f"expected a list of labels among {', '.join(known)}, got {value!r}")
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True, slots=True)
class EventsOptions(GdeltCaps):
    """Keys of a ``gdelt-events`` feed beyond the common ones (docs/configuration.md)."""

    #: Events that fewer sources reported in their first 15 minutes are dropped.
    min_sources: int = option(1, check=positive)
    #: Keep only events about these countries (action location or an actor); empty: all.
    countries: tuple[str, ...] = option((), parse=parse_filter)
    #: Keep only these labels; empty: all four.
    labels: tuple[str, ...] = option((), parse=label_list)


class GdeltEventsSource(GdeltSource):
    """GDELT 2.0 event exports: one file, its zip, or the newest one ``lastupdate.txt`` names."""

    kind: ClassVar[str] = "gdelt-events"
    Options: ClassVar[type] = EventsOptions
    index_suffix: ClassVar[str] = ".export.csv.zip"

    def parse_body(self, fetched: FetchResult) -> ParseResult:
        """The mapped events of a changed export."""
        options = self.options_as(EventsOptions)
        return parse_export(self._unpacked(fetched), feed=self.feed.name, options=options)


# Column positions (0-based) in an export row, from the GDELT 2.0 event codebook.
_ID, _SQLDATE = 0, 1
_A1_NAME, _A1_COUNTRY, _A1_TYPES = 6, 7, slice(12, 15)
_A2_NAME, _A2_COUNTRY, _A2_TYPES = 16, 17, slice(22, 25)
_CODE, _GOLDSTEIN = 26, 30
_MENTIONS, _SOURCES, _ARTICLES, _TONE = 31, 32, 33, 34
_GEO_TYPE, _GEO_NAME, _GEO_COUNTRY, _GEO_LAT, _GEO_LON = 51, 52, 53, 56, 57
_DATEADDED, _SOURCEURL = 59, 60

#: Longest outlet name kept from a SOURCEURL that is not a URL.
OUTLET_MAX_CHARS = 200
#: Weight of an actor's country when it differs from where the event took place.
ACTOR_COUNTRY_WEIGHT = 0.5


def parse_export(
    body: bytes, *, feed: str, options: EventsOptions = EventsOptions()
) -> ParseResult:
    """Items (with their assessments) of the mapped events in an export's CSV text.

    Raises ParseError when no row is well-formed; malformed rows are counted in
    ``entries_skipped`` and summed up in one warning.
    """
    table = load_cameo_table()
    clip = Clipper(DEFAULT_CAPS, settable=False)
    rows = read_rows(body, lambda cols: _event(cols, table, options, feed, clip))
    if rows.total == rows.problems.total():
        raise ParseError(
            "no GDELT event row could be read"
            + (f" ({rows.first})" if rows.first else ": the body is empty"),
            "check that the url serves a GDELT 2.0 event export (61 tab-separated columns)",
        )
    return ParseResult(
        items=tuple(item for item, _ in rows.kept),
        warnings=rows.warnings() + tuple(clip.warnings()),
        entries_skipped=rows.problems.total(),
        assessments=tuple(assessment for _, assessment in rows.kept),
    )


def _event(
    cols: list[str], table: CameoTable, options: EventsOptions, feed: str, clip: Clipper
) -> tuple[Item, Assessment] | None:
    """One row as (item, assessment); None when no label applies. BadRow when malformed."""
    if len(cols) != EXPORT_COLUMNS:
        raise BadRow("wrong column count", f"{len(cols)} column(s), expected {EXPORT_COLUMNS}")
    event_id = cols[_ID]
    if not (event_id.isascii() and event_id.isdigit()):
        raise BadRow("bad number", f"GLOBALEVENTID {event_id!r} is not a number")
    when = _day(cols[_SQLDATE])
    added = timestamp(cols[_DATEADDED], "DATEADDED")
    _count(cols[_MENTIONS], "NumMentions")
    sources = _count(cols[_SOURCES], "NumSources")
    articles = _count(cols[_ARTICLES], "NumArticles")
    goldstein = _number(cols[_GOLDSTEIN], "GoldsteinScale", 10.0)
    tone = _number(cols[_TONE], "AvgTone", 100.0)
    code = cols[_CODE]
    if not (code.isascii() and code.isdigit() and 2 <= len(code) <= 4):
        raise BadRow("bad event code", f"EventCode {code!r} is not a CAMEO code")
    point = _point(cols[_GEO_LAT], cols[_GEO_LON])

    if sources < options.min_sources:
        return None
    home1, home2 = from_alpha3(cols[_A1_COUNTRY]), from_alpha3(cols[_A2_COUNTRY])
    weights = table.weights(
        code,
        frozenset(cols[_A1_TYPES]),
        frozenset(cols[_A2_TYPES]),
        bool(cols[_A1_COUNTRY]) and cols[_A1_COUNTRY] == cols[_A2_COUNTRY],
    )
    if options.labels:
        weights = {k: v for k, v in weights.items() if k in options.labels}
    if not weights:
        return None
    where = fips_to_iso(cols[_GEO_COUNTRY])
    scores = [CountryScore(where, 1.0)] if where else []
    for home in (home1, home2):
        if home and all(c.code != home for c in scores):
            scores.append(CountryScore(home, ACTOR_COUNTRY_WEIGHT))
    if not scores:
        return None  # about no country: it could never count for a country or a zone
    if options.countries and not any(c.code in options.countries for c in scores):
        return None

    place_name = cols[_GEO_NAME].strip()
    places = (_place(place_name, where, cols[_GEO_TYPE], point),) if where and place_name else ()
    corroboration = table.corroboration(sources, articles)
    labels = tuple(
        LabelScore(label, p, p >= floor, (f"CAMEO {code}",))
        for label, floor in table.floors.items()
        if label in weights
        for p in (round(weights[label] * corroboration, 4),)
    )
    name = table.name(code)
    url = cols[_SOURCEURL].strip()
    web = url[:8].lower().startswith(("http://", "https://"))
    item = Item(
        feed=feed,
        # Not a URL: a source's name ("BBC Monitoring"), which no real one makes long.
        outlet=_outlet(url) if web else (truncate(url, OUTLET_MAX_CHARS) or "gdelt"),
        title=clip.title(_title(name, cols[_A1_NAME], cols[_A2_NAME], place_name), html=False),
        summary=(
            f"GDELT event {event_id}: CAMEO {code} ({name}), Goldstein {goldstein:g}, "
            f"{sources} source(s), {articles} article(s), average tone {tone:.1f}; "
            f"event date {when.isoformat()}."
        ),
        link=clip.link(url) if web else None,
        published=added,
        lang=None,
        guid_key=f"gdelt:{event_id}",
        url_key=None,  # many events come from one article
        content_hash=None,
        tags=(
            f"cameo:{code}",
            f"goldstein:{goldstein:g}",
            f"sources:{sources}",
            f"articles:{articles}",
        ),
    )
    return item, Assessment(GeoTag(tuple(scores), places), labels, table.model)


def _day(text: str) -> date:
    try:
        if len(text) != 8 or not (text.isascii() and text.isdigit()):
            raise ValueError
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise BadRow("bad date", f"SQLDATE {text!r} is not a date YYYYMMDD") from None


def _count(text: str, column: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise BadRow("bad number", f"{column} {text!r} is not a whole number")
    return int(text)


def _number(text: str, column: str, limit: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadRow("bad number", f"{column} {text!r} is not a number") from None
    if not -limit <= value <= limit:  # also false for NaN
        raise BadRow("bad number", f"{column} {text!r} is outside -{limit:g}..{limit:g}")
    return value


def _point(lat_text: str, lon_text: str) -> tuple[float, float] | None:
    if not lat_text and not lon_text:
        return None
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise BadRow(
            "bad coordinates", f"ActionGeo {lat_text!r}, {lon_text!r} are not coordinates"
        ) from None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise BadRow("bad coordinates", f"ActionGeo {lat_text}, {lon_text} is out of range")
    return lat, lon


def _place(name: str, country: str, geo_type: str, point: tuple[float, float] | None) -> Place:
    """The action location. A country-level match gets no point: GDELT gives the country's
    centroid there, which is not where anything happened and could fall inside a zone."""
    if geo_type == "1":
        return Place(name, country, "country", in_title=True)
    parts = [p.strip() for p in name.split(",")]
    # "Town, Region, Country" (types 3, 4) or "Region, Country" (types 2, 5); a region's
    # name may hold a comma itself ("Edinburgh, City of").
    regional = parts[:-1] if geo_type in ("2", "5") else parts[1:-1]
    admin1 = ", ".join(regional) or None
    if admin1 and admin1.endswith("(general)"):
        admin1 = None
    lat, lon = point or (None, None)
    return Place(name, country, "event", admin1, lat, lon, in_title=True)


def _outlet(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or url


_KEEP_CASE = frozenset({"of", "the", "and", "for", "in", "on", "de", "du", "des", "la", "le"})


def _actor(name: str) -> str:
    """GDELT's upper-case actor names, readable: ``MINIST OF FINANCE`` -> ``Minist of Finance``;
    short words stay capitals (``US``, ``APC``)."""
    words = name.split()
    out = []
    for n, word in enumerate(words):
        lower = word.lower()
        if lower in _KEEP_CASE:
            out.append(lower.capitalize() if n == 0 else lower)
        elif len(word) <= 3:
            out.append(word.upper())
        else:
            out.append(word.capitalize())
    return " ".join(out)


def _title(name: str, actor1: str, actor2: str, place: str) -> str:
    """``Riot or violent protest in Accra, Ghana (Protester → Police)``, parts left out
    when unknown. No " - " or " | ": aggregation would take what follows for an outlet."""
    title = f"{name} in {place}" if place else name
    a1, a2 = _actor(actor1), _actor(actor2)
    if a1 and a2:
        title += f" ({a1} → {a2})"
    elif a1 or a2:
        title += f" ({a1})" if a1 else f" (→ {a2})"
    return title
