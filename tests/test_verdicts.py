"""Analyst verdicts on a real store (SQLite and PostgreSQL): recording, repeats, the
acknowledgement a verdict implies, item-level feedback, and precision per rule.

Alerts are opened through ``store.alerts.open`` as the lifecycle opens them, on items
stored by ``record_poll``; the command line's side is in test_cli_alerts.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from warning.alerting import verdicts
from warning.alerting.verdicts import (
    ACTIONS,
    SHELL,
    Recorded,
    decision,
    describe,
    record_verdict,
    report,
    standing,
)
from warning.errors import VerdictError
from warning.records import FeedState, Item, Signal
from warning.store import Store, open_store
from warning.store.alerts import AlertChange
from warning.store.verdicts import Feedback, JudgedAlert, StoredVerdict

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=30)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with open_store(db_url) as opened:
        yield opened


def stored_items(store: Store, *numbers: int) -> list[int]:
    """Store one item per number; their ids, in the order given."""
    batch = [
        Item(
            feed="wire",
            outlet="Wire",
            title=f"Story {n}",
            summary="",
            link=f"https://example.org/{n}",
            published=T0,
            lang="en",
            guid_key=f"guid:{n}",
            url_key=f"example.org/{n}",
            content_hash=f"hash{n}",
        )
        for n in numbers
    ]
    store.record_poll("wire", FeedState("wire"), batch, T0)
    by_title = {i.title: i.id for i in store.items()}
    return [by_title[f"Story {n}"] for n in numbers]


def open_alert(
    store: Store,
    items: list[int],
    *,
    subject: str = "NE",
    label: str = "coup",
    rule: str = "coup",
    at: datetime = T0,
) -> int:
    """A new alert episode with one event whose evidence is ``items``."""
    signal = Signal(subject, label, at - timedelta(hours=6), at, 0.9, ("Wire",), (), tuple(items))
    fields = {
        "dedup_key": f"{rule}|{subject}|{label}|{at.isoformat()}",
        "rule": rule,
        "subject": subject,
        "label": label,
        "severity": "critical",
        "status": "open",
        "level": 0,
        "score": 0.9,
        "outlets": ("Wire",),
        "items": tuple(items),
        "rules_hash": "h",
        "opened_at": at,
        "updated_at": at,
        "last_message_at": at,
        "reminders": 0,
        "events": 1,
    }
    alert_id = store.alerts.open(AlertChange("new", fields, signal, at, ("log",), None))
    assert alert_id is not None
    return alert_id


def escalate(store: Store, alert_id: int, items: list[int], at: datetime) -> None:
    """A second event on the alert, with other evidence."""
    alert = store.alerts.get(alert_id)
    assert alert is not None
    signal = Signal(alert.subject, alert.label, at, at, 0.95, ("Wire",), (), tuple(items))
    change = AlertChange("escalated", {"level": 1, "events": 2}, signal, at, ("log",), None)
    assert store.alerts.record(alert, change)


def feedback_of(
    store: Store, verdict: StoredVerdict
) -> set[tuple[int, str | None, str | None, bool]]:
    return {
        (f.item_id, f.label, f.country, f.carries)
        for f in store.verdicts.feedback()
        if f.verdict_id == verdict.id
    }


# --- decisions ---------------------------------------------------------------------------


def test_every_spelling_of_a_decision_reads_the_same() -> None:
    assert [decision(a) for a in ACTIONS] == list(verdicts.DECISIONS)  # Slack's action ids
    assert [decision(w) for w in SHELL] == list(verdicts.JUDGEMENTS)  # the shell's words
    assert [decision(d) for d in verdicts.DECISIONS] == list(verdicts.DECISIONS)
    with pytest.raises(VerdictError) as err:
        decision("maybe")
    assert "confirmed, false-alarm, wrong-country, old-news" in str(err.value.hint)


# --- recording ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        # Hand-checked: the alert is a coup in Niger on items a and b.
        ("confirmed", {("a", "coup", "NE", True), ("b", "coup", "NE", True)}),
        ("false-alarm", {("a", "coup", "NE", False), ("b", "coup", "NE", False)}),
        ("wrong-country", {("a", "coup", "NE", False), ("b", "coup", "NE", False)}),
        ("old-news", {("a", "coup", "NE", False), ("b", "coup", "NE", False)}),
        ("ack", set()),
    ],
)
def test_each_decision_is_recorded_with_its_feedback(
    store: Store, word: str, expected: set[tuple[str, str, str, bool]]
) -> None:
    a, b = stored_items(store, 1, 2)
    alert_id = open_alert(store, [a, b])
    done = record_verdict(store, alert_id, word, "amina", note="seen on TV", now=T1)
    assert done.new
    v = done.verdict
    assert (v.alert_id, v.decision, v.by_name, v.by_id, v.note, v.source, v.at) == (
        alert_id,
        decision(word),
        "amina",
        None,
        "seen on TV",
        "shell",
        T1,
    )
    assert store.verdicts.of_alert(alert_id) == [v]
    names = {a: "a", b: "b"}
    assert {(names[i], *rest) for i, *rest in feedback_of(store, v)} == expected


def test_feedback_covers_the_evidence_of_every_event(store: Store) -> None:
    a, b, c = stored_items(store, 1, 2, 3)
    alert_id = open_alert(store, [a, b])
    escalate(store, alert_id, [b, c], T0 + timedelta(minutes=10))
    done = record_verdict(store, alert_id, "false_alarm", "amina", now=T1)
    assert {f[0] for f in feedback_of(store, done.verdict)} == {a, b, c}


def test_a_zone_alert_has_no_country_to_be_wrong_about(store: Store) -> None:
    [a] = stored_items(store, 1)
    alert_id = open_alert(store, [a], subject="zone:coastal-north", label="attack", rule="z")
    wrong = record_verdict(store, alert_id, "wrong_country", "amina", now=T1).verdict
    assert feedback_of(store, wrong) == set()
    old = record_verdict(store, alert_id, "old_news", "amina", now=T1).verdict
    assert feedback_of(store, old) == {(a, "attack", None, False)}


def test_an_alert_the_classifier_did_not_raise_teaches_nothing(store: Store) -> None:
    [a] = stored_items(store, 1)
    alert_id = open_alert(store, [a], label="advisory", rule="advisory-raised")
    done = record_verdict(store, alert_id, "false_alarm", "amina", now=T1)
    assert done.new and feedback_of(store, done.verdict) == set()


def test_the_same_click_twice_records_one_verdict(store: Store) -> None:
    [a] = stored_items(store, 1)
    alert_id = open_alert(store, [a])
    first = record_verdict(store, alert_id, "confirm", "amina", by_id="U1", source="slack", now=T1)
    again = record_verdict(
        store,
        alert_id,
        "confirm",
        "Amina T.",
        by_id="U1",
        source="slack",
        now=T1 + timedelta(seconds=3),
    )
    assert first.new and again == Recorded(first.verdict, False)
    assert len(store.verdicts.of_alert(alert_id)) == 1
    assert len(store.verdicts.feedback()) == 1
    # From the shell, the name is who answered: the same command twice is one verdict.
    shell = record_verdict(store, alert_id, "confirmed", "amina", now=T1)
    assert shell.new and not record_verdict(store, alert_id, "confirmed", "amina", now=T1).new
    assert len(store.verdicts.of_alert(alert_id)) == 2


def test_clicks_racing_on_one_alert_record_it_once(store: Store) -> None:
    [a] = stored_items(store, 1)
    alert_id = open_alert(store, [a])
    start = threading.Barrier(4)
    results: list[Recorded] = []
    errors: list[BaseException] = []

    def click() -> None:
        try:
            start.wait()
            results.append(
                record_verdict(store, alert_id, "false_alarm", "amina", by_id="U1", now=T1)
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=click) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and len(results) == 4
    assert sum(r.new for r in results) == 1
    assert len(store.verdicts.of_alert(alert_id)) == 1


def test_a_later_verdict_by_someone_else_is_recorded_and_stands(store: Store) -> None:
    a, b = stored_items(store, 1, 2)
    alert_id = open_alert(store, [a, b])
    first = record_verdict(store, alert_id, "false_alarm", "amina", by_id="U1", now=T1)
    later = T1 + timedelta(hours=1)
    second = record_verdict(store, alert_id, "confirm", "moussa", by_id="U2", now=later)
    assert second.new
    listed = store.verdicts.of_alert(alert_id)
    assert listed == [first.verdict, second.verdict]
    assert standing(listed) == second.verdict
    # The learner sees the last word only; the overruled rows stay, for the record.
    assert {(f.item_id, f.carries) for f in store.verdicts.feedback()} == {(a, True), (b, True)}
    assert feedback_of(store, first.verdict) == set()  # not returned, though kept
    # An ack afterwards does not undo the judgement.
    ack = record_verdict(store, alert_id, "ack", "awa", now=later + timedelta(minutes=1)).verdict
    assert standing(store.verdicts.of_alert(alert_id)) == second.verdict
    assert standing([ack]) == ack and standing([]) is None
    assert describe(second.verdict) == "Confirmed — moussa, 2026-11-20 04:30 UTC"
    # A different decision by the same person is recorded too.
    assert record_verdict(store, alert_id, "old_news", "moussa", by_id="U2", now=later).new


def test_feedback_since(store: Store) -> None:
    [a] = stored_items(store, 1)
    old = open_alert(store, [a])
    new = open_alert(store, [a], rule="coup-fast")
    record_verdict(store, old, "confirmed", "amina", now=T1)
    record_verdict(store, new, "false_alarm", "amina", now=T1 + timedelta(days=2))
    found = store.verdicts.feedback(since=T1 + timedelta(days=1))
    assert [(f.alert_id, f.carries) for f in found] == [(new, False)]


def test_an_unknown_alert_or_decision_is_refused_with_nothing_recorded(store: Store) -> None:
    [a] = stored_items(store, 1)
    alert_id = open_alert(store, [a])
    with pytest.raises(VerdictError) as err:
        record_verdict(store, 999, "confirmed", "amina", now=T1)
    assert err.value.message == "no alert #999" and err.value.hint
    with pytest.raises(VerdictError):
        record_verdict(store, alert_id, "probably", "amina", now=T1)
    with pytest.raises(VerdictError):
        record_verdict(store, alert_id, "confirmed", "amina", source="fax", now=T1)
    assert store.verdicts.of_alert(alert_id) == [] and store.verdicts.feedback() == []
    alert = store.alerts.get(alert_id)
    assert alert is not None and alert.acknowledged_at is None


# --- acknowledgement ---------------------------------------------------------------------


def test_ack_acknowledges_as_alerts_ack_does(store: Store) -> None:
    [a] = stored_items(store, 1)
    alert_id = open_alert(store, [a])
    record_verdict(store, alert_id, "ack", "amina", by_id="U1", source="slack", now=T1)
    alert = store.alerts.get(alert_id)
    assert alert is not None and (alert.acknowledged_by, alert.acknowledged_at) == ("amina", T1)


def test_a_judgement_acknowledges_an_unacknowledged_alert_only(store: Store) -> None:
    [a] = stored_items(store, 1)
    fresh, acked = open_alert(store, [a]), open_alert(store, [a], rule="other")
    record_verdict(store, acked, "ack", "awa", now=T0)
    record_verdict(store, fresh, "old_news", "amina", now=T1)
    record_verdict(store, acked, "old_news", "amina", now=T1)
    one, two = store.alerts.get(fresh), store.alerts.get(acked)
    assert one is not None and (one.acknowledged_by, one.acknowledged_at) == ("amina", T1)
    assert two is not None and (two.acknowledged_by, two.acknowledged_at) == ("awa", T0)


# --- precision per rule ------------------------------------------------------------------


def test_report_counts_each_alert_by_its_standing_judgement(store: Store) -> None:
    [a] = stored_items(store, 1)
    minute = timedelta(minutes=1)
    # Rule coup: four alerts. #1 confirmed after 10 min; #2 false alarm after 20 min then
    # confirmed by someone else (stands: confirmed); #3 old news after 40 min;
    # #4 unanswered. Rule attack: one alert, only acknowledged after 5 min.
    coup = [open_alert(store, [a], rule="coup", at=T0 + n * minute) for n in range(4)]
    attack = open_alert(store, [a], rule="attack", label="attack", at=T0)
    record_verdict(store, coup[0], "confirmed", "amina", now=T0 + 10 * minute)
    record_verdict(store, coup[1], "false-alarm", "amina", now=T0 + 21 * minute)
    record_verdict(store, coup[1], "confirmed", "moussa", now=T0 + 90 * minute)
    record_verdict(store, coup[2], "old-news", "amina", now=T0 + 42 * minute)
    record_verdict(store, attack, "ack", "amina", now=T0 + 5 * minute)
    # Opened before the period: not counted.
    early = open_alert(store, [a], rule="coup", at=T0 - timedelta(days=40))
    record_verdict(store, early, "false-alarm", "amina", now=T0)

    rows = [r.as_json() for r in report(store.verdicts.opened_since(T0 - timedelta(days=30)))]
    assert rows == [
        {
            "rule": "attack",
            "label": "attack",
            "alerts": 1,
            "confirmed": 0,
            "false_alarm": 0,
            "wrong_country": 0,
            "old_news": 0,
            "precision": None,
            "judged": 0,
            "acknowledged": 1,
            "median_seconds_to_first_verdict": 300.0,
        },
        {
            "rule": "coup",
            "label": "coup",
            "alerts": 4,
            "confirmed": 2,
            "false_alarm": 0,
            "wrong_country": 0,
            "old_news": 1,
            "precision": round(2 / 3, 4),
            "judged": 3,
            "acknowledged": 0,
            # First verdicts after 10, 20 and 40 minutes: the median is 20 minutes.
            "median_seconds_to_first_verdict": 1200.0,
        },
    ]


def test_report_of_nothing_is_empty() -> None:
    assert report([]) == []
    lone = JudgedAlert(1, "coup", "coup", T0, ())
    [row] = report([lone])
    assert (row.alerts, row.precision, row.median_wait) == (1, None, None)


# --- durability --------------------------------------------------------------------------


def test_a_restart_loses_no_verdict(db_url: str) -> None:
    with open_store(db_url) as store:
        a, b = stored_items(store, 1, 2)
        alert_id = open_alert(store, [a, b])
        given = record_verdict(store, alert_id, "wrong_country", "amina", by_id="U1", now=T1)
    with open_store(db_url) as reopened:
        assert reopened.verdicts.of_alert(alert_id) == [given.verdict]
        assert {(f.item_id, f.country, f.carries) for f in reopened.verdicts.feedback()} == {
            (a, "NE", False),
            (b, "NE", False),
        }
        # Still a repeat after the restart: Slack may retry a click across it.
        again = record_verdict(reopened, alert_id, "wrong_country", "amina", by_id="U1", now=T1)
        assert not again.new


def test_feedback_records_are_what_feedback_for_builds(store: Store) -> None:
    [a] = stored_items(store, 1)
    alert = store.alerts.get(open_alert(store, [a], subject="ML"))
    assert alert is not None
    assert verdicts.feedback_for(alert, "confirmed", [a, a]) == [Feedback(a, "coup", "ML", True)]
    assert verdicts.feedback_for(replace(alert, subject="feed:x"), "wrong_country", [a]) == []


def test_metrics_count_alerts_by_standing_verdict_and_precision_per_rule(store: Store) -> None:
    from warning import metrics
    from warning.service.health import Health, HealthServer

    now = datetime.now(UTC)
    items = stored_items(store, 1, 2, 3)
    judged = [
        open_alert(store, [i], subject=c, at=now - timedelta(days=1))
        for i, c in zip(items, ("NE", "ML", "BF"), strict=True)
    ]
    record_verdict(store, judged[0], "confirmed", "amina", now=now)
    record_verdict(store, judged[1], "false_alarm", "moussa", now=now)
    # judged[2] has no verdict: counted as none, and precision is 1 of 2 judged.
    server = HealthServer("127.0.0.1", 0, Health(store, timedelta(seconds=30), None)).start()
    try:
        text = server.metrics_body().decode()  # what a scrape of /metrics returns
    finally:
        server.close()
    assert 'warning_alert_verdicts{label="coup",rule="coup",verdict="confirmed"} 1.0' in text
    assert 'warning_alert_verdicts{label="coup",rule="coup",verdict="false_alarm"} 1.0' in text
    assert 'warning_alert_verdicts{label="coup",rule="coup",verdict="none"} 1.0' in text
    assert 'warning_rule_precision{label="coup",rule="coup"} 0.5' in text
    metrics.verdicts_reported([])  # leave the shared registry as other tests expect it


def test_a_later_message_of_a_judged_alert_still_shows_the_verdict(store: Store) -> None:
    from warning.alerting.outbox import message
    from warning.notify.slack import VERDICT_BLOCK, VERDICT_SHOWN, render_blocks

    [item] = stored_items(store, 1)
    alert_id = open_alert(store, [item])
    record_verdict(store, alert_id, "false_alarm", "amina", now=T1)
    escalate(store, alert_id, [item], T1 + timedelta(hours=1))  # its update is queued
    alert = store.alerts.get(alert_id)
    assert alert is not None
    later = T1 + timedelta(hours=2)
    for first in store.alerts.due(later):  # the first message went out before the click
        store.alerts.finish(first.id, "sent")
    [update] = [d for d in store.alerts.due(later) if d.decision == "escalated"]
    built = message(alert, update, store)
    assert built.verdict is not None and (built.verdict.title, built.verdict.by) == (
        "False alarm",
        "amina",
    )
    blocks = render_blocks(built)
    ids = [b.get("block_id") for b in blocks]
    # The verdict line stands just above the buttons, as after the click itself.
    assert ids.index(VERDICT_SHOWN) == ids.index(VERDICT_BLOCK) - 1
    shown = blocks[ids.index(VERDICT_SHOWN)]["elements"][0]["text"]
    assert shown.startswith("False alarm — @amina, ")
