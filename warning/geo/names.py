"""Text normalisation shared by the gazetteer and the resolver.

Names are compared in *folded* form: case-folded, accents stripped, apostrophes
unified and hyphens turned into spaces, so that "Côte d’Ivoire", "COTE D'IVOIRE"
and "Cote-d'Ivoire" meet in one key. The gazetteer folds every name it stores
with :func:`fold`; the resolver splits each item with :func:`tokens` and joins
folded tokens with single spaces, which gives the same key because a name's
folded form is itself made of the same word tokens (see :func:`name_key`).

This runs on every item, so the common ASCII case avoids Unicode normalisation
and each distinct word is folded once per process (a bounded cache).
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

# Apostrophes and primes writers use for one another; hyphens and dashes that join
# the parts of a name ("Guinea-Bissau", "Congo–Kinshasa").
_APOSTROPHES = "\u2019\u2018\u02bc\u02bb`\u00b4\u2032"
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
# Letters that NFKD leaves whole but readers treat as two ASCII letters.
_LIGATURES = {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d", "ı": "i"}

_TABLE = str.maketrans(
    {**{c: "'" for c in _APOSTROPHES}, **{c: " " for c in _DASHES}, **_LIGATURES}
)
_SPACES = re.compile(r"\s+")
# A word is a run of letters or digits: apostrophes, hyphens and punctuation split
# words, so French elisions ("d'Abidjan", "l'armée") expose the name after them.
_WORD = re.compile(r"[^\W_]+")

_FOLD_CACHE: dict[str, str] = {}
#: A few tens of thousands of words cover nearly all of ordinary text; a long-running
#: worker that kept every word it ever saw would grow by ~150 bytes a word.
_FOLD_CACHE_MAX = 32_768


class Token(NamedTuple):
    """One word of a text: folded form, original form, offsets, capitalisation."""

    folded: str
    text: str
    start: int
    end: int
    cap: bool


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """``text`` case-folded, without accents, with one apostrophe and no hyphens.

    Spaces are collapsed and trimmed. Folding is idempotent.
    """
    folded = text.casefold()
    if not folded.isascii():
        folded = _strip_accents(folded.translate(_TABLE)).translate(_TABLE)
    else:
        folded = folded.replace("`", "'").replace("-", " ")
    return _SPACES.sub(" ", folded).strip()


def _fold_word(word: str) -> str:
    cached = _FOLD_CACHE.get(word)
    if cached is not None:
        return cached
    folded = (
        word.casefold() if word.isascii() else _strip_accents(word.casefold().translate(_TABLE))
    )
    if folded == word:
        folded = word  # most words are lower case already: keep one string, not two
    if len(_FOLD_CACHE) >= _FOLD_CACHE_MAX:
        _FOLD_CACHE.clear()
    _FOLD_CACHE[word] = folded
    return folded


def tokens(text: str) -> list[Token]:
    """The word tokens of ``text`` in order (letters and digits; punctuation splits)."""
    fw = _fold_word
    return [
        Token(fw(w := m.group()), w, m.start(), m.end(), w[0].isupper())
        for m in _WORD.finditer(text)
    ]


def name_key(name: str) -> str:
    """The lookup key of a name: its folded word tokens joined by single spaces.

    "Côte d'Ivoire" -> ``"cote d ivoire"``; "N'Djamena" -> ``"n djamena"``. Text
    is split the same way, so a key built here matches the words of any text.
    """
    return " ".join(t.folded for t in tokens(name))
