"""messages.language: the built-in wording in English and French, through the Slack
stand-in and a real SMTP server."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from tests.notifying import email_settings, header, make_message, mrkdwn_texts, notifier_for, parts
from tests.slackserver import SlackServer
from tests.smtpserver import SMTPServer
from warning.alerting.verdicts import TITLES
from warning.config import load
from warning.errors import ConfigError
from warning.notify import LogNotifier, Notifiers, NotifySettings
from warning.notify.email import EmailNotifier
from warning.notify.slack import VERDICT_BLOCK, VERDICT_SHOWN
from warning.notify.templates import Messages
from warning.notify.wording import ENGLISH, FRENCH, TABLES
from warning.records import VerdictShown

FR = Messages("fr")


def french(notifier: EmailNotifier | object) -> None:
    notifier.messages = FR  # type: ignore[attr-defined]  # as Notifiers does


def test_every_language_words_the_same_things() -> None:
    for table in TABLES.values():
        for f in dataclasses.fields(table):
            value = getattr(table, f.name)
            if isinstance(value, dict):
                assert value.keys() == getattr(ENGLISH, f.name).keys(), (table.language, f.name)
    # The English verdict names are the verdicts' own; the buttons are the contract's.
    assert ENGLISH.verdicts == TITLES
    assert list(FRENCH.buttons) == ["ack", "confirm", "false_alarm", "wrong_country", "old_news"]
    assert FRENCH.verdict("False alarm") == FRENCH.verdict("false_alarm") == "Fausse alerte"


def test_french_slack_message_through_the_stand_in() -> None:
    message = make_message(
        subject="TD",
        place="Chad (TD)",
        outlets=("rfi", "jeuneafrique"),
        level=1,
        spike=3.0,
        verdict=VerdictShown("False alarm", "amina", make_message().at),
    )
    with SlackServer(token="xoxb-0000-test-token-never-logged") as slack:
        notifier = notifier_for(slack.base_url)
        french(notifier)
        notifier.send(message, None, None)
        [posted] = slack.posted()

    assert posted.blocks is not None and posted.text is not None
    assert header(posted.blocks) == "NOUVELLE · Coup d'État ou tentative · Tchad (TD)"
    texts = mrkdwn_texts(posted.blocks)
    assert texts[0].startswith("gravité critique · corroborée — 2 médias (score 0.91)")
    assert "3.0× le volume habituel · règle coup-sahel" in texts[0]
    assert texts[1].startswith("*Sources*\n• <https://www.rfi.fr/")
    assert any(t.startswith("Termes : soldats") for t in texts)
    assert any("modèle clf-2024.1 · alerte 42" in t for t in texts)
    actions = next(b for b in posted.blocks if b.get("block_id") == VERDICT_BLOCK)
    assert [e["text"]["text"] for e in actions["elements"]] == [
        "Prendre en compte",
        "Confirmée",
        "Fausse alerte",
        "Mauvais pays",
        "Information ancienne",
    ]
    assert [e["action_id"] for e in actions["elements"]] == list(ENGLISH.buttons)
    shown = next(b for b in posted.blocks if b.get("block_id") == VERDICT_SHOWN)
    assert shown["elements"][0]["text"] == "Fausse alerte — @amina, 08:05 UTC"
    assert posted.text.startswith("NOUVELLE · Coup d'État ou tentative · Tchad (TD)\n")
    assert "Sources :\n- Des soldats" in posted.text


def test_french_email_through_the_smtp_server(tmp_path: Path) -> None:
    message = make_message(subject="CI", place="Côte d'Ivoire (CI)", severity="high")
    with SMTPServer(tmp_path) as server:
        notifier = EmailNotifier(email_settings(server))
        french(notifier)
        notifier.send(message, None, None)
        [got] = server.messages

    mail = got.message
    assert mail["Subject"] == "[warning #42] ÉLEVÉE · Coup d'État ou tentative · Côte d'Ivoire (CI)"
    text, page = (p.replace("\r\n", "\n") for p in parts(mail))
    assert text.startswith("NOUVELLE · Coup d'État ou tentative · Côte d'Ivoire (CI)\n")
    assert "gravité élevée · non confirmée — 1 média (score 0.91) · règle coup-sahel" in text
    assert "Termes qui ont fait le score : soldats, palais présidentiel" in text
    assert "Alerte 42 · ouverte le 2023-07-26 08:00 UTC · modèle clf-2024.1" in text
    assert "(ou les boutons dans Slack)" in text
    assert '<html lang="fr">' in page
    assert "<p>Sources :</p>" in page and "Côte d&#x27;Ivoire (CI)" in page


def test_the_log_stays_english(caplog: pytest.LogCaptureFixture) -> None:
    notifiers = Notifiers(NotifySettings(messages=FR))
    notifier, _ = notifiers.resolve("slack")  # not configured: the log
    assert isinstance(notifier, LogNotifier)
    with caplog.at_level(logging.WARNING, logger="warning.alert"):
        notifier.send(make_message(subject="TD", place=""), None, None)
    assert "NEW · Coup or coup attempt · Chad (TD)" in caplog.text


def test_zones_feeds_and_operator_alerts_in_french() -> None:
    from warning.notify import render

    zone = make_message(subject="zone:coastal-north", label="attack", decision="escalated")
    assert render.title(zone, FRENCH) == "AGGRAVATION · Attaque armée · zone coastal-north"
    quiet = make_message(subject="feed:rfi", label="quiet", decision="resolved")
    assert render.title(quiet, FRENCH) == "TERMINÉE · Silence des sources · flux rfi"
    assert "non confirmée" not in render.status_line(quiet, FRENCH)
    operator = make_message(kind="operator", note="feed rfi: 7 failures")
    assert render.title(operator, FRENCH) == "OPÉRATEUR · feed rfi: 7 failures"
    assert render.verdict_line(operator, FRENCH) is None


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "warning.yaml"
    path.write_text("feeds: []\nrules: []\n" + text, encoding="utf-8")
    return path


def test_language_is_read_and_reaches_every_notifier(tmp_path: Path) -> None:
    settings = load(config(tmp_path, "messages:\n  language: fr\n"))
    assert settings.notify.messages == Messages("fr")
    assert load(config(tmp_path, "")).notify.messages == Messages("en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "messages:\n  language: de\n",
            ":4: messages.language: unknown language 'de'; one of: en, fr",
        ),
        ("messages:\n  langue: fr\n", ":4: messages.langue: unknown key"),
        ("messages: fr\n", ":3: messages: expected a mapping"),
    ],
)
def test_bad_language_settings(tmp_path: Path, text: str, expected: str) -> None:
    path = config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert f"{path}{expected}" in str(caught.value)
