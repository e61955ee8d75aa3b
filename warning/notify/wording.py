"""The built-in wording of alert messages, one table per language (``messages.language``).

Every phrase a notifier writes around the facts of an alert is here, in English and
French: decision and label names, severities, how sure we are, the evidence and terms
headings, the verdict buttons and lines, the email's verdict hint. Country names come
from iso-codes' translations through :func:`warning.geo.countries.name`, not from a
table of ours. Phrases are plain text with ``str.format`` fields; each notifier escapes
for its own medium. The log notifier stays in English: logs are read by admins and
parsed by their tools (docs/messages.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

LANGUAGES = ("en", "fr")


@dataclass(frozen=True, slots=True)
class Wording:
    """The phrases of one language. Fields with ``{...}`` are ``str.format`` patterns."""

    language: str
    decisions: dict[str, str] = field(hash=False)
    labels: dict[str, str] = field(hash=False)
    severities: dict[str, str] = field(hash=False)
    #: Verdict decision (alerting/verdicts.py) -> how it reads in a message.
    verdicts: dict[str, str] = field(hash=False)
    #: Button action id (DESIGN.md, "Analyst verdicts") -> its label.
    buttons: dict[str, str] = field(hash=False)
    corroborated: str
    unconfirmed: str
    outlets: tuple[str, str]  # one, several: "{n} outlet", "{n} outlets"
    confidence: str  # "{word} — {outlets} (score {score})"
    severity: str
    rule: str
    spike: str
    evidence: str
    more: str
    terms: str  # Slack's context line
    terms_long: str  # the email's sentence
    untitled: str
    footer: str  # "Alert {id} · opened {opened} UTC · model {model}"
    slack_footer: str  # "model {model} · alert {id}"
    no_model: str
    test_title: str
    operator: str
    zone: str
    feed: str
    verdict_hint: str
    verdict_by: str  # "{title} — @{user}, {time} UTC"
    template_failed: str
    colon: str = ":"  # French typography puts a space before it

    def decision(self, decision: str) -> str:
        return self.decisions.get(decision, decision.upper())

    def label(self, label: str) -> str:
        return self.labels.get(label, label.replace("_", " ").capitalize())

    def level(self, severity: str) -> str:
        return self.severities.get(severity, severity)

    def count(self, n: int) -> str:
        """``1 outlet``, ``3 outlets`` (``1 média``, ``3 médias``)."""
        return (self.outlets[0] if n == 1 else self.outlets[1]).format(n=n)

    def verdict(self, title_or_decision: str) -> str:
        """A verdict's name in this language, from its decision or its English title
        (stored messages carry the English title, records.VerdictShown)."""
        if title_or_decision in self.verdicts:
            return self.verdicts[title_or_decision]
        for decision, english in ENGLISH.verdicts.items():
            if english == title_or_decision:
                return self.verdicts.get(decision, english)
        return title_or_decision


ENGLISH = Wording(
    language="en",
    decisions={
        "new": "NEW",
        "escalated": "ESCALATED",
        "ongoing": "ONGOING",
        "resolved": "RESOLVED",
    },
    labels={
        "coup": "Coup or coup attempt",
        "election_dispute": "Disputed election",
        "attack": "Armed attack",
        "unrest": "Unrest",
        "quiet": "Gone quiet",
        "advisory": "Travel advisory changed",
    },
    severities={"low": "low", "medium": "medium", "high": "high", "critical": "critical"},
    verdicts={
        "ack": "Acknowledged",
        "confirmed": "Confirmed",
        "false_alarm": "False alarm",
        "wrong_country": "Wrong country",
        "old_news": "Old news",
    },
    buttons={
        "ack": "Acknowledge",
        "confirm": "Confirmed",
        "false_alarm": "False alarm",
        "wrong_country": "Wrong country",
        "old_news": "Old news",
    },
    corroborated="corroborated",
    unconfirmed="unconfirmed",
    outlets=("{n} outlet", "{n} outlets"),
    confidence="{word} — {outlets} (score {score})",
    severity="severity {severity}",
    rule="rule {rule}",
    spike="{spike}× usual volume",
    evidence="Evidence",
    more="and {n} more",
    terms="Terms",
    terms_long="Terms that drove the score",
    untitled="(untitled)",
    footer="Alert {id} · opened {opened} UTC · model {model}",
    slack_footer="model {model} · alert {id}",
    no_model="none",
    test_title="TEST · warning test-notify: this route works",
    operator="OPERATOR",
    zone="zone {name}",
    feed="feed {name}",
    verdict_hint="Verdict: warning alerts verdict {id} "
    "confirmed|false-alarm|wrong-country|old-news (or use the buttons in Slack)",
    verdict_by="{title} — @{user}, {time} UTC",
    template_failed="template {name} failed; built-in wording used",
)

FRENCH = Wording(
    language="fr",
    decisions={
        "new": "NOUVELLE",
        "escalated": "AGGRAVATION",
        "ongoing": "EN COURS",
        "resolved": "TERMINÉE",
    },
    labels={
        "coup": "Coup d'État ou tentative",
        "election_dispute": "Élection contestée",
        "attack": "Attaque armée",
        "unrest": "Troubles",
        "quiet": "Silence des sources",
        "advisory": "Conseil aux voyageurs modifié",
    },
    severities={"low": "faible", "medium": "moyenne", "high": "élevée", "critical": "critique"},
    verdicts={
        "ack": "Prise en compte",
        "confirmed": "Confirmée",
        "false_alarm": "Fausse alerte",
        "wrong_country": "Mauvais pays",
        "old_news": "Information ancienne",
    },
    buttons={
        "ack": "Prendre en compte",
        "confirm": "Confirmée",
        "false_alarm": "Fausse alerte",
        "wrong_country": "Mauvais pays",
        "old_news": "Information ancienne",
    },
    corroborated="corroborée",
    unconfirmed="non confirmée",
    outlets=("{n} média", "{n} médias"),
    confidence="{word} — {outlets} (score {score})",
    severity="gravité {severity}",
    rule="règle {rule}",
    spike="{spike}× le volume habituel",
    evidence="Sources",
    more="et {n} de plus",
    terms="Termes",
    terms_long="Termes qui ont fait le score",
    untitled="(sans titre)",
    footer="Alerte {id} · ouverte le {opened} UTC · modèle {model}",
    slack_footer="modèle {model} · alerte {id}",
    no_model="aucun",
    test_title="TEST · warning test-notify : cette route fonctionne",
    operator="OPÉRATEUR",
    zone="zone {name}",
    feed="flux {name}",
    verdict_hint="Verdict : warning alerts verdict {id} "
    "confirmed|false-alarm|wrong-country|old-news (ou les boutons dans Slack)",
    verdict_by="{title} — @{user}, {time} UTC",
    template_failed="le gabarit {name} a échoué ; formulation intégrée utilisée",
    colon=" :",
)

TABLES = {w.language: w for w in (ENGLISH, FRENCH)}


def wording(language: str) -> Wording:
    """The table of ``language`` (one of :data:`LANGUAGES`)."""
    return TABLES[language]
