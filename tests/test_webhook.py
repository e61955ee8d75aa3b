"""The webhook notifier against a real HTTP receiver on 127.0.0.1.

The receiver records every request and answers from a script (a status, a wait, a
header), so each test plays one behaviour of a real endpoint: the body and its
signature, custom headers, a failing then recovering receiver (one delivery, after a
retry), a refusal that is final, a slow receiver, a redirect. Bad ``notify.webhook``
sections are refused at load with their line. The last tests run ``warning poll --once``
on a newsroom whose coup is routed to the webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.desk import Desk, coup_rule, open_desk
from tests.feedserver import FeedServer
from tests.newsroom import NIGER_COUP
from tests.notifying import composed_message
from tests.receiver import Answer, Receiver
from warning import config, logs
from warning.alerting import outbox
from warning.errors import ConfigError, DeliveryError
from warning.notify.webhook import (
    RESERVED,
    WebhookNotifier,
    WebhookOptions,
    body,
    parse_headers,
    retry_after,
)
from warning.records import AlertMessage
from warning.settings import Secret

SECRET = "s3cret-for-hmac"


def message(**changes: Any) -> AlertMessage:
    return composed_message('Guards "detain" the president\n<!channel>', **changes)


def notifier(url: str, **options: Any) -> WebhookNotifier:
    return WebhookNotifier(WebhookOptions(url=Secret(url), **options))


def test_the_body_is_the_designed_json_and_signed(receiver: Receiver) -> None:
    hook = notifier(
        receiver.url(),
        secret=Secret(SECRET),
        headers=parse_headers({"X-Desk": "sahel", "Authorization": "Bearer t0k"}),
    )
    ref = hook.send(message(), None, None)
    [got] = receiver.requests
    assert got.path == "/hook"
    assert got.json() == {
        "alert": {
            "id": 7,
            "rule": "coup",
            "subject": "NE",
            "label": "coup",
            "severity": "critical",
            "decision": "new",
            "level": "corroborated",
            "score": 0.9123,
            "outlets": ["sahel-wire", "niamey-daily"],
            "group": "alert:7",
            "headlines": [
                {
                    "title": "Soldats au palais à Niamey",
                    "url": "https://a.example.org/1",
                    "outlet": "sahel-wire",
                },
                {
                    "title": 'Guards "detain" the president\n<!channel>',
                    "url": None,
                    "outlet": "niamey-daily",
                },
            ],
            "opened_at": "2026-07-26T03:07:00Z",
        }
    }
    assert "à Niamey".encode() in got.body  # UTF-8, not \u escapes
    assert got.headers["content-type"] == "application/json; charset=utf-8"
    expected = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["x-warning-signature"], f"sha256={expected}")
    assert got.headers["x-warning-delivery"] == "7.1.12"
    assert got.headers["x-desk"] == "sahel" and got.headers["authorization"] == "Bearer t0k"
    assert ref == "alert:7"
    # A later message of the same alert keeps the thread and gets its own delivery id.
    assert hook.send(message(decision="resolved", key="7.2.13"), None, ref) == ref
    assert receiver.requests[1].json()["alert"]["decision"] == "resolved"
    assert receiver.requests[1].headers["x-warning-delivery"] == "7.2.13"


def test_without_a_secret_there_is_no_signature(receiver: Receiver) -> None:
    notifier(receiver.url()).send(message(level=0, outlets=("sahel-wire",)), None, None)
    [got] = receiver.requests
    assert "x-warning-signature" not in got.headers
    assert got.json()["alert"]["level"] == "unconfirmed"


def test_header_values_take_credentials_and_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PAGER_TOKEN", "from-env")
    (tmp_path / "DESK").write_text("from-credential\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    headers = parse_headers({"Authorization": "Bearer ${PAGER_TOKEN}", "X-Desk": "${DESK}"})
    assert [(n, v.reveal()) for n, v in headers] == [
        ("Authorization", "Bearer from-env"),
        ("X-Desk", "from-credential"),
    ]
    assert "from-env" not in repr(WebhookOptions(url=Secret("https://x.org/"), headers=headers))


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_a_refusal_is_final_and_quotes_the_receiver(receiver: Receiver, status: int) -> None:
    receiver.script = [Answer(status, b"missing field\n  'alert'" + b"x" * 5000)]
    with pytest.raises(DeliveryError) as caught:
        notifier(receiver.url()).send(message(), None, None)
    assert not caught.value.retryable
    text = caught.value.message
    assert text.startswith(
        f"webhook POST to http://127.0.0.1:{receiver.served.port}: HTTP {status}"
    )
    assert "missing field 'alert'" in text and "\n" not in text and len(text) < 400
    assert caught.value.hint


@pytest.mark.parametrize(
    ("answer", "wait"),
    [
        (Answer(500), None),
        (Answer(502, b"bad gateway"), None),
        (Answer(503, headers={"Retry-After": "120"}), 120.0),
        (Answer(429, headers={"Retry-After": "30"}), 30.0),
        (Answer(408), None),
    ],
)
def test_server_errors_and_rate_limits_are_retried(
    receiver: Receiver, answer: Answer, wait: float | None
) -> None:
    receiver.script = [answer]
    with pytest.raises(DeliveryError) as caught:
        notifier(receiver.url()).send(message(), None, None)
    assert caught.value.retryable and caught.value.retry_after == wait
    assert f"HTTP {answer.status}" in caught.value.message


def test_retry_after_as_an_http_date() -> None:
    soon = datetime.now(UTC) + timedelta(seconds=90)
    got = retry_after(soon.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    assert got is not None and 85 <= got <= 90
    assert retry_after("soon") is None and retry_after(None) is None and retry_after("-5") == 0


def test_a_slow_receiver_times_out_and_is_retried(receiver: Receiver) -> None:
    receiver.script = [Answer(wait=2.0)]
    hook = notifier(receiver.url(), timeout=timedelta(seconds=0.3))
    with pytest.raises(DeliveryError) as caught:
        hook.send(message(), None, None)
    assert caught.value.retryable and "no answer within 0.3s" in caught.value.message


def test_a_closed_port_is_retried() -> None:
    with Receiver() as gone:
        url = gone.url()
    with pytest.raises(DeliveryError) as caught:
        notifier(url).send(message(), None, None)
    assert caught.value.retryable and "ConnectError" in caught.value.message


def test_a_redirect_is_not_followed(receiver: Receiver) -> None:
    receiver.script = [Answer(307, headers={"Location": "http://169.254.169.254/latest/"})]
    with pytest.raises(DeliveryError) as caught:
        notifier(receiver.url()).send(message(), None, None)
    assert not caught.value.retryable
    assert "a redirect to http://169.254.169.254" in caught.value.message
    assert len(receiver.requests) == 1


def test_errors_name_the_host_never_the_key_in_the_path() -> None:
    with Receiver() as gone:
        url = gone.url("/hooks/KEY-IN-PATH")
    with pytest.raises(DeliveryError) as caught:
        notifier(url).send(message(), None, None)
    assert "KEY-IN-PATH" not in str(caught.value)


# --- configuration -----------------------------------------------------------------------


def load(tmp_path: Path, section: str) -> config.Settings:
    path = tmp_path / "warning.yaml"
    path.write_text(
        f"database: sqlite:///{tmp_path / 'w.db'}\nrules: []\nnotify:\n  webhook:\n{section}"
    )
    return config.load(path)


def problems(tmp_path: Path, section: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, section)
    prefix = f"{tmp_path / 'warning.yaml'}:"
    return [str(p).removeprefix(prefix) for p in caught.value.problems]


def test_a_good_section_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", "abc")
    settings = load(
        tmp_path,
        "    url: https://hooks.example.org/warning\n"
        "    secret: ${WEBHOOK_SECRET}\n"
        "    headers: {X-Desk: sahel}\n"
        "    timeout: 5s\n",
    )
    options = settings.notify.get("webhook")
    assert options.url.reveal() == "https://hooks.example.org/warning"
    assert options.secret.reveal() == "abc" and options.timeout == timedelta(seconds=5)
    assert [(n, v.reveal()) for n, v in options.headers] == [("X-Desk", "sahel")]


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            "    url: ftp://hooks.example.org/\n",
            "5: notify.webhook.url: expected an http:// or https:// URL, like "
            "https://hooks.example.org/",
        ),
        (
            "    url: hooks.example.org/warning\n",
            "5: notify.webhook.url: expected an http:// or https:// URL, like "
            "https://hooks.example.org/",
        ),
        (
            "    url: https://desk:pw@hooks.example.org/\n",
            "5: notify.webhook.url: a login in the URL would be logged with every failure; "
            "send it as a header instead (headers: {Authorization: Bearer ${TOKEN}})",
        ),
        (
            '    url: https://h.example.org/\n    headers: {X-Desk: "a\\r\\nX-Admin: 1"}\n',
            "6: notify.webhook.headers: header X-Desk: the value holds a line break or a "
            "control character, which would start another header",
        ),
        (
            '    url: https://h.example.org/\n    headers: {"X-Desk\\nX-Admin": a}\n',
            "6: notify.webhook.headers: header name 'X-Desk\\nX-Admin' is not a valid HTTP "
            "header name (letters, digits and -, no spaces, colons or line breaks)",
        ),
        (
            "    url: https://h.example.org/\n    headers: {content-type: text/plain}\n",
            "6: notify.webhook.headers: header content-type is set by warning itself and "
            "cannot be replaced",
        ),
        (
            "    url: https://h.example.org/\n    headers: {X-Warning-Signature: forged}\n",
            "6: notify.webhook.headers: header X-Warning-Signature is set by warning itself "
            "and cannot be replaced",
        ),
        (
            "    url: https://h.example.org/\n    headers: {X-Retries: 3}\n",
            "6: notify.webhook.headers: header X-Retries: expected a string, got 3; quote it",
        ),
        (
            "    url: https://h.example.org/\n    headers: [X-Desk]\n",
            "6: notify.webhook.headers: expected a mapping of header names to values, "
            "like {X-Desk: sahel}",
        ),
        (
            "    url: https://h.example.org/\n    timeout: 0s\n",
            "6: notify.webhook.timeout: must be greater than zero",
        ),
        (
            "    url: https://h.example.org/\n    secret: ${NO_SUCH_WEBHOOK_SECRET}\n",
            "6: notify.webhook.secret: ${NO_SUCH_WEBHOOK_SECRET} is not set: export "
            "NO_SUCH_WEBHOOK_SECRET, or pass it as a systemd credential "
            "(LoadCredential=NO_SUCH_WEBHOOK_SECRET:/path/to/file)",
        ),
        ("    secret: x\n", "4: notify.webhook.url: is required"),
    ],
    ids=[
        "ftp",
        "no scheme",
        "login in url",
        "CRLF value",
        "LF name",
        "content-type",
        "signature",
        "number",
        "list",
        "zero timeout",
        "unset secret",
        "no url",
    ],
)
def test_bad_sections_are_refused_at_their_line(
    tmp_path: Path, section: str, expected: str
) -> None:
    assert problems(tmp_path, section) == [expected]


def test_a_route_to_a_webhook_target_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "warning.yaml"
    rule = coup_rule("webhook:https://elsewhere.example.org/")
    path.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{tmp_path / 'w.db'}",
                "notify": {"webhook": {"url": "https://h.example.org/"}},
                "rules": [rule],
            },
            sort_keys=False,
        )
    )
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    [problem] = caught.value.problems
    assert problem.key.endswith("routes")
    assert "the webhook has one address, notify.webhook.url; write webhook alone" in str(problem)


# --- through poll --once -----------------------------------------------------------------


@pytest.fixture
def desk(
    tmp_path: Path,
    feed_server: FeedServer,
    receiver: Receiver,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Desk:
    monkeypatch.setattr(logs, "setup", lambda level: None)  # leave logging to caplog
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    return open_desk(
        tmp_path,
        feed_server,
        receiver,
        capsys,
        "webhook",
        {
            "notify": {
                "webhook": {
                    "url": receiver.url(),
                    "secret": "${WEBHOOK_SECRET}",
                    "headers": {"X-Desk": "sahel"},
                    "timeout": "1s",
                }
            }
        },
    )


def test_poll_once_posts_the_alert_to_the_webhook(desk: Desk) -> None:
    result = desk.poll()
    assert result["alerts_new"] == 1 and result["deliveries_sent"] == 1
    [got] = desk.receiver.requests
    alert = got.json()["alert"]
    assert (alert["rule"], alert["subject"], alert["label"]) == ("coup", "NE", "coup")
    assert alert["decision"] == "new" and alert["level"] == "unconfirmed"
    assert alert["outlets"] == ["sahel-wire"] and alert["group"] == "incident:1"
    assert alert["headlines"][0]["title"] == NIGER_COUP["title"]
    assert alert["headlines"][0]["url"].startswith("https://sahel-wire.example.org/news/")
    expected = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-warning-signature"] == f"sha256={expected}"
    assert got.headers["x-desk"] == "sahel"
    assert [d["status"] for d in desk.deliveries()] == ["sent"]
    assert desk.poll()["deliveries_sent"] == 0 and len(desk.receiver.requests) == 1


def test_a_failing_receiver_gets_the_alert_once_after_a_retry(desk: Desk) -> None:
    desk.receiver.script = [Answer(500, b"upstream down")]
    result = desk.poll()
    assert result["deliveries_retrying"] == 1 and result["deliveries_sent"] == 0
    [pending] = desk.deliveries()
    assert pending["status"] == "pending" and "HTTP 500: upstream down" in pending["last_error"]
    assert desk.deliver_later(timedelta(seconds=1)).sent == 0  # not due yet: backoff
    assert desk.deliver_later(timedelta(minutes=5)) == outbox.DeliveryReport(sent=1)
    first, second = desk.receiver.requests
    assert first.body == second.body  # the same message, the same signature and id
    assert first.headers["x-warning-delivery"] == second.headers["x-warning-delivery"]
    assert [d["status"] for d in desk.deliveries()] == ["sent"]
    assert desk.deliver_later(timedelta(hours=2)) == outbox.DeliveryReport()
    assert len(desk.receiver.requests) == 2


def test_a_slow_receiver_is_retried_after_the_timeout(desk: Desk) -> None:
    desk.receiver.script = [Answer(wait=3.0)]
    assert desk.poll()["deliveries_retrying"] == 1
    [pending] = desk.deliveries()
    assert "no answer within 1s" in pending["last_error"]
    assert desk.deliver_later(timedelta(minutes=5)).sent == 1
    assert len(desk.receiver.requests) == 2


def test_a_refusing_receiver_fails_the_delivery_for_good(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    desk.receiver.script = [Answer(400, b'{"error": "unknown field group"}')]
    result = desk.poll()
    assert result["deliveries_failed"] == 1 and result["deliveries_retrying"] == 0
    [failed] = desk.deliveries()
    assert failed["status"] == "failed"
    [line] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "route=webhook FAILED, will not retry" in line
    assert 'HTTP 400: {"error": "unknown field group"}' in line
    assert desk.deliver_later(timedelta(hours=2)) == outbox.DeliveryReport()
    assert len(desk.receiver.requests) == 1


def test_docs_alerts_md_shows_the_body_and_its_headers() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "alerts.md").read_text("utf-8")
    section = text.split("### By webhook", 1)[1].split("\n## ", 1)[0]
    shown = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    sent = json.loads(body(message()))
    assert shown.keys() == sent.keys() and shown["alert"].keys() == sent["alert"].keys()
    assert shown["alert"]["headlines"][0].keys() == sent["alert"]["headlines"][0].keys()
    named = {h.lower() for h in re.findall(r"`([A-Za-z-]+)`", section)}
    assert named >= RESERVED  # every header warning keeps for itself is documented


def test_an_operators_template_replaces_the_body_and_is_signed(
    receiver: Receiver, tmp_path: Path
) -> None:
    from warning.notify.templates import Messages, compile_folder

    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "webhook.body.j2").write_text(
        '{"text": "{{ alert.subject }}: {{ words.title }}", "first": "{{ headlines[0].title }}"}',
        encoding="utf-8",
    )
    templates, problems = compile_folder(folder)
    assert not problems
    hook = notifier(receiver.url(), secret=Secret(SECRET))
    hook.messages = Messages("en", templates)
    hook.send(message(), None, None)
    [got] = receiver.requests
    sent = got.json()
    assert set(sent) == {"text", "first"} and sent["text"].startswith("NE: ")
    assert sent["first"] == "Soldats au palais à Niamey"
    expected = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-warning-signature"] == f"sha256={expected}"


def test_a_failing_template_sends_the_built_in_body(
    receiver: Receiver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from warning.notify.templates import Messages, compile_folder

    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "webhook.body.j2").write_text('{"x": {{ no_such_field }}}', encoding="utf-8")
    templates, _ = compile_folder(folder)
    hook = notifier(receiver.url())
    hook.messages = Messages("en", templates)
    with caplog.at_level(logging.WARNING):
        hook.send(message(), None, None)
    [got] = receiver.requests
    assert got.body == body(message())
    assert "webhook.body.j2" in caplog.text
