"""The alert lifecycle, hand-computed: ``warning.alerting.lifecycle.decide`` over real rules.

Each test states a rule (as an operator writes it, through the YAML loader), a
hand-made Signal and, when one is open, a StoredAlert; the expected verdict is
worked out from docs/rules.md ("The lifecycle"), not from the code.
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from warning import yamlsrc
from warning.alerting.lifecycle import Verdict, decide
from warning.alerting.rules import Rule, load_rules
from warning.alerting.rules.types import FlatlineRule, SpikeRule, ThresholdRule
from warning.alerting.signals import spike as spike_ratio
from warning.records import Signal
from warning.settings import Reader
from warning.store.alerts import StoredAlert

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def rule_from_yaml(text: str) -> Rule:
    """One rule, through the same loader as a rules file (so defaults are the real ones)."""
    doc = yamlsrc.parse(textwrap.dedent(text), Path("rules.yaml"))
    reader = Reader(doc)
    rules = load_rules(reader, doc.data, doc.file, zones=(), feeds=["rfi-afrique"])
    reader.raise_if_problems()
    (rule,) = rules.rules
    return rule


#: threshold 0.5, so the lower level is 0.25 (half); one outlet opens, two corroborate.
COUP = rule_from_yaml(
    """
    - name: coup
      type: threshold
      label: coup
      threshold: 0.5
      min_outlets: 1
      corroborate: 2
      hold: 3h
      repeat: 6h
      cooldown: 12h
    """
)


def signal(
    score: float,
    outlets: int = 1,
    items: Iterable[int] = (1,),
    *,
    spike: float | None = None,
    baseline: float | None = None,
    subject: str = "NE",
    label: str = "coup",
) -> Signal:
    return Signal(
        subject=subject,
        label=label,
        start=T0 - 6 * H,
        end=T0,
        score=score,
        outlets=tuple(f"outlet{i}" for i in range(1, outlets + 1)),
        items=tuple(items),
        baseline=baseline,
        spike=spike,
    )


def stored(**changes: Any) -> StoredAlert:
    """An open alert of COUP about Niger, opened at T0 from one outlet."""
    alert = StoredAlert(
        id=1,
        dedup_key="coup|NE|coup|1",
        rule="coup",
        subject="NE",
        label="coup",
        severity="medium",
        status="open",
        level=0,
        score=0.6,
        spike=None,
        outlets=("outlet1",),
        items=(1,),
        model=None,
        rules_hash="0123456789abcdef",
        opened_at=T0,
        updated_at=T0,
        calm_since=None,
        resolved_at=None,
        last_message_at=T0,
        reminders=0,
        events=1,
        acknowledged_at=None,
        acknowledged_by=None,
    )
    return dataclasses.replace(alert, **changes)


def test_the_rule_under_test_is_what_it_says() -> None:
    assert isinstance(COUP, ThresholdRule)
    assert (COUP.threshold, COUP.resolve_below, COUP.min_outlets, COUP.corroborate) == (
        0.5,
        None,
        1,
        2,
    )
    assert (COUP.hold, COUP.repeat, COUP.cooldown) == (3 * H, 6 * H, 12 * H)


# --- new ------------------------------------------------------------------------------


def test_new_when_firing_with_no_open_alert() -> None:
    assert decide(COUP, signal(0.6), None, None, T0) == Verdict("new", {"level": 0})
    # Already corroborated when first seen: the first message says so.
    assert decide(COUP, signal(0.9, outlets=2), None, None, T0) == Verdict("new", {"level": 1})


@pytest.mark.parametrize("score", [0.0, 0.2, 0.49])
def test_nothing_when_not_firing_and_nothing_open(score: float) -> None:
    assert decide(COUP, signal(score), None, None, T0) is None


def test_the_threshold_itself_fires() -> None:
    assert decide(COUP, signal(0.5), None, None, T0) == Verdict("new", {"level": 0})


@pytest.mark.parametrize(
    ("since_resolved", "expected"),
    [
        (1 * H, None),
        (12 * H - M, None),
        (12 * H, Verdict("new", {"level": 0})),  # exactly the cooldown: allowed again
        (30 * H, Verdict("new", {"level": 0})),
    ],
)
def test_no_new_alert_within_cooldown_of_the_last_resolve(
    since_resolved: timedelta, expected: Verdict | None
) -> None:
    resolved = T0
    assert decide(COUP, signal(0.9), None, resolved, resolved + since_resolved) == expected


def test_min_outlets_gates_a_new_alert() -> None:
    rule = rule_from_yaml(
        "- {name: e, type: threshold, label: election_dispute, threshold: 0.7,"
        " min_outlets: 2, corroborate: 3}"
    )
    assert decide(rule, signal(0.99, outlets=1), None, None, T0) is None
    assert decide(rule, signal(0.7, outlets=2), None, None, T0) == Verdict("new", {"level": 0})
    assert decide(rule, signal(0.7, outlets=3), None, None, T0) == Verdict("new", {"level": 1})
    # Enough outlets but a weak score is still nothing.
    assert decide(rule, signal(0.69, outlets=5), None, None, T0) is None


def test_an_open_alert_below_min_outlets_is_not_firing_and_not_calm() -> None:
    rule = rule_from_yaml(
        "- {name: e, type: threshold, label: election_dispute, threshold: 0.7, min_outlets: 2,"
        " corroborate: 3, hold: 1h}"
    )
    alert = stored(calm_since=T0)
    # A strong score from one outlet: the rule does not fire, but it is no all-clear either.
    assert decide(rule, signal(0.9, outlets=1), alert, None, T0 + 2 * H) == Verdict(
        None, {"calm_since": None}
    )


# --- escalated ------------------------------------------------------------------------


def test_escalated_when_outlets_reach_corroborate() -> None:
    alert = stored(level=0)
    assert decide(COUP, signal(0.8, outlets=2, items=(1, 2)), alert, None, T0 + 10 * M) == (
        Verdict("escalated", {"level": 1, "calm_since": None})
    )


def test_escalation_is_not_held_back_by_repeat_or_acknowledgement() -> None:
    alert = stored(level=0, acknowledged_at=T0 + M, acknowledged_by="desk")
    verdict = decide(COUP, signal(0.8, outlets=3, items=(1, 2, 3)), alert, None, T0 + 2 * M)
    assert verdict == Verdict("escalated", {"level": 1, "calm_since": None})


def test_never_de_escalated() -> None:
    # Corroborated before; now only one outlet still reports it, with nothing new.
    alert = stored(level=1, outlets=("outlet1", "outlet2"), items=(1, 2))
    verdict = decide(COUP, signal(0.6, outlets=1, items=(1,)), alert, None, T0 + H)
    assert verdict == Verdict(None, {"calm_since": None})
    # ...and with new items past the repeat, a reminder, still at level 1 (no level change).
    verdict = decide(COUP, signal(0.6, outlets=1, items=(1, 9)), alert, None, T0 + 6 * H)
    assert verdict == Verdict("ongoing", {"reminders": 1, "calm_since": None})


# --- ongoing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reminders", "last_message", "due"),
    [
        (0, T0, T0 + 6 * H),  # repeat
        (1, T0 + 6 * H, T0 + 18 * H),  # then 2 × repeat after the first reminder
        (2, T0 + 18 * H, T0 + 42 * H),  # then 4 × repeat
        (3, T0 + 42 * H, T0 + 90 * H),  # then 8 × repeat
    ],
)
def test_ongoing_backs_off_repeat_2x_4x(
    reminders: int, last_message: datetime, due: datetime
) -> None:
    alert = stored(reminders=reminders, last_message_at=last_message, items=(1, 2))
    fresh = signal(0.7, items=(1, 2, 3))
    assert decide(COUP, fresh, alert, None, due - M) == Verdict(None, {"calm_since": None})
    assert decide(COUP, fresh, alert, None, due) == Verdict(
        "ongoing", {"reminders": reminders + 1, "calm_since": None}
    )


def test_ongoing_only_with_new_evidence() -> None:
    alert = stored(items=(1, 2))
    same = signal(0.7, items=(2, 1))
    assert decide(COUP, same, alert, None, T0 + 20 * H) == Verdict(None, {"calm_since": None})
    fewer = signal(0.7, items=(1,))
    assert decide(COUP, fewer, alert, None, T0 + 20 * H) == Verdict(None, {"calm_since": None})
    more = signal(0.7, items=(1, 2, 5))
    assert decide(COUP, more, alert, None, T0 + 20 * H) == Verdict(
        "ongoing", {"reminders": 1, "calm_since": None}
    )


def test_no_reminders_for_an_acknowledged_alert() -> None:
    alert = stored(acknowledged_at=T0 + H, acknowledged_by="desk")
    for later in (6 * H, 20 * H, 100 * H):
        verdict = decide(COUP, signal(0.9, items=(1, 2, 3)), alert, None, T0 + later)
        assert verdict == Verdict(None, {"calm_since": None})


# --- resolved -------------------------------------------------------------------------


def test_a_calm_signal_starts_the_hold_and_resolves_after_it() -> None:
    calm = signal(0.1)  # below the lower level, 0.25
    start = T0 + 2 * H
    assert decide(COUP, calm, stored(), None, start) == Verdict(None, {"calm_since": start})
    alert = stored(calm_since=start)
    assert decide(COUP, calm, alert, None, start + 3 * H - M) == Verdict(
        None, {"calm_since": start}
    )
    assert decide(COUP, calm, alert, None, start + 3 * H) == Verdict(
        "resolved",
        {"status": "resolved", "resolved_at": start + 3 * H, "calm_since": start},
    )


def test_no_evidence_at_all_is_calm() -> None:
    empty = signal(0.0, outlets=0, items=())
    assert decide(COUP, empty, stored(), None, T0 + H) == Verdict(None, {"calm_since": T0 + H})


def test_a_zero_hold_resolves_at_the_first_calm_signal() -> None:
    rule = dataclasses.replace(COUP, hold=timedelta(0))
    assert isinstance(rule, ThresholdRule)
    verdict = decide(rule, signal(0.1), stored(), None, T0 + H)
    assert verdict is not None and verdict.decision == "resolved"


@pytest.mark.parametrize("score", [0.25, 0.3, 0.49])
def test_between_the_lower_level_and_the_threshold_resets_the_hold(score: float) -> None:
    alert = stored(calm_since=T0 + H)
    # Long past the hold, but not calm: nothing is sent, and the hold starts over.
    assert decide(COUP, signal(score), alert, None, T0 + 10 * H) == Verdict(
        None, {"calm_since": None}
    )


def test_firing_again_resets_the_hold() -> None:
    alert = stored(calm_since=T0 + H)
    assert decide(COUP, signal(0.6), alert, None, T0 + 2 * H) == Verdict(None, {"calm_since": None})


def test_resolve_below_sets_the_lower_level() -> None:
    rule = rule_from_yaml(
        "- {name: c, type: threshold, label: coup, threshold: 0.5, resolve_below: 0.4}"
    )
    assert decide(rule, signal(0.39), stored(), None, T0) == Verdict(None, {"calm_since": T0})
    assert decide(rule, signal(0.4), stored(), None, T0) == Verdict(None, {"calm_since": None})


# --- a whole episode, the way the store applies verdicts ---------------------------------


@dataclasses.dataclass
class Desk:
    """Applies each verdict as ``AlertStore.open``/``record`` do, and keeps the messages."""

    rule: Rule
    alert: StoredAlert | None = None
    last_resolved: datetime | None = None
    messages: list[tuple[datetime, str]] = dataclasses.field(default_factory=list)

    def step(self, sig: Signal, now: datetime) -> None:
        verdict = decide(self.rule, sig, self.alert, self.last_resolved, now)
        if verdict is None:
            return
        if verdict.decision is not None:
            self.messages.append((now, verdict.decision))
        if self.alert is None:
            assert verdict.decision == "new"
            self.alert = stored(
                level=verdict.changes["level"],
                opened_at=now,
                updated_at=now,
                last_message_at=now,
                items=sig.items,
                outlets=sig.outlets,
            )
            return
        values: dict[str, Any] = {**verdict.changes, "score": sig.score, "updated_at": now}
        if sig.outlets:
            values.update(outlets=sig.outlets, items=sig.items)
        if verdict.decision is not None:
            values["last_message_at"] = now
        self.alert = dataclasses.replace(self.alert, **values)
        if self.alert.status == "resolved":
            self.last_resolved, self.alert = now, None

    def decisions(self) -> list[str]:
        return [d for _, d in self.messages]


def test_a_signal_hovering_around_the_threshold_does_not_flap() -> None:
    desk = Desk(COUP)
    now = T0
    # Two days every 20 minutes: above the threshold, just below it, and dips below the
    # lower level shorter than the hold. The two 2-hour dips are 4h20m apart end to end,
    # more than the hold, but the 20 minutes between the levels in the middle restart it.
    calm, between = [0.1] * 6, [0.35]
    pattern = [0.55, 0.45, 0.3, 0.6, 0.2, 0.2, 0.5, 0.26, *calm, *between, *calm, 0.45]
    assert len(pattern) == 22
    for i in range(22 * 7):
        desk.step(signal(pattern[i % len(pattern)], items=(1, 2)), now)
        now += 20 * M
    assert desk.decisions() == ["new"]
    # Then calm for good: one all-clear, exactly when the hold has passed.
    calm_from = now
    while now <= calm_from + 4 * H:
        desk.step(signal(0.1, items=(1, 2)), now)
        now += 20 * M
    assert desk.decisions() == ["new", "resolved"]
    assert desk.messages[-1][0] == calm_from + 3 * H
    # And hovering again at once stays quiet for the cooldown, however often it fires.
    for _ in range(30):
        desk.step(signal(0.55, items=(1, 2)), now)
        now += 20 * M
    assert desk.decisions() == ["new", "resolved"]


def test_one_episode_new_escalated_ongoing_resolved_then_cooldown_then_new() -> None:
    desk = Desk(COUP)
    desk.step(signal(0.6, outlets=1, items=(1,)), T0)  # one outlet: unconfirmed
    desk.step(signal(0.8, outlets=2, items=(1, 2)), T0 + H)  # a second: corroborated
    desk.step(signal(0.8, outlets=2, items=(1, 2)), T0 + 2 * H)  # nothing new
    desk.step(signal(0.9, outlets=3, items=(1, 2, 3)), T0 + 7 * H)  # repeat passed, new item
    desk.step(signal(0.9, outlets=3, items=(1, 2, 3, 4)), T0 + 8 * H)  # new item, not due
    desk.step(signal(0.1, outlets=1, items=(4,)), T0 + 20 * H)  # calm starts
    desk.step(signal(0.1, outlets=1, items=(4,)), T0 + 23 * H)  # hold passed
    desk.step(signal(0.9, outlets=2, items=(7, 8)), T0 + 30 * H)  # within cooldown: nothing
    desk.step(signal(0.9, outlets=2, items=(7, 8)), T0 + 35 * H)  # cooldown over: new episode
    assert desk.messages == [
        (T0, "new"),
        (T0 + H, "escalated"),
        (T0 + 7 * H, "ongoing"),
        (T0 + 23 * H, "resolved"),
        (T0 + 35 * H, "new"),
    ]


# --- spike ----------------------------------------------------------------------------

UNREST = rule_from_yaml(
    """
    - name: unrest-spike
      type: spike
      label: unrest
      threshold: 3.0
      window: 24h
      baseline: 28d
      min_outlets: 3
      corroborate: 5
    """
)


def test_spike_does_not_fire_at_cold_start() -> None:
    assert isinstance(UNREST, SpikeRule)
    # Ten outlets, but no baseline yet: spike is None, and the rule cannot fire.
    cold = signal(0.99, outlets=10, spike=None, baseline=None, label="unrest")
    assert decide(UNREST, cold, None, None, T0) is None


def test_spike_fires_at_the_ratio_with_enough_outlets() -> None:
    # Usually one outlet a day; five today: (5 + 1) / (1 + 1) = 3.0, the threshold.
    ratio = spike_ratio(5, 1.0)
    assert ratio == 3.0
    today = signal(0.9, outlets=5, spike=ratio, baseline=1.0, label="unrest")
    assert decide(UNREST, today, None, None, T0) == Verdict("new", {"level": 1})
    # Four outlets: (4 + 1) / 2 = 2.5, below the threshold.
    four = signal(0.9, outlets=4, spike=spike_ratio(4, 1.0), baseline=1.0, label="unrest")
    assert decide(UNREST, four, None, None, T0) is None
    # Quiet subjects: usually none, two today: (2 + 1) / (0 + 1) = 3.0, but min_outlets is 3.
    two = signal(0.9, outlets=2, spike=spike_ratio(2, 0.0), baseline=0.0, label="unrest")
    assert two.spike == 3.0
    assert decide(UNREST, two, None, None, T0) is None
    three = signal(0.9, outlets=3, spike=spike_ratio(3, 0.0), baseline=0.0, label="unrest")
    assert decide(UNREST, three, None, None, T0) == Verdict("new", {"level": 0})


def test_spike_lower_level_is_halfway_to_one() -> None:
    # No resolve_below: calm below (1 + 3) / 2 = 2; spike None (history lost) is calm too.
    alert = stored(rule="unrest-spike", label="unrest")
    assert decide(UNREST, signal(0.5, outlets=3, spike=1.9), alert, None, T0) == Verdict(
        None, {"calm_since": T0}
    )
    assert decide(UNREST, signal(0.5, outlets=3, spike=2.0), alert, None, T0) == Verdict(
        None, {"calm_since": None}
    )
    assert decide(UNREST, signal(0.5, outlets=0, spike=None), alert, None, T0) == Verdict(
        None, {"calm_since": T0}
    )


# --- flatline -------------------------------------------------------------------------

QUIET = rule_from_yaml(
    """
    - name: country-quiet
      type: flatline
      countries: [ML, NE]
      window: 24h
      threshold: 0
      min_usual: 5
      baseline: 14d
    """
)


def quiet(count: float, usual: float | None) -> Signal:
    return Signal("ML", "quiet", T0 - 24 * H, T0, count, baseline=usual)


@pytest.mark.parametrize(
    ("count", "usual", "fires"),
    [
        (0, 5.0, True),  # usually five a day, none today
        (0, 12.5, True),
        (0, 4.9, False),  # a subject that is usually nearly quiet anyway
        (0, None, False),  # too little history to know what is usual
        (1, 12.5, False),  # one item is more than the threshold of 0
    ],
)
def test_flatline_fires_only_above_min_usual_and_at_most_threshold(
    count: float, usual: float | None, fires: bool
) -> None:
    expected = Verdict("new", {"level": 0}) if fires else None
    assert decide(QUIET, quiet(count, usual), None, None, T0) == expected


def test_flatline_threshold_is_a_count_inclusive() -> None:
    rule = rule_from_yaml("- {name: q, type: flatline, feeds: [rfi-afrique], threshold: 2}")
    assert isinstance(rule, FlatlineRule)
    assert decide(rule, quiet(2, 10.0), None, None, T0) == Verdict("new", {"level": 0})
    assert decide(rule, quiet(3, 10.0), None, None, T0) is None


def test_flatline_is_calm_when_items_come_back_and_never_escalates() -> None:
    alert = stored(rule="country-quiet", subject="ML", label="quiet", outlets=(), items=())
    assert decide(QUIET, quiet(1, 8.0), alert, None, T0) == Verdict(None, {"calm_since": T0})
    assert decide(QUIET, quiet(0, 8.0), alert, None, T0) == Verdict(None, {"calm_since": None})
    # Level is always 0 for a flatline: no outlets to corroborate anything.
    many = dataclasses.replace(quiet(0, 8.0), outlets=("a", "b", "c"))
    assert decide(QUIET, many, None, None, T0) == Verdict("new", {"level": 0})
