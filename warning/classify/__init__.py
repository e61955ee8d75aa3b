"""The classifier: which instability signals an item carries (DESIGN.md's labels).

``features`` turns text into numbers in both languages, ``model`` trains and
scores, ``artifact`` saves and loads a model with its card, refusing files it
cannot trust, and ``adapters`` read licensed third-party data for training.
"""

#: The labels, in the order every report lists them.
LABELS = ("coup", "election_dispute", "attack", "unrest")
