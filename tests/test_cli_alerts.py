"""The operator's alert commands, through ``warning.cli.main`` as a shell would run them.

``poll --once`` (with and without ``--dry-run``), ``alerts list/show/ack``,
``silence add/list/lift`` and ``test-notify``, against a configuration in a
temporary directory: SQLite, feeds from a local HTTP server, the shipped model
and the bundled default rules, Slack and SMTP servers on loopback.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.desk import coup_rule
from tests.feedserver import FeedServer
from tests.newsroom import CHANNEL, NIGER_COUP, Newsroom, top_level, write_config
from tests.slackserver import SlackServer
from tests.smtpserver import SMTPServer
from warning import cli, config, logs
from warning.alerting import outbox, watcher
from warning.pipeline import Pipeline, fetch_limits, worker_pool
from warning.records import Headline
from warning.sources.http import Fetcher
from warning.store import open_store

OUTLETS = ("sahel-wire", "niamey-daily")
#: In the bundled zone coastal-north.
TOGO_ATTACK: dict[str, object] = {
    "title": "Jihadists kill eight soldiers in attack on army post in Kpendjal, northern Togo",
    "description": "The assailants came from across the border with Burkina Faso.",
}
MALI_COUP: dict[str, object] = {
    "title": "Soldiers seize power in Mali and detain the president in Bamako",
    "description": "Mutinous troops surrounded the presidential palace in Koulouba overnight.",
}

#: The bundled coup rule, routed to email only (for the fallback test).
EMAIL_ONLY_COUP_RULE = coup_rule("email")


@dataclass
class Desk:
    """A configuration file and the servers it points at; ``run`` is the command line."""

    tmp: Path
    feeds: FeedServer
    slack: SlackServer
    smtp: SMTPServer
    capsys: pytest.CaptureFixture[str]
    newsroom: Newsroom
    path: Path | None = None

    def configure(
        self, notify: tuple[str, ...] = ("slack", "email"), rules: list[Any] | None = None
    ) -> Path:
        self.path = write_config(
            self.tmp / "warning.yaml",
            self.newsroom,
            self.database,
            self.slack if "slack" in notify else None,
            self.smtp if "email" in notify else None,
            rules,
        )
        return self.path

    def publish(self, outlet: str, story: dict[str, object], at: datetime | None = None) -> None:
        self.newsroom.publish(outlet, story, at or datetime.now(UTC) - timedelta(minutes=5))

    def run(self, *args: str) -> tuple[int, str, str]:
        """``warning --config FILE ARGS...``: exit status, standard output, standard error."""
        assert self.path is not None, "configure() first"
        self.capsys.readouterr()
        code = cli.main(["--config", str(self.path), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def run_json(self, *args: str) -> Any:
        code, out, err = self.run(*args)
        assert code == 0, err
        return json.loads(out)

    def poll(self, *extra: str) -> dict[str, Any]:
        result: dict[str, Any] = self.run_json("poll", "--once", "--json", *extra)
        assert result["feeds_failed"] == 0, result
        return result

    def deliveries(self, alert_id: int) -> dict[str, list[str]]:
        """Each route's delivery statuses for one alert, event by event."""
        store = open_store(self.database)
        try:
            events = store.alerts.events(alert_id)
        finally:
            store.close()
        out: dict[str, list[str]] = {}
        for event in events:
            for d in event["deliveries"]:
                out.setdefault(d["route"], []).append(d["status"])
        return out

    @property
    def database(self) -> str:
        return f"sqlite:///{self.tmp / 'db' / 'warning.db'}"


@pytest.fixture(autouse=True)
def quiet_log_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave logging to pytest: cli.main's setup would print every INFO line to the
    standard error these tests compare, and reset the level caplog asked for."""
    monkeypatch.setattr(logs, "setup", lambda level: None)


@pytest.fixture
def desk(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> Iterator[Desk]:
    with SlackServer() as slack, SMTPServer(tmp_path) as smtp:
        newsroom = Newsroom(feed_server, OUTLETS, datetime.now(UTC) - timedelta(hours=3))
        d = Desk(tmp_path, feed_server, slack, smtp, capsys, newsroom)
        d.configure()
        open_store(d.database).close()  # the daemon's database, as its first start leaves it
        yield d


# --- poll --once ------------------------------------------------------------------------


def test_poll_once_alerts_once_then_reports_nothing_new(desk: Desk) -> None:
    quiet = desk.poll()
    assert quiet["feeds_polled"] == 2 and quiet["items_new"] == 12
    assert quiet["alerts_new"] == 0 and desk.slack.posted() == []

    desk.publish("sahel-wire", NIGER_COUP)
    first = desk.poll()
    assert first["items_new"] == 1 and first["alerts_new"] == 1
    assert first["deliveries_sent"] == 2 and first["deliveries_failed"] == 0
    [posted] = top_level(desk.slack)
    assert posted.channel == desk.slack.channel_id(CHANNEL)
    assert "Niger (NE)" in (posted.text or "") and "unconfirmed — 1 outlet" in (posted.text or "")
    [mail] = desk.smtp.messages
    assert "Niger" in mail.message["Subject"] and mail.tls

    again = desk.poll()
    assert again["items_new"] == 0 and again["alerts_new"] == 0
    assert again["alerts_updated"] == 0 and again["deliveries_sent"] == 0
    assert len(desk.slack.posted()) == 1 and len(desk.smtp.messages) == 1


def test_poll_dry_run_logs_the_alert_and_sends_nothing(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    desk.publish("sahel-wire", NIGER_COUP)
    result = desk.poll("--dry-run")
    assert result["alerts_new"] == 1 and result["deliveries_sent"] == 0
    assert desk.slack.requests == [] and desk.smtp.messages == []
    records = [r for r in caplog.records if r.name == "warning.alert"]
    lines = [r.getMessage() for r in records]
    titles = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert {m.split()[1] for m in titles} == {"slack:", "email:"}  # each route, as it would go
    assert all(m.startswith("dry-run ") for m in lines)
    assert all("NEW · Coup or coup attempt · Niger (NE)" in m for m in titles)
    assert any("evidence" in m and "Soldiers seize power in Niger" in m for m in lines)
    # Nothing is written: a dry run on the production database must not take the alert's
    # dedup key from the daemon that really sends. A real poll afterwards alerts the desk.
    assert desk.run_json("alerts", "list", "--json") == []
    assert desk.poll("--dry-run")["alerts_new"] == 1  # still what would happen now
    assert desk.poll()["alerts_new"] == 1
    assert len(desk.slack.posted()) == 1 and len(desk.smtp.messages) == 1


def test_a_dry_run_honours_silences_as_the_real_run_does(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    desk.publish("sahel-wire", NIGER_COUP)
    desk.poll("--dry-run")  # creates the database; logs what would be sent
    silence = ("silence", "add", "--country", "NE", "--label", "coup", "--for", "6h")
    assert desk.run(*silence, "--reason", "exercise in Niamey")[0] == 0
    caplog.clear()
    desk.poll("--dry-run")
    titles = [
        r.getMessage()
        for r in caplog.records
        if r.name == "warning.alert" and r.levelno == logging.WARNING
    ]
    assert titles == []  # a silenced alert is recorded, never sent: nor shown as sent
    desk.poll()
    assert desk.slack.requests == [] and desk.smtp.messages == []


def test_one_message_builder_caps_headlines_and_marks_operator_alerts() -> None:
    now = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    fields: dict[str, Any] = {
        "alert_id": 1,
        "key": "k",
        "decision": "new",
        "subject": "NE",
        "label": "coup",
        "severity": "critical",
        "score": 0.9,
        "outlets": ("a", "b"),
        "headlines": [Headline(f"story {n}", None, "a", now) for n in range(25)],
        "terms": ("soldiers",),
        "model": None,
        "opened": now,
        "at": now,
        "spike": None,
        "level": 1,
    }
    sent = outbox.compose(rule="coup", **fields)
    assert len(sent.headlines) == outbox.MAX_HEADLINES and sent.kind == "alert"
    assert sent.place.startswith("Niger")
    assert outbox.compose(rule=f"{watcher.PREFIX}feed-failing", **fields).kind == "operator"


def test_a_route_without_its_notifier_falls_back_to_the_log(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    desk.configure(notify=("slack",), rules=[EMAIL_ONLY_COUP_RULE])
    code, out, _ = desk.run("check")
    assert code == 0 and "route 'email' (rules coup) has no notifier" in out
    desk.publish("sahel-wire", NIGER_COUP)
    result = desk.poll()
    assert result["alerts_new"] == 1 and result["deliveries_sent"] == 1
    assert desk.slack.requests == [] and desk.smtp.messages == []
    [line] = [
        r for r in caplog.records if r.name == "warning.alert" and r.levelno == logging.WARNING
    ]
    assert line.getMessage().startswith("alert (fallback for email): NEW · Coup or coup attempt")
    assert "Niger (NE)" in line.getMessage()
    [alert] = desk.run_json("alerts", "list", "--json")
    assert desk.deliveries(alert["id"]) == {"email": ["sent"]}
    code, out, _ = desk.run("alerts", "show", str(alert["id"]))
    assert code == 0 and "email: sent after 1 attempt(s)" in out


# --- alerts list / show / ack ------------------------------------------------------------


def resolve_in_the_past(desk: Desk, story: dict[str, object]) -> None:
    """Publish ``story`` two days ago and let its alert open and resolve, as the daemon would."""
    assert desk.path is not None
    settings = config.load(desk.path)
    rule = settings.rules.get("coup")
    assert rule is not None
    then = datetime.now(UTC) - timedelta(days=2)
    desk.publish("niamey-daily", story, then)
    store = open_store(settings.database.reveal())
    try:
        store.sync_feeds((f.name, f.kind, f.url, f.outlet) for f in settings.feeds)
        with Fetcher(fetch_limits(settings)) as fetcher, worker_pool(settings) as workers:
            pipeline = Pipeline(settings, store, fetcher, workers)
            for name in pipeline.sources:
                pipeline.poll(name, force=True, now=then)
            [opened] = pipeline.alert_cycle(then)[0]
            calm = then + rule.window + timedelta(minutes=1)
            assert pipeline.alert_cycle(calm)[0] == []
            [resolved] = pipeline.alert_cycle(calm + rule.hold)[0]
            pipeline.notifiers.close()
    finally:
        store.close()
    assert (opened.decision, resolved.decision) == ("new", "resolved")


def test_alerts_list_show_and_status_filter(desk: Desk) -> None:
    code, out, _ = desk.run("alerts", "list")
    assert code == 0 and out == "no alerts\n"
    assert desk.run_json("alerts", "list", "--json") == []

    resolve_in_the_past(desk, MALI_COUP)
    desk.publish("sahel-wire", NIGER_COUP)
    assert desk.poll()["alerts_new"] == 1

    listed = desk.run_json("alerts", "list", "--json")
    assert [(a["subject"], a["status"]) for a in listed] == [("NE", "open"), ("ML", "resolved")]
    niger = listed[0]
    assert {
        "id",
        "status",
        "rule",
        "subject",
        "label",
        "severity",
        "score",
        "outlets",
        "corroborated",
        "items",
        "model",
        "rules_hash",
        "opened_at",
        "updated_at",
        "resolved_at",
        "acknowledged_by",
    } <= set(niger)
    assert (niger["rule"], niger["label"], niger["severity"]) == ("coup", "coup", "critical")
    assert niger["outlets"] == ["sahel-wire"] and niger["corroborated"] is False
    assert len(niger["items"]) == 1 and niger["score"] >= 0.5
    assert niger["model"].startswith("instability-") and niger["rules_hash"]
    assert datetime.fromisoformat(niger["opened_at"]).tzinfo is not None
    assert niger["resolved_at"] is None and niger["acknowledged_by"] is None
    assert listed[1]["resolved_at"] is not None

    [only_open] = desk.run_json("alerts", "list", "--json", "--status", "open")
    [only_resolved] = desk.run_json("alerts", "list", "--json", "--status", "resolved")
    assert (only_open["subject"], only_resolved["subject"]) == ("NE", "ML")
    assert len(desk.run_json("alerts", "list", "--json", "--limit", "1")) == 1
    with pytest.raises(SystemExit) as info:
        desk.run("alerts", "list", "--limit", "0")
    assert info.value.code == 2

    code, out, _ = desk.run("alerts", "list")
    assert code == 0
    first, second = out.splitlines()
    assert first.startswith(f"#{niger['id']} open ") and "critical" in first
    assert "Coup or coup attempt · Niger (NE)" in first and "1 outlet ·" in first
    assert "rule coup" in first and "ack by" not in first
    assert "resolved" in second and "Mali (ML)" in second

    code, out, _ = desk.run("alerts", "show", str(niger["id"]))
    assert code == 0
    assert f"#{niger['id']} open rule=coup NE coup" in out
    assert "outlets: sahel-wire" in out and niger["model"] in out
    assert "'Soldiers seize power in Niger and detain the president in Niamey' (sahel-wire)" in out
    assert "https://sahel-wire.example.org/news/6" in out
    assert "1. new at " in out
    assert "slack: sent after 1 attempt(s)" in out and "email: sent after 1 attempt(s)" in out

    code, out, _ = desk.run("alerts", "show", str(only_resolved["id"]))
    assert code == 0 and "1. new at " in out and "2. resolved at " in out


def test_alerts_show_of_an_unknown_id_exits_1(desk: Desk) -> None:
    code, out, err = desk.run("alerts", "show", "999")
    assert code == 1 and out == ""
    # The last line: log lines from the database's first migration may come before it.
    assert err.strip().splitlines()[-1] == "no alert #999"


def test_alerts_ack_records_who_acknowledged(desk: Desk) -> None:
    desk.publish("sahel-wire", NIGER_COUP)
    desk.poll()
    [alert] = desk.run_json("alerts", "list", "--json")
    code, out, _ = desk.run("alerts", "ack", str(alert["id"]), "--by", "alice")
    assert code == 0 and f"alert #{alert['id']} acknowledged" in out
    [acked] = desk.run_json("alerts", "list", "--json")
    assert acked["acknowledged_by"] == "alice" and acked["status"] == "open"
    code, out, _ = desk.run("alerts", "list")
    assert out.splitlines()[0].endswith("ack by alice")
    code, _, err = desk.run("alerts", "ack", "999")
    assert code == 1 and "no alert #999" in err


def test_ack_without_a_user_name_still_records_it(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    def nameless() -> str:
        raise KeyError("getpwuid(): uid not found: 12345")  # a container's anonymous uid

    monkeypatch.setattr("getpass.getuser", nameless)
    desk.publish("sahel-wire", NIGER_COUP)
    desk.poll()
    code, _, err = desk.run("alerts", "ack", "1")
    assert code == 0, err
    [acked] = desk.run_json("alerts", "list", "--json")
    assert acked["acknowledged_by"] == "unknown"


# --- verdicts and the precision report ----------------------------------------------------


def test_a_verdict_from_the_shell_is_recorded_once_and_shown(desk: Desk) -> None:
    desk.publish("sahel-wire", NIGER_COUP)
    desk.poll()
    [alert] = desk.run_json("alerts", "list", "--json")
    assert alert["verdict"] is None
    code, out, _ = desk.run("alerts", "show", str(alert["id"]))
    assert code == 0 and out.splitlines()[-1] == "  no verdict yet"
    n = alert["id"]
    # The alert's email says how to answer it, in both parts.
    [mail] = desk.smtp.messages
    line = (
        f"Verdict: warning alerts verdict {n} confirmed|false-alarm|wrong-country|old-news"
        " (or use the buttons in Slack)"
    )
    for kind in ("plain", "html"):
        part = mail.message.get_body((kind,))
        assert part is not None and part.get_content().count(line) == 1

    code, out, err = desk.run(
        "alerts", "verdict", str(n), "false-alarm", "--by", "amina", "--note", "a film"
    )
    assert code == 0, err
    assert out.startswith(f"alert #{n}: False alarm — amina, ") and out.endswith(" UTC\n")
    code, out, _ = desk.run("alerts", "verdict", str(n), "false-alarm", "--by", "amina")
    assert code == 0 and out.startswith(f"alert #{n}: already recorded: False alarm — amina, ")
    # Someone else's later verdict is recorded too, and stands.
    code, out, _ = desk.run("alerts", "verdict", str(n), "confirmed", "--by", "moussa")
    assert code == 0 and out.startswith(f"alert #{n}: Confirmed — moussa, ")

    code, out, _ = desk.run("alerts", "show", str(n))
    lines = out.splitlines()
    at = lines.index("  verdicts:")
    assert lines[at + 1].startswith("    False alarm — amina, ")
    assert lines[at + 1].endswith(" UTC via shell: a film")
    assert lines[at + 2].startswith("    Confirmed — moussa, ") and lines[at + 2].endswith("shell")
    assert lines[at + 3].startswith("  verdict: Confirmed — moussa, ") and len(lines) == at + 4

    [listed] = desk.run_json("alerts", "list", "--json")
    assert listed["verdict"]["decision"] == "confirmed" and listed["verdict"]["by"] == "moussa"
    # Judging an alert is looking at it: the first verdict acknowledged it, for good.
    assert listed["acknowledged_by"] == "amina"
    code, out, _ = desk.run("alerts", "list")
    assert out.splitlines()[0].endswith(" · Confirmed (moussa) ack by amina")


def test_ack_is_a_verdict_shown_with_the_others(desk: Desk) -> None:
    desk.publish("sahel-wire", NIGER_COUP)
    desk.poll()
    [alert] = desk.run_json("alerts", "list", "--json")
    for _ in range(2):  # the same ack again changes nothing
        code, _, err = desk.run("alerts", "ack", str(alert["id"]), "--by", "alice")
        assert code == 0, err
    code, out, _ = desk.run("alerts", "show", str(alert["id"]))
    listed, stands = out.splitlines()[-2:]
    assert listed.startswith("    Acknowledged — alice, ") and listed.endswith(" UTC via shell")
    assert stands.startswith("  verdict: Acknowledged — alice, ")
    assert out.count("Acknowledged") == 2  # recorded once


def test_a_verdict_on_an_unknown_alert_or_of_an_unknown_kind_is_refused(desk: Desk) -> None:
    desk.publish("sahel-wire", NIGER_COUP)
    desk.poll()
    [alert] = desk.run_json("alerts", "list", "--json")
    code, out, err = desk.run("alerts", "verdict", "999", "confirmed")
    assert code == 1 and out == ""
    assert "error: no alert #999" in err and "hint: `warning alerts list`" in err
    with pytest.raises(SystemExit) as info:
        desk.run("alerts", "verdict", str(alert["id"]), "maybe")
    assert info.value.code == 2
    _, err = desk.capsys.readouterr()
    assert "invalid choice: 'maybe'" in err
    assert "'confirmed', 'false-alarm', 'wrong-country', 'old-news'" in err
    [after] = desk.run_json("alerts", "list", "--json")
    assert after["verdict"] is None and after["acknowledged_by"] is None


def test_the_shell_words_are_the_verdicts_own() -> None:
    from warning.alerting.verdicts import SHELL
    from warning.cli.verdicts import VERDICT_WORDS

    assert tuple(SHELL) == VERDICT_WORDS


def test_alerts_report_counts_verdicts_per_rule(desk: Desk) -> None:
    code, out, _ = desk.run("alerts", "report")
    assert code == 0 and out.splitlines()[-1] == "no alerts"
    assert desk.run_json("alerts", "report", "--json") == {"rules": []}

    resolve_in_the_past(desk, MALI_COUP)
    desk.publish("sahel-wire", NIGER_COUP)
    desk.poll()
    niger, mali = desk.run_json("alerts", "list", "--json")
    desk.run("alerts", "verdict", str(niger["id"]), "confirmed", "--by", "amina")
    desk.run("alerts", "verdict", str(mali["id"]), "old-news", "--by", "amina")
    [row] = desk.run_json("alerts", "report", "--json")["rules"]
    assert {k: row[k] for k in list(row)[:8]} == {
        "rule": "coup",
        "label": "coup",
        "alerts": 2,
        "confirmed": 1,
        "false_alarm": 0,
        "wrong_country": 0,
        "old_news": 1,
        "precision": 0.5,
    }
    assert row["judged"] == 2 and row["median_seconds_to_first_verdict"] > 0
    # Mali's alert opened two days ago: outside a one-day report.
    [recent] = desk.run_json("alerts", "report", "--since", "1d", "--json")["rules"]
    assert (recent["alerts"], recent["confirmed"], recent["precision"]) == (1, 1, 1.0)

    code, out, _ = desk.run("alerts", "report")
    header, line = out.splitlines()[1:]
    assert header.split("  ")[0] == "rule" and "precision" in header
    assert line.split()[:9] == ["coup", "coup", "2", "1", "0", "0", "1", "2", "0.50"]
    code, _, err = desk.run("alerts", "report", "--since", "soon")
    assert code == 2 and "--since 'soon'" in err


# --- silences ----------------------------------------------------------------------------


def test_silence_add_list_and_lift(desk: Desk) -> None:
    assert desk.run_json("silence", "list", "--json") == []
    code, out, _ = desk.run("silence", "list")
    assert code == 0 and out == "no active silences\n"

    before = datetime.now(UTC)
    code, out, err = desk.run(
        "silence", "add", "--country", "ne", "--for", "6h", "--reason", "known situation"
    )
    assert code == 0, err
    assert out.startswith("silence #1 until ") and "recorded, not sent" in out
    until = (before + timedelta(days=1)).replace(microsecond=0)
    code, out, err = desk.run(
        "silence",
        "add",
        "--label",
        "unrest",
        "--rule",
        "unrest-spike",
        "--until",
        until.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--reason",
        "election week",
    )
    assert code == 0, err
    assert out.startswith("silence #2 ")

    first, second = desk.run_json("silence", "list", "--json")
    assert first["id"] == 1 and first["country"] == "NE" and first["label"] is None
    assert first["reason"] == "known situation" and first["by"]
    ends = datetime.fromisoformat(first["until"])
    assert before + timedelta(hours=6) <= ends <= datetime.now(UTC) + timedelta(hours=6)
    assert (second["label"], second["rule"], second["country"]) == ("unrest", "unrest-spike", None)
    assert datetime.fromisoformat(second["until"]) == until
    code, out, _ = desk.run("silence", "list")
    assert "#1 country=NE until " in out and "known situation" in out
    assert "#2 label=unrest rule=unrest-spike until " in out

    code, out, _ = desk.run("silence", "lift", "1")
    assert code == 0 and out == "silence #1 lifted\n"
    assert [s["id"] for s in desk.run_json("silence", "list", "--json")] == [2]
    code, _, err = desk.run("silence", "lift", "1")  # already lifted
    assert code == 1 and "no active silence #1" in err
    code, _, err = desk.run("silence", "lift", "999")
    assert code == 1 and "no active silence #999" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--for", "6h"], "name at least one of --country, --label, --rule"),
        (["--label", "riot", "--for", "6h"], "unknown label 'riot'; one of: coup,"),
        (["--rule", "no-such-rule", "--for", "6h"], "no rule named 'no-such-rule'; rules: coup,"),
        (["--country", "NE", "--for", "soon"], "--for 'soon'"),
        (["--country", "NE", "--until", "2020-01-01T00:00Z"], "the end is in the past"),
        (["--country", "NE", "--until", "next tuesday"], "--until 'next tuesday' is not a date"),
    ],
)
def test_silence_add_refuses_bad_input_with_exit_2(
    desk: Desk, args: list[str], message: str
) -> None:
    code, out, err = desk.run("silence", "add", *args, "--reason", "test")
    assert code == 2 and out == ""
    assert message in err
    assert desk.run_json("silence", "list", "--json") == []


def test_bad_durations_and_dates_come_with_a_hint(desk: Desk) -> None:
    _, _, err = desk.run("silence", "add", "--country", "NE", "--for", "soon", "--reason", "x")
    assert err.splitlines() == [
        "error: --for 'soon': 'soon' is not a duration; write it like 90s, 10m, 6h or 1d",
        "hint: write it like 6h or 2d",
    ]
    _, _, err = desk.run("silence", "add", "--country", "NE", "--until", "12/01", "--reason", "x")
    assert "hint: write it like 2026-12-01T18:00Z" in err


def test_silence_needs_a_duration_or_an_end(desk: Desk) -> None:
    with pytest.raises(SystemExit) as info:
        desk.run("silence", "add", "--country", "NE", "--reason", "x")
    assert info.value.code == 2


def test_a_silenced_country_is_recorded_not_sent_and_lifting_restores_sending(
    desk: Desk,
) -> None:
    code, _, err = desk.run("silence", "add", "--country", "NE", "--for", "2d", "--reason", "known")
    assert code == 0, err
    desk.publish("sahel-wire", NIGER_COUP)
    result = desk.poll()
    assert result["alerts_new"] == 1 and result["deliveries_sent"] == 0
    assert desk.slack.requests == [] and desk.smtp.messages == []
    [niger] = desk.run_json("alerts", "list", "--json")
    assert niger["subject"] == "NE" and niger["status"] == "open"
    assert desk.deliveries(niger["id"]) == {"slack": ["silenced"], "email": ["silenced"]}
    code, out, _ = desk.run("alerts", "show", str(niger["id"]))
    assert "slack: silenced after 0 attempt(s)" in out

    code, _, _ = desk.run("silence", "lift", "1")
    assert code == 0
    desk.publish("niamey-daily", MALI_COUP)
    result = desk.poll()
    assert result["alerts_new"] == 1 and result["deliveries_sent"] == 2
    [posted] = top_level(desk.slack)  # Mali only: the silenced Niger alert stays unsent
    assert "Mali (ML)" in (posted.text or "") and "Niger" not in (posted.text or "")
    [mail] = desk.smtp.messages
    assert "Mali" in mail.message["Subject"]
    assert desk.deliveries(niger["id"]) == {"slack": ["silenced"], "email": ["silenced"]}


def test_a_zone_can_be_silenced(desk: Desk) -> None:
    code, _, err = desk.run(
        "silence", "add", "--country", "zone:coastal-north", "--for", "1d", "--reason", "known"
    )
    assert code == 0, err
    [silence] = desk.run_json("silence", "list", "--json")
    assert silence["country"] == "zone:coastal-north"
    desk.publish("sahel-wire", TOGO_ATTACK)
    result = desk.poll()
    assert result["alerts_new"] == 1 and result["deliveries_sent"] == 0
    [alert] = desk.run_json("alerts", "list", "--json")
    assert (alert["rule"], alert["subject"]) == ("attack-coastal-north", "zone:coastal-north")
    assert desk.deliveries(alert["id"]) == {"slack": ["silenced"], "email": ["silenced"]}
    assert desk.slack.requests == [] and desk.smtp.messages == []


def test_a_feed_can_be_silenced_by_name(desk: Desk) -> None:
    code, _, err = desk.run(
        "silence", "add", "--country", "feed:sahel-wire", "--for", "1d", "--reason", "broken"
    )
    assert code == 0, err
    [silence] = desk.run_json("silence", "list", "--json")
    assert silence["country"] == "feed:sahel-wire"


@pytest.mark.parametrize(
    ("country", "message"),
    [
        ("Niger", "--country 'Niger'"),
        ("XX", "--country 'XX'"),
        ("zone:nowhere", "no zone named 'nowhere'; zones: coastal-north"),
        ("planet:mars", "--country 'planet:mars'"),
    ],
)
def test_silence_of_an_unknown_country_or_zone_exits_2(
    desk: Desk, country: str, message: str
) -> None:
    code, out, err = desk.run(
        "silence", "add", "--country", country, "--for", "1h", "--reason", "x"
    )
    assert code == 2 and out == ""
    assert message in err
    assert desk.run_json("silence", "list", "--json") == []


# --- test-notify -------------------------------------------------------------------------


def test_test_notify_slack_posts_one_message_that_says_it_is_a_test(desk: Desk) -> None:
    code, out, err = desk.run("test-notify", "slack")
    assert code == 0, err
    [posted] = desk.slack.posted()
    assert out.strip() == f"test-notify slack: sent ({posted.channel}:{posted.ts})"
    assert posted.channel == desk.slack.channel_id(CHANNEL) and posted.thread_ts is None
    assert "TEST" in (posted.text or "") and "test-notify" in (posted.text or "")
    assert "nothing happened" in json.dumps(posted.blocks)
    assert "this route works" in json.dumps(posted.blocks)
    # Nothing was recorded as an alert.
    assert desk.run_json("alerts", "list", "--json") == []


def test_test_notify_slack_to_another_channel(desk: Desk) -> None:
    code, _, err = desk.run("test-notify", "slack:#ops")
    assert code == 0, err
    [posted] = desk.slack.posted()
    assert posted.channel == desk.slack.channel_id("#ops")


def test_test_notify_email_through_starttls(desk: Desk) -> None:
    code, out, err = desk.run("test-notify", "email")
    assert code == 0, err
    [mail] = desk.smtp.messages
    assert mail.tls and mail.login == desk.smtp.username
    assert mail.rcpt_tos == ("desk@example.org",)
    assert mail.message["Subject"] == "[warning] TEST · warning test-notify: this route works"
    body = mail.message.get_body(("plain",))
    assert body is not None and "nothing happened" in body.get_content()
    assert out.startswith("test-notify email: sent (<warning.0.")


def test_test_notify_log(desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    code, out, err = desk.run("test-notify", "log")
    assert code == 0, err
    assert out.startswith("test-notify log: sent (log:0)")
    [line] = [
        r for r in caplog.records if r.name == "warning.alert" and r.levelno == logging.WARNING
    ]
    assert line.getMessage().startswith("alert: TEST · warning test-notify: this route works")
    assert desk.slack.requests == [] and desk.smtp.messages == []


def test_test_notify_an_unconfigured_notifier_exits_2(desk: Desk) -> None:
    path = desk.configure(notify=("email",))
    code, out, err = desk.run("test-notify", "slack")
    assert code == 2 and out == ""
    assert err.strip().splitlines()[-1] == f"test-notify: notify.slack is not configured in {path}"
    assert desk.slack.requests == []


def test_test_notify_slack_channel_not_found_exits_1_with_the_hint(desk: Desk) -> None:
    desk.slack.error("channel_not_found")
    code, out, err = desk.run("test-notify", "slack")
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0] == (
        "test-notify slack: Slack chat.postMessage to #sahel-desk: channel_not_found (HTTP 200)"
    )
    assert lines[1].startswith("hint: ") and "invite the bot" in lines[1]
    assert len(desk.slack.calls("chat.postMessage")) == 1  # a test is tried once


def test_test_notify_an_unknown_route_exits_2(desk: Desk) -> None:
    code, out, err = desk.run("test-notify", "pager")
    assert code == 2 and out == ""
    assert "unknown route 'pager'; use slack, email, webhook, apprise or log" in err


# --- the documentation --------------------------------------------------------------------


def test_docs_alerts_md_covers_every_alert_command_and_delivery_status() -> None:
    from warning.store.alerts import FINAL

    text = (Path(__file__).resolve().parents[1] / "docs" / "alerts.md").read_text("utf-8")

    def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return dict(sub.choices)

    commands = subcommands(cli.build_parser())
    for group in ("alerts", "silence"):
        for action in subcommands(commands[group]):
            assert f"warning {group} {action}" in text, f"{group} {action} is undocumented"
    assert "warning test-notify" in text
    for status in ("pending", "sending", *FINAL):
        assert f"`{status}`" in text, f"delivery status {status} is undocumented"
