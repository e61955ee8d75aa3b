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
The readers are :mod:`warning.classify.readers`, one module per format; this module
detects the format and picks one.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from ..errors import DataError
from ..sources.acled import ACLED_EVENT_LABELS
from .readers import acled, gkg, ours, ucdp
from .readers.gkg import GKG_COLUMNS, GKG_THEME_LABELS
from .readers.rows import ReadResult, TrainRow

__all__ = [
    "ACLED_EVENT_LABELS",
    "FORMATS",
    "GKG_COLUMNS",
    "GKG_THEME_LABELS",
    "ReadResult",
    "TrainRow",
    "detect_format",
    "read_acled",
    "read_acled_json",
    "read_gdelt_gkg",
    "read_training_file",
    "read_ucdp_ged",
]

#: Format name -> what it is; the names :func:`read_training_file` accepts as ``format``.
FORMATS: dict[str, str] = {
    "csv": "our CSV: header with text,labels (and optionally lang, countries, id)",
    "acled": "ACLED CSV export: header with event_type and notes",
    "acled-json": 'ACLED API JSON (.json): {"data": [...]} with event_type and notes',
    "ucdp-ged": "UCDP GED CSV: header with type_of_violence and source_headline",
    "gdelt-gkg": "GDELT GKG 2.x: 27 tab-separated columns, no header",
}
#: Format name -> its reader.
_READERS: dict[str, Callable[[Path], ReadResult]] = {
    "csv": ours.read,
    "acled": acled.read_csv,
    "acled-json": acled.read_json,
    "ucdp-ged": ucdp.read,
    "gdelt-gkg": gkg.read,
}


def read_acled(path: Path) -> list[TrainRow]:
    """Rows of an ACLED CSV export; bad rows skipped (counts: :func:`read_training_file`)."""
    return acled.read_csv(path).rows


def read_acled_json(path: Path) -> list[TrainRow]:
    """Rows of a saved ACLED API response (``{"data": [...]}``); bad rows skipped."""
    return acled.read_json(path).rows


def read_ucdp_ged(path: Path) -> list[TrainRow]:
    """Rows of a UCDP GED CSV; every event is ``attack``; bad rows skipped."""
    return ucdp.read(path).rows


def read_gdelt_gkg(path: Path) -> list[TrainRow]:
    """Rows of a GDELT GKG 2.x file: page title, weak labels from themes (see
    :func:`warning.classify.readers.gkg.read`); bad and weakly labelled rows skipped."""
    return gkg.read(path).rows


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
    if len(fields) == GKG_COLUMNS or (len(fields) > 1 and gkg.RECORD_ID.match(fields[0])):
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
