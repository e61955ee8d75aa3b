"""Disputed votes: an election_dispute score counts only in an item with a word of dispute."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from warning.classify.dispute import LABEL, dispute_words
from warning.classify.scorer import load
from warning.normalize import title_and_body
from warning.pipeline.assessment import assess, labels, probabilities

CORPUS = Path(__file__).resolve().parents[1] / "models" / "corpus"

# (title, body): each says, in its own way, that the vote or its result is challenged.
DISPUTED = [
    # fraud and a rejected result
    ("Opposition alleges massive fraud in Kinshasa count", ""),
    ("Zimbabwe: observers list irregularities at a third of polling stations", ""),
    ("Gabon : l'opposition dénonce une « mascarade électorale »", ""),
    ("Cameroun : des images de bourrage d'urnes circulent à Garoua", ""),
    ("Runner-up rejects provisional figures, calls them 'cooked'", ""),
    ("Togo : la coalition rejette les résultats et parle d'un hold-up", ""),
    # courts, recounts, annulment
    ("Candidate files petition at the Supreme Court over presidential tally", ""),
    ("Recount ordered in 40 constituencies after tally sheets go missing", ""),
    ("Côte d'Ivoire : le Conseil constitutionnel saisi de 12 recours", ""),
    ("Malawi : la Cour constitutionnelle annule la présidentielle", ""),
    # refusal to concede, rival claims
    ("Incumbent refuses to concede as count drags on", ""),
    ("Loser has not conceded, says the tally is 'fiction'", ""),
    ("Bissau : les deux finalistes se proclament vainqueurs", ""),
    ("Présidentielle : le différend entre les deux camps s'envenime", ""),
    ("Le candidat de l'opposition s'autoproclame président élu", ""),
    ("Both camps claim victory in Monrovia run-off", ""),
    # boycotts, exclusions, postponements
    ("Main opposition parties boycott Saturday's legislative vote", ""),
    ("Electoral body disqualifies three leading candidates", ""),
    ("Guinée : la présidentielle reportée sine die par la junte", ""),
    ("Vote postponed in the north after attacks on polling stations", ""),
    ("Niger : la transition prolongée de cinq ans, sans date d'élection", ""),
    # trouble around the vote
    ("Curfew in Mombasa after post-election clashes", ""),
    ("Internet shutdown on polling day, opposition cries foul", ""),
    ("Conakry : heurts entre manifestants et policiers après la proclamation", ""),
    ("Crise post-électorale : le dialogue rompu entre pouvoir et opposition", ""),
    # the word in the lede, not the headline
    (
        "Results of the presidential vote announced in Lusaka",
        "The opposition said it would challenge the figures in court.",
    ),
    (
        "Les résultats provisoires proclamés à Libreville",
        "L'opposition conteste ces chiffres et annonce un recours.",
    ),
]

# (title, body): a vote reported with no challenge, or a challenge denied.
UNDISPUTED = [
    ("Electoral commission declares the incumbent winner with 58 percent", ""),
    ("Defeated candidate concedes and congratulates the president-elect", ""),
    ("Provisional results: ruling party takes 120 of 150 seats", ""),
    ("Ghana's president-elect sworn in before regional leaders", ""),
    ("Bénin : la Cena proclame les résultats provisoires des législatives", ""),
    ("Le candidat battu félicite le vainqueur et reconnaît sa défaite", ""),
    ("La Cour constitutionnelle valide les résultats définitifs de la présidentielle", ""),
    # negations do not count as dispute
    ("Constitutional Council confirms the result, no challenges filed", ""),
    ("The vote passed off without violence, observers said", ""),
    ("Aucun recours déposé dans le délai légal, les résultats deviennent définitifs", ""),
    ("Le scrutin s'est déroulé sans incident ni violence", ""),
    ("Le perdant n'a pas contesté les résultats", ""),
    # "report" is English news, not a French postponement
    ("Observers' report praises a calm and orderly vote", ""),
    # "différents" (various) is no "différend" (a dispute)
    ("Législatives : les résultats des différents bureaux de vote publiés par la Ceni", ""),
]


@pytest.mark.parametrize(("title", "body"), DISPUTED)
def test_a_challenge_to_the_vote_is_found_in_both_languages(title: str, body: str) -> None:
    assert dispute_words(title, body) is not None


@pytest.mark.parametrize(("title", "body"), UNDISPUTED)
def test_a_vote_without_a_challenge_has_no_words_of_dispute(title: str, body: str) -> None:
    assert dispute_words(title, body) is None


def test_the_words_found_are_reported_as_read() -> None:
    assert dispute_words("Opposition boycotts the run-off") == "boycotts"
    assert dispute_words("Bamako : le scrutin reporté à une date ultérieure") == "reporte"


def test_only_the_opening_the_classifier_read_counts() -> None:
    # A dispute 2 KB down an article is background the model never saw.
    body = "The commission announced the figures on Tuesday. " * 40 + "Rivals alleged fraud."
    assert dispute_words("Results announced in Accra", body) is None
    assert dispute_words("Results announced in Accra", "Rivals alleged fraud.") == "alleged"


def test_hostile_input_is_read_in_bounded_time() -> None:
    # 200 KB of almost-cues: only the opening is read, whatever follows.
    assert dispute_words("no " * 70_000, "sans " * 40_000) is None
    assert dispute_words("x", "aucune date " * 20_000) is not None


def test_every_disputed_vote_of_the_corpus_has_words_of_dispute() -> None:
    """The check's recall: it must never withhold a label the corpus gives."""
    missed, total = [], 0
    for path in sorted(CORPUS.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if LABEL in row["labels"].split(";"):
                    total += 1
                    if dispute_words(*title_and_body(row["text"])) is None:
                        missed.append(f"{path.name}: {row['text'][:80]}")
    assert total > 800
    assert missed == []


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return load()


@pytest.mark.parametrize(
    "text",
    [
        "Malawi: provisional results give the opposition candidate 54 percent, the commission "
        "says\nFinal figures are expected on Friday.",
        "Bénin : la Cena proclame les résultats provisoires des législatives\nLe parti "
        "présidentiel obtient 81 sièges sur 109, selon les chiffres annoncés mardi soir.",
    ],
)
def test_a_routine_result_keeps_its_score_but_is_no_dispute(model, text: str) -> None:  # type: ignore[no-untyped-def]
    [scored] = model.score([text], explain=False)
    assert LABEL in scored.labels  # the model alone calls it a dispute...
    assessed = assess(text, model)
    assert LABEL not in labels(assessed)  # ...the pipeline does not
    assert probabilities(assessed)[LABEL] == pytest.approx(scored.probabilities[LABEL])
    held = {s.label: s.held for s in assessed.scores if s.held}
    assert held == {LABEL: "no word of dispute"}  # and says why (warning score shows it)


@pytest.mark.parametrize(
    "text",
    [
        "Malawi opposition rejects provisional results and heads to the Constitutional Court",
        "Togo : l'opposition conteste les résultats provisoires de la présidentielle",
    ],
)
def test_a_disputed_result_is_still_a_dispute(model, text: str) -> None:  # type: ignore[no-untyped-def]
    assessed = assess(text, model)
    assert LABEL in labels(assessed) and not any(s.held for s in assessed.scores)
