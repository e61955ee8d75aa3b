"""The instability classifier: training, scoring with explanations.

One calibrated logistic regression per label over shared TF-IDF features
(:mod:`warning.classify.features`). Per-label decision thresholds are chosen
(leaning to recall: see THRESHOLD_BETA) on out-of-fold probabilities, where
the features too were fitted without the held-out rows, so the cross-validated
metrics in the model card are honest.
Everything random is seeded: the same data trains the same model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from ..errors import DataError
from ..evaluate import Counts
from . import LABELS, Scored
from .features import make_features
from .text import OPENING, opening, prepare

__all__ = ["OPENING", "Example", "Model", "Scored", "opening", "prepare", "settings", "train"]

SEED = 2020
#: Out-of-fold splits for thresholds and metrics, and inner splits for calibration.
OUTER_FOLDS = 5
INNER_FOLDS = 3
#: Fewest positive (and negative) examples per label that cross-validation can use.
MIN_EXAMPLES = 3 * OUTER_FOLDS
#: How many terms explain a label.
TOP_TERMS = 4
#: Words this common (idf below it) are never shown as a reason.
EXPLAIN_MIN_IDF = 3.0
#: Thresholds maximise F-beta with this beta: recall counts 2.25 times as much as
#: precision. A label's threshold decides which items become evidence; the alert rules
#: then weigh each item by its probability and ask for a score, outlets or a spike, so a
#: weak item above the threshold costs little, while a report below it is lost to every
#: rule. And the corpus is cleaner than real news, where probabilities run lower: an F1
#: cut on out-of-fold probabilities sits at the top of a wide plateau and misses real
#: reports worded unlike the corpus. Beta 2 found no more real reports than 1.5 but
#: labelled more ordinary news (docs/performance.md, "Classifier").
THRESHOLD_BETA = 1.5


@dataclass(frozen=True, slots=True)
class Example:
    """One training example: text and the set of labels it carries."""

    text: str
    labels: frozenset[str]
    lang: str | None = None


#: Inverse regularisation strength, chosen by the cross-validated macro-F1 of the
#: corpus (C 4 / 8 / 16 / 32: 0.927 / 0.928 / 0.930 / 0.929).
REGULARISATION_C = 16.0


def _classifier(seed: int) -> CalibratedClassifierCV:
    base = LogisticRegression(
        C=REGULARISATION_C,
        class_weight="balanced",
        solver="liblinear",
        max_iter=2000,
        random_state=seed,
    )
    inner = StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=seed)
    # ensemble=False: one regression fitted on all the data, calibrated on out-of-fold
    # predictions; a third of the file size and scoring time of an ensemble of folds.
    return CalibratedClassifierCV(base, method="sigmoid", cv=inner, ensemble=False)


class Model:
    """A fitted feature extractor, one classifier per label, and their thresholds."""

    def __init__(
        self,
        parts: dict[str, Any],
        thresholds: dict[str, float],
        version: str,
    ) -> None:
        self.features = parts["features"]
        self.classifiers: dict[str, CalibratedClassifierCV] = parts["classifiers"]
        self.thresholds = thresholds
        self.version = version
        words = self.features.transformer_list[0][1]
        self._words = words.get_feature_names_out()
        self._n_words = len(self._words)
        # Words in more than about a tenth of the corpus ("le", "the", "in") explain nothing.
        self._telling = words.idf_ >= EXPLAIN_MIN_IDF
        # Scoring in one product: a column of weights and an intercept per label, then
        # each label's sigmoid calibration. scikit-learn's predict_proba does the same
        # but validates and dispatches per call and per label, which costs more than the
        # arithmetic on the small batches a poll brings (a test checks they agree).
        fitted = [self.classifiers[label].calibrated_classifiers_ for label in LABELS]
        if any(len(f) != 1 for f in fitted):
            raise ValueError("expected one calibrated classifier per label (ensemble=False)")
        self._weights = np.column_stack([f[0].estimator.coef_[0] for f in fitted])
        self._intercepts = np.array([f[0].estimator.intercept_[0] for f in fitted])
        self._slopes = np.array([f[0].calibrators[0].a_ for f in fitted])
        self._offsets = np.array([f[0].calibrators[0].b_ for f in fitted])
        self._transformers = [t for _, t in self.features.transformer_list]

    def parts(self) -> dict[str, Any]:
        """What is saved: the fitted features and classifiers (see classify.artifact)."""
        return {"features": self.features, "classifiers": self.classifiers}

    def _features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        prepared = [prepare(t) for t in texts]
        return sparse.hstack([t.transform(prepared) for t in self._transformers], format="csr")

    def _probabilities(self, x: sparse.csr_matrix) -> np.ndarray:
        decision = x @ self._weights + self._intercepts
        return np.asarray(1.0 / (1.0 + np.exp(self._slopes * decision + self._offsets)))

    def probabilities(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Per label, the probability for each text."""
        probs = self._probabilities(self._features(texts))
        return {label: probs[:, k] for k, label in enumerate(LABELS)}

    def score(self, texts: Sequence[str], *, explain: bool = True) -> list[Scored]:
        """Score texts, with the terms that pushed each label up (when ``explain``)."""
        x = self._features(texts)
        probs = self._probabilities(x)
        words = x[:, : self._n_words] if explain else None
        out = []
        for i in range(len(texts)):
            p = {label: float(probs[i, k]) for k, label in enumerate(LABELS)}
            above = tuple(label for label in LABELS if p[label] >= self.thresholds[label])
            terms = {}
            if words is not None:
                row = words.getrow(i)
                for label in above:
                    terms[label] = self._top_terms(row, label)
            out.append(Scored(p, above, terms))
        return out

    def _top_terms(self, row: sparse.csr_matrix, label: str) -> tuple[str, ...]:
        # Explanations use the word features: character n-grams read badly.
        contributions = row.data * self._weights[row.indices, LABELS.index(label)]
        contributions[~self._telling[row.indices]] = 0.0
        order = np.argsort(-contributions)[:TOP_TERMS]
        return tuple(str(self._words[row.indices[j]]) for j in order if contributions[j] > 0)


def _fit(texts: list[str], targets: dict[str, np.ndarray], seed: int) -> dict[str, Any]:
    features = make_features()
    x = features.fit_transform([prepare(t) for t in texts])
    for _, vectorizer in features.transformer_list:
        # numpy integers would each become a separate file in the skops archive
        # (tens of thousands); plain ints are stored inline.
        vectorizer.vocabulary_ = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
    classifiers = {label: _classifier(seed).fit(x, targets[label]) for label in LABELS}
    return {"features": features, "classifiers": classifiers}


def settings() -> dict[str, Any]:
    """Everything besides the data that decides what training makes (hashed into the version).

    Seeds, folds, the scored opening, the threshold rule, and every plain parameter of
    the feature extractor and the classifier: changing any of them makes a new version,
    so a stored score always names the model that gave it.
    """

    scalars = (str, int, float, bool, type(None))

    def plain(params: dict[str, Any]) -> dict[str, Any]:
        # Nested estimators appear flattened under their own keys ("words__ngram_range");
        # the objects themselves, and lists holding them, are left out.
        out: dict[str, Any] = {}
        for key, value in sorted(params.items()):
            if isinstance(value, type):
                out[key] = value.__name__
            elif isinstance(value, scalars):
                out[key] = value
            elif isinstance(value, tuple | list) and all(isinstance(v, scalars) for v in value):
                out[key] = list(value)
        return out

    return {
        "seed": SEED,
        "outer_folds": OUTER_FOLDS,
        "inner_folds": INNER_FOLDS,
        "opening": OPENING,
        "threshold_beta": THRESHOLD_BETA,
        "features": plain(make_features().get_params(deep=True)),
        "classifier": plain(_classifier(SEED).get_params(deep=True)),
    }


def _best_threshold(y: np.ndarray, p: np.ndarray, beta: float) -> float:
    """The cut that maximises F-beta on out-of-fold probabilities (ties: the higher cut)."""
    best, best_score = 0.5, -1.0
    weight = beta * beta
    for cut in np.round(np.arange(0.10, 0.91, 0.01), 2):
        c = _counts(y, p >= cut)
        score = (1 + weight) * c.tp / ((1 + weight) * c.tp + weight * c.fn + c.fp) if c.tp else 0.0
        if score >= best_score:
            best, best_score = float(cut), score
    return best


def train(
    examples: Sequence[Example], version: str, *, seed: int = SEED
) -> tuple[Model, dict[str, Any]]:
    """Fit the model and measure it by cross-validation; returns (model, cv report)."""
    texts = [e.text for e in examples]
    targets = {label: np.array([label in e.labels for e in examples]) for label in LABELS}
    for label, y in targets.items():
        positives = int(y.sum())
        if min(positives, len(y) - positives) < MIN_EXAMPLES:
            raise DataError(
                f"label {label!r} has {positives} positive and {len(y) - positives} negative "
                f"examples; training needs at least {MIN_EXAMPLES} of each",
                "add examples of that label (and of its absence) to the training data",
            )
    # Stratify the outer folds on the label combination, so rare labels reach every fold;
    # combinations too rare to reach every fold are pooled into one stratum.
    combos = ["|".join(sorted(e.labels)) or "-" for e in examples]
    sizes = Counter(combos)
    strata = np.array([c if sizes[c] >= OUTER_FOLDS else "rare" for c in combos])
    outer = StratifiedKFold(OUTER_FOLDS, shuffle=True, random_state=seed)
    oof = {label: np.zeros(len(examples)) for label in LABELS}
    for train_idx, test_idx in outer.split(texts, strata):
        fitted = _fit(
            [texts[i] for i in train_idx], {k: v[train_idx] for k, v in targets.items()}, seed
        )
        x = fitted["features"].transform([prepare(texts[i]) for i in test_idx])
        for label in LABELS:
            oof[label][test_idx] = fitted["classifiers"][label].predict_proba(x)[:, 1]
    thresholds = {
        label: _best_threshold(targets[label], oof[label], THRESHOLD_BETA) for label in LABELS
    }
    report: dict[str, Any] = {
        "folds": OUTER_FOLDS,
        "per_label": {
            label: _prf(targets[label], oof[label] >= thresholds[label]) for label in LABELS
        },
    }
    report["macro_f1"] = round(float(np.mean([m["f1"] for m in report["per_label"].values()])), 4)
    model = Model(_fit(texts, targets, seed), thresholds, version)
    return model, report


def _counts(y: np.ndarray, predicted: np.ndarray) -> Counts:
    return Counts(
        int(np.sum(predicted & y)), int(np.sum(predicted & ~y)), int(np.sum(~predicted & y))
    )


def _prf(y: np.ndarray, predicted: np.ndarray) -> dict[str, float | int]:
    return {**_counts(y, predicted).as_dict(), "support": int(np.sum(y))}
