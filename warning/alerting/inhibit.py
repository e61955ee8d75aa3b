"""Inhibition: while a major alert is open in a country, its minor alerts are muted.

``inhibit:`` in warning.yaml (docs/alerts.md, "Inhibition")::

    inhibit:
      - when: {label: coup, level: corroborated}
        mute: {labels: [unrest], rules: [country-quiet, advisory-raised]}

While an open alert matches ``when`` (its label, and optionally its rule, level and
severity), every other alert about the same subject that ``mute`` names (by label or by
rule) is muted: its decisions are recorded (alert row, events, deliveries marked
``muted``) and the incident's summary shows it, but no message of its own goes out.
When the inhibiting alert resolves (or falls below ``level``), a still-open muted
alert is told from then on: the desk hears of it once, as *new* if it never heard
of it before, else as *ongoing*, as Alertmanager notifies an alert whose inhibitor
has gone. An all-clear for an alert the desk was told of is never muted: a thread
the desk saw must not stay open for ever.

Plain functions over :class:`Standing` (an alert as the rules see it), the same in
the daemon, its dry run and a backtest.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..records import Decision, Signal
from ..settings import Reader
from ..yamlsrc import KeyPath
from .rules import Rule, RuleSet
from .rules.base import LABELS, SEVERITIES

if TYPE_CHECKING:
    from ..store.alerts import StoredAlert
    from .lifecycle import Verdict

#: ``level:`` words -> a rule's levels (lifecycle.py: 0 unconfirmed, 1 corroborated).
LEVELS = {"unconfirmed": 0, "corroborated": 1}
WHEN_KEYS = ("label", "rule", "level", "severity")
MUTE_KEYS = ("labels", "rules")


@dataclass(frozen=True, slots=True)
class Standing:
    """An open alert as the inhibit rules see it (stored, or decided this cycle)."""

    rule: str
    subject: str
    label: str
    severity: str
    level: int

    @property
    def mark(self) -> str:
        """How a muted alert records what mutes it: ``rule|label|level``."""
        return f"{self.rule}|{self.label}|{self.level}"


@dataclass(frozen=True, slots=True)
class InhibitRule:
    """One ``inhibit:`` entry: which open alerts mute (``when_*``), and what they mute."""

    when_label: str | None = None
    when_rule: str | None = None
    when_level: int | None = None
    when_severity: str | None = None
    mute_labels: tuple[str, ...] = ()
    mute_rules: tuple[str, ...] = ()

    def inhibits(self, source: Standing) -> bool:
        return (
            (self.when_label is None or source.label == self.when_label)
            and (self.when_rule is None or source.rule == self.when_rule)
            and (self.when_level is None or source.level >= self.when_level)
            and (self.when_severity is None or source.severity == self.when_severity)
        )

    def mutes(self, target: Standing) -> bool:
        return target.label in self.mute_labels or target.rule in self.mute_rules


def muted_by(
    rules: Sequence[InhibitRule], target: Standing, standing: Iterable[Standing]
) -> Standing | None:
    """The open alert that mutes ``target`` (same subject, another alert), or None."""
    if not rules:
        return None
    wanted = [r for r in rules if r.mutes(target)]
    if not wanted:
        return None
    for source in standing:
        if source.subject != target.subject or source == target:
            continue
        if (source.rule, source.label) == (target.rule, target.label):
            continue  # an alert never mutes itself
        if any(r.inhibits(source) for r in wanted):
            return source
    return None


def standing(alert: StoredAlert) -> Standing:
    return Standing(alert.rule, alert.subject, alert.label, alert.severity, alert.level)


def after(
    rule: Rule, signal: Signal, alert: StoredAlert | None, verdict: Verdict | None
) -> Standing | None:
    """The alert as it stands once ``verdict`` is recorded; None when it is not open."""
    if verdict is None:
        return standing(alert) if alert is not None else None
    if verdict.changes.get("status") == "resolved":
        return None
    if alert is None:
        if verdict.decision != "new":
            return None
        level = verdict.changes["level"]
        return Standing(rule.name, signal.subject, signal.label, rule.severity, level)
    return replace(standing(alert), level=verdict.changes.get("level", alert.level))


def open_after(
    open_: Mapping[tuple[str, str, str], StoredAlert],
    steps: Iterable[tuple[Rule, Signal, StoredAlert | None, Verdict]],
) -> list[Standing]:
    """Every alert open once a cycle's verdicts are recorded."""
    out: dict[tuple[str, str, str], Standing | None] = {k: standing(a) for k, a in open_.items()}
    for rule, signal, alert, verdict in steps:
        out[(rule.name, signal.subject, signal.label)] = after(rule, signal, alert, verdict)
    return [s for s in out.values() if s is not None]


def settle(
    rules: Sequence[InhibitRule],
    rule: Rule,
    signal: Signal,
    alert: StoredAlert | None,
    verdict: Verdict,
    open_after: Sequence[Standing],
    told: Callable[[], bool],
) -> tuple[Verdict, str | None]:
    """``verdict`` with inhibition applied, and what mutes its message (None: it goes out).

    ``open_after`` is every alert open once this cycle's verdicts are recorded (so an
    inhibiting coup decided in the same cycle counts); ``told`` says whether the desk
    was ever told of ``alert``. The mute state is kept on the alert (``muted_by``);
    an alert that stops being muted while open is told once, as *new* if the desk
    never heard of it, else as *ongoing*.
    """
    was = alert.muted_by if alert is not None else None
    target = after(rule, signal, alert, verdict)
    if target is None and alert is None:
        return verdict, None
    source = muted_by(rules, target or standing(alert), open_after)  # type: ignore[arg-type]
    mark = source.mark if source is not None else None
    if target is None and mark is None and was is not None and not told():
        mark = was  # the all-clear of an alert the desk never heard of stays quiet
    if target is not None and mark != was:
        verdict = replace(verdict, changes={**verdict.changes, "muted_by": mark})
        if was is not None and mark is None and verdict.decision is None:
            verdict = replace(verdict, decision="ongoing" if told() else "new")
    decision = verdict.decision
    if mark is None or decision is None:
        return verdict, None
    return verdict, mark if held(decision, mark, decision == "resolved" and told()) else None


def held(decision: Decision | None, mark: str | None, told: bool) -> bool:
    """Whether a decision stays unsent: muted, and not the all-clear of an alert the
    desk was told of."""
    if mark is None or decision is None:
        return False
    return not (decision == "resolved" and told)


def describe(mark: str) -> tuple[str, str, int]:
    """``rule|label|level`` -> (rule, label, level), for messages and summaries."""
    rule, _, rest = mark.partition("|")
    label, _, level = rest.partition("|")
    return rule, label, int(level) if level.isdigit() else 0


# --- configuration -----------------------------------------------------------------------


def load_inhibit(reader: Reader, value: Any, rules: RuleSet) -> tuple[InhibitRule, ...]:
    """``inhibit:`` read and checked against the rules' names and labels; problems are
    recorded on ``reader`` as ``file:line: key: message``."""
    if value is None:
        return ()
    if not isinstance(value, list):
        reader.error(("inhibit",), "expected a list of `- when: {...}\n  mute: {...}` entries")
        return ()
    names = [r.name for r in rules.rules]
    labels = sorted({*LABELS, *(r.label for r in rules.rules if r.label), "quiet", "advisory"})
    out = []
    for i, entry in enumerate(value):
        path: KeyPath = ("inhibit", i)
        if not isinstance(entry, dict):
            reader.error(path, "expected a mapping with `when` and `mute`")
            continue
        section = reader.mapping(entry, path, ("when", "mute"))
        for key in ("when", "mute"):
            if key not in section:
                reader.error((*path, key), "is required")
        got = _entry(reader, section, path, names, labels)
        if got is not None:
            out.append(got)
    return tuple(out)


def _entry(
    reader: Reader, section: dict[str, Any], path: KeyPath, names: list[str], labels: list[str]
) -> InhibitRule | None:
    before = len(reader.problems)
    when = reader.mapping(section.get("when"), (*path, "when"), WHEN_KEYS)
    mute = reader.mapping(section.get("mute"), (*path, "mute"), MUTE_KEYS)
    if "when" in section and not ({"label", "rule"} & set(when)):
        reader.error((*path, "when"), "needs a label or a rule: which open alerts mute others")
    label = _one(reader, when, (*path, "when", "label"), labels, "label")
    rule = _one(reader, when, (*path, "when", "rule"), names, "rule")
    level = _one(reader, when, (*path, "when", "level"), list(LEVELS), "level")
    severity = _one(reader, when, (*path, "when", "severity"), list(SEVERITIES), "severity")
    mute_labels = _many(reader, mute, (*path, "mute", "labels"), labels, "label")
    mute_rules = _many(reader, mute, (*path, "mute", "rules"), names, "rule")
    if "mute" in section and not (mute_labels or mute_rules) and len(reader.problems) == before:
        reader.error((*path, "mute"), "needs labels or rules: what the alert mutes")
    if len(reader.problems) > before:
        return None
    return InhibitRule(
        label,
        rule,
        LEVELS[level] if level is not None else None,
        severity,
        mute_labels,
        mute_rules,
    )


def _one(
    reader: Reader, mapping: dict[str, Any], path: KeyPath, known: list[str], what: str
) -> str | None:
    value = mapping.get(str(path[-1]))
    if value is None:
        return None
    if not isinstance(value, str) or value not in known:
        reader.error(path, _unknown(value, known, what))
        return None
    return value


def _many(
    reader: Reader, mapping: dict[str, Any], path: KeyPath, known: list[str], what: str
) -> tuple[str, ...]:
    value = mapping.get(str(path[-1]))
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        reader.error(path, f"expected a list of {what} names, like [{known[0]}]")
        return ()
    for name in value:
        if not isinstance(name, str) or name not in known:
            reader.error(path, _unknown(name, known, what))
    return tuple(v for v in value if isinstance(v, str) and v in known)


def _unknown(value: Any, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(str(value), known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"one of: {', '.join(known)}"
    return f"unknown {what} {value!r}; {hint}"
