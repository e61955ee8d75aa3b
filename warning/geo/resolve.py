"""Which countries an item is about, and the places behind them.

Three steps:

1. **Match.** Title and text are split into word tokens; at each token the longest
   gazetteer name that starts there wins, so "Niger Delta", "Guinea-Bissau" and
   "Benin City" beat "Niger", "Guinea" and "Benin". A name written capitalised in the
   data must be capitalised in the text (a town called Man, a "turkey"), an acronym
   must be in capitals, a currency ("the naira") in lower case; a country name that is
   also a given name ("Chad", "Jordan") is dropped, with the surname next to it, where
   the words around it make a person's name.
2. **Choose.** A name with candidates in several countries (a town in two countries,
   "Congo", "Georgia", the acronym CNSP) goes to a country the item otherwise names;
   failing that, to the gazetteer's default: the country before the region, the
   countries of first concern first, then the most populous. Actors count in the years
   of their role (outside them, at a discount, only if the name has no other reading).
   Look-alikes ("River Niger") count for what they really are.
3. **Weigh.** Each mention adds a weight by kind times a title bonus; several places in
   one country add up. Evidence comes in three grades: *direct* (a country, a region,
   a town of first concern, an actor, a currency, or a nationality word next to a noun
   of the state, "l'armée malienne"), *demonym* (a nationality on people: "Sudanese
   refugees", "French tourists") and *venue* (a single foreign city: "talks in
   Geneva"). Only the countries with the best grade present are kept, and of those
   only the ones near the top country's evidence: the rest were mentioned in passing.
   A title that opens with a place and a colon ("Mali : ...") names its subject; the
   other places in it count as if in the body. Scores are ``1 - exp(-w / 2)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from ..records import CountryScore, GeoTag, Place
from .gazetteer import ACRONYM, CAP, FIRST_CONCERN, Entry, Gazetteer
from .names import Token, tokens

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
#: Towns outside the countries of first concern smaller than this need support.
BIG_TOWN = 100_000
#: ...and smaller than this when they open a sentence or stand next to other
#: capitalised words ("Police said", "Victor Osimhen").
BIG_CITY = 250_000
#: Villages (in the countries of first concern) smaller than this need support when
#: their name opens a sentence.
VILLAGE = 10_000

# Grades of evidence, best first (see the module docstring).
DIRECT, DEMONYM, VENUE = 0, 1, 2


def _words(*lines: str) -> frozenset[str]:
    return frozenset(" ".join(lines).split())


# Words that may stand capitalised right before a country name without making it a
# person's surname ("Lake Chad", "Northern Chad", "Neighbouring Jordan").
_BEFORE_PLACE = _words(
    "in into from to for with by at of across against and or both the a an on near "
    "neighbouring neighboring northern southern eastern western central north south "
    "east west lake republic kingdom state river basin troops army en au aux du de des "
    "le la les vers pour par sur avec et nord sud est ouest lac pres dans"
)
# Capitalised words that often follow a place name without making it part of a
# person's or an organisation's name ("Kano State", "Gao Airport").
_AFTER_PLACE = _words(
    "state region province district city county department prefecture airport river "
    "lake governor governorate mayor police university council town village area zone "
    "road highway market prison camp base court division sector commune municipality "
    "north south east west northern southern eastern western central said says and "
    "on in of to for president presidential army military junta government troops "
    "forces minister ministry prime opposition election elections border capital "
    "national security authorities officials leader parliament assembly coup crisis "
    "basin team federation embassy ambassador foreign interior defence defense health "
    "news times post tribune herald republic"
)
_PARTICLES = _words("le la de du da di van von der al el bin ben")
# Nouns of the state: a nationality word next to one of them ("le gouvernement
# ivoirien", "the Nigerien junta") says the state acts, which is as good as naming the
# country; next to a noun of its forces or officials ("Malian troops", "a Ghanaian
# delegation") it is direct evidence of a nationality's weight (foreign troops are
# often only visitors); next to other nouns ("Sudanese refugees", "le dollar
# américain") it says only where people or things come from.
_STATE_NOUNS = _words(
    "government governments junta president presidency authorities ministry minister "
    "ministers parliament state regime leader leaders leadership opposition court courts "
    "justice prime election elections electoral electorate people nation "
    "gouvernement gouvernements junte presidente presidence autorites ministere ministre "
    "ministres parlement etat regime dirigeants dirigeant pouvoir opposants cour premier "
    "electorale peuple chef"
)
_OFFICIAL_NOUNS = _words(
    "army armies troops soldiers soldier forces force military police gendarmerie navy "
    "delegation delegations envoy envoys officials official diplomats diplomat diplomacy "
    "embassy ambassador mission contingent armee armees troupes soldats militaires "
    "gendarmes marechal general colonel capitaine delegue delegues envoye envoyes "
    "diplomates diplomatie ambassade ambassadeur responsables"
)
_COORDINATION = _words("and or et ou")
_SENTENCE_END = frozenset('.!?:;\n"«»“”|()[]')


@dataclass(slots=True)
class _Mention:
    key: str
    entries: tuple[Entry, ...]
    cap: bool  # written capitalised
    initial: bool  # opens a sentence, or the title is in Title Case
    in_name: bool  # next to other capitalised words: maybe part of a person's name
    dateline: bool  # followed by a colon: "Kafolo : ..."
    state: int  # a nationality word next to a noun of the state (2) or of office (1)
    end: int  # token index after the mention
    in_title: bool = False
    title_weight: bool = False  # counts with the title bonus
    person: bool = False  # part of a person's name: not a mention
    pos: int = 0  # order of appearance across title and text


def _title_case(toks: list[Token]) -> bool:
    """Whether capitals carry no information here ("Floods Hit Northern Nigeria")."""
    long = [t for t in toks if len(t.text) > 3 and t.text.isalpha()]
    return len(long) >= 3 and sum(t.cap for t in long) >= 0.8 * len(long)


def _gap(text: str, toks: list[Token], i: int) -> str:
    """The characters between token i-1 and token i."""
    return text[toks[i - 1].end : toks[i].start]


def _joined(text: str, a: Token, b: Token) -> bool:
    """Whether two tokens can be parts of one name: no punctuation between them."""
    gap = text[a.end : b.start]
    return gap == "." or not gap.strip(" -'’\u00a0\u2010\u2011\u2013")


def _placey(key: str, gaz: Gazetteer, strict: bool) -> bool:
    """Whether a word is itself a likely place: a country, a capital, a nationality, a
    region or (unless ``strict``) a town of first concern or of some size. A surname
    that is also some village's alternate name ("Smith", "Michael") does not count."""
    value = gaz.value(key)
    if value is None:
        return False
    e = gaz.entry(value[1])
    if e.kind != "city":
        return e.kind != "actor"
    big = e.countries[0] in FIRST_CONCERN or e.population >= BIG_CITY if e.countries else False
    return big and not strict


def _proper(tok: Token, gaz: Gazetteer, allowed: frozenset[str], strict: bool) -> bool:
    """Whether a neighbouring token looks like more of a proper name (not a place)."""
    return (
        tok.cap
        and tok.folded not in allowed
        and not (tok.text.isupper() and len(tok.text) > 1)  # an acronym; "O'Keeffe" is not
        and not tok.text.isdigit()
        and not _placey(tok.folded, gaz, strict)
    )


def _in_name(text: str, toks: list[Token], i: int, j: int, gaz: Gazetteer, strict: bool) -> bool:
    """Whether tokens i..j-1 sit inside a longer proper name ("Victor Osimhen")."""
    if j < len(toks) and _gap(text, toks, j) == " ":
        if _proper(toks[j], gaz, _AFTER_PLACE, strict):
            return True  # "Chad Smith", "Bobi Wine"
        if (
            toks[j].folded in _PARTICLES
            and j + 1 < len(toks)
            and _proper(toks[j + 1], gaz, _AFTER_PLACE, strict)
        ):
            return True  # "Chad le Clos"
    # "Michael Jordan", "Ahmadou Bamba"
    return i > 0 and _gap(text, toks, i) == " " and _proper(toks[i - 1], gaz, _BEFORE_PLACE, strict)


def _state_noun_near(toks: list[Token], i: int, j: int, gaz: Gazetteer) -> int:
    """2 if a noun of the state stands within two words of tokens i..j-1, 1 if a noun
    of its forces or officials does, else 0. Coordinated nationalities are stepped
    over: "Nigerien and Malian troops", "les soldats maliens et nigériens"."""

    def skip(k: int, step: int) -> int:
        while 0 <= k < len(toks) and (
            toks[k].folded in _COORDINATION or _is_demonym(toks[k].folded, gaz)
        ):
            k += step
        return k

    after = skip(j, 1)
    before = skip(i - 1, -1) + 1
    near = {t.folded for t in toks[max(0, before - 2) : before] + toks[after : after + 2]}
    return 2 if near & _STATE_NOUNS else 1 if near & _OFFICIAL_NOUNS else 0


def _is_demonym(key: str, gaz: Gazetteer) -> bool:
    value = gaz.value(key)
    return value is not None and any(gaz.entry(k).kind == "demonym" for k in value[1:])


def _match(
    text: str, toks: list[Token], gaz: Gazetteer, titlecase: bool, lowercase: bool
) -> list[_Mention]:
    # What each key is, from the gazetteer's cache of recent lookups where it can be
    # (nearly every word of ordinary text), else from its table.
    found, probe, person = gaz.found.get, gaz.probe, gaz.person_names
    out: list[_Mention] = []
    n = len(toks)
    i = 0
    while i < n:
        key = toks[i].folded
        best: tuple[int, tuple[int, ...]] | None = None
        j = i
        while True:
            value, partial = found(key) or probe(key)
            if value is not None:
                flags = value[0]
                if (not flags & CAP or toks[i].cap or lowercase) and (
                    not flags & ACRONYM or all(t.text.isupper() for t in toks[i : j + 1])
                ):
                    best = (j + 1, value)
            if not partial or j + 1 >= n or not _joined(text, toks[j], toks[j + 1]):
                break
            j += 1
            key = f"{key} {toks[j].folded}"
        if best is None:
            i += 1
            continue
        end, value = best
        entries = tuple(gaz.entry(k) for k in value[1:])
        mkey = " ".join(t.folded for t in toks[i:end])
        after = text[toks[end - 1].end : toks[end].start if end < n else len(text)]
        m = _Mention(
            key=mkey,
            entries=entries,
            cap=toks[i].cap,
            initial=titlecase or i == 0 or any(c in _SENTENCE_END for c in _gap(text, toks, i)),
            in_name=not titlecase and _in_name(text, toks, i, end, gaz, mkey in person),
            dateline=after.lstrip().startswith(":"),
            state=_state_noun_near(toks, i, end, gaz)
            if any(e.kind == "demonym" for e in entries)
            else 0,
            end=end,
        )
        if m.in_name and mkey in person:
            # A country's name as a person's name: neither it nor the name next to it
            # ("Jordan Henderson": Henderson is also a town) is a place.
            m.person = True
            if out and out[-1].end == i and _gap(text, toks, i) == " ":
                out[-1].person = True
        elif out and out[-1].person and out[-1].end == i and _gap(text, toks, i) == " ":
            m.person = True
        out.append(m)
        i = end
    return out


def _usable(e: Entry, year: int, m: _Mention) -> bool:
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


def _choose(m: _Mention, year: int, anchors: dict[str, float]) -> tuple[Entry | None, float]:
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


def _unambiguous(m: _Mention, year: int) -> str | None:
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


def _grade(e: Entry, m: _Mention) -> int:
    if e.kind == "demonym":
        return DIRECT if m.state else DEMONYM
    if e.kind in ("city", "capital") and e.countries[0] not in FIRST_CONCERN:
        return VENUE
    return DIRECT


def _about(
    evidence: dict[str, float],
    grade: dict[str, int],
    towns: dict[str, set[str]],
    titled: set[str],
    first: dict[str, int],
) -> list[str]:
    """The countries the item is about, most salient first; the rest were in passing."""
    # A country known from several of its towns is a setting, not a venue.
    for c, names in towns.items():
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
        ratio = BODY_RATIO if top in titled and c not in titled else KEEP_RATIO
        if evidence[c] >= ratio * evidence[top]:
            kept.append(c)
    return kept


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
    t_toks = tokens(title)
    b_toks = tokens(text)
    lowercase = not any(t.cap for t in t_toks) and not any(t.cap for t in b_toks)
    titlecase = lang != "fr" and _title_case(t_toks)
    heads = _match(title, t_toks, gazetteer, titlecase, lowercase)
    # "Mali : la France retire ses troupes" is about Mali; France counts as in a body.
    topic = bool(heads) and heads[0].dateline and not heads[0].person
    for k, m in enumerate(heads):
        m.in_title = True
        m.title_weight = not topic or k == 0
    mentions = heads + _match(text, b_toks, gazetteer, False, lowercase)
    if titlecase:
        # Capitals in a Title Case title say nothing; the body, where "Bobi Wine" or
        # "Chad Le Clos" is written in sentence case, tells whose name it is.
        named = {m.key for m in mentions if m.in_name}
        people = {m.key for m in mentions if m.person}
        for m in mentions:
            m.in_name = m.in_name or m.key in named
            m.person = m.person or m.key in people
    mentions = [m for m in mentions if not m.person]
    for pos, m in enumerate(mentions):
        m.pos = pos

    # Countries the item names unambiguously anchor the ambiguous mentions.
    anchors: dict[str, float] = {}
    for m in mentions:
        c = _unambiguous(m, year)
        if c:
            anchors[c] = anchors.get(c, 0.0) + (TITLE_BONUS if m.title_weight else 1.0)

    evidence: dict[str, float] = {}
    grade: dict[str, int] = {}
    towns: dict[str, set[str]] = {}
    titled: set[str] = set()
    first: dict[str, int] = {}
    chosen: list[tuple[Entry, _Mention, tuple[str, ...]]] = []
    for m in mentions:
        e, factor = _choose(m, year, anchors)
        if e is None:
            continue
        countries = _countries_of(e, anchors)
        if not countries:
            continue
        g = _grade(e, m)
        kind = "country" if e.kind == "demonym" and m.state == 2 else e.kind
        weight = WEIGHTS.get(kind, 0.5) * (TITLE_BONUS if m.title_weight else 1.0)
        weight *= factor / len(countries)
        for c in countries:
            evidence[c] = evidence.get(c, 0.0) + weight
            grade[c] = min(grade.get(c, g), g)
            if g == VENUE:
                towns.setdefault(c, set()).add(e.name)
            first.setdefault(c, m.pos)
            if m.title_weight:
                titled.add(c)
        chosen.append((e, m, countries))
    if not evidence:
        return GeoTag()
    kept = _about(evidence, grade, towns, titled, first)
    scores = tuple(CountryScore(c, round(1.0 - math.exp(-evidence[c] / 2.0), 3)) for c in kept)
    return GeoTag(scores, _places(chosen, set(kept)))


def _places(
    chosen: list[tuple[Entry, _Mention, tuple[str, ...]]], keep: set[str]
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
