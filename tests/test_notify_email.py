"""The email notifier against a real SMTP server on loopback (STARTTLS, AUTH)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from tests.notifying import DESK, SENDER, parts
from tests.notifying import email_settings as settings
from tests.smtpserver import SMTPServer
from warning.errors import DeliveryError
from warning.notify.email import EmailNotifier, one_line
from warning.records import AlertMessage, Headline
from warning.settings import Secret

XSS = '<script>alert(1)</script> & "x"'


def alert(**overrides: Any) -> AlertMessage:
    """A coup alert about Niger with two headlines; override any field."""
    at = datetime(2023, 7, 26, 12, 0, tzinfo=UTC)
    fields: dict[str, Any] = {
        "alert_id": 42,
        "key": "42:new:1",
        "decision": "new",
        "rule": "coup-sahel",
        "subject": "NE",
        "place": "",
        "label": "coup",
        "severity": "high",
        "score": 0.93,
        "outlets": ("rfi.fr", "bbc.co.uk"),
        "headlines": (
            Headline("Soldiers surround the presidency in Niamey", "https://rfi.fr/a", "rfi.fr"),
            Headline(XSS, "https://bbc.co.uk/b?x=1&y=\"'", "bbc.co.uk"),
        ),
        "terms": ("garde présidentielle", "coup"),
        "model": "m-1",
        "opened": at,
        "at": at,
    }
    fields.update(overrides)
    return AlertMessage(**fields)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SMTPServer]:
    with SMTPServer(tmp_path) as smtp:
        yield smtp


@pytest.fixture
def notifier(server: SMTPServer) -> EmailNotifier:
    return EmailNotifier(settings(server))


def test_first_alert_over_starttls_with_login(server: SMTPServer, notifier: EmailNotifier) -> None:
    ref = notifier.send(alert(), None, None)

    [got] = server.messages
    assert got.tls and got.login == "warning"
    assert got.mail_from == SENDER and got.rcpt_tos == (DESK,)
    msg = got.message
    assert msg["From"] == SENDER and msg["To"] == DESK
    assert msg["Subject"] == "[warning #42] HIGH · Coup or coup attempt · Niger (NE)"
    assert parsedate_to_datetime(msg["Date"]).tzinfo is not None
    assert msg["Message-ID"] == ref
    assert ref.startswith("<warning.42.") and ref.endswith("@example.org>")
    assert msg["In-Reply-To"] is None and msg["References"] is None
    assert msg["Auto-Submitted"] == "auto-generated"
    text, html = parts(msg)
    assert "Soldiers surround the presidency in Niamey (rfi.fr) https://rfi.fr/a" in text
    assert XSS in text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;" in html
    assert 'href="https://bbc.co.uk/b?x=1&amp;y=&quot;&#x27;"' in html
    assert "garde présidentielle" in text and "garde présidentielle" in html


def test_reply_threads_under_the_first_message(server: SMTPServer, notifier: EmailNotifier) -> None:
    first = notifier.send(alert(), None, None)
    second = notifier.send(alert(key="42:escalated:2", decision="escalated"), None, first)
    third = notifier.send(alert(key="42:resolved:3", decision="resolved"), None, second)

    assert first == second == third
    new, escalated, resolved = (r.message for r in server.messages)
    # One subject for the whole alert (mail clients thread on it); the decision opens the body.
    assert new["Subject"] == "[warning #42] HIGH · Coup or coup attempt · Niger (NE)"
    assert escalated["In-Reply-To"] == escalated["References"] == first
    assert resolved["In-Reply-To"] == resolved["References"] == first
    assert escalated["Message-ID"] not in (first, resolved["Message-ID"])
    assert escalated["Subject"] == resolved["Subject"] == f"Re: {new['Subject']}"
    for mail, word in ((new, "NEW"), (escalated, "ESCALATED"), (resolved, "RESOLVED")):
        assert parts(mail)[0].startswith(f"{word} · Coup or coup attempt")


def test_message_id_is_stable_across_retries(server: SMTPServer, notifier: EmailNotifier) -> None:
    assert notifier.send(alert(), None, None) == notifier.send(alert(), None, None)
    assert server.messages[0].message["Message-ID"] == server.messages[1].message["Message-ID"]
    assert notifier.message_id(alert(key="other")) != notifier.message_id(alert())


def test_target_overrides_the_recipients(server: SMTPServer, notifier: EmailNotifier) -> None:
    notifier.send(alert(), "ops@example.org, Night Desk <night@example.org>", None)

    [got] = server.messages
    assert got.rcpt_tos == ("ops@example.org", "night@example.org")
    assert got.message["To"] == "ops@example.org, night@example.org"


@pytest.mark.parametrize(
    "target", ["not an address", "a@example.org Bcc: evil@example.org", "a@b@c", ","]
)
def test_a_target_that_is_no_address_is_refused_before_connecting(
    server: SMTPServer, target: str
) -> None:
    server.stop()  # nothing may be dialled
    with pytest.raises(DeliveryError) as caught:
        EmailNotifier(settings(server)).send(alert(), target, None)
    assert not caught.value.retryable and caught.value.hint


@pytest.mark.parametrize(
    "title",
    [
        "Coup\r\nBcc: victim@example.org",
        "x\nSubject: fake",
        "a\rb\x0bBcc: v@example.org",
        # No CR or LF, but str.splitlines() and much mail software break lines on these.
        "Coup\u2028Bcc: v@example.org\x85Subject: fake\x1cc\u2029d",
    ],
)
def test_line_breaks_in_feed_text_never_make_a_header(
    server: SMTPServer, notifier: EmailNotifier, title: str
) -> None:
    sneaky = Headline(title, "https://example.org/\r\nBcc: x@example.org", "out\nlet")
    notifier.send(
        alert(headlines=(sneaky,), place=title, rule=f"r\r\nX-Injected: {title}"), None, None
    )

    [got] = server.messages
    msg = got.message
    assert got.rcpt_tos == (DESK,)
    assert msg["Bcc"] is None and msg["X-Injected"] is None
    assert len(msg.get_all("Subject") or []) == 1
    assert msg["Subject"] == f"[warning #42] HIGH · Coup or coup attempt · {one_line(title)}"
    assert not any(key.lower() in ("bcc", "x-injected") for key in msg)
    text, _ = parts(msg)
    assert f"- {one_line(title)} (out let)" in text  # literal, one line


def test_wrong_password_is_not_retryable(server: SMTPServer) -> None:
    notifier = EmailNotifier(settings(server, password=Secret("wrong")))
    with pytest.raises(DeliveryError) as caught:
        notifier.send(alert(), None, None)
    err = caught.value
    assert not err.retryable
    assert err.hint == "check notify.email.username and password"
    assert f"127.0.0.1:{server.port}" in str(err) and "wrong" not in str(err)
    assert server.auth_failures >= 1 and not server.messages


def test_server_down_is_retryable_and_a_restart_recovers(
    server: SMTPServer, notifier: EmailNotifier
) -> None:
    server.stop()
    with pytest.raises(DeliveryError) as caught:
        notifier.send(alert(), None, None)
    assert caught.value.retryable
    assert f"127.0.0.1:{server.port}" in str(caught.value)

    server.start()
    notifier.send(alert(), None, None)
    assert len(server.messages) == 1


def test_temporary_refusal_is_retryable_and_the_next_send_succeeds(
    server: SMTPServer, notifier: EmailNotifier
) -> None:
    server.fail_next(1)
    with pytest.raises(DeliveryError) as caught:
        notifier.send(alert(), None, None)
    assert caught.value.retryable and "451" in str(caught.value)
    assert not server.messages

    notifier.send(alert(), None, None)
    assert len(server.messages) == 1


def test_refused_recipient_is_not_retryable(server: SMTPServer, notifier: EmailNotifier) -> None:
    server.refuse("gone@example.org")
    with pytest.raises(DeliveryError) as caught:
        notifier.send(alert(), "gone@example.org", None)
    err = caught.value
    assert not err.retryable
    assert "gone@example.org (550" in str(err) and err.hint and "addresses" in err.hint


def test_one_refused_recipient_among_several_is_logged_not_resent(
    server: SMTPServer, notifier: EmailNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    server.refuse("gone@example.org")
    with caplog.at_level(logging.WARNING, logger="warning.notify.email"):
        notifier.send(alert(), f"gone@example.org, {DESK}", None)
    assert server.messages[0].rcpt_tos == (DESK,)
    assert "gone@example.org" in caplog.text


def test_untrusted_certificate_is_not_retryable(server: SMTPServer) -> None:
    notifier = EmailNotifier(settings(server, ca_file=None))  # the system CAs
    with pytest.raises(DeliveryError) as caught:
        notifier.send(alert(), None, None)
    err = caught.value
    assert not err.retryable and err.hint and "ca_file" in err.hint
    assert not server.messages


def test_unreadable_ca_file_is_not_retryable(server: SMTPServer, tmp_path: Path) -> None:
    (tmp_path / "junk.pem").write_text("not a certificate\n")
    for ca_file in (tmp_path / "missing.pem", tmp_path / "junk.pem"):
        with pytest.raises(DeliveryError) as caught:
            EmailNotifier(settings(server, ca_file=str(ca_file))).send(alert(), None, None)
        assert not caught.value.retryable and "ca_file" in str(caught.value)


def test_starttls_not_offered_is_not_retryable(tmp_path: Path) -> None:
    with SMTPServer(tmp_path, tls=False, username=None) as plain:
        notifier = EmailNotifier(settings(plain, starttls=True))
        with pytest.raises(DeliveryError) as caught:
            notifier.send(alert(), None, None)
        err = caught.value
        assert not err.retryable and err.hint and "starttls: false" in err.hint
        assert not plain.messages


def test_local_relay_without_tls_or_login(tmp_path: Path) -> None:
    with SMTPServer(tmp_path, tls=False, username=None) as relay:
        EmailNotifier(settings(relay)).send(alert(), None, None)
        [got] = relay.messages
        assert not got.tls and got.login is None


def test_test_and_operator_messages_have_no_alert_number(
    server: SMTPServer, notifier: EmailNotifier
) -> None:
    notifier.send(alert(kind="test", alert_id=0, key="test:1"), None, None)
    notifier.send(replace(alert(), kind="operator", note="rules.yaml:3: bad\nline 2"), None, None)
    test, operator = (r.message for r in server.messages)
    assert test["Subject"] == "[warning] TEST · warning test-notify: this route works"
    assert operator["Subject"] == "[warning] OPERATOR · rules.yaml:3: bad line 2"
    assert "bad<br>line 2" in parts(operator)[1]


def test_non_http_links_are_not_made_clickable(server: SMTPServer, notifier: EmailNotifier) -> None:
    notifier.send(alert(headlines=(Headline("Evil", "javascript:alert(1)", "x"),)), None, None)
    _, html = parts(server.messages[0].message)
    assert "href" not in html and "Evil (x)" in html
