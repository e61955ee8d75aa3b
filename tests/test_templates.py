"""messages.templates: operators' Jinja2 templates through the Slack stand-in and a real
SMTP server, hostile feed text in every kind of template, broken templates and bad
settings."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from tests.notifying import email_settings, make_message, mrkdwn_texts, notifier_for, parts, run
from tests.slackserver import SlackServer
from tests.smtpserver import SMTPServer
from warning.config import load
from warning.errors import ConfigError
from warning.notify.email import EmailNotifier
from warning.notify.slack import VERDICT_BLOCK, SlackNotifier, fallback_text, render_blocks
from warning.notify.templates import (
    PARTS,
    Messages,
    compile_folder,
    render_part,
    render_webhook,
    trial_render,
)
from warning.records import AlertMessage, Headline

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "config" / "templates-example"
TOKEN = "xoxb-0000-test-token-never-logged"
EVIL = '<script>alert(1)</script> <@U123> <!channel> *bold* "q" \\ AT&T'
RAW = ("<script>", "<@U123>", "<!channel>", "javascript:")


def messages(folder: Path, language: str = "en") -> Messages:
    templates, problems = compile_folder(folder)
    assert not problems, problems
    return Messages(language, templates)


def hostile() -> AlertMessage:
    return make_message(
        headlines=(
            Headline(EVIL, "javascript:alert(1)", "<b>outlet</b>"),
            Headline("Calm headline", "https://example.org/a?b=1&c=<2>", "rfi"),
        ),
        terms=("<!here>", "coup"),
        note="feed <@U999> said <!channel>",
    )


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# --- the examples, through the real servers -----------------------------------------------


def test_the_examples_compile_and_pass_the_check() -> None:
    example = messages(EXAMPLES, "fr")
    assert example.templates is not None and set(example.templates.compiled) == set(PARTS)
    assert trial_render(example) == []


def test_templated_slack_message_through_the_stand_in() -> None:
    with SlackServer(token=TOKEN) as slack:
        notifier = notifier_for(slack.base_url)
        notifier.messages = messages(EXAMPLES, "fr")
        notifier.send(make_message(outlets=("rfi", "bbc"), level=1), None, None)
        [posted] = slack.posted()
    assert posted.blocks is not None
    section = mrkdwn_texts(posted.blocks)[0]
    assert section.startswith("*Coup d'État ou tentative* — Niger (NE)\ncorroborée — 2 médias")
    assert "À lire: <https://www.rfi.fr/fr/afrique/20230726-niger|Des soldats" in section
    assert posted.text == (
        "NOUVELLE · Coup d'État ou tentative · Niger (NE) (corroborée — 2 médias (score 0.91))"
    )
    # What the templates do not write stays: evidence, the buttons.
    assert any(b.get("block_id") == VERDICT_BLOCK for b in posted.blocks)
    assert "template" not in json.dumps(posted.blocks)


def test_templated_email_through_the_smtp_server(tmp_path: Path) -> None:
    with SMTPServer(tmp_path) as server:
        notifier = EmailNotifier(email_settings(server))
        notifier.messages = messages(EXAMPLES)
        notifier.send(make_message(), None, None)
        [got] = server.messages
    mail = got.message
    assert mail["Subject"] == "[warning #42] CRITICAL Coup or coup attempt — Niger (NE)"
    text, page = (p.replace("\r\n", "\n") for p in parts(mail))
    assert text.startswith("NEW · Coup or coup attempt · Niger (NE)\nseverity critical")
    assert "\nEvidence:\n- Des soldats encerclent" in text
    assert text.rstrip().endswith("(or use the buttons in Slack)")
    assert '<h2 style="color: #b00">NEW · Coup or coup attempt · Niger (NE)</h2>' in page
    assert '<li><a href="https://www.rfi.fr/fr/afrique/20230726-niger">Des soldats' in page


def test_webhook_body_by_template_and_without() -> None:
    body = render_webhook(hostile(), messages(EXAMPLES))
    assert body is not None
    sent = json.loads(body)
    assert sent["headlines"][0]["title"] == " ".join(EVIL.split())  # exact, once decoded
    assert sent["links"] == ["https://example.org/a?b=1&c=<2>"]  # javascript: is no link
    assert sent["country"] == "Niger" and sent["corroborated"] is False
    assert render_webhook(hostile(), Messages()) is None  # no template: the built-in body


# --- hostile feed text in every kind of template ------------------------------------------

#: Everything a template could do to a headline, including what would un-escape it.
ABUSE = """{% for h in headlines %}
{{ h.title }} | {{ h.title|safe }} | {{ h.title|striptags|safe }} | {{ h.title|lower|safe }}
{{ h.title|replace("&lt;", "<")|safe }} | {{ (h.title ~ "")|safe }}
{{ "%s"|format(h.title)|safe }} | {{ h.title|wordwrap(20)|safe }}
{{ h.title[0:9]|safe }} | {{ h.title|truncate(30)|safe }} | {{ h.outlet|safe }} | {{ h.link }}
{{ h.url or "no link" }} | {{ h.title.replace("&lt;", "<")|safe }} | {{ h.title|e|safe }}
{% endfor %}{{ terms|join(", ")|safe }} {{ alert.note|safe }}
"""


@pytest.mark.parametrize("name", ["slack.text.j2", "slack.fallback.j2", "email.html.j2"])
def test_hostile_headline_stays_escaped(tmp_path: Path, name: str) -> None:
    folder = write(tmp_path / "t", {name: ABUSE})
    rendered = render_part(messages(folder), name, hostile())
    assert rendered.failure is None and rendered.text is not None
    for raw in RAW:
        assert raw not in rendered.text, (raw, rendered.text)
    assert "&lt;script&gt;" in rendered.text and "&lt;!channel&gt;" in rendered.text
    assert "<b>outlet" not in rendered.text


def test_hostile_headline_in_the_whole_slack_message(tmp_path: Path) -> None:
    folder = write(tmp_path / "t", {"slack.text.j2": ABUSE, "slack.fallback.j2": ABUSE})
    chosen = messages(folder)
    blocks = render_blocks(hostile(), chosen)
    text = fallback_text(hostile(), chosen)
    for value in [*mrkdwn_texts(blocks), text]:
        for raw in RAW:
            assert raw not in value


def test_hostile_headline_in_a_webhook_body(tmp_path: Path) -> None:
    body = '{"t": [{% for h in headlines %}"{{ h.title }}", "{{ h.title|safe }}", '
    body += '"{{ h.title|striptags }}", "{{ h.url }}"{{ "," if not loop.last }}{% endfor %}]}'
    folder = write(tmp_path / "t", {"webhook.body.j2": body})
    got = render_webhook(hostile(), messages(folder))
    assert got is not None
    values = json.loads(got)["t"]
    assert values[0] == values[1] == " ".join(EVIL.split())  # a valid string, whatever |safe
    assert "javascript" not in got.decode()


def test_hostile_text_cannot_forge_an_email_header(tmp_path: Path) -> None:
    folder = write(tmp_path / "t", {"email.subject.j2": "{{ alert.note }}\nBcc: x@evil.org"})
    message = make_message(note="a\r\nBcc: victim@example.org")
    with SMTPServer(tmp_path) as server:
        notifier = EmailNotifier(email_settings(server))
        notifier.messages = messages(folder)
        notifier.send(message, None, None)
        [got] = server.messages
    assert got.message["Bcc"] is None
    assert got.message["Subject"] == "[warning #42] a Bcc: victim@example.org Bcc: x@evil.org"
    assert got.rcpt_tos == ("desk@example.org",)


def test_unescaping_methods_are_refused_and_fall_back(tmp_path: Path) -> None:
    folder = write(tmp_path / "t", {"slack.text.j2": "{{ headlines[0].title.unescape() }}"})
    rendered = render_part(messages(folder), "slack.text.j2", hostile())
    assert rendered.text is None
    assert rendered.failure == "template slack.text.j2 failed; built-in wording used"


# --- broken templates ---------------------------------------------------------------------


def config(tmp_path: Path, folder: str = "templates", extra: str = "") -> Path:
    path = tmp_path / "warning.yaml"
    text = f"feeds: []\nrules: []\nmessages:\n  language: en\n  templates: {folder}\n{extra}"
    path.write_text(text, encoding="utf-8")
    return path


def test_syntax_error_is_a_check_error_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write(tmp_path / "templates", {"email.text.j2": "ok\n{% for h in headlines %}\n"})
    code, _, err = run(["--config", str(config(tmp_path)), "check"], capsys)
    assert code == 2
    assert f"{folder / 'email.text.j2'}:2: template syntax: Unexpected end of template" in err


@pytest.mark.parametrize(
    ("source", "line", "what"),
    [
        ("ok\n\n{{ alert.nmae }}", 3, "UndefinedError: 'dict object' has no attribute 'nmae'"),
        ("{% for x in alert.score %}{{ x }}{% endfor %}", 1, "'float' object is not iterable"),
        ("{{ words.title }}\n{{ 1 / 0 }}", 2, "ZeroDivisionError"),
    ],
)
def test_runtime_error_is_a_check_error_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, line: int, what: str
) -> None:
    folder = write(tmp_path / "templates", {"slack.text.j2": source})
    code, out, err = run(["--config", str(config(tmp_path)), "check"], capsys)
    assert code == 2, out
    assert f"{folder / 'slack.text.j2'}:{line}: fails on a sample new alert message: " in err
    assert what in err


def test_webhook_body_that_is_not_json_is_a_check_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "templates", {"webhook.body.j2": '{"title": {{ words.title }}}'})
    code, _, err = run(["--config", str(config(tmp_path)), "check"], capsys)
    assert code == 2 and "webhook.body.j2:1: fails on a sample" in err
    assert "the body is not JSON" in err


def test_runtime_failure_falls_back_warns_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = write(tmp_path / "t", {"slack.text.j2": "fine\n{{ alert.note.upper() }}\n"})
    with SlackServer(token=TOKEN) as slack:
        notifier: SlackNotifier = notifier_for(slack.base_url)
        notifier.messages = messages(folder, "fr")
        with caplog.at_level(logging.WARNING, logger="warning.notify.templates"):
            notifier.send(make_message(), None, None)  # no note: None has no upper()
        [posted] = slack.posted()
    assert posted.blocks is not None
    texts = mrkdwn_texts(posted.blocks)
    assert texts[0].startswith("gravité critique · non confirmée")  # the built-in wording
    assert "le gabarit slack.text.j2 a échoué ; formulation intégrée utilisée" in texts
    assert f"{folder / 'slack.text.j2'}:2: template failed, built-in wording used" in caplog.text


def test_email_template_failure_falls_back_and_says_so(tmp_path: Path) -> None:
    folder = write(tmp_path / "t", {"email.html.j2": "<p>{{ nothing }}</p>"})
    with SMTPServer(tmp_path) as server:
        notifier = EmailNotifier(email_settings(server))
        notifier.messages = messages(folder)
        notifier.send(make_message(), None, None)
        [got] = server.messages
    text, page = parts(got.message)
    assert "<h2>NEW · Coup or coup attempt · Niger (NE)</h2>" in page  # the built-in page
    note = "template email.html.j2 failed; built-in wording used"
    assert note in text and f"<p><small>{note}</small></p></body>" in page.replace("\r\n", "")


# --- bad settings -------------------------------------------------------------------------


def test_missing_templates_folder(tmp_path: Path) -> None:
    path = config(tmp_path, "nowhere")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert f"{path}:5: messages.templates: folder not found: {tmp_path / 'nowhere'}" in str(
        caught.value
    )


def test_unknown_template_file_name(tmp_path: Path) -> None:
    write(
        tmp_path / "templates", {"slack.txt.j2": "x", "_macros.j2": "{% macro m() %}{% endmacro %}"}
    )
    path = config(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load(path)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 1  # a partial (_NAME.j2) is allowed
    assert problems[0].startswith(
        f"{path}:5: messages.templates: unknown template 'slack.txt.j2' in {tmp_path / 'templates'}"
        "; expected slack.text.j2, slack.fallback.j2,"
    )


def test_templates_folder_relative_to_the_config_file(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "conf" / "tpl")
    settings = load(config(tmp_path / "conf", "tpl"))
    templates = settings.notify.messages.templates
    assert templates is not None and templates.folder == (tmp_path / "conf" / "tpl").resolve()
    assert set(templates.compiled) == set(PARTS)
