"""Finding the gazetteer's names in an item's title and text: the resolver's first step.

Title and text are split into word tokens; at each token the longest gazetteer name
that starts there wins, so "Niger Delta", "Guinea-Bissau" and "Benin City" beat
"Niger", "Guinea" and "Benin". A name written capitalised in the data must be
capitalised in the text (a town called Man, a "turkey"), an acronym must be in
capitals, a currency ("the naira") in lower case; a country name that is also a given
name ("Chad", "Jordan") is dropped, with the surname next to it, where the words
around it make a person's name. Each :class:`Mention` keeps what its context says
(sentence-initial, inside a longer proper name, a dateline, a nationality next to a
noun of the state) for :mod:`warning.geo.resolve` to choose and weigh.
"""

from __future__ import annotations

from dataclasses import dataclass

from .gazetteer import ACRONYM, CAP, FIRST_CONCERN, Entry, Gazetteer
from .names import Token, tokens
from .roles import role

#: Towns outside the countries of first concern smaller than this need support when
#: they open a sentence or stand next to other capitalised words ("Police said",
#: "Victor Osimhen"); a word next to a name that names a town this big is taken as a
#: place, not as more of a person's name.
BIG_CITY = 250_000


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
class Mention:
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
    role: str | None = None  # the country's part if not where the event is (roles.py)


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
) -> list[Mention]:
    # What each key is, from the gazetteer's cache of recent lookups where it can be
    # (nearly every word of ordinary text), else from its table.
    found, probe, person = gaz.found.get, gaz.probe, gaz.person_names
    out: list[Mention] = []
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
        m = Mention(
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
            role=role(text, toks, i, end),
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


def find(title: str, text: str, gazetteer: Gazetteer, lang: str | None = None) -> list[Mention]:
    """The names in ``title`` and ``text``, in order of appearance, people's names left out.

    ``lang`` is a hint: French headlines are never in Title Case, so capitals in a
    French title always carry information.
    """
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
    return mentions
