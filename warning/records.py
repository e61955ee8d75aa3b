"""Frozen records passed between pipeline stages.

Each stage is a plain function (or a small object with one job) that takes
records and returns records; nothing here knows about the database, HTTP or
the scheduler. Times are always timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one conditional GET (or file read) of a source returned.

    ``status`` is ``"not_modified"`` when the server answered 304 (or a
    ``file://`` source is unchanged); ``body`` is then empty and the caller
    stores nothing but the poll time.
    """

    status: Literal["ok", "not_modified"]
    url: str
    final_url: str
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    http_status: int = 200
    bytes_received: int = 0
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class Item:
    """One normalised report from a source, with the keys it is deduplicated by.

    ``guid_key``, ``url_key`` and ``content_hash`` are computed by
    :mod:`warning.normalize`; the store matches an incoming item against
    stored ones on any of them, in that order of preference.
    """

    feed: str
    outlet: str
    title: str
    summary: str
    link: str | None
    published: datetime | None
    lang: str | None
    guid_key: str | None
    url_key: str | None
    content_hash: str | None
    #: For sources whose records are edited after publication (ACLED): a stored item
    #: with the same key and another revision is replaced, not counted twice.
    revision: str | None = None
    #: Source-specific facts kept with the item as ``key:value`` strings, e.g. GDELT GKG
    #: themes (``theme:PROTEST``) or an advisory's level (``advisory-level:4``).
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Items parsed from one body, and what was odd about it (bozo notes).

    ``assessments``, when given, is parallel to ``items``: structured event data
    (GDELT events, ACLED) brings its own countries, coordinates and labels, and an
    item with an assessment here is stored with it instead of being geotagged and
    scored. None for an item means "assess it like news".
    """

    items: tuple[Item, ...]
    warnings: tuple[str, ...] = ()
    entries_skipped: int = 0
    assessments: tuple[Assessment | None, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedState:
    """Per-source polling state, kept in the database (not in the scheduler)."""

    name: str
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None
    next_due: datetime | None = None
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    last_warning: str | None = None


PollStatus = Literal["new", "not_modified", "error", "skipped"]


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """The one result every poll of one source ends in."""

    feed: str
    status: PollStatus
    items_new: int = 0
    items_duplicate: int = 0
    bytes_received: int = 0
    error: str | None = None
    warnings: tuple[str, ...] = ()
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class CycleReport:
    """Totals of one full cycle over every source (``warning poll --once``)."""

    started: datetime
    finished: datetime
    outcomes: tuple[PollOutcome, ...] = field(default=())
    alerts_new: int = 0

    @property
    def feeds_polled(self) -> int:
        return sum(1 for o in self.outcomes if o.status != "skipped")

    @property
    def feeds_failed(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "error")

    @property
    def items_new(self) -> int:
        return sum(o.items_new for o in self.outcomes)

    @property
    def items_duplicate(self) -> int:
        return sum(o.items_duplicate for o in self.outcomes)

    @property
    def bytes_received(self) -> int:
        return sum(o.bytes_received for o in self.outcomes)


# --- geography ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """A place an item mentions, resolved to a country (and a point when we know one).

    ``kind`` says what matched: ``country``, ``demonym``, ``capital``, ``city``,
    ``admin1`` (a region), ``region`` (a curated phrase such as "nord du Bénin"),
    or ``actor`` (a person, party, armed group or junta tied to a country).
    """

    name: str
    country: str
    kind: str
    admin1: str | None = None
    lat: float | None = None
    lon: float | None = None
    in_title: bool = False


@dataclass(frozen=True, slots=True)
class CountryScore:
    """How much an item is about one country (ISO 3166-1 alpha-2), 0 to 1."""

    code: str
    score: float


@dataclass(frozen=True, slots=True)
class GeoTag:
    """The countries an item is about, most salient first, and the places behind them."""

    countries: tuple[CountryScore, ...] = ()
    places: tuple[Place, ...] = ()

    @property
    def primary(self) -> str | None:
        return self.countries[0].code if self.countries else None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.countries)


# --- classification ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelScore:
    """One label's probability for an item, whether it passed the label's threshold, and why."""

    label: str
    probability: float
    above: bool
    terms: tuple[str, ...] = ()
    #: Why a label over the model's threshold does not count (``above`` False): old
    #: news, or a disputed election with no word of dispute. Not stored; shown by
    #: ``warning score`` so that an operator trying a text sees why nothing fired.
    held: str | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the pipeline concluded about one new item: where, and what kind of signal.

    ``scores`` is empty (and ``model`` None) when no usable model was loaded.
    ``past`` says why the item reports a past event (old news: an anniversary, a
    trial, a retrospective), in which case no label is above its threshold.
    """

    geo: GeoTag = field(default_factory=GeoTag)
    scores: tuple[LabelScore, ...] = ()
    model: str | None = None
    past: str | None = None


# --- signals and alerts -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evidence:
    """One stored, scored item as aggregation sees it, for one subject and label.

    ``outlets`` are every outlet that carried this very item (wire copies that
    deduplicated into it), the one it was first seen on first. ``weight`` is how
    much the item is about the subject (its country score, 0 to 1).
    """

    item_id: int
    title: str
    link: str | None
    outlets: tuple[str, ...]
    seen: datetime
    probability: float
    weight: float = 1.0
    terms: tuple[str, ...] = ()
    model: str | None = None

    @property
    def outlet(self) -> str:
        return self.outlets[0] if self.outlets else ""


@dataclass(frozen=True, slots=True)
class Signal:
    """The evidence for one label about one subject over one window.

    ``subject`` is an ISO 3166-1 alpha-2 code, or ``zone:NAME`` for a watch zone.
    ``outlets`` are the independent outlets (an outlet that only republished
    another's story is not one), ``evidence`` the strongest story of each, strongest
    first, and ``items`` every item behind the signal. ``baseline`` is how many
    independent outlets a window this long usually holds for this subject and
    label, from stored history; None when there is too little history (cold start).
    See docs/signals.md for the formula.
    """

    subject: str
    label: str
    start: datetime
    end: datetime
    score: float
    outlets: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    items: tuple[int, ...] = ()
    baseline: float | None = None
    spike: float | None = None
    #: What a signal about the daemon itself says (operator alerts): "feed x: 7 failures".
    note: str | None = None


Decision = Literal["new", "escalated", "ongoing", "resolved"]


@dataclass(frozen=True, slots=True)
class Decided:
    """One lifecycle decision an alert cycle recorded (and queued for delivery)."""

    alert_id: int
    rule: str
    subject: str
    label: str
    decision: Decision
    silenced: bool = False
    #: The inhibiting alert ("rule|label|level") when an inhibit rule muted the decision.
    muted_by: str | None = None


@dataclass(frozen=True, slots=True)
class Headline:
    """One evidence item as an alert shows it."""

    title: str
    link: str | None
    outlet: str
    seen: datetime | None = None


@dataclass(frozen=True, slots=True)
class IncidentEntry:
    """One open alert of an incident, as the incident's summary lists it."""

    alert_id: int
    rule: str
    label: str
    level: int
    #: What mutes it ("rule|label|level" of the inhibiting alert), or None.
    muted_by: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    """The incident (alerts about one subject, one thread) a message belongs to.

    ``parent`` is the message that opened the thread, as it stands now, when it is
    another alert's: a notifier that edits the thread's first message (Slack) shows
    that alert there, with the summary of every open alert below it.
    """

    id: int
    entries: tuple[IncidentEntry, ...] = ()
    parent: AlertMessage | None = None

    @property
    def key(self) -> str:
        """The group key every message of the incident shares (the webhook's ``group``)."""
        return f"incident:{self.id}"


@dataclass(frozen=True, slots=True)
class VerdictShown:
    """The analyst verdict that stands on an alert, as its messages show it."""

    title: str  # "False alarm"
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """Everything a notifier renders: one decision about one alert.

    Rules decide, notifiers only render (STYLE.md). Every string that came from a
    feed (``headlines``, ``terms``) is untrusted and must be escaped by the notifier.
    ``key`` is unique per message and stable across retries (used for Message-ID).
    ``kind`` is ``alert`` for rule alerts and ``test`` for ``warning test-notify``.
    """

    alert_id: int
    key: str
    decision: Decision
    rule: str
    subject: str
    place: str
    label: str
    severity: str
    score: float
    outlets: tuple[str, ...]
    headlines: tuple[Headline, ...]
    terms: tuple[str, ...]
    model: str | None
    opened: datetime
    at: datetime
    spike: float | None = None
    kind: Literal["alert", "test", "operator"] = "alert"
    note: str | None = None
    #: The rule's level for this decision: 0 unconfirmed, 1 corroborated (the rule's
    #: ``corroborate`` outlets). None outside rules: two outlets then count as corroboration.
    level: int | None = None
    #: The desk's standing verdict when the message is built, so that a later update
    #: of the alert's Slack message keeps showing it.
    verdict: VerdictShown | None = None
    #: The incident it belongs to (grouping), None when alerts are not grouped.
    incident: Incident | None = None

    @property
    def corroborated(self) -> bool:
        return self.level >= 1 if self.level is not None else len(self.outlets) >= 2
