"""From feeds to the desk: the alerts issue's acceptance tests, end to end.

Real parts at every edge: feeds from a local HTTP server, the shipped model and
gazetteer, the bundled default rules, slack-sdk against a local Slack API, an
aiosmtpd server with STARTTLS and login, and SQLite or PostgreSQL. Time is
simulated by passing ``now`` to the pipeline, as replays do.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.feedserver import FeedServer
from tests.newsroom import CHANNEL, DESK_EMAIL, Newsroom, top_level, write_config
from tests.newsroom import NIGER_COUP as NIGER
from tests.slackserver import SlackServer
from tests.smtpserver import SMTPServer
from warning import config
from warning.config import Settings
from warning.pipeline import Pipeline, fetch_limits, worker_pool
from warning.sources.http import Fetcher
from warning.store import Store, open_store

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)

NIGER_COUP = [
    NIGER,
    {
        "title": "Niger: des militaires annoncent la dissolution des institutions à Niamey",
        "description": "Un groupe d'officiers est apparu à la télévision nationale.",
    },
    {
        "title": "Coup in Niger: army officers say they have removed President from power",
        "description": "The junta closed the borders and suspended the constitution.",
    },
]


@dataclass
class Desk:
    """Everything a test needs: the servers, a configured pipeline, the store."""

    tmp: Path
    feeds: FeedServer
    slack: SlackServer
    smtp: SMTPServer
    settings: Settings
    store: Store
    pipeline: Pipeline
    newsroom: Newsroom

    def publish(self, outlet: str, story: dict[str, object], at: datetime) -> None:
        self.newsroom.publish(outlet, story, at)

    def cycle(self, now: datetime) -> list[Any]:
        for name in self.pipeline.sources:
            self.pipeline.poll(name, force=True, now=now)
        decided, _ = self.pipeline.alert_cycle(now)
        return decided


OUTLETS = ("sahel-wire", "niamey-daily", "lome-post")


@pytest.fixture
def desk(tmp_path: Path, feed_server: FeedServer, db_url: str) -> Iterator[Desk]:
    with SlackServer() as slack, SMTPServer(tmp_path) as smtp:
        newsroom = Newsroom(feed_server, OUTLETS, T0)
        path = write_config(tmp_path / "warning.yaml", newsroom, db_url, slack, smtp)
        settings = config.load(path)
        store = open_store(db_url)
        store.sync_feeds((f.name, f.kind, f.url, f.outlet) for f in settings.feeds)
        with (
            Fetcher(fetch_limits(settings)) as fetcher,
            worker_pool(settings) as workers,
        ):
            pipeline = Pipeline(settings, store, fetcher, workers)
            yield Desk(tmp_path, feed_server, slack, smtp, settings, store, pipeline, newsroom)
            pipeline.notifiers.close()
        store.close()


def test_three_outlets_report_a_coup_in_niger_one_alert_then_corroborated(desk: Desk) -> None:
    assert desk.cycle(T0) == []  # ordinary news alone alerts nobody
    desk.publish("sahel-wire", NIGER_COUP[0], T0)
    t1 = T0 + timedelta(minutes=10)
    decided = desk.cycle(t1)
    assert [(d.rule, d.subject, d.label, d.decision) for d in decided] == [
        ("coup", "NE", "coup", "new")
    ]
    [first] = top_level(desk.slack)
    assert first.channel == desk.slack.channel_id(CHANNEL)
    assert "Niger (NE)" in json.dumps(first.blocks) and "unconfirmed — 1 outlet" in first.text
    [mail] = desk.smtp.messages
    assert "Niger" in mail.message["Subject"] and mail.rcpt_tos == (DESK_EMAIL,)

    # An hour later a second outlet reports it: the same thread says "corroborated".
    desk.publish("niamey-daily", NIGER_COUP[1], t1 + timedelta(hours=1))
    decided = desk.cycle(t1 + timedelta(hours=1))
    assert [(d.subject, d.decision) for d in decided] == [("NE", "escalated")]
    assert len(top_level(desk.slack)) == 1
    replies = [m for m in desk.slack.posted() if m.thread_ts is not None]
    assert [r.thread_ts for r in replies] == [first.ts]
    assert "corroborated — 2 outlets" in replies[0].text
    [update] = desk.slack.updates()
    assert update.ts == first.ts and "corroborated" in json.dumps(update.blocks)
    first_mail, reply_mail = desk.smtp.messages
    assert reply_mail.message["In-Reply-To"] == first_mail.message["Message-ID"]

    # A third outlet an hour later strengthens the alert without a new message.
    desk.publish("lome-post", NIGER_COUP[2], t1 + timedelta(hours=2))
    assert desk.cycle(t1 + timedelta(hours=2)) == []
    # Running the cycle again sends nothing new.
    assert desk.cycle(t1 + timedelta(hours=2, minutes=1)) == []
    assert len(desk.slack.posted()) == 2 and len(desk.smtp.messages) == 2
    [alert] = desk.store.alerts.recent()
    assert (alert.rule, alert.subject, alert.label, alert.status) == ("coup", "NE", "coup", "open")
    assert set(alert.outlets) == set(OUTLETS) and alert.level == 1
    assert alert.model and alert.rules_hash == desk.settings.rules.digest
    assert len(alert.items) == 3


def test_slack_failing_then_rate_limiting_still_delivers_every_alert_once(desk: Desk) -> None:
    desk.smtp.stop()  # email is not under test here; it retries on its own schedule
    desk.slack.fail(500, times=5)
    desk.slack.fail(429, headers={"Retry-After": "120"})
    desk.publish("sahel-wire", NIGER_COUP[0], T0)
    desk.cycle(T0)
    now = T0
    for _ in range(12):  # each pass is one alert cycle, later each time
        now += timedelta(minutes=10)
        desk.pipeline.alert_cycle(now)
    posted = top_level(desk.slack)
    assert len(posted) == 1 and "Niger" in posted[0].text
    attempts = desk.slack.calls("chat.postMessage")
    assert len(attempts) == 7  # five 500s, one 429, one success: nothing sent twice
    [alert] = desk.store.alerts.recent()
    [event] = desk.store.alerts.events(alert.id)
    slack_delivery = next(d for d in event["deliveries"] if d["route"] == "slack")
    assert slack_delivery["status"] == "sent" and slack_delivery["attempts"] == 7


def test_retry_after_is_honoured(desk: Desk) -> None:
    desk.slack.fail(429, headers={"Retry-After": "900"})
    desk.publish("sahel-wire", NIGER_COUP[0], T0)
    desk.cycle(T0)
    desk.pipeline.alert_cycle(T0 + timedelta(minutes=10))  # before Retry-After: no try
    assert len(desk.slack.calls("chat.postMessage")) == 1
    desk.pipeline.alert_cycle(T0 + timedelta(minutes=16))
    assert len(top_level(desk.slack)) == 1


def test_smtp_down_for_a_cycle_the_email_goes_out_later(desk: Desk) -> None:
    desk.smtp.stop()
    desk.publish("sahel-wire", NIGER_COUP[0], T0)
    desk.cycle(T0)
    assert desk.smtp.messages == [] and len(top_level(desk.slack)) == 1
    desk.smtp.start()
    desk.cycle(T0 + timedelta(minutes=5))
    [mail] = desk.smtp.messages
    assert "Niger" in mail.message["Subject"]
    desk.cycle(T0 + timedelta(minutes=30))
    assert len(desk.smtp.messages) == 1 and len(desk.slack.posted()) == 1


def test_a_rejected_channel_fails_loudly_and_is_not_retried(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    desk.slack.error("channel_not_found")
    desk.publish("sahel-wire", NIGER_COUP[0], T0)
    desk.cycle(T0)
    for minutes in (10, 60, 600):
        desk.pipeline.alert_cycle(T0 + timedelta(minutes=minutes))
    assert len(desk.slack.calls("chat.postMessage")) == 1
    assert any(
        "FAILED" in r.getMessage() and "channel_not_found" in r.getMessage() for r in caplog.records
    )
    [alert] = desk.store.alerts.recent()
    [event] = desk.store.alerts.events(alert.id)
    status = {d["route"]: d["status"] for d in event["deliveries"]}
    assert status == {"slack": "failed", "email": "sent"}


HOSTILE = {
    "title": "<!channel> <!here> <@U123> coup in Niger <https://evil.example|click> & more >",
    "description": "Soldiers seized power in Niamey.\r\nBcc: victim@example.org",
}


def test_hostile_headlines_reach_slack_and_email_as_literal_text(desk: Desk) -> None:
    desk.publish("sahel-wire", HOSTILE, T0)
    decided = desk.cycle(T0)
    assert [d.subject for d in decided] == ["NE"]
    [posted] = top_level(desk.slack)
    request = desk.slack.calls("chat.postMessage")[0].raw
    for raw in ("<!channel>", "<!here>", "<@U123>", "<https://evil.example|click>"):
        assert raw not in request
    assert "&lt;!channel&gt;" in json.dumps(posted.blocks)
    assert "&lt;!channel&gt;" in (posted.text or "")
    [mail] = desk.smtp.messages
    assert mail.message["Bcc"] is None and mail.rcpt_tos == (DESK_EMAIL,)
    html = mail.message.get_body(("html",)).get_content()
    assert "&lt;!channel&gt;" in html and "<!channel>" not in html


def test_silenced_alerts_are_recorded_but_not_sent(desk: Desk) -> None:
    desk.store.alerts.silence(T0 + timedelta(days=1), "known situation", T0, subject="NE")
    desk.publish("sahel-wire", NIGER_COUP[0], T0)
    [decided] = desk.cycle(T0)
    assert decided.silenced and decided.decision == "new"
    assert desk.slack.posted() == [] and desk.smtp.messages == []
    [alert] = desk.store.alerts.recent()
    [event] = desk.store.alerts.events(alert.id)
    assert {d["status"] for d in event["deliveries"]} == {"silenced"}


def test_the_alert_resolves_after_the_hold_in_the_same_thread(desk: Desk) -> None:
    desk.publish("sahel-wire", NIGER_COUP[0], T0)
    desk.cycle(T0)
    rule = desk.settings.rules.get("coup")
    assert rule is not None
    # The story leaves the window; the hold must pass with the signal calm.
    calm = T0 + rule.window + timedelta(minutes=1)
    assert desk.cycle(calm) == []
    [resolved] = desk.cycle(calm + rule.hold)
    assert resolved.decision == "resolved"
    replies = [m for m in desk.slack.posted() if m.thread_ts is not None]
    assert len(replies) == 1 and "RESOLVED" in (replies[0].text or "")
    # Within the cooldown the same story does not open a new alert.
    desk.publish("niamey-daily", NIGER_COUP[1], calm + rule.hold)
    assert desk.cycle(calm + rule.hold + timedelta(minutes=5)) == []


# --- a crash between the alert insert and the send ------------------------------------

CRASH = """
import os, signal, sys
from datetime import datetime
from warning import config
from warning.alerting.outbox import LEASE
from warning.pipeline import Pipeline, fetch_limits, worker_pool
from warning.sources.http import Fetcher
from warning.store import open_store

settings = config.load(__import__("pathlib").Path(sys.argv[1]))
now = datetime.fromisoformat(sys.argv[2])
store = open_store(settings.database.reveal())
with Fetcher(fetch_limits(settings)) as fetcher, worker_pool(settings) as workers:
    pipeline = Pipeline(settings, store, fetcher, workers)
    for name in pipeline.sources:
        pipeline.poll(name, force=True, now=now)
    decided = pipeline.evaluate(now)           # the alert and its deliveries are committed
    assert decided, "expected an alert to crash after"
    if sys.argv[3] == "claimed":               # ... and one delivery taken for sending
        due = store.alerts.due(now)
        assert store.alerts.claim(due[0], now, LEASE)
    sys.stdout.write("inserted\\n"); sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)       # before any notifier runs
"""


@pytest.mark.parametrize("stage", ["inserted", "claimed"])
def test_sigkill_between_insert_and_send_delivers_exactly_once(desk: Desk, stage: str) -> None:
    desk.publish("sahel-wire", NIGER_COUP[0], T0)
    script = desk.tmp / "crash.py"
    script.write_text(textwrap.dedent(CRASH))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run(
        [sys.executable, str(script), str(desk.settings.file), T0.isoformat(), stage],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert proc.stdout == "inserted\n"
    assert desk.slack.posted() == [] and desk.smtp.messages == []
    # The restarted daemon finds the deliveries and sends each once; a delivery the
    # dead process had claimed waits for its lease to expire, then goes out.
    later = T0 + timedelta(minutes=1)
    for step in range(4):
        desk.pipeline.alert_cycle(later + timedelta(minutes=3 * step))
    assert len(desk.slack.posted()) == 1 and len(desk.smtp.messages) == 1
    assert desk.cycle(later + timedelta(minutes=30)) == []
    assert len(desk.slack.posted()) == 1 and len(desk.smtp.messages) == 1


# --- the other default rules: a watch zone, a spike against history, a country gone quiet --


def test_attacks_alert_in_the_northern_border_band_and_not_elsewhere(desk: Desk) -> None:
    desk.publish("sahel-wire", {"title": "Armed men attack a bank in Abidjan, Côte d'Ivoire"}, T0)
    assert desk.cycle(T0) == []  # Côte d'Ivoire, but far from the Sahel border
    desk.publish(
        "lome-post",
        {"title": "Gunmen attack a police post near Kafolo in northern Côte d'Ivoire"},
        T0 + timedelta(hours=1),
    )
    decided = desk.cycle(T0 + timedelta(hours=1))
    assert [(d.rule, d.subject, d.label, d.decision) for d in decided] == [
        ("attack-coastal-north", "zone:coastal-north", "attack", "new")
    ]
    [alert] = desk.store.alerts.recent()
    assert alert.outlets == ("lome-post",) and alert.severity == "high"
    assert "zone coastal-north" in (top_level(desk.slack)[0].text or "")


KENYA_UNREST = [
    "Thousands protest in Nairobi over tax rises as police fire tear gas",
    "Kenyan teachers strike and march on parliament in Nairobi",
    "Police in Mombasa arrest dozens as anti-government protests spread in Kenya",
]


def test_an_unrest_spike_is_measured_against_the_stored_baseline(desk: Desk) -> None:
    # Ten days of history: ordinary news daily, one unrest report about Kenya on day 2.
    for day in range(10):
        at = T0 + timedelta(days=day)
        if day == 2:
            desk.publish("sahel-wire", {"title": KENYA_UNREST[0]}, at)
        decided = desk.cycle(at)
        assert decided == [], f"day {day}: {decided}"
    # Day 10: three independent outlets report unrest in Kenya.
    burst = T0 + timedelta(days=10)
    for outlet, title in zip(OUTLETS, KENYA_UNREST, strict=True):
        desk.publish(outlet, {"title": title, "description": "Protesters blocked roads."}, burst)
    decided = desk.cycle(burst)
    assert [(d.rule, d.subject, d.decision) for d in decided] == [("unrest-spike", "KE", "new")]
    [alert] = desk.store.alerts.recent()
    # The window is day 9 to day 10. History is whole UTC days before the midnight that
    # starts day 9, from the first whole day watched: days 1-8 (day 0 began before the
    # first stored item, at 03:00), one outlet on day 2: usual 1/8 per day. Observed
    # 3 outlets: spike = (3 + 1) / (1/8 + 1) = 32/9.
    assert alert.spike == pytest.approx(32 / 9, rel=1e-6)


def test_unrest_at_cold_start_fires_no_spike(desk: Desk) -> None:
    for outlet, title in zip(OUTLETS, KENYA_UNREST, strict=True):
        desk.publish(outlet, {"title": title}, T0)
    assert desk.cycle(T0) == []  # no history yet: no baseline, so no spike


def test_a_country_that_goes_quiet_raises_a_flatline_alert(desk: Desk) -> None:
    for day in range(4):
        at = T0 + timedelta(days=day)
        for n in range(6):
            desk.publish(
                OUTLETS[n % 3],
                {"title": f"Bamako traders reopen market number {day * 6 + n} in Mali"},
                at,
            )
        assert desk.cycle(at) == []
    quiet = T0 + timedelta(days=5)
    decided = desk.cycle(quiet)
    assert [(d.rule, d.subject, d.label, d.decision) for d in decided] == [
        ("country-quiet", "ML", "quiet", "new")
    ]
    # The flatline rule routes to the log only: the desk's Slack stays quiet.
    assert desk.slack.posted() == []


def test_a_wire_story_republished_by_another_outlet_is_not_corroboration(desk: Desk) -> None:
    wire = {
        "title": "Soldiers seize power in Niger and detain the president in Niamey - AFP",
        "description": "Mutinous troops surrounded the presidential palace overnight.",
    }
    desk.publish("sahel-wire", wire, T0)
    [new] = desk.cycle(T0)
    assert new.decision == "new"
    # Another outlet runs the same wire copy (its own link and GUID) an hour later.
    copy = {**wire, "title": "Soldiers seize power in Niger and detain the president in Niamey"}
    desk.publish("niamey-daily", copy, T0 + timedelta(hours=1))
    assert desk.cycle(T0 + timedelta(hours=1)) == []  # still one independent outlet
    [alert] = desk.store.alerts.recent()
    assert alert.outlets == ("sahel-wire",) and alert.level == 0
    assert "unconfirmed — 1 outlet" in (top_level(desk.slack)[0].text or "")
