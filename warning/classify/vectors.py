"""The model's features without scikit-learn: exact, and several times faster.

The same TF-IDF rows as the fitted :func:`warning.classify.features.make_features`
(word uni- and bigrams, character 3- to 5-grams within words, sublinear tf, idf,
each part scaled to unit length), to the last bit of their float32 values; a test
holds them equal on the corpus and the evaluation files. What makes it fast:

- A text is split on whitespace once, and everything about a piece (its fold, its
  word tokens, its character n-grams, the bigrams inside it) is looked up in a cache
  of the pieces seen before: news repeats its words, so most pieces are known.
- n-grams the vocabulary can never contain are not built: a longer character n-gram
  is tried only when the shorter one starting at the same place begins a known one.
- The rows of a whole batch are counted, weighted and normalised in a few numpy
  operations, and built directly in CSR form.

numpy and the standard library only, like the rest of the scoring path.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from .text import WORD_PATTERN, fold, opening

#: What this module computes, in scikit-learn's parameter names: a pack records the
#: settings of the model it came from, and one that differs is refused (see pack.py).
SETTINGS: dict[str, dict[str, Any]] = {
    "words": {
        "analyzer": "word",
        "ngram_range": [1, 2],
        "token_pattern": WORD_PATTERN,
    },
    "chars": {
        "analyzer": "char_wb",
        "ngram_range": [3, 5],
    },
}
#: Settings both parts share.
COMMON: dict[str, Any] = {
    "lowercase": False,
    "preprocessor": None,
    "tokenizer": None,
    "stop_words": None,
    "strip_accents": None,
    "binary": False,
    "sublinear_tf": True,
    "use_idf": True,
    "norm": "l2",
    "dtype": "float32",
}

_WORDS = re.compile(WORD_PATTERN)
#: Whitespace that folds to nothing (it is not ASCII and has no ASCII form). Folding
#: each whitespace-separated piece on its own equals folding the whole text, then
#: splitting, once these are gone: every other whitespace folds to whitespace.
_VANISHING = re.compile("[\x85\u1680\u2028\u2029]")
#: Pieces remembered (raw text -> features); past this the cache starts again, so
#: hostile text cannot grow it without bound.
CACHE_SIZE = 1 << 16
#: Texts per numpy pass, at most: keeps the arrays of one pass small.
BLOCK = 2048

#: A known piece: its feature ids (int32 bytes, repeats kept), its first word token
#: (None when it has none), and the bigrams its last word token starts.
_Entry = tuple[bytes, str | None, dict[str, bytes] | None]


@dataclass(frozen=True, slots=True)
class Rows:
    """Feature rows in CSR form: row i has ``data[indptr[i]:indptr[i + 1]]`` at those
    ``indices`` (ascending). Columns are the word features, then the character ones."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    width: int
    #: The row of each entry (what indptr says, spelt out for numpy's bincount).
    rows: np.ndarray


class Vectorizer:
    """Texts -> TF-IDF rows, from the fitted vocabularies and idf weights."""

    def __init__(self, words: Sequence[str], chars: Sequence[str], idf: np.ndarray) -> None:
        n_words = len(words)
        self.width = n_words + len(chars)
        if idf.shape != (self.width,) or idf.dtype != np.float32:
            raise ValueError(f"idf must be float32 of shape ({self.width},), not {idf.shape}")
        self.n_words = n_words
        self._idf = idf
        self._unigrams: dict[str, int] = {}
        self._bigrams: dict[str, dict[str, bytes]] = {}
        for i, term in enumerate(words):
            first, _, second = term.partition(" ")
            if second:
                self._bigrams.setdefault(first, {})[second] = _int32(i)
            else:
                self._unigrams[term] = i
        self._chars = {gram: n_words + i for i, gram in enumerate(chars)}
        # Every proper prefix of 3 or more characters of a known n-gram: an n-gram that
        # is not one of these starts no known longer one.
        self._stems = {gram[:end] for gram in chars for end in range(3, len(gram))}
        self._cache: dict[str, _Entry] = {}
        # A pass's keys (text number x width + column) must fit in int32.
        self._block = max(1, min(BLOCK, (2**31 - 1) // max(self.width, 1) - 1))

    def transform(self, texts: Sequence[str]) -> Rows:
        """The feature rows of raw texts (cut to their opening and folded here)."""
        step = self._block
        parts = [self._rows(texts[i : i + step]) for i in range(0, len(texts), step)]
        if not parts:
            empty = np.zeros(0, dtype=np.int32)
            return Rows(
                empty.astype(np.float32), empty, np.zeros(1, dtype=np.int64), self.width, empty
            )
        if len(parts) == 1:
            return parts[0]
        entries = np.cumsum([0] + [p.indptr[-1] for p in parts[:-1]])
        first_rows = np.cumsum([0] + [len(p.indptr) - 1 for p in parts[:-1]])
        return Rows(
            np.concatenate([p.data for p in parts]),
            np.concatenate([p.indices for p in parts]),
            np.concatenate(
                [parts[0].indptr[:1]]
                + [p.indptr[1:] + o for p, o in zip(parts, entries, strict=True)]
            ),
            self.width,
            np.concatenate([p.rows + o for p, o in zip(parts, first_rows, strict=True)]),
        )

    def _rows(self, texts: Sequence[str]) -> Rows:
        ids = [self._ids(t) for t in texts]
        n = len(texts)
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=n) // 4
        # One key per occurrence, text-major: sorting groups each text's features in
        # column order, as scikit-learn's rows are, and counts them in one pass.
        keys = np.frombuffer(b"".join(ids), dtype=np.int32) + np.repeat(
            np.arange(n, dtype=np.int32) * np.int32(self.width), lengths
        )
        keys.sort()
        first = np.ones(keys.size, dtype=bool)
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        counts = np.diff(starts, append=keys.size)
        unique = keys[starts]
        row = unique // self.width
        col = (unique - row * self.width).astype(np.int32)
        # As TfidfTransformer does it, in float32: 1 + log(tf), times idf...
        value = counts.astype(np.float32)
        np.log(value, out=value)
        value += 1.0
        value *= self._idf[col]
        # ...then each part of each row divided by its length. Every value is >= 1 and
        # a float32, so the float64 sum of squares is exact in any order: the same
        # length scikit-learn computes, and the same float32 after the division.
        part = row * 2 + (col >= self.n_words)
        length = np.sqrt(np.bincount(part, weights=value * value, minlength=2 * n))
        data = (value / length[part]).astype(np.float32)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=n), out=indptr[1:])
        return Rows(data, col, indptr, self.width, row)

    def _ids(self, text: str) -> bytes:
        """Every feature occurrence of one text, as int32 column ids (repeats kept)."""
        text = opening(text)
        if not text.isascii():
            text = _VANISHING.sub("", text)
        cache = self._cache
        parts = []
        follow: dict[str, bytes] | None = None  # bigrams the previous word starts
        for piece in text.split():
            entry = cache.get(piece)
            if entry is None:
                entry = self._learn(piece)
            known, first, after = entry
            parts.append(known)
            if first is not None:
                if follow is not None:
                    pair = follow.get(first)
                    if pair is not None:
                        parts.append(pair)
                follow = after
        return b"".join(parts)

    def _learn(self, piece: str) -> _Entry:
        """Features of one whitespace-free piece of raw text, remembered."""
        ids = array("i")
        tokens: list[str] = []
        chars, stems = self._chars, self._stems
        for word in fold(piece).split():  # a piece may fold to several words, or none
            # scikit-learn's char_wb: the word padded with one space on each side,
            # then its 3-, 4- and 5-grams (the whole padded word when it is shorter).
            padded = f" {word} "
            size = len(padded)
            for start in range(size - 2):
                for end in range(start + 3, min(start + 5, size) + 1):
                    gram = padded[start:end]
                    column = chars.get(gram)
                    if column is not None:
                        ids.append(column)
                    if gram not in stems:
                        break
            tokens += _WORDS.findall(word)
        unigrams, bigrams = self._unigrams, self._bigrams
        for token in tokens:
            column = unigrams.get(token)
            if column is not None:
                ids.append(column)
        for left, right in pairwise(tokens):
            pair = bigrams.get(left, {}).get(right)
            if pair is not None:
                ids.frombytes(pair)
        entry: _Entry = (
            (ids.tobytes(), tokens[0], bigrams.get(tokens[-1]))
            if tokens
            else (ids.tobytes(), None, None)
        )
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[piece] = entry
        return entry


def _int32(value: int) -> bytes:
    return array("i", [value]).tobytes()
