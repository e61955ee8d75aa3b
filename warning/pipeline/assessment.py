"""Assessing a text: the countries it is about (geotag) and the signals it carries (classify).

The one way a text is assessed. The pipeline assesses every new item with it
(:func:`warning.pipeline.intake.assess`); ``warning score``, ``warning evaluate``
and training's evaluation of an article call it too, so each of them gives for a
headline and its lede what the daemon stored for them. Here, in the pipeline,
because it joins two stages that never import each other (geo and classify).

Neither stage is imported with this module: a process that assesses nothing (a
cycle of 304s, a command that does not score) never loads the gazetteer or numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Protocol

from ..normalize import title_and_body
from ..records import Assessment, LabelScore

if TYPE_CHECKING:
    from ..classify import Scored


class Model(Protocol):
    """What assessing needs of a model: the scoring pack's, or a model being trained."""

    version: str

    def score(self, texts: Sequence[str], *, explain: bool = True) -> list[Scored]: ...


@dataclass(frozen=True, slots=True)
class Text:
    """A text as it is assessed: its headline and body, with the hints a feed gives."""

    title: str
    body: str = ""
    lang: str | None = None  # a hint: French titles are read differently
    when: date | None = None  # when it was published: which actors apply (default today)

    @classmethod
    def parse(cls, text: str, *, lang: str | None = None, when: date | None = None) -> Text:
        """Free text (a command's argument, an evaluation row): the headline is its
        first line, or its first sentence when it has one line only."""
        return cls(*title_and_body(text), lang=lang, when=when)

    @property
    def scored(self) -> str:
        """What the classifier reads: headline and body, a line apart, as a feed item's."""
        return f"{self.title}\n{self.body}"


def assess(
    text: str,
    model: Model | None,
    *,
    lang: str | None = None,
    when: date | None = None,
) -> Assessment:
    """Geotag and score one free text as the daemon does a stored item."""
    [assessment] = assess_all([Text.parse(text, lang=lang, when=when)], model)
    return assessment


def assess_all(
    texts: Sequence[Text], model: Model | None, *, explain: bool = True
) -> list[Assessment]:
    """Geotag and score texts, scored in one batch; without a model, geotagged only.

    A text about a past event (classify/recency.py: an anniversary, a trial of past
    plotters, a retrospective) keeps its probabilities, but no label is above its
    threshold: old news is never evidence for an alert (docs/recency.md).
    Likewise ``election_dispute`` counts only in a text with some word of dispute
    (classify/dispute.py: fraud, a challenge, a boycott, a postponement, trouble):
    a result announced or conceded is no dispute (docs/disputes.md).
    ``explain`` False leaves out the terms behind each label (evaluations need none).
    """
    if not texts:
        return []
    # Here (see the module's docstring): even the checks' patterns take 0.02 s to compile.
    from ..classify.dispute import LABEL as DISPUTE
    from ..classify.dispute import dispute_words
    from ..classify.recency import describe, past_event
    from ..geo import gazetteer
    from ..geo.resolve import geotag

    gaz = gazetteer.load()
    scored = model.score([t.scored for t in texts], explain=explain) if model else []
    out = []
    for n, text in enumerate(texts):
        geo = geotag(text.title, text.body, gaz, when=text.when, lang=text.lang)
        if model is None:
            out.append(Assessment(geo))
            continue
        s = scored[n]
        published = datetime.combine(text.when, time(12), UTC) if text.when else None
        cue = past_event(text.title, text.body, text.lang, published) if s.labels else None
        held = dict.fromkeys(s.labels, "old news") if cue is not None else {}
        if (
            DISPUTE in s.labels
            and DISPUTE not in held
            and dispute_words(text.title, text.body) is None
        ):
            held[DISPUTE] = "no word of dispute"
        counted = set(s.labels) - held.keys()
        scores = tuple(
            LabelScore(label, p, label in counted, s.terms.get(label, ()), held.get(label))
            for label, p in s.probabilities.items()
        )
        out.append(Assessment(geo, scores, model.version, describe(cue) if cue else None))
    return out


def probabilities(assessment: Assessment) -> dict[str, float]:
    """Each label's probability, in the model's order."""
    return {s.label: s.probability for s in assessment.scores}


def labels(assessment: Assessment) -> tuple[str, ...]:
    """The labels above their threshold."""
    return tuple(s.label for s in assessment.scores if s.above)


def terms(assessment: Assessment) -> dict[str, tuple[str, ...]]:
    """Each label above its threshold, with the terms that pushed it up."""
    return {s.label: s.terms for s in assessment.scores if s.above}
