"""The classifier: training is reproducible, artifacts are verified, scores explain themselves."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from warning.classify import LABELS, artifact
from warning.classify.model import Example, Model, train
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


def test_saved_model_loads_and_scores_with_reasons(
    trained: tuple[Model, dict[str, object], Path],
) -> None:
    _, _, path = trained
    model = artifact.load(path)
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
