"""The classifier: which instability signals an item carries (DESIGN.md's labels).

Training (scikit-learn): ``features`` turns text into numbers in both languages,
``model`` trains, ``artifact`` saves and loads the fitted estimators with their
card, refusing files it cannot trust, ``adapters`` read licensed third-party data
for training. Scoring (numpy and the standard library only): ``pack`` is the file
format of the runtime form of a model, ``scorer`` loads and scores with it, with
the features of ``vectors``; ``text`` is what both sides see of a text.
``recency`` tells old news (anniversaries, trials, retrospectives) from new events;
``dispute`` asks a disputed-election label for a word of dispute (docs/disputes.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The labels, in the order every report lists them.
LABELS = ("coup", "election_dispute", "attack", "unrest")


@dataclass(frozen=True, slots=True)
class Scored:
    """A text's score: probability per label, the labels above threshold, and why."""

    probabilities: dict[str, float]
    labels: tuple[str, ...]
    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
