"""The Apprise notifier through Apprise's own json:// and form:// services to a real receiver.

Apprise posts to a recording HTTP endpoint on 127.0.0.1 (tests/receiver.py): the title
and body in English and French, a hostile headline as text and as escaped Markdown, tags
that routes select, failures retried (only to the URLs that failed) with Apprise's log
lines relayed without the URLs' secrets. Bad ``notify.apprise`` sections, and Apprise
missing, are refused at load with their line. The last tests run ``warning poll --once``
on a newsroom whose coup is routed to Apprise.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from tests.desk import Desk, open_desk
from tests.feedserver import FeedServer
from tests.newsroom import NIGER_COUP
from tests.notifying import composed_message
from tests.receiver import Answer, Receiver
from warning import config, logs
from warning.alerting import outbox
from warning.errors import ConfigError, DeliveryError
from warning.notify.apprise import AppriseNotifier, AppriseOptions, parse_urls
from warning.notify.templates import Messages
from warning.records import AlertMessage

REPO = Path(__file__).resolve().parent.parent
needs_apprise = pytest.mark.skipif(
    find_spec("apprise") is None, reason="Apprise is not installed: pip install 'warning[apprise]'"
)
#: A credential in a URL's path, as Teams' and Mattermost's URLs carry one.
TOKEN = "tok3n-Zq81xv"
HOSTILE = "[click here](https://evil.example.org/) **now** <!channel> @here"


class Collect(logging.Handler):
    """The names of the loggers whose records reach the root logger."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.names: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.names.append(record.name)


def message(**changes: Any) -> AlertMessage:
    return composed_message(HOSTILE + "\nVerdict: ignore this", **changes)


def notifier(*urls: Any, language: str = "en", **options: Any) -> AppriseNotifier:
    built = AppriseNotifier(AppriseOptions(urls=parse_urls(list(urls)), **options))
    built.messages = Messages(language)
    return built


def json_url(receiver: Receiver, path: str = "/apprise", query: str = "") -> str:
    return receiver.url(path).replace("http://", "json://") + query


# --- sending --------------------------------------------------------------------------------


@needs_apprise
def test_json_gets_the_title_and_the_text_body_in_english(receiver: Receiver) -> None:
    assert notifier(json_url(receiver)).send(message(), None, None) == "apprise:7"
    [got] = receiver.requests
    body = got.json()
    assert body["title"] == "NEW · Coup or coup attempt · Niger (NE)"
    assert body["type"] == "failure"  # critical
    text = body["message"]
    assert text.startswith("severity critical · corroborated — 2 outlets (score 0.91)")
    assert "- Soldats au palais à Niamey (sahel-wire) https://a.example.org/1" in text
    assert "Verdict: warning alerts verdict 7 " in text
    assert "NEW · Coup" not in text  # the title is not repeated


@needs_apprise
def test_form_gets_the_message_in_french(receiver: Receiver) -> None:
    url = receiver.url("/form").replace("http://", "form://")
    notifier(url, language="fr").send(message(decision="resolved"), None, None)
    [got] = receiver.requests
    assert got.path == "/form"
    assert got.headers["content-type"] == "application/x-www-form-urlencoded"
    form = got.form()
    assert form["title"] == "TERMINÉE · Coup d'État ou tentative · Niger (NE)"
    assert form["type"] == "success"
    assert "Sources :" in form["message"] and "gravité critique" in form["message"]
    assert "Verdict : warning alerts verdict 7" in form["message"]


@needs_apprise
def test_a_hostile_headline_stays_text(receiver: Receiver) -> None:
    plain, markdown = json_url(receiver, "/text"), json_url(receiver, "/md", "?format=markdown")
    notifier(plain, markdown).send(message(), None, None)
    text, md = (r.json()["message"] for r in receiver.requests)
    # As text: verbatim, and on one line, so it cannot forge a line of ours.
    assert f"- {HOSTILE} Verdict: ignore this (niamey-daily)" in text.splitlines()
    assert text.count("Verdict:") == 2  # the headline's, on its line, and ours
    # To a Markdown service, Apprise escapes it: no link, no bold.
    assert "[click here](https" not in md and "**now**" not in md
    assert r"\[click here\]\(https://evil\.example\.org/\)" in md
    assert r"\*\*now\*\*" in md


@needs_apprise
def test_a_route_tag_selects_the_tagged_urls(receiver: Receiver) -> None:
    built = notifier(
        json_url(receiver, "/all"), {"url": json_url(receiver, "/pager"), "tags": ["oncall"]}
    )
    built.send(message(), "oncall", None)
    assert [r.path for r in receiver.requests] == ["/pager"]
    built.send(message(key="7.2"), None, None)
    assert [r.path for r in receiver.requests] == ["/pager", "/all", "/pager"]
    with pytest.raises(DeliveryError) as caught:
        built.send(message(), "desk", None)
    assert not caught.value.retryable
    assert "no URL in notify.apprise.urls is tagged 'desk'" in str(caught.value)
    assert "tags there: oncall" in str(caught.value)


@needs_apprise
def test_a_failure_is_retryable_and_logged_without_the_secret(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.script = [Answer(500, b"upstream down")]
    built = notifier(json_url(receiver, f"/hooks/{TOKEN}"))
    root = Collect()  # where our log setup writes (caplog also hooks Apprise's own logger)
    logging.getLogger().addHandler(root)
    try:
        with caplog.at_level(logging.WARNING), pytest.raises(DeliveryError) as caught:
            built.send(message(), None, None)
    finally:
        logging.getLogger().removeHandler(root)
    assert caught.value.retryable
    assert "apprise: urls[0] (json://) did not take the message" in str(caught.value)
    said = [r.getMessage() for r in caplog.records if r.name == "warning.notify.apprise"]
    assert said and all(s.startswith("apprise: ") for s in said)
    assert any("500" in s for s in said)  # Apprise's own reason, relayed
    everything = caplog.text + str(caught.value)
    assert TOKEN not in everything and str(receiver.served.port) not in everything
    assert root.names and "apprise" not in root.names  # never as Apprise wrote it


@needs_apprise
def test_a_retry_goes_only_to_the_urls_that_failed(receiver: Receiver) -> None:
    built = notifier(json_url(receiver, "/one"), json_url(receiver, "/two"))
    receiver.script = [Answer(200), Answer(503)]
    with pytest.raises(DeliveryError, match=r"urls\[1\] \(json://\)"):
        built.send(message(), None, None)
    built.send(message(), None, None)
    assert [r.path for r in receiver.requests] == ["/one", "/two", "/two"]
    built.send(message(), None, None)  # a new delivery of the same key goes to all again
    assert [r.path for r in receiver.requests][3:] == ["/one", "/two"]


@needs_apprise
def test_the_timeout_bounds_a_slow_service(receiver: Receiver) -> None:
    receiver.script = [Answer(wait=3.0)]
    built = notifier(json_url(receiver), timeout=timedelta(seconds=0.5))
    with pytest.raises(DeliveryError) as caught:
        built.send(message(), None, None)
    assert caught.value.retryable


@needs_apprise
def test_an_operators_templates_write_the_title_and_body(
    receiver: Receiver, tmp_path: Path
) -> None:
    from warning.notify.templates import compile_folder

    (tmp_path / "apprise.title.j2").write_text("{{ words.title }} !")
    (tmp_path / "apprise.body.j2").write_text("{% for h in headlines %}{{ h.title }}\n{% endfor %}")
    templates, problems = compile_folder(tmp_path)
    assert problems == []
    built = notifier(json_url(receiver))
    built.messages = Messages("en", templates)
    built.send(message(), None, None)
    body = receiver.requests[0].json()
    assert body["title"] == "NEW · Coup or coup attempt · Niger (NE) !"
    assert body["message"].splitlines()[0] == "Soldats au palais à Niamey"


# --- configuration --------------------------------------------------------------------------


def load(tmp_path: Path, section: str) -> config.Settings:
    path = tmp_path / "warning.yaml"
    path.write_text(
        f"database: sqlite:///{tmp_path / 'w.db'}\nrules: []\nnotify:\n  apprise:\n{section}"
    )
    return config.load(path)


def problems(tmp_path: Path, section: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, section)
    prefix = f"{tmp_path / 'warning.yaml'}:"
    return [str(p).removeprefix(prefix) for p in caught.value.problems]


@needs_apprise
def test_a_good_section_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMS_URL", f"json://127.0.0.1:9/{TOKEN}")
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "PAGER_URL").write_text("form://127.0.0.1:9/pager\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    settings = load(
        tmp_path,
        "    urls:\n"
        "      - ${TEAMS_URL}\n"
        "      - {url: '${PAGER_URL}', tags: [oncall, night]}\n"
        "    timeout: 20s\n",
    )
    options = settings.notify.get("apprise")
    assert isinstance(options, AppriseOptions)
    teams, pager = options.urls
    assert teams.url.reveal() == f"json://127.0.0.1:9/{TOKEN}" and teams.tags == ()
    assert pager.url.reveal() == "form://127.0.0.1:9/pager" and pager.tags == ("oncall", "night")
    assert options.timeout == timedelta(seconds=20)
    assert TOKEN not in repr(options)


@needs_apprise
@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            "    urls:\n      - json://127.0.0.1/ok\n      - pagerduy://a@b\n",
            "7: notify.apprise.urls[1]: unknown Apprise scheme pagerduy://; "
            "did you mean pagerduty://?",
        ),
        (
            "    urls: json://127.0.0.1/hook\n",
            '5: notify.apprise.urls: expected a list of Apprise URLs, like ["${TEAMS_URL}"] '
            "(each a URL or {url: ..., tags: [...]})",
        ),
        (
            "    urls: []\n",
            '5: notify.apprise.urls: expected a list of Apprise URLs, like ["${TEAMS_URL}"] '
            "(each a URL or {url: ..., tags: [...]})",
        ),
        (
            "    urls:\n      - 127.0.0.1/hook\n",
            "6: notify.apprise.urls[0]: not a URL: an Apprise URL starts with its service's "
            "scheme, like workflows://",
        ),
        (
            "    urls:\n      - ${NOT_SET_ANYWHERE}\n",
            "6: notify.apprise.urls[0]: ${NOT_SET_ANYWHERE} is not set: export NOT_SET_ANYWHERE, "
            "or pass it as a systemd credential (LoadCredential=NOT_SET_ANYWHERE:/path/to/file)",
        ),
        (
            "    urls:\n      - {url: json://127.0.0.1/x, tags: [on call]}\n",
            "6: notify.apprise.urls[0]: tags: expected a list of names (letters, digits, - and _)",
        ),
        (
            "    urls:\n      - {url: json://127.0.0.1/x, tag: [oncall]}\n",
            "6: notify.apprise.urls[0]: unknown key 'tag'; an entry has url and tags",
        ),
        (
            "    urls:\n      - 42\n",
            "6: notify.apprise.urls[0]: expected an Apprise URL (or ${NAME}) as a string",
        ),
        (
            "    urls: [json://127.0.0.1/x]\n    timeout: 0s\n",
            "6: notify.apprise.timeout: must be greater than zero",
        ),
    ],
    ids=[
        "unknown scheme",
        "not a list",
        "empty",
        "no scheme",
        "unset",
        "bad tag",
        "unknown key",
        "number",
        "zero timeout",
    ],
)
def test_bad_sections_are_refused_at_their_line(
    tmp_path: Path, section: str, expected: str
) -> None:
    assert problems(tmp_path, section) == [expected]


@needs_apprise
def test_a_url_apprise_cannot_read_is_named_by_its_scheme_only(tmp_path: Path) -> None:
    # PagerDuty's URL needs an integration key and an API key; this one has one piece.
    [problem] = problems(tmp_path, f"    urls:\n      - pagerduty://{TOKEN}\n")
    assert problem.startswith(
        "6: notify.apprise.urls[0]: Apprise cannot read this pagerduty:// URL"
    )
    assert "check it against Apprise's page for that service" in problem
    assert TOKEN not in problem


def test_apprise_missing_is_an_error_naming_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # what `import apprise` meets uninstalled
    assert problems(tmp_path, "    urls: [json://127.0.0.1/x]\n") == [
        "4: notify.apprise: needs Apprise, which is not installed: pip install 'warning[apprise]'"
    ]


def test_routes_may_name_apprise_and_a_tag(tmp_path: Path) -> None:
    from warning.alerting.rules.base import parse_routes

    assert parse_routes(["apprise", "apprise:oncall"]) == ("apprise", "apprise:oncall")
    with pytest.raises(ValueError, match=r"apprise:TAG names a tag of notify\.apprise\.urls"):
        parse_routes(["apprise:#desk"])


def test_warning_imports_apprise_only_when_it_is_configured(tmp_path: Path) -> None:
    path = tmp_path / "warning.yaml"
    path.write_text(f"database: sqlite:///{tmp_path / 'w.db'}\nrules: []\n")
    code = (
        "import sys; from warning import config, notify; "
        f"config.load(__import__('pathlib').Path({str(path)!r})); "
        "print('apprise' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_configuration_docs_name_every_apprise_part() -> None:
    messages = (REPO / "docs" / "messages.md").read_text(encoding="utf-8")
    alerts = (REPO / "docs" / "alerts.md").read_text(encoding="utf-8")
    assert "`apprise.title.j2`" in messages and "`apprise.body.j2`" in messages
    assert "Through Apprise" in alerts and "pip install 'warning[apprise]'" in alerts


# --- through poll --once --------------------------------------------------------------------


@pytest.fixture
def desk(
    tmp_path: Path,
    feed_server: FeedServer,
    receiver: Receiver,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Desk:
    monkeypatch.setattr(logs, "setup", lambda level: None)  # leave logging to caplog
    monkeypatch.setenv("DESK_APPRISE_URL", json_url(receiver, f"/desk/{TOKEN}"))
    return open_desk(
        tmp_path,
        feed_server,
        receiver,
        capsys,
        "apprise",
        {
            "notify": {"apprise": {"urls": ["${DESK_APPRISE_URL}"], "timeout": "2s"}},
            "messages": {"language": "fr"},
        },
    )


@needs_apprise
def test_poll_once_sends_the_alert_through_apprise(desk: Desk) -> None:
    result = desk.poll()
    assert result["alerts_new"] == 1 and result["deliveries_sent"] == 1
    [got] = desk.receiver.requests
    body = got.json()
    assert body["title"] == "NOUVELLE · Coup d'État ou tentative · Niger (NE)"
    assert NIGER_COUP["title"] in body["message"]
    assert [d["status"] for d in desk.deliveries()] == ["sent"]
    assert desk.poll()["deliveries_sent"] == 0 and len(desk.receiver.requests) == 1


@needs_apprise
def test_a_failing_service_gets_the_alert_once_after_a_retry(desk: Desk) -> None:
    desk.receiver.script = [Answer(500, b"upstream down")]
    result = desk.poll()
    assert result["deliveries_retrying"] == 1 and result["deliveries_sent"] == 0
    [pending] = desk.deliveries()
    assert pending["status"] == "pending"
    assert "apprise: urls[0] (json://) did not take the message" in pending["last_error"]
    assert TOKEN not in pending["last_error"]
    assert desk.deliver_later(timedelta(seconds=1)).sent == 0  # not due yet: backoff
    assert desk.deliver_later(timedelta(minutes=5)) == outbox.DeliveryReport(sent=1)
    first, second = desk.receiver.requests
    assert first.json() == second.json()
    assert [d["status"] for d in desk.deliveries()] == ["sent"]
    assert desk.deliver_later(timedelta(hours=2)) == outbox.DeliveryReport()
    assert len(desk.receiver.requests) == 2


@needs_apprise
def test_a_route_to_a_tag_no_url_has_is_refused_at_load(tmp_path: Path) -> None:
    path = tmp_path / "warning.yaml"
    path.write_text(
        "notify:\n"
        "  apprise:\n"
        "    urls:\n"
        "      - {url: 'json://127.0.0.1:9/a', tags: [oncall]}\n"
        "operator: {routes: ['apprise:oncall']}\n"
        "brief: {at: '06:30', routes: ['apprise:night']}\n"
        "rules:\n"
        "  - {name: coup, type: threshold, label: coup, threshold: 0.5,\n"
        "     routes: ['apprise:pager']}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    found = [str(p).removeprefix(f"{path}:") for p in caught.value.problems]
    assert found == [
        "7: rules: rule 'coup': route 'apprise:pager': no notify.apprise URL is tagged 'pager' "
        "(tags: oncall)",
        "6: brief.routes: route 'apprise:night': no notify.apprise URL is tagged 'night' "
        "(tags: oncall)",
    ]
