"""An alert cycle: stored items -> signals -> rules -> decisions -> the outbox.

Storing comes before sending (the outbox sends), and every insert is keyed, so a
crash or a second instance never produces a decision twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from .. import metrics
from ..alerting import inhibit, signals, watcher
from ..alerting.lifecycle import Verdict, decide, record
from ..alerting.outbox import DeliveryReport, compose, deliver
from ..alerting.rules import ALL, Rule
from ..alerting.rules.advisory import AdvisoryRule, advisory_signals
from ..alerting.rules.types import FlatlineRule, SpikeRule
from ..config import Settings
from ..notify import Notifiers
from ..records import Decided, Evidence, FeedState, Headline, Signal
from ..store import Store
from ..store.alerts import StoredAlert

log = logging.getLogger(__name__)


class Alerter:
    """Evaluates the rules over the store and delivers what they decide."""

    def __init__(self, settings: Settings, store: Store, notifiers: Notifiers) -> None:
        self.settings = settings
        self.store = store
        self.notifiers = notifiers
        self.zones = {z.name: z for z in settings.zones}
        #: Set by the daemon while the last configuration reload failed (watcher.py).
        self.reload_problems: tuple[str, ...] = ()
        #: Spike history per rule, for one UTC day (see _histories).
        self._history_cache: dict[
            Rule, tuple[tuple[datetime, datetime | None], dict[str, list[int]], list[int]]
        ] = {}
        #: The feeds' states, read once per evaluation for the operator rules to share.
        self._states: dict[str, FeedState] | None = None
        operator = settings.operator
        self.operator_rules = (
            watcher.rules(operator.routes, operator.feed_failures) if operator.enabled else ()
        )

    def alert_cycle(self, now: datetime | None = None) -> tuple[list[Decided], DeliveryReport]:
        """Evaluate every rule, record the decisions, then deliver what is due.

        A dry run writes no alert and sends nothing, not even deliveries already
        pending: a dry run against the production database must never take an
        alert's key, or a pending delivery, from the daemon that really sends.
        """
        started = time.monotonic()
        now = now or datetime.now(UTC)
        decided = self.evaluate(now)
        report = DeliveryReport()
        if not self.notifiers.dry_run:
            report = deliver(self.store, self.notifiers, now)
        metrics.alerts_decided(decided, time.monotonic() - started, time.time())
        return decided, report

    def evaluate(self, now: datetime) -> list[Decided]:
        """Run every active rule over its signals; each decision is stored with its deliveries.

        Storing comes before sending (the outbox sends), and every insert is keyed,
        so a crash or a second instance never produces a decision twice.
        """
        rules = self.settings.rules
        alerts = self.store.alerts
        open_ = alerts.open_alerts()
        silences = alerts.active_silences(now)
        decided: list[Decided] = []
        # Every verdict first, then what is open once they are recorded: an inhibiting
        # alert decided this cycle mutes others whatever the rules' order.
        steps = []
        self._states = None  # read again: polls have run since the last evaluation
        for rule in (*rules.active, *self.operator_rules):
            episodes = alerts.last_closed(rule.name)
            for signal in self.signals(rule, now, open_):
                key = (rule.name, signal.subject, signal.label)
                alert = open_.get(key)
                count, last_resolved = episodes.get(key[1:], (0, None))
                verdict = decide(rule, signal, alert, last_resolved, now)
                if verdict is not None:
                    steps.append((rule, signal, alert, verdict, count))
        open_after = inhibit.open_after(open_, [(r, s, a, v) for r, s, a, v, _ in steps])
        group = self.settings.grouping.group
        for rule, signal, alert, verdict, count in steps:
            key = (rule.name, signal.subject, signal.label)
            verdict, mark = inhibit.settle(
                self.settings.inhibit,
                rule,
                signal,
                alert,
                verdict,
                open_after,
                lambda a=alert: a is not None and alerts.told(a.id),  # type: ignore[misc]
            )
            silence = next((s.id for s in silences if s.matches(*key)), None)
            if self.notifiers.dry_run:
                if verdict.decision is not None:
                    if silence is None and mark is None:  # recorded, never sent
                        self._log_dry_run(rule, signal, verdict, alert, now)
                    elif mark is not None:
                        log.info(
                            "dry-run: %s rule=%s subject=%s label=%s [muted by %s]",
                            verdict.decision,
                            *key,
                            mark,
                        )
                    decided.append(
                        Decided(
                            alert.id if alert else 0,
                            *key,
                            verdict.decision,
                            silenced=silence is not None,
                            muted_by=mark,
                        )
                    )
                continue
            alert_id = record(
                alerts,
                rule,
                signal,
                alert,
                verdict,
                count,
                silence,
                now,
                rules.digest,
                group=group,
                muted_by=mark,
            )
            if alert_id is None:
                continue  # another instance recorded it first
            if verdict.decision is not None:
                decided.append(
                    Decided(
                        alert_id,
                        *key,
                        verdict.decision,
                        silenced=silence is not None,
                        muted_by=mark,
                    )
                )
                log.info(
                    "alert=%d %s rule=%s subject=%s label=%s score=%.2f outlets=%d%s%s",
                    alert_id,
                    verdict.decision,
                    rule.name,
                    signal.subject,
                    signal.label,
                    signal.score,
                    len(signal.outlets),
                    " (silenced)" if silence else "",
                    f" (muted by {mark})" if mark else "",
                )
        return decided

    def _log_dry_run(
        self,
        rule: Rule,
        signal: Signal,
        verdict: Verdict,
        alert: StoredAlert | None,
        now: datetime,
    ) -> None:
        """What would be sent, through the log notifier, for every route of the rule: the
        level and model the episode would be recorded with, as a real send shows them."""
        if verdict.decision is None:
            return  # no message: nothing changed that the desk is told of
        level = verdict.changes.get("level", alert.level if alert else rule.level(signal))
        first_model = next((e.model for e in signal.evidence if e.model), None)
        message = compose(
            alert_id=alert.id if alert else 0,
            key=f"dry-run.{now.timestamp()}",
            decision=verdict.decision,
            rule=rule.name,
            subject=signal.subject,
            label=signal.label,
            severity=rule.severity,
            score=signal.score,
            outlets=signal.outlets,
            headlines=tuple(Headline(e.title, e.link, e.outlet, e.seen) for e in signal.evidence),
            terms=tuple(dict.fromkeys(t for e in signal.evidence for t in e.terms)),
            model=alert.model if alert else first_model,
            opened=alert.opened_at if alert else now,
            at=now,
            spike=signal.spike,
            level=level,
        )
        for route in rule.routes:
            self.notifiers.log.send(message, route, None)

    def signals(
        self, rule: Rule, now: datetime, open_: Mapping[tuple[str, str, str], object]
    ) -> list[Signal]:
        """The signals a rule looks at now: every subject with evidence or an open alert."""
        if isinstance(rule, watcher.OperatorRule):
            settings = self.settings
            return watcher.signals(
                rule,
                now,
                self._feed_states(),
                {f.name: f.every for f in settings.feeds},
                settings.operator.feed_failures,
                self.reload_problems,
            )
        if isinstance(rule, AdvisoryRule):
            watched = [s for (r, s, _) in open_ if r == rule.name]
            versions = self.store.advisories.history(now - rule.window)
            return advisory_signals(rule, versions, now, watched)
        if isinstance(rule, FlatlineRule):
            return self._quiet_signals(rule, now)
        # Windows are half-open, [start, end); an item stored at this very instant counts.
        end = now + timedelta(microseconds=1)
        start = end - rule.window
        found = self._evidence(rule, start, end)
        histories: dict[str, list[int]] = {}
        quiet: list[int] | None = None
        if isinstance(rule, SpikeRule):
            histories, quiet = self._histories(rule, signals.history_end(start))
        subjects = set(found) | {s for (r, s, _) in open_ if r == rule.name}
        return [
            signals.aggregate(
                subject,
                rule.label,
                found.get(subject, []),
                start,
                end,
                histories.get(subject, quiet),
            )
            for subject in sorted(subjects)
        ]

    def _feed_states(self) -> dict[str, FeedState]:
        if self._states is None:
            self._states = self.store.feed_states()
        return self._states

    def _evidence(self, rule: Rule, start: datetime, end: datetime) -> dict[str, list[Evidence]]:
        """The rule's evidence in [start, end) per subject: its zone, or each country."""
        if rule.zone is not None:
            zone = self.zones[rule.zone]
            return {
                f"zone:{rule.zone}": self.store.alerts.zone_evidence(rule.label, start, end, zone)
            }
        countries = None if ALL in rule.countries else rule.countries
        return self.store.alerts.evidence(rule.label, start, end, countries)

    def _histories(self, rule: SpikeRule, day: datetime) -> tuple[dict[str, list[int]], list[int]]:
        """Each subject's outlets per day before ``day`` (a UTC midnight), and a quiet
        subject's: computed once a day per rule, since past days do not change."""
        since = self.store.alerts.watching_since()
        cached = self._history_cache.get(rule)
        if cached is not None and cached[0] == (day, since):
            return cached[1], cached[2]
        days = max(1, rule.baseline // signals.DAY)
        found = self._evidence(rule, day - days * signals.DAY, day)
        histories = {
            subject: signals.daily_outlets(evidence, days, day, since=since)
            for subject, evidence in found.items()
        }
        quiet = signals.daily_outlets((), days, day, since=since)
        self._history_cache[rule] = ((day, since), histories, quiet)
        return histories, quiet

    def _quiet_signals(self, rule: FlatlineRule, now: datetime) -> list[Signal]:
        """Item counts per feed or country now and usually (FlatlineRule.signals)."""
        kind, names, slots = rule.counts
        found = self.store.alerts.slot_counts(kind, names, now, rule.window, slots)
        counts = {
            name: found.get(name, [0] * slots)
            for name in (names if names is not None else list(found))
        }
        return rule.signals(counts, now, self.store.alerts.watching_since())
