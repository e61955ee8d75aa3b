"""The resolver's rules, one at a time.

Rules that depend on curated entries run on a small gazetteer built from this file's
own curated YAML (countries from the packages, no towns: fast); rules about towns and
subdivisions run on the shipped gazetteer.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.geo_fixtures import ACTORS
from warning.geo.build import build
from warning.geo.gazetteer import Gazetteer, load
from warning.geo.resolve import geotag
from warning.records import GeoTag

CURATED = """\
demonyms:
  - {country: ML, names: [Malian, Malians, malien, malienne, maliens, maliennes]}
  - {country: FR, names: [French, français, française]}
  - {country: BF, names: [Burkinabè, burkinabè]}
  - {country: CI, names: [Ivorian, ivoirien, ivoirienne]}
regions:
  - names: [zone des trois frontières, tri-border area]
    countries: [ML, BF, NE]
    lat: 14.9
    lon: 0.4
places:
  - {name: Kidal, country: ML, admin1: Kidal, lat: 18.44, lon: 1.41, population: 40000}
  - {name: Gao, country: ML, admin1: Gao, lat: 16.27, lon: -0.04, population: 87000}
  - {name: Koro, country: ML, admin1: Mopti, lat: 14.07, lon: -3.08, population: 62000}
  - {name: Koro, country: CI, admin1: Woroba, lat: 8.55, lon: -7.46, population: 9000}
  - {name: Kinshasa, country: CD, lat: -4.32, lon: 15.31, kind: capital, population: 7785965}
  - {name: Brazzaville, country: CG, lat: -4.27, lon: 15.28, kind: capital, population: 1284609}
  - {name: Georgia, country: US, kind: admin1, admin1: Georgia, lat: 32.7, lon: -83.4}
  - {name: Atlanta, country: US, admin1: Georgia, lat: 33.75, lon: -84.39, population: 463878}
  - {name: Djibo, country: BF, admin1: Sahel, lat: 14.1, lon: -1.63, population: 61462}
stop:
  - {name: jordan, person: true}
not_places:
  - {names: [River Niger, fleuve Niger], countries: []}
  - {names: [Niger Delta, delta du Niger, Niger State], countries: [NG]}
  - {names: [Benin City], countries: [NG]}
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Gazetteer:
    d: Path = tmp_path_factory.mktemp("curated")
    (d / "curated.yaml").write_text(CURATED, encoding="utf-8")
    (d / "actors.yaml").write_text(ACTORS, encoding="utf-8")
    return build(d / "curated.yaml", d / "actors.yaml", places=False)


@pytest.fixture(scope="module")
def full() -> Gazetteer:
    return load()


def codes(tag: GeoTag) -> set[str]:
    return set(tag.codes)


# --- matching --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Guinea-Bissau president dissolves parliament", {"GW"}),
        ("Elections in Equatorial Guinea", {"GQ"}),
        ("Papua New Guinea landslide", {"PG"}),
        ("Guinea junta sets a date", {"GN"}),
        ("Fighting flares in South Sudan", {"SS"}),
        ("Fighting flares in Sudan", {"SD"}),
        ("Niger junta closes airspace", {"NE"}),
        ("Nigeria raises fuel prices", {"NG"}),
        ("Élections en Guinée équatoriale", {"GQ"}),
        ("La Guinée-Bissau vote", {"GW"}),
    ],
)
def test_longest_name_wins(small: Gazetteer, title: str, expected: set[str]) -> None:
    assert codes(geotag(title, "", small)) == expected


def test_accents_case_and_apostrophes_do_not_matter(small: Gazetteer) -> None:
    for title in ("Cote d'Ivoire votes", "Côte d’Ivoire votes", "COTE D'IVOIRE VOTES"):
        assert codes(geotag(title, "", small)) == {"CI"}, title
    assert codes(geotag("Benin and Bénin", "", small)) == {"BJ"}


def test_french_demonyms_in_any_case(small: Gazetteer) -> None:
    assert codes(geotag("L'armée malienne reprend Kidal", "", small)) == {"ML"}
    assert codes(geotag("le gouvernement burkinabè dément", "", small)) == {"BF"}


def test_country_names_and_towns_must_be_capitalised(small: Gazetteer) -> None:
    assert codes(geotag("A turkey and a guinea pig", "Kidal is far.", small)) == {"ML"}
    assert codes(geotag("Sales of turkey rise", "", small)) == set()
    assert codes(geotag("Residents of kidal", "Many Left The Town Today.", small)) == set()


def test_acronyms_only_in_capitals(small: Gazetteer) -> None:
    assert codes(geotag("Let us go", "", small)) == set()
    assert codes(geotag("RDC : le M23 avance", "", small)) == {"CD"}


def test_all_lowercase_text_still_matches(small: Gazetteer) -> None:
    assert codes(geotag("attack near kidal in mali", "", small)) == {"ML"}


# --- look-alikes -----------------------------------------------------------------------


def test_niger_river_delta_and_state(small: Gazetteer) -> None:
    assert codes(geotag("Boat capsizes on the River Niger", "", small)) == set()
    assert codes(geotag("Naufrage sur le fleuve Niger", "", small)) == set()
    assert codes(geotag("Oil spill in the Niger Delta", "", small)) == {"NG"}
    assert codes(geotag("Bandits attack school in Niger State", "", small)) == {"NG"}
    assert codes(geotag("Protest in Benin City", "", small)) == {"NG"}
    assert codes(geotag("Benin holds elections", "", small)) == {"BJ"}


def test_congo_by_context(small: Gazetteer) -> None:
    assert geotag("Floods in Congo", "", small).codes == ("CD",)
    assert geotag("Floods in Congo", "Residents of Brazzaville fled.", small).primary == "CG"
    assert geotag("Floods in Congo", "Residents of Kinshasa fled.", small).codes == ("CD",)
    assert geotag("RDC : des combats", "", small).codes == ("CD",)


def test_country_names_that_are_peoples_names(small: Gazetteer) -> None:
    assert codes(geotag("Chad Smith scores twice", "", small)) == set()
    assert codes(geotag("Jordan Henderson joins Ajax", "", small)) == set()
    assert codes(geotag("A tribute to Michael Jordan", "", small)) == set()
    assert codes(geotag("Swimmer Chad le Clos retires", "", small)) == set()
    assert codes(geotag("Floods in Chad", "", small)) == {"TD"}
    assert codes(geotag("Northern Chad hit by floods", "", small)) == {"TD"}
    assert codes(geotag("Chad closes its border", "The army said.", small)) == {"TD"}
    assert codes(geotag("Jordan hosts talks on Gaza", "", small)) >= {"JO"}


def test_georgia_state_with_us_context(small: Gazetteer) -> None:
    assert codes(geotag("Protests in Georgia", "Tbilisi is calm.", small)) == {"GE"}
    us = geotag("Storm hits Georgia", "Atlanta airport closed.", small)
    assert codes(us) == {"US"}


# --- context ---------------------------------------------------------------------------


def test_town_in_two_countries_goes_to_the_mentioned_one(small: Gazetteer) -> None:
    assert geotag("Attack in Koro", "", small).codes == ("ML",)  # most populous
    ivorian = geotag("Attack in Koro", "Côte d'Ivoire's army responded.", small)
    assert ivorian.codes == ("CI",)
    koro = next(p for p in ivorian.places if p.name == "Koro")
    assert (koro.country, koro.admin1) == ("CI", "Woroba")


def test_actors_by_date(small: Gazetteer) -> None:
    assert geotag("CNSP names a government", "", small, when=date(2020, 9, 1)).codes == ("ML",)
    assert geotag("CNSP names a government", "", small, when=date(2023, 9, 1)).codes == ("NE",)
    assert geotag("Bazoum detained by his guard", "", small, when=date(2023, 7, 26)).codes == (
        "NE",
    )


def test_actor_out_of_term_counts_less_and_only_when_unambiguous(small: Gazetteer) -> None:
    in_term = geotag("Bazoum speaks", "", small, when=date(2022, 1, 1))
    out_of_term = geotag("Bazoum speaks", "", small, when=date(2025, 1, 1))
    assert in_term.codes == out_of_term.codes == ("NE",)
    assert out_of_term.countries[0].score < in_term.countries[0].score
    # CNSP out of both its terms could be either junta: no country.
    assert geotag("CNSP names a government", "", small, when=date(2019, 1, 1)).codes == ()


def test_actor_without_date_uses_this_year(small: Gazetteer) -> None:
    assert geotag("CNSP extends transition", "", small).codes == ("NE",)


def test_shared_actor_goes_to_the_mentioned_country(small: Gazetteer) -> None:
    # Alone, an armed group counts for its main theatre (listed first)...
    assert geotag("JNIM claims attack", "", small, when=date(2024, 1, 1)).codes == ("ML",)
    # ...with one of its theatres named, for that one...
    tag = geotag("JNIM claims attack near Djibo", "", small, when=date(2024, 1, 1))
    assert codes(tag) == {"BF"}
    # ...and with only another country named, for none: it is a visitor there.
    tag = geotag("JNIM claims attack in Benin", "", small, when=date(2024, 1, 1))
    assert codes(tag) == {"BJ"}
    # A zone of several countries counts for all of them.
    assert codes(geotag("Attack in the tri-border area", "", small)) == {"ML", "BF", "NE"}


# --- salience --------------------------------------------------------------------------


def test_passing_mentions_are_dropped(small: Gazetteer) -> None:
    tag = geotag(
        "Mali: army retakes Kidal",
        "Malian troops entered the town after French troops left Gao years ago. "
        "Officials in Bamako welcomed the news.",
        small,
    )
    assert tag.codes == ("ML",)


def test_title_outweighs_body(small: Gazetteer) -> None:
    tag = geotag("Senegal holds talks", "Officials from Ghana attended.", small)
    assert tag.primary == "SN"
    assert tag.countries[0].score > dict((c.code, c.score) for c in tag.countries).get("GH", 0)


def test_two_countries_in_the_title_are_both_kept(small: Gazetteer) -> None:
    tag = geotag("Niger closes its border with Benin", "", small)
    assert codes(tag) == {"NE", "BJ"}
    assert tag.primary == "NE"  # equal evidence: the first named


def test_places_add_up(small: Gazetteer) -> None:
    tag = geotag("Attacks in Kidal and Gao", "Gao residents fled to Kidal.", small)
    assert tag.codes == ("ML",)
    assert 0 < tag.countries[0].score <= 1
    assert {p.name for p in tag.places} == {"Kidal", "Gao"}  # deduplicated


def test_scores_are_sorted_and_bounded(small: Gazetteer) -> None:
    tag = geotag("Niger and Mali and Mali and Mali", "Mali Mali Mali Niger Benin.", small)
    scores = [c.score for c in tag.countries]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)
    assert tag.primary == "ML"


def test_places_carry_points_and_title_flag(small: Gazetteer) -> None:
    tag = geotag("Kidal under curfew", "Troops from Gao arrived.", small)
    kidal = next(p for p in tag.places if p.name == "Kidal")
    assert (kidal.country, kidal.kind, kidal.admin1, kidal.in_title) == (
        "ML",
        "city",
        "Kidal",
        True,
    )
    assert kidal.lat == pytest.approx(18.44) and kidal.lon == pytest.approx(1.41)
    gao = next(p for p in tag.places if p.name == "Gao")
    assert not gao.in_title


def test_nothing_found(small: Gazetteer) -> None:
    assert geotag("", "", small) == GeoTag()
    assert geotag("Markets rally on rate cut", "Investors cheered.", small) == GeoTag()


# --- on the shipped gazetteer ------------------------------------------------------------


def test_towns_and_regions_of_first_concern(full: Gazetteer) -> None:
    assert geotag("Attaque à Djibo", "", full).codes == ("BF",)
    assert geotag("Gunmen kill villagers near Tillaberi", "", full).codes == ("NE",)
    assert geotag("Clashes in Bawku", "", full).codes == ("GH",)
    assert geotag("Bandits storm a school in Kaduna State", "", full).codes == ("NG",)
    tag = geotag("Couvre-feu dans la région de Tillabéri", "", full)
    assert tag.codes == ("NE",) and tag.places[0].kind == "admin1"


def test_foreign_towns_that_are_words_or_names(full: Gazetteer) -> None:
    # Victor is an alternate name of Victorville (US); Hassan a town in India.
    assert geotag("Galatasaray sign Victor Osimhen", "", full).codes == ()
    assert "IN" not in geotag("President Samia Suluhu Hassan sworn in", "", full).codes


def test_villages_that_are_peoples_names(full: Gazetteer) -> None:
    # Bobi is a village in Côte d'Ivoire; Bobi Wine a Ugandan politician.
    tag = geotag("Bobi Wine urges Ugandans to reject results", "", full)
    assert "CI" not in tag.codes


# --- grades of evidence ------------------------------------------------------------------


def test_a_title_that_opens_with_a_place_and_a_colon_names_its_subject(small: Gazetteer) -> None:
    assert geotag("Mali : la France et la Russie saluent l'accord", "", small).codes == ("ML",)
    # Without the colon, both countries in the title stay.
    assert codes(geotag("France and Mali sign an accord", "", small)) == {"FR", "ML"}


def test_nationality_of_people_is_in_passing(small: Gazetteer) -> None:
    assert geotag("Sudanese refugees pour into Chad", "", small).codes == ("TD",)
    # Alone, it is all there is.
    assert geotag("Malians queue for fuel", "", small).codes == ("ML",)


def test_nationality_of_the_state_is_direct(small: Gazetteer) -> None:
    tag = geotag("Le gouvernement ivoirien dément toute rupture avec le Mali", "", small)
    assert tag.codes == ("CI", "ML")
    tag = geotag("Nigerien and Malian troops patrol near Kidal", "", small)
    assert codes(tag) == {"ML", "NE"} and tag.primary == "ML"


def test_a_single_foreign_city_is_a_venue(full: Gazetteer) -> None:
    assert geotag("Ghana's president, on a visit to London, promises reforms", "", full).codes == (
        "GH",
    )
    # Alone, it is the setting.
    assert geotag("Protests in Nairobi over taxes", "", full).codes == ("KE",)
    # Several towns of one foreign country make it a setting too.
    assert "KE" in geotag("Talks in Nairobi", "Delegates then went to Mombasa.", full).codes


def test_currency_alone_names_its_country(full: Gazetteer) -> None:
    assert geotag("Le naira recule face au dollar américain", "", full).codes == ("NG",)
    assert geotag("The cedi steadies", "", full).codes == ("GH",)
    assert geotag("Rand Paul speaks", "", full).codes != ("ZA",)  # capitalised: a name


def test_curated_villages_head_a_dateline(full: Gazetteer) -> None:
    tag = geotag("Karimama : les habitants fuient", "", full)
    assert tag.codes == ("BJ",)


def test_the_surname_next_to_a_first_name_is_no_place(small: Gazetteer, full: Gazetteer) -> None:
    assert geotag("Jordan Henderson signs a one-year extension", "", full).codes == ()
    assert geotag("Georgia O'Keeffe paintings sold", "", small).codes == ()
