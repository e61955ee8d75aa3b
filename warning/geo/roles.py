"""The part a country plays in an item: where the event happens, or only around it.

Alerts are per country, so an item counts as evidence only for the countries where
its event happens (docs/geography.md, "Roles"). A country can be named prominently
and still be elsewhere:

- **reacting**: the subject of a reaction — it condemns, calls for, welcomes,
  sanctions, suspends, mediates, evacuates or repatriates its citizens ("France
  condemns the coup in Niger", "le Togo rapatrie ses ressortissants du Mali");
- **host**: the venue of talks or a summit about another country ("ECOWAS summit in
  Abuja on the Niger coup");
- **owner**: the owner of an institution on the scene ("l'ambassade de France à
  Niamey" is in Niger);
- **nationality**: where people come from ("une ressortissante suisse enlevée à
  Agadez", "a Swiss national");
- **border**: a neighbour the scene is near ("near the border with Burkina Faso",
  "près de la frontière du Burkina Faso");
- **slogan**: the object of a crowd's chant ("à bas la France", "vive la Russie",
  "down with France"): the crowd is elsewhere.

Each is read from the few words next to the mention, within its sentence, in
English and French (words are folded: no case, no accents). A mention in one of
these roles counts for far less (:data:`ROLE_WEIGHT`), so the country drops out
when another one is where things happen, and stays when it is the only one named
("Mali condemns the attack" is still Mali). Precision first: a mention governed by
a place preposition ("protesters in Niamey denounce ...") is where the reaction
happens, so it keeps its full weight.
"""

from __future__ import annotations

from collections.abc import Sequence

from .names import Token

#: How much a mention counts in each role, against 1.0 where the event happens.
ROLE_WEIGHT = {
    "reacting": 0.1,
    "host": 0.2,
    "owner": 0.1,
    "nationality": 0.2,
    "border": 0.25,
    "slogan": 0.1,
}

#: How far from the mention the words of a role may stand.
WINDOW = 6

# A colon ends the clause too: "Mali : la France salue l'accord" is about Mali. Quotes
# do not: 'La France "condamne la tentative"' is one clause.
_SENTENCE_END = frozenset(".!?:;\n|()[]")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Verb stems of a reaction, in English and French (folded, matched as prefixes).
# Verbs that may also report the event itself ("Niger's government suspends the
# constitution", "sanctions") are left out.
_REACTION_STEMS = tuple(
    sorted(
        _words(
            "condemn denounc deplor react welcom urg appeal warn voic evacuat repatriat "
            "mediat pledg regret criticis criticiz slam call "
            "condamn denonc reagi reagit salu appel exhort evacu rapatri regrett inquiet "
            "preoccup critiqu fustig"
        )
    )
)
# Words that may stand between a reacting subject and its verb: its officials,
# auxiliaries, adverbs, articles ("France's foreign ministry has strongly condemned",
# "le Quai d'Orsay a vivement condamné", "le Ghana s'inquiète").
_SUBJECT_FILLER = _words(
    "s government president presidency foreign ministry minister office spokesman "
    "spokesperson authorities leader leaders officials department secretary state "
    "has have had also strongly firmly swiftly quickly publicly officially immediately "
    "already on it and its the which who "
    "gouvernement president presidence ministre ministere affaires etrangeres porte "
    "parole autorites dirigeants chef diplomatie chancellerie quai orsay a ont avait "
    "aussi fermement vivement deja aussitot officiellement le la les l de du d des et "
    "se est dit qui"
)
# A mention right after one of these is a place where something happens, not a subject.
_PLACE_PREPOSITIONS = _words("in at from inside near a au aux en dans depuis vers chez")
# Words that name a meeting whose venue a following city is ("summit in Abuja").
_MEETINGS = _words(
    "summit talks meeting meetings conference negotiations mediation sommet pourparlers "
    "reunion reunions conference negociations mediation rencontre meet meets met gather "
    "gathered convene convened reunis reunissent"
)
_IN = _words("in a au")
# An institution of a country, on someone else's soil.
_INSTITUTIONS = _words("embassy embassies consulate ambassade ambassades consulat")
# People from a country ("a Swiss national", "ressortissants français").
_NATIONALS = _words(
    "national nationals citizen citizens nationalite ressortissant ressortissants "
    "ressortissante ressortissantes citoyen citoyens citoyenne citoyennes expatriate "
    "expatriates expatrie expatries"
)
# A neighbour the scene is near: a word of nearness, then (within the window) the
# country, alone or with its border ("près de la frontière du Burkina Faso", "close to
# the Malian border"). Not a border someone closes or crosses ("Niger closes its
# border with Benin" is about both).
_NEAR = _words("near close nearby pres proche proximite loin bordering limitrophe")
_ARTICLES = _words("the with of avec de du la le l des d")

#: The kinds of name each role applies to: a town near a border is still in its
#: country, and only a city hosts a summit.
ROLE_KINDS = {
    "reacting": frozenset({"country", "demonym", "capital", "actor"}),
    "host": frozenset({"capital", "city"}),
    "owner": frozenset({"country", "demonym"}),
    "nationality": frozenset({"country", "demonym"}),
    "border": frozenset({"country", "demonym"}),
    "slogan": frozenset({"country", "demonym", "actor"}),
}


def _breaks(text: str, toks: Sequence[Token], k: int) -> bool:
    """Whether the gap before token k ends a clause."""
    return not _SENTENCE_END.isdisjoint(text[toks[k - 1].end : toks[k].start])


def _before(text: str, toks: Sequence[Token], i: int, n: int) -> list[str]:
    """Up to ``n`` words before token i, nearest first, within its clause."""
    out: list[str] = []
    k = i - 1
    while k >= 0 and len(out) < n and not _breaks(text, toks, k + 1):
        out.append(toks[k].folded)
        k -= 1
    return out


def _after(text: str, toks: Sequence[Token], j: int, n: int) -> list[Token]:
    """Up to ``n`` tokens from token j on, within the clause of token j - 1."""
    out: list[Token] = []
    k = j
    while k < len(toks) and len(out) < n and not _breaks(text, toks, k):
        out.append(toks[k])
        k += 1
    return out


def _reacting(text: str, toks: Sequence[Token], before: list[str], j: int) -> bool:
    if before and (
        before[0] in _PLACE_PREPOSITIONS
        or (len(before) > 1 and before[0] in ("le", "la", "l") and before[1] in ("a", "de"))
    ):
        return False
    for tok in _after(text, toks, j, WINDOW):
        word = tok.folded
        if word.startswith(_REACTION_STEMS):
            return True
        # Other subjects in a list, or a named official ("Ghana's president John
        # Mahama"), may stand between; anything else ends the subject.
        if word not in _SUBJECT_FILLER and not tok.cap:
            return False
    return False


def _slogan(before: list[str]) -> bool:
    """Whether the words before a mention (nearest first) open a chant."""
    words = [w for w in before[:4] if w not in ("the", "la", "le", "l", "les")]
    return bool(words) and (
        words[0] in ("vive", "vivent")
        or words[:2] in (["bas", "a"], ["with", "down"], ["live", "long"])
    )


def role(text: str, toks: Sequence[Token], i: int, j: int) -> str | None:
    """The role of the country named by tokens i..j-1 of ``text``, or None where its
    event happens (see the module docstring)."""
    before = _before(text, toks, i, WINDOW)
    after = [t.folded for t in _after(text, toks, j, 2)]
    near = [w for w in before if w not in _ARTICLES][:2]  # the nearest content words
    first_after = after[0] if after else ""
    if any(w in _INSTITUTIONS for w in near) or first_after in _INSTITUTIONS:
        return "owner"
    # "ressortissants français", "de nationalité suisse", "a Swiss national"; not
    # "its nationals from Burkina Faso", where the country is the scene.
    if (before and before[0] in _NATIONALS) or first_after in _NATIONALS:
        return "nationality"
    if any(w in _NEAR for w in before):
        return "border"
    if _slogan(before):
        return "slogan"
    if before and before[0] in _IN and any(w in _MEETINGS for w in before[1:]):
        return "host"
    if _reacting(text, toks, before, j):
        return "reacting"
    return None
