"""`warning evaluate`: reading labelled CSVs, and metrics that can be checked by hand."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import shared_data
from warning import cli
from warning.errors import DataError
from warning.evaluate import Counts, read_rows, set_counts

REPO = Path(__file__).resolve().parents[1]


def test_counts_by_hand() -> None:
    gold = [("ML",), ("NE", "BJ"), (), ("BF",)]
    predicted = [("ML",), ("NE",), ("FR",), ("CI",)]
    counts = set_counts(gold, predicted)
    # tp: ML, NE; fp: FR, CI; fn: BJ, BF
    assert (counts.tp, counts.fp, counts.fn) == (2, 2, 2)
    assert counts.precision == counts.recall == counts.f1 == 0.5


def test_counts_with_nothing_predicted_are_zero_not_an_error() -> None:
    counts = Counts(0, 0, 3)
    assert (counts.precision, counts.recall, counts.f1) == (0.0, 0.0, 0.0)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_read_rows(tmp_path: Path) -> None:
    rows = read_rows(
        write(
            tmp_path,
            'id,text,labels,countries,lang\na1,"Coup in Mali",coup,ML,en\na2,"Rien",,,fr\n',
        )
    )
    assert [(r.id, r.labels, r.countries, r.lang) for r in rows] == [
        ("a1", ("coup",), ("ML",), "en"),
        ("a2", (), (), "fr"),
    ]


def test_rows_without_countries_column(tmp_path: Path) -> None:
    [row] = read_rows(write(tmp_path, "text,labels\nSomething happened,\n"))
    assert row.countries is None and row.id == "1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("body,labels\nx,\n", "missing column(s) text"),
        ("text,labels\n", "no rows"),
        ('text,labels\n"",coup\n', "row 1 has no text"),
        ("text,labels,date\nSomething,,27/11/2026\n", "date '27/11/2026' is not YYYY-MM-DD"),
    ],
)
def test_unusable_csv_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_rows(write(tmp_path, text))


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["evaluate", "--data", str(tmp_path / "nope.csv")])
    assert code == 2
    assert "file not found" in capsys.readouterr().err


def test_evaluate_countries_and_predictions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write(
        tmp_path,
        "id,text,labels,countries\n"
        'x1,"Soldiers detain the president in Bamako",coup,ML\n'
        'x2,"Le gouvernement béninois annonce un couvre-feu à Cotonou",unrest,BJ\n'
        'x3,"The chess olympiad opens with a record field",,\n',
    )
    out = tmp_path / "pred.csv"
    capsys.readouterr()
    assert cli.main(["evaluate", "--data", str(data), "--json", "--predictions", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows"] == 3
    assert report["countries"]["tp"] == 2 and report["countries"]["fn"] == 0
    coup = report["per_label"]["coup"]
    assert {"precision", "recall", "f1", "tp", "fp", "fn", "support"} <= set(coup)
    assert coup["support"] == 1 and coup["tp"] + coup["fn"] == 1
    assert set(report["per_lang"]) == set() and "macro_f1" in report
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
        "id",
        "labels",
        "countries",
        "p_coup",
        "p_election_dispute",
        "p_attack",
        "p_unrest",
    ]
    assert [(r["id"], r["countries"]) for r in rows] == [("x1", "ML"), ("x2", "BJ"), ("x3", "")]
    assert all(0 <= float(r["p_coup"]) <= 1 for r in rows)


def test_real_news_country_f1(capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's quality bar on real news nobody tuned on: country micro-F1 >= 0.92."""
    data = shared_data("eval", "realnews-dev.csv")
    capsys.readouterr()
    assert cli.main(["evaluate", "--data", str(data), "--json"]) == 0
    countries = json.loads(capsys.readouterr().out)["countries"]
    assert countries["f1"] >= 0.92, countries


def test_evaluate_scores_with_the_pack_as_scikit_learn_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`warning evaluate` reads the scoring pack; its report and predictions are the ones
    the fitted scikit-learn model gives (tests/test_pack.py: without importing it)."""
    from warning.classify import LABELS, artifact
    from warning.evaluate import label_report

    rows = []
    for name in ("fr-main.csv", "en-security.csv", "mixed-hard.csv"):
        with (REPO / "models" / "corpus" / name).open(encoding="utf-8", newline="") as f:
            rows += list(csv.DictReader(f))[:40]
    data = tmp_path / "sample.csv"
    with data.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "labels", "lang"])
        writer.writerows([i, r["text"], r["labels"], r["lang"]] for i, r in enumerate(rows))
    out = tmp_path / "pred.csv"
    capsys.readouterr()
    assert cli.main(["evaluate", "--data", str(data), "--json", "--predictions", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    fitted = artifact.load()
    scored = fitted.score([r["text"] for r in rows], explain=False)
    gold = [tuple(x for x in r["labels"].split(";") if x) for r in rows]
    expected = label_report(LABELS, gold, [s.labels for s in scored], [r["lang"] for r in rows])
    assert report["model"] == fitted.version
    assert {k: report[k] for k in expected} == json.loads(json.dumps(expected))
    with out.open(newline="") as f:
        predicted = list(csv.DictReader(f))
    assert [p["labels"] for p in predicted] == [";".join(s.labels) for s in scored]
    assert [[p[f"p_{label}"] for label in LABELS] for p in predicted] == [
        [f"{s.probabilities[label]:.4f}" for label in LABELS] for s in scored
    ]
