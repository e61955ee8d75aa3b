"""``warning evaluate --alerts``: labelled rows through the pipeline, judged per alert.

The rows are written here. The shipped model and the default rules decide the alerts;
the labels in each file decide which alerts are backed. One file deliberately labels
a real coup report as nothing, so that the alert it raises must count as unbacked.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.support import write_config
from warning import cli, config
from warning.backtest.alert_eval import evaluate_alerts, outlet_of, stream
from warning.errors import DataError
from warning.evaluate import EvalRow

COLUMNS = ("id", "text", "labels", "countries", "lang", "date", "url")

# A coup reported by two outlets (one of them a reaction from abroad), its neighbour's
# anniversary piece, an attack in the coastal band, ordinary news, and a true coup pair
# that no text reports (so it must be missed).
DESK = [
    (
        "c1",
        "Soldiers seize power in Niger and detain President Bazoum",
        "coup",
        "NE",
        "en",
        "2023-07-26",
        "https://www.sahel-wire.example/a1",
    ),
    (
        "c2",
        "France condemns the coup in Niger as soldiers hold the president",
        "coup",
        "NE",
        "en",
        "2023-07-26",
        "https://lagos-daily.example/world/x",
    ),
    (
        "o1",
        "Un an après le coup d'État, le Burkina célèbre la prise du pouvoir par le MPSR",
        "",
        "BF",
        "fr",
        "2023-01-24",
        "https://ouaga-news.example/y",
    ),
    (
        "a1",
        "Gunmen attack an army post in Kafolo, northern Côte d'Ivoire",
        "attack",
        "CI",
        "en",
        "2023-07-26",
        "https://abidjan.example/z",
    ),
    (
        "n1",
        "Cocoa prices rise on the Abidjan exchange",
        "",
        "CI",
        "en",
        "2023-07-26",
        "https://abidjan.example/cocoa",
    ),
    (
        "m1",
        "Markets calm in Bamako as traders return",
        "coup",
        "ML",
        "en",
        "2023-07-26",
        "https://bamako.example/m",
    ),
]
# A coup the file says is nothing: the alert it raises is not backed by the labels.
MISLABELLED = [
    (
        "g1",
        "Soldiers seize power in Guinea and detain President Condé",
        "",
        "GN",
        "en",
        "2021-09-05",
        "https://conakry.example/g",
    ),
]


def write_rows(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    return write_config(tmp_path, [])


def evaluate(cfg: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(["--config", str(cfg), "evaluate", "--alerts", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_alerts_are_judged_against_the_labels_of_their_evidence(
    cfg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    desk = write_rows(tmp_path / "desk.csv", DESK)
    wrong = write_rows(tmp_path / "wrong.csv", MISLABELLED)
    code, out, err = evaluate(cfg, capsys, "--data", str(desk), "--data", str(wrong), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["rows"] == len(DESK) + len(MISLABELLED)

    coup, attack = report["per_label"]["coup"], report["per_label"]["attack"]
    # Niger's coup: one alert, backed; France, the reacting country, gets none; the
    # anniversary opens nothing for Burkina Faso; Guinea's alert is backed by no row.
    assert coup["alerts"] == 2 and coup["backed"] == 1
    assert [(u["subject"], u["rows"]) for u in report["unbacked"]] == [("GN", ["g1"])]
    # Pairs: NE (covered) and ML (no text reports it: missed).
    assert (coup["pairs"], coup["covered"], coup["missed"]) == (2, 1, ["ML"])
    # The attack in Kafolo falls in the default rules' coastal band: backed, covered.
    assert (attack["alerts"], attack["backed"], attack["recall"]) == (1, 1, 1.0)
    assert report["alerts"] == 3 and report["precision"] == round(2 / 3, 4)


def test_the_text_report_names_the_unbacked_alerts_and_missed_pairs(
    cfg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    desk = write_rows(tmp_path / "desk.csv", DESK + MISLABELLED)
    code, out, _ = evaluate(cfg, capsys, "--data", str(desk), "--hours", "2")
    assert code == 0
    assert "rows: 7 over 2 h" in out
    assert "alerts: 3, backed 2, precision 0.667" in out
    assert "missed: ML" in out
    assert "unbacked: alert" in out and " coup GN coup (rows g1)" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--model", "x.pack"], "leave out --model"),
        (["--predictions", "out.csv"], "leave out --model and --predictions"),
        (["--rules", "missing.yaml"], "missing.yaml: no such rules file"),
    ],
)
def test_bad_options_are_refused_before_anything_runs(
    cfg: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    desk = write_rows(tmp_path / "desk.csv", DESK)
    code, out, err = evaluate(cfg, capsys, "--data", str(desk), *extra)
    assert code == 2 and out == "" and message in err


def test_several_files_without_alerts_are_refused(
    cfg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    desk = write_rows(tmp_path / "desk.csv", DESK)
    capsys.readouterr()
    code = cli.main(["--config", str(cfg), "evaluate", "--data", str(desk), "--data", str(desk)])
    assert code == 2 and "several only with --alerts" in capsys.readouterr().err


def test_an_empty_file_is_an_error_that_says_so(cfg: Path, tmp_path: Path) -> None:
    settings = config.load(cfg)
    with pytest.raises(DataError, match="no rows"):
        evaluate_alerts(settings, [[]], start=datetime(2026, 1, 1, tzinfo=UTC))


def row(id_: str, url: str | None) -> EvalRow:
    return EvalRow(id_, f"Headline {id_}", (), (), "en", date(2026, 1, 1), url)


def test_outlets_are_web_hosts_and_files_are_interleaved_over_the_span() -> None:
    assert outlet_of("https://www.example.org/a") == "example.org"
    assert outlet_of("http://news.example.org:8080/x") == "news.example.org"
    assert outlet_of(None) == "unknown-outlet"
    one = [row(f"a{n}", f"https://a.example/{n}") for n in range(4)]
    two = [row(f"b{n}", f"https://b.example/{n}") for n in range(2)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    arrivals = stream([one, two], start, timedelta(hours=6))
    order = [a.parsed.items[0].guid_key for a in arrivals]
    feeds = [a.feed for a in arrivals]
    assert len(order) == 6 and len(set(order)) == 6
    # Each file spread over the whole span: b's two rows fall among a's four.
    assert feeds == ["a.example", "b.example", "a.example", "a.example", "b.example", "a.example"]
    assert arrivals[0].at == start and arrivals[-1].at == start + timedelta(hours=5)
    # Items are published on their rows' dates, whatever hour they arrive.
    assert {a.parsed.items[0].published for a in arrivals} == {datetime(2026, 1, 1, 12, tzinfo=UTC)}
