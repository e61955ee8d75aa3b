"""Scoring with the pack: what the pipeline, ``warning score`` and ``warning evaluate`` use.

numpy and the standard library only: scikit-learn and SciPy are for training
(:mod:`warning.classify.model`), and a process that scores never imports them.
The probabilities are scikit-learn's (each label's calibrated classifiers
averaged), the labels above threshold and the explaining terms the same as the
fitted model gives; tests hold them equal on the corpus and the evaluation files.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from . import LABELS, Scored, pack
from .text import OPENING
from .vectors import BLOCK, COMMON, SETTINGS, Rows, Vectorizer

log = logging.getLogger(__name__)


class Scorer:
    """A verified pack, ready to score: features, weights, calibration, thresholds."""

    def __init__(self, header: dict[str, Any], body: bytes, path: Path) -> None:
        expected = {name: {**SETTINGS[name], **COMMON} for name in SETTINGS}
        if header.get("features") != expected or header.get("opening") != OPENING:
            raise ModelError(
                f"{path} was built for other features than this installation computes",
                pack.rebuild_hint(path),
            )
        if tuple(header["labels"]) != LABELS:
            raise ModelError(f"{path} has labels {header['labels']}", pack.rebuild_hint(path))
        arrays = _arrays(header, body, path)
        self.version = str(header["version"])
        self.thresholds = {label: float(header["thresholds"][label]) for label in LABELS}
        self._cuts = np.array([self.thresholds[label] for label in LABELS])
        self._combinations = [
            tuple(label for k, label in enumerate(LABELS) if flags >> k & 1)
            for flags in range(1 << len(LABELS))
        ]
        words = arrays["words"].tobytes().decode("utf-8").split("\n")
        chars = arrays["chars"].tobytes().decode("utf-8").split("\n")
        self._vectorizer = Vectorizer(words, chars, arrays["idf"])
        self._words = words
        members = int(header["members"])
        self._members = members
        self._weights = arrays["coef"]
        self._intercepts = arrays["intercept"]
        self._slopes = arrays["slope"]
        self._offsets = arrays["offset"]
        # What explains a label: its weights (the members' mean when it has several),
        # on words uncommon enough to say something ("le", "the" never do).
        coef = self._weights[: len(words)]
        self._explaining = (
            coef
            if members == 1
            else np.column_stack(
                [coef[:, k * members : (k + 1) * members].mean(axis=1) for k in range(len(LABELS))]
            )
        )
        self._telling = arrays["idf"][: len(words)] >= header["explain"]["min_idf"]
        self._top_terms = int(header["explain"]["top_terms"])

    def features(self, texts: Sequence[str]) -> Rows:
        """The texts' feature rows (what scikit-learn's fitted features give)."""
        return self._vectorizer.transform(texts)

    def _probabilities(self, rows: Rows) -> np.ndarray:
        n = len(rows.indptr) - 1
        # The sparse product (each row's terms summed in column order, as scipy's
        # product does, though not always in the same association: equal to ~1e-15),
        # then each member's sigmoid calibration, averaged per label (as
        # CalibratedClassifierCV does).
        weighted = self._weights.take(rows.indices, axis=0)
        weighted *= rows.data.astype(np.float64)[:, None]
        decision = np.zeros((n, weighted.shape[1]))
        filled = rows.indptr[1:] > rows.indptr[:-1]
        if weighted.size:
            decision[filled] = np.add.reduceat(weighted, rows.indptr[:-1][filled], axis=0)
        decision += self._intercepts
        calibrated = 1.0 / (1.0 + np.exp(self._slopes * decision + self._offsets))
        m = self._members
        if m == 1:
            return calibrated
        total = np.zeros((n, len(LABELS)))
        for j in range(m):
            total += calibrated[:, j::m]
        return total / m

    def probabilities(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Per label, the probability for each text."""
        probs = np.concatenate(
            [np.zeros((0, len(LABELS)))]
            + [self._probabilities(self.features(block)) for block in _blocks(texts)]
        )
        return {label: probs[:, k] for k, label in enumerate(LABELS)}

    def score(self, texts: Sequence[str], *, explain: bool = True) -> list[Scored]:
        """Score texts, with the terms that pushed each label up (when ``explain``)."""
        # Block by block: a large batch (an evaluation file, a 6,000-item feed) never
        # holds more than one block's arrays.
        return [scored for block in _blocks(texts) for scored in self._score(block, explain)]

    def _score(self, texts: Sequence[str], explain: bool) -> list[Scored]:
        rows = self.features(texts)
        probs = self._probabilities(rows)
        # Which labels are above threshold, as a number whose bits are the labels.
        above = (probs >= self._cuts) @ (1 << np.arange(len(LABELS)))
        out = []
        for i, (p_row, flags) in enumerate(zip(probs.tolist(), above.tolist(), strict=True)):
            labels = self._combinations[flags]
            terms = {}
            if explain and labels:
                start = int(rows.indptr[i])
                # Word columns come first in a row: explanations use them only
                # (character n-grams read badly).
                end = start + int(
                    np.searchsorted(rows.indices[start : rows.indptr[i + 1]], len(self._words))
                )
                for label in labels:
                    terms[label] = self._terms(rows, start, end, LABELS.index(label))
            out.append(Scored(dict(zip(LABELS, p_row, strict=True)), labels, terms))
        return out

    def _terms(self, rows: Rows, start: int, end: int, k: int) -> tuple[str, ...]:
        columns = rows.indices[start:end]
        contributions = rows.data[start:end] * self._explaining[columns, k]
        contributions[~self._telling[columns]] = 0.0
        order = np.argsort(-contributions)[: self._top_terms]
        return tuple(self._words[columns[j]] for j in order if contributions[j] > 0)


def _blocks(texts: Sequence[str]) -> list[Sequence[str]]:
    return [texts[i : i + BLOCK] for i in range(0, len(texts), BLOCK)]


def _arrays(header: dict[str, Any], body: bytes, path: Path) -> dict[str, np.ndarray]:
    out = {}
    try:
        for name in ("words", "chars", "idf", "coef", "intercept", "slope", "offset"):
            spec = header["arrays"][name]
            dtype = np.dtype(spec["dtype"])
            count = int(np.prod(spec["shape"], dtype=np.int64))
            if count * dtype.itemsize != spec["bytes"]:
                raise ValueError(f"{name}: shape and size disagree")
            array = np.frombuffer(body, dtype=dtype, count=count, offset=spec["offset"])
            out[name] = array.reshape(spec["shape"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(
            f"{path} has a damaged array table ({exc})", pack.rebuild_hint(path)
        ) from None
    return out


def load(path: Path | None = None) -> Scorer:
    """Load and verify a pack (``path`` with any suffix names the model's files; default:
    the running model, :func:`~warning.classify.pack.running_path`)."""
    path, header, body = pack.read_running(path)
    try:
        return Scorer(header, body, path)
    except (KeyError, TypeError, ValueError) as exc:  # a header its writer got wrong
        damaged = ModelError(f"{path} has a damaged header ({exc!r})", pack.rebuild_hint(path))
        raise pack.untrusted(path, damaged) from None


_LOCK = threading.Lock()
_DEFAULT: Scorer | None = None


def load_default() -> Scorer:
    """The running model's pack (:func:`~warning.classify.pack.running_path`), loaded
    once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        with _LOCK:
            if _DEFAULT is None:
                _DEFAULT = load()
    return _DEFAULT
