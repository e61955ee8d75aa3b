"""Saving and loading a model with its card, and refusing files we cannot trust.

A model is three files: ``<name>.skops`` (the fitted estimators, in skops'
format, which never unpickles arbitrary objects), ``<name>.pack`` (the scoring
pack derived from them: :mod:`warning.classify.pack`) and ``<name>.json`` (the
card: versions, labels, thresholds, training data, metrics, both files'
sha256). Loading the estimators checks the sha256 and the scikit-learn version
against the card, then lets skops build only the types listed in
:data:`ALLOWED_TYPES`. This is the training side; scoring reads the pack
(:mod:`warning.classify.scorer`) and needs neither skops nor scikit-learn.
"""

from __future__ import annotations

import json
import platform
import zipfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .. import resources
from ..errors import ModelError
from . import LABELS, pack
from .model import EXPLAIN_MIN_IDF, OPENING, TOP_TERMS, Model
from .pack import MODEL_NAME, RETRAIN, read_card, sha256_of

__all__ = [
    "ALLOWED_TYPES",
    "MODEL_NAME",
    "RETRAIN",
    "default_path",
    "load",
    "read_card",
    "repack",
    "save",
    "sha256_of",
    "versions",
]

#: Every type a model file may contain. skops refuses anything else, so a file
#: crafted to run code on load fails instead; a new estimator in the model means
#: a reviewed change here (training checks its own output against this list).
ALLOWED_TYPES = [
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.model_selection._split.StratifiedKFold",
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
    "builtins.slice",
]


def default_path() -> Path:
    """The shipped model (inside the installed package, or the checkout's models/)."""
    return resources.bundled("models") / f"{MODEL_NAME}.skops"


def versions() -> dict[str, str]:
    """The library versions a model depends on, as the card records them."""
    out = {"python": platform.python_version()}
    for dist in ("scikit-learn", "numpy", "scipy", "skops"):
        out[dist] = metadata.version(dist)
    return out


def save(model: Model, card: dict[str, Any], path: Path) -> dict[str, Any]:
    """Write ``path`` (.skops), its scoring pack (.pack) and its card (.json); returns
    the card as written."""
    import skops.io

    path = path.with_suffix(".skops")
    path.parent.mkdir(parents=True, exist_ok=True)
    skops.io.dump(model.parts(), path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    untrusted = set(skops.io.get_untrusted_types(file=path))
    unexpected = untrusted - set(ALLOWED_TYPES)
    if unexpected:
        path.unlink()
        raise ModelError(
            f"the trained model contains types not in the allow-list: {sorted(unexpected)}",
            "review them and add them to ALLOWED_TYPES in warning/classify/artifact.py",
        )
    card = {
        **card,
        "name": MODEL_NAME,
        "version": model.version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        "labels": list(LABELS),
        "thresholds": model.thresholds,
        "artifact": {"file": path.name, "sha256": sha256_of(path)},
        "pack": write_pack(model, path),
    }
    _write_card(card, path)
    return card


def write_pack(model: Model, path: Path) -> dict[str, Any]:
    """Write the scoring pack of ``model`` beside ``path``; returns what the card records."""
    header, arrays = pack.contents(
        model.parts(),
        model.thresholds,
        model.version,
        explain_min_idf=EXPLAIN_MIN_IDF,
        top_terms=TOP_TERMS,
        opening=OPENING,
    )
    return pack.write(path.with_suffix(".pack"), header, arrays)


def repack(path: Path | None = None) -> dict[str, Any]:
    """Rebuild the scoring pack from a verified .skops file and record it in the card.

    Nothing else in the card changes; the pack equals the one training wrote.
    """
    path = (path or default_path()).with_suffix(".skops")
    model = load(path)
    card = read_card(path)
    recorded = write_pack(model, path)
    # The pack's entry goes right after the artifact's, as training writes it.
    card.pop("pack", None)
    rebuilt: dict[str, Any] = {}
    for key, value in card.items():
        rebuilt[key] = value
        if key == "artifact":
            rebuilt["pack"] = recorded
    rebuilt.setdefault("pack", recorded)
    _write_card(rebuilt, path)
    return rebuilt


def _write_card(card: dict[str, Any], path: Path) -> None:
    path.with_suffix(".json").write_text(
        json.dumps(card, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8"
    )


def load(path: Path | None = None) -> Model:
    """Load and verify a model; ModelError, naming the fix, when it cannot be trusted."""
    import skops.io

    path = (path or default_path()).with_suffix(".skops")
    if not path.is_file():
        raise ModelError(f"no model at {path}", RETRAIN)
    card = read_card(path)
    expected = card.get("artifact", {}).get("sha256")
    actual = sha256_of(path)
    if actual != expected:
        raise ModelError(
            f"{path} does not match its card (sha256 {actual[:12]}…, card says "
            f"{str(expected)[:12]}…): the file was changed after training",
            f"restore the shipped model, or {RETRAIN}",
        )
    built = card.get("versions", {}).get("scikit-learn")
    installed = metadata.version("scikit-learn")
    if built != installed:
        raise ModelError(
            f"{path} was built with scikit-learn {built}; this installation has {installed}",
            f"{RETRAIN}, or install scikit-learn=={built}",
        )
    try:
        parts = skops.io.load(path, trusted=ALLOWED_TYPES)
    except Exception as exc:  # skops raises several types for untrusted or damaged files
        raise ModelError(f"cannot load {path}: {exc}", RETRAIN) from None
    thresholds = {label: float(card["thresholds"][label]) for label in LABELS}
    return Model(parts, thresholds, str(card["version"]))
