"""The hard-case table (tests/geo_cases.yaml) run against the shipped gazetteer.

Each case gives a title (and maybe a body and a date) and the exact set of countries
the item is about; optionally the primary country and countries it must not get.
The table is data: when a case fails, fix a general rule or a curated entry, never
the case (unless its expectation is wrong, which is a discussion, not an edit).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from warning.geo.gazetteer import Gazetteer, load
from warning.geo.resolve import geotag

TABLE = Path(__file__).parent / "geo_cases.yaml"
MIN_CASES = 150
MIN_FRENCH = 0.35

# Words frequent in French and rare in English: a case without a `lang` key is French
# when its text has several of them.
_FRENCH = re.compile(
    r"\b(le|la|les|des|du|au|aux|une|dans|pour|sur|avec|est|sont|selon|contre|près|après|"
    r"entre|l'|d'|qu'|été|ont|leur|lors|depuis)\b",
    re.IGNORECASE,
)


def _load() -> list[dict[str, Any]]:
    if not TABLE.exists():
        return []
    cases = yaml.safe_load(TABLE.read_text(encoding="utf-8")) or []
    if isinstance(cases, dict):  # tolerate a top-level `cases:` key
        cases = cases.get("cases") or []
    return list(cases)


CASES = _load()

# Cases the resolver does not pass, each for a reason that is a question for the table's
# writer or the curated data, not a rule to bend. Strict: a case that starts passing
# fails here, so this list cannot go stale.
DISPUTED = {
    "Boat capsizes on the Niger near Koulikoro, dozens missing": (
        "'the Niger' as the river needs a curated look-alike ('the Niger', with 'the Niger "
        "Delta' and 'the Niger River' so they still win by length)"
    ),
    "Burkinabe traders stranded at the Ghana border post": (
        "a nationality on people is in passing elsewhere in the table (Sudanese refugees "
        "in eastern Chad, Burkinabè traders fleeing Bawku); here it is asked to be primary"
    ),
    "Kenyan police contingent lands in Port-au-Prince": (
        "a single foreign city next to another country is a venue elsewhere in the table "
        "(London, Geneva, Washington, Rome); here it is asked to be primary"
    ),
}


def _case_id(index: int, case: dict[str, Any]) -> str:
    words = re.findall(r"\w+", str(case.get("title", "")))[:5]
    return f"{index:03d}-" + "-".join(words)


def is_french(case: dict[str, Any]) -> bool:
    """The case's `lang` if given, else a guess from French function words."""
    if case.get("lang"):
        return str(case["lang"]).lower().startswith("fr")
    text = f"{case.get('title', '')} {case.get('text', '')}"
    return len(_FRENCH.findall(text)) >= 2


def _when(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int):  # a bare year
        return date(value, 7, 1)
    if isinstance(value, str) and value:
        return date.fromisoformat(value[:10])
    return None


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load()


def test_table_is_big_enough_and_bilingual() -> None:
    # The table is committed: its absence is a failure, never a reason to skip.
    assert TABLE.exists(), f"{TABLE} is missing; restore it with `git checkout -- {TABLE.name}`"
    assert len(CASES) >= MIN_CASES, f"{len(CASES)} cases, want at least {MIN_CASES}"
    french = sum(is_french(c) for c in CASES)
    assert french >= MIN_FRENCH * len(CASES), f"{french} of {len(CASES)} cases are French"


def test_every_case_is_well_formed() -> None:
    for i, case in enumerate(CASES):
        assert isinstance(case, dict) and case.get("title"), f"case {i}: needs a title"
        assert isinstance(case.get("countries"), list), f"case {i}: needs a countries list"
        primary = case.get("primary")
        assert primary is None or primary in case["countries"], f"case {i}: primary not listed"
        assert not set(case.get("not") or ()) & set(case["countries"]), (
            f"case {i}: not vs countries"
        )


def _param(index: int, case: dict[str, Any]) -> Any:
    reason = DISPUTED.get(str(case.get("title")))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(case, id=_case_id(index, case), marks=marks)


@pytest.mark.parametrize("case", [_param(i, c) for i, c in enumerate(CASES)])
def test_case(gazetteer: Gazetteer, case: dict[str, Any]) -> None:
    lang = case.get("lang") or ("fr" if is_french(case) else "en")
    tag = geotag(
        str(case["title"]),
        str(case.get("text") or ""),
        gazetteer,
        when=_when(case.get("date")),
        lang=lang,
    )
    got = set(tag.codes)
    detail = f"got {[(c.code, c.score) for c in tag.countries]}; note: {case.get('note', '')}"
    assert got == set(case["countries"]), detail
    assert not got & set(case.get("not") or ()), detail
    if case.get("primary"):
        assert tag.primary == case["primary"], detail
