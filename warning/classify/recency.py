"""Old news: whether an item is about a past event rather than a new one.

Anniversaries, retrospectives, trials of past plotters and pieces about a dated old
event score like the event itself ("coup", "attentat") but report nothing new. This
module finds the words that say so, in English and French, with regular expressions
over the folded text (lower case, accents stripped); see docs/recency.md.

Rules, precision first (a new coup or attack report must never be flagged):

1. Cues are looked for in the title and the body's first sentence only; news says what
   happened first. Kinds, in the order one is reported: ``trial`` (a trial, sentence or
   charge word next to coup/putsch/attack words), ``anniversary`` ("anniversary",
   "commémoration", "N years ago", "il y a N ans", "N years since", "jour pour jour"),
   ``retrospective`` ("N years after/later/on", "N ans après", "retour sur",
   "que reste-t-il", "a look back", "lessons from"), ``old-date`` (an event word tied to
   a year at least one year before publication: "the 2015 coup attempt", "le putsch
   manqué de 2015", "last year's coup"). Only years and decades count: "two days ago"
   is news. A bare year in passing ("since 2020", "in power since 2021") is no cue.
2. Each cue covers a span: from the cue to the end of its clause (a comma, a colon, or
   a conjunction such as "as", "amid", "alors que"). "Ago" cues also cover what comes
   before them in their clause (what happened N years ago), and the next clause when
   they open the sentence ("Il y a un an, des militaires ont pris le pouvoir").
3. Any sign of a new event outside the cue spans (title and first two sentences) means
   None: "new/nouvelle attack", gunfire, "tirs", present or perfect event verbs
   ("seize power", "have seized", "gunmen attack", "prennent le pouvoir"), an event word
   with "today", "this morning", "hier", "ce matin", "cette nuit". Past-tense event verbs
   ("seized power", "ont pris le pouvoir") count too, unless their sentence names a year
   before publication ("Le 30 septembre 2022, le capitaine a pris le pouvoir").
4. In the title, an event word outside the cue spans (but not in a short kicker before a
   colon) is the headline's own news: "Gunfire in the capital a year after the coup",
   "New attack on the anniversary of the 2016 attack", "A year after the coup, protests
   in Niamey" are not flagged.
5. An ``old-date`` cue is dropped when the text has "today", "hier", "ce matin" and the
   like at all, when "since/depuis/after/après" precedes it ("the deadliest since the
   2016 attack"), and a year is only old against a known publication date ("last
   year's coup" needs none).

Linear time: the text is cut to a bounded opening before any pattern runs, and the
patterns have only bounded repetitions, of possessive words between spaces.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

from warning.classify.text import fold

Kind = Literal["trial", "anniversary", "retrospective", "old-date"]

#: Most of a title and of a body that is read: a headline, and a lede or two.
TITLE_CHARS = 300
BODY_CHARS = 600


@dataclass(frozen=True, slots=True)
class PastCue:
    """Why an item is old news: the kind of cue and the words that matched."""

    kind: Kind
    words: str


def describe(cue: PastCue) -> str:
    """A short reason for the desk, e.g. "old news: anniversary ('il y a un an')"."""
    return f"old news: {cue.kind} ('{cue.words}')"


def _any(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


# Dashes, guillemets and ellipses become ASCII of the same length, so folding keeps
# them as clause breaks instead of dropping them. Replaced one by one where present:
# str.translate looks every character up in a dict, six times slower on a lede.
_PUNCT = (("–", "-"), ("—", "-"), ("«", '"'), ("»", '"'), ("…", "."), ("\u00a0", " "))

_NUM = _any(
    r"\d{1,3}", "a", "one", "two", "three", "four", "five", "six", "seven", "eight",
    "nine", "ten", "eleven", "twelve", "fifteen", "twenty", "thirty", "forty", "fifty",
    "un", "une", "deux", "trois", "quatre", "cinq", "sept", "huit", "neuf", "dix",
    "onze", "douze", "quinze", "vingt", "trente", "quarante", "cinquante",
)  # fmt: skip
_YEARS_EN = _any(rf"{_NUM}\s+(?:years?|decades?)", r"half\s+a\s+century")
_YEARS_FR = _any(
    rf"(?:(?:pres\s+de|plus\s+de|environ|exactement|deja)\s+)?{_NUM}\s+(?:ans?|annees?|decennies?)",
    r"un\s+demi-siecle",
)
_YEAR = r"(?:19|20)\d\d"
_MONTH = _any(
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december", "janvier", "fevrier", "mars",
    "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre", "novembre",
    "decembre",
)  # fmt: skip
_DATE = rf"(?:(?:\d{{1,2}}(?:er)?\s+)?{_MONTH}\s+(?:\d{{1,2}},?\s+)?)?{_YEAR}\b"

#: Words of the events we alert on, nouns and verbs: in a title outside a cue, news.
_EVENT = (
    r"\b(?:coups?|putsch\w*|attack\w*|attaqu\w*|attentats?|assault\w*|bombings?|"
    r"massacres?|mutin\w*|mutiny|gunfire|gunshots?|shooting|tirs|fusillades?|clash\w*|"
    r"affrontements?|protest\w*|manifestations?|manifestants|riots?|emeutes?|unrest|"
    r"uprising|soulevements?|insurrection|explosions?|blasts?|raids?|ambush\w*|"
    r"embuscades?|kidnap\w*|enlev\w*|abduct\w*|hostages?|otages?|killings?|kill(?:s|ed)?|"
    r"dead|deaths?|morts?|tues?|blesses|rally|rallies|march(?:es)?|marches?|"
    r"elections?|presidentielle|scrutin|vote|seiz\w*|storm\w*|prennent|prend|"
    r"s'empar\w*|renvers\w*|toppl\w*|oust\w*|overthr\w*|curfew|couvre-feu|siege|crisis|"
    r"crise)\b"
)
_OLD_EVENT = (
    r"(?:coup\s+d'etat|coup(?:\s+attempt)?|putsch|tentative\s+de\s+coup\s+d'etat|"
    r"attacks?|attaques?|attentats?|bombings?|massacres?|mutiny|mutinerie|elections?|"
    r"presidentielle|scrutin|crisis|crise|uprising|soulevement|insurrection|riots|"
    r"emeutes|siege)\b"
)
_OLD_EVENT_EN_MODIFIER = (
    r"(?:(?:failed|foiled|attempted|abortive|military|deadly|bloody|presidential|"
    r"general|jihadist|terrorist|terror|suicide|twin)\s+){0,2}"
)
_OLD_EVENT_FR_MODIFIER = (
    r"(?:\s+(?:manque|avorte|rate|militaire|meurtriere?|sanglante?|terroriste|"
    r"jihadiste|djihadiste|presidentielle|legislatives?))?"
)
# "charged" and "condamne" only as a court's words ("charged with", "condamné à"): soldiers
# who charge the palace, and capitals that condemn a coup, report news.
_TRIAL_WORD = (
    r"(?:trials?|retrial|sentenc\w*|convict\w*|acquit\w*|jailed|charged\s+(?:with|over|for)|"
    r"charges|indict\w*|court[\s-]martial|verdict|prosecut\w*|proces|"
    r"condamn\w*\s+(?:a|pour)|jug(?:e|es|ement)|inculp\w*|tribunal)"
)
_TRIAL_EVENT = r"(?:coups?|putsch\w*|attack\w*|attaqu\w*|attentats?|mutin\w*|massacres?|bombings?)"
# A word between a trial word and its event, never a conjunction that starts news.
_GAP = r"(?:\s+(?!as\b|while\b|amid\b|when\b|but\b|alors\b|tandis\b|pendant\b|mais\b)[\w'-]++)"


def _cues(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


#: "Ago" cues put their own clause in the past.
_AGO = _cues(rf"\b{_YEARS_EN}\s+ago\b", rf"\bil\s+y\s+a\s+{_YEARS_FR}\b")
_ANNIVERSARY = _cues(
    r"\b(?:\d{1,3}(?:st|nd|rd|th|e|eme)\s+)?anniversa\w*",
    r"\bcommemor\w*",
    rf"\b{_YEARS_EN}\s+since\b",
    rf"\b{_YEARS_FR}\s+(?:deja|depuis)\b",
    r"\bjour\s+pour\s+jour\b",
    r"\bl'an\s+(?:un|i)\s+de\b",
    r"\bto\s+the\s+day\b",
)
_RETROSPECTIVE = _cues(
    rf"\b{_YEARS_EN}\s+(?:after|later|on)\b",
    rf"\b{_YEARS_FR}\s+(?:apres|plus\s+tard)\b",
    r"\b(?:a\s+look|looking|look)\s+back\b",
    # "Remembering ..." opens a feature; "..., se souvient un rescapé" quotes a witness of news.
    r"\bremembering\b",
    r"\blessons\s+(?:from|of)\b",
    r"\blecons\s+(?:de|du|des|d')",
    r"\bretrospective\b",
    r"\bin\s+retrospect\b",
    r"\bwhat\s+(?:remains|is\s+left)\s+of\b",
    r"\bretour\s+sur\b",
    r"\bque\s+reste-t-il\b",
    r"\bce\s+qu'il\s+(?:en\s+)?reste\b",
)
# The trial word first ("procès du putsch"), else the event just before it
# ("coup plotters jailed"), so that "attack during the trial" stays the news.
# Up to nine words between: "charged with treason for his alleged role in a failed coup".
_TRIAL_FIRST = re.compile(rf"\b{_TRIAL_WORD}{_GAP}{{0,9}}?\s+(?:[dl]')?{_TRIAL_EVENT}\b")
_TRIAL_LAST = re.compile(rf"\b{_TRIAL_EVENT}{_GAP}{{0,2}}?\s+{_TRIAL_WORD}\b")
_OLD_DATE = _cues(
    rf"\b{_DATE}\s+{_OLD_EVENT_EN_MODIFIER}{_OLD_EVENT}",
    rf"\b{_OLD_EVENT}(?:\s+attempt)?{_OLD_EVENT_FR_MODIFIER}\s+(?:of|in|on|de|du|d'|en|le|des)\s*(?:the\s+)?{_DATE}",
    r"\blast\s+year's\s+(?:failed\s+|foiled\s+)?(?:coup|putsch|attack|election)",
    rf"\b{_OLD_EVENT}{_OLD_EVENT_FR_MODIFIER}\s+de\s+l'(?:an|annee)\s+(?:derniere?|passee?)",
)
_NOT_OLD = re.compile(
    r"\b(?:since|depuis|after|apres|before|avant|until|jusqu'a)\s+(?:the\s+|le\s+|la\s+|l'|les\s+)?$"
)

_SUBJECT_EN = (
    r"(?:gunmen|militants|jihadists|insurgents|rebels|soldiers|troops|mutineers|attackers|"
    r"terrorists|bandits|assailants|protesters|demonstrators|police|army|military|junta)"
)
_SUBJECT_FR = (
    r"(?:hommes\s+armes|jihadistes|djihadistes|terroristes|militaires|soldats|assaillants|"
    r"rebelles|mutins|manifestants|insurges|junte|armee)"
)
#: Signs of a new event, whatever the sentence says about years.
_FRESH = _cues(
    rf"\b(?:new|fresh|another|renewed|latest)\s+(?:wave\s+of\s+)?{_EVENT}",
    rf"\b(?:nouvelles?|nouveaux?|nouvel)\s+(?:vague\s+d['e]\s*)?{_EVENT}",
    r"\b(?:gunfire|gunshots|gun\s+fire|shots\s+(?:were\s+)?(?:fired|heard)|"
    r"heavy\s+(?:firing|fighting|shooting)|explosions?\s+(?:were\s+)?heard|"
    r"tirs|coups\s+de\s+feu|fusillades?|detonations?|breaking|live\s+updates?|en\s+direct)\b",
    rf"{_EVENT}\s+(?:(?:is|are)\s+)?(?:under\s*way|en\s+cours)\b",
    r"\b(?:seizes?|seizing|takes?|taking|grabs?|grabbing|(?:have|has|had)\s+(?:seized|taken|grabbed))"
    r"\s+(?:power|control)\b",
    r"\bstages?\s+(?:a\s+)?coup\b",
    rf"\b{_SUBJECT_EN}\s+(?:[\w'-]++\s+)?(?:attacks?|kills?|storms?|seizes?|raids?|ambush(?:es)?|"
    r"abducts?|kidnaps?|clash(?:es)?|opens?\s+fire|open\s+fire|topples?|ousts?|overthrows?|"
    r"detains?|arrests?|surrounds?|blocks?|takes?\s+over|take\s+over)\b",
    r"\b(?:have|has)\s+(?:been\s+)?(?:attacked|killed|stormed|seized|toppled|ousted|overthrown|"
    r"detained|arrested|abducted|kidnapped|clashed|taken)\b",
    rf"\b{_SUBJECT_FR}\s+(?:[\w'-]++\s+)?(?:attaquent|tuent|prennent|s'emparent|encerclent|"
    r"enlevent|ouvrent\s+le\s+feu|affrontent|bloquent|renversent)\b",
)
#: Past-tense event verbs: news unless their sentence dates them before publication.
_FRESH_PAST = _cues(
    r"(?<!who )(?<!which )(?<!that )\b(?:seized|took|grabbed)\s+(?:power|control)\b",
    rf"\b{_SUBJECT_EN}\s+(?:[\w'-]++\s+)?(?:attacked|killed|stormed|seized|raided|ambushed|"
    r"abducted|kidnapped|clashed|opened\s+fire|toppled|ousted|overthrew|detained|arrested|"
    r"surrounded|took\s+over)\b",
    r"\bstaged\s+(?:a\s+)?coup\b",
    r"\b(?:was|were)\s+(?:ousted|toppled|overthrown|detained|arrested|killed|attacked|"
    r"abducted|kidnapped)\b",
    r"\b(?:re-?elected|declared\s+(?:the\s+)?winner|sworn\s+in|wins|won\s+the)\b",
    r"(?<!qui )\b(?:ont|a)\s+(?:ete\s+)?(?:pris|attaques?|tues?|renverses?|arretes?|enleves?|"
    r"ouvert\s+le\s+feu|encercles?|destitues?|deposes?|blesses?|elus?|reelus?|proclames?)\b",
    r"\b(?:s'emparent|s'empare|se\s+sont\s+empares|s'est\s+empare|prennent|prend)\s+"
    r"(?:(?:du|le)\s+)?(?:pouvoir|controle)\b",
    r"\b(?:elu|reelu|proclame\s+vainqueur)\b",
)
_NOW = re.compile(
    r"\b(?:today|tonight|this\s+(?:morning|afternoon|evening)|overnight|yesterday|"
    r"last\s+night|aujourd'hui|ce\s+matin|cet\s+apres-midi|ce\s+soir|cette\s+nuit|hier|"
    r"avant-hier|la\s+nuit\s+derniere|dans\s+la\s+nuit|ces\s+dernieres\s+heures)\b"
)
_EVENT_WORD = re.compile(_EVENT)
_YEAR_WORD = re.compile(rf"\b({_YEAR})\b")
#: Where a clause ends, going forward from a cue.
_CLAUSE_END = re.compile(
    r"[,;:!?()\[\]|\"\n]|\.(?:\s|$)|\s-\s|\b(?:as|while|amid|when|but|whereas|alors\s+que|"
    r"tandis\s+que|pendant\s+que|lorsque|quand|mais)\b"
)
#: Where the clause of an "ago" cue starts, going back from it.
_CLAUSE_START = re.compile(
    r"[,;:!?()\[\]|\"\n]|\.\s|\s-\s|\b(?:where|ou|qui|that|which|who|dont|when|lorsque|quand|"
    r"as|while|amid)\b"
)
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")


def past_event(
    title: str, body: str, lang: str | None = None, published: datetime | None = None
) -> PastCue | None:
    """The cue that an item is about a past event, or None when it may report a new one.

    ``lang`` is accepted for the caller's convenience: both languages' cues are always
    tried, since feeds mislabel languages and quote each other.
    """
    del lang
    title = " ".join(title[:TITLE_CHARS].split())
    body = body[:BODY_CHARS]
    if not title:  # the lede is the headline
        cut = _SENTENCE_END.search(body)
        title, body = (body[: cut.end()], body[cut.end() :]) if cut else (body, "")
        title = " ".join(title.split())
    original = title + "\n" + body
    if not original.isascii():
        for char, ascii_char in _PUNCT:
            if char in original:
                original = original.replace(char, ascii_char)
    text = fold(original)
    title_end = text.find("\n")
    lede_end = _sentence_end(text, title_end + 1, 1)
    window_end = _sentence_end(text, title_end + 1, 2)
    text = text[:window_end]
    year = published.year if published else None

    found = _cues_in(text, lede_end, year)
    if not found:
        return None
    rest = _mask(text, [(cue.cover_start, cue.cover_end) for cue in found])
    if _news_outside(rest, title_end, year):
        return None
    if _NOW.search(rest):  # an old date next to "today" is background to today's news
        found = [cue for cue in found if cue.kind != "old-date"]
    if not found:
        return None
    best = min(found, key=lambda cue: _ORDER.index(cue.kind))
    where = _origins(original, text)
    return PastCue(best.kind, original[where[best.start] : where[best.end - 1] + 1])


class _Found(NamedTuple):
    kind: Kind
    start: int  #: the matched words
    end: int
    cover_start: int  #: what the cue says is in the past
    cover_end: int


_ORDER: tuple[Kind, ...] = ("trial", "anniversary", "retrospective", "old-date")

# Words every match of a cue pattern contains (tests/test_recency.py checks each match
# in the corpus). Most items carry none of them, and a substring test is a hundred
# times cheaper than running the pattern (docs/performance.md, "Every stage on").
_AGO_WORDS = ("ago", "il y a")
_ANNIVERSARY_WORDS = (
    "anniversa", "commemor", "since", "deja", "depuis", "jour pour jour", "l'an", "to the day",
)  # fmt: skip
_RETROSPECTIVE_WORDS = (
    "year", "decade", "century", "apres", "plus tard", "back", "remembering", "lessons",
    "lecons", "retrospect", "remains", "is left", "retour sur", "reste",
)  # fmt: skip
_TRIAL_WORDS = (
    "trial", "sentenc", "convict", "acquit", "jailed", "charge", "indict", "court", "verdict",
    "prosecut", "proces", "condamn", "jug", "inculp", "tribunal",
)  # fmt: skip
_OLD_DATE_WORDS = re.compile(r"(?:19|20)\d\d|year's|l'an")  # starts on a digit or a letter
_PHRASES: tuple[tuple[Kind, re.Pattern[str], tuple[str, ...]], ...] = (
    ("anniversary", _ANNIVERSARY, _ANNIVERSARY_WORDS),
    ("retrospective", _RETROSPECTIVE, _RETROSPECTIVE_WORDS),
)


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(word in text for word in words)


def _cues_in(text: str, end: int, year: int | None) -> list[_Found]:
    """Every cue before end, with the span each covers."""
    head = text[:end]
    found = []
    if _has(head, _AGO_WORDS):
        found = [
            _Found("anniversary", m.start(), m.end(), *_ago_span(text, m.start(), m.end()))
            for m in _AGO.finditer(text, 0, end)
        ]
    for kind, pattern, words in _PHRASES:
        if _has(head, words):
            found += [_found(kind, text, m) for m in pattern.finditer(text, 0, end)]
    if _has(head, _TRIAL_WORDS):
        trial = _TRIAL_FIRST.search(text, 0, end) or _TRIAL_LAST.search(text, 0, end)
        if trial:
            found.append(_found("trial", text, trial))
    if not _OLD_DATE_WORDS.search(head):
        return found
    for match in _OLD_DATE.finditer(text, 0, end):
        dated = _YEAR_WORD.search(match.group())
        old = dated is None or (year is not None and int(dated.group()) < year)
        if old and not _NOT_OLD.search(text, max(0, match.start() - 20), match.start()):
            found.append(_found("old-date", text, match))
    return found


def _found(kind: Kind, text: str, match: re.Match[str]) -> _Found:
    """A cue that covers its words and the rest of their clause."""
    return _Found(kind, match.start(), match.end(), match.start(), _clause_end(text, match.end()))


def _news_outside(rest: str, title_end: int, year: int | None) -> bool:
    """Whether the text outside the cue spans reports something new."""
    if _FRESH.search(rest):
        return True
    if _NOW.search(rest) and _EVENT_WORD.search(rest):
        return True
    headline = rest[:title_end]
    colon = headline.find(":")
    if colon > 0 and len(headline[:colon].split()) <= 4:
        headline = headline[colon + 1 :]  # a kicker such as "Mali coup:" names the topic
    if _EVENT_WORD.search(headline):
        return True
    for match in _FRESH_PAST.finditer(rest):
        start = _last_sentence_end(rest, match.start()) + 1
        sentence = rest[start : _sentence_end(rest, match.end(), 1)]
        # A past verb in a sentence that names an earlier year tells that year's story.
        if year is None or not any(int(y) < year for y in _YEAR_WORD.findall(sentence)):
            return True
    return False


def _origins(text: str, folded: str) -> Sequence[int]:
    """For each character of ``folded`` (``fold(text)``), where in ``text`` it came from."""
    if len(folded) == len(text):
        return range(len(text))
    where: list[int] = []
    for i, char in enumerate(text):
        where.extend([i] * len(fold(char)))
    return where


def _sentence_end(text: str, start: int, count: int) -> int:
    """The end of the count-th sentence from start (or of the text)."""
    end = start
    for _ in range(count):
        match = _SENTENCE_END.search(text, end)
        if match is None:
            return len(text)
        end = match.end()
    return end


def _last_sentence_end(text: str, before: int) -> int:
    last = -1
    for match in _SENTENCE_END.finditer(text, 0, before):
        last = match.end() - 1
    return last


def _clause_end(text: str, start: int) -> int:
    match = _CLAUSE_END.search(text, start)
    return match.start() if match else len(text)


def _ago_span(text: str, start: int, end: int) -> tuple[int, int]:
    """What an "ago" cue dates: its clause, and the next one when it opens a sentence."""
    begin = 0
    for match in _CLAUSE_START.finditer(text, 0, start):
        begin = match.end()
    stop = _clause_end(text, end)
    if not text[begin:start].strip() and stop < len(text) and text[stop] in ",:":
        stop = _clause_end(text, stop + 1)
    return begin, stop


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with the spans blanked out, positions kept."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)
