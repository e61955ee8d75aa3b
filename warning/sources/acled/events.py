"""ACLED rows as items: the label tables, and the parser of exports and API answers.

Separate from the API client (api.py) because parsing needs no network: a CSV export,
a saved API answer and the API mode's own body all go through :func:`parse_events`, and
the training reader (classify.adapters) shares :data:`ACLED_EVENT_LABELS` without
importing anything that talks HTTP. Each event becomes an item with its own assessment
(country, place, labels from the event type); a deleted event becomes a tombstone.
docs/acled.md has the tables and the decisions behind them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ...errors import ParseError
from ...geo.countries import from_alpha3, from_numeric, lookup
from ...geo.countries import name as country_name
from ...normalize import truncate
from ...records import (
    Assessment,
    CountryScore,
    GeoTag,
    Item,
    LabelScore,
    ParseResult,
    Place,
)
from ..caps import DEFAULT_CAPS, Clipper

#: The ``model`` of every ACLED assessment: the tables below, version 1.
MODEL = "acled-types-1"
#: The outlet of every ACLED item: one curated source, one outlet (docs/acled.md).
OUTLET = "acled"

#: ACLED event_type (lower case) -> labels; the training reader (classify.adapters) shares
#: it. The last names are those of exports made before ACLED's 2019 revision of its event
#: types, so old files still read.
ACLED_EVENT_LABELS: dict[str, tuple[str, ...]] = {
    "battles": ("attack",),
    "explosions/remote violence": ("attack",),
    "violence against civilians": ("attack",),
    "riots": ("unrest",),
    "protests": ("unrest",),
    "strategic developments": (),
    "battle-no change of territory": ("attack",),
    "battle-government regains territory": ("attack",),
    "battle-non-state actor overtakes territory": ("attack",),
    "remote violence": ("attack",),
    "riots/protests": ("unrest",),
    "strategic development": (),
    "headquarters or base established": (),
    "non-violent transfer of territory": (),
}

#: (event_type, sub_event_type), lower case -> the probability given to the event type's
#: label: how squarely that kind of event is what the label means (docs/acled.md).
ACLED_SUBTYPE_PROBABILITY: dict[tuple[str, str], float] = {
    ("battles", "armed clash"): 0.9,
    ("battles", "government regains territory"): 0.9,
    ("battles", "non-state actor overtakes territory"): 0.95,
    ("explosions/remote violence", "air/drone strike"): 0.9,
    ("explosions/remote violence", "shelling/artillery/missile attack"): 0.9,
    ("explosions/remote violence", "remote explosive/landmine/ied"): 0.95,
    ("explosions/remote violence", "suicide bomb"): 0.98,
    ("explosions/remote violence", "grenade"): 0.85,
    ("explosions/remote violence", "chemical weapon"): 0.9,
    ("violence against civilians", "attack"): 0.95,
    ("violence against civilians", "abduction/forced disappearance"): 0.9,
    ("violence against civilians", "sexual violence"): 0.75,
    ("protests", "peaceful protest"): 0.6,
    ("protests", "protest with intervention"): 0.8,
    ("protests", "excessive force against protesters"): 0.9,
    ("riots", "violent demonstration"): 0.9,
    ("riots", "mob violence"): 0.7,
}
#: A label's probability when the sub-event type is missing or not in the table.
DEFAULT_PROBABILITY: dict[str, float] = {"attack": 0.85, "unrest": 0.7}

REQUIRED_COLUMNS = ("event_id_cnty", "event_date", "event_type")
#: Longest event id accepted: ACLED's are a country code and a number ("MLI12345"); the
#: id is a unique key in the database, where an unbounded one could fail the insert.
EVENT_ID_MAX_CHARS = 64
#: A whole number as ACLED writes it (ids, counts, Unix times); api.py reads marks with it.
INTEGER = re.compile(r"[0-9]{1,15}")


def probability(event_type: str, sub_event_type: str, label: str) -> float:
    """The probability an ACLED event of this type and sub-type carries for ``label``."""
    found = ACLED_SUBTYPE_PROBABILITY.get((event_type.lower(), sub_event_type.lower()))
    return found if found is not None else DEFAULT_PROBABILITY.get(label, 0.5)


class _Bad(Exception):
    """A record that cannot be used; ``reason`` is what the summary counts."""

    def __init__(self, reason: str, value: object = None) -> None:
        super().__init__(reason if value is None else f"{reason} ({str(value)[:60]!r})")
        self.reason = reason


Ranked = tuple[tuple[int, int], Item, Assessment]


def parse_events(
    body: bytes,
    *,
    feed: str,
    lang: str | None = "en",
    since: timedelta | None = None,
    countries: tuple[str, ...] = (),
    now: datetime | None = None,
) -> ParseResult:
    """Items of an ACLED CSV export, a saved API answer, or the API mode's body.

    Events dated more than ``since`` before ``now`` and, when ``countries`` is given,
    events elsewhere are left out (not counted as bad). A bad record is counted in
    ``entries_skipped`` and summarised in one warning; only a body that is not ACLED
    data at all raises ParseError. An event given twice keeps its latest revision.
    """
    stripped = body.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not stripped:
        raise ParseError("the body is empty", "ACLED answered without data; retried next time")
    text, warnings = _decode(stripped)
    if stripped[:1] in (b"{", b"["):
        events, deletions, notes = _json_records(text)
        warnings += notes
    else:
        events, broken = _csv_records(text)
        deletions = []
        warnings += broken
    horizon = ((now or datetime.now(UTC)) - since).date() if since is not None else None
    kept: dict[str, Ranked] = {}
    bad: Counter[str] = Counter()
    clip = Clipper(DEFAULT_CAPS, settable=False)
    first: str | None = None
    for where, record, deleted in [(w, r, False) for w, r in events] + [
        (w, r, True) for w, r in deletions
    ]:
        try:
            if isinstance(record, str):
                raise _Bad(record)
            got = _tombstone(record, feed, lang) if deleted else _event(record, feed, lang, clip)
        except _Bad as exc:
            bad[exc.reason] += 1
            first = first or f"{where}: {exc}"
            continue
        except Exception as exc:  # one odd record must not lose the others
            bad["unreadable record"] += 1
            first = first or f"{where}: {type(exc).__name__}: {exc}"
            continue
        rank, item, assessment = got
        if not deleted and not _wanted(item, assessment, horizon, countries):
            continue
        guid = item.guid_key or ""
        if guid not in kept or rank >= kept[guid][0]:
            kept[guid] = got
    if bad:
        total = len(events) + len(deletions)
        reasons = ", ".join(f"{n} {reason}" for reason, n in bad.most_common())
        warnings.append(
            f"{bad.total()} of {total} ACLED records skipped ({reasons}); first: {first}"
        )
    warnings += clip.warnings()
    return ParseResult(
        items=tuple(k[1] for k in kept.values()),
        warnings=tuple(warnings),
        entries_skipped=bad.total(),
        assessments=tuple(k[2] for k in kept.values()),
    )


def _wanted(
    item: Item, assessment: Assessment, horizon: date | None, countries: tuple[str, ...]
) -> bool:
    if horizon is not None and item.published is not None and item.published.date() < horizon:
        return False
    return not countries or assessment.geo.primary in countries


Record = Mapping[str, Any] | str  # a str: why the record is unusable


def _json_records(
    text: str,
) -> tuple[list[tuple[str, Record]], list[tuple[str, Record]], list[str]]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ParseError(
            f"not valid JSON: {exc}", "expected ACLED's API answer, as saved"
        ) from None
    notes: list[str] = []
    deleted: Any = []
    if isinstance(doc, dict):
        if doc.get("success") in (False, 0, "0", "false"):
            raise ParseError(
                "the file holds an ACLED error answer, not events",
                "save a successful answer of the API",
            )
        data, deleted = doc.get("data"), doc.get("deleted") or []
        notes = [str(n) for n in doc.get("notes") or []]
    else:
        data = doc
    if not isinstance(data, list) or not isinstance(deleted, list):
        raise ParseError('no list of events under "data"', "expected ACLED's API answer, as saved")

    def records(values: list[Any], what: str) -> list[tuple[str, Record]]:
        return [
            (f"{what} {n}", {str(k).lower(): v for k, v in r.items()})
            if isinstance(r, dict)
            else (f"{what} {n}", "not an object")
            for n, r in enumerate(values, start=1)
        ]

    return records(data, "record"), records(deleted, "deletion"), notes


def _csv_records(text: str) -> tuple[list[tuple[str, Record]], list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        looks = "an HTML page" if text.lstrip()[:1] == "<" else "a CSV without them"
        raise ParseError(
            f"not an ACLED export: no {', '.join(missing)} column in the header ({looks})",
            "the url must be an ACLED CSV export (or, with credentials, the API)",
        )
    out: list[tuple[str, Record]] = []
    warnings: list[str] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                where = f"line {reader.line_num}"
                good = len(row) == len(header)
                out.append(
                    (where, dict(zip(header, row, strict=True)) if good else "wrong column count")
                )
    except csv.Error as exc:
        warnings.append(f"the CSV breaks at line {reader.line_num} ({exc}); the rest is not read")
    return out, warnings


def _decode(body: bytes) -> tuple[str, list[str]]:
    try:
        return body.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        note = f"not UTF-8 (byte {exc.start}); read as Windows-1252"
        return body.decode("cp1252", errors="replace"), [note]


def _event(record: Mapping[str, Any], feed: str, lang: str | None, clip: Clipper) -> Ranked:
    ident = _ident(record)
    event_type = text_of(record.get("event_type"))
    labels = ACLED_EVENT_LABELS.get(event_type.lower())
    if labels is None:
        raise _Bad("unknown event_type", event_type)
    day = _day(record.get("event_date"))
    code = _country(record)
    lat, lon = _point(record.get("latitude"), record.get("longitude"))
    fatalities = text_of(record.get("fatalities")).removesuffix(".0")
    if not INTEGER.fullmatch(fatalities):
        raise _Bad("bad fatalities", fatalities)
    stamp = _stamp(record.get("timestamp"), "timestamp")
    sub = text_of(record.get("sub_event_type"))
    location, admin1 = text_of(record.get("location")), text_of(record.get("admin1"))
    country = text_of(record.get("country")) or country_name(code)
    terms = (event_type, sub) if sub else (event_type,)
    scores = tuple(
        LabelScore(lab, probability(event_type, sub, lab), True, terms) for lab in labels
    )
    place = Place(location or admin1 or country, code, "event", admin1 or None, lat, lon)
    tags = [f"fatalities:{int(fatalities)}"]
    tags += [
        f"disorder:{_slug(d)}" for d in text_of(record.get("disorder_type")).split(";") if d.strip()
    ]
    for name, column in (
        ("acled-source-scale", "source_scale"),
        ("acled-geo-precision", "geo_precision"),
    ):
        if value := _slug(text_of(record.get(column))):
            tags.append(f"{name}:{value}")
    item = Item(
        feed=feed,
        outlet=OUTLET,
        title=clip.title(_title(event_type, sub, location, admin1, country), html=False),
        summary=clip.summary(text_of(record.get("notes")), html=False),
        link=None,
        published=datetime(day.year, day.month, day.day, tzinfo=UTC),
        lang=lang,
        guid_key=f"acled:{ident}",
        url_key=None,
        content_hash=None,
        revision=None if stamp is None else str(stamp),
        tags=tuple(tags),
    )
    geo = GeoTag((CountryScore(code, 1.0),), (place,))
    return (-1 if stamp is None else stamp, 0), item, Assessment(geo, scores, MODEL)


def _ident(record: Mapping[str, Any]) -> str:
    ident = text_of(record.get("event_id_cnty"))
    if not ident:
        raise _Bad("missing event_id_cnty")
    if len(ident) > EVENT_ID_MAX_CHARS:
        raise _Bad("bad event_id_cnty", f"{len(ident):,} characters")
    return ident


def _tombstone(record: Mapping[str, Any], feed: str, lang: str | None) -> Ranked:
    ident = _ident(record)
    stamp = _stamp(record.get("deleted_timestamp"), "deleted_timestamp")
    if stamp is None:
        raise _Bad("bad deleted_timestamp")
    try:
        when = datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, OSError, ValueError):
        raise _Bad("bad deleted_timestamp", stamp) from None
    item = Item(
        feed=feed,
        outlet=OUTLET,
        title=f"Deleted by ACLED: event {ident}",
        summary=f"ACLED removed event {ident} from its dataset on {when:%Y-%m-%d} (a duplicate, "
        "or outside its scope); it no longer counts as evidence.",
        link=None,
        published=None,
        lang=lang,
        guid_key=f"acled:{ident}",
        url_key=None,
        content_hash=None,
        revision=f"deleted:{stamp}",
        tags=("acled-deleted",),
    )
    return (stamp, 1), item, Assessment(model=MODEL)


def _title(event_type: str, sub: str, location: str, admin1: str, country: str) -> str:
    """``Battles: Armed clash near Djibo, Sahel, Burkina Faso``."""
    head = f"{event_type}: {sub}" if sub else event_type
    where = list(dict.fromkeys(p for p in (location, admin1, country) if p))
    return f"{head} {'near' if location else 'in'} {', '.join(where)}" if where else head


def _day(value: object) -> date:
    text = text_of(value)
    for layout in ("%Y-%m-%d", "%d %B %Y"):  # the API's, and older exports'
        try:
            return datetime.strptime(text, layout).date()
        except ValueError:
            pass
    raise _Bad("bad event_date", text)


def _country(record: Mapping[str, Any]) -> str:
    """Alpha-2 code from ACLED's numeric ``iso`` (else ``iso3``, else the name)."""
    iso = text_of(record.get("iso")).removesuffix(".0")
    found = from_numeric(iso) if INTEGER.fullmatch(iso) else None
    iso3 = text_of(record.get("iso3"))
    if found is None and len(iso3) == 3:
        found = from_alpha3(iso3)
    name = text_of(record.get("country"))
    if found is None and name:
        found = lookup(name)
    if found is None:
        raise _Bad("unknown country", f"iso {iso or '-'}, {name or '-'}")
    return found


def _point(lat: object, lon: object) -> tuple[float, float]:
    try:
        y, x = float(text_of(lat)), float(text_of(lon))
    except ValueError:
        raise _Bad("bad coordinates", f"{lat}, {lon}") from None
    if not (math.isfinite(y) and math.isfinite(x) and -90 <= y <= 90 and -180 <= x <= 180):
        raise _Bad("bad coordinates", f"{lat}, {lon}")
    return y, x


def _stamp(value: object, name: str) -> int | None:
    text = text_of(value).removesuffix(".0")
    if not text:
        return None
    if not INTEGER.fullmatch(text):
        raise _Bad(f"bad {name}", text)
    return int(text)


def text_of(value: object) -> str:
    """``value`` as one line of text, whitespace collapsed; ``""`` for None (api.py shares it)."""
    return "" if value is None else " ".join(str(value).split())


def _slug(text: str) -> str:
    return re.sub(r"\s+", "-", text.strip().lower()).replace("|", "/")


#: ``text`` cut to ``limit`` characters with "…" (api.py's name for it).
shorten = truncate
