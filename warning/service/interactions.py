"""Analyst verdicts from Slack: the click handler both transports share, and its HTTP listener.

A click on a verdict button (notify/slack.py) arrives as a ``block_actions`` payload,
over HTTP (``interactions.listen``; Slack's request URL is ``POST /slack/interactions``)
or through Socket Mode (service/socketmode.py). Both hand it to :meth:`Clicks.handle`:
the checks, then the verdict written to the database, then the message edited and the
thread told off the caller's thread. The database is local and fast; Slack's API is
neither, and Slack wants its answer within 3 seconds. A verdict is stored before the
answer, so a daemon stopped right after a click has lost nothing.

What a click is refused with (nothing is recorded for any of them):

- over HTTP, before the payload is read: 401 for a missing or wrong signature, a
  timestamp more than 5 minutes off, or a request seen before (a replay); 413 for a
  body over 64 KB; 404 for any other path;
- 400 for a payload that is not JSON, not ``block_actions``, or names no verdict button
  (an unknown ``action_id``, an alert id that is not a number);
- 403 for a click from another workspace than the bot's (``auth.test``) — said to no
  one — or, with ``notify.slack.verdict_users``, from a user not on that list, who is
  told so in an ephemeral note;
- 200 and an ephemeral note for an alert id this database does not know (a message
  from another deployment, or a deleted alert): Slack shows the clicker only the note;
- 503 when Slack cannot tell us the bot's workspace yet (``auth.test`` unreachable).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from ..alerting.verdicts import ACTIONS, record_verdict, standing
from ..errors import DeliveryError, StoreError, VerdictError
from ..notify.slack import VERDICT_BLOCK, SlackNotifier, SlackOptions, verdict_line
from ..settings import Secret
from ..store import Store
from .health import CLIENT_TIMEOUT_S, BoundedServer, Listener

log = logging.getLogger(__name__)

#: Slack's request URL path for interactivity.
PATH = "/slack/interactions"
#: Slack's payloads are a few KB; a larger body is not from Slack.
MAX_BODY = 64 * 1024
#: How far a request's timestamp may be from our clock (Slack's own advice).
WINDOW_S = 5 * 60
#: Signatures remembered against replays; more than a desk clicks in five minutes.
MAX_SEEN = 10_000


@dataclass(frozen=True, slots=True)
class Answer:
    """What a click got: the HTTP status and a short reason (logged, and the body)."""

    status: int
    reason: str


class Clicks:
    """Judges a verdict click, records it and shows it: one handler for HTTP and Socket Mode.

    ``options`` and ``notifier`` give the running Slack options and notifier (a reload
    replaces them); ``clock`` gives the verdict's time.
    """

    def __init__(
        self,
        store: Store,
        options: Callable[[], SlackOptions | None],
        notifier: Callable[[], SlackNotifier | None],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.options = options
        self.notifier = notifier
        self.clock = clock
        # One thread: updates to Slack go out in click order, off the caller's thread.
        self._updates = ThreadPoolExecutor(max_workers=1, thread_name_prefix="verdict-show")

    def handle(self, payload: Any) -> Answer:
        """Check and record one ``block_actions`` payload; the message update is scheduled."""
        if not isinstance(payload, dict) or payload.get("type") != "block_actions":
            return _refuse(400, "not a block_actions payload")
        click = _click(payload)
        if isinstance(click, Answer):
            return click
        action, alert_id, user_id, user_name = click
        notifier, options = self.notifier(), self.options()
        if notifier is None or options is None:
            return _refuse(503, "notify.slack is not running (a dry run?)")
        try:
            team = notifier.team_id()
        except DeliveryError as exc:
            return _refuse(503, f"the bot's workspace is unknown: {exc.message}")
        theirs = (payload.get("team") or {}).get("id") or (payload.get("user") or {}).get("team_id")
        if theirs != team:
            return _refuse(403, f"a click from workspace {str(theirs)[:40]!r}, not ours")
        url = payload.get("response_url")
        if options.verdict_users and user_id not in options.verdict_users:
            self._tell(
                notifier,
                url,
                "Only the desk's analysts record verdicts here "
                "(notify.slack.verdict_users); nothing was recorded.",
            )
            return _refuse(403, f"user {user_id} is not in notify.slack.verdict_users")
        try:
            done = record_verdict(
                self.store,
                alert_id,
                ACTIONS[action],
                user_name,
                by_id=user_id,
                source="slack",
                now=self.clock(),
            )
        except VerdictError as exc:
            self._tell(notifier, url, f"warning has no alert {alert_id}; nothing was recorded.")
            return _refuse(200, exc.message)
        except StoreError as exc:  # Slack shows the clicker that it failed
            return _refuse(500, f"the verdict was not recorded: {exc.message}")
        verdict = done.verdict
        log.info("verdict on alert %d: %s by %s (Slack)", alert_id, verdict.decision, user_name)
        if done.new:
            self._updates.submit(self._show, notifier, payload, alert_id, verdict.decision)
        return Answer(200, "recorded")

    def close(self) -> None:
        """Wait for the updates already scheduled (each bounded by the client's timeout)."""
        self._updates.shutdown(wait=True)

    def _show(
        self, notifier: SlackNotifier, payload: dict[str, Any], alert_id: int, decision: str
    ) -> None:
        """The alert's message names the verdict that stands; its thread says this one.

        The message is the one clicked: an incident's later alerts are replies in its
        thread, and the verdict goes on that reply (never over the thread's parent);
        the line that says it goes in the thread.
        """
        message = payload.get("message") or {}
        container = payload.get("container") or {}
        channel = container.get("channel_id") or (payload.get("channel") or {}).get("id")
        ts = container.get("message_ts") or message.get("ts")
        thread = message.get("thread_ts") or ts
        blocks = message.get("blocks")
        if not (channel and ts and isinstance(blocks, list)):
            log.warning("alert %d: the click names no message to update", alert_id)
            return
        try:
            shown = standing(self.store.verdicts.of_alert(alert_id))
            if shown is None:
                return
            w = notifier.messages.words  # the language the alert was written in
            line = verdict_line(w.verdict(shown.decision), shown.by_name, shown.at, w)
            notifier.show_verdict(
                str(channel), str(ts), str(thread), blocks, str(message.get("text") or ""), line
            )
        except (DeliveryError, StoreError) as exc:
            log.warning(
                "alert %d: verdict %s recorded, not shown in Slack: %s", alert_id, decision, exc
            )

    @staticmethod
    def _tell(notifier: SlackNotifier, url: Any, text: str) -> None:
        if isinstance(url, str) and url:
            notifier.tell(url, text)


def _click(payload: dict[str, Any]) -> tuple[str, int, str, str] | Answer:
    """(action id, alert id, user id, user name) of a verdict button's click."""
    actions = payload.get("actions")
    ours = (
        [a for a in actions if isinstance(a, dict) and a.get("block_id") == VERDICT_BLOCK]
        if isinstance(actions, list)
        else []
    )
    if not ours:
        return _refuse(400, "no verdict button in the payload")
    action, value = ours[0].get("action_id"), ours[0].get("value")
    if action not in ACTIONS:
        return _refuse(400, f"unknown action {str(action)[:40]!r}")
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19):
        return _refuse(400, f"not an alert id: {str(value)[:40]!r}")
    user = payload.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return _refuse(400, "the payload names no user")
    name = user.get("username") or user.get("name") or user["id"]
    return str(action), int(value), user["id"], str(name)


def _refuse(status: int, reason: str) -> Answer:
    log.warning("verdict click refused (%d): %s", status, reason)
    return Answer(status, reason)


# --- the HTTP listener ----------------------------------------------------------------


class _Replays:
    """Signatures seen within the window: a request sent twice is refused the second time."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_time(self, signature: str) -> bool:
        now = self.clock()
        with self._lock:
            if len(self._seen) >= MAX_SEEN:  # forget what the timestamp check refuses anyway
                self._seen = {s: t for s, t in self._seen.items() if now - t <= 2 * WINDOW_S}
            if signature in self._seen or len(self._seen) >= MAX_SEEN:
                return False
            self._seen[signature] = now
            return True


class InteractionServer(Listener):
    """``POST /slack/interactions``: Slack's signed clicks, verified, then :class:`Clicks`."""

    name = "interactions"
    serves = "Slack interactions on {url}" + PATH

    def __init__(
        self,
        host: str,
        port: int,
        clicks: Clicks,
        secret: Callable[[], Secret | None],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clicks = clicks
        self.secret = secret
        self.clock = clock
        self.replays = _Replays(clock)
        super().__init__(host, port, _Handler)

    def close(self) -> None:
        super().close()
        self.clicks.close()

    def verified(self, body: bytes, timestamp: str | None, signature: str | None) -> str | None:
        """Why the request is not Slack's, or None when its signature holds and is new."""
        from slack_sdk.signature import Clock, SignatureVerifier

        secret = self.secret()
        if secret is None:
            return "no notify.slack.signing_secret to verify with"
        if not timestamp or not signature:
            return "unsigned (no X-Slack-Signature or X-Slack-Request-Timestamp)"
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) < 16):
            return "X-Slack-Request-Timestamp is not a Unix time"
        if abs(self.clock() - int(timestamp)) > WINDOW_S:
            return "the timestamp is more than 5 minutes off"
        clock = Clock()
        clock.now = self.clock  # type: ignore[method-assign]
        if not SignatureVerifier(secret.reveal(), clock).is_valid(body, timestamp, signature):
            return "wrong signature"
        if not self.replays.first_time(signature):
            return "replayed (this signature was seen before)"
        return None


class _Handler(BaseHTTPRequestHandler):
    server_version = "warning"
    timeout = CLIENT_TIMEOUT_S  # per read: a silent client is dropped, its thread freed

    def log_message(self, format: str, *args: object) -> None:
        pass  # outcomes are logged by what they mean, not as access lines

    def do_POST(self) -> None:
        assert isinstance(self.server, BoundedServer)
        owner: InteractionServer = self.server.owner
        if self.path.split("?", 1)[0] != PATH:
            self._send(404, f"not found: Slack's request URL is {PATH}")
            return
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            self._send(411, "Content-Length required")
            return
        if int(length) > MAX_BODY:
            self.close_connection = True  # the body is left unread
            self._send(413, f"body over {MAX_BODY} bytes")
            return
        body = self.rfile.read(int(length))
        why = owner.verified(
            body,
            self.headers.get("X-Slack-Request-Timestamp"),
            self.headers.get("X-Slack-Signature"),
        )
        if why is not None:
            log.warning("Slack interaction refused (401): %s", why)
            self._send(401, why)
            return
        try:
            fields = parse_qs(body.decode("utf-8"), strict_parsing=True)
            payload = json.loads(fields["payload"][0])
        except (UnicodeDecodeError, ValueError, KeyError) as exc:
            log.warning("Slack interaction refused (400): not a payload: %s", exc)
            self._send(400, "expected a form with payload=<JSON>")
            return
        answer = owner.clicks.handle(payload)
        self._send(answer.status, answer.reason)

    def _send(self, status: int, text: str) -> None:
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
