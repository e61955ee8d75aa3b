"""GDELT 2.0 event exports (``kind: gdelt-events``), and what both GDELT kinds share.

GDELT publishes, every 15 minutes, an export of the events it machine-coded from the
world's news: one tab-separated row of 61 columns per event, no header, zipped. A feed
points at one export (``.CSV`` or ``.CSV.zip``, over http(s) or ``file://``) or at the
``lastupdate.txt`` index, whose newest export it follows. Each event that the CAMEO table
(``data/cameo_labels.yaml``) maps to a label becomes an item that brings its own
assessment: countries from the action location (FIPS 10-4, converted to ISO) and the
actors, the location as a place with coordinates, and label probabilities weighted by how
many sources reported it. Everything else (most of the ~200,000 events a day) is dropped.
docs/gdelt.md has the tables, the formula and the reasons; the GKG kind is in gdelt_gkg.py.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar
from urllib.parse import urljoin, urlsplit

import pycountry
import yaml

from ..errors import FetchError, ParseError
from ..geo.fips import fips_to_iso
from ..records import (
    Assessment,
    CountryScore,
    FeedState,
    FetchResult,
    GeoTag,
    Item,
    LabelScore,
    ParseResult,
    Place,
)
from ..settings import option, parse_size, positive
from .base import Source

if TYPE_CHECKING:
    from .http import Fetcher, FetchLimits

__all__ = [
    "CAMEO_TABLE",
    "EXPORT_COLUMNS",
    "CameoTable",
    "EventsOptions",
    "GdeltEventsSource",
    "GdeltSource",
    "load_cameo_table",
    "parse_export",
]

CAMEO_TABLE = Path(__file__).parent / "data" / "cameo_labels.yaml"
EXPORT_COLUMNS = 61
#: Largest file accepted inside a zip archive (``max_unzipped``), unless a feed says otherwise.
DEFAULT_MAX_UNZIPPED = 100_000_000
_ZIP_MAGIC = b"PK\x03\x04"


# --- options shared by both kinds ------------------------------------------------------------


def size(value: Any) -> int:
    """A size in bytes: a whole number or a string like ``50MB``."""
    if isinstance(value, bool):
        raise ValueError("expected a size like 50MB")
    return int(value) if isinstance(value, int) else parse_size(str(value))


def size_or_none(value: Any) -> int | None:
    return None if value is None else size(value)


def country_list(value: Any) -> tuple[str, ...]:
    """ISO 3166-1 alpha-2 codes (a list, or one code), upper-cased, duplicates dropped."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for v in items:
        code = v.strip().upper() if isinstance(v, str) else ""
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            raise ValueError(f"expected ISO 3166-1 alpha-2 country codes such as ML, got {v!r}")
        if code not in out:
            out.append(code)
    if not out:
        raise ValueError("expected at least one country code; leave the key out for every country")
    return tuple(out)


# --- fetching: a file, a zip of one, or the newest file an index names -------------------------


class GdeltSource(Source):
    """Fetching shared by the GDELT kinds.

    A ``url`` whose path ends in ``.txt`` is an index in the format of GDELT's
    ``lastupdate.txt``: lines of ``size md5 url``. The line for this kind's files
    (``index_suffix``) is followed. The export URL last stored is kept in the feed's
    ETag slot, and the index's Last-Modified in its Last-Modified slot: an index that
    is unchanged (304), or that still names the stored export, costs one tiny request
    and stores nothing. The export itself is fetched unconditionally and checked
    against the size and md5 the index gives.
    """

    #: How the file names this kind follows in an index end (lower case).
    index_suffix: ClassVar[str] = ""

    def fetch(self, fetcher: Fetcher, state: FeedState) -> FetchResult:
        """Conditional GET of the url, or of the index and the export it names."""
        limits = self._limits(fetcher)
        if urlsplit(self.feed.url).path.lower().endswith(".txt"):
            return follow_index(fetcher, self.feed.url, state, self.index_suffix, limits)
        return fetcher.fetch(
            self.feed.url, etag=state.etag, last_modified=state.last_modified, limits=limits
        )

    def _limits(self, fetcher: Fetcher) -> FetchLimits | None:
        cap = getattr(self.feed.options, "max_bytes", None)
        return dataclasses.replace(fetcher.limits, max_bytes=cap) if cap else None

    def _unpacked(self, fetched: FetchResult) -> bytes:
        cap = getattr(self.feed.options, "max_unzipped", DEFAULT_MAX_UNZIPPED)
        return unpack(fetched.body, cap)


def follow_index(
    fetcher: Fetcher, url: str, state: FeedState, suffix: str, limits: FetchLimits | None
) -> FetchResult:
    """Fetch the index at ``url`` and, when it names a new file, that file."""
    index = fetcher.fetch(url, last_modified=state.last_modified, limits=limits)
    unchanged = FetchResult(
        status="not_modified",
        url=url,
        final_url=state.final_url or url,
        etag=state.etag,
        last_modified=index.last_modified,
        http_status=304,
        bytes_received=index.bytes_received,
        elapsed=index.elapsed,
    )
    if index.status == "not_modified":
        return unchanged
    target, expected_size, md5 = index_entry(index.body, suffix, index.final_url or url)
    if target == state.etag:
        return unchanged
    export = fetcher.fetch(target, limits=limits)
    body = export.body
    if expected_size is not None and len(body) != expected_size:
        raise FetchError(
            f"{target} holds {len(body):,} bytes but the index {url} says {expected_size:,}",
            hint="a truncated download or a file still being written; it is retried next time",
        )
    if md5 is not None and hashlib.md5(body, usedforsecurity=False).hexdigest() != md5:
        raise FetchError(
            f"{target} does not match the md5 the index {url} gives",
            hint="a corrupt download or a file replaced meanwhile; it is retried next time",
        )
    return FetchResult(
        status="ok",
        url=url,
        final_url=export.final_url,
        body=body,
        etag=target,
        last_modified=index.last_modified,
        http_status=export.http_status,
        bytes_received=index.bytes_received + export.bytes_received,
        elapsed=index.elapsed + export.elapsed,
    )


_MD5 = re.compile(r"[0-9a-fA-F]{32}")


def index_entry(body: bytes, suffix: str, index_url: str) -> tuple[str, int | None, str | None]:
    """(url, size, md5) of the index line whose url ends in ``suffix``; ParseError if none.

    A relative url is resolved against the index's own; a remote index may only name
    remote files (never ``file://``, which would read this machine's disk).
    """
    for line in body.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) != 3 or not parts[2].lower().endswith(suffix):
            continue
        length, digest, target = parts
        target = urljoin(index_url, target)
        scheme = urlsplit(target).scheme.lower()
        remote = urlsplit(index_url).scheme.lower() in ("http", "https")
        if scheme not in ("http", "https", "file") or (remote and scheme == "file"):
            raise ParseError(
                f"the index {index_url} names {target}, which is not an http(s) url",
                "the index is corrupt or not GDELT's; check the feed url",
            )
        return (
            target,
            int(length) if length.isascii() and length.isdigit() else None,
            digest.lower() if _MD5.fullmatch(digest) else None,
        )
    raise ParseError(
        f"the index {index_url} has no line for a *{suffix} file",
        "point the feed at GDELT's lastupdate.txt (or a file in its format: size md5 url)",
    )


def unpack(body: bytes, cap: int) -> bytes:
    """The body, or the one file inside it when it is a zip archive (at most ``cap`` bytes).

    The archive's directory gives each member's size before anything is decompressed, and
    the decompressor stops at that size (a member that inflates further fails its CRC), so
    a zip bomb is refused before it costs memory. Exactly one member is accepted.
    """
    if not body.startswith(_ZIP_MAGIC):
        return body
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise ParseError(
                    f"the zip archive holds {len(members)} files; a GDELT archive holds one",
                    "point the feed at one export (or the index), not at a bundle",
                )
            member = members[0]
            if member.file_size > cap:
                raise ParseError(
                    f"{member.filename} inside the zip archive would unpack to "
                    f"{member.file_size:,} bytes, over the cap of {cap:,}; refused unread",
                    "raise the feed's max_unzipped if the file is legitimately that large",
                )
            with archive.open(member) as handle:
                data = handle.read(cap + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ParseError(
            f"the zip archive is unreadable: {exc}",
            "a truncated or corrupt download; it is retried next time",
        ) from None
    if len(data) > cap:  # the directory understated the size
        raise ParseError(f"the file inside the zip archive is over the cap of {cap:,} bytes")
    return data


class BadRow(ValueError):
    """One malformed row: ``kind`` is the summary's category, the message its detail."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Rows(Generic[T]):
    """What :func:`read_rows` made of a tab-separated body."""

    kept: list[T]
    problems: Counter[str]
    first: str | None  # where the first problem is, and what
    total: int

    def warnings(self) -> tuple[str, ...]:
        """One warning summing up the skipped rows, or none."""
        if not self.problems:
            return ()
        kinds = ", ".join(f"{n} {kind}" for kind, n in self.problems.most_common())
        skipped = self.problems.total()
        return (f"{skipped} of {self.total:,} rows skipped ({kinds}; first: {self.first})",)


def read_rows(body: bytes, convert: Callable[[list[str]], T | None]) -> Rows[T]:
    """Each non-empty line's tab-separated columns through ``convert``: its results that
    are not None, and the BadRow problems counted by kind."""
    kept: list[T] = []
    problems: Counter[str] = Counter()
    first: str | None = None
    total = 0
    for number, line in enumerate(body.decode("utf-8", "replace").split("\n"), 1):
        line = line.rstrip("\r")
        if not line:
            continue
        total += 1
        try:
            result = convert(line.split("\t"))
        except BadRow as exc:
            problems[exc.kind] += 1
            first = first or f"line {number}: {exc}"
            continue
        if result is not None:
            kept.append(result)
    return Rows(kept, problems, first, total)


def timestamp(text: str, column: str) -> datetime:
    """A ``YYYYMMDDHHMMSS`` UTC timestamp; BadRow otherwise."""
    try:
        if len(text) != 14 or not (text.isascii() and text.isdigit()):
            raise ValueError
        return datetime(
            int(text[:4]), int(text[4:6]), int(text[6:8]),
            int(text[8:10]), int(text[10:12]), int(text[12:]), tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        raise BadRow("bad date", f"{column} {text!r} is not a time YYYYMMDDHHMMSS") from None


# --- the CAMEO table ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CameoRule:
    """One entry of the table: a code (prefix), its label weights, and actor conditions."""

    code: str
    labels: tuple[tuple[str, float], ...] = ()
    actor1: frozenset[str] = frozenset()
    actor2: frozenset[str] = frozenset()
    same_country: bool = False

    @property
    def conditional(self) -> bool:
        return bool(self.actor1 or self.actor2 or self.same_country)

    def applies(self, types1: frozenset[str], types2: frozenset[str], same: bool) -> bool:
        return (
            (not self.actor1 or bool(self.actor1 & types1))
            and (not self.actor2 or bool(self.actor2 & types2))
            and (same or not self.same_country)
        )


@dataclass(frozen=True, slots=True)
class CameoTable:
    """CAMEO codes -> label weights, names for titles, floors and the corroboration formula."""

    model: str
    per_source: float
    per_extra_article: float
    floors: Mapping[str, float]
    rules: Mapping[str, tuple[CameoRule, ...]]
    names: Mapping[str, str]

    def weights(
        self, code: str, types1: frozenset[str], types2: frozenset[str], same: bool
    ) -> dict[str, float]:
        """Label -> weight for an event: per label the most specific entry that applies."""
        best: dict[str, tuple[int, bool, float]] = {}
        for n in range(len(code), 1, -1):
            for rule in self.rules.get(code[:n], ()):
                if not rule.applies(types1, types2, same):
                    continue
                for label, weight in rule.labels:
                    rank = (n, rule.conditional, weight)
                    if label not in best or rank > best[label]:
                        best[label] = rank
        return {label: rank[2] for label, rank in best.items() if rank[2] > 0}

    def corroboration(self, sources: int, articles: int) -> float:
        """1 - (1 - per_source) ** (sources + per_extra_article * extra articles)."""
        sources = max(sources, 1)
        n = sources + self.per_extra_article * max(articles - sources, 0)
        return 1.0 - (1.0 - self.per_source) ** n

    def name(self, code: str) -> str:
        for n in range(len(code), 1, -1):
            found = self.names.get(code[:n])
            if found:
                return found
        return f"CAMEO event {code}"


@functools.cache
def load_cameo_table(path: Path = CAMEO_TABLE) -> CameoTable:
    """Read and check the CAMEO table; ValueError says what is wrong with it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    floors = {str(k): float(v) for k, v in data["floors"].items()}
    rules: dict[str, list[CameoRule]] = {}
    names: dict[str, str] = {}
    for n, entry in enumerate(data["codes"]):
        where = f"{path.name}: codes[{n}]"
        code = entry.get("code")
        if not isinstance(code, str) or not re.fullmatch(r"\d{2,4}", code):
            raise ValueError(f"{where}: code must be a quoted string of 2 to 4 digits")
        unknown = set(entry) - {"code", "name", "labels", "actor1", "actor2", "same_country"}
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        if "name" in entry:
            if code in names:
                raise ValueError(f"{where}: code {code} is named twice")
            names[code] = str(entry["name"])
        labels = tuple((str(k), float(v)) for k, v in (entry.get("labels") or {}).items())
        for label, weight in labels:
            if label not in floors or not 0.0 <= weight <= 1.0:
                raise ValueError(f"{where}: {label}: {weight} is no known label with a weight 0-1")
            if 0.0 < weight <= floors[label]:
                raise ValueError(
                    f"{where}: {label}: {weight} can never reach the floor; 0 excludes"
                )
        if labels:
            rule = CameoRule(
                code,
                labels,
                frozenset(entry.get("actor1") or ()),
                frozenset(entry.get("actor2") or ()),
                bool(entry.get("same_country", False)),
            )
            rules.setdefault(code, []).append(rule)
    corroborate = data["corroborate"]
    return CameoTable(
        model=str(data["model"]),
        per_source=float(corroborate["per_source"]),
        per_extra_article=float(corroborate["per_extra_article"]),
        floors=floors,
        rules={code: tuple(found) for code, found in rules.items()},
        names=names,
    )


# --- the gdelt-events kind ---------------------------------------------------------------------


def label_list(value: Any) -> tuple[str, ...]:
    known = tuple(load_cameo_table().floors)
    items = value if isinstance(value, list) else [value]
    if not items or any(v not in known for v in items):
        raise ValueError(f"expected a list of labels among {', '.join(known)}, got {value!r}")
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True, slots=True)
class EventsOptions:
    """Keys of a ``gdelt-events`` feed beyond the common ones (docs/configuration.md)."""

    #: Events that fewer sources reported in their first 15 minutes are dropped.
    min_sources: int = option(1, check=positive)
    #: Keep only events about these countries (action location or an actor); empty: all.
    countries: tuple[str, ...] = option((), parse=country_list)
    #: Keep only these labels; empty: all four.
    labels: tuple[str, ...] = option((), parse=label_list)
    #: Cap on the downloaded body; None: ``poll.max_bytes``.
    max_bytes: int | None = option(None, parse=size_or_none, check=positive)
    #: Cap on the file inside a zip archive.
    max_unzipped: int = option(DEFAULT_MAX_UNZIPPED, parse=size, check=positive)


class GdeltEventsSource(GdeltSource):
    """GDELT 2.0 event exports: one file, its zip, or the newest one ``lastupdate.txt`` names."""

    kind: ClassVar[str] = "gdelt-events"
    Options: ClassVar[type] = EventsOptions
    index_suffix: ClassVar[str] = ".export.csv.zip"

    def parse(self, fetched: FetchResult) -> ParseResult:
        """The mapped events of a fetched export; an unchanged fetch has none."""
        if fetched.status == "not_modified":
            return ParseResult(items=())
        options = self.feed.options
        if not isinstance(options, EventsOptions):
            options = EventsOptions()
        return parse_export(self._unpacked(fetched), feed=self.feed.name, options=options)


# Column positions (0-based) in an export row, from the GDELT 2.0 event codebook.
_ID, _SQLDATE = 0, 1
_A1_NAME, _A1_COUNTRY, _A1_TYPES = 6, 7, slice(12, 15)
_A2_NAME, _A2_COUNTRY, _A2_TYPES = 16, 17, slice(22, 25)
_CODE, _GOLDSTEIN = 26, 30
_MENTIONS, _SOURCES, _ARTICLES, _TONE = 31, 32, 33, 34
_GEO_TYPE, _GEO_NAME, _GEO_COUNTRY, _GEO_LAT, _GEO_LON = 51, 52, 53, 56, 57
_DATEADDED, _SOURCEURL = 59, 60

#: Weight of an actor's country when it differs from where the event took place.
ACTOR_COUNTRY_WEIGHT = 0.5
#: CAMEO country codes that differ from ISO 3166-1 alpha-3.
_CAMEO_COUNTRIES = {"ROM": "RO", "ZAR": "CD", "TMP": "TL"}


@functools.cache
def _alpha3() -> dict[str, str]:
    table = {c.alpha_3: c.alpha_2 for c in pycountry.countries}
    table.update(_CAMEO_COUNTRIES)
    return table


def parse_export(
    body: bytes, *, feed: str, options: EventsOptions = EventsOptions()
) -> ParseResult:
    """Items (with their assessments) of the mapped events in an export's CSV text.

    Raises ParseError when no row is well-formed; malformed rows are counted in
    ``entries_skipped`` and summed up in one warning.
    """
    table = load_cameo_table()
    rows = read_rows(body, lambda cols: _event(cols, table, options, feed))
    if rows.total == rows.problems.total():
        raise ParseError(
            "no GDELT event row could be read"
            + (f" ({rows.first})" if rows.first else ": the body is empty"),
            "check that the url serves a GDELT 2.0 event export (61 tab-separated columns)",
        )
    return ParseResult(
        items=tuple(item for item, _ in rows.kept),
        warnings=rows.warnings(),
        entries_skipped=rows.problems.total(),
        assessments=tuple(assessment for _, assessment in rows.kept),
    )


def _event(
    cols: list[str], table: CameoTable, options: EventsOptions, feed: str
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
    countries = _alpha3()
    home1, home2 = countries.get(cols[_A1_COUNTRY]), countries.get(cols[_A2_COUNTRY])
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
    link = url if url[:8].lower().startswith(("http://", "https://")) else None
    item = Item(
        feed=feed,
        outlet=_outlet(link) if link else (url or "gdelt"),
        title=_title(name, cols[_A1_NAME], cols[_A2_NAME], place_name),
        summary=(
            f"GDELT event {event_id}: CAMEO {code} ({name}), Goldstein {goldstein:g}, "
            f"{sources} source(s), {articles} article(s), average tone {tone:.1f}; "
            f"event date {when.isoformat()}."
        ),
        link=link,
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
