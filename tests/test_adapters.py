"""Training-data adapters: our CSV, ACLED (CSV and JSON), UCDP GED and GDELT GKG.

The fixtures under tests/fixtures/training/ are invented rows in each format, with
malformed ones among them; the real GKG samples under ../shared are read when present.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import shared_data
from warning.classify import LABELS
from warning.classify.adapters import (
    FORMATS,
    GKG_COLUMNS,
    ReadResult,
    TrainRow,
    detect_format,
    read_acled,
    read_acled_json,
    read_gdelt_gkg,
    read_training_file,
    read_ucdp_ged,
)
from warning.classify.language import guess_lang
from warning.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures" / "training"


def by_source(result: ReadResult) -> dict[str, TrainRow]:
    return {row.source.rsplit(":", 1)[-1]: row for row in result.rows}


def check_invariants(result: ReadResult) -> None:
    assert result.skipped == sum(result.reasons.values())
    for row in result.rows:
        assert row.text == row.text.strip() and row.text
        assert set(row.labels) <= set(LABELS)
        assert len(set(row.labels)) == len(row.labels)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ours.csv", "csv"),
        ("acled.csv", "acled"),
        ("acled.json", "acled-json"),
        ("ucdp_ged.csv", "ucdp-ged"),
        ("gkg.csv", "gdelt-gkg"),
    ],
)
def test_format_is_detected_from_content(name: str, expected: str) -> None:
    assert expected in FORMATS
    assert detect_format(FIXTURES / name) == expected
    result = read_training_file(FIXTURES / name)
    assert result.format == expected
    check_invariants(result)


def test_our_csv() -> None:
    result = read_training_file(FIXTURES / "ours.csv")
    rows = by_source(result)
    assert set(rows) == {"o1", "o2", "o3", "o7", "o8"}
    assert rows["o1"] == TrainRow(
        "Soldiers seize state television in the capital, president's whereabouts unknown",
        ("coup",),
        "en",
        "csv:ours.csv:o1",
    )
    # Labels are normalised (case, spaces) and deduplicated; lang is lower-cased.
    assert rows["o2"].labels == ("election_dispute", "unrest")
    assert rows["o7"].labels == ("attack",) and rows["o7"].lang == "fr"
    assert rows["o3"].labels == () and rows["o8"].lang is None
    assert result.reasons == {"no text": 1, "unknown label": 1, "wrong column count": 1}


def test_acled_csv_maps_event_types() -> None:
    result = read_training_file(FIXTURES / "acled.csv")
    rows = by_source(result)
    labels = {ident: row.labels for ident, row in rows.items()}
    assert labels == {
        "XYZ001": ("attack",),  # Battles
        "XYZ002": ("attack",),  # Explosions/Remote violence
        "XYZ003": ("attack",),  # Violence against civilians
        "XYZ004": ("unrest",),  # Protests
        "XYZ005": ("unrest",),  # Riots
        "XYZ006": (),  # Strategic developments: a negative
        "XYZ011": ("unrest",),  # pre-2019 "Riots/Protests"
    }
    assert all(row.lang == "en" for row in rows.values())
    assert result.reasons == {
        # A strategic development that speaks of a coup is not labelled by keyword,
        # nor kept as a negative.
        "strategic development mentioning a coup or an election": 1,
        "no text": 1,
        "unknown event_type": 1,
        "wrong column count": 1,
        "no event_type": 1,
    }
    assert read_acled(FIXTURES / "acled.csv") == result.rows


def test_acled_boilerplate_is_removed_from_notes() -> None:
    rows = by_source(read_training_file(FIXTURES / "acled.csv"))
    assert rows["XYZ001"].text.startswith("Militia fighters clashed with the army")
    assert rows["XYZ002"].text.startswith("A roadside bomb struck a bus")
    assert rows["XYZ004"].text.endswith("against a new market tax.")  # "[size=...]" gone
    # A quoted multi-line note is one row, its line break a space.
    assert rows["XYZ005"].text == (
        "Students burned tyres and threw stones at police, who fired tear gas. "
        "The university was closed."
    )
    assert rows["XYZ011"].text == "Residents marched against power cuts."


def test_acled_json() -> None:
    result = read_training_file(FIXTURES / "acled.json")
    rows = result.rows
    assert [(r.source, r.labels) for r in rows] == [
        ("acled:XYZ101", ("attack",)),
        ("acled:XYZ102", ("unrest",)),
        ("acled:acled.json:6", ()),  # no event id: the record's position stands in
    ]
    assert rows[1].text == "Police dispersed nurses protesting unpaid wages."
    assert result.reasons == {"no text": 1, "unknown event_type": 1, "not an object": 1}
    assert read_acled_json(FIXTURES / "acled.json") == rows


@pytest.mark.parametrize(
    "content",
    ['{"status": 200, "data": {"oops": 1}}', '{"data": [', "[1, 2"],
    ids=["data-not-a-list", "truncated", "broken"],
)
def test_acled_json_unusable_file_is_a_data_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "acled.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=r"acled\.json"):
        read_training_file(path)


def test_ucdp_ged() -> None:
    result = read_training_file(FIXTURES / "ucdp_ged.csv")
    rows = by_source(result)
    assert set(rows) == {"900001", "900002", "900003"}
    assert all(row.labels == ("attack",) and row.lang == "en" for row in rows.values())
    # Several headlines joined by ";": the first.
    assert rows["900001"].text == "Army and rebels fight for control of border post"
    # No headline ("NA"): the article, cut at a word within 300 characters.
    article = rows["900003"].text
    assert article.startswith("Radio Example,2020-02-03,Insurgents stormed a market town")
    assert len(article) <= 300 and not article.endswith(" ")
    assert result.reasons == {
        "unknown type_of_violence": 1,
        "no text": 1,
        "wrong column count": 1,
    }
    assert read_ucdp_ged(FIXTURES / "ucdp_ged.csv") == result.rows


def test_gkg_weak_labels_from_themes() -> None:
    result = read_training_file(FIXTURES / "gkg.csv")
    rows = {r.source.removeprefix("gdelt-gkg:20240301120000-"): r for r in result.rows}
    assert {k: (r.labels, r.lang) for k, r in rows.items()} == {
        "1": (("attack",), "en"),  # ARMEDCONFLICT mentioned twice
        "2": (("unrest",), "en"),  # PROTEST twice, VIOLENT_UNREST once
        "3": (("election_dispute",), "en"),  # ELECTION_FRAUD twice
        "6": ((), "en"),  # no signal theme at all: a negative
        "T7": (("unrest",), "fr"),  # translated from French (srclc:fra)
        "9": ((), "fr"),  # French title, no translation info: guessed
        "12": (("attack",), "en"),  # V1 themes only: presence is enough
    }
    assert rows["6"].text == "City council approves a new cycle lane & bus route"
    assert result.reasons == {
        "themes too weak to label": 2,  # one TERROR mention; KILL alone
        "language other than English or French": 1,
        "no page title": 1,
        "wrong column count": 1,
    }
    assert read_gdelt_gkg(FIXTURES / "gkg.csv") == result.rows


def test_gkg_bad_bytes_cost_one_row(tmp_path: Path) -> None:
    good = (FIXTURES / "gkg.csv").read_bytes().split(b"\n")[0]
    path = tmp_path / "20240301120000.gkg.csv"
    path.write_bytes(good + b"\n" + good.replace(b"Fighters", b"Fighters \xff") + b"\n")
    result = read_training_file(path)
    assert len(result.rows) == 1 and result.reasons == {"not UTF-8": 1}


def test_unknown_format_names_the_file_and_the_accepted_formats() -> None:
    with pytest.raises(DataError) as caught:
        read_training_file(FIXTURES / "unknown.csv")
    assert "unknown.csv" in caught.value.message
    assert caught.value.hint is not None
    for name in FORMATS:
        assert name in caught.value.hint


def test_empty_and_missing_files_are_data_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="empty file"):
        read_training_file(empty)
    with pytest.raises(DataError, match="not found"):
        read_training_file(tmp_path / "absent.csv")
    with pytest.raises(DataError, match="format"):
        read_training_file(FIXTURES / "ours.csv", format="xlsx")


def test_not_utf8_csv_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("text,labels\nCoup d'état à Exampleville,coup\n".encode("latin-1"))
    with pytest.raises(DataError, match="UTF-8"):
        read_training_file(path)


def test_header_only_file_gives_no_rows_and_no_error(tmp_path: Path) -> None:
    path = tmp_path / "acled.csv"
    path.write_text("event_type,notes\n", encoding="utf-8")
    result = read_training_file(path)
    assert (result.rows, result.skipped, result.format) == ([], 0, "acled")


def test_format_can_be_forced() -> None:
    # A GKG file whose first line is malformed would not be recognised; naming the
    # format reads it anyway.
    result = read_training_file(FIXTURES / "gkg.csv", format="gdelt-gkg")
    assert result.format == "gdelt-gkg" and result.rows


@pytest.mark.parametrize(
    ("title", "lang"),
    [
        ("Mali : la junte annonce un calendrier pour les élections", "fr"),
        ("Au Niger, des militaires s'emparent du pouvoir", "fr"),
        ("Soldiers seize power in Niger, detain the president", "en"),
        ("Côte d'Ivoire: the opposition rejects the results", "en"),
        ("Burkina Faso", "en"),
    ],
)
def test_guess_lang(title: str, lang: str) -> None:
    assert guess_lang(title) == lang


# --- real GDELT samples (third-party data outside the repository) -------------------


def test_real_gkg_record_with_page_title() -> None:
    path = shared_data("gdelt", "20251025080000.gkg.record0_with_page_title.csv")
    result = read_training_file(path)
    assert result.format == "gdelt-gkg" and result.skipped == 0
    [row] = result.rows
    assert row.text == "Rick Applegate: Protecting your constitutional rights and yourselves"
    assert row.source == "gdelt-gkg:20251025080000-0" and row.lang == "en"


def test_real_gkg_2017_sample_has_no_titles() -> None:
    # GDELT added PAGE_TITLE in 2019: every 2017 record is skipped, none crashes.
    path = shared_data("gdelt", "20170701234500.gkg.sample50.csv")
    result = read_training_file(path)
    assert result.format == "gdelt-gkg"
    assert (len(result.rows), result.reasons) == (0, {"no page title": 50})


def test_real_gkg_2017_themes_with_titles_added(tmp_path: Path) -> None:
    """The theme mapping on real records: give each a title, then read the labels."""
    source = shared_data("gdelt", "20170701234500.gkg.sample50.csv")
    lines = []
    for line in source.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        assert len(cols) == GKG_COLUMNS
        cols[26] += f"<PAGE_TITLE>Record {cols[0]}</PAGE_TITLE>"
        lines.append("\t".join(cols))
    path = tmp_path / "titled.gkg.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read_training_file(path)
    check_invariants(result)
    assert len(result.rows) + result.skipped == 50
    labels = {r.source.removeprefix("gdelt-gkg:20170701234500-"): r.labels for r in result.rows}
    # alaraby.co.uk, "hundreds arrested as unrest escalates in Morocco's Rif": PROTEST
    # five times and ARMEDCONFLICT twice.
    assert set(labels["31"]) == {"attack", "unrest"}
    # businessinsider.com, "UN closes Ivory Coast mission": ARMEDCONFLICT and TERROR.
    assert labels["24"] == ("attack",)
    # ign.com, a video-game trailer: no signal theme, a negative.
    assert labels["0"] == ()
    # bnd.com entertainment with one KILL mention: too weak either way, skipped.
    assert "10" not in labels
    assert not any("coup" in found for found in labels.values())
