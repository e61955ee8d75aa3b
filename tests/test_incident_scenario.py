"""The issue's scenario: a coup, an unrest spike and a news blackout in Niger, one incident.

Ten days of ordinary news about Niger, with a little unrest, are stored as polls store
them (scored items at chosen first-seen times: the spike needs a week of history and
the blackout a usual volume), so no model runs and the whole history costs a second.
Then, at T, two outlets report a coup and three report unrest; the country's news then
stops (an internet shutdown), and after three hours the flatline rule calls it quiet.
The alerts go through slack-sdk to the Slack stand-in, and to a real webhook receiver.
The backtest replays the same scenario and must decide what the daemon decided.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.newsroom import CHANNEL, top_level
from tests.receiver import Receiver
from tests.slackserver import SlackServer
from warning import config
from warning.alerting.outbox import deliver
from warning.backtest import StoredHistory, simulate
from warning.notify import Notifiers
from warning.pipeline.alerting import Alerter
from warning.records import (
    Assessment,
    CountryScore,
    FeedState,
    GeoTag,
    Item,
    LabelScore,
)
from warning.store import Store, open_store

#: The coup: a Friday morning in Niger; history runs for ten days up to it.
T = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
HISTORY = timedelta(days=10)
LABELS = ("coup", "election_dispute", "attack", "unrest")

RULES: list[dict[str, Any]] = [
    {
        "name": "coup",
        "type": "threshold",
        "label": "coup",
        "countries": "*",
        "threshold": 0.5,
        "min_outlets": 1,
        "corroborate": 2,
        "window": "12h",
        "hold": "1h",
        "repeat": "4h",
        "severity": "critical",
        "routes": ["slack"],
    },
    {
        # The window outlasts the coup's: unrest is still open when the coup resolves.
        "name": "unrest-spike",
        "type": "spike",
        "label": "unrest",
        "countries": "*",
        "threshold": 2.5,
        "window": "24h",
        "baseline": "7d",
        "min_outlets": 2,
        "corroborate": 3,
        "hold": "2h",
        "severity": "medium",
        "routes": ["slack"],
    },
    {
        # At most one item in three hours where there are usually four or more.
        "name": "country-quiet",
        "type": "flatline",
        "countries": ["NE"],
        "window": "3h",
        "threshold": 1,
        "min_usual": 4,
        "baseline": "3d",
        "hold": "1h",
        "severity": "low",
        "routes": ["slack"],
    },
    {"name": "advisory-raised", "type": "advisory", "countries": ["NE"], "routes": ["slack"]},
]
#: DESIGN.md's example, word for word.
INHIBIT = [
    {
        "when": {"label": "coup", "level": "corroborated"},
        "mute": {"labels": ["unrest"], "rules": ["country-quiet", "advisory-raised"]},
    }
]
COUP_MARK = "coup|coup|1"

#: (outlet, title, label, probability) reported at T.
OUTBREAK = [
    (
        "sahel-wire",
        "Soldiers seize power in Niger and detain the president in Niamey",
        "coup",
        0.93,
    ),
    (
        "radio-sahel",
        "Niger : des militaires annoncent la dissolution des institutions",
        "coup",
        0.88,
    ),
    (
        "niamey-daily",
        "Thousands clash with police in Niamey as tear gas fills the streets",
        "unrest",
        0.9,
    ),
    ("lome-post", "Protesters block roads across Zinder and Maradi", "unrest", 0.85),
    ("world-desk", "Marchers defy curfew in Niger's capital, burning tyres", "unrest", 0.8),
]
#: Four hours on, one foreign outlet still gets a report out.
LATER = ("world-desk", "Niger junta names a general head of state; internet stays cut", "coup", 0.9)
#: Ordinary news about Niger every hour of the history, from these outlets in turn.
ROUTINE = ("sahel-wire", "niamey-daily", "radio-sahel")


class Niger:
    """Scored items about Niger, stored as a poll stores them, at chosen first-seen times."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.n = 0

    def report(self, at: datetime, *reports: tuple[str, str, str | None, float]) -> None:
        items, assessed = [], []
        for outlet, title, label, p in reports:
            self.n += 1
            link = f"https://{outlet}.example.org/{at:%Y%m%d%H%M}/{self.n}"
            items.append(Item("wires", outlet, title, "", link, at, "en", link, link, None))
            scores = tuple(
                LabelScore(name, p if name == label else 0.02, name == label) for name in LABELS
            )
            assessed.append(Assessment(GeoTag((CountryScore("NE", 1.0),)), scores, "test-model"))
        self.store.record_poll("wires", FeedState("wires"), items, at, assessed)

    def history(self) -> None:
        """Three ordinary items an hour for ten days; unrest from one outlet every other day."""
        start = T - HISTORY
        for hour in range(int(HISTORY / timedelta(hours=1))):
            at = start + timedelta(hours=hour, minutes=20)
            reports: list[tuple[str, str, str | None, float]] = [
                (outlet, f"Niamey council notice {hour}-{k}: roadworks and market hours", None, 0.0)
                for k, outlet in enumerate(ROUTINE)
            ]
            if hour % 48 == 12:
                reports.append(
                    ("niamey-daily", f"Traders protest new market fees, day {hour}", "unrest", 0.8)
                )
            self.report(at, *reports)


def settings_for(
    tmp_path: Path,
    database: str,
    notify: dict[str, Any],
    rules: list[dict[str, Any]] = RULES,
    **extra: Any,
) -> config.Settings:
    data = {
        "database": database,
        "feeds": [],
        "notify": notify,
        "operator": {"enabled": False},  # the clock jumps without polls
        "rules": rules,
        **extra,
    }
    path = tmp_path / "warning.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return config.load(path)


@dataclass
class Desk:
    store: Store
    alerter: Alerter

    def cycle(self, at: datetime) -> list[tuple[str, str, str | None]]:
        """One alert cycle at ``at``, then the outbox's next runs until it is empty: an
        incident's messages go out one after the other, each once the one before is sent."""
        decided, report = self.alerter.alert_cycle(at)
        while report.sent:
            report = deliver(self.store, self.alerter.notifiers, at)
        return [(d.rule, d.decision, d.muted_by) for d in decided]


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> Iterator[tuple[str, Store]]:
    """The database with Niger's ten days of history, and the outbreak at T stored."""
    store = open_store(db_url)
    niger = Niger(store)
    niger.history()
    niger.report(T, *OUTBREAK)
    niger.report(T + timedelta(hours=4), LATER)
    try:
        yield db_url, store
    finally:
        store.close()


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with SlackServer() as server:
        yield server


@pytest.fixture
def make_desk(tmp_path: Path, world: tuple[str, Store], slack: SlackServer) -> Iterator[Any]:
    """A daemon's alerting over the world's database, sending to the Slack stand-in."""
    url, store = world
    made: list[Notifiers] = []

    def make(**extra: Any) -> Desk:
        notify = {"slack": {"token": "xoxb-test", "channel": CHANNEL, "base_url": slack.base_url}}
        settings = settings_for(tmp_path, url, notify, **extra)
        made.append(Notifiers(settings.notify))
        return Desk(store, Alerter(settings, store, made[-1]))

    yield make
    for notifiers in made:
        notifiers.close()


def summary(message: Any) -> str:
    blocks = [b for b in message.blocks if b.get("block_id") == "warning-incident"]
    return blocks[0]["text"]["text"] if blocks else ""


def head(message: Any) -> str:
    """A Slack message's first line: decision, label and place."""
    return str(message.text or "").split("\n", 1)[0]


def replies(slack: SlackServer) -> list[Any]:
    return [m for m in slack.posted() if m.thread_ts is not None]


def test_a_coup_an_unrest_spike_and_a_blackout_share_one_thread(
    make_desk: Any, slack: SlackServer
) -> None:
    desk = make_desk()
    assert desk.cycle(T) == [("coup", "new", None), ("unrest-spike", "new", None)]
    # Three hours without a single item about Niger, where there are usually nine.
    assert desk.cycle(T + timedelta(hours=3, minutes=5)) == [("country-quiet", "new", None)]
    [parent] = top_level(slack)
    assert head(parent) == "NEW · Coup or coup attempt · Niger (NE)"
    unrest, quiet = replies(slack)
    assert unrest.thread_ts == quiet.thread_ts == parent.ts
    assert head(unrest) == "NEW · Unrest · Niger (NE)"
    assert head(quiet) == "NEW · Gone quiet · Niger (NE)"
    # The parent, edited for the last reply, lists every open label of the incident.
    update = slack.updates()[-1]
    assert update.ts == parent.ts and head(update) == head(parent)
    assert summary(update).splitlines() == [
        "Incident · Niger (NE) · 3 open",
        "• Coup or coup attempt (corroborated) · rule coup",
        "• Unrest (corroborated) · rule unrest-spike",
        "• Gone quiet (unconfirmed) · rule country-quiet",
    ]
    alerts = desk.store.alerts.recent()
    assert len(alerts) == 3 and len({a.incident_id for a in alerts}) == 1
    assert alerts[0].incident_id is not None


def test_the_corroborated_coup_mutes_the_unrest_and_the_blackout_until_it_resolves(
    make_desk: Any, slack: SlackServer
) -> None:
    desk = make_desk(inhibit=INHIBIT)
    # The coup mutes the unrest decided in the same cycle, whatever the rules' order.
    assert desk.cycle(T) == [("coup", "new", None), ("unrest-spike", "new", COUP_MARK)]
    assert desk.cycle(T + timedelta(hours=3, minutes=5)) == [("country-quiet", "new", COUP_MARK)]
    [parent] = top_level(slack)
    assert replies(slack) == []  # recorded, not delivered
    assert summary(parent).splitlines()[-1] == (
        "• Unrest (corroborated) · rule unrest-spike — muted by Coup or coup attempt (corroborated)"
    )
    coup, unrest, quiet = sorted(desk.store.alerts.recent(), key=lambda a: a.id)
    for muted in (unrest, quiet):
        assert muted.muted_by == COUP_MARK and muted.incident_id == coup.incident_id
        [event] = desk.store.alerts.events(muted.id)
        assert event["muted_by"] == COUP_MARK
        assert [d["status"] for d in event["deliveries"]] == ["muted"]
    # A foreign outlet's report reminds the desk of the coup: the thread's summary now
    # lists all three, the two minor ones muted.
    assert desk.cycle(T + timedelta(hours=4)) == [("coup", "ongoing", None)]
    [reminder] = replies(slack)
    assert reminder.thread_ts == parent.ts and head(reminder).startswith("ONGOING · Coup")
    assert summary(slack.updates()[-1]).splitlines() == [
        "Incident · Niger (NE) · 3 open",
        "• Coup or coup attempt (corroborated) · rule coup",
        "• Unrest (corroborated) · rule unrest-spike"
        " — muted by Coup or coup attempt (corroborated)",
        "• Gone quiet (unconfirmed) · rule country-quiet"
        " — muted by Coup or coup attempt (corroborated)",
    ]
    # The coup's twelve-hour window empties at T+16h, then its hold (1h) passes: the
    # coup resolves, and the unrest and the blackout, still open, are told as new.
    assert desk.cycle(T + timedelta(hours=16, minutes=5)) == []
    assert desk.cycle(T + timedelta(hours=17, minutes=10)) == [
        ("coup", "resolved", None),
        ("unrest-spike", "new", None),
        ("country-quiet", "new", None),
    ]
    told = replies(slack)
    assert [m.thread_ts for m in told] == [parent.ts] * 4
    assert [head(m) for m in told] == [
        "ONGOING · Coup or coup attempt · Niger (NE)",
        "RESOLVED · Coup or coup attempt · Niger (NE)",  # the all-clear goes first
        "NEW · Unrest · Niger (NE)",
        "NEW · Gone quiet · Niger (NE)",
    ]
    assert summary(slack.updates()[-1]).splitlines() == [
        "Incident · Niger (NE) · 2 open",
        "• Unrest (corroborated) · rule unrest-spike",
        "• Gone quiet (unconfirmed) · rule country-quiet",
    ]
    assert {a.muted_by for a in desk.store.alerts.recent()} == {None}


def test_a_backtest_mutes_and_groups_as_the_daemon_did(
    tmp_path: Path, world: tuple[str, Store]
) -> None:
    url, store = world
    settings = settings_for(tmp_path, url, {}, inhibit=INHIBIT)
    start, end, step = T - timedelta(hours=1), T + timedelta(hours=20), timedelta(minutes=15)
    rules = settings.rules.active
    history = StoredHistory(store, rules, settings.zones, start, end)
    outcomes = simulate(
        rules,
        history,
        start,
        end,
        step,
        inhibit_rules=settings.inhibit,
        group=settings.grouping.group,
    )
    alerter = Alerter(settings, store, Notifiers(settings.notify))
    daemon = []
    now = start
    while now <= end:
        for d in alerter.evaluate(now):
            alert = store.alerts.get(d.alert_id)
            assert alert is not None
            daemon.append((now, d.rule, d.subject, d.decision, d.muted_by, alert.incident_id))
        now += step
    got = [(o.at, o.rule, o.subject, o.decision, o.muted_by, o.incident) for o in outcomes]
    assert got == daemon
    # Every part of the scenario took place: muted, told once the coup resolved, one incident.
    assert {(o.rule, o.decision, o.muted_by) for o in outcomes} >= {
        ("unrest-spike", "new", COUP_MARK),
        ("country-quiet", "new", COUP_MARK),
        ("coup", "resolved", None),
        ("unrest-spike", "new", None),
        ("country-quiet", "new", None),
    }
    assert {o.incident for o in outcomes} == {1}


def test_a_webhook_gets_one_group_per_incident(tmp_path: Path, world: tuple[str, Store]) -> None:
    url, store = world
    rules = [{**r, "routes": ["webhook"]} for r in RULES[:2]]  # the coup and the unrest
    with Receiver() as receiver:
        settings = settings_for(
            tmp_path, url, {"webhook": {"url": receiver.url(), "timeout": "2s"}}, rules
        )
        notifiers = Notifiers(settings.notify)
        desk = Desk(store, Alerter(settings, store, notifiers))
        try:
            assert desk.cycle(T) == [("coup", "new", None), ("unrest-spike", "new", None)]
            coup, unrest = (r.json()["alert"] for r in receiver.requests)
            assert (coup["rule"], unrest["rule"]) == ("coup", "unrest-spike")
            [incident] = {a.incident_id for a in store.alerts.recent()}
            assert incident is not None
            assert coup["group"] == unrest["group"] == f"incident:{incident}"
            # The coup resolves (its window empties at T+16h, then its 1h hold), then the
            # unrest (at T+24h, then 2h): the incident closes with its last alert.
            for at in (16, 17, 24, 26):
                desk.cycle(T + timedelta(hours=at, minutes=10))
            resolved = [r.json()["alert"] for r in receiver.requests[2:]]
            assert [(a["rule"], a["decision"]) for a in resolved] == [
                ("coup", "resolved"),
                ("unrest-spike", "resolved"),
            ]
            assert {a["group"] for a in resolved} == {f"incident:{incident}"}
            closed = store.incidents.get(incident)
            assert closed is not None and closed.status == "closed"
            # A day later soldiers are back on the streets: a new incident, a new group.
            later = T + timedelta(hours=30)
            Niger(store).report(
                later, ("sahel-wire", "Gunfire again near Niamey barracks", "coup", 0.9)
            )
            assert desk.cycle(later) == [("coup", "new", None)]
            last = receiver.requests[-1].json()["alert"]
            [reopened] = {a.incident_id for a in store.alerts.recent() if a.status == "open"}
            assert reopened != incident and last["group"] == f"incident:{reopened}"
        finally:
            notifiers.close()
