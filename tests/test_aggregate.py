"""Aggregation: stories, independent outlets, noisy-OR score, baseline and spike.

Every expected value is computed by hand in the comment beside it; docs/signals.md has the
formulas and a worked example that the last test replays.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from warning.alerting.signals import (
    aggregate,
    baseline,
    daily_outlets,
    history_end,
    independent,
    same_story,
    spike,
    stories,
    strength,
    title_words,
)
from warning.records import Evidence, Signal

T0 = datetime(2023, 7, 26, 6, 0, tzinfo=UTC)  # window start: the morning of the Niger coup
T1 = T0 + timedelta(days=1)
COUP = "Niger: soldiers say they have ousted President Mohamed Bazoum"


def ev(
    item_id: int,
    title: str,
    outlet: str,
    minutes: float,
    p: float,
    w: float = 1.0,
    *copies: str,
) -> Evidence:
    """Evidence first seen on ``outlet`` ``minutes`` after T0.

    ``copies`` are outlets whose copies deduplicated into this very item.
    """
    return Evidence(
        item_id=item_id,
        title=title,
        link=f"https://example.org/{item_id}",
        outlets=(outlet, *copies),
        seen=T0 + timedelta(minutes=minutes),
        probability=p,
        weight=w,
    )


def signal(
    evidence: list[Evidence], history: list[int] | None = None, floor: float = 0.0
) -> Signal:
    """The coup signal for Niger over the day [T0, T1)."""
    return aggregate("NE", "coup", evidence, T0, T1, history=history, floor=floor)


# --- titles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # outlet suffixes go, whatever the separator
        (f"{COUP} - Reuters", f"{COUP} | AFP"),
        (f"{COUP} — Le Monde Afrique", COUP),
        # accents, case, punctuation and typographic apostrophes do not matter
        (
            "Coup d'État au Niger : des militaires annoncent la destitution de Bazoum",
            "COUP D’ETAT AU NIGER – DES MILITAIRES ANNONCENT LA DESTITUTION DE BAZOUM",
        ),
        (
            "Tillabéri: l'armée dit avoir repoussé une attaque",
            "TILLABERI, L ARMEE DIT AVOIR REPOUSSE UNE ATTAQUE",
        ),
    ],
)
def test_title_variants_have_the_same_words(a: str, b: str) -> None:
    assert title_words(a) == title_words(b)


def test_outlet_suffix_is_at_most_three_words_after_a_spaced_separator() -> None:
    assert title_words("Attack in Djibo - Jeune Afrique") == {"attack", "in", "djibo"}
    # four words after the separator are part of the headline
    assert "says" in title_words("Attack in Djibo - army says 30 killed")
    # a hyphen inside a word is no separator
    assert title_words("Guinea-Bissau coup attempt") == {"guinea", "bissau", "coup", "attempt"}


def test_jaccard_boundary() -> None:
    a = title_words("alpha bravo charlie delta")
    # {a b c d} vs {a b c e}: 3 common / 5 in all = 0.6, the threshold itself: one story
    assert same_story(a, title_words("alpha bravo charlie echo"))
    # {a b c d} vs {a b c e f}: 3 / 6 = 0.5, and 4 words are too few to count as contained
    assert not same_story(a, title_words("alpha bravo charlie echo foxtrot"))
    # 4 common / 7 in all = 0.571 < 0.6
    b = title_words("alpha bravo charlie delta echo")
    assert not same_story(b, title_words("alpha bravo charlie delta golf hotel"))
    # 6 / 10 = 0.6 again (ratios are compared exactly at the boundary)
    c = title_words("a1 a2 a3 a4 a5 a6 b1 b2")
    assert same_story(c, title_words("a1 a2 a3 a4 a5 a6 c1 c2"))


def test_containment_needs_five_words_in_the_shorter_title() -> None:
    five = title_words("gunmen kill soldiers near djibo")
    longer = title_words("gunmen kill soldiers near djibo in northern burkina faso army says")
    # 5 / 11 = 0.45 by Jaccard, but all 5 words of the shorter are in the longer: one story
    assert same_story(five, longer) and same_story(longer, five)
    four = title_words("gunmen kill soldiers near")
    # 4 / 11 = 0.36, and 4 words are too few for containment
    assert not same_story(four, longer)


def test_a_title_without_words_is_its_own_story() -> None:
    assert not same_story(frozenset(), frozenset())
    found = stories([ev(1, "—", "a", 0, 0.9), ev(2, "…", "b", 1, 0.9)])
    assert len(found) == 2


# --- stories and independent outlets ------------------------------------------------


def test_one_outlet_with_three_copies_counts_once_at_its_maximum() -> None:
    s = signal(
        [
            ev(1, COUP, "rfi", 0, 0.5),
            ev(2, f"{COUP} (update)", "rfi", 30, 0.7),
            ev(
                3, "Niger: presidential guard blocks access to the palace in Niamey", "rfi", 60, 0.6
            ),
        ]
    )
    # one outlet: score = max(0.5, 0.7, 0.6) = 0.7, not 1 - 0.5*0.3*0.4
    assert s.outlets == ("rfi",)
    assert s.score == pytest.approx(0.7)
    assert [e.item_id for e in s.evidence] == [2]
    assert s.items == (2, 3, 1)  # strongest first: 0.7, 0.6, 0.5


def test_three_independent_outlets_combine_by_noisy_or() -> None:
    s = signal(
        [
            ev(1, COUP, "reuters", 0, 0.6),
            ev(2, "Presidential guard detains Bazoum in Niamey", "bbc", 5, 0.5),
            ev(3, "Niger army backs the putschists, chief of staff says", "rfi", 10, 0.8),
        ]
    )
    # 1 - (1-0.6)(1-0.5)(1-0.8) = 1 - 0.4*0.5*0.2 = 1 - 0.04 = 0.96
    assert s.score == pytest.approx(0.96)
    assert s.outlets == ("rfi", "reuters", "bbc")  # strongest first: 0.8, 0.6, 0.5
    assert [e.item_id for e in s.evidence] == [3, 1, 2]


def test_wire_story_republished_by_others_belongs_to_its_first_outlet() -> None:
    s = signal(
        [
            ev(1, f"{COUP} - Reuters", "reuters", 0, 0.9),
            ev(2, f"{COUP} | Reuters", "africanews", 20, 0.85),
            ev(3, f"UPDATE: {COUP}", "yahoo", 45, 0.95),
        ]
    )
    # one story, first seen at reuters; the copies are not corroboration
    assert s.outlets == ("reuters",)
    # e_reuters = max over the story's items = 0.95 (yahoo's copy scored highest)
    assert s.score == pytest.approx(0.95)
    assert [e.item_id for e in s.evidence] == [3]
    assert s.items == (3, 1, 2)


def test_the_earliest_copy_originates_the_story() -> None:
    s = signal([ev(1, COUP, "a", 30, 0.9), ev(2, f"{COUP} - B", "b", 10, 0.6)])
    assert s.outlets == ("b",)
    found = stories([ev(1, COUP, "a", 10, 0.9), ev(2, COUP, "b", 10, 0.6)])
    assert found[0].origin == "a"  # same time: the lower item id


def test_outlets_that_deduplicated_into_an_item_are_copies() -> None:
    s = signal([ev(1, COUP, "reuters", 0, 0.9, 1.0, "africanews", "yahoo")])
    assert s.outlets == ("reuters",)


def test_an_outlet_that_republishes_and_originates_counts_once() -> None:
    found = independent(
        [
            ev(1, COUP, "a", 0, 0.9),
            ev(2, COUP, "b", 5, 0.6),  # b copies a's story...
            ev(
                3, "Bazoum held at the presidential palace, aides say", "b", 6, 0.4
            ),  # ...and has its own
        ]
    )
    assert sorted(found) == ["a", "b"]
    assert [e.item_id for e in found["a"]] == [1, 2]
    assert [e.item_id for e in found["b"]] == [3]


def test_near_duplicates_chain_into_one_story() -> None:
    # a~b: 4/5 = 0.8; b~c: 4/6 = 0.67; a~c: 3/7 = 0.43 — still one story through b
    found = stories(
        [
            ev(1, "alpha bravo charlie delta", "a", 0, 0.9),
            ev(2, "alpha bravo charlie delta echo", "b", 1, 0.9),
            ev(3, "alpha bravo charlie echo foxtrot", "c", 2, 0.9),
        ]
    )
    assert len(found) == 1 and found[0].origin == "a"


def test_an_item_given_twice_counts_once() -> None:
    s = signal(
        [ev(1, COUP, "a", 0, 0.9), ev(1, COUP, "a", 0, 0.9), ev(2, "Other news", "b", 0, 0.5)]
    )
    assert s.items == (1, 2)
    assert s.score == pytest.approx(1 - 0.1 * 0.5)  # 0.95


# --- weight, floor, window ------------------------------------------------------------


def test_weight_scales_probability() -> None:
    s = signal(
        [
            ev(1, COUP, "a", 0, 0.9, 0.5),  # 0.9 * 0.5 = 0.45
            ev(2, "Heavy gunfire heard near the barracks in Niamey", "b", 0, 0.6, 1.0),  # 0.6
        ]
    )
    # 1 - (1-0.6)(1-0.45) = 1 - 0.4*0.55 = 0.78
    assert s.score == pytest.approx(0.78)
    assert s.outlets == ("b", "a")
    assert strength(ev(3, COUP, "c", 0, 0.9, 2.0)) == 1.0  # clamped into [0, 1]


def test_floor() -> None:
    items = [
        ev(1, COUP, "a", 0, 1.0, 0.45),  # 0.45
        ev(2, "Heavy gunfire heard near the barracks in Niamey", "b", 0, 0.6),  # 0.6
    ]
    assert signal(items, floor=0.5).outlets == ("b",)
    assert signal(items, floor=0.5).score == pytest.approx(0.6)
    assert signal(items, floor=0.45).outlets == ("b", "a")  # exactly the floor counts
    # the floor applies before clustering: a weak earlier copy does not originate the story
    early = [ev(1, COUP, "a", 30, 0.9), ev(2, COUP, "b", 10, 0.2)]
    assert signal(early).outlets == ("b",)
    assert signal(early, floor=0.5).outlets == ("a",)
    assert signal(early, floor=0.5).items == (1,)


def test_window_is_start_inclusive_end_exclusive() -> None:
    s = signal(
        [
            ev(1, "Story one about Mali", "a", 0, 0.5),  # at start: in
            ev(2, "Story two about Niger", "b", 24 * 60 - 1 / 60_000, 0.5),  # 1 ms before end: in
            ev(3, "Story three about Chad", "c", 24 * 60, 0.9),  # at end: out
            ev(4, "Story four about Togo", "d", -1, 0.9),  # before start: out
        ]
    )
    assert s.outlets == ("a", "b")
    assert s.items == (1, 2)


def test_empty_window() -> None:
    s = signal([])
    assert (s.score, s.outlets, s.evidence, s.items) == (0.0, (), (), ())
    assert (s.baseline, s.spike) == (None, None)
    # with history: expected 1.0, observed 0 -> (0+1)/(1+1) = 0.5
    assert signal([], history=[1] * 7).spike == pytest.approx(0.5)


def test_window_must_not_be_empty() -> None:
    with pytest.raises(ValueError, match="end after it starts"):
        aggregate("NE", "coup", [], T1, T0)


# --- baseline and spike ---------------------------------------------------------------


def test_baseline_cold_start() -> None:
    assert baseline([3, 1, 0, 2, 1, 1]) is None  # 6 days < 7
    assert baseline([3, 1, 0, 2, 1, 1, 0]) == pytest.approx(8 / 7)  # mean of 7 days, 1-day window
    assert baseline([]) is None
    assert baseline([1, 1], min_history=2) == 1.0


def test_baseline_scales_to_the_window() -> None:
    history = [0, 2, 1, 0, 3, 1, 0]  # 7 outlets in 7 days: 1.0 a day
    assert baseline(history, timedelta(hours=6)) == pytest.approx(0.25)  # 1.0 * 6/24
    assert baseline(history, timedelta(days=3)) == pytest.approx(3.0)
    with pytest.raises(ValueError):
        baseline(history, timedelta(0))


def test_spike_with_pseudo_count() -> None:
    assert spike(1, 0.0) == 2.0  # (1+1)/(0+1)
    assert spike(6, 1.0) == 3.5  # (6+1)/(1+1)
    assert spike(3, None) is None  # cold start
    assert spike(1, 0.0, k=0.5) == 3.0  # (1+0.5)/(0+0.5)
    with pytest.raises(ValueError):
        spike(1, 0.0, k=0)


def _six_outlets() -> list[Evidence]:
    titles = [
        "Soldiers appear on Niger state television",
        "Borders closed and curfew declared in Niamey",
        "ECOWAS condemns attempted power grab",
        "Bazoum says gains will be safeguarded",
        "Army command backs the mutineers",
        "Crowds rally outside the national assembly",
    ]
    return [ev(1000 + i, t, f"outlet{i}", i, 0.5) for i, t in enumerate(titles)]


def test_aggregate_spike_and_cold_start() -> None:
    six = _six_outlets()
    # 6 outlets against a usual 1 a day: (6+1)/(1+1) = 3.5
    s = signal(six, history=[1] * 7)
    assert (s.baseline, s.spike) == (1.0, 3.5)
    # 1 outlet against a usual 0: (1+1)/(0+1) = 2.0, not infinity
    s = signal(six[:1], history=[0] * 28)
    assert (s.baseline, s.spike) == (0.0, 2.0)
    # 6 days of history: cold start; the score is still there for threshold rules
    s = signal(six, history=[1] * 6)
    assert (s.baseline, s.spike) == (None, None)
    assert s.score == pytest.approx(1 - 0.5**6)  # 1 - 1/64 = 0.984375


def test_daily_outlets() -> None:
    end = T0  # history ends where the window starts
    items = [
        ev(1, COUP, "a", -1, 0.9),  # last slot (1 minute before end)
        ev(2, COUP, "b", -2, 0.9),  # the same story, seen earlier at b: one outlet (b)
        ev(3, "Other story", "c", -3, 0.9),  # last slot [-24 h, 0): 2 outlets
        ev(4, "Third story", "d", -24 * 60 - 1, 0.9),  # slot [-48 h, -24 h)
        ev(5, "Fourth story", "e", -3 * 24 * 60 - 1, 0.9),  # before the 3 slots: ignored
        ev(6, "Fifth story", "f", -3 * 24 * 60, 0.1),  # slot [-72 h, -48 h), below a 0.5 floor
        ev(7, "Sixth story", "g", 0, 0.9),  # at end: not history
    ]
    assert daily_outlets(items, 3, end) == [1, 1, 2]
    assert daily_outlets(items, 3, end, floor=0.5) == [0, 1, 2]
    # watching began 30 h before end: the slots from -72 h and -48 h began before it (partial)
    assert daily_outlets(items, 3, end, since=end - timedelta(hours=30)) == [2]
    assert daily_outlets(items, 3, end, since=end - timedelta(hours=48)) == [1, 2]
    assert daily_outlets(items, 3, end, since=end - timedelta(days=10)) == [1, 1, 2]
    assert daily_outlets(items, 0, end) == []


# --- order independence and the index -------------------------------------------------


def test_shuffled_input_gives_the_same_signal() -> None:
    items = [
        ev(1, f"{COUP} - Reuters", "reuters", 0, 0.9),
        ev(2, f"{COUP} | AFP", "afp", 0, 0.7),  # same time as 1: the lower id originates
        ev(3, COUP, "yahoo", 20, 0.95),
        ev(4, "Heavy gunfire heard near the barracks in Niamey", "bbc", 3, 0.6),
        ev(5, "Heavy gunfire near barracks in Niamey, residents say", "rfi", 2, 0.6),
        ev(6, "alpha bravo charlie delta", "x", 5, 0.3),
        ev(7, "alpha bravo charlie delta echo", "y", 6, 0.3),
        ev(8, "alpha bravo charlie echo foxtrot", "z", 4, 0.3),
        *_six_outlets(),
    ]
    expected = signal(items, history=[2] * 10)
    rng = random.Random(7)
    for _ in range(20):
        rng.shuffle(items)
        assert signal(items, history=[2] * 10) == expected


def _naive_stories(evidence: list[Evidence]) -> set[frozenset[int]]:
    """All pairs compared: what the indexed clustering must agree with."""
    parent = {e.item_id: e.item_id for e in evidence}

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    words = {e.item_id: title_words(e.title) for e in evidence}
    for a in evidence:
        for b in evidence:
            if same_story(words[a.item_id], words[b.item_id]):
                parent[find(a.item_id)] = find(b.item_id)
    groups: dict[int, set[int]] = {}
    for e in evidence:
        groups.setdefault(find(e.item_id), set()).add(e.item_id)
    return {frozenset(g) for g in groups.values()}


@pytest.mark.parametrize("seed", range(5))
def test_indexed_clustering_agrees_with_all_pairs(seed: int) -> None:
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(40)]
    base = [rng.sample(vocabulary, rng.randint(3, 12)) for _ in range(40)]
    evidence = []
    for item_id in range(300):
        words = list(rng.choice(base))
        for _ in range(rng.randint(0, 3)):  # perturb: drop, add or swap a word
            op = rng.random()
            if op < 0.33 and len(words) > 1:
                words.pop(rng.randrange(len(words)))
            elif op < 0.66:
                words.append(rng.choice(vocabulary))
            else:
                words[rng.randrange(len(words))] = rng.choice(vocabulary)
        evidence.append(ev(item_id, " ".join(words), f"o{item_id % 17}", item_id, 0.5))
    found = {frozenset(e.item_id for e in s.items) for s in stories(evidence)}
    assert found == _naive_stories(evidence)


# --- the worked example of docs/signals.md ---------------------------------------------


def test_worked_example_in_the_docs() -> None:
    items = [
        ev(101, "Mali: soldiers detain President Keïta - Reuters", "reuters", 0, 0.92),
        ev(102, "Mali: soldiers detain president Keita | AFP", "africanews", 25, 0.90),
        ev(103, "Mali : des militaires arrêtent le président Keïta", "rfi", 10, 0.88, 0.9),
        ev(104, "Mutiny at Kati military camp near Bamako", "bbc", 40, 0.70),
        ev(105, "Gunfire at the Kati camp, residents say", "bbc", 55, 0.60),
        ev(106, "Mali's opposition rallies in Bamako", "aljazeera", 70, 0.30, 0.8),
    ]
    # the same minutes after 06:00 UTC on 18 August 2020, the morning of the coup in Mali
    start = datetime(2020, 8, 18, 6, 0, tzinfo=UTC)
    items = [replace(e, seen=e.seen - T0 + start) for e in items]
    s = aggregate(
        "ML", "coup", items, start, start + timedelta(hours=6), history=[1, 0, 2, 0, 1, 0, 0, 1]
    )
    assert s.outlets == ("reuters", "rfi", "bbc", "aljazeera")
    assert [e.item_id for e in s.evidence] == [101, 103, 104, 106]
    assert s.items == (101, 102, 103, 104, 105, 106)
    # e = 0.92, 0.88*0.9 = 0.792, 0.70, 0.30*0.8 = 0.24
    # 1 - 0.08 * 0.208 * 0.30 * 0.76 = 1 - 0.00379392 = 0.99620608
    assert s.score == pytest.approx(0.99620608)
    # 5 outlets in 8 days = 0.625 a day; 6 h window: 0.625 * 0.25 = 0.15625
    assert s.baseline == pytest.approx(0.15625)
    # (4 + 1) / (0.15625 + 1) = 5 / 1.15625 = 4.3243...
    assert s.spike == pytest.approx(5 / 1.15625)


def test_history_ends_at_the_utc_midnight_before_the_window() -> None:
    assert history_end(datetime(2026, 11, 20, 17, 45, tzinfo=UTC)) == datetime(
        2026, 11, 20, tzinfo=UTC
    )
    # 01:30 in Niamey (UTC+1) on the 21st is 00:30 UTC on the 21st...
    niamey = timezone(timedelta(hours=1))
    assert history_end(datetime(2026, 11, 21, 1, 30, tzinfo=niamey)) == datetime(
        2026, 11, 21, tzinfo=UTC
    )
    # ...and 00:30 there is 23:30 UTC on the 20th: the UTC day decides.
    assert history_end(datetime(2026, 11, 21, 0, 30, tzinfo=niamey)) == datetime(
        2026, 11, 20, tzinfo=UTC
    )
