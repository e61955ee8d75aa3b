"""Grouping and inhibition end to end: a coup and unrest in Niger, one incident thread.

Real parts at the edges, as in tests/test_alerting.py: feeds from a local HTTP server,
the shipped model, slack-sdk against the Slack stand-in, aiosmtpd. The unrest rule is a
threshold rule here (a spike needs weeks of history: tests/test_incident_scenario.py
has one); grouping and inhibition only look at an alert's rule, label, level and
subject, whatever its type. The last test replays the same stories from an archive
and backtests them: ``warning replay`` and ``warning backtest`` mark the muted unrest
and show the incident as the daemon's cycle decided them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.feedserver import FeedServer
from tests.newsroom import NIGER_COUP, Newsroom, top_level, write_config
from tests.slackserver import SlackServer
from tests.smtpserver import SMTPServer
from warning import config
from warning.cli import main
from warning.config import Settings
from warning.pipeline import Pipeline, fetch_limits, worker_pool
from warning.sources.http import Fetcher
from warning.store import Store, open_store

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
OUTLETS = ("sahel-wire", "niamey-daily", "lome-post")
COUP_2 = {
    "title": "Niger: des militaires annoncent la dissolution des institutions à Niamey",
    "description": "Un groupe d'officiers est apparu à la télévision nationale.",
}
UNREST = {
    "title": "Thousands of protesters clash with police in Niamey, Niger; tear gas fired",
    "description": "Marchers blocked roads in the capital.",
}
UNREST_2 = {
    "title": "Protesters back on the streets of Niamey, Niger, as police fire tear gas again",
    "description": "Shops stayed shut along the main avenue.",
}

COMMON = {"countries": "*", "threshold": 0.5, "min_outlets": 1, "corroborate": 2}
RULES: list[dict[str, Any]] = [
    {
        "name": "coup",
        "type": "threshold",
        "label": "coup",
        "window": "2h",
        "hold": "1h",
        "severity": "critical",
        "routes": ["slack", "email"],
        **COMMON,
    },
    {
        "name": "unrest-spike",
        "type": "threshold",
        "label": "unrest",
        "window": "2d",
        "hold": "1d",
        "severity": "medium",
        "routes": ["slack", "email"],
        **COMMON,
    },
]
MUTE_UNREST = [{"when": {"label": "coup", "level": "corroborated"}, "mute": {"labels": ["unrest"]}}]


@dataclass
class Desk:
    slack: SlackServer
    smtp: Any
    settings: Settings
    store: Store
    pipeline: Pipeline
    newsroom: Newsroom

    def cycle(self, now: datetime) -> list[Any]:
        for name in self.pipeline.sources:
            self.pipeline.poll(name, force=True, now=now)
        decided, _ = self.pipeline.alert_cycle(now)
        return decided


def _config(path: Path, newsroom: Newsroom, db: str, slack: Any, smtp: Any, **extra: Any) -> Path:
    write_config(path, newsroom, db, slack, smtp, rules=RULES)
    data = yaml.safe_load(path.read_text()) | extra
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def make_desk(tmp_path: Path, feed_server: FeedServer, db_url: str) -> Iterator[Any]:
    with SlackServer() as slack, SMTPServer(tmp_path) as smtp:
        opened: list[tuple[Store, Pipeline]] = []

        def make(**extra: Any) -> Desk:
            newsroom = Newsroom(feed_server, OUTLETS, T0)
            path = _config(tmp_path / "warning.yaml", newsroom, db_url, slack, smtp, **extra)
            settings = config.load(path)
            store = open_store(db_url)
            store.sync_feeds((f.name, f.kind, f.url, f.outlet) for f in settings.feeds)
            fetcher = Fetcher(fetch_limits(settings)).__enter__()
            workers = worker_pool(settings).__enter__()
            pipeline = Pipeline(settings, store, fetcher, workers)
            opened.append((store, pipeline))
            return Desk(slack, smtp, settings, store, pipeline, newsroom)

        yield make
        for store, pipeline in opened:
            pipeline.notifiers.close()
            store.close()


def coup_in_two_outlets(desk: Desk, at: datetime) -> list[tuple[str, str | None]]:
    """Two outlets report the coup in Niamey (a corroborated coup): a cycle's decisions."""
    desk.newsroom.publish("sahel-wire", NIGER_COUP, at)
    desk.newsroom.publish("niamey-daily", COUP_2, at)
    return [(d.rule, d.decision) for d in desk.cycle(at)]


def _summary(update: Any) -> str:
    blocks = [b for b in update.blocks if b.get("block_id") == "warning-incident"]
    return blocks[0]["text"]["text"] if blocks else ""


def test_a_coup_then_unrest_in_niger_share_one_thread(make_desk: Any) -> None:
    desk = make_desk()
    desk.newsroom.publish("sahel-wire", NIGER_COUP, T0)
    assert [d.rule for d in desk.cycle(T0)] == ["coup"]
    t1 = T0 + timedelta(hours=1)
    desk.newsroom.publish("niamey-daily", UNREST, t1)
    decided = desk.cycle(t1)
    assert [(d.rule, d.subject, d.decision, d.muted_by) for d in decided] == [
        ("unrest-spike", "NE", "new", None)
    ]
    [parent] = top_level(desk.slack)  # one thread, not two
    [reply] = [m for m in desk.slack.posted() if m.thread_ts is not None]
    assert reply.thread_ts == parent.ts and "Unrest" in reply.text
    # The parent still shows the coup, with every open label of the incident below it.
    [update] = desk.slack.updates()
    assert update.ts == parent.ts and "Coup" in update.text
    summary = _summary(update)
    assert "Incident" in summary and "Coup" in summary and "Unrest" in summary
    first, second = desk.smtp.messages
    assert second.message["In-Reply-To"] == first.message["Message-ID"]
    assert second.message["Subject"] == "Re: " + first.message["Subject"]
    coup, unrest = sorted(desk.store.alerts.recent(), key=lambda a: a.id)
    assert coup.incident_id == unrest.incident_id is not None
    # Each alert keeps its own buttons.
    buttons = [b for b in reply.blocks if b.get("block_id") == "warning-verdict"]
    assert buttons[0]["elements"][0]["value"] == str(unrest.id)


def test_an_incident_closes_with_its_last_alert_and_the_next_opens_another(
    make_desk: Any,
) -> None:
    desk = make_desk()
    desk.newsroom.publish("sahel-wire", NIGER_COUP, T0)
    desk.cycle(T0)
    # The coup's window (2h) empties, then its hold (1h) passes: resolved.
    later = T0 + timedelta(hours=3, minutes=10)
    desk.cycle(later)
    assert [d.decision for d in desk.cycle(later + timedelta(hours=1))] == ["resolved"]
    [alert] = desk.store.alerts.recent()
    incident = desk.store.incidents.get(alert.incident_id)
    assert incident is not None and incident.status == "closed"
    desk.newsroom.publish("niamey-daily", UNREST, later + timedelta(hours=2))
    desk.cycle(later + timedelta(hours=2))
    assert len(top_level(desk.slack)) == 2  # a new incident: a new thread
    unrest = desk.store.alerts.recent()[0]
    assert unrest.label == "unrest" and unrest.incident_id != alert.incident_id


def test_a_second_instance_threads_into_the_same_incident(make_desk: Any) -> None:
    one = make_desk()
    one.newsroom.publish("sahel-wire", NIGER_COUP, T0)
    one.cycle(T0)
    two = make_desk()  # a restart, or another instance on the same database
    t1 = T0 + timedelta(hours=1)
    two.newsroom.publish("niamey-daily", UNREST, t1)
    two.cycle(t1)
    assert len(top_level(two.slack)) == 1
    assert len([m for m in two.slack.posted() if m.thread_ts is not None]) == 1


def test_grouping_off_keeps_one_thread_per_alert(make_desk: Any) -> None:
    desk = make_desk(grouping={"enabled": False})
    desk.newsroom.publish("sahel-wire", NIGER_COUP, T0)
    desk.newsroom.publish("niamey-daily", UNREST, T0)
    desk.cycle(T0)
    assert len(top_level(desk.slack)) == 2
    assert {a.incident_id for a in desk.store.alerts.recent()} == {None}


def test_unrest_is_muted_while_the_corroborated_coup_is_open_then_told(make_desk: Any) -> None:
    desk = make_desk(inhibit=MUTE_UNREST)
    assert coup_in_two_outlets(desk, T0) == [("coup", "new")]
    t1 = T0 + timedelta(minutes=30)
    desk.newsroom.publish("lome-post", UNREST, t1)
    [muted] = desk.cycle(t1)
    assert (muted.rule, muted.decision, muted.muted_by) == ("unrest-spike", "new", "coup|coup|1")
    # Recorded, not delivered: no reply in the thread, no mail; deliveries marked muted.
    assert [m for m in desk.slack.posted() if m.thread_ts] == [] and len(desk.smtp.messages) == 1
    unrest = desk.store.alerts.get(muted.alert_id)
    assert unrest is not None and unrest.muted_by == "coup|coup|1"
    [event] = desk.store.alerts.events(unrest.id)
    assert {d["status"] for d in event["deliveries"]} == {"muted"}
    assert event["muted_by"] == "coup|coup|1"
    # The coup resolves (window 2h, hold 1h): the still-open unrest is told, as new.
    desk.cycle(T0 + timedelta(hours=2, minutes=10))
    decided = desk.cycle(T0 + timedelta(hours=3, minutes=20))
    assert sorted((d.rule, d.decision, d.muted_by) for d in decided) == [
        ("coup", "resolved", None),
        ("unrest-spike", "new", None),
    ]
    # The all-clear goes first; the unrest waits for it (one thread, in order).
    assert desk.cycle(T0 + timedelta(hours=3, minutes=21)) == []
    replies = [m for m in desk.slack.posted() if m.thread_ts]
    assert [r.thread_ts for r in replies] == [top_level(desk.slack)[0].ts] * 2
    assert any("Unrest" in r.text for r in replies)
    told = desk.store.alerts.get(unrest.id)
    assert told is not None and told.muted_by is None


def test_the_summary_shows_a_muted_alert(make_desk: Any) -> None:
    desk = make_desk(inhibit=MUTE_UNREST)
    desk.newsroom.publish("sahel-wire", NIGER_COUP, T0)
    desk.cycle(T0)
    t1 = T0 + timedelta(minutes=10)
    desk.newsroom.publish("lome-post", UNREST, t1)
    assert [d.muted_by for d in desk.cycle(t1)] == [None]  # the coup is unconfirmed yet
    t2 = t1 + timedelta(minutes=10)
    desk.newsroom.publish("niamey-daily", COUP_2, t2)
    assert [(d.rule, d.decision) for d in desk.cycle(t2)] == [("coup", "escalated")]
    update = desk.slack.updates()[-1]
    summary = _summary(update)
    assert "Unrest" in summary and "muted by Coup or coup attempt (corroborated)" in summary


def test_dry_run_marks_the_muted_alert(make_desk: Any, caplog: pytest.LogCaptureFixture) -> None:
    desk = make_desk(inhibit=MUTE_UNREST)
    desk.pipeline.notifiers.dry_run = True
    for outlet, story in zip(OUTLETS, (NIGER_COUP, COUP_2, UNREST), strict=True):
        desk.newsroom.publish(outlet, story, T0)
    with caplog.at_level("INFO"):
        decided = desk.cycle(T0)
    assert sorted((d.rule, d.muted_by) for d in decided) == [
        ("coup", None),
        ("unrest-spike", "coup|coup|1"),
    ]
    assert any("[muted by coup|coup|1]" in r.getMessage() for r in caplog.records)
    assert desk.slack.posted() == [] and desk.store.alerts.recent() == []


def test_summary_json_of_the_webhook_group(make_desk: Any) -> None:
    desk = make_desk()
    desk.newsroom.publish("sahel-wire", NIGER_COUP, T0)
    desk.cycle(T0)
    from warning.alerting.outbox import incident, message, thread
    from warning.notify.webhook import group

    [alert] = desk.store.alerts.recent()
    [delivery] = [d for d in [desk.store.alerts.latest(alert.id, "slack")] if d]
    ref, parent = thread(desk.store, alert, "slack")
    grouped = incident(desk.store, alert, "slack", parent)
    assert ref is not None and parent == alert.id
    msg = message(alert, delivery, desk.store)
    from dataclasses import replace

    assert group(replace(msg, incident=grouped)) == f"incident:{alert.incident_id}"
    assert json.loads(json.dumps({"g": group(msg)})) == {"g": f"alert:{alert.id}"}


# --- replay and backtest honour grouping and inhibition ----------------------------------


def _archive(path: Path) -> Path:
    """The coup, its confirmation and the unrest as archived items, after ordinary news."""
    ordinary = {"title": "Togo : le port de Lomé enregistre un trafic record de conteneurs"}
    stories: list[tuple[datetime, str, dict[str, Any]]] = [
        (T0 - timedelta(hours=1), "lome-post", ordinary),
        (T0, "sahel-wire", NIGER_COUP),
        (T0 + timedelta(minutes=10), "niamey-daily", COUP_2),
        (T0 + timedelta(minutes=30), "lome-post", UNREST),
    ]
    lines = [
        json.dumps(
            {
                "published": at.isoformat(),
                "source": outlet,
                "title": story["title"],
                "summary": story.get("description", ""),
                "url": f"https://{outlet}.example.org/{n}",
            }
        )
        for n, (at, outlet, story) in enumerate(stories)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_replay_and_backtest_mark_the_muted_unrest_and_show_the_incident(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"rules": RULES}))
    path = tmp_path / "warning.yaml"
    data = {"database": f"sqlite:///{tmp_path / 'unused.db'}", "feeds": [], "rules": "rules.yaml"}
    path.write_text(yaml.safe_dump(data | {"inhibit": MUTE_UNREST}))
    db = f"sqlite:///{tmp_path / 'replay.db'}"
    until = (T0 + timedelta(hours=4)).isoformat()
    archive = str(_archive(tmp_path / "archive.jsonl"))
    assert main(["--config", str(path), "replay", archive, "--database", db, "--until", until]) == 0
    capsys.readouterr()
    # The coup (2h window) resolves at T0+3h10 (its 1h hold): the unrest, still open, is told.
    minutes = T0 + timedelta(minutes=10), T0 + timedelta(minutes=30)
    resolved = T0 + timedelta(hours=3, minutes=10)
    expected = [
        (T0, "coup", "new", None, 1),
        (minutes[0], "coup", "escalated", None, 1),
        (minutes[1], "unrest-spike", "new", "coup|coup|1", 1),
        (resolved, "coup", "resolved", None, 1),
        (resolved, "unrest-spike", "new", None, 1),
    ]
    backtest = ["--config", str(path), "backtest", "--database", db, "--to", until]
    assert main([*backtest, "--json"]) == 0
    [run] = json.loads(capsys.readouterr().out)["runs"]
    got = [
        (datetime.fromisoformat(o["at"]), o["rule"], o["decision"], o["muted_by"], o["incident"])
        for o in run["outcomes"]
    ]
    assert got == expected
    assert run["muted"] == 1 and run["incidents"] == 1
    assert run["messages"] == {"new": 2, "escalated": 1, "resolved": 1}
    assert main(backtest) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "unrest-spike NE" in line]
    assert len(lines) == 2 and all("incident 1" in line for line in lines)
    assert lines[0].endswith("[muted by coup|coup|1]") and "muted" not in lines[1]
    # The replay ran the daemon's own cycle: the same decisions, the same marks.
    assert main(["--config", str(path), "replay", archive, "--until", until, "--json"]) == 0
    replayed = json.loads(capsys.readouterr().out)
    assert replayed["muted"] == 1
    assert [
        (datetime.fromisoformat(a["at"]), a["rule"], a["decision"], a["muted_by"])
        for a in replayed["alerts"]
    ] == [e[:4] for e in expected]


def test_an_alert_told_then_muted_is_told_as_ongoing_when_its_inhibitor_resolves(
    make_desk: Any,
) -> None:
    desk = make_desk(inhibit=MUTE_UNREST)
    desk.newsroom.publish("lome-post", UNREST, T0)
    [told] = desk.cycle(T0)
    assert (told.rule, told.decision, told.muted_by) == ("unrest-spike", "new", None)
    t1 = T0 + timedelta(minutes=10)
    assert coup_in_two_outlets(desk, t1) == [("coup", "new")]
    # A second outlet on the unrest while the corroborated coup is open: recorded, muted.
    t2 = T0 + timedelta(minutes=40)
    desk.newsroom.publish("sahel-wire", UNREST_2, t2)
    [muted] = desk.cycle(t2)
    assert (muted.rule, muted.decision, muted.muted_by) == (
        "unrest-spike",
        "escalated",
        "coup|coup|1",
    )
    sent = len(desk.slack.posted())
    assert [e["deliveries"][0]["status"] for e in desk.store.alerts.events(told.alert_id)][
        -1
    ] == "muted"
    # The coup resolves: the unrest, still open and heard of before, is told once as ongoing.
    desk.cycle(t1 + timedelta(hours=2, minutes=10))
    decided = desk.cycle(t1 + timedelta(hours=3, minutes=20))
    assert sorted((d.rule, d.decision, d.muted_by) for d in decided) == [
        ("coup", "resolved", None),
        ("unrest-spike", "ongoing", None),
    ]
    desk.cycle(t1 + timedelta(hours=3, minutes=21))
    later = desk.slack.posted()[sent:]
    assert any("ONGOING" in m.text and "Unrest" in m.text for m in later), [m.text for m in later]
