"""Text features that work in English and French alike.

Both analyzers see folded text (lower case, accents stripped, typographic
apostrophes unified), so "coup d'État", "coup d’etat" and "COUP D'ETAT" are one
feature. Word uni- and bigrams carry meaning ("coup d'envoi" is not a coup);
character n-grams within words catch inflections and spellings the corpus
never showed ("putschistes", "jihadistes", "djihadistes").
"""

from __future__ import annotations

import unicodedata

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "‘": "'"})

#: Words and word pairs: an apostrophe joins ("d'etat"), other punctuation splits.
WORD_PATTERN = r"(?u)\b\w[\w']*\b"


def fold(text: str) -> str:
    """Lower case without accents; the preprocessor of both analyzers."""
    text = text.translate(_APOSTROPHES).lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def make_features() -> FeatureUnion:
    """A fresh, unfitted feature extractor (fixed settings: training is reproducible)."""
    return FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    preprocessor=fold,
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
                    preprocessor=fold,
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
