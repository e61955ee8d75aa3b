"""Operators' Jinja2 templates for alert messages: ``messages:``, loading, rendering, fallback.

``messages.templates`` names a folder whose files, by fixed names (:data:`PARTS`),
each replace one part of the built-in message. Templates run in Jinja2's immutable
sandbox with ``StrictUndefined``, and every string in their context is already
escaped for the part's target (Slack mrkdwn, HTML, JSON; plain text needs none), as
a ``Markup`` whose operations keep it escaped: a template can add markup of its own
but cannot turn a headline back into markup (``unescape`` and ``striptags``, the
only ways back, are removed). docs/messages.md lists the context.

Templates compile when the configuration loads (a syntax error is a ``file:line``
problem); ``warning check`` renders each against sample messages. At run time a
template that fails never loses an alert: that part falls back to the built-in
wording, a warning names the file and line, and the message says so.
"""

from __future__ import annotations

import json
import logging
import traceback
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Problem
from ..records import AlertMessage, Headline, VerdictShown
from .wording import LANGUAGES, Wording, wording

if TYPE_CHECKING:  # jinja2 is imported only when a configuration has templates
    from jinja2 import Template

    from ..settings import Reader

log = logging.getLogger(__name__)

#: Template file -> the target its output is escaped for.
PARTS = {
    "slack.text.j2": "slack",  # the main section of the Slack message (mrkdwn)
    "slack.fallback.j2": "slack",  # the message's plain ``text`` (notifications)
    "email.subject.j2": "text",  # the subject, after the [warning #ID] tag
    "email.text.j2": "text",
    "email.html.j2": "html",
    "webhook.body.j2": "json",
    "apprise.title.j2": "text",  # Apprise escapes text for each service itself
    "apprise.body.j2": "text",
}
#: Files the templates may include or import, not parts of their own: ``_*.j2``.
PARTIAL = "_"


@dataclass(frozen=True, slots=True)
class Templates:
    """The compiled templates of one folder, by part name."""

    folder: Path
    compiled: dict[str, Template] = field(hash=False)


@dataclass(frozen=True, slots=True)
class Messages:
    """``messages``: the language of the built-in wording, and the operator's templates."""

    language: str = "en"
    templates: Templates | None = None

    @property
    def words(self) -> Wording:
        return wording(self.language)


#: English, no templates: what a notifier renders with when ``messages:`` is absent.
DEFAULT = Messages()


@dataclass(frozen=True, slots=True)
class Rendered:
    """A part rendered by its template (``text``), or None: use the built-in wording.
    ``failure`` is the line that says a template failed, in the message's language."""

    text: str | None = None
    failure: str | None = None


# --- loading ------------------------------------------------------------------------------


def load_messages(reader: Reader, value: Any, config_file: Path) -> Messages:
    """``messages:`` read and its templates compiled; problems recorded on ``reader``."""
    section = reader.mapping(value, ("messages",), ("language", "templates"))
    language = section.get("language", "en")
    if language not in LANGUAGES:
        reader.error(
            ("messages", "language"),
            f"unknown language {language!r}; one of: {', '.join(LANGUAGES)}",
        )
        language = "en"
    folder = section.get("templates")
    if folder is None:
        return Messages(language)
    if not isinstance(folder, str) or not folder.strip():
        reader.error(("messages", "templates"), "expected a folder, relative to this file")
        return Messages(language)
    full = (config_file.parent / folder).resolve()
    if not full.is_dir():
        what = "is a file, not a folder" if full.exists() else "folder not found"
        reader.error(
            ("messages", "templates"),
            f"{what}: {full}",
            hint="create it with templates named as in docs/messages.md, or drop the key",
        )
        return Messages(language)
    for name in sorted(p.name for p in full.iterdir() if p.is_file()):
        if name not in PARTS and not name.startswith((".", PARTIAL)):
            reader.error(
                ("messages", "templates"),
                f"unknown template {name!r} in {full}; expected {', '.join(PARTS)} "
                f"(or {PARTIAL}NAME.j2 for files they include)",
            )
    templates, problems = compile_folder(full)
    reader.problems.extend(problems)
    return Messages(language, templates)


def compile_folder(folder: Path) -> tuple[Templates, list[Problem]]:
    """Compile every part the folder has; a syntax error is a ``file:line`` problem."""
    from jinja2 import TemplateSyntaxError

    compiled: dict[str, Template] = {}
    problems: list[Problem] = []
    for name, target in PARTS.items():
        if not (folder / name).is_file():
            continue
        try:
            compiled[name] = _environment(folder, target).get_template(name)
        except TemplateSyntaxError as exc:
            where = exc.filename or str(folder / name)
            problems.append(Problem(where, exc.lineno, "", f"template syntax: {exc.message}"))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(folder / name), None, "", f"cannot read: {exc}"))
    return Templates(folder, compiled), problems


def _environment(folder: Path, target: str) -> Any:
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from markupsafe import Markup

    from .context import TARGETS, finalizer, tojson

    class Sandbox(ImmutableSandboxedEnvironment):
        def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
            # The two ways from escaped text back to raw text.
            if attr in ("unescape", "striptags"):
                return False
            return bool(super().is_safe_attribute(obj, attr, value))

    escaped = TARGETS[target].text
    env = Sandbox(
        loader=FileSystemLoader(folder),
        undefined=StrictUndefined,
        autoescape=target != "text",
        finalize=finalizer(target),
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The filter's result is unescaped text: escape it again for the target.
    env.filters["striptags"] = lambda v: escaped(Markup(str(v)).striptags())
    env.filters.pop("urlize", None)  # HTML links: wrong in Slack and JSON, and feed-made
    if target == "json":
        env.filters["tojson"] = tojson
    return env


# --- rendering ----------------------------------------------------------------------------


def render_part(messages: Messages, name: str, message: AlertMessage) -> Rendered:
    """Part ``name`` of ``message`` by its template; an empty Rendered when there is none,
    and one with ``failure`` set (and a warning logged) when the template fails."""
    templates = messages.templates
    if templates is None or name not in templates.compiled:
        return Rendered()
    template = templates.compiled[name]
    try:
        return Rendered(_render(template, name, message, messages.words))
    except Exception as exc:  # a template's bug must never lose the alert
        where = f"{template.filename}:{_line_of(exc, template)}"
        log.warning(
            "alert=%d: %s: template failed, built-in wording used: %s",
            message.alert_id,
            where,
            _describe(exc),
        )
        return Rendered(failure=messages.words.template_failed.format(name=name))


def _render(template: Template, name: str, message: AlertMessage, w: Wording) -> str:
    from .context import TARGETS, context

    target = TARGETS[PARTS[name]]
    text = template.render(context(message, w, target))
    if target.name == "slack":
        # Literal text joined to escaped values is escaped as HTML; quotes need no
        # escaping in Slack, where the entities would show as typed.
        text = text.replace("&#34;", '"').replace("&#39;", "'")
    if target.name == "json":
        json.loads(text)  # a body the receiver cannot parse is the template's failure
    if not text.strip():
        raise ValueError("the template rendered nothing")
    return text


def render_webhook(message: AlertMessage, messages: Messages) -> bytes | None:
    """The webhook body by ``webhook.body.j2`` (UTF-8 JSON), or None: send the built-in body
    (no template, or it failed: then a warning naming its file and line is logged)."""
    rendered = render_part(messages, "webhook.body.j2", message)
    return None if rendered.text is None else rendered.text.encode()


def _line_of(exc: BaseException, template: Template) -> int | str:
    """The template line an error was raised at (Jinja puts it in the traceback)."""
    lineno = getattr(exc, "lineno", None)
    if lineno:
        return int(lineno)
    found: int | str = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == template.filename and frame.lineno is not None:
            found = frame.lineno
    return found


def _describe(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"the body is not JSON: {exc}"
    return f"{type(exc).__name__}: {exc}"


# --- checking -----------------------------------------------------------------------------


def trial_render(messages: Messages) -> list[Problem]:
    """Render every template against sample messages (``warning check``): what fails is
    a ``file:line: message`` problem, as it would fail at run time."""
    templates = messages.templates
    if templates is None:
        return []
    problems = []
    for name, template in templates.compiled.items():
        for sample in samples():
            try:
                _render(template, name, sample, messages.words)
            except Exception as exc:
                line = _line_of(exc, template)
                problems.append(
                    Problem(
                        str(template.filename),
                        line if isinstance(line, int) else None,
                        "",
                        f"fails on a sample {sample.decision} {sample.kind} message: "
                        + _describe(exc),
                    )
                )
                break
    return problems


def samples() -> tuple[AlertMessage, ...]:
    """A news alert with evidence, a verdict and a spike, and an operator alert without."""
    at = datetime(2023, 7, 26, 8, 0, tzinfo=UTC)
    news = AlertMessage(
        alert_id=1,
        key="sample.1",
        decision="new",
        rule="coup-sahel",
        subject="NE",
        place="Niger (NE)",
        label="coup",
        severity="critical",
        score=0.91,
        outlets=("rfi.fr", "bbc.co.uk"),
        headlines=(
            Headline(
                "Soldiers surround the presidential palace in Niamey", "https://x.org/1", "rfi"
            ),
            Headline("<script>alert(1)</script> & <!channel>", "javascript:alert(1)", "bbc"),
        ),
        terms=("soldiers", "palace"),
        model="sample-model",
        opened=at,
        at=at,
        spike=3.5,
        level=1,
        verdict=VerdictShown("Confirmed", "amina", at),
    )
    operator = replace(
        news,
        key="sample.2",
        decision="resolved",
        rule="warning:feed-failing",
        subject="feed:bbc-africa",
        place="feed bbc-africa",
        label="quiet",
        outlets=(),
        headlines=(),
        terms=(),
        model=None,
        spike=None,
        level=None,
        kind="operator",
        note="feed bbc-africa: 7 failures",
        verdict=None,
    )
    return news, operator
