"""Disputed votes: whether an item's words say that a vote or its result is challenged.

The classifier learns that elections under dispute come with results, candidates and
commissions, so it also scores a routine result (provisional figures proclaimed, a
winner announced, a loser conceding and congratulating) as ``election_dispute``. The
labelling guide asks for "a challenge to the vote or its results"; this module checks
that the item has some word of one, in English or French, with regular expressions over
the folded text (lower case, accents stripped); see docs/disputes.md.

A precision filter, generous on purpose: a dispute of any kind must pass, and only an
item with no dispute vocabulary at all fails. Kinds of words, each a cue:

- fraud and its forms: rigging, irregularities, ballot stuffing, vote buying, "sham",
  "mascarade", "hold-up électoral", a stolen election;
- a challenge: rejects, contests, disputes, challenges, denounces the vote or its result,
  court petitions, appeals, annulment, invalidation, recounts, "recours", "contentieux";
- refusal to concede, rival or self-proclaimed victory ("declares himself winner",
  "s'autoproclame", "revendique la victoire");
- boycotts and excluded candidates (disqualified, barred, "candidature rejetée");
- a vote postponed, delayed, cancelled or suspended, a transition extended past it;
- trouble around the vote: protests, clashes, violence, deaths, arrests, curfews, tear
  gas, internet shutdowns, crisis and tension ("crise post-électorale").

A cue preceded by a negation ("no challenges filed", "sans incident ni violence",
"aucun recours", "n'a pas contesté") does not count. The text read is the one the
classifier read (warning.classify.text.opening): a headline and a lede or two.

Linear time: the text is cut to that opening first, and the patterns have only
bounded repetitions.
"""

from __future__ import annotations

import re

from warning.classify.text import fold, opening

#: The label this check applies to.
LABEL = "election_dispute"


def _any(*alternatives: str) -> str:
    return r"\b(?:" + "|".join(alternatives) + r")"


_FRAUD = _any(
    r"fraud\w*", r"rigg\w*", r"rigs?\b", r"irregularit\w*", r"ballot[\s-]stuff\w*",
    r"stuff\w*\s+(?:the\s+)?ballot", r"vote[\s-]buying", r"tamper\w*", r"manipulat\w*", r"sham\b",
    r"farce\b", r"fiction\b", r"fabricat\w*", r"over-?voting", r"miscarriage", r"opaqu\w*",
    r"disown\w*", r"falsif\w*", r"proof", r"evidence", r"travesty", r"stolen", r"steal\w*",
    r"hijack\w*", r"flawed", r"discrepanc\w*", r"inflated", r"cries?\s+foul", r"cry\s+foul",
    r"foul\s+play", r"allegation\w*", r"alleg\w*", r"illegitima\w*",
    r"not\s+(?:been\s+)?free\s+(?:and|or)\s+fair", r"credib\w*", r"intimidat\w*", r"illeg\w*",
    r"fell\s+short", r"rebuk\w*", r"(?:do|does|did)\s+not\s+(?:match|meet|reflect)", r"mismatch\w*",
    r"(?:results?|tall(?:y|ies)|figures)\s+(?:were\s+|have\s+been\s+)?(?:changed|altered)",
    # French
    r"truqu\w*", r"triche\w*", r"bourr\w*", r"achat\s+de\s+(?:voix|conscience)", r"mascarade",
    r"hold-up", r"braquage", r"(?:elections?|victoire|scrutins?|votes?)\s+vole\w*", r"forfaiture",
    r"fabrique\w*", r"gonfl\w*", r"ne\s+correspond\w*\s+pas", r"differend\w*", r"desaveu",
    r"boulevers\w*", r"vol\s+(?:electoral|de\s+(?:la\s+)?victoire|des\s+voix)", r"simulacre",
    r"parodie", r"coup\s+d'etat\s+electoral", r"irregul\w*", r"anomalies", r"incoherences?",
    r"opacite", r"non\s+credibles?", r"credibilite",
)  # fmt: skip
_CHALLENGE = _any(
    r"reject\w*", r"contest(?:s|ed|ing)\b", r"disput\w*", r"challeng\w*", r"denounc\w*",
    r"condemn\w*", r"protest\w*", r"petition\w*", r"appeal\w*", r"lawsuit", r"sues?\b", r"sued",
    r"tribunal", r"annul\w*", r"nullif\w*", r"invalidat\w*", r"overturn\w*", r"quash\w*",
    r"question\b", r"demand\w*", r"resist\w*", r"void\b", r"re-?count\w*", r"re-?run",
    r"re-?tally\w*", r"audit\w*", r"objection\w*", r"complain\w*", r"question(?:s|ed|ing)\b",
    r"doubts?\b", r"refus\w*", r"not\s+recogni[sz]e", r"won't\s+recogni[sz]e",
    r"(?:has|have)n't\s+conceded", r"(?:not|yet\s+to|never)\s+(?:\w+\s+)?concede\w*",
    r"(?:won't|will\s+not)\s+concede", r"not\s+(?:\w+\s+){0,2}(?:congratulat|accept|recogni)\w*",
    # French
    r"rejet\w*", r"rejett\w*", r"contest\w*", r"conteste\w*", r"recours", r"requetes?",
    r"saisi\w*\s+(?:la\s+cour|le\s+conseil|la\s+justice|les\s+tribunaux)", r"denonc\w*",
    r"recompt\w*", r"(?:nouveau|second)\s+decompte", r"contentieux", r"exig\w*", r"desobeissance",
    r"invalid\w*", r"litige\w*", r"reclam\w*", r"plainte\w*", r"casse\w*", r"ne\s+reconna\w*\s+pas",
    r"pas\s+reconnu", r"(?:refus\w*|refuse)\s+de\s+reconna\w*", r"reconna\w*\s+pas",
    r"remet\w*\s+en\s+(?:cause|question)", r"mise\s+en\s+cause", r"conteste", r"doute\w*",
    r"reserves",
)  # fmt: skip
_VICTORY = _any(
    r"(?:declar|proclaim)\w*\s+(?:himself|herself|itself|themselves)",
    r"self-(?:proclaimed|declared)", r"claims?\s+(?:of\s+)?victory", r"claimed\s+victory",
    r"claiming\s+victory", r"rival\s+(?:claims?|victory|presidents?|governments?)",
    r"both\s+(?:sides|candidates)\s+claim", r"parallel\s+(?:results|tally|count)",
    r"publish\w*\s+(?:its|their|his|her)\s+own",
    r"(?:its|their|his|her)\s+own\s+(?:results|tall(?:y|ies)|count|figures|swearing-in|inauguration)",
    # French
    r"s'autoproclam\w*", r"autoproclam\w*", r"se\s+(?:proclam|declar)\w*",
    r"se\s+sont\s+proclam\w*", r"revendiqu\w*\s+(?:\w+\s+){0,2}(?:victoire|majorite)",
    r"chacun\s+vainqueur", r"tous\s+(?:les\s+)?deux\s+vainqueurs?", r"resultats\s+parallel\w*",
    r"comptage\s+parallel\w*",
)  # fmt: skip
_EXCLUDED = _any(
    r"boycott\w*", r"disqualif\w*", r"barred", r"banned", r"exclu\w*", r"ineligib\w*",
    r"struck\s+off", r"removed\s+from\s+the\s+ballot", r"block\w*",
    # French
    r"ecart\w*", r"recale\w*", r"empeche\w*", r"interdit\w*", r"chass\w*", r"expuls\w*",
    r"expel\w*",
)  # fmt: skip
_POSTPONED = _any(
    r"postpon\w*", r"delay\w*", r"defer\w*", r"cancel\w*", r"suspend\w*", r"suspension",
    r"put\s+off", r"push\w*\s+back", r"halt\w*", r"extend\w*", r"extension", r"indefinitely",
    r"term\s+limits?", r"third\s+term", r"overstay\w*", r"dissol\w*", r"deadline",
    r"no\s+(?:\w+\s+)?date", r"(?:\w+-year|\w+\s+more\s+years?)", r"disrupt\w*",
    r"(?:will|would|could|can|shall)\s+not\s+(?:open|be\s+held|take\s+place|go\s+ahead)",
    r"won't\s+(?:open|be\s+held|take\s+place|go\s+ahead)",
    r"push\w*\s+(?:the\s+)?(?:\w+\s+)?(?:poll|vote|election)",
    # French; "report" alone is English news, so only its French forms count
    r"report(?:e|ee|es|ees|er|ent|ait)\b", r"report\s+(?:de|du|des|d'|au|a)\b", r"repouss\w*",
    r"dissout\w*", r"sans\s+date", r"aucune\s+date", r"transition\s+de\s+\w+\s+ans", r"perturb\w*",
    r"ne\s+(?:pourra|pourront|sera|seront|se\s+tiendra|aura)\s+pas", r"pas\s+lieu", r"ajourn\w*",
    r"renvo\w*", r"prolong\w*", r"prorog\w*", r"glissement", r"sine\s+die", r"troisieme\s+mandat",
    r"interromp\w*", r"interruption",
)  # fmt: skip
_TROUBLE = _any(
    r"clash\w*", r"violen\w*", r"riot\w*", r"unrest", r"kill\w*", r"dead\b", r"deaths?", r"deadly",
    r"arrest\w*", r"detain\w*", r"detention", r"crackdown", r"curfew", r"tear\s*gas",
    r"internet\s+(?:shutdown|blackout|cut|outage|restrictions?)",
    r"shut\w*\s+down\s+(?:the\s+)?internet", r"crisis", r"tensions?", r"tense", r"standoff",
    r"stand-off", r"stalemate", r"deadlock\w*", r"impasse", r"turmoil", r"chaos", r"uproar",
    r"outcry", r"anger", r"angry", r"furious", r"fury", r"showdown",
    r"against\s+(?:the\s+)?(?:\w+\s+)?(?:election|results?|vote|poll|tally|count|commission)",
    r"armed\s+men", r"disperse\w*", r"set\w*\s+fire", r"grenade\w*", r"molotov", r"officers",
    r"gunmen", r"burn\w*", r"torch\w*", r"seiz\w*", r"raid\w*", r"attack\w*", r"soldiers",
    r"troops", r"coup",
    # French
    r"heurts", r"affrontement\w*", r"emeute\w*", r"troubles", r"morts?\b", r"tues?\b", r"blesses",
    r"interpell\w*", r"arret(?:e|es|ee|ees|ent|er|ation|ations)\b",
    r"pill(?:e|es|ee|ees|age|ages|ent|ards?)\b", r"brul\w*", r"tirs", r"gendarm\w*",
    r"prise\s+du\s+pouvoir", r"officiers", r"detenu\w*", r"repression",
    r"contre\s+(?:le|la|les|l')\s*(?:\w+\s+)?(?:scrutin|resultats?|elections?|vote|commission|ceni|proclamation)",
    r"couvre-feu", r"gaz\s+lacrymogene\w*", r"coupure\w*", r"internet\s+coupe", r"crise\w*",
    r"tension\w*", r"tendu\w*", r"colere", r"manifest\w*", r"bras\s+de\s+fer", r"blocage",
    r"bloqu\w*", r"incendi\w*", r"saccag\w*", r"pillage\w*", r"militaires", r"soldats",
    r"hommes\s+armes", r"urnes\s+emport\w*", r"post-?electora\w*",
)  # fmt: skip
_CUE = re.compile("|".join((_FRAUD, _CHALLENGE, _VICTORY, _EXCLUDED, _POSTPONED, _TROUBLE)))

#: A negation just before a cue: "no challenges", "without violence", "aucun recours".
_NEGATED = re.compile(
    r"\b(?:no|not|without|never|nor|free\s+of|absence\s+of|sans|aucune?|ni|pas\s+de|pas\s+d'|"
    r"pas|zero)\s+(?:[\w'-]+\s+){0,2}$"
)
#: How far back a negation is looked for.
_NEGATION_REACH = 40


def dispute_words(title: str, body: str = "") -> str | None:
    """The first words of dispute in an item's opening, or None when it has none."""
    text = fold(opening(f"{title}\n{body}"))
    for match in _CUE.finditer(text):
        before = text[max(0, match.start() - _NEGATION_REACH) : match.start()]
        if not _NEGATED.search(before):
            return match.group()
    return None
