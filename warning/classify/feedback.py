"""The desk's verdicts as labelled data: measuring a model on them, and training with them.

Each verdict leaves item-level feedback on the alert's evidence
(:func:`warning.alerting.verdicts.feedback_for`); :func:`read` turns the feedback of
each alert's standing verdict into :class:`FeedbackItem` s, an item's text with every
judgement on it. A judgement is a truth about one label (and country) of one item:

- Confirmed: the item carries the label, and the country is among its countries;
- False alarm, Old news: it does not carry the label (old news carries none: see
  docs/recency.md);
- Wrong country: the country is not among its countries. This judges the geotag,
  which is not trained: it is measured, never learnt from.

:func:`measure` says how far a model agrees with the judgements (``warning evaluate
--feedback``). For training (``warning train --with-feedback``) one item in
:data:`HOLD_OUT`, chosen by a hash of its id (:func:`held_back`), is held back and
only measured on; the rest become training rows (:func:`training_rows`). The hash
never changes, so a model trained on earlier feedback never saw an item held back
later, and comparing it with a new one on the held-back part is fair.

Local feedback never leaves the deployment: the summaries here, which a model card
records, give counts, dates and figures, never an item's text.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..pipeline.assessment import Model, Text, assess_all, labels
from . import LABELS
from .readers.rows import TrainRow

if TYPE_CHECKING:
    from ..records import Assessment
    from ..store import Store

#: One item in this many is held back from training (by :func:`held_back`).
HOLD_OUT = 5
#: The judging decisions, in the order reports list them.
DECISIONS = ("confirmed", "false_alarm", "wrong_country", "old_news")


@dataclass(frozen=True, slots=True)
class Judgement:
    """One feedback row with the decision it came from: the item does (``carries``) or
    does not carry ``label``, for ``country`` (None: whatever the country)."""

    label: str
    country: str | None
    carries: bool
    decision: str
    at: datetime


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    """A judged item: its text as the pipeline assessed it, and the desk's judgements."""

    item_id: int
    text: Text
    judgements: tuple[Judgement, ...]


def read(store: Store, since: datetime | None = None) -> list[FeedbackItem]:
    """The feedback of each alert's standing verdict given at or after ``since``, by item.

    Items are in id order, judgements in the order they were given. Feedback on a label
    the classifier does not have is left out (the store keeps only the four).
    """
    rows = [f for f in store.verdicts.feedback(since) if f.label in LABELS]
    answers = store.verdicts.of_alerts(sorted({f.alert_id for f in rows}))
    decisions = {v.id: v.decision for found in answers.values() for v in found}
    texts = store.verdicts.texts([f.item_id for f in rows])
    judged: dict[int, list[Judgement]] = {}
    for f in rows:
        if f.item_id in texts and f.label is not None:
            judgement = Judgement(f.label, f.country, f.carries, decisions[f.verdict_id], f.at)
            judged.setdefault(f.item_id, []).append(judgement)
    out = []
    for item_id in sorted(judged):
        t = texts[item_id]
        when = t.published.date() if t.published else None
        text = Text(t.title, t.summary or "", t.lang, when)  # as the pipeline assessed it
        out.append(FeedbackItem(item_id, text, tuple(judged[item_id])))
    return out


def held_back(item_id: int) -> bool:
    """Whether an item is held back from training: the same answer on every run."""
    digest = hashlib.sha256(f"feedback-item:{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % HOLD_OUT == 0


def split(items: Iterable[FeedbackItem]) -> tuple[list[FeedbackItem], list[FeedbackItem]]:
    """(the items to train on, the items held back)."""
    learn: list[FeedbackItem] = []
    held: list[FeedbackItem] = []
    for item in items:
        (held if held_back(item.item_id) else learn).append(item)
    return learn, held


# --- measuring ---------------------------------------------------------------------------


def label_answer(judgement: Judgement, assessed: Assessment) -> bool | None:
    """Whether the classifier gives the judged label (above its threshold, after the
    recency check); None for Wrong country, which judges the geotag only."""
    if judgement.decision == "wrong_country":
        return None
    return judgement.label in labels(assessed)


def country_answer(judgement: Judgement, assessed: Assessment) -> bool | None:
    """Whether the geotag gives the judged country; None when the judgement says nothing
    of the country (False alarm and Old news deny the label, not the place)."""
    about_place = judgement.carries or judgement.decision == "wrong_country"
    if judgement.country is None or not about_place:
        return None
    return judgement.country in assessed.geo.codes


def says_yes(judgement: Judgement, assessed: Assessment) -> bool:
    """Whether the assessment says what the judgement is about: the label (and, when
    confirmed for a country, that country too), or for Wrong country the country."""
    parts = [label_answer(judgement, assessed), country_answer(judgement, assessed)]
    return all(part for part in parts if part is not None)


@dataclass(slots=True)
class Tally:
    """Judgements against a model's answers: true/false positives and negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, truth: bool, yes: bool) -> None:
        if truth:
            self.tp, self.fn = self.tp + yes, self.fn + (not yes)
        else:
            self.fp, self.tn = self.fp + yes, self.tn + (not yes)

    @property
    def judged(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def agreement(self) -> float | None:
        return _ratio(self.tp + self.tn, self.judged)

    def as_dict(self) -> dict[str, Any]:
        """Counts, and precision and recall where defined (None otherwise)."""
        return {
            "judged": self.judged,
            "carries": self.tp + self.fn,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "precision": _ratio(self.tp, self.tp + self.fp),
            "recall": _ratio(self.tp, self.tp + self.fn),
            "agreement": self.agreement(),
        }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def measure(items: Sequence[FeedbackItem], model: Model) -> dict[str, Any]:
    """How far ``model`` agrees with the desk's judgements.

    A judgement that the item carries the label (or is in the country) is a positive,
    any other a negative. ``labels`` and ``per_label`` count the classifier's answers
    to the label judgements (Confirmed, False alarm, Old news); ``countries`` the
    geotag's answers to the country judgements (Confirmed, Wrong country);
    ``agreement`` and ``per_decision`` the share of judgements the whole assessment
    matches. Precision, recall and agreement are None where nothing defines them.
    """
    assessed = assess_all([i.text for i in items], model, explain=False)
    overall, on_labels, on_countries = Tally(), Tally(), Tally()
    per_label = {label: Tally() for label in LABELS}
    per_decision = {decision: Tally() for decision in DECISIONS}
    items_per_label: Counter[str] = Counter()
    for item, a in zip(items, assessed, strict=True):
        items_per_label.update({j.label for j in item.judgements if j.decision != "wrong_country"})
        for j in item.judgements:
            yes = says_yes(j, a)
            overall.add(j.carries, yes)
            per_decision[j.decision].add(j.carries, yes)
            label = label_answer(j, a)
            if label is not None:
                on_labels.add(j.carries, label)
                per_label[j.label].add(j.carries, label)
            country = country_answer(j, a)
            if country is not None:
                on_countries.add(j.carries, country)
    return {
        "model": model.version,
        **account(items),
        "agreement": overall.agreement(),
        "labels": on_labels.as_dict(),
        "countries": on_countries.as_dict(),
        "per_label": {
            label: {"items": items_per_label[label], **per_label[label].as_dict()}
            for label in LABELS
        },
        "per_decision": {
            decision: {"judged": t.judged, "agreement": t.agreement()}
            for decision, t in per_decision.items()
        },
    }


def account(items: Sequence[FeedbackItem]) -> dict[str, Any]:
    """How much feedback and from when: counts and dates, never text."""
    times = [j.at for i in items for j in i.judgements]
    return {
        "items": len(items),
        "judgements": len(times),
        "first": min(times).isoformat() if times else None,
        "last": max(times).isoformat() if times else None,
    }


# --- training ----------------------------------------------------------------------------


def training_rows(items: Sequence[FeedbackItem], assessed: Sequence[Assessment]) -> list[TrainRow]:
    """One training row per item with a judgement on a label (Wrong country has none).

    A judged label is the desk's latest word on it for that item; a label nobody judged
    keeps what ``assessed`` (the running model's assessment) says, so that a row teaches
    only what the desk said. Each item is one row, weighted as a corpus row: see
    docs/alerts.md, "Learning from verdicts".
    """
    rows = []
    for item, a in zip(items, assessed, strict=True):
        said = {j.label: j.carries for j in item.judgements if j.decision != "wrong_country"}
        if not said:
            continue
        carried = {label: said.get(label, label in labels(a)) for label in LABELS}
        rows.append(
            TrainRow(
                item.text.scored,
                tuple(label for label in LABELS if carried[label]),
                item.text.lang,
                f"feedback:{item.item_id}",
            )
        )
    return rows


def digest(items: Sequence[FeedbackItem]) -> str:
    """A hash of the feedback a model learns from, for its version (not its text)."""
    data = [
        [
            i.item_id,
            hashlib.sha256(i.text.scored.encode()).hexdigest(),
            [[j.label, j.country, j.carries, j.decision] for j in i.judgements],
        ]
        for i in items
    ]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def refusals(
    candidate_cv: float, running_cv: float | None, candidate: float | None, running: float | None
) -> list[str]:
    """Why a candidate may not replace the running model; none when it may.

    It must be no worse on both counts: the cross-validated macro-F1 on its training
    data (``running_cv`` None: the running model's card records none, nothing to beat),
    and its agreement with the held-back label judgements, which must exist (the
    geotag, the same for both, is left out).
    """
    reasons = []
    if running_cv is not None and candidate_cv < running_cv:
        reasons.append(
            f"cross-validated macro-F1 {candidate_cv:.4f} is below the running model's "
            f"{running_cv:.4f}"
        )
    if candidate is None or running is None:
        reasons.append(
            f"no judgement on a label is held back to compare the two on (one item in "
            f"{HOLD_OUT} is held back); wait for more verdicts"
        )
    elif candidate < running:
        reasons.append(
            f"agreement with the held-back verdicts on labels {candidate:.4f} is below the "
            f"running model's {running:.4f}"
        )
    return reasons


@dataclass(frozen=True, slots=True)
class Learning:
    """What the desk's feedback brings to one training run: the rows to learn from, the
    items held back, and the running model's figures to beat (the card's ``feedback``)."""

    rows: list[TrainRow]
    held: list[FeedbackItem]
    digest: str
    section: dict[str, Any]

    def card(self, model: Model, cv: dict[str, Any]) -> dict[str, Any]:
        """The card's ``feedback`` section for the trained ``model``: the held-back
        figures of both models and whether it may replace the running one."""
        candidate = measure(self.held, model)
        running = self.section["held_back"]["running"]
        reasons = refusals(
            cv["macro_f1"],
            self.section["running"]["cross_validated_macro_f1"],
            candidate["labels"]["agreement"],
            running["labels"]["agreement"],
        )
        held = {**self.section["held_back"], "candidate": candidate}
        return {
            **self.section,
            "held_back": held,
            "replaces_running": not reasons,
            "refused": reasons,
        }


def prepare(
    items: Sequence[FeedbackItem], running: Model, running_card: dict[str, Any], shipped: str
) -> Learning:
    """Split the feedback, turn the training part into rows (labels nobody judged as the
    ``running`` model assesses them) and measure the running model on the held-back part."""
    learn, held = split(items)
    rows = training_rows(learn, assess_all([i.text for i in learn], running, explain=False))
    section = {
        "shipped": shipped,
        **account(items),
        "weight": "one training row per judged item, as a corpus row",
        "trained_on": {"items": len(learn), "rows": len(rows)},
        "running": {
            "version": running.version,
            "cross_validated_macro_f1": running_card.get("cross_validation", {}).get("macro_f1"),
        },
        "held_back": {
            "rule": f"one item in {HOLD_OUT}, by a sha256 of its id",
            "running": measure(held, running),
        },
    }
    return Learning(rows, held, digest(items), section)
