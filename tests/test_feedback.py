"""Learning from the desk's verdicts: ``warning evaluate --feedback`` and ``warning train
--with-feedback``, through ``warning.cli.main`` as a shell would run them.

One real poll fills a SQLite database for the module: coup stories on a local feed go
through the whole pipeline (geotag, the shipped model, the bundled rules) and open one
alert each. Every test works on its own copy of that database, records verdicts with
``warning alerts verdict`` and keeps the deployment's models in its own state directory.
Training uses the small corpus of tests/fixtures/training, so a run takes seconds.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.feedserver import FeedServer
from tests.newsroom import NIGER_COUP, Newsroom, write_config
from warning import cli, logs
from warning.alerting.verdicts import record_verdict
from warning.classify import artifact, pack, scorer
from warning.classify.feedback import (
    HOLD_OUT,
    FeedbackItem,
    Judgement,
    held_back,
    read,
    training_rows,
)
from warning.pipeline.assessment import Text, assess_all
from warning.store import open_store

TINY = Path(__file__).parent / "fixtures" / "training" / "tiny-corpus.csv"
OUTLET = "sahel-wire"
#: One coup story per country; each opens an alert of the bundled coup rule.
STORIES: dict[str, dict[str, object]] = {
    "NE": NIGER_COUP,
    "ML": {
        "title": "Soldiers seize power in Mali and detain the president in Bamako",
        "description": "Mutinous troops surrounded the presidential palace in Koulouba.",
    },
    "BF": {
        "title": "Soldiers seize power in Burkina Faso and dissolve the government",
        "description": "Mutinous officers took the state broadcaster in Ouagadougou.",
    },
    "GN": {
        "title": "Soldiers seize power in Guinea and detain the president in Conakry",
        "description": "Special forces dissolved the government and the constitution.",
    },
    "TD": {
        "title": "Soldiers seize power in Chad and dissolve the government in N'Djamena",
        "description": "Army officers announced a transitional military council.",
    },
    "GA": {
        "title": "Soldiers seize power in Gabon and annul the election in Libreville",
        "description": "Officers appeared on state television to dissolve the institutions.",
    },
    "SD": {
        "title": "Soldiers seize power in Sudan and detain the prime minister in Khartoum",
        "description": "Troops surrounded the prime minister's residence overnight.",
    },
}


@dataclass(frozen=True)
class Polled:
    """The module's database after one poll, and the alert opened for each country."""

    database: Path
    alerts: dict[str, int]


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Polled]:
    tmp = tmp_path_factory.mktemp("polled")
    database = tmp / "warning.db"
    with FeedServer() as feeds:
        newsroom = Newsroom(feeds, (OUTLET,), datetime.now(UTC) - timedelta(hours=3))
        for story in STORIES.values():
            newsroom.publish(OUTLET, story, datetime.now(UTC) - timedelta(minutes=5))
        path = write_config(tmp / "warning.yaml", newsroom, f"sqlite:///{database}", None, None)
        assert cli.main(["--config", str(path), "poll", "--once"]) == 0
    with open_store(f"sqlite:///{database}") as store:
        alerts = {a.subject: a.id for a in store.alerts.open_alerts().values()}
    assert set(STORIES) <= set(alerts), alerts
    yield Polled(database, alerts)


@dataclass
class Desk:
    """A copy of the polled database, its configuration and the state directory."""

    config: Path
    database: str
    alerts: dict[str, int]
    state: Path
    capsys: pytest.CaptureFixture[str]

    def run(self, *args: str) -> tuple[int, str, str]:
        """``warning --config FILE ARGS...``: exit status, standard output, standard error."""
        self.capsys.readouterr()
        code = cli.main(["--config", str(self.config), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def verdict(self, country: str, word: str) -> None:
        code, _, err = self.run(
            "alerts", "verdict", str(self.alerts[country]), word, "--by", "amina"
        )
        assert code == 0, err

    def evaluate(self, *extra: str) -> dict[str, Any]:
        code, out, err = self.run("evaluate", "--feedback", "--json", *extra)
        assert code == 0, err
        result: dict[str, Any] = json.loads(out)
        return result

    def evidence(self, country: str) -> list[int]:
        from warning.alerting.verdicts import evidence

        with open_store(self.database) as store:
            return sorted(evidence(store, self.alerts[country]))


@pytest.fixture
def desk(
    polled: Polled,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Desk:
    # cli.main would send every INFO line to the standard error the tests read.
    monkeypatch.setattr(logs, "setup", lambda level: None)
    state = tmp_path / "state"
    monkeypatch.setenv("STATE_DIRECTORY", str(state))
    database = tmp_path / "warning.db"
    shutil.copyfile(polled.database, database)
    config = tmp_path / "warning.yaml"
    config.write_text(f"database: sqlite:///{database}\n", encoding="utf-8")
    return Desk(config, f"sqlite:///{database}", polled.alerts, state, capsys)


SHIPPED = str(pack.read_card(pack.default_path())["version"])


def noisy_corpus(path: Path) -> Path:
    """The small corpus with every coup row repeated without its label: contradictions
    that no model can learn, so its cross-validated macro-F1 falls below the shipped one's."""
    with TINY.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rows += [{**r, "labels": ""} for r in rows if "coup" in r["labels"].split(";")]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- evaluate --feedback ------------------------------------------------------------------


def test_evaluate_measures_the_running_model_on_the_verdicts(desk: Desk) -> None:
    desk.verdict("NE", "confirmed")
    desk.verdict("ML", "confirmed")
    desk.verdict("ML", "false-alarm")  # the desk's last word on an alert is the one that counts
    desk.verdict("BF", "wrong-country")
    desk.verdict("GN", "old-news")
    report = desk.evaluate()
    # The shipped model calls every story a coup where it happened, so: the confirmed one
    # agrees; the false alarm and the old news are label false positives; the wrong
    # country is a country false positive.
    assert report["model"] == SHIPPED
    assert (report["items"], report["judgements"]) == (4, 4)
    assert report["agreement"] == 0.25
    labels = report["labels"]
    counts = {k: labels[k] for k in ("judged", "tp", "fp", "fn", "tn")}
    assert counts == {"judged": 3, "tp": 1, "fp": 2, "fn": 0, "tn": 0}
    assert labels["precision"] == 0.3333 and labels["recall"] == 1.0
    coup = report["per_label"]["coup"]
    assert coup["items"] == 3 and (coup["tp"], coup["fp"]) == (1, 2)
    assert report["per_label"]["attack"]["judged"] == 0
    countries = report["countries"]
    assert (countries["judged"], countries["tp"], countries["fp"]) == (2, 1, 1)
    assert {d: m["judged"] for d, m in report["per_decision"].items()} == {
        "confirmed": 1,
        "false_alarm": 1,
        "wrong_country": 1,
        "old_news": 1,
    }
    assert report["per_decision"]["confirmed"]["agreement"] == 1.0
    assert report["per_decision"]["false_alarm"]["agreement"] == 0.0
    # The same figures, for a person.
    code, out, _ = desk.run("evaluate", "--feedback")
    assert code == 0
    assert "feedback: 4 items, 4 judgements" in out and f"model: {SHIPPED}" in out
    assert "agreement: 0.250" in out
    assert "coup" in out and "(tp 1, fp 2, fn 0, tn 0)" in out


def test_evaluate_since_takes_only_later_verdicts(desk: Desk) -> None:
    earlier = datetime.now(UTC) - timedelta(days=10)
    with open_store(desk.database) as store:
        record_verdict(store, desk.alerts["SD"], "confirmed", "moussa", now=earlier)
    desk.verdict("NE", "false-alarm")
    assert desk.evaluate()["items"] == 2
    recent = desk.evaluate("--since", "3d")
    assert recent["items"] == 1 and recent["labels"]["fp"] == 1
    assert recent["first"] >= (datetime.now(UTC) - timedelta(days=3)).isoformat()
    day = (earlier - timedelta(days=1)).date().isoformat()
    assert desk.evaluate("--since", day)["first"] == earlier.isoformat()
    # Nothing that recent: said, and exit status 1.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    code, out, err = desk.run("evaluate", "--feedback", "--since", tomorrow)
    assert code == 1 and out == ""
    assert f"no feedback from the desk yet since {tomorrow} 00:00 UTC" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--feedback", "--since", "yesterday"), "--since 'yesterday'"),
        (("--feedback", "--since", "3x"), "write it like 30d or 2026-11-01"),
        (("--since", "3d", "--data", str(TINY)), "--since goes with --feedback"),
        (("--feedback", "--data", str(TINY)), "leave out --data"),
        ((), "give --data CSV (or --feedback)"),
    ],
)
def test_evaluate_refuses_bad_usage_with_exit_2(
    desk: Desk, args: tuple[str, ...], message: str
) -> None:
    desk.verdict("NE", "confirmed")
    code, out, err = desk.run("evaluate", *args)
    assert code == 2 and out == ""
    assert message in err


def test_without_feedback_both_commands_say_so(desk: Desk) -> None:
    # An acknowledgement says someone is on it, nothing about the evidence.
    code, _, err = desk.run("alerts", "ack", str(desk.alerts["NE"]), "--by", "amina")
    assert code == 0, err
    for command in (("evaluate", "--feedback"), ("train", "--with-feedback", "--data", str(TINY))):
        code, out, err = desk.run(*command)
        assert code == 1 and out == ""
        assert "no feedback from the desk yet" in err and "warning alerts verdict" in err
    assert not (desk.state / "models").exists()


# --- train --with-feedback ----------------------------------------------------------------


def train(desk: Desk, *extra: str) -> tuple[int, str, str]:
    return desk.run("train", "--with-feedback", *extra)


def test_a_candidate_no_worse_is_installed_and_scored_with(desk: Desk) -> None:
    for country in STORIES:
        desk.verdict(country, "confirmed")
    code, out, err = train(desk, "--data", str(TINY))
    assert code == 0, err
    installed = desk.state / "models" / "instability"
    assert f"installed as this deployment's model in {installed.parent}" in out
    # The candidate was written beside it (the default place), then copied in.
    assert (desk.state / "models" / "candidate" / "instability.skops").is_file()
    assert pack.running_path() == installed.with_suffix(".pack")
    card = pack.read_card(installed.with_suffix(".pack"))
    assert scorer.load().version == card["version"] != SHIPPED
    assert artifact.load(installed.with_suffix(".skops")).version == card["version"]
    fb = card["feedback"]
    # Hand-checked: seven confirmed items; Chad's (item 3) is the one held back.
    assert [held_back(i) for i in desk.evidence("TD")] == [True]
    assert fb["shipped"] == SHIPPED and fb["running"]["version"] == SHIPPED
    assert (fb["items"], fb["judgements"], fb["trained_on"]) == (7, 7, {"items": 6, "rows": 6})
    assert fb["held_back"]["running"]["items"] == fb["held_back"]["candidate"]["items"] == 1
    assert fb["held_back"]["candidate"]["labels"]["agreement"] == 1.0
    assert fb["replaces_running"] is True and fb["refused"] == []
    assert card["cross_validation"]["macro_f1"] >= fb["running"]["cross_validated_macro_f1"]
    assert card["training"]["rows"] == sum(1 for _ in TINY.open()) - 1  # the files' rows only
    # Counts, dates and figures: no word of what the desk read.
    text = installed.with_suffix(".json").read_text(encoding="utf-8")
    for story in STORIES.values():
        assert str(story["title"]) not in text and str(story["description"]) not in text
    for word in ("Soldiers", "Niamey", "Koulouba", "Ouagadougou", "N'Djamena"):
        assert word not in text
    # evaluate --feedback now measures the deployment's model, and check verifies it.
    assert desk.evaluate()["model"] == card["version"]
    code, out, err = desk.run("check")
    assert code == 0, err
    assert f"model: {card['version']} (this deployment's own: {installed}.pack)" in out


def test_a_worse_candidate_is_refused_and_the_running_model_stays(
    desk: Desk, tmp_path: Path
) -> None:
    for country in STORIES:
        desk.verdict(country, "confirmed")
    assert train(desk, "--data", str(TINY))[0] == 0
    installed = desk.state / "models" / "instability"
    before = {s: sha256(installed.with_suffix(s)) for s in (".skops", ".pack", ".json")}
    out_path = tmp_path / "worse"
    code, out, err = train(
        desk, "--data", str(noisy_corpus(tmp_path / "noisy.csv")), "--out", str(out_path)
    )
    assert code == 1
    assert "not installed: cross-validated macro-F1" in err and "below the running model's" in err
    assert f"the running model stays; this one is left at {out_path}.*" in out
    assert {s: sha256(installed.with_suffix(s)) for s in before} == before
    card = pack.read_card(out_path.with_suffix(".pack"))
    assert card["feedback"]["replaces_running"] is False
    assert card["feedback"]["running"]["version"] == scorer.load().version != card["version"]


def test_nothing_held_back_means_nothing_installed(desk: Desk, tmp_path: Path) -> None:
    desk.verdict("NE", "confirmed")  # item 7: trained on, not held back
    code, _, err = train(desk, "--data", str(TINY), "--out", str(tmp_path / "m"))
    assert code == 1
    assert "no judgement on a label is held back" in err and "wait for more verdicts" in err
    assert (tmp_path / "m.pack").is_file()
    assert not (desk.state / "models" / "instability.pack").exists()
    assert pack.running_path() == pack.default_path()


def test_the_deployment_model_is_not_a_place_to_write_to(desk: Desk) -> None:
    desk.verdict("NE", "confirmed")
    target = desk.state / "models" / "instability"
    code, _, err = train(desk, "--data", str(TINY), "--out", str(target))
    assert code == 2
    assert "is the deployment's own model" in err and "leave out --out" in err


def test_a_local_model_beside_another_shipped_version_is_set_aside(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    for country in STORIES:
        desk.verdict(country, "confirmed")
    assert train(desk, "--data", str(TINY))[0] == 0
    card_path = desk.state / "models" / "instability.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["feedback"]["shipped"] = "instability-000000000000"  # as after an upgrade
    card_path.write_text(json.dumps(card), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="warning.classify.pack"):
        assert pack.running_path() == pack.default_path()
        assert scorer.load().version == SHIPPED
    assert "trained beside the shipped model instability-000000000000" in caplog.text
    assert f"not this installation's {SHIPPED}" in caplog.text


def test_a_damaged_local_model_names_the_way_back(desk: Desk) -> None:
    from warning.errors import ModelError

    models = desk.state / "models"
    models.mkdir(parents=True)
    (models / "instability.pack").write_bytes(b"not a pack")
    with pytest.raises(ModelError) as err:
        scorer.load()
    assert f"delete {models} to score with the shipped model" in str(err.value.hint)
    # warning check reads it as scoring would, and says the same.
    code, out, stderr = desk.run("check")
    assert code == 2 and "model:" not in out
    assert f"delete {models} to score with the shipped model" in stderr


def test_without_a_local_model_the_shipped_one_runs(desk: Desk) -> None:
    # The test session's state directory is its own (tests/hermetic.py), and each test
    # here has one more: a developer's own model is never picked up.
    assert pack.running_path() == pack.default_path()


# --- the held-back split and the training rows --------------------------------------------


def test_the_held_back_split_is_fixed_and_one_in_five() -> None:
    # Hand-checked golden values: a sha256 of the id, the same on every run and machine.
    assert [i for i in range(1, 60) if held_back(i)] == [3, 14, 19, 24, 32, 53, 54]
    share = sum(held_back(i) for i in range(1, 20_001)) / 20_000
    assert abs(share - 1 / HOLD_OUT) < 0.01


def test_training_rows_teach_what_the_desk_said_and_nothing_else() -> None:
    at = datetime(2026, 11, 20, tzinfo=UTC)
    text = Text(str(NIGER_COUP["title"]), str(NIGER_COUP["description"]), "en")
    items = [
        # False alarm on coup: not a coup; other labels as the running model says (none).
        FeedbackItem(1, text, (Judgement("coup", "NE", False, "false_alarm", at),)),
        # Confirmed attack on a story the model calls a coup: both.
        FeedbackItem(2, text, (Judgement("attack", "NE", True, "confirmed", at),)),
        # Wrong country judges the geotag, which is not trained: no row.
        FeedbackItem(3, text, (Judgement("coup", "ML", False, "wrong_country", at),)),
    ]
    model = scorer.load(pack.default_path())
    rows = training_rows(items, assess_all([i.text for i in items], model, explain=False))
    assert [(r.labels, r.source) for r in rows] == [
        ((), "feedback:1"),
        (("coup", "attack"), "feedback:2"),
    ]
    assert rows[0].text == text.scored and rows[0].lang == "en"


def test_feedback_is_read_by_item_with_its_standing_verdict(desk: Desk) -> None:
    desk.verdict("NE", "false-alarm")
    desk.verdict("NE", "confirmed")
    desk.verdict("BF", "wrong-country")
    with open_store(desk.database) as store:
        items = read(store)
    [burkina, niger] = items  # in item id order
    assert niger.item_id == desk.evidence("NE")[0]
    assert niger.text.title == NIGER_COUP["title"] and niger.text.lang == "en"
    assert [(j.label, j.country, j.carries, j.decision) for j in niger.judgements] == [
        ("coup", "NE", True, "confirmed")
    ]
    assert [(j.country, j.carries, j.decision) for j in burkina.judgements] == [
        ("BF", False, "wrong_country")
    ]
