"""ACLED events as items: from the ACLED API, or from ACLED's CSV exports.

ACLED (Armed Conflict Location & Event Data) codes political violence and
demonstrations by hand: each event has a type, a place with coordinates, a date
and a fatality count. Being structured data, an ACLED item brings its own
assessment (the country, the place, labels from the event type: see
:data:`ACLED_EVENT_LABELS` and :data:`ACLED_SUBTYPE_PROBABILITY`) and is neither
geotagged nor scored. ACLED edits past events (``timestamp`` is the last change)
and deletes some: an edited event replaces the stored one through its
``revision``; a deleted one becomes a tombstone without labels.

The options pick the mode. With ``email`` and ``password`` (ACLED's OAuth login)
or ``email`` and ``key`` (its retired key API) the ``url`` is the API's
``acled/read`` endpoint: paged, and asked only for what changed since the last
poll. Without credentials the ``url`` is an export (CSV, or a saved API answer)
by ``file://`` or http(s), fetched conditionally like any feed.
docs/acled.md has the tables, the decisions and the API details.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import re
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import quote, quote_plus

import httpx
import pycountry

from ..errors import (
    ConnectError,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    ParseError,
)
from ..records import (
    Assessment,
    CountryScore,
    FeedState,
    FetchResult,
    GeoTag,
    Item,
    LabelScore,
    ParseResult,
    Place,
)
from ..settings import Secret, at_least, option, positive
from .base import Feed, Source
from .transport import too_large

if TYPE_CHECKING:
    from .http import Fetcher, FetchLimits

__all__ = [
    "ACLED_EVENT_LABELS",
    "ACLED_SUBTYPE_PROBABILITY",
    "MODEL",
    "OUTLET",
    "AcledAuthError",
    "AcledError",
    "AcledOptions",
    "AcledSource",
    "parse_events",
    "probability",
]

#: The ``model`` of every ACLED assessment: the tables below, version 1.
MODEL = "acled-types-1"
#: The outlet of every ACLED item: one curated source, one outlet (docs/acled.md).
OUTLET = "acled"

#: ACLED event_type (lower case) -> labels; the training reader (classify.adapters) shares
#: it. The last names are those of exports made before ACLED's 2019 revision of its event
#: types, so old files still read.
ACLED_EVENT_LABELS: dict[str, tuple[str, ...]] = {
    "battles": ("attack",),
    "explosions/remote violence": ("attack",),
    "violence against civilians": ("attack",),
    "riots": ("unrest",),
    "protests": ("unrest",),
    "strategic developments": (),
    "battle-no change of territory": ("attack",),
    "battle-government regains territory": ("attack",),
    "battle-non-state actor overtakes territory": ("attack",),
    "remote violence": ("attack",),
    "riots/protests": ("unrest",),
    "strategic development": (),
    "headquarters or base established": (),
    "non-violent transfer of territory": (),
}

#: (event_type, sub_event_type), lower case -> the probability given to the event type's
#: label: how squarely that kind of event is what the label means (docs/acled.md).
ACLED_SUBTYPE_PROBABILITY: dict[tuple[str, str], float] = {
    ("battles", "armed clash"): 0.9,
    ("battles", "government regains territory"): 0.9,
    ("battles", "non-state actor overtakes territory"): 0.95,
    ("explosions/remote violence", "air/drone strike"): 0.9,
    ("explosions/remote violence", "shelling/artillery/missile attack"): 0.9,
    ("explosions/remote violence", "remote explosive/landmine/ied"): 0.95,
    ("explosions/remote violence", "suicide bomb"): 0.98,
    ("explosions/remote violence", "grenade"): 0.85,
    ("explosions/remote violence", "chemical weapon"): 0.9,
    ("violence against civilians", "attack"): 0.95,
    ("violence against civilians", "abduction/forced disappearance"): 0.9,
    ("violence against civilians", "sexual violence"): 0.75,
    ("protests", "peaceful protest"): 0.6,
    ("protests", "protest with intervention"): 0.8,
    ("protests", "excessive force against protesters"): 0.9,
    ("riots", "violent demonstration"): 0.9,
    ("riots", "mob violence"): 0.7,
}
#: A label's probability when the sub-event type is missing or not in the table.
DEFAULT_PROBABILITY: dict[str, float] = {"attack": 0.85, "unrest": 0.7}

#: Columns asked of the API (its ``fields``): what an item uses, and no more.
API_FIELDS = (
    "event_id_cnty", "event_date", "disorder_type", "event_type", "sub_event_type", "iso",
    "country", "admin1", "location", "latitude", "longitude", "geo_precision",
    "source_scale", "notes", "fatalities", "timestamp",
)  # fmt: skip
REQUIRED_COLUMNS = ("event_id_cnty", "event_date", "event_type")
SUMMARY_MAX_CHARS = 4000
_INT = re.compile(r"[0-9]{1,15}")
_MARK = "acled:v1:"  # a poll's high-water marks, kept as the feed's Last-Modified
_AUTH_HINT = (
    "check the feed's email and password (the myACLED login; the account needs API access "
    "and ACLED's terms accepted)"
)
_KEY_HINT = (
    "check the feed's email and key; ACLED retired access keys in September 2025: use "
    "password (the myACLED login) instead of key"
)


def probability(event_type: str, sub_event_type: str, label: str) -> float:
    """The probability an ACLED event of this type and sub-type carries for ``label``."""
    found = ACLED_SUBTYPE_PROBABILITY.get((event_type.lower(), sub_event_type.lower()))
    return found if found is not None else DEFAULT_PROBABILITY.get(label, 0.5)


class AcledError(FetchError):
    """ACLED answered with an error (``success: false``, an HTTP error, not JSON).

    Also raised, before any request, for credentials that cannot work together.
    """


class AcledAuthError(AcledError):
    """ACLED refused the credentials (HTTP 401/403, or a failed login)."""


# --- options -----------------------------------------------------------------------


def _countries(value: Any) -> tuple[str, ...]:
    codes = []
    for v in value if isinstance(value, list) else [value]:
        code = v.strip().upper() if isinstance(v, str) else ""
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            raise ValueError(f"expected ISO 3166-1 alpha-2 codes such as ML, BF, CI; got {v!r}")
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def _page_size(value: int) -> str | None:
    return None if 1 <= value <= 5000 else "must be between 1 and 5000"


@dataclass(frozen=True, slots=True)
class AcledOptions:
    """Keys of an ``acled`` feed beyond the common ones; see docs/configuration.md."""

    email: Secret | None = None
    key: Secret | None = None
    password: Secret | None = None
    since: timedelta = option(timedelta(days=14), check=positive)
    countries: tuple[str, ...] = option((), parse=_countries)
    page_size: int = option(1000, check=_page_size)
    max_pages: int = option(20, check=at_least(1))
    deletions: bool = True
    token_url: str | None = None

    @property
    def auth(self) -> Literal["oauth", "key"] | None:
        """How the API is asked: OAuth login, legacy key, or not at all (an export)."""
        if self.password is not None:
            return "oauth"
        return "key" if self.key is not None else None

    def problems(self) -> Iterator[tuple[str, str]]:
        """Combinations of keys that cannot work: (key, message)."""
        if self.auth is not None and self.email is None:
            yield "email", "is required with password or key (the ACLED account's address)"
        if self.email is not None and self.auth is None:
            yield "email", "needs password (or the legacy key); without them url is an export"
        if self.key is not None and self.password is not None:
            yield "key", "give password (the OAuth login) or key (retired), not both"
        if self.token_url is not None and self.auth != "oauth":
            yield "token_url", "is only used with password"


# --- the source ----------------------------------------------------------------------


class AcledSource(Source):
    """ACLED events: the API when credentials are given, else a CSV export or saved answer."""

    kind: ClassVar[str] = "acled"
    Options: ClassVar[type] = AcledOptions

    def __init__(self, feed: Feed) -> None:
        super().__init__(feed)
        self._token: tuple[str, float] | None = None  # OAuth access token, monotonic expiry

    def __getstate__(self) -> dict[str, Any]:
        return {"feed": self.feed}  # sent to worker processes: the token stays here

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.feed = state["feed"]
        self._token = None

    @property
    def options(self) -> AcledOptions:
        opts = self.feed.options
        return opts if isinstance(opts, AcledOptions) else AcledOptions()

    def fetch(self, fetcher: Fetcher, state: FeedState) -> FetchResult:
        """Export mode: a conditional GET. API mode: every page of changes and deletions."""
        opts = self.options
        problem = next(opts.problems(), None)
        if problem is not None:
            raise AcledError(f"feeds {self.feed.name}: {problem[0]}: {problem[1]}", "fix the feed")
        if opts.auth is None:
            ours = (state.last_modified or "").startswith(_MARK)
            return fetcher.fetch(
                self.feed.url,
                etag=None if ours else state.etag,
                last_modified=None if ours else state.last_modified,
            )
        with _Api(self, fetcher.limits) as api:
            return api.poll(state)

    def parse(self, fetched: FetchResult) -> ParseResult:
        """Items of a fetched body, each with its assessment; bad rows counted and skipped."""
        if fetched.status == "not_modified":
            return ParseResult(items=())
        opts = self.options
        return parse_events(
            fetched.body,
            feed=self.feed.name,
            lang=self.feed.lang or "en",
            since=opts.since,
            countries=opts.countries,
        )


# --- the API ---------------------------------------------------------------------------


class _Api:
    """One poll of the ACLED API: log in if needed, then page through changes and deletions.

    Not the shared Fetcher: it can neither POST (the login) nor send an Authorization
    header. The poll's limits (timeouts, deadline per request, body cap) are the same.
    """

    def __init__(self, source: AcledSource, limits: FetchLimits) -> None:
        self.source = source
        self.opts = source.options
        self.limits = limits
        self.url = source.feed.url
        self.received = 0
        self._client = httpx.Client(
            headers={"User-Agent": limits.user_agent, "Accept": "application/json"},
            timeout=httpx.Timeout(
                connect=limits.connect_timeout,
                read=limits.read_timeout,
                write=limits.read_timeout,
                pool=limits.connect_timeout,
            ),
            follow_redirects=True,
            max_redirects=limits.max_redirects,
        )

    def __enter__(self) -> _Api:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._client.close()

    def poll(self, state: FeedState) -> FetchResult:
        """Events changed since the last poll (on the first, those of the last ``since``)."""
        started = time.monotonic()
        opts = self.opts
        now = datetime.now(UTC)
        floor = max(0, int((now - opts.since).timestamp()))
        digest = self._digest()
        mark = _read_mark(state.last_modified, digest)
        read_mark, deleted_mark = mark or (floor, floor)
        window = f"{(now - opts.since).date():%Y-%m-%d}|{(now + timedelta(days=1)).date():%Y-%m-%d}"
        params = {
            "event_date": window,
            "event_date_where": "BETWEEN",
            "fields": "|".join(API_FIELDS),
        }
        if mark is not None:
            params |= {"timestamp": str(max(read_mark, floor)), "timestamp_where": ">="}
        notes: list[str] = []
        rows: list[Any] = []
        complete = True
        # One series of requests per country: ACLED's syntax for several values of one
        # filter differs between its old and new API, a single value never does.
        for code in opts.countries or (None,):
            iso = {"iso": str(int(_numeric(code)))} if code else {}
            got, done = self._pages(self.url, params | iso)
            rows += got
            complete = complete and done
        if not complete:
            notes.append(
                f"stopped after {opts.max_pages} pages of {opts.page_size} events: the rest "
                "is fetched again next time (raise max_pages or page_size, or poll more often)"
            )
        deleted: list[Any] = []
        deleted_complete = True
        deleted_url = _deleted_url(self.url) if opts.deletions else None
        if opts.deletions and deleted_url is None:
            notes.append(f"deletions not followed: no /acled/ in {self.url} to find the endpoint")
        elif deleted_url is not None:
            since_deleted = {"deleted_timestamp": str(max(deleted_mark, floor))}
            try:
                deleted, deleted_complete = self._pages(deleted_url, since_deleted)
            except FetchError as exc:  # the events are good: keep them, retry deletions
                notes.append(f"deletions not read this time: {exc}")
                deleted_complete = False
        # A mark only moves once everything before it was fetched, and never past now
        # (a timestamp from the future would hide every change until then).
        cap = int(now.timestamp())
        if complete:
            read_mark = min(cap, max([read_mark, *_stamps(rows, "timestamp")]))
        if deleted_complete:
            deleted_mark = min(cap, max([deleted_mark, *_stamps(deleted, "deleted_timestamp")]))
        ok = bool(rows or deleted or notes)
        body = {"acled": 1, "data": rows, "deleted": deleted, "notes": notes}
        return FetchResult(
            status="ok" if ok else "not_modified",
            url=self.url,
            final_url=self.url,
            body=json.dumps(body, separators=(",", ":")).encode() if ok else b"",
            last_modified=f"{_MARK}{read_mark}:{deleted_mark}:{digest}",
            http_status=200,
            bytes_received=self.received,
            elapsed=time.monotonic() - started,
        )

    def _digest(self) -> str:
        """What the marks depend on: change the query and the next poll starts afresh."""
        query = [self.url, self.opts.countries, self.opts.since.total_seconds()]
        return hashlib.sha256(json.dumps(query).encode()).hexdigest()[:12]

    def _pages(self, url: str, params: dict[str, str]) -> tuple[list[Any], bool]:
        """Every record of a paged query, and whether the last page was reached."""
        size = self.opts.page_size
        rows: list[Any] = []
        for page in range(1, self.opts.max_pages + 1):
            data = self._get(url, params | {"limit": str(size), "page": str(page)})
            rows += data
            if len(data) < size:
                return rows, True
        return rows, False

    def _get(self, url: str, params: dict[str, str]) -> list[Any]:
        auth, opts = self.opts.auth, self.opts
        for attempt in (1, 2):
            query, headers = dict(params), {}
            if auth == "key" and opts.key is not None and opts.email is not None:
                query |= {"key": opts.key.reveal(), "email": opts.email.reveal()}
            elif auth == "oauth":
                query["_format"] = "json"
                headers["Authorization"] = f"Bearer {self._access_token()}"
            status, body = self._send("GET", url, params=query, headers=headers)
            if status == 401 and auth == "oauth" and attempt == 1:
                self.source._token = None  # expired or revoked: log in once more
                continue
            return self._records(status, body, url)
        raise AssertionError("unreachable")

    def _access_token(self) -> str:
        cached = self.source._token
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        email, password = self.opts.email, self.opts.password
        assert email is not None and password is not None
        url = self.opts.token_url or _token_url(self.url)
        form = {
            "username": email.reveal(),
            "password": password.reveal(),
            "grant_type": "password",
            "client_id": "acled",
        }
        status, body = self._send("POST", url, data=form)
        if status in (400, 401, 403):
            raise AcledAuthError(
                f"ACLED refused the login at {url} (HTTP {status}): {self._message(body)}",
                _AUTH_HINT,
            )
        if status == 429 or status >= 500:
            raise HTTPStatusError(status, httpx.codes.get_reason_phrase(status), url)
        try:
            answer = json.loads(body)
            token = str(answer["access_token"])
            lifetime = float(answer.get("expires_in") or 3600)
        except (ValueError, TypeError, KeyError):
            raise AcledError(
                f"no access token in ACLED's answer to the login at {url} (HTTP {status})",
                "check token_url (default: /oauth/token on the url's host)",
            ) from None
        self.source._token = (token, time.monotonic() + max(lifetime - 60, 30))
        return token

    def _records(self, status: int, body: bytes, url: str) -> list[Any]:
        """The ``data`` list of an answer, or the error it carries as an exception."""
        try:
            doc = json.loads(body) if body.strip() else None
        except ValueError:
            doc = None
        failed = isinstance(doc, dict) and (
            doc.get("success") in (False, 0, "0", "false")
            or (isinstance(doc.get("status"), int) and doc["status"] >= 400)
        )
        code = doc.get("status") if failed and isinstance(doc, dict) else status
        if status in (401, 403) or code in (401, 403):
            raise AcledAuthError(
                f"ACLED refused access to {url} (HTTP {code}): {self._message(body)}",
                _AUTH_HINT if self.opts.auth == "oauth" else _KEY_HINT,
            )
        if status == 429 or status >= 500:
            raise HTTPStatusError(status, httpx.codes.get_reason_phrase(status), url)
        if failed or not 200 <= status < 300:
            raise AcledError(
                f"ACLED answered {url} with an error (HTTP {code}): {self._message(body)}",
                "check the feed's url and options (countries, since, page_size)",
            )
        data = doc.get("data") if isinstance(doc, dict) else doc
        if not isinstance(data, list):
            raise AcledError(
                f"ACLED's answer from {url} holds no list of events (not the API's JSON?)",
                "the url must be the API's read endpoint, e.g. https://acleddata.com/api/acled/read",
            )
        return data

    def _send(self, method: str, url: str, **kwargs: Any) -> tuple[int, bytes]:
        """One request within the poll's limits; every failure is a FetchError subclass."""
        limits = self.limits
        deadline = time.monotonic() + limits.deadline
        try:
            with self._client.stream(method, url, **kwargs) as response:
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limits.max_bytes:
                        raise too_large(url, limits.max_bytes, "lower page_size")
                    if time.monotonic() > deadline:
                        raise FetchTimeout(
                            f"deadline of {limits.deadline:g} s passed fetching {url}",
                            hint="ACLED is slow; lower page_size or raise poll.deadline",
                        )
                    chunks.append(chunk)
                self.received += size
                return response.status_code, b"".join(chunks)
        except FetchError:
            raise
        except httpx.TimeoutException:
            raise FetchTimeout(
                f"ACLED did not answer in time ({url})", hint="the feed backs off and retries"
            ) from None
        except httpx.ConnectError as exc:
            raise ConnectError(
                f"cannot connect to ACLED at {url}: {self._scrub(str(exc))}",
                hint="check the url, and this machine's network and DNS",
            ) from None
        except httpx.HTTPError as exc:
            raise FetchError(
                f"{url}: {type(exc).__name__}: {self._scrub(str(exc))}",
                hint="the feed backs off and retries",
            ) from None

    def _message(self, body: bytes) -> str:
        """ACLED's own words from an error answer, without any secret, at most 300 chars."""
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        parts: list[str] = []
        if isinstance(doc, dict):
            for name in ("error", "error_description", "message", "messages"):
                value = doc.get(name)
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, dict):
                        v = v.get("message") or v.get("detail")
                    if isinstance(v, str) and v.strip():
                        parts.append(v.strip())
        text = "; ".join(dict.fromkeys(parts)) or "no explanation given"
        return _cut(self._scrub(" ".join(text.split())), 300)

    def _scrub(self, text: str) -> str:
        """``text`` with every credential of the feed (and the token) masked."""
        opts = self.opts
        secrets = [s.reveal() for s in (opts.key, opts.password, opts.email) if s is not None]
        if self.source._token is not None:
            secrets.append(self.source._token[0])
        # As written, and as they appear in a URL's query (an error may quote the URL).
        forms = {f for s in secrets if s for f in (s, quote(s, safe=""), quote_plus(s))}
        for secret in sorted(forms, key=len, reverse=True):
            text = text.replace(secret, "****")
        return text


def _read_mark(value: str | None, digest: str) -> tuple[int, int] | None:
    """The (read, deleted) marks of the last poll, unless its query was another one."""
    if not value or not value.startswith(_MARK):
        return None
    read, _, rest = value[len(_MARK) :].partition(":")
    deleted, _, was = rest.partition(":")
    if was != digest or not _INT.fullmatch(read) or not _INT.fullmatch(deleted):
        return None
    return int(read), int(deleted)


def _stamps(records: list[Any], name: str) -> list[int]:
    values = (_text(r.get(name)).removesuffix(".0") for r in records if isinstance(r, dict))
    return [int(v) for v in values if _INT.fullmatch(v)]


def _numeric(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    assert country is not None  # the option was validated
    return str(country.numeric)


def _token_url(url: str) -> str:
    parts = httpx.URL(url)
    return str(parts.copy_with(path="/oauth/token", query=None, fragment=None))


def _deleted_url(url: str) -> str | None:
    """The deleted endpoint beside ``url``: ``/api/acled/read`` -> ``/api/deleted/read``."""
    parts = httpx.URL(url)
    path, n = re.subn(r"/acled/(read[^/]*)$", r"/deleted/\1", parts.path)
    return str(parts.copy_with(path=path)) if n else None


# --- parsing -----------------------------------------------------------------------------


class _Bad(Exception):
    """A record that cannot be used; ``reason`` is what the summary counts."""

    def __init__(self, reason: str, value: object = None) -> None:
        super().__init__(reason if value is None else f"{reason} ({str(value)[:60]!r})")
        self.reason = reason


Ranked = tuple[tuple[int, int], Item, Assessment]


def parse_events(
    body: bytes,
    *,
    feed: str,
    lang: str | None = "en",
    since: timedelta | None = None,
    countries: tuple[str, ...] = (),
    now: datetime | None = None,
) -> ParseResult:
    """Items of an ACLED CSV export, a saved API answer, or the API mode's body.

    Events dated more than ``since`` before ``now`` and, when ``countries`` is given,
    events elsewhere are left out (not counted as bad). A bad record is counted in
    ``entries_skipped`` and summarised in one warning; only a body that is not ACLED
    data at all raises ParseError. An event given twice keeps its latest revision.
    """
    stripped = body.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not stripped:
        raise ParseError("the body is empty", "ACLED answered without data; retried next time")
    text, warnings = _decode(stripped)
    if stripped[:1] in (b"{", b"["):
        events, deletions, notes = _json_records(text)
        warnings += notes
    else:
        events, broken = _csv_records(text)
        deletions = []
        warnings += broken
    horizon = ((now or datetime.now(UTC)) - since).date() if since is not None else None
    kept: dict[str, Ranked] = {}
    bad: Counter[str] = Counter()
    first: str | None = None
    for where, record, deleted in [(w, r, False) for w, r in events] + [
        (w, r, True) for w, r in deletions
    ]:
        try:
            if isinstance(record, str):
                raise _Bad(record)
            got = _tombstone(record, feed, lang) if deleted else _event(record, feed, lang)
        except _Bad as exc:
            bad[exc.reason] += 1
            first = first or f"{where}: {exc}"
            continue
        except Exception as exc:  # one odd record must not lose the others
            bad["unreadable record"] += 1
            first = first or f"{where}: {type(exc).__name__}: {exc}"
            continue
        rank, item, assessment = got
        if not deleted and not _wanted(item, assessment, horizon, countries):
            continue
        guid = item.guid_key or ""
        if guid not in kept or rank >= kept[guid][0]:
            kept[guid] = got
    if bad:
        total = len(events) + len(deletions)
        reasons = ", ".join(f"{n} {reason}" for reason, n in bad.most_common())
        warnings.append(
            f"{bad.total()} of {total} ACLED records skipped ({reasons}); first: {first}"
        )
    return ParseResult(
        items=tuple(k[1] for k in kept.values()),
        warnings=tuple(warnings),
        entries_skipped=bad.total(),
        assessments=tuple(k[2] for k in kept.values()),
    )


def _wanted(
    item: Item, assessment: Assessment, horizon: date | None, countries: tuple[str, ...]
) -> bool:
    if horizon is not None and item.published is not None and item.published.date() < horizon:
        return False
    return not countries or assessment.geo.primary in countries


Record = Mapping[str, Any] | str  # a str: why the record is unusable


def _json_records(
    text: str,
) -> tuple[list[tuple[str, Record]], list[tuple[str, Record]], list[str]]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ParseError(
            f"not valid JSON: {exc}", "expected ACLED's API answer, as saved"
        ) from None
    notes: list[str] = []
    deleted: Any = []
    if isinstance(doc, dict):
        if doc.get("success") in (False, 0, "0", "false"):
            raise ParseError(
                "the file holds an ACLED error answer, not events",
                "save a successful answer of the API",
            )
        data, deleted = doc.get("data"), doc.get("deleted") or []
        notes = [str(n) for n in doc.get("notes") or []]
    else:
        data = doc
    if not isinstance(data, list) or not isinstance(deleted, list):
        raise ParseError('no list of events under "data"', "expected ACLED's API answer, as saved")

    def records(values: list[Any], what: str) -> list[tuple[str, Record]]:
        return [
            (f"{what} {n}", {str(k).lower(): v for k, v in r.items()})
            if isinstance(r, dict)
            else (f"{what} {n}", "not an object")
            for n, r in enumerate(values, start=1)
        ]

    return records(data, "record"), records(deleted, "deletion"), notes


def _csv_records(text: str) -> tuple[list[tuple[str, Record]], list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        looks = "an HTML page" if text.lstrip()[:1] == "<" else "a CSV without them"
        raise ParseError(
            f"not an ACLED export: no {', '.join(missing)} column in the header ({looks})",
            "the url must be an ACLED CSV export (or, with credentials, the API)",
        )
    out: list[tuple[str, Record]] = []
    warnings: list[str] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                where = f"line {reader.line_num}"
                good = len(row) == len(header)
                out.append(
                    (where, dict(zip(header, row, strict=True)) if good else "wrong column count")
                )
    except csv.Error as exc:
        warnings.append(f"the CSV breaks at line {reader.line_num} ({exc}); the rest is not read")
    return out, warnings


def _decode(body: bytes) -> tuple[str, list[str]]:
    try:
        return body.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        note = f"not UTF-8 (byte {exc.start}); read as Windows-1252"
        return body.decode("cp1252", errors="replace"), [note]


def _event(record: Mapping[str, Any], feed: str, lang: str | None) -> Ranked:
    ident = _text(record.get("event_id_cnty"))
    if not ident:
        raise _Bad("missing event_id_cnty")
    event_type = _text(record.get("event_type"))
    labels = ACLED_EVENT_LABELS.get(event_type.lower())
    if labels is None:
        raise _Bad("unknown event_type", event_type)
    day = _day(record.get("event_date"))
    code = _country(record)
    lat, lon = _point(record.get("latitude"), record.get("longitude"))
    fatalities = _text(record.get("fatalities")).removesuffix(".0")
    if not _INT.fullmatch(fatalities):
        raise _Bad("bad fatalities", fatalities)
    stamp = _stamp(record.get("timestamp"), "timestamp")
    sub = _text(record.get("sub_event_type"))
    location, admin1 = _text(record.get("location")), _text(record.get("admin1"))
    country = _text(record.get("country")) or _country_name(code)
    terms = (event_type, sub) if sub else (event_type,)
    scores = tuple(
        LabelScore(lab, probability(event_type, sub, lab), True, terms) for lab in labels
    )
    place = Place(location or admin1 or country, code, "event", admin1 or None, lat, lon)
    tags = [f"fatalities:{int(fatalities)}"]
    tags += [
        f"disorder:{_slug(d)}" for d in _text(record.get("disorder_type")).split(";") if d.strip()
    ]
    for name, column in (
        ("acled-source-scale", "source_scale"),
        ("acled-geo-precision", "geo_precision"),
    ):
        if value := _slug(_text(record.get(column))):
            tags.append(f"{name}:{value}")
    item = Item(
        feed=feed,
        outlet=OUTLET,
        title=_title(event_type, sub, location, admin1, country),
        summary=_cut(_text(record.get("notes")), SUMMARY_MAX_CHARS),
        link=None,
        published=datetime(day.year, day.month, day.day, tzinfo=UTC),
        lang=lang,
        guid_key=f"acled:{ident}",
        url_key=None,
        content_hash=None,
        revision=None if stamp is None else str(stamp),
        tags=tuple(tags),
    )
    geo = GeoTag((CountryScore(code, 1.0),), (place,))
    return (-1 if stamp is None else stamp, 0), item, Assessment(geo, scores, MODEL)


def _tombstone(record: Mapping[str, Any], feed: str, lang: str | None) -> Ranked:
    ident = _text(record.get("event_id_cnty"))
    if not ident:
        raise _Bad("missing event_id_cnty")
    stamp = _stamp(record.get("deleted_timestamp"), "deleted_timestamp")
    if stamp is None:
        raise _Bad("bad deleted_timestamp")
    try:
        when = datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, OSError, ValueError):
        raise _Bad("bad deleted_timestamp", stamp) from None
    item = Item(
        feed=feed,
        outlet=OUTLET,
        title=f"Deleted by ACLED: event {ident}",
        summary=f"ACLED removed event {ident} from its dataset on {when:%Y-%m-%d} (a duplicate, "
        "or outside its scope); it no longer counts as evidence.",
        link=None,
        published=None,
        lang=lang,
        guid_key=f"acled:{ident}",
        url_key=None,
        content_hash=None,
        revision=f"deleted:{stamp}",
        tags=("acled-deleted",),
    )
    return (stamp, 1), item, Assessment(model=MODEL)


def _title(event_type: str, sub: str, location: str, admin1: str, country: str) -> str:
    """``Battles: Armed clash near Djibo, Sahel, Burkina Faso``."""
    head = f"{event_type}: {sub}" if sub else event_type
    where = list(dict.fromkeys(p for p in (location, admin1, country) if p))
    return f"{head} {'near' if location else 'in'} {', '.join(where)}" if where else head


def _day(value: object) -> date:
    text = _text(value)
    for layout in ("%Y-%m-%d", "%d %B %Y"):  # the API's, and older exports'
        try:
            return datetime.strptime(text, layout).date()
        except ValueError:
            pass
    raise _Bad("bad event_date", text)


def _country(record: Mapping[str, Any]) -> str:
    """Alpha-2 code from ACLED's numeric ``iso`` (else ``iso3``, else the name)."""
    iso = _text(record.get("iso")).removesuffix(".0")
    found = pycountry.countries.get(numeric=iso.zfill(3)) if _INT.fullmatch(iso) else None
    iso3 = _text(record.get("iso3")).upper()
    if found is None and len(iso3) == 3:
        found = pycountry.countries.get(alpha_3=iso3)
    name = _text(record.get("country"))
    if found is None and name:
        with contextlib.suppress(LookupError):
            found = pycountry.countries.lookup(name)
    if found is None:
        raise _Bad("unknown country", f"iso {iso or '-'}, {name or '-'}")
    return str(found.alpha_2)


def _country_name(code: str) -> str:
    found = pycountry.countries.get(alpha_2=code)
    return str(getattr(found, "common_name", None) or found.name) if found else code


def _point(lat: object, lon: object) -> tuple[float, float]:
    try:
        y, x = float(_text(lat)), float(_text(lon))
    except ValueError:
        raise _Bad("bad coordinates", f"{lat}, {lon}") from None
    if not (math.isfinite(y) and math.isfinite(x) and -90 <= y <= 90 and -180 <= x <= 180):
        raise _Bad("bad coordinates", f"{lat}, {lon}")
    return y, x


def _stamp(value: object, name: str) -> int | None:
    text = _text(value).removesuffix(".0")
    if not text:
        return None
    if not _INT.fullmatch(text):
        raise _Bad(f"bad {name}", text)
    return int(text)


def _text(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def _slug(text: str) -> str:
    return re.sub(r"\s+", "-", text.strip().lower()).replace("|", "/")


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"
