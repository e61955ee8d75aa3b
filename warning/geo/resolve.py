"""Which countries an item is about, and the places behind them.

Three steps:

1. **Match** (:mod:`warning.geo.mentions`): the longest gazetteer name at each word
   of title and text, with what its context says; people's names are left out.
2. **Choose.** A name with candidates in several countries (a town in two countries,
   "Congo", "Georgia", the acronym CNSP) goes to a country the item otherwise names;
   failing that, to the gazetteer's default: the country before the region, the
   countries of first concern first, then the most populous. Actors count in the years
   of their role (outside them, at a discount, only if the name has no other reading).
   Look-alikes ("River Niger") count for what they really are.
3. **Weigh** (:class:`Evidence`). Each mention adds a weight by kind times a title
   bonus; several places in one country add up. Evidence comes in three grades:
   *direct* (a country, a region, a town of first concern, an actor, a currency, or a
   nationality word next to a noun of the state, "l'armée malienne"), *demonym* (a
   nationality on people: "Sudanese refugees", "French tourists") and *venue* (a single
   foreign city: "talks in Geneva"). Only the countries with the best grade present are
   kept, and of those only the ones near the top country's evidence: the rest were
   mentioned in passing. A title that opens with a place and a colon ("Mali : ...")
   names its subject; the other places in it count as if in the body. Scores are
   ``1 - exp(-w / 2)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from ..records import CountryScore, GeoTag, Place
from .gazetteer import FIRST_CONCERN, Entry, Gazetteer
from .mentions import BIG_CITY, Mention, find
from .roles import ROLE_KINDS, ROLE_WEIGHT

#: Evidence per mention, by kind of name: naming the country is the surest sign.
WEIGHTS = {
    "country": 1.0,
    "capital": 0.8,
    "admin1": 0.8,
    "region": 0.8,
    "not_place": 0.8,
    "city": 0.7,
    "actor": 0.8,
    "demonym": 0.7,
    "currency": 0.7,
}
#: How much more a mention in the title counts than one in the body.
TITLE_BONUS = 2.5
#: A country is kept when its evidence is at least this share of the top country's...
KEEP_RATIO = 0.4
#: ...or this share when the title names the top country and not this one.
BODY_RATIO = 0.6
#: How much an actor counts outside the years of its role, when its name has no other
#: reading (0 to count actors only in their years).
OUT_OF_TERM = 0.5
#: Towns outside the countries of first concern smaller than this need support (and
#: smaller than :data:`~warning.geo.mentions.BIG_CITY` when they open a sentence or
#: stand next to other capitalised words).
BIG_TOWN = 100_000
#: Villages (in the countries of first concern) smaller than this need support when
#: their name opens a sentence.
VILLAGE = 10_000

# Grades of evidence, best first (see the module docstring).
DIRECT, DEMONYM, VENUE = 0, 1, 2


def _usable(e: Entry, year: int, m: Mention) -> bool:
    if e.kind == "actor":
        return e.years is None or e.years[0] <= year <= e.years[1]
    if e.kind == "currency":
        return not m.cap  # "the rand", not "Rand Paul"
    if e.kind != "city" or e.role is not None:
        return True  # curated places are trusted whatever their size
    if e.countries[0] not in FIRST_CONCERN:
        # A foreign town that is small, opens a sentence ("Police said") or stands
        # next to other capitalised words ("Victor Osimhen") is too likely something
        # else to count on its own.
        if m.initial or m.in_name:
            return e.population >= BIG_CITY
        return e.population >= BIG_TOWN
    if m.in_name and e.population < BIG_TOWN:
        return False  # "Bobi Wine", "Ahmadou Bamba"
    # A village that opens a sentence may be a word; one that heads a dateline is not.
    return not (m.initial and not m.dateline and e.population < VILLAGE)


def _choose(m: Mention, year: int, anchors: dict[str, float]) -> tuple[Entry | None, float]:
    """The entry a mention most likely means, given the countries the item anchors,
    and how much it counts (less for an actor named outside the years of its role)."""
    usable = [e for e in m.entries if _usable(e, year, m)]
    look_alike = next((e for e in usable if e.kind == "not_place"), None)
    if look_alike is not None:
        # "Benin City" is decided; a town of that name in that country, if the
        # gazetteer has one, is the same thing with a point.
        same = [e for e in usable if e.kind != "not_place" and e.countries == look_alike.countries]
        return (same[0] if look_alike.countries and same else look_alike), 1.0
    supported = [e for e in usable if any(c in anchors for c in e.countries)]
    if supported:
        return max(supported, key=lambda e: max(anchors.get(c, 0.0) for c in e.countries)), 1.0
    if usable:
        return usable[0], 1.0
    # Weak or small foreign towns still count where their country is named.
    for e in m.entries:
        if e.kind != "actor" and e.countries and e.countries[0] in anchors:
            return e, 1.0
    # An actor out of the years of its role ("Bazoum, detained since 2023") still
    # points at its country when the name has no other reading.
    actors = [e for e in m.entries if e.kind == "actor" and e.years]
    if OUT_OF_TERM and actors and len({e.countries for e in actors}) == 1:
        return min(actors, key=lambda e: _years_away(year, e.years)), OUT_OF_TERM
    return None, 0.0


def _years_away(year: int, years: tuple[int, int] | None) -> int:
    if years is None:
        return 0
    return max(years[0] - year, year - years[1], 0)


def _unambiguous(m: Mention, year: int) -> str | None:
    """The one country a mention can mean, if only one (and it is no look-alike)."""
    countries = {c for e in m.entries if _usable(e, year, m) for c in e.countries}
    if len(countries) == 1 and not any(e.kind == "not_place" for e in m.entries):
        return next(iter(countries))
    return None


def _countries_of(e: Entry, anchors: dict[str, float]) -> tuple[str, ...]:
    """The countries an entry counts for in this item.

    A zone of several countries counts for those the item otherwise names, else for
    all; an actor of several (an armed group) for those named, else for its main
    theatre (listed first). Either counts for none when the item names only other
    countries ("JNIM attack in Karimama": the group is a visitor there).
    """
    if len(e.countries) <= 1:
        return e.countries
    named = tuple(c for c in e.countries if c in anchors)
    if named or anchors:
        return named
    return e.countries[:1] if e.kind == "actor" else e.countries


def _role(e: Entry, m: Mention) -> str | None:
    """The mention's role (roles.py) where it applies to this kind of name."""
    return m.role if m.role is not None and e.kind in ROLE_KINDS[m.role] else None


def _grade(e: Entry, m: Mention) -> int:
    role = _role(e, m)
    if role == "nationality":
        return DEMONYM  # people from there, as "French tourists"
    if role in ("host", "owner"):
        return VENUE  # a place things about another country happen in
    if e.kind == "demonym":
        return DIRECT if m.state else DEMONYM
    if e.kind in ("city", "capital") and e.countries[0] not in FIRST_CONCERN:
        return VENUE
    return DIRECT


@dataclass(slots=True)
class Evidence:
    """What an item says about each country, weighed as its mentions are credited.

    :meth:`add` is the one place a mention's weight reaches a country: how much a
    country counts for having been named one way or another (its kind, the title, a
    share of a zone) is decided there, and :meth:`about` decides from the totals.
    """

    #: Country -> summed weight of its mentions, each discounted by its role: what
    #: decides which countries the item is about.
    weight: dict[str, float] = field(default_factory=dict)
    #: Country -> the same without the discounts: how much a kept country is named,
    #: its score ("Mali condemns the attack" is about Mali as much as "attack in Mali").
    named: dict[str, float] = field(default_factory=dict)
    #: Country -> the best grade of evidence for it (DIRECT, DEMONYM, VENUE).
    grade: dict[str, int] = field(default_factory=dict)
    #: Country -> the foreign towns that are its only evidence (venues).
    towns: dict[str, set[str]] = field(default_factory=dict)
    #: Countries named with the title bonus.
    titled: set[str] = field(default_factory=set)
    #: Country -> position of its first mention.
    first: dict[str, int] = field(default_factory=dict)

    def add(self, e: Entry, m: Mention, countries: tuple[str, ...], factor: float) -> None:
        """Credit mention ``m``, read as ``e``, to ``countries`` (shared equally)."""
        g = _grade(e, m)
        kind = "country" if e.kind == "demonym" and m.state == 2 else e.kind
        weight = WEIGHTS.get(kind, 0.5) * (TITLE_BONUS if m.title_weight else 1.0)
        weight *= factor / len(countries)
        role = _role(e, m)
        discount = ROLE_WEIGHT[role] if role else 1.0
        for c in countries:
            self.weight[c] = self.weight.get(c, 0.0) + weight * discount
            self.named[c] = self.named.get(c, 0.0) + weight
            self.grade[c] = min(self.grade.get(c, g), g)
            if g == VENUE:
                self.towns.setdefault(c, set()).add(e.name)
            self.first.setdefault(c, m.pos)
            if m.title_weight and role is None:
                self.titled.add(c)

    def about(self) -> list[str]:
        """The countries the item is about, most salient first; the rest were in passing."""
        evidence, grade, first = self.weight, self.grade, self.first
        # A country known from several of its towns is a setting, not a venue.
        for c, names in self.towns.items():
            if len(names) > 1 and grade[c] == VENUE:
                grade[c] = DIRECT
        best = min(grade.values())
        graded = [c for c in evidence if grade[c] == best]
        # Rank by evidence; at equal evidence a country of first concern, then the first named.
        ranked = sorted(graded, key=lambda c: (-evidence[c], c not in FIRST_CONCERN, first[c]))
        top = ranked[0]
        kept = [top]
        for c in ranked[1:]:
            # A country only in the body, when the title names another, needs more.
            ratio = BODY_RATIO if top in self.titled and c not in self.titled else KEEP_RATIO
            if evidence[c] >= ratio * evidence[top]:
                kept.append(c)
        return kept

    def score(self, country: str) -> float:
        """A country's evidence as a score from 0 to 1."""
        return round(1.0 - math.exp(-self.named[country] / 2.0), 3)


def geotag(
    title: str,
    text: str,
    gazetteer: Gazetteer,
    *,
    when: date | None = None,
    lang: str | None = None,
) -> GeoTag:
    """The countries ``title`` + ``text`` are about, most salient first, with places.

    ``when`` (the item's date) decides which actors apply; without it, this year.
    ``lang`` is a hint: French headlines are never in Title Case, so capitals in a
    French title always carry information.
    """
    year = (when or date.today()).year
    mentions = find(title, text, gazetteer, lang)

    # Countries the item names unambiguously anchor the ambiguous mentions.
    anchors: dict[str, float] = {}
    for m in mentions:
        c = _unambiguous(m, year)
        if c:
            anchors[c] = anchors.get(c, 0.0) + (TITLE_BONUS if m.title_weight else 1.0)

    evidence = Evidence()
    chosen: list[tuple[Entry, Mention, tuple[str, ...]]] = []
    for m in mentions:
        e, factor = _choose(m, year, anchors)
        if e is None:
            continue
        countries = _countries_of(e, anchors)
        if not countries:
            continue
        evidence.add(e, m, countries, factor)
        chosen.append((e, m, countries))
    if not evidence.weight:
        return GeoTag()
    kept = evidence.about()
    scores = tuple(CountryScore(c, evidence.score(c)) for c in kept)
    return GeoTag(scores, _places(chosen, set(kept)))


def _places(
    chosen: list[tuple[Entry, Mention, tuple[str, ...]]], keep: set[str]
) -> tuple[Place, ...]:
    """The matched places of the kept countries, once per name and country."""
    places: dict[tuple[str, str], Place] = {}
    for e, m, countries in chosen:
        if e.kind == "currency":
            continue  # evidence, not a place
        kind = "region" if e.kind == "not_place" else e.kind
        admin1 = e.admin1 if kind not in ("country", "demonym", "actor") else None
        for c in countries:
            found = places.get((e.name, c))
            if c in keep and (found is None or (m.in_title and not found.in_title)):
                places[(e.name, c)] = Place(e.name, c, kind, admin1, e.lat, e.lon, m.in_title)
    return tuple(places.values())
