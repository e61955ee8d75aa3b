"""Old news: anniversaries, retrospectives, trials and old dates, told apart from new events."""

from __future__ import annotations

from datetime import datetime

import pytest

from warning.classify.recency import PastCue, describe, past_event

JUNE_2023 = datetime(2023, 6, 1)

# (title, body, expected kind or None); published 1 June 2023 unless the case says otherwise.
PAST = [
    # trials with the charge far from the event
    (
        "Ex-minister charged with treason for his alleged role in a failed coup attempt",
        "",
        "trial",
    ),
    ("Trois officiers inculpés pour leur rôle présumé dans la tentative de putsch", "", "trial"),
    ("Un ancien ministre condamné à 20 ans de prison pour le putsch manqué", "", "trial"),
    # anniversary, English
    ("Burkina Faso marks one year since the January coup", "", "anniversary"),
    ("Ten years ago, soldiers seized power in Bamako", "", "anniversary"),
    ("Kenya commemorates the victims of the Westgate mall siege", "", "anniversary"),
    (
        "Survivors gather for the fifth anniversary of the Grand-Bassam beach attack",
        "",
        "anniversary",
    ),
    (
        "The night Niamey went dark",
        "Two years ago, the presidential guard detained the president in his residence.",
        "anniversary",
    ),
    ("Chad: a year to the day after the battle for N'Djamena", "", "anniversary"),
    # anniversary, French
    ("Burkina Faso : il y a un an, le putsch contre Roch Kaboré", "", "anniversary"),
    ("Côte d'Ivoire : commémoration de l'attaque de Grand-Bassam", "", "anniversary"),
    ("Hier, le Burkina a commémoré l'attentat de 2016", "", "anniversary"),
    (
        "Le Niger célèbre le premier anniversaire de la prise du pouvoir par le CNSP",
        "",
        "anniversary",
    ),
    ("Attentat de Ouagadougou : dix ans déjà", "", "anniversary"),
    ("Mali : il y a 12 ans, la chute d'ATT", "", "anniversary"),
    (
        "Hommage au capitaine",
        "Des militants se sont réunis devant le monument, "
        "trente ans jour pour jour après la mort du président.",
        "anniversary",
    ),
    (
        "Un pays en deuil",
        "Il y a deux ans, des militaires ont pris le pouvoir à Conakry et arrêté le président.",
        "anniversary",
    ),
    # retrospective, English
    ("Ten years after the Mali crisis, what has changed?", "", "retrospective"),
    ("Mali coup: ten years on, the army is still in charge", "", "retrospective"),
    ("A look back at the 2012 mutiny that toppled Amadou Toumani Touré", "", "retrospective"),
    ("Lessons from the 2012 crisis for the Sahel's juntas", "", "retrospective"),
    ("Remembering the Radisson Blu hostage crisis in Bamako", "", "retrospective"),
    ("A year after the coup, Burkina's junta tightens its grip", "", "retrospective"),
    # retrospective, French
    ("Un an après le coup d'État, le Burkina toujours dans l'impasse", "", "retrospective"),
    ("Guinée : que reste-t-il du coup d'État de septembre 2021 ?", "", "retrospective"),
    ("Retour sur la tentative de putsch de décembre 2015 au Burkina", "", "retrospective"),
    ("Mali : dix ans plus tard, les leçons de la crise de 2012", "", "retrospective"),
    ("Les leçons du putsch manqué de 2015", "", "retrospective"),
    ("Centrafrique : ce qu'il reste de la crise de 2013", "", "retrospective"),
    # trial, English
    ("Former general sentenced for the 2019 coup attempt", "", "trial"),
    ("Twelve officers charged with treason over last year's failed coup", "", "trial"),
    ("Coup plotters jailed for life in Guinea-Bissau", "", "trial"),
    ("Verdict expected in trial over 2015 hotel attack", "", "trial"),
    # trial, French
    ("Procès du putsch manqué de 2015 : le général Diendéré condamné", "", "trial"),
    ("Burkina : les putschistes condamnés à vingt ans de prison", "", "trial"),
    ("Niger : un ex-ministre inculpé pour la tentative de coup d'État de 2021", "", "trial"),
    ("Ouverture du procès des auteurs de l'attentat de Grand-Bassam", "", "trial"),
    # old-date, English
    ("What the 2015 coup attempt changed for Burkina's army", "", "old-date"),
    ("The January 2022 coup, as seen by its soldiers", "", "old-date"),
    (
        "Inside Mali's junta",
        "The 2020 coup was planned for months, according to a book.",
        "old-date",
    ),
    # old-date, French
    ("Ce que le putsch manqué de 2015 a changé au Burkina", "", "old-date"),
    (
        "Mémoires d'un survivant",
        "Lors de l'attaque de 2016 contre l'hôtel Splendid, il avait 24 ans.",
        "old-date",
    ),
    ("Le coup d'État du 18 août 2020 raconté par ses acteurs", "", "old-date"),
]

NEW = [
    # reactions and assaults: "condamne" and "charged" as news, not a court's words
    ("La CEDEAO condamne la tentative de coup d'État en Guinée-Bissau", ""),
    ("La France condamne fermement le putsch au Niger", ""),
    ("Soldiers charged the presidential palace in a coup attempt overnight", ""),
    # English: new events, some with a past year or a past event in passing
    ("Soldiers seize power in Niger, the third coup in the Sahel since 2020", ""),
    ("Gunfire in the capital a year after the coup", ""),
    ("The junta, in power since 2021, arrested opposition leaders on Monday", ""),
    # decided: a new attack on an anniversary is a new attack, a rally on one new unrest
    ("New attack on the anniversary of the 2016 attack", ""),
    ("Thousands rally in Niamey on coup anniversary", ""),
    ("Trial of 2015 coup plotters opens as gunmen attack an army post", ""),
    ("Gunmen kill 12 in Mopti a year after the coup", ""),
    ("A year after the coup, protests in Niamey", ""),
    ("Attack on army base in Mopti, one year after coup", ""),
    (
        "Mutineers seize barracks in Ouagadougou",
        "Shots were heard this morning near the presidential palace.",
    ),
    (
        "Coup attempt in Guinea-Bissau",
        "Heavy gunfire was heard yesterday in Bissau, a year after a failed coup in 2022.",
    ),
    ("Jihadists attack army base in Burkina, ruled by a junta since the 2022 coups", ""),
    ("Breaking: soldiers detain the president, state TV says", ""),
    ("Niger: the army says it has seized power", ""),
    (
        "Mali junta leader sworn in as president",
        "Colonel Goita, who led the August 2020 coup, was sworn in today.",
    ),
    ("Ex-coup leader wins election, two years after the 2022 putsch", ""),
    ("Soldiers storm state TV", "The coup comes a year after the January 2022 takeover."),
    ("Two days ago in Djibo: what we know about the attack", ""),
    # French
    ("Des militaires prennent le pouvoir au Burkina, huit mois après le premier putsch", ""),
    ("Tirs nourris à Ouagadougou un an après le coup d'État", ""),
    ("Mali : nouvelle attaque jihadiste à Boni, dix ans après le début de la crise", ""),
    (
        "Attaque contre un camp militaire à Djibo",
        "Des hommes armés ont attaqué hier le camp de Djibo, selon des sources sécuritaires.",
    ),
    (
        "Niger : des militaires annoncent avoir renversé le président",
        "Le président est retenu depuis ce matin par la garde présidentielle.",
    ),
    ("Burkina : la junte arrivée au pouvoir en 2022 suspend un média", ""),
    (
        "Côte d'Ivoire : le procès s'ouvre alors que des hommes armés attaquent un poste",
        "",
    ),
    ("Un an après le putsch, de nouvelles manifestations à Niamey", ""),
    ("Guinée : coups de feu près du palais, trois ans après le putsch de 2021", ""),
    (
        "Mali : des jihadistes tuent 20 civils près de Mopti",
        "L'attaque, la plus meurtrière depuis l'attentat de 2016, a eu lieu hier soir.",
    ),
    (
        "Burkina : l'armée dit avoir déjoué une tentative de coup d'État",
        "Les auteurs présumés ont été arrêtés cette nuit.",
    ),
    (
        "Djibo, une ville sous blocus",
        "« Ils sont arrivés à moto, ils étaient des dizaines », se souvient un habitant.",
    ),
    # decided: a new attack during a commemoration is a new attack
    ("Le Niger commémore l'attaque d'Inates alors que des jihadistes attaquent Tillabéri", ""),
    (
        "Mali : Assimi Goïta investi président",
        "Le colonel, auteur du coup d'État d'août 2020, a prêté serment ce matin.",
    ),
    (
        "Bénin : des militaires affirment avoir pris le pouvoir",
        "Le président, au pouvoir depuis 2016, est introuvable.",
    ),
    ("Un an après le coup d'État, des soldats se mutinent à Ouagadougou", ""),
]


@pytest.mark.parametrize(("title", "body", "kind"), PAST)
def test_past_events_are_flagged(title: str, body: str, kind: str) -> None:
    cue = past_event(title, body, None, JUNE_2023)
    assert cue is not None and cue.kind == kind, cue
    assert cue.words and cue.words in title + "\n" + body


@pytest.mark.parametrize(("title", "body"), NEW)
def test_new_events_are_not_flagged(title: str, body: str) -> None:
    assert past_event(title, body, None, JUNE_2023) is None


def test_a_year_is_old_only_against_the_publication_date() -> None:
    title = "Le putsch manqué de 2015 raconté par ses acteurs"
    assert past_event(title, "", "fr", datetime(2023, 1, 1)) == PastCue(
        "old-date", "putsch manqué de 2015"
    )
    assert past_event(title, "", "fr", datetime(2015, 9, 20)) is None
    assert past_event(title, "", "fr", None) is None
    # A relative date needs no publication date.
    assert past_event("How last year's coup reshaped the army", "", "en", None) is not None


def test_cues_beyond_the_first_sentence_do_not_count() -> None:
    body = "The army chief met the envoys on Monday. It is the anniversary of the 2016 attack."
    assert past_event("Talks in Ouagadougou", body, "en", JUNE_2023) is None


def test_the_words_shown_are_the_original_ones() -> None:
    cue = past_event("Côte d’Ivoire : commémoration de l’attaque", "", "fr", JUNE_2023)
    assert cue == PastCue("anniversary", "commémoration")
    assert describe(cue) == "old news: anniversary ('commémoration')"


def test_a_missing_title_takes_the_lede() -> None:
    body = "Il y a un an, le putsch. Depuis, la junte gouverne par décret."
    assert past_event("", body, "fr", JUNE_2023) == PastCue("anniversary", "Il y a un an")


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("il y a un an " * 20_000, "coup " * 40_000),
        ("a" * 200_000, "b" * 200_000),
        ("the 2015 " * 25_000, "attack after " * 16_000),
        ("procès de de de " * 14_000, "putsch " * 30_000),
    ],
)
def test_hostile_input_is_read_in_bounded_time(title: str, body: str) -> None:
    past_event(title, body, None, JUNE_2023)


def _folded_texts() -> list[str]:
    """Every corpus row and every case above, folded as past_event reads them."""
    import csv

    from warning.classify.text import fold
    from warning.classify.training import corpus_files

    texts = [f"{title}\n{body}" for title, body, *_ in PAST + NEW]
    for path in corpus_files():
        with path.open(encoding="utf-8", newline="") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    return [fold(text) for text in texts]


def test_every_cue_match_carries_a_word_its_pattern_is_skipped_without() -> None:
    # A pattern is run only on text holding one of its words (a cheap substring test);
    # a match without one would be a cue silently skipped.
    from warning.classify import recency as r

    gated = [
        (r._AGO, r._AGO_WORDS),
        (r._TRIAL_FIRST, r._TRIAL_WORDS),
        (r._TRIAL_LAST, r._TRIAL_WORDS),
        *((pattern, words) for _, pattern, words in r._PHRASES),
    ]
    matched = [0] * (len(gated) + 1)
    for text in _folded_texts():
        for n, (pattern, words) in enumerate(gated):
            for match in pattern.finditer(text):
                matched[n] += 1
                assert any(w in match.group() for w in words), (match.group(), pattern.pattern)
        for match in r._OLD_DATE.finditer(text):
            matched[-1] += 1
            assert r._OLD_DATE_WORDS.search(match.group()), match.group()
    assert min(matched) >= 3, matched  # every pattern is exercised
