"""Secrets: built into URLs exactly, never shown or stored, never sent in clear.

Percent-encoding of ``${NAME}`` values in the database URL, redaction of every URL
that is printed, logged, stored or put in an operator alert (warning/redact.py),
and the skops floor that keeps known allow-list bypasses out.
"""

from __future__ import annotations

import base64
import importlib.metadata
import json
import logging
import re
import textwrap
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from tests.pgserver import ThrowawayCluster
from tests.slackserver import SlackServer
from warning import cli, config, logs, redact
from warning.errors import ConfigError
from warning.redact import fill_url, redact_url, scrub
from warning.store import Store, open_store

REPO = Path(__file__).resolve().parents[1]
#: Every reserved character of a URL: each would end the password early if left as is.
AWKWARD = "p@ss/w:rd?#"
SECRET = "s3cret"


def write(tmp_path: Path, text_: str, name: str = "warning.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text_).lstrip("\n"), encoding="utf-8")
    return path


# --- percent-encoding (finding 5) ------------------------------------------------------


def test_a_password_with_url_delimiters_reaches_the_database_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", AWKWARD)
    path = write(tmp_path, "database: postgresql+psycopg://warning:${PGPASSWORD}@db/warning\n")
    url = make_url(config.load(path).database.reveal())
    assert (url.host, url.username, url.password, url.database) == (
        "db",
        "warning",
        AWKWARD,
        "warning",
    )


def test_placeholders_in_user_query_and_path_are_encoded_for_their_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGUSER", "ops@desk")
    monkeypatch.setenv("PGPASSWORD", AWKWARD)
    monkeypatch.setenv("SSLKEY_PASSWORD", "a&b=c+d")
    path = write(
        tmp_path,
        "database: postgresql+psycopg://${PGUSER}:${PGPASSWORD}@db:5432/warning"
        "?sslpassword=${SSLKEY_PASSWORD}\n",
    )
    url = make_url(config.load(path).database.reveal())
    assert (url.username, url.password, url.host, url.port) == ("ops@desk", AWKWARD, "db", 5432)
    assert dict(url.query) == {"sslpassword": "a&b=c+d"}

    # A directory keeps its slashes; SQLAlchemy decodes the rest back to the exact path.
    odd = tmp_path / "state 100% ?#"
    monkeypatch.setenv("STATE", str(odd))
    path = write(tmp_path, "database: sqlite:///${STATE}/warning.db\n")
    assert make_url(config.load(path).database.reveal()).database == str(odd / "warning.db")


def test_a_whole_url_in_one_placeholder_is_taken_as_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://warning:p%40ss@db/warning")
    path = write(tmp_path, "database: ${DATABASE_URL}\n")
    assert make_url(config.load(path).database.reveal()).password == "p@ss"


def test_a_host_placeholder_holding_url_delimiters_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGHOST", "evil.example.org/x@db")
    path = write(tmp_path, "feeds: []\ndatabase: postgresql+psycopg://warning@${PGHOST}/warning\n")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    [problem] = [str(p) for p in info.value.problems]
    assert problem.startswith(f"{path}:2: database: ${{PGHOST}} is used as a host name")
    assert "evil" not in problem


@pytest.fixture(scope="module")
def scram_server() -> Iterator[tuple[ThrowawayCluster, str]]:
    """A throwaway PostgreSQL that checks passwords (the shared test server trusts all)."""
    try:
        cluster = ThrowawayCluster()
    except FileNotFoundError:
        pytest.skip("no initdb/pg_ctl on PATH: the password login test needs a real server")
    admin_url = cluster.start()
    try:
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with engine.connect() as conn:
            # CREATE ROLE takes no bound parameters: the literal is quoted instead.
            quoted = AWKWARD.replace("'", "''")
            conn.execute(text(f"CREATE ROLE desk LOGIN PASSWORD '{quoted}'"))
            conn.execute(text("CREATE DATABASE desk OWNER desk"))
        engine.dispose()
        hba = cluster.data / "pg_hba.conf"
        hba.write_text("local all all scram-sha-256\n")
        cluster._run(cluster._pg_ctl, "-D", str(cluster.data), "reload")
        yield cluster, admin_url
    finally:
        cluster.stop()


@pytest.mark.postgres
def test_a_role_whose_password_has_url_delimiters_connects(
    scram_server: tuple[ThrowawayCluster, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster, _ = scram_server
    monkeypatch.setenv("PGPASSWORD_DESK", AWKWARD)
    monkeypatch.setenv("PGSOCKET", str(cluster.root))
    path = write(
        tmp_path,
        "database: postgresql+psycopg://desk:${PGPASSWORD_DESK}@/desk?host=${PGSOCKET}\n",
    )
    url = config.load(path).database.reveal()
    store = open_store(url)  # migrates: a real login, then real statements
    try:
        store.ping()
    finally:
        store.close()
    # The server does check: the same URL with another password is refused.
    wrong = create_engine(make_url(url).set(password="p@ss"), poolclass=NullPool)
    with pytest.raises(Exception, match="password authentication failed"):
        wrong.connect()
    wrong.dispose()


# --- redaction (finding 6) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:s3cret@host/feed.xml", "http://user:***@host/feed.xml"),
        ("http://user@host/feed.xml", "http://user@host/feed.xml"),
        (
            "postgresql+psycopg://warning:p%40ss@db/w?password=s3cret&sslmode=require",
            "postgresql+psycopg://warning:***@db/w?password=***&sslmode=require",
        ),
        (
            "https://api.example.org/x?api_key=1&Access-Token=2&sig=3&page=4#top",
            "https://api.example.org/x?api_key=***&Access-Token=***&sig=***&page=4#top",
        ),
        ("https://h/?client_secret=x;pwd=y", "https://h/?client_secret=***;pwd=***"),
        ("http://u:p@ss@[::1]:8080/", "http://u:***@[::1]:8080/"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_scrub_redacts_every_url_inside_text() -> None:
    text_ = (
        "HTTP 500 from http://user:s3cret@127.0.0.1:81/a.xml (hint: retry); "
        "redirected to 'https://cdn.example.org/a?token=abc' then ftp://x:y@z/"
    )
    assert scrub(text_) == (
        "HTTP 500 from http://user:***@127.0.0.1:81/a.xml (hint: retry); "
        "redirected to 'https://cdn.example.org/a?token=***' then ftp://x:***@z/"
    )


def test_fill_url_encodes_by_part() -> None:
    values = {"U": "a@b", "P": AWKWARD, "H": "db", "D": "/var/lib/x y", "Q": "1&2"}
    url = fill_url("postgresql://${U}:${P}@${H}/d?k=${Q}#${Q}", values.__getitem__)
    assert url == "postgresql://a%40b:p%40ss%2Fw%3Ard%3F%23@db/d?k=1%262#1%262"
    assert fill_url("sqlite:///${D}/w.db", values.__getitem__) == "sqlite:////var/lib/x%20y/w.db"
    assert fill_url("${P}", values.__getitem__) == AWKWARD


def test_check_shows_no_database_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PGPASSWORD", AWKWARD)
    path = write(
        tmp_path,
        "database: postgresql+psycopg://warning:${PGPASSWORD}@db/warning"
        f"?password={SECRET}&sslmode=require\nfeeds: []\nrules: []\n",
    )
    assert cli.main(["--config", str(path), "check"]) == 0
    out = capsys.readouterr().out
    assert "database: postgresql+psycopg://warning:***@db/warning?password=***&sslmode" in out
    assert SECRET not in out and "p%40ss" not in out and "ss/w" not in out


def test_log_lines_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("INFO")
    log = logging.getLogger("warning.test")
    log.warning("feed=a failed: HTTP 500 from %s", f"http://user:{SECRET}@127.0.0.1/a.xml")
    try:
        raise ValueError(f"cannot reach https://h/?token={SECRET}")
    except ValueError:
        log.exception("internal error")
    err = capsys.readouterr().err
    assert "http://user:***@127.0.0.1/a.xml" in err and "token=***" in err
    assert SECRET not in err


def one_feed(tmp_path: Path, name: str, url: str) -> Path:
    """A configuration of one feed, polled in the process, with no rules."""
    path = tmp_path / "warning.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{tmp_path / 'w.db'}",
                "feeds": [{"name": name, "url": url}],
                "poll": {"processes": 0},
                "rules": [],
            }
        )
    )
    return path


@pytest.fixture
def leaky_feed(tmp_path: Path, feed_server: FeedServer) -> tuple[Path, str]:
    """A configuration whose one feed has a password in its URL and answers 500."""
    feed_server.add("/a.xml", b"upstream down", status=500)
    url = feed_server.url("/a.xml").replace("http://", f"http://user:{SECRET}@")
    path = one_feed(tmp_path, "a", url)
    return path, url


def test_a_failing_feed_with_a_password_stores_and_shows_none(
    leaky_feed: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, url = leaky_feed
    assert cli.main(["--config", str(path), "poll", "--once", "--json"]) == 0
    polled = capsys.readouterr()
    [outcome] = json.loads(polled.out)["feeds"]
    assert outcome["status"] == "error" and "HTTP 500" in outcome["error"]
    assert SECRET not in polled.out + polled.err

    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        state = store.feed_state("a")
        assert state.last_error is not None and "HTTP 500" in state.last_error
        assert SECRET not in state.last_error
        with store.db.engine.connect() as conn:  # every column of the feed's row
            row = conn.execute(text("SELECT * FROM feeds WHERE name = 'a'")).one()
        assert not [v for v in row if isinstance(v, str) and SECRET in v]
    finally:
        store.close()

    assert cli.main(["--config", str(path), "feeds", "--json"]) == 0
    shown = capsys.readouterr().out
    [feed] = json.loads(shown)
    assert feed["url"] == url.replace(SECRET, "***")
    assert "HTTP 500" in feed["last_error"]
    assert SECRET not in shown


def test_a_feed_with_a_password_is_fetched_with_it_and_stored_without_it(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.add("/a.xml", make_rss(sample_items(2, seed=5)))
    url = feed_server.url("/a.xml").replace("http://", f"http://user:{SECRET}@")
    path = one_feed(tmp_path, "a", url)
    assert cli.main(["--config", str(path), "poll", "--once"]) == 0
    assert "items_new=2" in capsys.readouterr().out
    [(_, _, headers)] = feed_server.requests
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"user:s3cret").decode()
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        with store.db.engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM feeds WHERE name = 'a'")).one()
        assert store.feed_state("a").final_url == url.replace(SECRET, "***")
    finally:
        store.close()
    assert not [v for v in row if isinstance(v, str) and SECRET in v]


PATH_TOKEN = "f33d-t0ken/9a8b7c"  # a private feed's key, with a slash (kept as one)


def test_a_token_in_a_feeds_path_is_fetched_and_never_shown(
    tmp_path: Path,
    feed_server: FeedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(redact, "_masked", ())  # what this test masks goes with it
    monkeypatch.setenv("FEED_KEY", PATH_TOKEN)
    feed_server.add(f"/private/{PATH_TOKEN}/rss", b"upstream down", status=500)
    template = feed_server.url("/private/${FEED_KEY}/rss")
    path = one_feed(tmp_path, "private", template)
    assert cli.main(["--config", str(path), "poll", "--once", "--json"]) == 0
    polled = capsys.readouterr()
    assert [p for _, p, _ in feed_server.requests] == [f"/private/{PATH_TOKEN}/rss"]
    [outcome] = json.loads(polled.out)["feeds"]
    assert outcome["status"] == "error" and "HTTP 500" in outcome["error"]
    assert "f33d-t0ken" not in polled.out + polled.err
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        with store.db.engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM feeds WHERE name = 'private'")).one()
    finally:
        store.close()
    assert not [v for v in row if isinstance(v, str) and "f33d-t0ken" in v]
    assert cli.main(["--config", str(path), "feeds", "--json"]) == 0
    [feed] = json.loads(capsys.readouterr().out)
    assert feed["url"] == feed_server.url("/private/***/rss")
    assert scrub(f"GET /private/{PATH_TOKEN}/rss failed") == "GET /private/***/rss failed"


def test_an_unset_placeholder_in_a_feed_url_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "warning.yaml"
    path.write_text("feeds:\n  - name: private\n    url: https://wire.example/${NO_SUCH_KEY}/rss\n")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    [problem] = info.value.problems
    assert "feeds[0].url" in str(problem) and "${NO_SUCH_KEY} is not set" in str(problem)


def test_short_values_are_not_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redact, "_masked", ())
    redact.mask(["abc", "a b/c d"])
    assert redact.masked() == ("a%20b%2Fc%20d", "a%20b/c%20d", "a b/c d")
    assert scrub("abc then a b/c d") == "abc then ***"  # three letters would blank words


def test_an_operator_alert_about_a_failing_feed_carries_no_password(
    leaky_feed: tuple[Path, str], tmp_path: Path
) -> None:
    from warning.pipeline import Pipeline, fetch_limits, worker_pool
    from warning.sources.http import Fetcher

    path, _ = leaky_feed
    data = yaml.safe_load(path.read_text())
    t0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    with SlackServer() as slack:
        data["notify"] = {"slack": {"token": "x", "channel": "#desk", "base_url": slack.base_url}}
        data["operator"] = {"routes": ["slack:#ops"], "feed_failures": 2}
        path.write_text(yaml.safe_dump(data))
        settings = config.load(path)
        store = open_store(settings.database.reveal())
        store.sync_feeds((f.name, f.kind, f.url, f.outlet) for f in settings.feeds)
        with Fetcher(fetch_limits(settings)) as fetcher, worker_pool(settings) as workers:
            pipeline = Pipeline(settings, store, fetcher, workers)
            for n in range(2):
                now = t0 + timedelta(minutes=10 * n)
                assert pipeline.poll("a", force=True, now=now).status == "error"
            decided, _ = pipeline.alert_cycle(now)
            pipeline.notifiers.close()
        store.close()
        assert [(d.rule, d.decision) for d in decided] == [("operator:feed-failing", "new")]
        [message] = slack.posted()
    sent = json.dumps([message.text, message.blocks])
    assert "HTTP 500" in sent and "user:***@" in sent
    assert SECRET not in sent


# --- supply chain (finding 9) --------------------------------------------------------------

#: The first skops release without a known allow-list bypass (see pyproject.toml).
SKOPS_FLOOR = (0, 14)


def _version(text_: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text_)[:3])


def test_skops_floor_excludes_known_bypasses_and_is_installed() -> None:
    # skops is only needed to train (the `train` extra); wherever it is declared, the floor holds.
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"].values()
    declared = [*project["dependencies"], *(d for extra in extras for d in extra)]
    [spec] = [d for d in declared if re.match(r"skops\b", d)]
    floor = re.search(r">=\s*([\d.]+)", spec)
    assert floor is not None and "<1" in spec.replace(" ", ""), spec
    assert _version(floor.group(1)) >= SKOPS_FLOOR, spec
    installed = importlib.metadata.version("skops")
    assert _version(installed) >= _version(floor.group(1)), installed
