"""Verdict clicks from Slack: the buttons on every alert message, the signed HTTP request
URL and Socket Mode, each against real parts — slack-sdk talking to the local Slack
stand-in, requests signed here with a test secret, a real WebSocket server."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from tests.notifying import make_message
from tests.slackserver import TEAM_ID, Message, SlackServer, SocketModeServer
from tests.support import Daemon, NotifySocket, free_port, wait_for, write_config
from warning import config
from warning.alerting.verdicts import ACTIONS
from warning.errors import ConfigError
from warning.notify.slack import VERDICT_BLOCK, VERDICT_SHOWN, SlackNotifier, SlackOptions
from warning.records import Signal
from warning.service.interactions import MAX_BODY, PATH, Clicks, InteractionServer
from warning.service.socketmode import SocketMode
from warning.settings import Secret
from warning.store import Store, open_store
from warning.store.alerts import AlertChange

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-0000-test-token"
APP_TOKEN = "xapp-1-A0TEST-0000-test"
CHANNEL = "#sahel-desk"
AMINA = "U024BE7LH"
T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def open_alert(store: Store, subject: str = "NE") -> int:
    """An open alert, as the lifecycle opens one."""
    signal = Signal(subject, "coup", T0 - timedelta(hours=6), T0, 0.9, ("Wire",), (), ())
    fields = {
        "dedup_key": f"coup|{subject}|coup|{T0.isoformat()}",
        "rule": "coup",
        "subject": subject,
        "label": "coup",
        "severity": "critical",
        "status": "open",
        "level": 0,
        "score": 0.9,
        "outlets": ("Wire",),
        "items": (),
        "rules_hash": "h",
        "opened_at": T0,
        "updated_at": T0,
        "last_message_at": T0,
        "reminders": 0,
        "events": 1,
    }
    alert_id = store.alerts.open(AlertChange("new", fields, signal, T0, ("slack",), None))
    assert alert_id is not None
    return alert_id


@dataclass
class Desk:
    """A deployment that has posted one alert to Slack, ready for clicks."""

    slack: SlackServer
    db: str
    store: Store
    options: SlackOptions
    notifier: SlackNotifier
    alert_id: int
    posted: Message

    def clicks(self) -> Clicks:
        return Clicks(self.store, lambda: self.options, lambda: self.notifier)

    def verdicts(self) -> list[tuple[str, str | None, str, str]]:
        stored = self.store.verdicts.of_alert(self.alert_id)
        return [(v.decision, v.by_id, v.by_name, v.source) for v in stored]

    def payload(
        self,
        action: str = "false_alarm",
        *,
        value: str | None = None,
        user: str = AMINA,
        name: str = "amina",
        team: str = TEAM_ID,
    ) -> dict[str, Any]:
        """A ``block_actions`` payload as Slack sends it for a click on the posted message."""
        message = {
            "type": "message",
            "ts": self.posted.ts,
            "text": self.posted.text,
            "blocks": self.posted.blocks,
        }
        return {
            "type": "block_actions",
            "team": {"id": team, "domain": "desk"},
            "user": {"id": user, "username": name, "name": name, "team_id": team},
            "api_app_id": "A0TEST",
            "container": {
                "type": "message",
                "message_ts": self.posted.ts,
                "channel_id": self.posted.channel,
                "is_ephemeral": False,
            },
            "channel": {"id": self.posted.channel, "name": "sahel-desk"},
            "message": message,
            "response_url": self.slack.response_url,
            "actions": [
                {
                    "type": "button",
                    "action_id": action,
                    "block_id": VERDICT_BLOCK,
                    "value": str(self.alert_id) if value is None else value,
                    "action_ts": "1700000100.000200",
                }
            ],
        }


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with SlackServer(token=TOKEN, app_token=APP_TOKEN) as server:
        yield server


@pytest.fixture
def desk(slack: SlackServer, tmp_path: Path) -> Iterator[Desk]:
    db = f"sqlite:///{tmp_path / 'warning.db'}"
    with open_store(db) as store:
        alert_id = open_alert(store)
        options = SlackOptions(
            token=Secret(TOKEN),
            channel=CHANNEL,
            base_url=slack.base_url,
            signing_secret=Secret(SECRET),
        )
        notifier = SlackNotifier(options, timeout=5)
        notifier.send(make_message(alert_id=alert_id), None, None)
        yield Desk(slack, db, store, options, notifier, alert_id, slack.posted()[0])


@pytest.fixture
def server(desk: Desk) -> Iterator[InteractionServer]:
    listener = InteractionServer("127.0.0.1", 0, desk.clicks(), lambda: desk.options.signing_secret)
    listener.start()
    yield listener
    listener.close()


def form(payload: Any) -> bytes:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return urlencode({"payload": text}).encode()


def signed(body: bytes, *, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    stamp = str(int(time.time() if at is None else at))
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def post(
    server: InteractionServer, body: bytes, headers: dict[str, str], path: str = PATH
) -> tuple[int, str]:
    connection = http.client.HTTPConnection(*server.address, timeout=10)
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
        )
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


def verdict_shown(blocks: list[dict[str, Any]]) -> str:
    shown = [b for b in blocks if b.get("block_id") == VERDICT_SHOWN]
    assert len(shown) == 1, blocks
    assert blocks.index(shown[0]) == len(blocks) - 2  # just above the buttons
    return str(shown[0]["elements"][0]["text"])


# --- the buttons ------------------------------------------------------------------------


def test_every_alert_message_ends_with_the_verdict_buttons(desk: Desk) -> None:
    first = desk.posted
    assert first.blocks is not None
    buttons = first.blocks[-1]
    assert buttons["type"] == "actions" and buttons["block_id"] == VERDICT_BLOCK
    assert [b["action_id"] for b in buttons["elements"]] == list(ACTIONS)
    assert {b["value"] for b in buttons["elements"]} == {str(desk.alert_id)}
    assert [b["text"]["text"] for b in buttons["elements"]] == [
        "Acknowledge",
        "Confirmed",
        "False alarm",
        "Wrong country",
        "Old news",
    ]
    thread = f"{first.channel}:{first.ts}"
    escalated = make_message(alert_id=desk.alert_id, decision="escalated", key="k2")
    desk.notifier.send(escalated, None, thread)
    reply, update = desk.slack.posted()[-1], desk.slack.updates()[-1]
    for blocks in (reply.blocks, update.blocks):
        assert blocks is not None and blocks[-1] == buttons


def test_a_test_message_has_no_buttons(desk: Desk) -> None:
    desk.notifier.send(make_message(alert_id=0, kind="test"), None, None)
    blocks = desk.slack.posted()[-1].blocks
    assert blocks is not None and all(b["type"] != "actions" for b in blocks)


# --- a click over HTTP ------------------------------------------------------------------


def test_false_alarm_is_verified_stored_and_shown(desk: Desk, server: InteractionServer) -> None:
    body = form(desk.payload("false_alarm"))
    status, _ = post(server, body, signed(body))
    assert status == 200
    # In the database before the answer: a daemon stopped now has lost nothing.
    assert desk.verdicts() == [("false_alarm", AMINA, "amina", "slack")]
    with open_store(desk.db) as reopened:
        assert [v.decision for v in reopened.verdicts.of_alert(desk.alert_id)] == ["false_alarm"]

    wait_for(lambda: desk.slack.updates() and len(desk.slack.posted()) == 2, 10, "shown")
    (update,) = desk.slack.updates()
    assert (update.channel, update.ts) == (desk.posted.channel, desk.posted.ts)
    assert update.blocks is not None and update.text == desk.posted.text
    line = verdict_shown(update.blocks)
    assert line.startswith("False alarm — @amina, ") and line.endswith(" UTC")
    assert update.blocks[-1]["block_id"] == VERDICT_BLOCK  # the buttons stay
    reply = desk.slack.posted()[-1]
    assert reply.thread_ts == desk.posted.ts and reply.text == line


def test_a_click_on_a_reply_shows_the_verdict_on_that_reply_and_in_its_thread(
    desk: Desk, server: InteractionServer
) -> None:
    # In an incident the later alerts are replies in its thread, each with its buttons.
    second = open_alert(desk.store, "BF")
    parent = f"{desk.posted.channel}:{desk.posted.ts}"
    desk.notifier.send(make_message(alert_id=second), None, parent)
    reply = desk.slack.posted()[-1]
    assert reply.thread_ts == desk.posted.ts
    before = len(desk.slack.updates())  # sending the reply updated the parent's summary
    payload = desk.payload("confirm", value=str(second))
    payload["message"] = {
        "type": "message",
        "ts": reply.ts,
        "thread_ts": reply.thread_ts,
        "text": reply.text,
        "blocks": reply.blocks,
    }
    payload["container"] |= {"message_ts": reply.ts, "thread_ts": reply.thread_ts}
    body = form(payload)
    assert post(server, body, signed(body))[0] == 200

    wait_for(lambda: len(desk.slack.posted()) == 3, 10, "the verdict said in the thread")
    [update] = desk.slack.updates()[before:]
    assert update.ts == reply.ts, "the parent was overwritten with the reply's blocks"
    assert update.blocks is not None and update.text == reply.text
    assert verdict_shown(update.blocks).startswith("Confirmed — @amina, ")
    said = desk.slack.posted()[-1]
    assert said.thread_ts == desk.posted.ts and said.text == verdict_shown(update.blocks)


def test_a_later_verdict_by_someone_else_replaces_the_line(
    desk: Desk, server: InteractionServer
) -> None:
    for action, user, name in (("false_alarm", AMINA, "amina"), ("confirm", "U0KOFI", "kofi")):
        body = form(desk.payload(action, user=user, name=name))
        assert post(server, body, signed(body))[0] == 200
    wait_for(lambda: len(desk.slack.updates()) == 2, 10, "two updates")
    blocks = desk.slack.updates()[-1].blocks
    assert blocks is not None
    assert verdict_shown(blocks).startswith("Confirmed — @kofi, ")
    assert [v[0] for v in desk.verdicts()] == ["false_alarm", "confirmed"]


def test_a_repeated_click_is_recorded_once(desk: Desk, server: InteractionServer) -> None:
    for _ in range(2):
        body = form(desk.payload("confirm"))  # each click is its own signed request
        assert post(server, body, signed(body, at=time.time() + len(desk.verdicts())))[0] == 200
    assert desk.verdicts() == [("confirmed", AMINA, "amina", "slack")]


def hostile_name(desk: Desk) -> dict[str, Any]:
    return desk.payload(name="<!channel> & co")


def test_the_clicker_name_is_escaped(desk: Desk, server: InteractionServer) -> None:
    body = form(hostile_name(desk))
    assert post(server, body, signed(body))[0] == 200
    wait_for(lambda: desk.slack.updates(), 10, "shown")
    blocks = desk.slack.updates()[0].blocks
    assert blocks is not None
    assert "@&lt;!channel&gt; &amp; co" in verdict_shown(blocks)


# --- refusals: each clear, none recorded ------------------------------------------------


def unsigned(desk: Desk) -> tuple[bytes, dict[str, str]]:
    return form(desk.payload()), {}


def wrong_signature(desk: Desk) -> tuple[bytes, dict[str, str]]:
    body = form(desk.payload())
    return body, signed(body, secret="not-the-secret")


def stale(desk: Desk) -> tuple[bytes, dict[str, str]]:
    body = form(desk.payload())
    return body, signed(body, at=time.time() - 301)


def body_changed(desk: Desk) -> tuple[bytes, dict[str, str]]:
    body = form(desk.payload())
    return form(desk.payload("confirm")), signed(body)


def not_a_time(desk: Desk) -> tuple[bytes, dict[str, str]]:
    body = form(desk.payload())
    return body, {**signed(body), "X-Slack-Request-Timestamp": "soon"}


def malformed_json(desk: Desk) -> tuple[bytes, dict[str, str]]:
    body = form('{"type": "block_actions", ')
    return body, signed(body)


def no_payload(desk: Desk) -> tuple[bytes, dict[str, str]]:
    body = b"text=hello"
    return body, signed(body)


def unknown_action(desk: Desk) -> tuple[bytes, dict[str, str]]:
    body = form(desk.payload("delete_everything"))
    return body, signed(body)


def not_an_alert_id(desk: Desk) -> tuple[bytes, dict[str, str]]:
    body = form(desk.payload(value="42; DROP TABLE alerts"))
    return body, signed(body)


def not_block_actions(desk: Desk) -> tuple[bytes, dict[str, str]]:
    body = form({**desk.payload(), "type": "view_submission"})
    return body, signed(body)


def huge(desk: Desk) -> tuple[bytes, dict[str, str]]:
    body = form({**desk.payload(), "padding": "x" * MAX_BODY})
    return body, signed(body)


def other_workspace(desk: Desk) -> tuple[bytes, dict[str, str]]:
    body = form(desk.payload(team="T0OTHER"))
    return body, signed(body)


@pytest.mark.parametrize(
    ("request_of", "status", "reason"),
    [
        (unsigned, 401, "unsigned"),
        (wrong_signature, 401, "wrong signature"),
        (stale, 401, "more than 5 minutes off"),
        (body_changed, 401, "wrong signature"),
        (not_a_time, 401, "not a Unix time"),
        (malformed_json, 400, "payload=<JSON>"),
        (no_payload, 400, "payload=<JSON>"),
        (unknown_action, 400, "unknown action 'delete_everything'"),
        (not_an_alert_id, 400, "not an alert id"),
        (not_block_actions, 400, "not a block_actions payload"),
        (huge, 413, f"body over {MAX_BODY} bytes"),
        (other_workspace, 403, "workspace 'T0OTHER', not ours"),
    ],
)
def test_a_bad_request_is_refused_and_records_nothing(
    desk: Desk, server: InteractionServer, request_of: Any, status: int, reason: str
) -> None:
    body, headers = request_of(desk)
    got, text = post(server, body, headers)
    assert (got, reason in text) == (status, True), text
    assert desk.verdicts() == []
    time.sleep(0.2)  # an update would have been scheduled by now
    assert desk.slack.updates() == [] and desk.slack.notes() == []


def test_a_replayed_request_is_refused(desk: Desk, server: InteractionServer) -> None:
    body = form(desk.payload())
    headers = signed(body)
    assert post(server, body, headers)[0] == 200
    status, text = post(server, body, headers)
    assert status == 401 and "replayed" in text
    assert len(desk.verdicts()) == 1


def test_an_unknown_alert_is_answered_with_a_note(desk: Desk, server: InteractionServer) -> None:
    body = form(desk.payload(value="999999"))
    status, text = post(server, body, signed(body))
    assert status == 200 and "no alert #999999" in text  # Slack shows a clicker only 200s
    assert desk.verdicts() == [] and desk.store.verdicts.of_alert(999999) == []
    (note,) = desk.slack.notes()
    assert note["response_type"] == "ephemeral" and note["replace_original"] is False
    assert "no alert 999999; nothing was recorded" in note["text"]
    assert desk.slack.updates() == []


def test_a_user_outside_the_allow_list_is_refused(desk: Desk, server: InteractionServer) -> None:
    desk.options = replace(desk.options, verdict_users=("U0KOFI",))
    body = form(desk.payload())
    status, text = post(server, body, signed(body))
    assert status == 403 and "not in notify.slack.verdict_users" in text
    assert desk.verdicts() == []
    (note,) = desk.slack.notes()
    assert "nothing was recorded" in note["text"]
    body = form(desk.payload(user="U0KOFI", name="kofi"))
    assert post(server, body, signed(body))[0] == 200
    assert desk.verdicts() == [("false_alarm", "U0KOFI", "kofi", "slack")]


def test_other_paths_are_not_found(desk: Desk, server: InteractionServer) -> None:
    body = form(desk.payload())
    assert post(server, body, signed(body), path="/slack/events")[0] == 404
    assert desk.verdicts() == []


def test_a_note_goes_only_to_slack(desk: Desk) -> None:
    """A payload's response_url elsewhere gets nothing: the daemon posts where Slack is."""
    desk.notifier.tell("https://attacker.example/collect", "hello")
    desk.notifier.tell("http://127.0.0.2:9/actions/x", "hello")
    assert desk.slack.notes() == []


# --- Socket Mode ------------------------------------------------------------------------


def envelope(desk: Desk, envelope_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id,
        "type": "interactive",
        "accepts_response_payload": False,
        "payload": payload,
    }


def test_socket_mode_acknowledges_records_and_survives_a_drop(desk: Desk) -> None:
    with SocketModeServer() as sockets:
        desk.slack.socket_url = sockets.url
        mode = SocketMode(Secret(APP_TOKEN), desk.slack.base_url, desk.clicks(), ping_interval=1)
        mode.start()
        try:
            sockets.wait_connections(1)
            sockets.send(envelope(desk, "env-1", desk.payload("false_alarm")))
            assert sockets.wait_ack("env-1") == {"envelope_id": "env-1"}
            assert desk.verdicts() == [("false_alarm", AMINA, "amina", "slack")]
            wait_for(lambda: desk.slack.updates(), 10, "shown")

            sockets.drop()
            sockets.wait_connections(2)
            wait_for(mode.connected, 10, "reconnected")
            payload = desk.payload("confirm", user="U0KOFI", name="kofi")
            sockets.send(envelope(desk, "env-2", payload))
            sockets.wait_ack("env-2")
            assert [v[0] for v in desk.verdicts()] == ["false_alarm", "confirmed"]
            assert len(desk.slack.calls("apps.connections.open")) == 2  # a fresh URL each time
        finally:
            mode.close()


def test_socket_mode_acknowledges_a_refused_click(desk: Desk) -> None:
    with SocketModeServer() as sockets:
        desk.slack.socket_url = sockets.url
        mode = SocketMode(Secret(APP_TOKEN), desk.slack.base_url, desk.clicks()).start()
        try:
            sockets.wait_connections(1)
            sockets.send(envelope(desk, "env-x", desk.payload(team="T0OTHER")))
            sockets.wait_ack("env-x")
            assert desk.verdicts() == []
        finally:
            mode.close()


def test_socket_mode_backs_off_until_slack_lets_it_in(desk: Desk) -> None:
    desk.slack.error("invalid_auth", times=2, method="apps.connections.open")
    with SocketModeServer() as sockets:
        desk.slack.socket_url = sockets.url
        mode = SocketMode(Secret(APP_TOKEN), desk.slack.base_url, desk.clicks()).start()
        try:
            sockets.wait_connections(1)  # after waits of about 1 s, then 2 s
            calls = desk.slack.calls("apps.connections.open")
            assert len(calls) == 3
        finally:
            mode.close()


# --- configuration ----------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "warning.yaml"
    path.write_text(text)
    return path


SLACK = """\
notify:
  slack:
    token: xoxb-test
    channel: "#desk"
"""


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    return [str(p) for p in caught.value.problems]


def test_configuration_of_the_verdict_clicks(tmp_path: Path) -> None:
    good = write(
        tmp_path,
        SLACK + "    signing_secret: s3cret\n    app_token: xapp-1-A-1-x\n"
        "    verdict_users: [U024BE7LH]\n"
        "interactions:\n  listen: 127.0.0.1:8089\nrules: []\n",
    )
    settings = config.load(good)
    assert settings.interactions.listen == ("127.0.0.1", 8089)
    slack = settings.notify.get("slack")
    assert slack.verdict_users == ("U024BE7LH",) and slack.app_token.reveal().startswith("xapp-")

    no_secret = write(tmp_path, SLACK + "interactions:\n  listen: 127.0.0.1:8089\nrules: []\n")
    (problem,) = problems(no_secret)
    assert "interactions.listen: needs notify.slack.signing_secret" in problem

    bad = write(
        tmp_path,
        SLACK + "    app_token: xoxb-wrong\n    verdict_users: [amina]\nrules: []\n",
    )
    found = problems(bad)
    assert any("notify.slack.app_token: expected an app-level token (xapp-...)" in p for p in found)
    assert any("'amina' is not a Slack user id like U024BE7LH" in p for p in found)


# --- the daemon -------------------------------------------------------------------------


def test_the_daemon_receives_clicks_both_ways_and_a_restart_loses_none(
    desk: Desk, tmp_path: Path
) -> None:
    port = free_port()
    with SocketModeServer() as sockets:
        desk.slack.socket_url = sockets.url
        slack = {
            "token": TOKEN,
            "channel": CHANNEL,
            "base_url": desk.slack.base_url,
            "signing_secret": SECRET,
            "app_token": APP_TOKEN,
        }
        cfg = write_config(
            tmp_path,
            [],
            database=desk.db,
            notify={"slack": slack},
            interactions={"listen": f"127.0.0.1:{port}"},
            rules=[],
        )
        notify = NotifySocket()
        daemon = Daemon(cfg, notify, tmp_path)
        try:
            wait_for(lambda: notify.count("READY=1"), 30, "the daemon ready")
            sockets.wait_connections(1)
            sockets.send(envelope(desk, "env-1", desk.payload("ack")))
            sockets.wait_ack("env-1")
            body = form(desk.payload("old_news", user="U0KOFI", name="kofi"))
            listener = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            listener.request("POST", PATH, body=body, headers=signed(body))
            assert listener.getresponse().status == 200
            listener.close()
            assert daemon.stop()[0] == 0
        finally:
            daemon.kill()
            notify.close()
    with open_store(desk.db) as restarted:
        stored = restarted.verdicts.of_alert(desk.alert_id)
    assert [(v.decision, v.by_name) for v in stored] == [("ack", "amina"), ("old_news", "kofi")]
