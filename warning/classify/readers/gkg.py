"""GDELT GKG 2.x training rows: the page title, weak labels from the article's themes.

27 tab-separated columns, no header. Text is the ``<PAGE_TITLE>`` of the Extras
column; labels come from GDELT's themes (:data:`GKG_THEME_LABELS`), see :func:`read`.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

from ...errors import DataError
from .. import LABELS
from ..language import guess_lang
from .rows import ReadResult, Tally, TrainRow, clean

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
#: A GKG record id (``20190101000000-123``, ``-T`` when translated): detection's clue.
RECORD_ID = re.compile(r"^\d{8,14}-T?\d+$")


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


def read(path: Path) -> ReadResult:
    """A GDELT GKG 2.x file: page title, weak labels from themes.

    A label needs :data:`GKG_MIN_MENTIONS` mentions of its themes
    (:data:`GKG_THEME_LABELS`). A row with no label but some weaker evidence (one
    mention, or a hint theme of :data:`GKG_HINT_THEMES`) is skipped rather than kept
    as a negative; rows without a ``<PAGE_TITLE>`` (GDELT added it in 2019, so older
    files have none) or in a language other than English or French are skipped.
    """
    tally = Tally("gdelt-gkg")
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


def _gkg_record(cols: list[str], where: str, tally: Tally) -> None:
    if len(cols) != GKG_COLUMNS:
        return tally.skip("wrong column count")
    found = _PAGE_TITLE.search(cols[_GKG_EXTRAS])
    title = clean(html.unescape(found.group(1))) if found else ""
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
