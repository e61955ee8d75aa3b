"""Training rows from our own CSV and from licensed third-party exports.

``warning train --data FILE`` accepts five formats, detected from the file itself
(:func:`read_training_file`); each reader turns a record into a :class:`TrainRow`:

- **our CSV** (DESIGN.md's evaluation format): a header with ``text`` and ``labels``
  (``;``-separated), optionally ``lang``, ``countries``, ``id``.
- **ACLED CSV export** and **ACLED API JSON** (``{"data": [...]}``): text is ``notes``;
  labels come from ``event_type`` alone (:data:`ACLED_EVENT_LABELS`):

  ======================================  ============  =====================================
  event_type                              label         sub-event types
  ======================================  ============  =====================================
  Battles                                 attack        armed clash, territory changes
  Explosions/Remote violence              attack        air/drone strike, shelling, IED, ...
  Violence against civilians              attack        attack, abduction, sexual violence
  Riots                                   unrest        violent demonstration, mob violence
  Protests                                unrest        peaceful, with intervention,
                                                        excessive force against protesters
  Strategic developments                  (none)        agreements, arrests, looting, bases,
                                                        non-violent transfer of territory
  ======================================  ============  =====================================

  ACLED has no coup or election event type. A strategic development whose notes speak of
  a coup, a mutiny or an election is therefore *skipped*, not kept as a negative: it may
  well be one of our positives, and labelling it by keyword would be guessing.
- **UCDP GED CSV**: text is ``source_headline`` (the first, when several are joined by
  ``;``), else the first 300 characters of ``source_article``; every ``type_of_violence``
  (1 state-based, 2 non-state, 3 one-sided) is ``attack``: GED only records organised
  violence with deaths.
- **GDELT GKG 2.x** (27 tab-separated columns, no header): text is the page title from
  the Extras column; weak labels from themes (:data:`GKG_THEME_LABELS`), see
  :func:`read_gdelt_gkg`.

Unusable rows (wrong column count, no text, unknown event type or label) are counted
by reason and skipped; only a file that cannot be read or recognised at all raises
:class:`~warning.errors.DataError`. docs/training-data.md has the tables and licensing.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError
from ..sources.acled import ACLED_EVENT_LABELS
from . import LABELS

__all__ = [
    "ACLED_EVENT_LABELS",
    "FORMATS",
    "GKG_THEME_LABELS",
    "ReadResult",
    "TrainRow",
    "read_acled",
    "read_acled_json",
    "read_gdelt_gkg",
    "read_training_file",
    "read_ucdp_ged",
]


@dataclass(frozen=True, slots=True)
class TrainRow:
    """One training example: text, its labels (a subset of LABELS), language, provenance."""

    text: str
    labels: tuple[str, ...]
    lang: str | None
    source: str  # "<format>:<record id>", e.g. "acled:MLI1234", to trace a row back


@dataclass(frozen=True, slots=True)
class ReadResult:
    """What a file yielded: usable rows, how many were skipped and why, and its format."""

    rows: list[TrainRow]
    skipped: int
    format: str
    reasons: dict[str, int] = field(default_factory=dict)  # reason -> rows skipped


#: Format name -> what it is; the names :func:`read_training_file` accepts as ``format``.
FORMATS: dict[str, str] = {
    "csv": "our CSV: header with text,labels (and optionally lang, countries, id)",
    "acled": "ACLED CSV export: header with event_type and notes",
    "acled-json": 'ACLED API JSON (.json): {"data": [...]} with event_type and notes',
    "ucdp-ged": "UCDP GED CSV: header with type_of_violence and source_headline",
    "gdelt-gkg": "GDELT GKG 2.x: 27 tab-separated columns, no header",
}

# --- ACLED ---------------------------------------------------------------------

# ACLED_EVENT_LABELS (event_type, lower case -> labels, pre-2019 names included) is the
# acled source kind's table (warning.sources.acled): training and polling read ACLED alike.
# A strategic development that may be a coup or an election dispute is not a safe
# negative (see the module docstring).
_POSSIBLE_SIGNAL = re.compile(
    r"\b(?:coups?|putsch\w*|junta|mutin\w*|overthr\w+|ousted|seiz\w* power|takeover"
    r"|elect\w*|ballots?|vot(?:e|es|ed|ing|ers?)|polls?|rigg\w+)\b",
    re.IGNORECASE,
)
# ACLED boilerplate that no news text carries: the opening date clause ("On 3 May
# 2023," / "Around 3 May 2023 (month of),") and trailing tags ("[size=no report]").
_ACLED_DATE = re.compile(
    r"^(?:on|around|about|between|during|from|in|overnight)\b[^,]{0,60}?\b\d{4}\b[^,]{0,30},\s*",
    re.IGNORECASE,
)
_ACLED_TAGS = re.compile(r"(?:\s*\[[^\[\]]*\])+\s*$")


def _acled_text(notes: str) -> str:
    text = _ACLED_TAGS.sub("", _ACLED_DATE.sub("", _clean(notes)))
    return text[:1].upper() + text[1:]


def _acled_record(record: Mapping[str, object], where: str, tally: _Tally) -> None:
    event = _norm(record.get("event_type"))
    notes = _acled_text(_str(record.get("notes")))
    if not event:
        return tally.skip("no event_type")
    labels = ACLED_EVENT_LABELS.get(event)
    if labels is None:
        return tally.skip("unknown event_type")
    if not notes:
        return tally.skip("no text")
    if not labels and _POSSIBLE_SIGNAL.search(notes):
        return tally.skip("strategic development mentioning a coup or an election")
    ident = _str(record.get("event_id_cnty")) or where
    tally.add(TrainRow(notes, labels, "en", f"acled:{ident}"))


def _acled_csv(path: Path) -> ReadResult:
    tally = _Tally("acled")
    for line, record in _csv_records(path):
        if record is None:
            tally.skip("wrong column count")
        else:
            _acled_record(record, f"{path.name}:{line}", tally)
    return tally.result()


def _acled_json(path: Path) -> ReadResult:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path}: cannot read as UTF-8 JSON: {exc}") from None
    # The API wraps its records in {"data": [...]}; a bare list (a saved "data") is fine too.
    records = document.get("data") if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise DataError(
            f'{path}: no list of records under "data"',
            'save the ACLED API response as it comes: {"status": ..., "data": [...]}',
        )
    tally = _Tally("acled-json")
    for number, record in enumerate(records, start=1):
        if isinstance(record, dict):
            _acled_record(
                {str(k).strip().lower(): v for k, v in record.items()},
                f"{path.name}:{number}",
                tally,
            )
        else:
            tally.skip("not an object")
    return tally.result()


def read_acled(path: Path) -> list[TrainRow]:
    """Rows of an ACLED CSV export; bad rows skipped (counts: :func:`read_training_file`)."""
    return _acled_csv(path).rows


def read_acled_json(path: Path) -> list[TrainRow]:
    """Rows of a saved ACLED API response (``{"data": [...]}``); bad rows skipped."""
    return _acled_json(path).rows


# --- UCDP GED ------------------------------------------------------------------

#: UCDP GED type_of_violence -> labels: state-based, non-state, one-sided violence.
UCDP_VIOLENCE_LABELS: dict[str, tuple[str, ...]] = {
    "1": ("attack",),
    "2": ("attack",),
    "3": ("attack",),
}
_MISSING = {"", "na", "n/a", "none", "null", "-"}


def _ucdp_ged(path: Path) -> ReadResult:
    tally = _Tally("ucdp-ged")
    for line, record in _csv_records(path):
        if record is None:
            tally.skip("wrong column count")
            continue
        kind = _str(record.get("type_of_violence")).removesuffix(".0")
        labels = UCDP_VIOLENCE_LABELS.get(kind)
        if labels is None:
            tally.skip("unknown type_of_violence")
            continue
        # Several sources' headlines are joined by ";": the first stands for the event,
        # so one event stays one row.
        headlines = [_clean(h) for h in _str(record.get("source_headline")).split(";")]
        text = next((h for h in headlines if h.lower() not in _MISSING), "")
        if not text:
            article = _clean(_str(record.get("source_article")))
            text = "" if article.lower() in _MISSING else _cut(article, 300)
        if not text:
            tally.skip("no text")
            continue
        ident = _str(record.get("id")) or f"{path.name}:{line}"
        tally.add(TrainRow(text, labels, "en", f"ucdp-ged:{ident}"))
    return tally.result()


def read_ucdp_ged(path: Path) -> list[TrainRow]:
    """Rows of a UCDP GED CSV; every event is ``attack``; bad rows skipped."""
    return _ucdp_ged(path).rows


# --- GDELT GKG -----------------------------------------------------------------

GKG_COLUMNS = 27
_GKG_ID, _GKG_THEMES, _GKG_V2THEMES, _GKG_TRANSLATION, _GKG_EXTRAS = 0, 7, 8, 25, 26

#: Label -> GKG themes (GDELT's category list) that report the event itself. None for
#: ``coup``: the category list has no coup theme, and the nearest (REBELLION, TAKE_OFFICE,
#: POLITICAL_TURMOIL) mostly tag civil wars, inaugurations and crises.
GKG_THEME_LABELS: dict[str, tuple[str, ...]] = {
    "coup": (),
    "election_dispute": ("ELECTION_FRAUD",),
    "attack": ("ARMEDCONFLICT", "TERROR", "SUICIDE_ATTACK"),
    "unrest": ("PROTEST", "VIOLENT_UNREST", "UNREST_MOLOTOVCOCKTAIL", "UNREST_STONETHROWING"),
}
#: Label -> themes that hint at it but also tag ordinary news (any death, any curfew,
#: any kidnapping, labour strikes, disaster emergencies). They never give a label; they
#: only keep a row from being used as a negative.
GKG_HINT_THEMES: dict[str, tuple[str, ...]] = {
    "coup": ("REBELLION", "TAKE_OFFICE", "POLITICAL_TURMOIL", "TREASON", "GOV_DISSOLVEGOV"),
    "election_dispute": (),
    "attack": ("KILL", "WOUND", "KIDNAP", "LANDMINE", "ASSASSINATION", "INSURGENCY", "REBELS"),
    "unrest": ("CURFEW", "STRIKE", "STATE_OF_EMERGENCY", "UNREST_POLICEBRUTALITY"),
}
#: A label needs this many theme mentions in the article: one passing mention of
#: TERROR in a sports report is not an attack.
GKG_MIN_MENTIONS = 2
_PAGE_TITLE = re.compile(r"<PAGE_TITLE>(.*?)</PAGE_TITLE>", re.DOTALL)
_SOURCE_LANG = re.compile(r"srclc:([a-z]{3})")
_GKG_RECORD_ID = re.compile(r"^\d{8,14}-T?\d+$")


def _gkg_mentions(v1: str, v2: str) -> Counter[str]:
    """Mentions per theme: V2 lists each mention (``THEME,offset``); V1 only presence."""
    counts: Counter[str] = Counter(
        entry.rsplit(",", 1)[0] for entry in v2.split(";") if entry.strip()
    )
    if not counts:
        # A file with V1 themes only: presence counts as enough for that theme.
        counts.update({t: GKG_MIN_MENTIONS for t in v1.split(";") if t.strip()})
    return counts


def _gkg_labels(mentions: Counter[str]) -> tuple[tuple[str, ...], bool]:
    """The labels the themes support, and whether some weaker evidence is also present."""
    labels, hinted = [], False
    for label in LABELS:
        strong = sum(mentions[t] for t in GKG_THEME_LABELS[label])
        if strong >= GKG_MIN_MENTIONS:
            labels.append(label)
        elif strong or any(mentions[t] for t in GKG_HINT_THEMES[label]):
            hinted = True
    return tuple(labels), hinted


def _gkg(path: Path) -> ReadResult:
    tally = _Tally("gdelt-gkg")
    try:
        with path.open("rb") as handle:
            # Binary lines: only "\n" ends a record, and one bad byte costs one row.
            for number, raw in enumerate(handle, start=1):
                try:
                    line = raw.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError:
                    tally.skip("not UTF-8")
                    continue
                if line.strip():
                    _gkg_record(line.split("\t"), f"{path.name}:{number}", tally)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None
    return tally.result()


def _gkg_record(cols: list[str], where: str, tally: _Tally) -> None:
    if len(cols) != GKG_COLUMNS:
        return tally.skip("wrong column count")
    found = _PAGE_TITLE.search(cols[_GKG_EXTRAS])
    title = _clean(html.unescape(found.group(1))) if found else ""
    if not title:
        return tally.skip("no page title")
    source_lang = _SOURCE_LANG.search(cols[_GKG_TRANSLATION])
    if source_lang and source_lang.group(1) not in ("eng", "fra"):
        return tally.skip("language other than English or French")
    labels, hinted = _gkg_labels(_gkg_mentions(cols[_GKG_THEMES], cols[_GKG_V2THEMES]))
    if not labels and hinted:
        # Some signal, too weak to label: neither a positive nor a safe negative.
        return tally.skip("themes too weak to label")
    # GDELT names the language of translated documents; others we guess from the title.
    known = {"fra": "fr", "eng": "en"}.get(source_lang.group(1)) if source_lang else None
    lang = known or guess_lang(title)
    tally.add(TrainRow(title, labels, lang, f"gdelt-gkg:{cols[_GKG_ID] or where}"))


def read_gdelt_gkg(path: Path) -> list[TrainRow]:
    """Rows of a GDELT GKG 2.x file: page title, weak labels from themes.

    A label needs :data:`GKG_MIN_MENTIONS` mentions of its themes
    (:data:`GKG_THEME_LABELS`). A row with no label but some weaker evidence (one
    mention, or a hint theme of :data:`GKG_HINT_THEMES`) is skipped rather than kept
    as a negative; rows without a ``<PAGE_TITLE>`` (GDELT added it in 2019, so older
    files have none) or in a language other than English or French are skipped.
    """
    return _gkg(path).rows


# fmt: off
_FRENCH = frozenset({
    "le", "la", "les", "des", "du", "une", "et", "est", "sont", "dans", "pour", "par", "sur",
    "au", "aux", "avec", "qui", "que", "ne", "pas", "selon", "contre", "après", "été", "ont",
    "sa", "ses", "leur", "cette", "entre", "lors", "vers", "chez", "sous", "depuis",
})
_ENGLISH = frozenset({
    "the", "of", "and", "in", "to", "is", "are", "for", "with", "after", "as", "by", "at",
    "from", "was", "were", "has", "have", "its", "over", "into", "says", "this", "that",
})
# fmt: on
_WORDS = re.compile(r"\b(?:[cdjlmnst]|qu)['’]|[^\W\d_]+")


def guess_lang(text: str) -> str:
    """``"fr"`` when French function words outnumber English ones (two at least), else en.

    Crude on purpose: it only has to tell French titles from English ones.
    """
    french = english = 0
    for word in _WORDS.findall(text.lower()):
        if word in _FRENCH or word[-1] in "'’":
            french += 1
        elif word in _ENGLISH:
            english += 1
    return "fr" if french >= 2 and french > english else "en"


# --- our CSV -------------------------------------------------------------------


def _own_csv(path: Path) -> ReadResult:
    tally = _Tally("csv")
    for line, record in _csv_records(path):
        if record is None:
            tally.skip("wrong column count")
            continue
        text = _clean(record.get("text", ""))
        parts = (x.strip().lower() for x in record.get("labels", "").split(";"))
        labels = tuple(dict.fromkeys(x for x in parts if x))
        if not text:
            tally.skip("no text")
        elif any(label not in LABELS for label in labels):
            tally.skip("unknown label")
        else:
            lang = record.get("lang", "").strip().lower() or None
            ident = record.get("id", "").strip() or str(line)
            tally.add(TrainRow(text, labels, lang, f"csv:{path.name}:{ident}"))
    return tally.result()


# --- detection -----------------------------------------------------------------

_READERS = {
    "csv": _own_csv,
    "acled": _acled_csv,
    "acled-json": _acled_json,
    "ucdp-ged": _ucdp_ged,
    "gdelt-gkg": _gkg,
}


def detect_format(path: Path) -> str:
    """The format name of a training file (a key of :data:`FORMATS`), from its content."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 16)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = text.lstrip().split("\n", 1)[0].rstrip("\r")
    if path.suffix.lower() == ".json" or first.startswith(("{", "[")):
        return "acled-json"
    fields = first.split("\t")
    if len(fields) == GKG_COLUMNS or (len(fields) > 1 and _GKG_RECORD_ID.match(fields[0])):
        return "gdelt-gkg"
    header = {h.strip().lower() for h in next(csv.reader([first]), [])}
    if {"text", "labels"} <= header:
        return "csv"
    if {"event_type", "notes"} <= header:
        return "acled"
    if "type_of_violence" in header:
        return "ucdp-ged"
    accepted = "; ".join(f"{name} ({what})" for name, what in FORMATS.items())
    raise DataError(
        f"{path}: not a training file format I know" + ("" if first else " (empty file)"),
        f"accepted formats: {accepted}",
    )


def read_training_file(path: Path, format: str | None = None) -> ReadResult:
    """Read any accepted training file; ``format`` (a key of FORMATS) skips detection.

    Unusable rows are counted (``skipped``, by reason in ``reasons``) and left out; a
    file that cannot be read or recognised raises DataError. A file whose every row was
    skipped gives an empty result: the caller decides whether that is fatal.
    """
    name = format or detect_format(path)
    reader = _READERS.get(name)
    if reader is None:
        raise DataError(f"unknown training file format {name!r}", "one of: " + ", ".join(FORMATS))
    return reader(path)


# --- helpers -------------------------------------------------------------------


class _Tally:
    """Rows kept and rows skipped (by reason) while reading one file."""

    def __init__(self, format: str) -> None:
        self.format = format
        self.rows: list[TrainRow] = []
        self.reasons: Counter[str] = Counter()

    def add(self, row: TrainRow) -> None:
        self.rows.append(row)

    def skip(self, reason: str) -> None:
        self.reasons[reason] += 1

    def result(self) -> ReadResult:
        return ReadResult(self.rows, self.reasons.total(), self.format, dict(self.reasons))


def _csv_records(path: Path) -> Iterator[tuple[int, dict[str, str] | None]]:
    """(line, record by lower-case header) per data row; None for a wrong column count."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip().lower() for h in next(reader, [])]
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue  # blank line
                if len(row) != len(header):
                    yield reader.line_num, None
                else:
                    yield reader.line_num, dict(zip(header, row, strict=True))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read as UTF-8 CSV: {exc}") from None


_SPACE = re.compile(r"\s+")


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _str(value: object) -> str:
    return "" if value is None else str(value).strip()


def _norm(value: object) -> str:
    return _SPACE.sub(" ", _str(value).lower())


def _cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary where there is one."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut.rsplit(" ", 1)[0] if " " in cut else cut
