"""Telling French text from English, for training rows that do not say their language."""

from __future__ import annotations

import re

# fmt: off
_FRENCH = frozenset({
    "le", "la", "les", "des", "du", "une", "et", "est", "sont", "dans", "pour", "par", "sur",
    "au", "aux", "avec", "qui", "que", "ne", "pas", "selon", "contre", "après", "été", "ont",
    "sa", "ses", "leur", "cette", "entre", "lors", "vers", "chez", "sous", "depuis",
})
_ENGLISH = frozenset({
    "the", "of", "and", "in", "to", "is", "are", "for", "with", "after", "as", "by", "at",
    "from", "was", "were", "has", "have", "its", "over", "into", "says", "this", "that",
})
# fmt: on
_WORDS = re.compile(r"\b(?:[cdjlmnst]|qu)['’]|[^\W\d_]+")


def guess_lang(text: str) -> str:
    """``"fr"`` when French function words outnumber English ones (two at least), else en.

    Crude on purpose: it only has to tell French titles from English ones.
    """
    french = english = 0
    for word in _WORDS.findall(text.lower()):
        if word in _FRENCH or word[-1] in "'’":
            french += 1
        elif word in _ENGLISH:
            english += 1
    return "fr" if french >= 2 and french > english else "en"
