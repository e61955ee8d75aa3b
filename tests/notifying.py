"""What the notifier tests share: a sample alert message, notifiers pointed at the local
Slack and SMTP stand-ins, and readers of what they received."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from tests.smtpserver import SMTPServer
from warning import cli
from warning.alerting import outbox
from warning.notify.email import EmailOptions
from warning.notify.slack import SlackNotifier, SlackOptions
from warning.records import AlertMessage, Headline
from warning.settings import Secret

TOKEN = "xoxb-0000-test-token-never-logged"
CHANNEL = "#sahel-desk"
SENDER = "warning@example.org"
DESK = "desk@example.org"


def make_message(**overrides: Any) -> AlertMessage:
    """An alert decision as the rules would hand it over; override any field."""
    fields: dict[str, Any] = {
        "alert_id": 42,
        "key": "alert-42-new",
        "decision": "new",
        "rule": "coup-sahel",
        "subject": "NE",
        "place": "Niger (NE)",
        "label": "coup",
        "severity": "critical",
        "score": 0.91,
        "outlets": ("rfi",),
        "headlines": (
            Headline(
                "Des soldats encerclent le palais présidentiel à Niamey",
                "https://www.rfi.fr/fr/afrique/20230726-niger",
                "rfi",
            ),
        ),
        "terms": ("soldats", "palais présidentiel"),
        "model": "clf-2024.1",
        "opened": datetime(2023, 7, 26, 8, 0, tzinfo=UTC),
        "at": datetime(2023, 7, 26, 8, 5, tzinfo=UTC),
    }
    fields.update(overrides)
    return AlertMessage(**fields)


def composed_message(second: str, **changes: Any) -> AlertMessage:
    """A coup in Niger from two outlets as the outbox composes it (``outbox.compose``:
    place, wording and caps applied), the second outlet's headline ``second``."""
    now = datetime(2026, 7, 26, 3, 12, tzinfo=UTC)
    fields: dict[str, Any] = {
        "alert_id": 7,
        "key": "7.1.12",
        "decision": "new",
        "rule": "coup",
        "subject": "NE",
        "label": "coup",
        "severity": "critical",
        "score": 0.91234,
        "outlets": ("sahel-wire", "niamey-daily"),
        "headlines": [
            Headline("Soldats au palais à Niamey", "https://a.example.org/1", "sahel-wire", now),
            Headline(second, None, "niamey-daily", now),
        ],
        "terms": ("soldiers",),
        "model": "m-1",
        "opened": now - timedelta(minutes=5),
        "at": now,
        "spike": None,
        "level": 1,
    }
    return outbox.compose(**(fields | changes))


def notifier_for(base_url: str, *, timeout: int = 5) -> SlackNotifier:
    """A Slack notifier pointed at the local stand-in."""
    settings = SlackOptions(token=Secret(TOKEN), channel=CHANNEL, base_url=base_url)
    return SlackNotifier(settings, timeout=timeout)


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """The mrkdwn of every section and context element of a Block Kit message."""
    found = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    found += [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    return found


def header(blocks: list[dict[str, Any]]) -> str:
    return str(next(b for b in blocks if b["type"] == "header")["text"]["text"])


def email_settings(server: SMTPServer, **overrides: Any) -> EmailOptions:
    """Email options for the local SMTP server (its TLS, login and CA as it runs)."""
    fields: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": server.port,
        "sender": SENDER,
        "to": (DESK,),
        "starttls": server.tls,
        "username": server.username,
        "password": Secret(server.password),
        "ca_file": str(server.ca_file),
    }
    fields.update(overrides)
    return EmailOptions(**fields)


def parts(msg: EmailMessage) -> tuple[str, str]:
    """The text and HTML bodies of a received email."""
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``warning ARGS``: its exit status, standard output and standard error."""
    capsys.readouterr()
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err
