"""``warning train``: read training files, fit, measure, and write the model and its card.

With no ``--data`` it trains on the project's own corpus (``models/corpus/*.csv``),
which is how the shipped model is made: same files, same seed, same model.
``--with-feedback`` adds the desk's verdicts (:mod:`warning.classify.feedback`) and
installs the model for the deployment only when it is no worse (:func:`with_feedback`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import resources
from ..errors import DataError
from ..evaluate import EvalRow, label_report, read_rows
from . import LABELS
from .adapters import TrainRow, read_training_file
from .artifact import MODEL_NAME, save
from .model import Example, Model, settings, train

if TYPE_CHECKING:
    from .feedback import FeedbackItem, Learning

log = logging.getLogger(__name__)

INTENDED_USE = (
    "Flag news headlines and ledes (English or French) that report a coup or coup rumour, a "
    "disputed election, an armed attack, or unrest, so that a security desk can be alerted. "
    "A triage aid: alerts are for analysts to read, not decisions."
)
LIMITS = [
    "Trained on a corpus written for the project, not on real news: real phrasing it never "
    "saw can be missed, so measure on real text (the card's evaluation) before trusting it.",
    "Headline-plus-lede length; long articles are scored on their opening only.",
    "English and French only; other languages score near zero.",
    "A bag of words and character n-grams: negation, irony and reported speech are not "
    "understood ('denies rumours of a coup' still scores as coup).",
    "Probabilities are calibrated on the training corpus; their meaning drifts on other text.",
    "Thresholds favour recall (F1.5 on out-of-fold probabilities): a label marks an item as "
    "evidence for the alert rules, which weigh it by its probability; read a label alone "
    "as 'worth a look', not as a confirmed event.",
]


def corpus_files() -> list[Path]:
    """The project's own training corpus."""
    files = sorted((resources.bundled("models") / "corpus").glob("*.csv"))
    if not files:
        raise DataError("no training corpus found under models/corpus/", "pass --data CSV")
    return files


def data_hash(files: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_examples(files: Sequence[Path]) -> tuple[list[TrainRow], dict[str, Any]]:
    """Every usable row of every file, and a per-file account (format, rows, skipped)."""
    rows: list[TrainRow] = []
    account: dict[str, Any] = {}
    for path in files:
        result = read_training_file(path)
        rows.extend(result.rows)
        account[path.name] = {
            "format": result.format,
            "rows": len(result.rows),
            "skipped": result.skipped,
        }
        if result.skipped:
            log.warning("%s: %d unusable rows skipped", path, result.skipped)
    if not rows:
        raise DataError("no usable training rows in " + ", ".join(str(f) for f in files))
    return rows, account


def read_evaluation(path: Path) -> list[EvalRow] | str:
    """What ``--eval`` names: a labelled CSV's rows, or a plain-text article (``.txt``).

    Read before training, so that a bad file is reported before minutes of fitting.
    """
    if path.suffix.lower() != ".txt":
        return read_rows(path)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(
            f"{path}: cannot read it as UTF-8 text ({exc})",
            "pass a UTF-8 .txt article, or a labelled CSV (text,labels[,countries,lang,id])",
        ) from exc


def evaluate(model: Model, source: Path | list[EvalRow] | str) -> dict[str, Any]:
    """The model's figures on real text it never trained on.

    Labelled rows give per-label metrics; an article (such as a seed story the model
    must get right) gives its labels, probabilities, reasons and primary country, as
    the pipeline would store them.
    """
    if isinstance(source, Path):
        source = read_evaluation(source)
    if isinstance(source, str):
        return _evaluate_article(model, source)
    scored = model.score([r.text for r in source], explain=False)
    return label_report(
        LABELS, [r.labels for r in source], [s.labels for s in scored], [r.lang for r in source]
    )


def _evaluate_article(model: Model, text: str) -> dict[str, Any]:
    # Assessed as the daemon assesses an item (the pipeline's one way), not scored here.
    from ..pipeline.assessment import assess, labels, probabilities, terms

    assessed = assess(text, model)
    return {
        "kind": "article",
        "labels": list(labels(assessed)),
        "probabilities": {k: round(v, 4) for k, v in probabilities(assessed).items()},
        "terms": {k: list(v) for k, v in terms(assessed).items()},
        "primary_country": assessed.geo.primary,
    }


def run(
    files: Sequence[Path] | None,
    out: Path | None,
    evaluation: Sequence[Path] = (),
    learning: Learning | None = None,
) -> dict[str, Any]:
    """Train on ``files`` (default: the corpus) and, when given, the desk's feedback;
    save to ``out``; returns the card."""
    files = list(files or corpus_files())
    evaluations = {path.name: read_evaluation(path) for path in evaluation}
    rows, account = load_examples(files)
    digest = data_hash(files)
    chosen = settings()
    # The version names data and settings together: retraining the same corpus with
    # another threshold rule must not reuse a version that stored scores refer to.
    named = digest + json.dumps(chosen, sort_keys=True)
    learnt = list(rows)
    if learning is not None:  # the card's training section stays the files'
        learnt += learning.rows
        named += learning.digest
    version_of = hashlib.sha256(named.encode())
    version = f"{MODEL_NAME}-{version_of.hexdigest()[:12]}"
    examples = [Example(r.text, frozenset(r.labels), r.lang) for r in learnt]
    model, cv = train(examples, version)
    label_counts = Counter(label for r in rows for label in r.labels)
    card: dict[str, Any] = {
        "training": {
            "files": account,
            "sha256": digest,
            "rows": len(rows),
            "per_label": {label: label_counts.get(label, 0) for label in LABELS},
            "none": sum(1 for r in rows if not r.labels),
            "per_lang": dict(sorted(Counter(r.lang or "unknown" for r in rows).items())),
        },
        "settings": chosen,
        "cross_validation": cv,
        "evaluation": {name: evaluate(model, source) for name, source in evaluations.items()},
        "intended_use": INTENDED_USE,
        "limits": LIMITS,
    }
    if learning is not None:
        card["feedback"] = learning.card(model, cv)
    out = out or resources.bundled("models") / f"{MODEL_NAME}.skops"
    return save(model, card, out)


def candidate_path() -> Path:
    """Where ``--with-feedback`` writes its model when not told: beside the deployment's."""
    return resources.local_models() / "candidate" / f"{MODEL_NAME}.skops"


def with_feedback(
    items: Sequence[FeedbackItem],
    files: Sequence[Path] | None,
    out: Path | None,
    evaluation: Sequence[Path] = (),
) -> dict[str, Any]:
    """Train on ``files`` plus the feedback ``items``, write the candidate to ``out``
    (default :func:`candidate_path`), and install it as the deployment's model when it
    is no worse than the running one (the card's ``feedback.replaces_running``).

    A refused candidate stays where it was written, for a look; the running model is
    left as it was.
    """
    from . import pack
    from .feedback import prepare
    from .pack import running_path
    from .scorer import load

    out = (out or candidate_path()).with_suffix(".skops")
    installed = resources.local_models() / f"{MODEL_NAME}.skops"
    if out.resolve() == installed.resolve():
        raise DataError(
            f"--out {out.with_suffix('')} is the deployment's own model, which only a "
            "candidate that passes the checks replaces",
            "leave out --out, or name another path",
        )
    running_file = running_path()
    shipped = str(pack.read_card(pack.default_path())["version"])
    learning = prepare(items, load(running_file), pack.read_card(running_file), shipped)
    card = run(files, out, evaluation, learning)
    if card["feedback"]["replaces_running"]:
        install(out, installed)
    return card


def install(candidate: Path, target: Path) -> None:
    """Copy a model's three files to ``target``'s name, its card naming the new files.

    Each file is written under a temporary name and then renamed into place. A process
    that starts while they are swapped can find a pack and card that disagree, and
    refuses them; the daemon takes the new model at its next start.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    card = json.loads(candidate.with_suffix(".json").read_text(encoding="utf-8"))
    card["artifact"]["file"] = target.with_suffix(".skops").name
    card["pack"]["file"] = target.with_suffix(".pack").name
    for suffix in (".skops", ".pack", ".json"):
        final = target.with_suffix(suffix)
        partial = final.with_name(final.name + ".partial")
        if suffix == ".json":
            partial.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", "utf-8")
        else:
            shutil.copyfile(candidate.with_suffix(suffix), partial)
        partial.replace(final)
