"""The model's features without scikit-learn: exact, and several times faster.

The same TF-IDF rows as the fitted :func:`warning.classify.features.make_features`
(word uni- and bigrams, character 3- to 5-grams within words, sublinear tf, idf,
each part scaled to unit length), to the last bit of their float32 values; a test
holds them equal on the corpus and the evaluation files. What makes it fast:

- A text is split on whitespace once, and everything about a piece (its fold, its
  word tokens, its character n-grams, the bigrams inside it) is looked up in a cache
  of the pieces seen before: news repeats its words, so most pieces are known.
- Only what the vocabulary contains is kept: a new piece's word and character
  n-grams are looked up once, and the cache holds their columns, not the n-grams.
  (Building no n-gram that cannot be known, by their prefixes, was tried: in Python
  the check costs more than building them all and looking them up in C.)
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
#: Pieces remembered (raw text -> features), about 300 bytes each; past this the
#: cache starts again, so hostile text cannot grow it without bound (10 MB at most).
CACHE_SIZE = 1 << 15
#: Texts per numpy pass, at most: the arrays of one pass stay in the processor's cache.
BLOCK = 512

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
        self._cache: dict[str, _Entry] = {}
        # A pass's keys (text number x width + column) must fit in int32.
        self._block = max(1, min(BLOCK, (2**31 - 1) // max(self.width, 1) - 1))

    def transform(self, texts: Sequence[str]) -> Rows:
        """The feature rows of raw texts (cut to their opening and folded here)."""
        step = self._block
        parts = [self._rows(texts[i : i + step]) for i in range(0, len(texts), step)]
        if not parts:
            empty = np.zeros(0, dtype=np.int32)
            return Rows(empty.astype(np.float32), empty, np.zeros(1, dtype=np.int64), self.width)
        if len(parts) == 1:
            return parts[0]
        entries = np.cumsum([0] + [p.indptr[-1] for p in parts[:-1]])
        return Rows(
            np.concatenate([p.data for p in parts]),
            np.concatenate([p.indices for p in parts]),
            np.concatenate(
                [parts[0].indptr[:1]]
                + [p.indptr[1:] + o for p, o in zip(parts, entries, strict=True)]
            ),
            self.width,
        )

    def _rows(self, texts: Sequence[str]) -> Rows:
        ids = [self._ids(t) for t in texts]
        n = len(texts)
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=n) // 4
        # One key per occurrence, text-major: sorting groups each text's features in
        # column order, as scikit-learn's rows are, and counts them in one pass.
        base = np.arange(n + 1, dtype=np.int32) * np.int32(self.width)
        keys = np.frombuffer(b"".join(ids), dtype=np.int32) + np.repeat(base[:-1], lengths)
        keys.sort()
        first = np.empty(keys.size, dtype=bool)
        first[:1] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        unique = keys[starts]
        # Where each row starts, and where its character columns start: row i's words
        # are bounds[2i]:bounds[2i+1], its character n-grams bounds[2i+1]:bounds[2i+2].
        bounds = np.empty(2 * n + 1, dtype=np.int64)
        bounds[0::2] = np.searchsorted(unique, base)
        bounds[1::2] = np.searchsorted(unique, base[:-1] + np.int32(self.n_words))
        indptr = bounds[0::2]
        col = unique - np.repeat(base[:-1], np.diff(indptr))
        # As TfidfTransformer does it, in float32: 1 + log(tf), times idf...
        value = np.empty(starts.size, dtype=np.float32)
        value[:-1] = starts[1:] - starts[:-1]
        value[-1:] = keys.size - starts[-1:]
        np.log(value, out=value)
        value += 1.0
        value *= self._idf[col]
        # ...then each part of each row divided by its length. The squares are float32
        # (as scikit-learn's) and >= 1, so their float64 sums are exact in any order:
        # the same lengths scikit-learn computes, the same float32 after the division.
        squares = (value * value).astype(np.float64)
        sizes = np.diff(bounds)
        sums = np.zeros(2 * n)
        filled = sizes > 0
        if squares.size:
            sums[filled] = np.add.reduceat(squares, bounds[:-1][filled])
        data = (value / np.repeat(np.sqrt(sums), sizes)).astype(np.float32)
        return Rows(data, col, indptr, self.width)

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
        known = self._chars.get
        for word in fold(piece).split():  # a piece may fold to several words, or none
            # scikit-learn's char_wb: the word padded with one space on each side, then
            # its 3-, 4- and 5-grams (the padded word itself when it is shorter).
            padded = f" {word} "
            size = len(padded)
            grams = [padded[i : i + n] for n in (3, 4, 5) for i in range(size - n + 1)]
            ids.extend([column for column in map(known, grams) if column is not None])
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
