"""The ``acled`` source kind: ACLED's API (paged, incremental, with deletions) and its exports.

Exports are read by ``file://`` and from the local feed server; the API is the same
server with a handler that answers by query (pages, a login, errors), so every request
goes through a real socket. Whole cycles run through ``warning poll --once``.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from sqlalchemy import select

from tests.bombs import GIB, bomb, fetch_in_child, stacked
from tests.feedserver import FeedServer, Route, _Handler
from warning import cli, config
from warning.classify import adapters
from warning.errors import ConfigError, HTTPStatusError, ParseError
from warning.records import FeedState, FetchResult
from warning.settings import Secret
from warning.sources import REGISTRY, Feed
from warning.sources.acled import (
    ACLED_EVENT_LABELS,
    ACLED_SUBTYPE_PROBABILITY,
    DEFAULT_PROBABILITY,
    MODEL,
    AcledAuthError,
    AcledError,
    AcledOptions,
    AcledSource,
    parse_events,
)
from warning.sources.http import Fetcher
from warning.store import Store
from warning.store.tables import item_places, item_scores

FIXTURES = Path(__file__).parent / "fixtures" / "acled"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "acled.md"
#: The fixtures are dated May 2024: a window this wide keeps them in.
LONG_AGO = "36500d"
KEY, EMAIL, PASSWORD = "k3y-Ab12-SECRET", "desk.analyst@example.org", "pa55-W0rd-SECRET"
READ, DELETED, TOKEN = "/api/acled/read", "/api/deleted/read", "/oauth/token"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def acled_source(url: str, **options: Any) -> AcledSource:
    options.setdefault("since", timedelta(days=36500))
    feed = Feed("acled", "acled", url, timedelta(hours=6), "acled", "en", AcledOptions(**options))
    return AcledSource(feed)


def key_auth() -> dict[str, Any]:
    return {"email": Secret(EMAIL), "key": Secret(KEY)}


def oauth() -> dict[str, Any]:
    return {"email": Secret(EMAIL), "password": Secret(PASSWORD)}


# --- a stand-in for ACLED's API on the local feed server ---------------------------------


class AcledApi(FeedServer):
    """The feed server, answering ACLED's read and deleted endpoints by their query.

    ``pages[path]`` are the bodies of pages 1, 2, ...; a page past them is empty.
    ``fail[path]`` forces an answer (status, body); ``moved[path]`` a redirect
    (status, location). With ``bearer`` set, API paths want ``Authorization: Bearer
    <bearer>`` and answer 401 otherwise; ``/oauth/token`` grants ``bearer`` to the
    right password.
    """

    def __init__(self) -> None:
        super().__init__()
        self._httpd.RequestHandlerClass = _AcledHandler
        self.pages: dict[str, list[bytes]] = {READ: [], DELETED: []}
        self.fail: dict[str, tuple[int, bytes]] = {}
        self.moved: dict[str, tuple[int, str]] = {}
        self.bearer: str | None = None
        self.logins: list[dict[str, list[str]]] = []

    def answer(self, path: str, query: dict[str, list[str]], auth: str | None) -> Route:
        if path in self.moved:
            return _moved(*self.moved[path])
        if path in self.fail:
            status, body = self.fail[path]
            return _json(body, status)
        if self.bearer is not None and auth != f"Bearer {self.bearer}":
            return _json(b'{"message": "Unauthorized"}', 401)
        pages = self.pages[path]
        n = int(query.get("page", ["1"])[0])
        return _json(pages[n - 1] if n <= len(pages) else fixture("api-empty.json"))

    def login(self, form: dict[str, list[str]]) -> Route:
        self.logins.append(form)
        if TOKEN in self.moved:
            return _moved(*self.moved[TOKEN])
        if TOKEN in self.fail:
            status, body = self.fail[TOKEN]
            return _json(body, status)
        if form.get("password") != [PASSWORD] or self.bearer is None:
            return _json(fixture("oauth-invalid-grant.json"), 400)
        return _json(json.dumps({"access_token": self.bearer, "expires_in": 86400}).encode())

    def queries(self, path: str) -> list[dict[str, list[str]]]:
        """The query of every GET of ``path`` so far, in order."""
        return [
            parse_qs(urlsplit(p).query)
            for method, p, _ in self.requests
            if method == "GET" and urlsplit(p).path == path
        ]


def _json(body: bytes, status: int = 200) -> Route:
    return Route(body=body, status=status, content_type="application/json")


def _moved(status: int, location: str) -> Route:
    return Route(body=b"", status=status, content_type="text/plain", location=location)


class _AcledHandler(_Handler):
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        api = self.server.feeds
        if not isinstance(api, AcledApi) or parts.path not in api.pages:
            super().do_GET()
            return
        api._record("GET", self.path, dict(self.headers.items()))
        self._answered = False
        try:
            route = api.answer(parts.path, parse_qs(parts.query), self.headers.get("Authorization"))
            self._answer(api, route)
        finally:
            api._done(self._answered)

    def do_POST(self) -> None:
        api = self.server.feeds
        if not isinstance(api, AcledApi) or urlsplit(self.path).path != TOKEN:
            super().do_POST()
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        api._record("POST", self.path, dict(self.headers.items()))
        self._answered = False
        try:
            self._answer(api, api.login(parse_qs(body.decode())))
        finally:
            api._done(self._answered)


@pytest.fixture
def api() -> Iterator[AcledApi]:
    with AcledApi() as server:
        yield server


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher() as f:
        yield f


def poll(source: AcledSource, fetcher: Fetcher, state: FeedState) -> tuple[FetchResult, Any]:
    fetched = source.fetch(fetcher, state)
    return fetched, source.parse(fetched)


# --- the mapping -------------------------------------------------------------------------


def _documented_table() -> dict[tuple[str, str], tuple[str, float]]:
    """The rows of docs/acled.md's mapping table: (type, sub-type) -> (label, probability)."""
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"\| (.+?) \| (.+?) \| `(\w+)` \| ([\d.]+) \|.*", line)
        if m:
            rows[(m.group(1).lower(), m.group(2).lower())] = (m.group(3), float(m.group(4)))
    return rows


def test_the_mapping_is_the_documented_table() -> None:
    documented = _documented_table()
    assert len(documented) == len(ACLED_SUBTYPE_PROBABILITY) == 17
    for (event_type, sub), probability in ACLED_SUBTYPE_PROBABILITY.items():
        [label] = ACLED_EVENT_LABELS[event_type]  # every sub-type's type has one label
        assert documented[(event_type, sub)] == (label, probability)


def test_the_training_reader_uses_the_same_event_type_table() -> None:
    assert adapters.ACLED_EVENT_LABELS is ACLED_EVENT_LABELS
    assert REGISTRY["acled"] is AcledSource


@pytest.mark.parametrize(
    ("event_type", "sub", "expected"),
    [
        ("Battles", "Armed clash", {"attack": 0.9}),
        ("Battles", "Non-state actor overtakes territory", {"attack": 0.95}),
        ("Explosions/Remote violence", "Suicide bomb", {"attack": 0.98}),
        ("Violence against civilians", "Abduction/forced disappearance", {"attack": 0.9}),
        ("Protests", "Peaceful protest", {"unrest": 0.6}),
        ("Protests", "Excessive force against protesters", {"unrest": 0.9}),
        ("Riots", "Mob violence", {"unrest": 0.7}),
        ("Strategic developments", "Non-violent transfer of territory", {}),
        ("Strategic developments", "Other", {}),
        # A sub-type the table lacks, and a pre-2019 type: the label's default.
        ("Battles", "Something ACLED adds later", {"attack": DEFAULT_PROBABILITY["attack"]}),
        ("Remote violence", "", {"attack": DEFAULT_PROBABILITY["attack"]}),
        ("Riots/Protests", "", {"unrest": DEFAULT_PROBABILITY["unrest"]}),
    ],
)
def test_labels_are_mapped_as_documented(
    event_type: str, sub: str, expected: dict[str, float]
) -> None:
    row = {
        "event_id_cnty": "X1",
        "event_date": "2024-05-20",
        "event_type": event_type,
        "sub_event_type": sub,
        "iso": 466,
        "latitude": 12.65,
        "longitude": -8.0,
        "fatalities": 0,
        "timestamp": 1716800000,
    }
    result = parse_events(json.dumps([row]).encode(), feed="f")
    [assessment] = result.assessments
    assert assessment is not None and assessment.model == MODEL
    assert {s.label: s.probability for s in assessment.scores} == expected
    assert all(s.above for s in assessment.scores)
    assert all(s.terms == ((event_type, sub) if sub else (event_type,)) for s in assessment.scores)


# --- exports -----------------------------------------------------------------------------


def test_export_rows_become_items_that_bring_their_own_assessment(fetcher: Fetcher) -> None:
    source = acled_source((FIXTURES / "export.csv").as_uri())
    fetched, result = poll(source, fetcher, FeedState("acled"))
    assert fetched.status == "ok"
    assert (len(result.items), result.entries_skipped, result.warnings) == (7, 0, ())
    by_guid = dict(zip((i.guid_key for i in result.items), result.items, strict=True))
    assessed = dict(zip(by_guid, result.assessments, strict=True))

    kafolo = by_guid["acled:XCI2001"]
    assert kafolo.title == "Violence against civilians: Attack near Kafolo, Savanes, Ivory Coast"
    assert kafolo.summary.startswith("On 21 May 2024, gunmen who came from across the border")
    assert kafolo.published == datetime(2024, 5, 21, tzinfo=UTC)
    assert (kafolo.outlet, kafolo.feed, kafolo.lang, kafolo.link) == ("acled", "acled", "en", None)
    assert (kafolo.url_key, kafolo.content_hash, kafolo.revision) == (None, None, "1716810000")
    assert kafolo.tags == (
        "fatalities:3",
        "disorder:political-violence",
        "acled-source-scale:national",
        "acled-geo-precision:1",
    )
    geo = assessed["acled:XCI2001"].geo
    assert [(c.code, c.score) for c in geo.countries] == [("CI", 1.0)]  # iso 384, not the name
    [place] = geo.places
    assert (place.name, place.country, place.kind, place.admin1) == (
        "Kafolo",
        "CI",
        "event",
        "Savanes",
    )
    assert (place.lat, place.lon) == (9.6, -4.32)

    assert by_guid["acled:XBF1001"].title == "Battles: Armed clash near Djibo, Sahel, Burkina Faso"
    # A location that is its own admin-1 is named once; a mixed disorder gives two tags.
    assert by_guid["acled:XNE5001"].title == "Strategic developments: Other near Niamey, Niger"
    assert assessed["acled:XNE5001"].scores == ()
    assert by_guid["acled:XGH7001"].tags[1:3] == (
        "disorder:political-violence",
        "disorder:demonstrations",
    )


def test_malformed_rows_are_each_counted_and_skipped_in_one_warning(fetcher: Fetcher) -> None:
    source = acled_source((FIXTURES / "malformed.csv").as_uri())
    _, result = poll(source, fetcher, FeedState("acled"))
    assert [i.guid_key for i in result.items] == ["acled:XBF8001", "acled:XBF8011"]
    assert result.entries_skipped == 9
    [warning] = result.warnings
    assert warning.startswith("9 of 11 ACLED records skipped (")
    for reason in (
        "2 bad coordinates",  # a word, and a latitude past the pole
        "1 missing event_id_cnty",
        "1 bad event_date",
        "1 unknown event_type",
        "1 bad fatalities",
        "1 wrong column count",
        "1 bad timestamp",
        "1 unknown country",
    ):
        assert reason in warning
    assert warning.endswith("first: line 3: missing event_id_cnty")


def test_a_saved_api_answer_reads_like_an_export(fetcher: Fetcher) -> None:
    source = acled_source((FIXTURES / "api-page-1.json").as_uri())
    _, result = poll(source, fetcher, FeedState("acled"))
    assert [i.guid_key for i in result.items] == ["acled:XBF1001", "acled:XCI2001"]


def test_old_events_and_other_countries_are_left_out_without_counting_as_bad() -> None:
    body = fixture("export.csv")
    now = datetime(2024, 5, 28, tzinfo=UTC)
    recent = parse_events(body, feed="f", since=timedelta(days=5), now=now)
    assert [i.guid_key for i in recent.items] == [
        "acled:XTG4001",
        "acled:XNE5001",
        "acled:XBJ6001",
        "acled:XGH7001",
    ]
    coastal = parse_events(body, feed="f", countries=("CI", "GH", "TG", "BJ"))
    assert {i.guid_key for i in coastal.items} == {
        "acled:XCI2001",
        "acled:XTG4001",
        "acled:XBJ6001",
        "acled:XGH7001",
    }
    assert recent.entries_skipped == coastal.entries_skipped == 0


def test_odd_values_cost_their_record_only() -> None:
    row = json.loads(fixture("api-page-1.json"))["data"][0]
    odd = [
        row | {"event_id_cnty": "X2", "fatalities": "³"},  # a digit to str.isdigit, not to int
        row | {"event_id_cnty": "X3", "event_date": "0000-01-01"},
        row | {"event_id_cnty": "X4", "latitude": "nan"},
        row | {"event_id_cnty": "X5", "timestamp": "1e9"},
        row | {"event_id_cnty": "X6", "fatalities": "2.0", "timestamp": "1716800000.0"},
        ["not", "an", "object"],
    ]
    body = b"\xef\xbb\xbf" + json.dumps({"data": [row, *odd]}).encode()  # with a BOM
    result = parse_events(body, feed="f")
    assert [i.guid_key for i in result.items] == ["acled:XBF1001", "acled:X6"]
    assert result.items[1].tags[0] == "fatalities:2" and result.items[1].revision == "1716800000"
    assert result.entries_skipped == 5
    assert "1 not an object" in result.warnings[0]


def test_an_event_given_twice_keeps_its_latest_revision() -> None:
    old, new = (json.loads(fixture("api-page-1.json"))["data"][0] for _ in range(2))
    new |= {"timestamp": "1716900000", "fatalities": "15"}
    result = parse_events(json.dumps({"data": [new, old]}).encode(), feed="f")
    [item] = result.items
    assert (item.revision, item.tags[0]) == ("1716900000", "fatalities:15")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html><body>Log in</body></html>", "HTML page"),
        (b"id,date,what\n1,2024-05-20,something\n", "no event_id_cnty, event_date, event_type"),
        (b'{"data": "none"}', 'no list of events under "data"'),
        (b'{"status": 403, "success": false}', "error answer"),
    ],
)
def test_a_body_that_is_not_acled_data_is_a_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)):
        parse_events(body, feed="f")


def test_an_export_over_http_is_fetched_conditionally(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    feed_server.add("/acled-export.csv", fixture("export.csv"), content_type="text/csv")
    source = acled_source(feed_server.url("/acled-export.csv"))
    fetched, result = poll(source, fetcher, FeedState("acled"))
    assert len(result.items) == 7
    state = FeedState("acled", etag=fetched.etag, last_modified=fetched.last_modified)
    again, nothing = poll(source, fetcher, state)
    assert again.status == "not_modified" and nothing.items == ()


# --- the API -----------------------------------------------------------------------------


def test_the_api_is_paged_then_asked_only_for_changes(api: AcledApi, fetcher: Fetcher) -> None:
    api.pages[READ] = [fixture("api-page-1.json"), fixture("api-page-2.json")]
    api.pages[DELETED] = [
        json.dumps(
            {"data": [{"event_id_cnty": "XTG4001", "deleted_timestamp": "1716900000"}]}
        ).encode()
    ]
    source = acled_source(api.url(READ), page_size=2, **key_auth())  # since: 36500 days
    fetched, result = poll(source, fetcher, FeedState("acled"))

    assert [i.guid_key for i in result.items] == [
        "acled:XBF1001",
        "acled:XCI2001",
        "acled:XML3001",
        "acled:XTG4001",  # a deletion of an event this database may never have seen
    ]
    assert result.items[-1].revision == "deleted:1716900000"
    assert result.assessments[-1] is not None and result.assessments[-1].scores == ()
    first, second = api.queries(READ)
    assert (first["page"], second["page"]) == (["1"], ["2"])
    today = datetime.now(UTC).date()
    for query in (first, second):
        assert query["key"] == [KEY] and query["email"] == [EMAIL] and query["limit"] == ["2"]
        assert query["event_date_where"] == ["BETWEEN"]
        assert query["event_date"][0].startswith(f"{today - timedelta(days=36500):%Y-%m-%d}|")
        assert "timestamp" not in query  # the first poll takes the whole window
        assert "event_type" in query["fields"][0].split("|")
    [deleted_query] = api.queries(DELETED)
    assert deleted_query["deleted_timestamp"] == ["0"]  # the window's start, before 1970
    # Nothing secret is kept with the result, which the pipeline stores as feed state.
    assert KEY not in repr(fetched) and EMAIL not in repr(fetched)
    assert fetched.url == fetched.final_url == api.url(READ)

    # The next poll asks for what changed since the newest change it has seen.
    api.reset_stats()
    state = FeedState("acled", last_modified=fetched.last_modified)
    again, nothing = poll(source, fetcher, state)
    queries = api.queries(READ)
    assert len(queries) == 2  # (this stand-in ignores the filter and serves both pages again)
    for query in queries:
        assert (query["timestamp"], query["timestamp_where"]) == (["1716820000"], [">="])
    [deleted_query] = api.queries(DELETED)
    assert deleted_query["deleted_timestamp"] == ["1716900000"]
    assert again.status == "ok" and len(nothing.items) == 4


def test_an_api_with_nothing_new_is_not_modified(api: AcledApi, fetcher: Fetcher) -> None:
    source = acled_source(api.url(READ), **key_auth())
    fetched, result = poll(source, fetcher, FeedState("acled"))
    assert fetched.status == "not_modified" and fetched.body == b"" and result.items == ()
    assert fetched.last_modified is not None  # the marks are kept all the same


def test_a_failing_deleted_endpoint_keeps_the_events(api: AcledApi, fetcher: Fetcher) -> None:
    api.pages[READ] = [fixture("api-page-2.json")]
    api.fail[DELETED] = (403, fixture("api-forbidden.json"))
    source = acled_source(api.url(READ), **key_auth())
    fetched, result = poll(source, fetcher, FeedState("acled"))
    assert [i.guid_key for i in result.items] == ["acled:XML3001"]
    [warning] = result.warnings
    assert warning.startswith("deletions not read this time: ACLED refused access")
    assert KEY not in warning and EMAIL not in warning
    assert fetched.last_modified is not None
    _, _, read_mark, deleted_mark, _ = fetched.last_modified.split(":")
    assert (read_mark, deleted_mark) == ("1716820000", "0")  # deletions are asked again


def test_a_timestamp_from_the_future_does_not_move_the_mark_past_now(
    api: AcledApi, fetcher: Fetcher
) -> None:
    page = json.loads(fixture("api-page-2.json"))
    page["data"][0]["timestamp"] = "4102444800"  # 2100
    api.pages[READ] = [json.dumps(page).encode()]
    fetched, _ = poll(acled_source(api.url(READ), **key_auth()), fetcher, FeedState("acled"))
    assert fetched.last_modified is not None
    assert int(fetched.last_modified.split(":")[2]) <= datetime.now(UTC).timestamp()


def test_countries_are_asked_one_at_a_time(api: AcledApi, fetcher: Fetcher) -> None:
    source = acled_source(api.url(READ), countries=("BF", "CI"), deletions=False, **key_auth())
    poll(source, fetcher, FeedState("acled"))
    assert [q["iso"] for q in api.queries(READ)] == [["854"], ["384"]]
    assert api.queries(DELETED) == []


def test_too_many_pages_warn_and_keep_the_mark(api: AcledApi, fetcher: Fetcher) -> None:
    api.pages[READ] = [fixture("api-page-1.json")] * 5
    source = acled_source(api.url(READ), page_size=2, max_pages=3, **key_auth())
    fetched, result = poll(source, fetcher, FeedState("acled"))
    assert len(api.queries(READ)) == 3
    assert any("stopped after 3 pages of 2 events" in w for w in result.warnings)
    # The read mark did not move past events not fetched: it is still the window's start.
    assert fetched.last_modified is not None
    read_mark = int(fetched.last_modified.split(":")[2])
    assert read_mark < 1716800000


def test_changed_options_start_the_marks_afresh(api: AcledApi, fetcher: Fetcher) -> None:
    api.pages[READ] = [fixture("api-page-2.json")]
    fetched, _ = poll(acled_source(api.url(READ), **key_auth()), fetcher, FeedState("acled"))
    state = FeedState("acled", last_modified=fetched.last_modified)
    api.reset_stats()
    poll(acled_source(api.url(READ), countries=("ML",), **key_auth()), fetcher, state)
    [query] = api.queries(READ)
    assert "timestamp" not in query


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (200, fixture("api-error.json"), AcledError, "iso must be a number"),
        (400, fixture("api-error.json"), AcledError, "HTTP 400"),
        (403, fixture("api-forbidden.json"), AcledAuthError, "Access denied"),
        (200, fixture("api-forbidden.json"), AcledAuthError, "HTTP 403"),
        (401, b"<html>Unauthorized</html>", AcledAuthError, "no explanation given"),
        (200, b"<!DOCTYPE html><html>Log in</html>", AcledError, "no list of events"),
        (503, b"down for maintenance", HTTPStatusError, "HTTP 503"),
    ],
)
def test_an_api_error_answer_raises_with_a_hint_and_no_secret(
    api: AcledApi, fetcher: Fetcher, status: int, body: bytes, error: type[Exception], words: str
) -> None:
    api.fail[READ] = (status, body.replace(b"key and email", f"key {KEY}".encode()))
    source = acled_source(api.url(READ), **key_auth())
    with pytest.raises(error) as caught:
        source.fetch(fetcher, FeedState("acled"))
    text = str(caught.value)
    assert words in text and "(hint: " in text
    assert KEY not in text and EMAIL not in text
    if error is AcledAuthError:
        assert "email and key" in text and "password" in text


def test_oauth_logs_in_once_and_sends_the_token(api: AcledApi, fetcher: Fetcher) -> None:
    api.bearer = "token-1"
    api.pages[READ] = [fixture("api-page-1.json")]
    source = acled_source(api.url(READ), **oauth())
    fetched, result = poll(source, fetcher, FeedState("acled"))
    assert len(result.items) == 2
    [form] = api.logins
    assert form == {
        "username": [EMAIL],
        "password": [PASSWORD],
        "grant_type": ["password"],
        "client_id": ["acled"],
    }
    gets = [h for m, _, h in api.requests if m == "GET"]
    assert gets and all(h["Authorization"] == "Bearer token-1" for h in gets)
    assert all(
        "key" not in q and "email" not in q and q["_format"] == ["json"] for q in api.queries(READ)
    )

    poll(source, fetcher, FeedState("acled"))
    assert len(api.logins) == 1  # the token is kept between polls
    api.bearer = "token-2"  # revoked: one 401, one new login, then the data
    poll(source, fetcher, FeedState("acled"))
    assert len(api.logins) == 2
    assert fetched.last_modified is not None and "token" not in fetched.last_modified


def test_a_refused_login_is_an_auth_error_without_the_password(
    api: AcledApi, fetcher: Fetcher
) -> None:
    api.bearer = "token-1"
    source = acled_source(api.url(READ), email=Secret(EMAIL), password=Secret("wrong-" + PASSWORD))
    with pytest.raises(AcledAuthError) as caught:
        source.fetch(fetcher, FeedState("acled"))
    text = str(caught.value)
    assert "The user credentials were incorrect." in text and "email and password" in text
    assert PASSWORD not in text and EMAIL not in text


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirected_login_is_not_followed_and_sends_the_password_nowhere(
    api: AcledApi, fetcher: Fetcher, status: int
) -> None:
    api.bearer = "token-1"
    api.pages[READ] = [fixture("api-page-1.json")]
    with FeedServer() as elsewhere:
        api.moved[TOKEN] = (status, elsewhere.url(TOKEN))
        source = acled_source(api.url(READ), **oauth())

        with pytest.raises(AcledError) as caught:
            source.fetch(fetcher, FeedState("acled"))

        assert elsewhere.requests == [] and elsewhere.posted == []
    assert len(api.logins) == 1 and not api.queries(READ)  # no data asked without a token
    text = str(caught.value)
    assert f"the ACLED login at {api.url(TOKEN)} redirects (HTTP {status})" in text
    assert elsewhere.url(TOKEN) in text and "the password is not sent there" in text
    assert "token_url" in (caught.value.hint or "")
    assert PASSWORD not in text and EMAIL not in text


@pytest.mark.parametrize("auth", [oauth, key_auth])
def test_a_redirected_data_request_sends_no_token_or_key_elsewhere(
    api: AcledApi, fetcher: Fetcher, auth: Any
) -> None:
    api.bearer = "token-1"
    with FeedServer() as elsewhere:
        elsewhere.add(READ, fixture("api-page-1.json"), content_type="application/json")
        # as a moved host would answer: the same path and query, somewhere else
        echoed = f"?email={EMAIL}" + (f"&key={KEY}" if auth is key_auth else "")
        api.moved[READ] = (307, elsewhere.url(READ) + echoed)
        source = acled_source(api.url(READ), **auth())

        with pytest.raises(AcledError) as caught:
            source.fetch(fetcher, FeedState("acled"))

        assert elsewhere.requests == []
    text = str(caught.value)
    assert f"ACLED's {api.url(READ)} redirects (HTTP 307) to {elsewhere.url(READ)}?" in text
    assert "point the feed's url at the final address" in (caught.value.hint or "")
    assert KEY not in text and EMAIL not in text and "token-1" not in text


def test_api_answers_are_inflated_under_the_cap(fetcher: Fetcher) -> None:
    # The API client reads its own answers: the same bounded decoding as the Fetcher.
    page = stacked(fixture("api-page-1.json"), ["gzip", "gzip"])
    with FeedServer() as server:
        server.add(
            READ, page, content_type="application/json", headers={"Content-Encoding": "gzip, gzip"}
        )
        server.add("/empty", fixture("api-empty.json"), content_type="application/json")
        source = acled_source(server.url(READ), **key_auth(), deletions=False)
        _, result = poll(source, fetcher, FeedState("acled"))
        assert len(result.items) == 2  # an honest double-gzip page decodes

        server.add(
            READ,
            bomb(2 * GIB, ["gzip", "gzip"]),
            content_type="application/json",
            headers={"Content-Encoding": "gzip, gzip"},
            chunked=True,
        )
        report = fetch_in_child("acled", server.url(READ), server.url("/empty"))
    assert report["outcome"].startswith("BodyTooLarge: "), report
    assert "page_size" in report["outcome"] and report["grew_mb"] < 16, report


def test_a_source_crosses_to_worker_processes_without_its_token(
    api: AcledApi, fetcher: Fetcher
) -> None:
    import pickle

    api.bearer = "token-1"
    source = acled_source(api.url(READ), **oauth())
    poll(source, fetcher, FeedState("acled"))
    copy = pickle.loads(pickle.dumps(source))
    assert copy.feed == source.feed and copy._token is None and source._token is not None


# --- configuration -----------------------------------------------------------------------


def write_config(tmp_path: Path, feeds: list[dict[str, Any]], **extra: Any) -> Path:
    data: dict[str, Any] = {
        "database": f"sqlite:///{tmp_path / 'warning.db'}",
        "feeds": feeds,
        "poll": {"processes": 0},
        **extra,
    }
    path = tmp_path / "warning.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_options_are_read_from_yaml_with_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACLED_EMAIL", EMAIL)
    monkeypatch.setenv("ACLED_PASSWORD", PASSWORD)
    feed = {
        "name": "acled",
        "kind": "acled",
        "url": "https://acleddata.com/api/acled/read",
        "every": "6h",
        "email": "${ACLED_EMAIL}",
        "password": "${ACLED_PASSWORD}",
        "since": "21d",
        "countries": ["ml", "BF", "CI"],
    }
    [loaded] = config.load(write_config(tmp_path, [feed])).feeds
    opts = loaded.options
    assert isinstance(opts, AcledOptions) and opts.auth == "oauth"
    assert opts.password == Secret(PASSWORD) and PASSWORD not in repr(opts)
    assert (opts.since, opts.countries) == (timedelta(days=21), ("ML", "BF", "CI"))
    assert list(opts.problems()) == []


def test_bad_options_are_reported_at_their_line(tmp_path: Path) -> None:
    feed = {
        "name": "acled",
        "kind": "acled",
        "url": "file:///tmp/acled.csv",
        "countries": ["Mali"],
        "page_size": 10000,
        "keys": "x",
    }
    with pytest.raises(ConfigError) as caught:
        config.load(write_config(tmp_path, [feed]))
    text = str(caught.value)
    assert re.search(
        r"warning\.yaml:\d+: feeds\[0\]\.countries: 'Mali' is not an alpha-2 code; "
        r"did you mean ML \(Mali\)\?",
        text,
    )
    assert re.search(r"feeds\[0\]\.page_size: must be between 1 and 5000", text)
    assert re.search(r"feeds\[0\]\.keys: unknown key; did you mean 'key'\?", text)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"password": Secret(PASSWORD)}, "email: is required with password or key"),
        ({"email": Secret(EMAIL)}, "email: needs password"),
        ({**oauth(), "key": Secret(KEY)}, "key: give password"),
        ({"token_url": "https://example.org/token"}, "token_url: is only used with password"),
    ],
)
def test_credentials_that_cannot_work_fail_the_feed_with_a_hint(
    fetcher: Fetcher, options: dict[str, Any], problem: str
) -> None:
    source = acled_source("https://acleddata.com/api/acled/read", **options)
    with pytest.raises(AcledError, match=re.escape(problem)) as caught:
        source.fetch(fetcher, FeedState("acled"))
    assert PASSWORD not in str(caught.value)


# --- whole cycles ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """cli.main sets up logging for the whole process: give the session its own back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def poll_once(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str]:
    capsys.readouterr()
    assert cli.main(["--config", str(path), "poll", "--once", "--json"]) == 0
    out, err = capsys.readouterr()
    return json.loads(out), err


def acled_feed(url: str, **options: Any) -> dict[str, Any]:
    return {
        "name": "acled",
        "kind": "acled",
        "url": url,
        "every": "6h",
        "since": LONG_AGO,
        **options,
    }


def stored(tmp_path: Path) -> tuple[list[Any], list[Any], list[Any]]:
    """Stored items, and every row of the places and scores tables."""
    store = Store(f"sqlite:///{tmp_path / 'warning.db'}")
    try:
        with store.db.read() as conn:
            places = conn.execute(select(item_places)).all()
            scores = conn.execute(select(item_scores)).all()
        return store.items(), places, scores
    finally:
        store.close()


def test_an_edited_event_replaces_the_stored_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "acled-export.csv"
    shutil.copy(FIXTURES / "edit-v1.csv", export)
    path = write_config(tmp_path, [acled_feed(export.as_uri())])
    first, _ = poll_once(path, capsys)
    assert (first["items_new"], first["feeds_failed"]) == (1, 0)
    [before], [place], _ = stored(tmp_path)
    assert (before.countries, before.tags[0], place.name) == (("ML",), "fatalities:2", "Menaka")

    # ACLED corrects the event: more deaths, the other side of the border, a new timestamp.
    export.write_bytes(fixture("edit-v2.csv"))
    second, _ = poll_once(path, capsys)
    assert (second["items_new"], second["items_duplicate"]) == (0, 1)
    [after], [place], [score] = stored(tmp_path)
    assert after.id == before.id and after.first_seen == before.first_seen  # counted once
    assert after.revision == "1716700000" and after.countries == ("NE",)
    assert after.title == "Battles: Armed clash near Ayorou, Tillaberi, Niger"
    assert after.tags == (
        "fatalities:9",
        "disorder:political-violence",
        "acled-source-scale:local-partner-national",
        "acled-geo-precision:1",
    )
    assert (place.name, place.country, place.lat, place.lon) == ("Ayorou", "NE", 14.7308, 0.9174)
    assert (score.label, score.probability, score.model) == ("attack", 0.9, MODEL)

    # The same revision again changes nothing.
    export.write_bytes(fixture("edit-v2.csv") + b"\n")
    third, _ = poll_once(path, capsys)
    assert (third["items_new"], third["items_duplicate"]) == (0, 1)


def test_a_deleted_event_drops_out_of_signals_but_stays_stored(
    tmp_path: Path,
    api: AcledApi,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACLED_KEY", KEY)
    api.pages[READ] = [fixture("api-page-1.json")]
    feed = acled_feed(api.url(READ), email=EMAIL, key="${ACLED_KEY}")
    path = write_config(tmp_path, [feed], poll={"processes": 1})  # parsed in a worker process
    first, _ = poll_once(path, capsys)
    assert first["items_new"] == 2
    kept, _, _ = stored(tmp_path)
    djibo = next(i for i in kept if i.title.startswith("Battles"))
    assert djibo.labels == ("attack",)

    api.pages[READ] = []
    api.pages[DELETED] = [fixture("api-deleted.json")]
    second, _ = poll_once(path, capsys)
    assert (second["items_new"], second["items_duplicate"]) == (0, 1)
    kept, places, _ = stored(tmp_path)
    assert len(kept) == 2
    gone = next(i for i in kept if i.id == djibo.id)
    assert gone.revision == "deleted:1717000000" and gone.labels == () and gone.countries == ()
    assert gone.title == "Deleted by ACLED: event XBF1001" and gone.tags == ("acled-deleted",)
    assert [p.name for p in places] == ["Kafolo"]


def test_secrets_never_reach_the_log_the_output_or_the_database(
    tmp_path: Path,
    api: AcledApi,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACLED_KEY", KEY)
    monkeypatch.setenv("ACLED_PASSWORD", PASSWORD)
    api.fail[READ] = (
        403,
        fixture("api-forbidden.json").replace(b"key and email", f"key {KEY} and {EMAIL}".encode()),
    )
    api.fail[TOKEN] = (
        401,
        json.dumps({"message": f"bad password {PASSWORD} for {EMAIL}"}).encode(),
    )
    feeds = [
        acled_feed(api.url(READ), name="acled-key", email=EMAIL, key="${ACLED_KEY}"),
        acled_feed(api.url(READ), name="acled-oauth", email=EMAIL, password="${ACLED_PASSWORD}"),
    ]
    path = write_config(tmp_path, feeds)
    capsys.readouterr()
    assert cli.main(["--config", str(path), "--log-level", "debug", "poll", "--once"]) == 0
    out, err = capsys.readouterr()
    assert "feeds_failed=2" in out and "ACLED refused" in out and "ACLED refused" in err
    store = Store(f"sqlite:///{tmp_path / 'warning.db'}")
    try:
        errors = [s.last_error or "" for s in store.feed_states().values()]
    finally:
        store.close()
    assert len(errors) == 2 and all("ACLED refused" in e for e in errors)
    for secret in (KEY, PASSWORD, EMAIL):
        assert secret not in out and secret not in err and all(secret not in e for e in errors)


def test_an_acled_attack_in_the_coastal_band_is_evidence_for_the_zone_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Kafolo (CI, 9.6 N 4.32 W) lies on the Burkina Faso border: inside coastal-north.
    path = write_config(
        tmp_path, [acled_feed((FIXTURES / "export.csv").as_uri(), countries=["CI"])]
    )
    report, _ = poll_once(path, capsys)
    assert (report["items_new"], report["alerts_new"]) == (1, 1)
    capsys.readouterr()
    assert cli.main(["--config", str(path), "alerts", "list", "--json"]) == 0
    [alert] = json.loads(capsys.readouterr().out)
    assert (alert["rule"], alert["subject"], alert["label"]) == (
        "attack-coastal-north",
        "zone:coastal-north",
        "attack",
    )
    assert alert["outlets"] == ["acled"]


def test_credentials_that_cannot_work_together_are_config_errors(tmp_path: Path) -> None:
    from warning import config
    from warning.errors import ConfigError

    path = tmp_path / "warning.yaml"
    path.write_text(
        "feeds:\n"
        "  - name: acled\n"
        "    kind: acled\n"
        "    url: https://acleddata.com/api/acled/read\n"
        "    password: s3cret\n"
    )
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    [problem] = caught.value.problems
    assert problem.key == "feeds[0].email" and problem.line == 2
    assert "required with password or key" in problem.message
    assert "s3cret" not in str(caught.value)
