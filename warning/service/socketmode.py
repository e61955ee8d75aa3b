"""Slack's Socket Mode: verdict clicks over an outbound WebSocket, for a desk whose
server takes no inbound connection (``notify.slack.app_token``, ``xapp-...``).

slack-sdk's built-in client speaks the protocol: ``apps.connections.open`` for a
fresh WebSocket URL, pings to notice a dead connection, Slack's ``disconnect``
requests. Reconnecting is ours: the client's own retries run at a fixed interval,
ours back off (1 s doubling to a minute, with jitter) so an outage or a revoked token
is not hammered, and a dropped connection is noticed within a second.

Each envelope is acknowledged with its ``envelope_id`` once its click is handled
(:class:`~warning.service.interactions.Clicks`, as over HTTP): the verdict is in the
database before Slack hears that it arrived. A click that could not be recorded is
not acknowledged, so the analyst sees Slack's own error on the button.
"""

from __future__ import annotations

import logging
import random
import threading
from typing import TYPE_CHECKING, Any

from ..settings import Secret
from .interactions import Clicks

if TYPE_CHECKING:
    from slack_sdk.socket_mode.builtin import SocketModeClient
    from slack_sdk.socket_mode.client import BaseSocketModeClient
    from slack_sdk.socket_mode.request import SocketModeRequest

log = logging.getLogger(__name__)

#: How often the connection is looked at; a drop is noticed this fast.
CHECK_S = 1.0
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 60.0


class SocketMode:
    """The Socket Mode connection for the daemon's lifetime: start() and close()."""

    def __init__(
        self,
        app_token: Secret,
        base_url: str,
        clicks: Clicks,
        *,
        ping_interval: float = 5.0,
        backoff_max: float = BACKOFF_MAX_S,
    ) -> None:
        from slack_sdk import WebClient
        from slack_sdk.socket_mode.builtin import SocketModeClient

        self.clicks = clicks
        self.backoff_max = backoff_max
        self._stop = threading.Event()
        web = WebClient(base_url=base_url, timeout=10, retry_handlers=[])
        self.client: SocketModeClient = SocketModeClient(
            app_token.reveal(),
            logger=logging.getLogger(f"{__name__}.sdk"),
            web_client=web,
            auto_reconnect_enabled=False,  # ours, with backoff (the supervisor below)
            ping_interval=ping_interval,
            concurrency=2,
        )
        self.client.socket_mode_request_listeners.append(self._on_request)
        self.thread = threading.Thread(target=self._supervise, name="socket-mode", daemon=True)

    def start(self) -> SocketMode:
        self.thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=15)  # a connection attempt in flight ends within its timeout
        self.client.close()
        self.clicks.close()

    def connected(self) -> bool:
        return self.client.is_connected()

    def _supervise(self) -> None:
        """Connect, and connect again whenever the connection is gone, backing off."""
        delay = BACKOFF_FIRST_S
        while not self._stop.is_set():
            if self.client.is_connected():
                delay = BACKOFF_FIRST_S
                self._stop.wait(CHECK_S)
                continue
            try:
                self.client.connect_to_new_endpoint()
            except Exception as exc:  # the SDK raises anything; all of it is retried
                log.error("Slack Socket Mode: cannot connect: %s", _why(exc))
            if self.client.is_connected():
                log.info("Slack Socket Mode: connected")
                continue
            wait = delay * random.uniform(1.0, 1.2)
            log.warning("Slack Socket Mode: not connected; trying again in %.0fs", wait)
            self._stop.wait(wait)
            delay = min(delay * 2, self.backoff_max)

    def _on_request(self, client: BaseSocketModeClient, request: SocketModeRequest) -> None:
        from slack_sdk.socket_mode.response import SocketModeResponse

        if request.type == "interactive":
            try:
                answer = self.clicks.handle(request.payload)
            except Exception:
                log.exception("Slack Socket Mode: a click failed; not acknowledged")
                return
            if answer.status >= 500:  # not recorded, and a retry by the analyst may work
                return
        # Refused clicks and other envelopes are acknowledged too: they were received,
        # and a refusal would not change if the analyst clicked again.
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))


def _why(exc: Exception) -> str:
    """The error of a failed ``apps.connections.open``, with what to do about it."""
    response: Any = getattr(exc, "response", None)
    code = response.get("error") if response is not None else None
    if code in ("invalid_auth", "not_authed", "token_revoked"):
        return f"{code}: check notify.slack.app_token (an app-level xapp-... token)"
    if code == "missing_scope":
        return "missing_scope: the app-level token needs connections:write"
    return str(exc)[:300]
