"""What a message template sees: its context, every string escaped for the template's target.

Four targets: Slack mrkdwn (``&``, ``<``, ``>``), HTML, JSON string contents, and plain
text (no escaping: email's text part and subject, whose line breaks the email notifier
removes). Escaped strings are ``Markup`` values of the target's class, so joining,
replacing or formatting them escapes the other operand the same way, and a template's
own strings are escaped when printed (``finalize`` in templates.py). docs/messages.md
documents every name.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from ..geo import countries
from ..records import AlertMessage, Headline
from . import mrkdwn, render
from .wording import Wording


class Mrkdwn(Markup):
    """Text escaped for Slack (``&``, ``<``, ``>``); joins and edits escape their operands."""

    __slots__ = ()

    @classmethod
    def escape(cls, s: Any, /) -> Mrkdwn:
        if hasattr(s, "__html__"):
            return cls(s.__html__())
        return cls(mrkdwn.escape(str(s)))


class JsonText(Markup):
    """The inside of a JSON string: quotes, backslashes and controls escaped."""

    __slots__ = ()

    @classmethod
    def escape(cls, s: Any, /) -> JsonText:
        if hasattr(s, "__html__"):
            return cls(s.__html__())
        return cls(json.dumps(str(s), ensure_ascii=False)[1:-1])


@dataclass(frozen=True, slots=True)
class Target:
    """How context strings are escaped for one kind of output, and how links are made."""

    name: str
    text: Callable[[str], Any]
    url: Callable[[str | None], Any]


def _http(url: str | None) -> str | None:
    """``url`` when it is http(s), else None: a ``javascript:`` link is never a link."""
    if not url:
        return None
    scheme, _, rest = url.strip().partition(":")
    return url.strip() if scheme.lower() in ("http", "https") and rest.startswith("//") else None


def _slack_url(url: str | None) -> Mrkdwn | None:
    safe = mrkdwn.safe_url(url)
    return None if safe is None else Mrkdwn(safe)


def _html_url(url: str | None) -> Markup | None:
    found = _http(url)
    return None if found is None else Markup(html.escape(found, quote=True))


def _json_url(url: str | None) -> JsonText | None:
    found = _http(url)
    return None if found is None else JsonText.escape(found)


TARGETS = {
    "slack": Target("slack", Mrkdwn.escape, _slack_url),
    "html": Target("html", Markup.escape, _html_url),
    "text": Target("text", str, _http),
    "json": Target("json", JsonText.escape, _json_url),
}


def context(message: AlertMessage, w: Wording, target: Target) -> dict[str, Any]:
    """What a template sees (docs/messages.md): every string escaped for ``target``."""
    t = target.text

    def opt(value: str | None) -> Any:
        return None if value is None else t(value)

    def line(value: str, limit: int) -> Any:
        return t(mrkdwn.one_line(value, limit))

    headlines = [
        {
            "title": line(h.title or w.untitled, mrkdwn.TITLE_MAX),
            "outlet": line(h.outlet, mrkdwn.OUTLET_MAX),
            "url": target.url(h.link),
            "link": _link(h, w, target),
            "seen": None if h.seen is None else t(_iso(h.seen)),
        }
        for h in message.headlines
    ]
    country = None
    if countries.is_code(message.subject):
        country = t(countries.name(message.subject, w.language))
    verdict = None
    if message.verdict is not None:
        v = message.verdict
        verdict = {"title": t(w.verdict(v.title)), "by": line(v.by, 80), "at": t(_iso(v.at))}
    return {
        "language": w.language,
        "alert": {
            "id": message.alert_id,
            "kind": t(message.kind),
            "rule": t(message.rule),
            "subject": t(message.subject),
            "label": t(message.label),
            "label_name": t(w.label(message.label)),
            "severity": t(message.severity),
            "severity_name": t(w.level(message.severity)),
            "decision": t(message.decision),
            "decision_name": t(w.decision(message.decision)),
            "level": message.level,
            "corroborated": message.corroborated,
            "score": round(message.score, 4),
            "spike": message.spike,
            "outlets": [line(o, mrkdwn.OUTLET_MAX) for o in message.outlets],
            "outlet_count": len(message.outlets),
            "note": opt(message.note),
            "model": opt(message.model),
            "opened_at": t(_iso(message.opened)),
            "at": t(_iso(message.at)),
        },
        "place": t(render.place(message, w)),
        "country": country,
        "headlines": headlines,
        "terms": [line(term, 200) for term in message.terms],
        "verdict": verdict,
        "words": {
            "title": t(render.title(message, w)),
            "thread_title": t(render.thread_title(message, w)),
            "status": t(render.status_line(message, w)),
            "confidence": t(render.confidence(message, w)),
            "footer": t(render.footer(message, w)),
            "verdict_hint": opt(render.verdict_line(message, w)),
        },
    }


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _link(h: Headline, w: Wording, target: Target) -> Any:
    """The headline as a link where the target has links, its title elsewhere."""
    title = mrkdwn.one_line(h.title or w.untitled, mrkdwn.TITLE_MAX)
    if target.name == "slack":
        return Mrkdwn(mrkdwn.link(h.link, title, w.untitled))
    if target.name == "html":
        url = _html_url(h.link)
        text = Markup.escape(title)
        return Markup(f'<a href="{url}">{text}</a>') if url else text
    return target.text(title)


def finalizer(target: str) -> Callable[[Any], Any]:
    """What ``{{ value }}`` prints: None as nothing (JSON: null), strings escaped."""
    escaped = TARGETS[target].text

    def finalize(value: Any) -> Any:
        if target == "json" and (value is None or isinstance(value, bool | int | float)):
            return JsonText(json.dumps(value))
        if value is None:
            return ""
        if isinstance(value, str) and not hasattr(value, "__html__"):
            return escaped(value)
        return value

    return finalize


def tojson(value: Any) -> JsonText:
    """A whole JSON value; escaped context strings are read back first, then dumped once."""

    def plain(v: Any) -> Any:
        if isinstance(v, JsonText):
            return json.loads(f'"{v}"')
        if isinstance(v, dict):
            return {str(plain(k)): plain(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        return v

    return JsonText(json.dumps(plain(value), ensure_ascii=False))
