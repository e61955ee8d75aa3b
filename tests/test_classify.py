"""The classifier: training is reproducible, artifacts are verified, scores explain themselves."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from warning.classify import LABELS, artifact, scorer
from warning.classify.model import Example, Model, train
from warning.classify.scorer import Scorer
from warning.errors import ModelError

TINY = Path(__file__).parent / "fixtures" / "training" / "tiny-corpus.csv"


def tiny_examples() -> list[Example]:
    with TINY.open(encoding="utf-8", newline="") as f:
        return [
            Example(r["text"], frozenset(x for x in r["labels"].split(";") if x), r["lang"])
            for r in csv.DictReader(f)
        ]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Model, dict[str, object], Path]:
    model, report = train(tiny_examples(), "test-model")
    path = tmp_path_factory.mktemp("model") / "instability.skops"
    artifact.save(model, {"cross_validation": report}, path)
    return model, report, path


def test_training_is_reproducible(trained: tuple[Model, dict[str, object], Path]) -> None:
    model, report, _ = trained
    again, report_again = train(tiny_examples(), "test-model")
    assert report_again == report
    assert again.thresholds == model.thresholds
    texts = ["Des militaires prennent le pouvoir au Gabon", "Market prices fall in Accra"]
    assert [s.probabilities for s in again.score(texts)] == [
        s.probabilities for s in model.score(texts)
    ]


@pytest.mark.parametrize("loader", [artifact.load, scorer.load], ids=["skops", "pack"])
def test_saved_model_loads_and_scores_with_reasons(
    trained: tuple[Model, dict[str, object], Path], loader: Callable[[Path], Model | Scorer]
) -> None:
    _, _, path = trained
    model = loader(path)
    [coup, calm] = model.score(
        [
            "Des militaires prennent le pouvoir au Gabon et suspendent la Constitution",
            "Cotton harvest rises for a third year in Ghana",
        ]
    )
    assert "coup" in coup.labels and coup.probabilities["coup"] > 0.5
    assert coup.terms["coup"] and all(
        t in "des militaires prennent le pouvoir au gabon et suspendent la constitution"
        for t in coup.terms["coup"]
    )
    assert calm.labels == () and calm.terms == {}
    assert set(coup.probabilities) == set(LABELS)


def test_card_records_versions_thresholds_and_hash(
    trained: tuple[Model, dict[str, object], Path],
) -> None:
    model, _, path = trained
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["labels"] == list(LABELS)
    assert card["thresholds"] == model.thresholds
    assert card["artifact"]["sha256"] == artifact.sha256_of(path)
    assert card["pack"]["sha256"] == artifact.sha256_of(path.with_suffix(".pack"))
    assert set(card["versions"]) >= {"python", "scikit-learn", "numpy", "scipy", "skops"}


def copy_model(src: Path, dst_dir: Path) -> Path:
    dst = dst_dir / src.name
    dst.write_bytes(src.read_bytes())
    dst.with_suffix(".json").write_text(src.with_suffix(".json").read_text())
    return dst


def test_tampered_model_is_refused(
    trained: tuple[Model, dict[str, object], Path], tmp_path: Path
) -> None:
    path = copy_model(trained[2], tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="changed after training") as info:
        artifact.load(path)
    assert info.value.hint is not None and "warning train" in info.value.hint


def test_model_from_another_scikit_learn_is_refused(
    trained: tuple[Model, dict[str, object], Path], tmp_path: Path
) -> None:
    path = copy_model(trained[2], tmp_path)
    card = json.loads(path.with_suffix(".json").read_text())
    card["versions"]["scikit-learn"] = "0.24.2"
    path.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match=r"built with scikit-learn 0\.24\.2") as info:
        artifact.load(path)
    assert info.value.hint is not None and "warning train" in info.value.hint


def test_missing_card_or_model_is_refused(
    trained: tuple[Model, dict[str, object], Path], tmp_path: Path
) -> None:
    path = copy_model(trained[2], tmp_path)
    path.with_suffix(".json").unlink()
    with pytest.raises(ModelError, match="no model card"):
        artifact.load(path)
    with pytest.raises(ModelError, match="no model at"):
        artifact.load(tmp_path / "absent.skops")


class Gadget:
    """A type no model may contain: loading must not build it."""


def test_types_outside_the_allow_list_are_refused(tmp_path: Path) -> None:
    import skops.io

    path = tmp_path / "evil.skops"
    skops.io.dump({"features": Gadget(), "classifiers": {}}, path)
    path.with_suffix(".json").write_text(
        json.dumps(
            {
                "artifact": {"sha256": artifact.sha256_of(path)},
                "versions": artifact.versions(),
                "thresholds": dict.fromkeys(LABELS, 0.5),
                "version": "evil",
            }
        )
    )
    with pytest.raises(ModelError, match="cannot load"):
        artifact.load(path)


# --- the shipped model ----------------------------------------------------------------

SHARED = Path(__file__).resolve().parents[2] / "shared"


def test_shipped_model_loads_and_its_card_describes_the_corpus() -> None:
    from warning.classify.training import corpus_files, data_hash

    model = artifact.load()
    card = artifact.read_card(artifact.default_path())
    assert card["version"] == model.version
    assert card["training"]["sha256"] == data_hash(corpus_files())
    counts = card["training"]
    assert counts["rows"] >= 3000 and counts["none"] >= 1000
    assert all(n >= 400 for n in counts["per_label"].values())
    assert counts["per_lang"]["fr"] / counts["rows"] >= 0.35


@pytest.mark.slow
def test_train_command_reproduces_the_shipped_model(tmp_path: Path) -> None:
    from warning import cli

    shipped = artifact.read_card(artifact.default_path())
    assert cli.main(["train", "--out", str(tmp_path / "again")]) == 0
    card = artifact.read_card(tmp_path / "again.skops")
    assert card["version"] == shipped["version"]
    assert card["thresholds"] == shipped["thresholds"]
    assert card["cross_validation"] == shipped["cross_validation"]
    # Training writes the scoring pack too: the very bytes that ship.
    assert card["pack"]["sha256"] == shipped["pack"]["sha256"]
    assert (tmp_path / "again.pack").read_bytes() == artifact.default_path().with_suffix(
        ".pack"
    ).read_bytes()


def test_train_with_data_needs_an_explicit_output(capsys: pytest.CaptureFixture[str]) -> None:
    from warning import cli

    assert cli.main(["train", "--data", str(TINY)]) == 2
    assert "--out" in capsys.readouterr().err


def test_train_on_given_files_writes_a_loadable_model(tmp_path: Path) -> None:
    from warning import cli

    assert cli.main(["train", "--data", str(TINY), "--out", str(tmp_path / "m")]) == 0
    model = artifact.load(tmp_path / "m.skops")
    assert model.score(["Soldiers seize power in Gabon, dissolve the government"])[0].labels == (
        "coup",
    )
    packed = scorer.load(tmp_path / "m.skops")  # the pack beside it, as --model finds it
    assert packed.version == model.version
    assert packed.score(["Soldiers seize power in Gabon, dissolve the government"])[0].labels == (
        "coup",
    )


def test_train_records_an_article_given_to_eval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from warning import cli

    article = tmp_path / "gabon.txt"
    article.write_text(
        "Des militaires prennent le pouvoir au Gabon\n"
        "Les putschistes ont dissous le gouvernement à Libreville et suspendu la Constitution.",
        encoding="utf-8",
    )
    out = tmp_path / "m"
    assert cli.main(["train", "--data", str(TINY), "--out", str(out), "--eval", str(article)]) == 0
    recorded = artifact.read_card(out.with_suffix(".skops"))["evaluation"]["gabon.txt"]
    assert recorded["kind"] == "article" and recorded["primary_country"] == "GA"
    assert "coup" in recorded["labels"] and recorded["probabilities"]["coup"] > 0.5
    assert recorded["terms"]["coup"]
    assert "gabon.txt: coup 0." in capsys.readouterr().out


def test_an_unreadable_article_to_eval_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from warning import cli

    article = tmp_path / "latin1.txt"
    article.write_bytes("Coup d'État à Niamey".encode("latin-1"))
    out = tmp_path / "m"
    assert cli.main(["train", "--data", str(TINY), "--out", str(out), "--eval", str(article)]) == 2
    assert "latin1.txt: cannot read it as UTF-8 text" in capsys.readouterr().err


def test_the_version_names_the_settings_as_well_as_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warning.classify import model as model_module
    from warning.classify import training

    first = training.run([TINY], tmp_path / "a")
    monkeypatch.setattr(model_module, "THRESHOLD_BETA", 1.0)
    second = training.run([TINY], tmp_path / "b")
    assert first["training"]["sha256"] == second["training"]["sha256"]
    assert first["settings"]["threshold_beta"] != second["settings"]["threshold_beta"] == 1.0
    assert first["version"] != second["version"]


def eval_report(name: str) -> dict[str, object]:
    from warning.classify.training import evaluate

    path = SHARED / "data" / "eval" / name
    if not path.exists():
        pytest.skip(f"{path} is absent (third-party evaluation data lives outside the repo)")
    return evaluate(artifact.load(), path)


def test_quality_on_real_news_it_never_trained_on() -> None:
    report = eval_report("realnews-dev.csv")
    per_label = report["per_label"]
    per_lang = report["per_lang"]
    assert isinstance(per_label, dict) and isinstance(per_lang, dict)
    assert report["macro_f1"] >= 0.85, report["macro_f1"]
    assert all(m["f1"] >= 0.75 for m in per_label.values()), per_label
    assert abs(per_lang["fr"]["macro_f1"] - per_lang["en"]["macro_f1"]) <= 0.05


def test_few_labels_on_ordinary_news() -> None:
    report = eval_report("bbc2005-dev-none.csv")
    assert float(report["any_label_share"]) <= 0.10  # type: ignore[arg-type]


def test_the_seed_article_is_a_coup_in_mali() -> None:
    from warning.classify.training import evaluate

    path = SHARED / "seeds" / "mali-coup-2020-australian-outlook.txt"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    report = evaluate(artifact.load(), path)  # as `warning train --eval` records it
    assert "coup" in report["labels"], report["probabilities"]
    assert report["primary_country"] == "ML"


def test_fast_scoring_agrees_with_scikit_learn(
    trained: tuple[Model, dict[str, object], Path],
) -> None:
    from warning.classify.model import prepare

    model = trained[0]
    texts = [e.text for e in tiny_examples()[::7]] + ["Rien à signaler à Ouagadougou"]
    x = model.features.transform([prepare(t) for t in texts])
    ours = model.probabilities(texts)
    for label, clf in model.classifiers.items():
        assert ours[label] == pytest.approx(clf.predict_proba(x)[:, 1], abs=1e-9)


def test_thresholds_lean_to_recall() -> None:
    import numpy as np

    from warning.classify.model import THRESHOLD_BETA, _best_threshold

    # Two confident positives, two weak ones (0.2) hidden behind five weak negatives: F1
    # keeps the high cut (recall 0.5, no false alarm); leaning to recall (F1.5 and more)
    # takes the weak positives in.
    y = np.array([True, True, True, True] + [False] * 5)
    p = np.array([0.9, 0.8, 0.2, 0.2, 0.3, 0.3, 0.25, 0.25, 0.22])
    assert _best_threshold(y, p, beta=1.0) == 0.8
    assert _best_threshold(y, p, beta=2.0) == 0.2
    assert _best_threshold(y, p, beta=1.5) == 0.2
    assert _best_threshold(y, p, THRESHOLD_BETA) == 0.2  # the shipped setting leans to recall
