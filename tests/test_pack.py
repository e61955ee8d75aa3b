"""The scoring pack: the same features, probabilities and reasons as the fitted
scikit-learn model, numpy only, and refused when it cannot be trusted."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SHARED_DATA, shared_data
from warning import cli
from warning.classify import LABELS, artifact, pack, scorer, vectors
from warning.classify.model import Model
from warning.classify.text import fold, prepare
from warning.errors import ModelError

REPO = Path(__file__).resolve().parents[1]
CORPUS = sorted((REPO / "models" / "corpus").glob("*.csv"))
TINY = REPO / "tests" / "fixtures" / "training" / "tiny-corpus.csv"
EVAL_FILES = sorted(p.name for p in (SHARED_DATA / "eval").glob("*.csv"))


@pytest.fixture(scope="module")
def fitted() -> Model:
    """The shipped model as scikit-learn runs it (the reference)."""
    return artifact.load()


@pytest.fixture(scope="module")
def packed() -> scorer.Scorer:
    return scorer.load()


def texts_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


def assert_same_as_scikit_learn(fitted: Model, packed: scorer.Scorer, texts: list[str]) -> None:
    # Features: the same columns, and the same float32 values (to 1e-12: in fact, bit for bit).
    expected = fitted.features.transform([prepare(t) for t in texts]).tocsr()
    expected.sort_indices()
    rows = packed.features(texts)
    assert np.array_equal(rows.indptr, expected.indptr)
    assert np.array_equal(rows.indices, expected.indices)
    assert np.abs(rows.data.astype(np.float64) - expected.data).max(initial=0.0) <= 1e-12
    # Probabilities: CalibratedClassifierCV's own predict_proba, within 1e-6.
    ours = packed.probabilities(texts)
    for label in LABELS:
        theirs = fitted.classifiers[label].predict_proba(expected)[:, 1]
        assert np.abs(ours[label] - theirs).max() <= 1e-6, label
    # What the pipeline stores: labels above threshold and the terms that explain them.
    reference = fitted.score(texts)
    scored = packed.score(texts)
    assert [s.labels for s in scored] == [s.labels for s in reference]
    assert [s.terms for s in scored] == [s.terms for s in reference]
    assert any(s.terms for s in scored) or not any(s.labels for s in reference)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_pack_equals_scikit_learn_on_the_corpus(
    fitted: Model, packed: scorer.Scorer, path: Path
) -> None:
    assert_same_as_scikit_learn(fitted, packed, texts_of(path))


@pytest.mark.parametrize("name", EVAL_FILES or ["realnews-dev.csv"])
def test_pack_equals_scikit_learn_on_the_evaluation_files(
    fitted: Model, packed: scorer.Scorer, name: str
) -> None:
    assert_same_as_scikit_learn(fitted, packed, texts_of(shared_data("eval", name)))


AWKWARD = [
    "",
    "   \n\t ",
    "— … « » !!! ???",
    "COUP D’ÉTAT À NIAMEY : l’armée « prend le pouvoir »",
    "Cœur de l’Œuvre, ex æquo, ﬁnancement ﬂou, `quoted`",
    "Mali\x85coup\u2028d'etat\u2029in\u1680Bamako",  # whitespace that folds to nothing
    "a\u00a0b\u2009c\u3000d ¨e ﷺ f",  # whitespace that folds to a space, and the reverse
    "İstanbul ΣΊΣΥΦΟΣ Ουαγκαντούγκου Уагадугу 瓦加杜古",
    "e\u0301lection conteste\u0301e, re\u0301sultats annule\u0301s",
    "d'" * 300 + " coup" + "'" * 200,
    "x" * 5000,
    "Gunmen attacked a village near Djibo; " * 40,
    "coup " * 400 + "d'etat",
]


def test_pack_equals_scikit_learn_on_awkward_text(
    fitted: Model, packed: scorer.Scorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_same_as_scikit_learn(fitted, packed, AWKWARD)
    # A full cache starts again and changes nothing (hostile text cannot grow it).
    fresh = scorer.load()
    monkeypatch.setattr(vectors, "CACHE_SIZE", 8)
    corpus = texts_of(CORPUS[0])[:200] + AWKWARD
    assert_same_as_scikit_learn(fitted, fresh, corpus)
    assert len(fresh._vectorizer._cache) <= 8


def test_fold_works_piece_by_piece() -> None:
    """The pack folds each whitespace-separated piece on its own; that equals folding
    the whole text because every character folds on its own, and every whitespace
    character folds to whitespace, except the few the pack removes first."""
    vanishing = set(vectors._VANISHING.pattern.strip("[]"))
    for code in range(0x110000):
        c = chr(code)
        if c.isspace():
            assert (fold(c) == "") == (c in vanishing), hex(code)
            assert fold(c) == "" or fold(c).isspace(), hex(code)
    pieces = [chr(c) for c in range(0x20, 0x3000)] + AWKWARD
    text = "".join(pieces)
    assert fold(text) == "".join(fold(p) for p in pieces)
    # The ASCII shortcut is the full definition.
    for piece in [*pieces, *(chr(c) * 3 for c in range(128))]:
        decomposed = unicodedata.normalize("NFKD", piece.translate(_UNIFY_REFERENCE).lower())
        assert fold(piece) == decomposed.encode("ascii", "ignore").decode("ascii")


_UNIFY_REFERENCE = str.maketrans(
    {"’": "'", "ʼ": "'", "`": "'", "‘": "'", "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"}
)


def test_an_averaged_calibration_is_reproduced(tmp_path: Path) -> None:
    """CalibratedClassifierCV with ensemble=True averages one calibrated classifier per
    fold; the pack keeps them all and averages the same way."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    from warning.classify.features import make_features

    with TINY.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts = [r["text"] for r in rows]
    features = make_features()
    x = features.fit_transform([prepare(t) for t in texts])
    classifiers = {
        label: CalibratedClassifierCV(
            LogisticRegression(solver="liblinear"), method="sigmoid", cv=3, ensemble=True
        ).fit(x, np.array([label in r["labels"].split(";") for r in rows]))
        for label in LABELS
    }
    assert all(len(c.calibrated_classifiers_) == 3 for c in classifiers.values())
    header, arrays = pack.contents(
        {"features": features, "classifiers": classifiers},
        dict.fromkeys(LABELS, 0.5),
        "ensemble-test",
        explain_min_idf=3.0,
        top_terms=4,
        opening=800,
    )
    path = tmp_path / "ensemble.pack"
    recorded = pack.write(path, header, arrays)
    path.with_suffix(".json").write_text(json.dumps({"version": "ensemble-test", "pack": recorded}))
    ours = scorer.load(path).probabilities(texts)
    for label in LABELS:
        theirs = classifiers[label].predict_proba(x)[:, 1]
        assert np.abs(ours[label] - theirs).max() <= 1e-6


# --- refusing a pack that cannot be trusted -----------------------------------------


def copy_shipped(dst: Path) -> Path:
    shipped = pack.default_path()
    path = dst / shipped.name
    path.write_bytes(shipped.read_bytes())
    path.with_suffix(".json").write_bytes(shipped.with_suffix(".json").read_bytes())
    return path


def refused(path: Path, match: str) -> ModelError:
    with pytest.raises(ModelError, match=match) as info:
        scorer.load(path)
    hint = info.value.hint or ""
    assert "warning train --pack-only" in hint and "warning train`" in hint, hint
    assert f"--out {path.with_suffix('')}" in hint  # not the shipped model: say which
    return info.value


def test_a_copy_of_the_shipped_pack_loads(tmp_path: Path, packed: scorer.Scorer) -> None:
    copy = scorer.load(copy_shipped(tmp_path))
    text = ["Des militaires annoncent la dissolution du gouvernement à Niamey"]
    assert copy.version == packed.version
    assert copy.score(text) == packed.score(text)


def test_a_changed_byte_is_refused(tmp_path: Path) -> None:
    path = copy_shipped(tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    refused(path, "was changed after it was written")


def test_a_changed_header_is_refused(tmp_path: Path) -> None:
    path = copy_shipped(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"top_terms":4', b'"top_terms":9', 1))
    refused(path, "does not match its card")


def test_a_truncated_pack_is_refused(tmp_path: Path) -> None:
    path = copy_shipped(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 1000])
    refused(path, r"is truncated: its body has \d+ of \d+ bytes")
    path.write_bytes(data[:100])
    refused(path, "is truncated: its header is cut off")


def test_not_a_pack_is_refused(tmp_path: Path) -> None:
    path = copy_shipped(tmp_path)
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    refused(path, "is not a scoring pack")


@pytest.mark.parametrize(
    ("old", "new"), [(b'{"arrays"', b'["arrays"'), (b'"format":1', b'"format":"')]
)
def test_a_damaged_header_is_refused(tmp_path: Path, old: bytes, new: bytes) -> None:
    path = copy_shipped(tmp_path)
    data = path.read_bytes()
    assert data.count(old) == 1
    path.write_bytes(data.replace(old, new))
    refused(path, "has a damaged header")


def test_a_pack_of_another_model_version_is_refused(tmp_path: Path) -> None:
    path = copy_shipped(tmp_path)
    card = json.loads(path.with_suffix(".json").read_text())
    # A well-formed pack whose card is another model's (and names this pack's hash).
    card["version"] = "instability-000000000000"
    path.with_suffix(".json").write_text(json.dumps(card))
    error = refused(path, "holds model instability-")
    assert "describes instability-000000000000" in error.message


def test_a_pack_its_card_does_not_name_is_refused(tmp_path: Path) -> None:
    path = copy_shipped(tmp_path)
    card = json.loads(path.with_suffix(".json").read_text())
    card["pack"]["sha256"] = hashlib.sha256(b"another pack").hexdigest()
    path.with_suffix(".json").write_text(json.dumps(card))
    refused(path, r"does not match its card \(sha256 [0-9a-f]{12}…, card says [0-9a-f]{12}…\)")
    del card["pack"]
    path.with_suffix(".json").write_text(json.dumps(card))
    refused(path, "records no scoring pack")


def test_a_missing_pack_or_card_is_refused(tmp_path: Path) -> None:
    refused(tmp_path / "absent.pack", "no scoring pack at")
    path = copy_shipped(tmp_path)
    path.with_suffix(".json").unlink()
    with pytest.raises(ModelError, match="no model card"):
        scorer.load(path)


def test_the_shipped_pack_names_no_other_hint(tmp_path: Path) -> None:
    assert pack.rebuild_hint(pack.default_path()).startswith(
        "rebuild it from instability.skops with `warning train --pack-only`,"
    )


def test_score_with_a_bad_pack_says_how_to_fix_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = copy_shipped(tmp_path)
    path.write_bytes(path.read_bytes()[:-10])
    capsys.readouterr()
    assert cli.main(["score", "--model", str(path.with_suffix(".skops")), "Coup in Mali"]) == 1
    err = capsys.readouterr().err
    assert "is truncated" in err
    assert "hint: restore a good copy, or rebuild it from instability.skops" in err


# --- the pack and the skops file ------------------------------------------------------


def test_the_shipped_card_records_the_shipped_pack() -> None:
    card = artifact.read_card(artifact.default_path())
    assert card["pack"] == {
        "file": "instability.pack",
        "format": pack.FORMAT,
        "bytes": pack.default_path().stat().st_size,
        "sha256": pack.sha256_of(pack.default_path()),
    }


def test_pack_only_rebuilds_the_shipped_pack_from_the_skops_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = copy_shipped(tmp_path)
    skops = artifact.default_path()
    path.with_suffix(".skops").write_bytes(skops.read_bytes())
    path.unlink()
    card_before = path.with_suffix(".json").read_text()
    out = str(path.with_suffix(""))
    assert cli.main(["train", "--pack-only", "--out", out]) == 0
    assert "scoring pack instability.pack rebuilt from instability.skops" in capsys.readouterr().out
    assert path.read_bytes() == pack.default_path().read_bytes()
    assert path.with_suffix(".json").read_text() == card_before  # nothing else changes
    assert cli.main(["train", "--pack-only", "--data", str(CORPUS[0])]) == 2


def test_score_evaluate_and_the_pipeline_import_neither_scikit_learn_nor_scipy() -> None:
    code = (
        "import sys\n"
        "from warning import cli\n"
        "assert cli.main(['score', 'Soldiers seize power in Niamey']) == 0\n"
        f"assert cli.main(['evaluate', '--data', {str(TINY)!r}]) == 0\n"
        "from warning.pipeline import intake\n"
        "assert intake.require_model().version\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'skops'})\n"
        "print('heavy:', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "heavy: []" in out.stdout
