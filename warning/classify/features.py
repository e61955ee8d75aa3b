"""Text features that work in English and French alike (scikit-learn, for training).

Texts are folded once (:func:`warning.classify.text.fold`), so "coup d'État",
"coup d’etat" and "COUP D'ETAT" are one feature. Word uni- and bigrams carry
meaning ("coup d'envoi" is not a coup); character n-grams within words catch
inflections and spellings the corpus never showed ("putschistes", "jihadistes",
"djihadistes"). The scoring pack computes the same features without scikit-learn
(:mod:`warning.classify.vectors`).
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from .text import WORD_PATTERN, fold

__all__ = ["WORD_PATTERN", "fold", "make_features"]


def make_features() -> FeatureUnion:
    """A fresh, unfitted feature extractor for folded text (fixed settings)."""
    return FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    lowercase=False,
                    token_pattern=WORD_PATTERN,
                    ngram_range=(1, 2),
                    min_df=2,
                    max_features=20_000,
                    sublinear_tf=True,
                    dtype=np.float32,
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    lowercase=False,
                    analyzer="char_wb",
                    ngram_range=(3, 5),
                    min_df=3,
                    max_features=25_000,
                    sublinear_tf=True,
                    dtype=np.float32,
                ),
            ),
        ]
    )
