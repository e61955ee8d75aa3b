"""The ACLED API client: OAuth (or legacy key) login, paging, deletions, high-water marks.

Separate from the source (``__init__``) and the parser (events.py) because it is the
only part that talks to ACLED's servers, with its own httpx client: the shared Fetcher
can neither POST (the login) nor send an Authorization header. A poll's answer is
packed into one JSON body that :func:`~.events.parse_events` reads like a saved answer,
and its marks are kept as the feed's Last-Modified (see :data:`MARK`).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

import httpx

from ...errors import BodyTooLarge, ConnectError, FetchError, FetchTimeout, HTTPStatusError
from ...geo.countries import numeric
from ...records import FeedState, FetchResult
from ..decoding import BoundedDecoder
from .events import INTEGER, shorten, text_of

if TYPE_CHECKING:
    from ..http import FetchLimits
    from . import AcledSource

#: Columns asked of the API (its ``fields``): what an item uses, and no more.
API_FIELDS = (
    "event_id_cnty", "event_date", "disorder_type", "event_type", "sub_event_type", "iso",
    "country", "admin1", "location", "latitude", "longitude", "geo_precision",
    "source_scale", "notes", "fatalities", "timestamp",
)  # fmt: skip
MARK = "acled:v1:"  # a poll's high-water marks, kept as the feed's Last-Modified
_AUTH_HINT = (
    "check the feed's email and password (the myACLED login; the account needs API access "
    "and ACLED's terms accepted)"
)
_KEY_HINT = (
    "check the feed's email and key; ACLED retired access keys in September 2025: use "
    "password (the myACLED login) instead of key"
)


class AcledError(FetchError):
    """ACLED answered with an error (``success: false``, an HTTP error, not JSON).

    Also raised, before any request, for credentials that cannot work together.
    """


class AcledAuthError(AcledError):
    """ACLED refused the credentials (HTTP 401/403, or a failed login)."""


class Api:
    """One poll of the ACLED API: log in if needed, then page through changes and deletions.

    Not the shared Fetcher: it can neither POST (the login) nor send an Authorization
    header. The poll's limits (timeouts, deadline per request, body cap) are the same,
    and bodies are inflated under the cap the same way. Redirects are not followed:
    each request carries the password, the token or the key, and a redirect would
    carry them to wherever the answer points; a redirect is an error naming its target.
    """

    def __init__(self, source: AcledSource, limits: FetchLimits) -> None:
        self.source = source
        self.opts = source.options
        self.limits = limits
        self.url = source.feed.url
        self.received = 0
        self._client = httpx.Client(
            headers={
                "User-Agent": limits.user_agent,
                "Accept": "application/json",
                "Accept-Encoding": "gzip",  # the coding read under the cap, as the Fetcher
            },
            timeout=httpx.Timeout(
                connect=limits.connect_timeout,
                read=limits.read_timeout,
                write=limits.read_timeout,
                pool=limits.connect_timeout,
            ),
            follow_redirects=False,
        )

    def __enter__(self) -> Api:
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
            last_modified=f"{MARK}{read_mark}:{deleted_mark}:{digest}",
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
                if response.is_redirect:
                    raise self._redirected(method, url, response)
                decoder = BoundedDecoder(
                    ", ".join(response.headers.get_list("content-encoding")),
                    url,
                    limits.max_bytes,
                )
                # Raw bytes, inflated by the decoder under the cap: never httpx's decoders.
                for chunk in response.iter_raw():
                    decoder.feed(chunk)
                    if time.monotonic() > deadline:
                        raise FetchTimeout(
                            f"deadline of {limits.deadline:g} s passed fetching {url}",
                            hint="ACLED is slow; lower page_size or raise poll.deadline",
                        )
                self.received += response.num_bytes_downloaded
                return response.status_code, decoder.finish()
        except BodyTooLarge as exc:
            raise BodyTooLarge(
                exc.message, hint="lower the feed's page_size (or raise poll.max_bytes)"
            ) from None
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

    def _redirected(self, method: str, url: str, response: httpx.Response) -> AcledError:
        """The error for a redirect, which is never followed (it would carry the secrets)."""
        location = self._scrub(response.headers.get("location", "(no Location)"))
        if method == "POST":
            return AcledError(
                f"the ACLED login at {url} redirects (HTTP {response.status_code}) to "
                f"{location}; not followed, so the password is not sent there",
                "set the feed's token_url to the login's final address, if it is ACLED's "
                "(default: /oauth/token on the url's host)",
            )
        return AcledError(
            f"ACLED's {url} redirects (HTTP {response.status_code}) to {location}; not "
            "followed, so the credentials are not sent there",
            "point the feed's url at the final address, if it is ACLED's",
        )

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
        return shorten(self._scrub(" ".join(text.split())), 300)

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
    if not value or not value.startswith(MARK):
        return None
    read, _, rest = value[len(MARK) :].partition(":")
    deleted, _, was = rest.partition(":")
    if was != digest or not INTEGER.fullmatch(read) or not INTEGER.fullmatch(deleted):
        return None
    return int(read), int(deleted)


def _stamps(records: list[Any], name: str) -> list[int]:
    values = (text_of(r.get(name)).removesuffix(".0") for r in records if isinstance(r, dict))
    return [int(v) for v in values if INTEGER.fullmatch(v)]


def _numeric(code: str) -> str:
    number = numeric(code)
    assert number is not None  # the option was validated
    return number


def _token_url(url: str) -> str:
    parts = httpx.URL(url)
    return str(parts.copy_with(path="/oauth/token", query=None, fragment=None))


def _deleted_url(url: str) -> str | None:
    """The deleted endpoint beside ``url``: ``/api/acled/read`` -> ``/api/deleted/read``."""
    parts = httpx.URL(url)
    path, n = re.subn(r"/acled/(read[^/]*)$", r"/deleted/\1", parts.path)
    return str(parts.copy_with(path=path)) if n else None
