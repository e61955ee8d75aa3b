"""Text features that work in English and French alike.

Texts are folded once (lower case, accents stripped, typographic apostrophes
and ligatures unified), so "coup d'État", "coup d’etat" and "COUP D'ETAT" are
one feature. Word uni- and bigrams carry meaning ("coup d'envoi" is not a
coup); character n-grams within words catch inflections and spellings the
corpus never showed ("putschistes", "jihadistes", "djihadistes").
"""

from __future__ import annotations

import unicodedata

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

_UNIFY = str.maketrans(
    {"’": "'", "ʼ": "'", "`": "'", "‘": "'", "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"}
)

#: Words and word pairs: an apostrophe joins ("d'etat"), other punctuation splits.
WORD_PATTERN = r"(?u)\b\w[\w']*\b"


def fold(text: str) -> str:
    """Lower case ASCII without accents: what both analyzers see.

    Decomposing and dropping what is not ASCII is done in C, which matters: folding
    is a fifth of the cost of scoring. Letters outside the Latin script vanish,
    which costs nothing for a model that reads English and French.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNIFY).lower())
    return decomposed.encode("ascii", "ignore").decode("ascii")


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
