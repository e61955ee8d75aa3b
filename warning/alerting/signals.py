"""Aggregation: the scored items about one subject and label become one Signal per window.

Items are grouped into stories by near-duplicate titles; a story belongs to the outlet that
carried it first, so wire copies republished elsewhere are not corroboration. Each independent
outlet adds its strongest item to a noisy-OR score, and the number of independent outlets is
compared with the usual number for a window this long. Pure functions over records; the
formulas, the decisions behind them and a worked example are in docs/signals.md.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import chain, pairwise

from ..records import Evidence, Signal

#: Two titles are one story when their word sets overlap this much (Jaccard index)...
JACCARD = 0.6
#: ...or when one holds every word of the other and the shorter has at least this many words.
CONTAIN_MIN_WORDS = 5
#: Days of history the caller should collect for :func:`baseline` (see :func:`daily_outlets`).
HISTORY_DAYS = 28
#: With fewer days of history than this the baseline is unknown (cold start).
MIN_HISTORY = 7
#: Pseudo-count added to observed and expected outlets, so that tiny counts stay finite.
PSEUDO_COUNT = 1.0

DAY = timedelta(days=1)

# A trailing " - Reuters", " | AFP", " — Le Monde Afrique": one separator with spaces around
# it, then at most three words. Hyphens inside words (Guinea-Bissau) are no separator.
_OUTLET_SUFFIX = re.compile(r"(.*\S)\s+[-–—|]\s+\S+(?:\s+\S+){0,2}\s*", re.DOTALL)
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1 << 16)
def title_words(title: str) -> frozenset[str]:
    """The set of words a title is compared by (cached: every alert cycle and every
    backtest step compares the same titles again).

    The outlet suffix is dropped, then the title is case-folded and accent-folded
    (``Côte d'Ivoire`` and ``COTE D'IVOIRE`` read the same) and split on anything that is
    not a letter or digit, so punctuation and apostrophes vanish (``d'État`` is ``d etat``).
    """
    match = _OUTLET_SUFFIX.fullmatch(title)
    if match is not None:
        title = match.group(1)
    decomposed = unicodedata.normalize("NFKD", title.casefold().translate(_LIGATURES))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return frozenset(_WORD.findall(folded))


def same_story(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two titles' word sets are near-duplicates (a title with no words is unique)."""
    if not a or not b:
        return False
    common = len(a & b)
    if common == min(len(a), len(b)) >= CONTAIN_MIN_WORDS:
        return True
    return common / (len(a) + len(b) - common) >= JACCARD


def strength(e: Evidence) -> float:
    """How strongly one item supports the signal: probability × weight, within [0, 1]."""
    return min(1.0, max(0.0, e.probability * e.weight))


def _rank(e: Evidence) -> tuple[float, datetime, int]:
    """Sort key: strongest first, then the earlier seen, then the lower item id."""
    return (-strength(e), e.seen, e.item_id)


def _first(e: Evidence) -> tuple[datetime, int]:
    """Sort key: earliest seen first, then the lower item id."""
    return (e.seen, e.item_id)


@dataclass(frozen=True, slots=True)
class Story:
    """Items that report one story (near-duplicate titles), earliest seen first.

    The story belongs to the outlet its earliest item was first seen on (its ``origin``);
    the other outlets that carried it only republished it.
    """

    items: tuple[Evidence, ...]

    @property
    def origin(self) -> str:
        return self.items[0].outlet


def stories(evidence: Iterable[Evidence]) -> list[Story]:
    """Group items into stories, earliest story first; the result does not depend on order.

    Near-duplicate is transitive (A like B, B like C: one story), found with union-find.
    Candidate pairs come from an inverted index probed with each title's rarest words (a
    prefix filter: two sets with Jaccard ≥ t share one of the |A| − ⌊t·|A|⌋ + 1 rarest words
    of A, and a contained set shares all of its words), so large windows are not compared
    pair by pair. An item id given twice counts once, as its strongest copy.
    """
    unique: dict[int, Evidence] = {}
    for e in evidence:
        kept = unique.get(e.item_id)
        if kept is None or _rank(e) < _rank(kept):
            unique[e.item_id] = e
    groups: dict[frozenset[str], list[Evidence]] = defaultdict(list)
    clusters: list[list[Evidence]] = []
    for e in unique.values():
        words = title_words(e.title)
        if words:
            groups[words].append(e)  # identical word sets are one story outright
        else:
            clusters.append([e])
    sets = list(groups)
    parent = list(range(len(sets)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    frequency = Counter(w for s in sets for w in s)
    index: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for w in s:
            index[w].append(i)
    for i, s in enumerate(sets):
        rarest = sorted(s, key=lambda w: (frequency[w], w))
        root = find(i)
        for w in rarest[: len(s) - math.floor(JACCARD * len(s)) + 1]:
            for j in index[w]:
                other = find(j)
                if other != root and same_story(s, sets[j]):
                    parent[max(root, other)] = min(root, other)
                    root = min(root, other)
    merged: dict[int, list[Evidence]] = defaultdict(list)
    for i, s in enumerate(sets):
        merged[find(i)].extend(groups[s])
    clusters.extend(merged.values())
    found = [Story(tuple(sorted(c, key=_first))) for c in clusters]
    found.sort(key=lambda story: _first(story.items[0]))
    return found


def independent(evidence: Iterable[Evidence]) -> dict[str, list[Evidence]]:
    """Every item, under the independent outlet whose story it belongs to."""
    by_origin: dict[str, list[Evidence]] = defaultdict(list)
    for story in stories(evidence):
        by_origin[story.origin].extend(story.items)
    return dict(by_origin)


def baseline(
    history: Sequence[int], window: timedelta = DAY, *, min_history: int = MIN_HISTORY
) -> float | None:
    """Independent outlets a window this long usually holds: mean per day × window / 1 day.

    ``history`` holds the independent outlets of each past day (:func:`daily_outlets`), only
    for days the program was watching. With fewer than ``min_history`` days it is None.
    """
    if window <= timedelta(0):
        raise ValueError(f"window must be positive, not {window}")
    if not history or len(history) < min_history:
        return None
    return sum(history) / len(history) * (window / DAY)


def spike(observed: int, expected: float | None, k: float = PSEUDO_COUNT) -> float | None:
    """How many times the usual volume a window holds: (observed + k) / (expected + k).

    None when the baseline is unknown (cold start), so spike rules cannot fire.
    """
    if k <= 0:
        raise ValueError(f"the pseudo-count must be positive, not {k}")
    if expected is None:
        return None
    return (observed + k) / (expected + k)


def history_end(start: datetime) -> datetime:
    """Where a window's history ends: the UTC midnight at or before the window's ``start``.

    History is whole UTC days, so it stays the same all day: a spike is measured against
    one yardstick from midnight to midnight, and a caller computes it once a day (the
    daemon and backtests cache it per day). The hours between that midnight and the
    window's start are in neither, so history never overlaps the window being judged.
    """
    return start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def daily_outlets(
    evidence: Iterable[Evidence],
    days: int,
    end: datetime,
    *,
    since: datetime | None = None,
    floor: float = 0.0,
    count: Callable[[list[Evidence]], int] | None = None,
) -> list[int]:
    """Independent outlets in each 24-hour slot of the ``days`` before ``end``, oldest first.

    Slot *i* is [end − (days − i) × 24 h, end − (days − i − 1) × 24 h). Pass the current
    window's start as ``end`` so that history never overlaps the window. Slots that begin
    before ``since`` (when the program started watching) are left out: a zero there would
    mean "not watching", not "quiet". Each slot is clustered on its own, by ``count``
    when given (a caller that keeps past days' counts: the situation page).
    """
    if days < 0:
        raise ValueError(f"days must not be negative, not {days}")
    first = end - days * DAY
    skip = 0
    if since is not None and since > first:
        whole, part = divmod(since - first, DAY)
        skip = whole + (1 if part else 0)
    slots: list[list[Evidence]] = [[] for _ in range(days)]
    for e in evidence:
        if first <= e.seen < end and strength(e) >= floor:
            slots[(e.seen - first) // DAY].append(e)
    count = count or (lambda slot: len(independent(slot)))
    return [count(slot) for slot in slots[skip:]]


def slot_counts(times: Sequence[datetime], end: datetime, slot: timedelta, slots: int) -> list[int]:
    """How many of ``times`` (sorted) fall in each slot before ``end``, oldest slot first.

    Slot *i* is [end − (slots − i) × slot, end − (slots − i − 1) × slot): what flatline
    rules compare, a subject's items now (the last slot) against usually (the others).
    """
    edges = [bisect_left(times, end - slot * (slots - i)) for i in range(slots + 1)]
    return [b - a for a, b in pairwise(edges)]


def aggregate(
    subject: str,
    label: str,
    evidence: Iterable[Evidence],
    start: datetime,
    end: datetime,
    history: Sequence[int] | None = None,
    floor: float = 0.0,
) -> Signal:
    """The Signal of one subject and label over the window [start, end).

    Items seen outside the window, or with probability × weight below ``floor``, are left
    out before clustering. Each independent outlet contributes e = the strength of the
    strongest item of the stories it originated; score = 1 − Π (1 − e). ``evidence`` holds
    that item per outlet, strongest first, and ``outlets`` the outlets in the same order
    (``outlets[i]`` originated ``evidence[i]``'s story, which another outlet may have
    carried). ``history`` gives ``baseline`` and ``spike``; both are None without it.
    """
    if end <= start:
        raise ValueError(f"the window must end after it starts: [{start}, {end})")
    kept = [e for e in evidence if start <= e.seen < end and strength(e) >= floor]
    by_origin = independent(kept)
    best = sorted(
        ((min(items, key=_rank), origin) for origin, items in by_origin.items()),
        key=lambda pair: _rank(pair[0]),
    )
    expected = None if history is None else baseline(history, end - start)
    return Signal(
        subject=subject,
        label=label,
        start=start,
        end=end,
        score=1.0 - math.prod(1.0 - strength(e) for e, _ in best),
        outlets=tuple(origin for _, origin in best),
        evidence=tuple(e for e, _ in best),
        items=tuple(e.item_id for e in sorted(chain.from_iterable(by_origin.values()), key=_rank)),
        baseline=expected,
        spike=spike(len(best), expected),
    )
