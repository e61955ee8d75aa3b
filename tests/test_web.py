"""The situation page over HTTP: pages, JSON, the token, methods, escaping, the daemon."""

from __future__ import annotations

import base64
import json
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import Daemon, NotifySocket, free_port, wait_for, write_config
from tests.web_scenario import END, build
from warning.cli import main
from warning.web.server import WebServer, open_site


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build(tmp_path_factory.mktemp("situation"))


def _serve(url: str, token: str | None = None) -> WebServer:
    site = open_site(url, lambda: ())
    site.clock = lambda: END
    return WebServer("127.0.0.1", 0, site, token).start()


@pytest.fixture
def base(database: str) -> Iterator[str]:
    server = _serve(database)
    yield "http://{}:{}".format(*server.address)
    server.close()


def get(url: str, method: str = "GET", **headers: str) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


def test_the_map_shades_the_countries_and_lists_the_open_alerts(base: str) -> None:
    status, headers, body = get(base + "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    levels = dict(re.findall(r'data-code="(\w\w)" data-level="(\w+)"', body))
    assert len(levels) == 55  # every African country is drawn
    assert levels["ML"] == "corroborated" and levels["BF"] in ("elevated", "low")
    assert levels["SN"] == "quiet"
    assert 'href="/alerts/1"' in body and "last update: <time>2026-11-20" in body
    # The table says the same in words, for screen readers.
    assert re.search(r'<tr class="level-corroborated"><td><a href="/country/ML">Mali', body)


def test_the_json_api(base: str) -> None:
    countries = json.loads(get(base + "/api/countries")[2])
    by_code = {c["code"]: c for c in countries}
    assert set(by_code["ML"]) >= {"code", "name", "level", "labels", "open_alerts"}
    assert by_code["ML"]["level"] == "corroborated" and by_code["ML"]["open_alerts"] == 1
    assert by_code["ML"]["labels"]["coup"] > 0.9 and by_code["BF"]["labels"]["attack"] > 0
    [alert] = json.loads(get(base + "/api/alerts?status=open")[2])
    assert (alert["subject"], alert["label"], alert["status"]) == ("ML", "coup", "open")
    assert json.loads(get(base + "/api/alerts?status=resolved")[2]) == []
    assert get(base + "/api/alerts?status=nope")[0] == 400
    detail = json.loads(get(base + "/api/alerts/1")[2])
    assert [e["decision"] for e in detail["events"]] == ["new", "escalated"]
    assert all(d["status"] == "sent" for e in detail["events"] for d in e["deliveries"])
    country = json.loads(get(base + "/api/country/BF")[2])
    days = country["trends"]["attack"]
    assert len(days) == 30 and sum(d["outlets"] or 0 for d in days) >= 7
    languages = {i["lang"] for i in country["items"]}
    assert "fr" in languages and any(i["title"].startswith("Jihadists") for i in country["items"])
    assert all(i["labels"]["attack"]["terms"] for i in country["items"] if "attack" in i["labels"])


def test_a_country_page_shows_trends_alerts_and_evidence_in_both_languages(base: str) -> None:
    status, _, body = get(base + "/country/BF")
    assert status == 200
    assert body.count('<svg class="chart"') == 4  # one per label
    assert "une attaque terroriste" in body and "Jihadists ambush" in body
    assert 'href="https://lefaso.example/attaque-2"' in body and "Djibo (BF)" in body
    ml = get(base + "/country/ml")[2]
    assert 'href="/alerts/1"' in ml and "corroborated" in ml


def test_an_alert_page_shows_what_alerts_show_prints(base: str) -> None:
    status, _, body = get(base + "/alerts/1")
    assert status == 200
    assert "1. new at 2026-11-20 06:00 UTC" in body and "2. escalated" in body
    assert "email: sent after 1 attempt(s)" in body and "No verdict yet." in body


def test_a_verdict_shows_on_the_alert_page(tmp_path: Path) -> None:
    url = build(tmp_path)
    cfg = write_config(tmp_path, [], database=url)
    assert (
        main(["--config", str(cfg), "alerts", "verdict", "1", "false-alarm", "--by", "amina"]) == 0
    )
    server = _serve(url)
    try:
        body = get("http://{}:{}/alerts/1".format(*server.address))[2]
    finally:
        server.close()
    assert "Verdict: <strong>False alarm — amina" in body and "via shell" in body


@pytest.mark.parametrize("path", ["/country/ZZ", "/country/XYZ", "/alerts/999", "/nowhere"])
def test_unknown_pages_are_404(base: str, path: str) -> None:
    assert get(base + path)[0] == 404
    assert get(base + "/api" + path)[0] == 404


def test_a_hostile_headline_is_escaped_and_its_link_is_text(base: str) -> None:
    for path in ("/country/ML", "/alerts/1", "/"):
        body = get(base + path)[2]
        assert "<script" not in body and "<img" not in body and "javascript:" not in body.lower()
    body = get(base + "/country/ML")[2]
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;Mali" in body
    assert "&lt;img src=x onerror=&quot;" in body


def test_only_get_and_head_and_the_safety_headers(base: str) -> None:
    status, headers, body = get(base + "/")
    assert headers["Content-Security-Policy"].startswith("default-src 'none'; style-src 'self'")
    assert headers["X-Content-Type-Options"] == "nosniff"
    head = get(base + "/", method="HEAD")
    assert head[0] == 200 and head[2] == "" and head[1]["Content-Length"] == str(len(body.encode()))
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        status, headers, _ = get(base + "/api/countries", method=method)
        assert status == 405 and headers["Allow"] == "GET, HEAD"


def test_with_a_token_every_request_needs_it(database: str) -> None:
    server = _serve(database, token="s3cret")
    base = "http://{}:{}".format(*server.address)
    try:
        for path in ("/", "/api/countries", "/style.css", "/alerts/1"):
            status, headers, _ = get(base + path)
            assert status == 401 and "Basic" in headers["WWW-Authenticate"]
        assert get(base + "/", Authorization="Bearer wrong")[0] == 401
        assert get(base + "/", Authorization="Bearer s3cret")[0] == 200
        basic = base64.b64encode(b"desk:s3cret").decode()
        assert get(base + "/api/countries", Authorization=f"Basic {basic}")[0] == 200
    finally:
        server.close()


def test_the_page_never_writes_to_the_database(database: str) -> None:
    from sqlalchemy import text

    from warning.errors import StoreError

    site = open_site(database, lambda: ())
    try:
        with (
            pytest.raises(Exception, match=r"readonly|read-only") as caught,
            site.store.db.read() as conn,
        ):
            conn.execute(text("DELETE FROM alerts"))
        assert not isinstance(caught.value, StoreError) or "readonly" in caught.value.message
        assert site.store.situation.alert_detail(1) is not None
    finally:
        site.store.close()


def test_a_missing_database_is_refused_with_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path, [])
    assert main(["--config", str(cfg), "web", "--listen", "127.0.0.1:1"]) == 1
    err = capsys.readouterr().err
    assert "no database at" in err and "warning.db" in err


def test_a_bad_listen_address_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path, [])
    assert main(["--config", str(cfg), "web", "--listen", "localhost"]) == 2
    assert "--listen: expected HOST:PORT" in capsys.readouterr().err


def test_a_bad_web_section_names_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path, [], web={"listen": "8080", "tokn": "x"})
    assert main(["--config", str(cfg), "check"]) == 2
    err = capsys.readouterr().err
    assert "web.listen" in err and "web.tokn" in err


def test_warning_run_serves_the_page_when_web_listen_is_set(database: str, tmp_path: Path) -> None:
    # A copy: the daemon's alert cycle may resolve the scenario's alert, weeks old by now.
    shutil.copy(database.removeprefix("sqlite:///"), tmp_path / "copy.db")
    database = f"sqlite:///{tmp_path / 'copy.db'}"
    port = free_port()
    cfg = write_config(
        tmp_path,
        [],
        database=database,
        web={"listen": f"127.0.0.1:{port}", "token": "${WEB_TOKEN}"},
    )
    notify = NotifySocket()
    daemon = Daemon(cfg, notify, tmp_path, WEB_TOKEN="t0ken")
    try:
        wait_for(lambda: notify.count("READY=1"), what="READY")
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: get(base + "/", Authorization="Bearer t0ken")[0] == 200, what="page")
        assert get(base + "/")[0] == 401
        [alert] = json.loads(get(base + "/api/alerts", Authorization="Bearer t0ken")[2])
        assert alert["id"] == 1
        code, _ = daemon.stop()
        assert code == 0
    finally:
        daemon.kill()
        notify.close()


def test_a_trend_draws_a_line_through_the_days_that_have_a_value() -> None:
    from datetime import UTC, datetime, timedelta

    from warning.web.situation import Day
    from warning.web.svg import trend

    start = datetime(2026, 11, 1, tzinfo=UTC)
    days = [
        Day(start + timedelta(days=i), outlets=i, mean_score=score, baseline=base)
        for i, (score, base) in enumerate([(None, None), (0.5, 2.0), (None, 2.0), (1.0, None)])
    ]
    lines = dict(re.findall(r'<polyline class="(\w+)" points="([^"]*)"', trend("coup", days)))
    # Days without a value leave no point: two scores, two baselines, each at its day's x.
    score, baseline = (lines[k].split() for k in ("score", "baseline"))
    assert len(score) == 2 and len(baseline) == 2
    assert score[0].split(",")[0] == baseline[0].split(",")[0]  # day 1 carries both
    assert float(score[1].split(",")[1]) < float(score[0].split(",")[1])  # 1.0 is drawn higher
    empty = [Day(start, outlets=None, mean_score=None, baseline=None)]
    assert "<polyline" not in trend("coup", empty)
