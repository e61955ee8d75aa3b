"""Words shared by every notifier: what happened, where, and how sure we are.

Plain text only. Each notifier escapes for its own medium (Slack mrkdwn, HTML);
strings from feeds (headlines, terms) are untrusted and reach here unescaped.
Every phrase comes from a language's table (wording.py); English unless given.
"""

from __future__ import annotations

import functools

from ..geo.countries import labelled, name
from ..records import AlertMessage
from .wording import ENGLISH, Wording

LABEL_NAMES = ENGLISH.labels

#: Labels whose signal is not corroborating news: an item count (flatline rules) or an
#: advisory level. "unconfirmed — 1 outlet" would mislead there.
NOT_NEWS = frozenset({"quiet", "advisory"})

DECISION_WORDS = ENGLISH.decisions


def label_name(label: str, w: Wording = ENGLISH) -> str:
    return w.label(label)


@functools.cache
def place_name(subject: str, w: Wording = ENGLISH) -> str:
    """ "Niger (NE)" for a country code (``Tchad (TD)`` in French); the zone's name for
    ``zone:NAME``."""
    if subject.startswith("zone:"):
        return w.zone.format(name=subject[5:])
    if subject.startswith("feed:"):
        return w.feed.format(name=subject[5:])
    if w is ENGLISH:
        return labelled(subject)
    full = name(subject, w.language)
    return subject if full == subject else f"{full} ({subject})"


def place(message: AlertMessage, w: Wording = ENGLISH) -> str:
    """Where the message is about, in the language of ``w``."""
    if w is ENGLISH:
        return message.place or place_name(message.subject)
    return place_name(message.subject, w)


def confidence(message: AlertMessage, w: Wording = ENGLISH) -> str:
    """``unconfirmed — 1 outlet`` or ``corroborated — 3 outlets``, with the score."""
    word = w.corroborated if message.corroborated else w.unconfirmed
    outlets = w.count(len(message.outlets))
    return w.confidence.format(word=word, outlets=outlets, score=f"{message.score:.2f}")


def title(message: AlertMessage, w: Wording = ENGLISH) -> str:
    """One line: what happened and where, e.g. ``NEW · Coup or coup attempt · Niger (NE)``."""
    if message.kind == "test":
        return w.test_title
    if message.kind == "operator":
        return f"{w.operator} · {message.note or message.rule}"
    return " · ".join((w.decision(message.decision), w.label(message.label), place(message, w)))


def thread_title(message: AlertMessage, w: Wording = ENGLISH) -> str:
    """The same line for every message of one alert (mail clients thread on the subject):
    severity, label and place, e.g. ``CRITICAL · Coup or coup attempt · Niger (NE)``."""
    if message.kind != "alert":
        return title(message, w)
    severity = w.level(message.severity).upper()
    return f"{severity} · {w.label(message.label)} · {place(message, w)}"


def status_line(message: AlertMessage, w: Wording = ENGLISH) -> str:
    """Severity, confidence and rule, for the line under the title."""
    parts = [
        w.severity.format(severity=w.level(message.severity)),
        w.rule.format(rule=message.rule),
    ]
    if message.kind == "alert" and message.label not in NOT_NEWS:
        parts.insert(1, confidence(message, w))
    if message.spike is not None:
        parts.insert(2, w.spike.format(spike=f"{message.spike:.1f}"))
    return " · ".join(parts)


def footer(message: AlertMessage, w: Wording = ENGLISH) -> str:
    """``Alert 42 · opened 2023-07-26 08:00 UTC · model clf-1``."""
    return w.footer.format(
        id=message.alert_id,
        opened=f"{message.opened:%Y-%m-%d %H:%M}",
        model=message.model or w.no_model,
    )


def plain_text(message: AlertMessage, *, max_headlines: int = 5, w: Wording = ENGLISH) -> str:
    """The whole message as plain text (email text part, Slack's fallback ``text``)."""
    lines = [title(message, w), status_line(message, w)]
    if message.note:
        lines.append(message.note)
    if message.headlines:
        lines.append("")
        lines.append(w.evidence + w.colon)
        for h in message.headlines[:max_headlines]:
            lines.append(f"- {h.title} ({h.outlet})" + (f" {h.link}" if h.link else ""))
        more = len(message.headlines) - max_headlines
        if more > 0:
            lines.append("- " + w.more.format(n=more))
    if message.terms:
        lines.append("")
        lines.append(f"{w.terms_long}{w.colon} " + ", ".join(message.terms))
    lines.append("")
    lines.append(footer(message, w))
    return "\n".join(lines)


def verdict_line(message: AlertMessage, w: Wording = ENGLISH) -> str | None:
    """How to answer an alert from where email is read; None for operator and test alerts."""
    if message.kind != "alert":
        return None
    return w.verdict_hint.format(id=message.alert_id)


#: The incident summary's phrases per language (``{place}``, ``{count}``, ``{label}`` ...).
INCIDENT_WORDS = {
    "en": {
        "head": "Incident · {place} · {count} open",
        "entry": "{label} ({level}) · rule {rule}",
        "muted": "muted by {label} ({level})",
    },
    "fr": {
        "head": "Incident · {place} · {count} ouverte(s)",
        "entry": "{label} ({level}) · règle {rule}",
        "muted": "mise en sourdine par {label} ({level})",
    },
}


def level_word(level: int, w: Wording = ENGLISH) -> str:
    return w.corroborated if level >= 1 else w.unconfirmed


def muted_line(mark: str, w: Wording = ENGLISH) -> str:
    """``muted by Coup or coup attempt (corroborated)``: what a ``rule|label|level`` mark says."""
    _, label, level = mark.split("|") if mark.count("|") == 2 else ("", mark, "0")
    words = INCIDENT_WORDS.get(w.language, INCIDENT_WORDS["en"])
    return words["muted"].format(label=w.label(label), level=level_word(int(level or 0), w))


def incident_lines(message: AlertMessage, w: Wording = ENGLISH) -> list[str]:
    """The incident's summary, plain text: a head line, then one line per open alert
    (its label, level and rule, and what mutes it). Empty when the message belongs to
    no incident, or to one holding only its own alert, unmuted."""
    found = message.incident
    if found is None or not (len(found.entries) > 1 or any(e.muted_by for e in found.entries)):
        return []
    words = INCIDENT_WORDS.get(w.language, INCIDENT_WORDS["en"])
    lines = [words["head"].format(place=place(message, w), count=len(found.entries))]
    for e in found.entries:
        line = words["entry"].format(
            label=w.label(e.label), level=level_word(e.level, w), rule=e.rule
        )
        if e.muted_by:
            line += " — " + muted_line(e.muted_by, w)
        lines.append("• " + line)
    return lines
