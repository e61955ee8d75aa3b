"""Words shared by every notifier: what happened, where, and how sure we are.

Plain text only. Each notifier escapes for its own medium (Slack mrkdwn, HTML);
strings from feeds (headlines, terms) are untrusted and reach here unescaped.
"""

from __future__ import annotations

import functools

from ..geo.countries import labelled
from ..records import AlertMessage

LABEL_NAMES = {
    "coup": "Coup or coup attempt",
    "election_dispute": "Disputed election",
    "attack": "Armed attack",
    "unrest": "Unrest",
    "quiet": "Gone quiet",
    "advisory": "Travel advisory changed",
}

#: Labels whose signal is not corroborating news: an item count (flatline rules) or an
#: advisory level. "unconfirmed — 1 outlet" would mislead there.
NOT_NEWS = frozenset({"quiet", "advisory"})

DECISION_WORDS = {
    "new": "NEW",
    "escalated": "ESCALATED",
    "ongoing": "ONGOING",
    "resolved": "RESOLVED",
}


def label_name(label: str) -> str:
    return LABEL_NAMES.get(label, label.replace("_", " ").capitalize())


@functools.cache
def place_name(subject: str) -> str:
    """ "Niger (NE)" for a country code; the zone's name for ``zone:NAME``."""
    if subject.startswith("zone:"):
        return f"zone {subject[5:]}"
    if subject.startswith("feed:"):
        return f"feed {subject[5:]}"
    return labelled(subject)


def confidence(message: AlertMessage) -> str:
    """``unconfirmed — 1 outlet`` or ``corroborated — 3 outlets``, with the score."""
    n = len(message.outlets)
    word = "corroborated" if message.corroborated else "unconfirmed"
    return f"{word} — {n} outlet{'s' if n != 1 else ''} (score {message.score:.2f})"


def title(message: AlertMessage) -> str:
    """One line: what happened and where, e.g. ``NEW · Coup or coup attempt · Niger (NE)``."""
    if message.kind == "test":
        return "TEST · warning test-notify: this route works"
    if message.kind == "operator":
        return f"OPERATOR · {message.note or message.rule}"
    return " · ".join(
        (
            DECISION_WORDS[message.decision],
            label_name(message.label),
            message.place or place_name(message.subject),
        )
    )


def thread_title(message: AlertMessage) -> str:
    """The same line for every message of one alert (mail clients thread on the subject):
    severity, label and place, e.g. ``CRITICAL · Coup or coup attempt · Niger (NE)``."""
    if message.kind != "alert":
        return title(message)
    place = message.place or place_name(message.subject)
    return f"{message.severity.upper()} · {label_name(message.label)} · {place}"


def status_line(message: AlertMessage) -> str:
    """Severity, confidence and rule, for the line under the title."""
    parts = [f"severity {message.severity}", f"rule {message.rule}"]
    if message.kind == "alert" and message.label not in NOT_NEWS:
        parts.insert(1, confidence(message))
    if message.spike is not None:
        parts.insert(2, f"{message.spike:.1f}× usual volume")
    return " · ".join(parts)


def plain_text(message: AlertMessage, *, max_headlines: int = 5) -> str:
    """The whole message as plain text (email text part, Slack's fallback ``text``)."""
    lines = [title(message), status_line(message)]
    if message.note:
        lines.append(message.note)
    if message.headlines:
        lines.append("")
        lines.append("Evidence:")
        for h in message.headlines[:max_headlines]:
            lines.append(f"- {h.title} ({h.outlet})" + (f" {h.link}" if h.link else ""))
        more = len(message.headlines) - max_headlines
        if more > 0:
            lines.append(f"- and {more} more")
    if message.terms:
        lines.append("")
        lines.append("Terms that drove the score: " + ", ".join(message.terms))
    lines.append("")
    lines.append(
        f"Alert {message.alert_id} · opened {message.opened:%Y-%m-%d %H:%M} UTC"
        f" · model {message.model or 'none'}"
    )
    return "\n".join(lines)


def verdict_line(message: AlertMessage) -> str | None:
    """How to answer an alert from where email is read; None for operator and test alerts."""
    if message.kind != "alert":
        return None
    return (
        f"Verdict: warning alerts verdict {message.alert_id}"
        " confirmed|false-alarm|wrong-country|old-news (or use the buttons in Slack)"
    )
