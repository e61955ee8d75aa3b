"""A real HTTP server on 127.0.0.1 that speaks enough of the Slack Web API for tests.

::

    with SlackServer() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        slack.fail(500, times=5)                       # five HTTP 500s,
        slack.fail(429, headers={"Retry-After": "1"})  # then a rate limit,
        slack.error("channel_not_found")               # then ok: false (HTTP 200),
        ...                                            # then ok
        slack.posted()   # what reached a channel: channel, text, blocks, thread_ts

It answers ``chat.postMessage``, ``chat.update`` and ``auth.test`` like Slack
(``{"ok": true, "channel": "C0123", "ts": ...}``), takes JSON bodies (what
slack-sdk sends for methods with blocks) and form bodies (the others), and
records every request, failed ones included. Posts to :attr:`SlackServer.response_url`
(what a click's ``response_url`` would be) are answered ``ok`` and kept as
:meth:`SlackServer.notes`. ``apps.connections.open`` answers :attr:`SlackServer.socket_url`,
which a test points at a :class:`SocketModeServer`, the WebSocket end of Socket Mode::

    with SocketModeServer() as socket_mode:
        slack.socket_url = socket_mode.url
        ...                                   # a SocketModeClient connects
        socket_mode.send(envelope)            # an envelope as Slack sends it
        socket_mode.wait_ack(envelope["envelope_id"])
        socket_mode.drop()                    # the TCP connection cut, no close frame
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.servers import ServerThread

#: The workspace the bot belongs to (``auth.test``).
TEAM_ID = "T0TEST"


@dataclass(frozen=True, slots=True)
class Request:
    """One request as received: ``method`` is the API method (``chat.postMessage``)."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: str
    content_type: str


@dataclass(frozen=True, slots=True)
class Message:
    """A message as the server stored it (after a ``chat.postMessage`` or ``chat.update``)."""

    channel: str
    ts: str
    text: str | None
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None
    args: dict[str, Any] = field(repr=False)


@dataclass(frozen=True, slots=True)
class Canned:
    """One scripted answer; see :meth:`SlackServer.fail`."""

    status: int | None
    body: dict[str, Any] | str | None
    headers: tuple[tuple[str, str], ...]
    method: str | None
    delay: float
    drop: bool


class SlackServer:
    """Threaded loopback server; scripted failures are consumed first, in order."""

    def __init__(
        self,
        *,
        token: str | None = None,
        app_token: str | None = None,
        first_channel_id: int = 123,
    ) -> None:
        self.token = token
        self.app_token = app_token
        #: What ``apps.connections.open`` answers (a SocketModeServer's url).
        self.socket_url = "ws://127.0.0.1:9/unset"
        self.requests: list[Request] = []
        self._messages: list[Message] = []
        self._updates: list[Message] = []
        self._canned: deque[Canned] = deque()
        self._channels: dict[str, str] = {}
        self._next_channel = first_channel_id
        self._next_ts = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.slack = self
        self._serving = ServerThread(self._httpd, "slackserver")

    # --- lifecycle --------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._serving.port

    @property
    def base_url(self) -> str:
        """What WebClient's ``base_url`` wants: ends with ``/api/``."""
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def response_url(self) -> str:
        """A click's ``response_url``, as Slack would give it, on this server."""
        return f"http://127.0.0.1:{self.port}/actions/{TEAM_ID}/1/response"

    def start(self) -> SlackServer:
        self._serving.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # delayed answers end now
        self._serving.stop()

    def __enter__(self) -> SlackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- scripting --------------------------------------------------------------

    def fail(
        self,
        status: int,
        *,
        body: dict[str, Any] | str | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        method: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests (of ``method``, or any) with ``status``.

        ``body`` defaults to ``{"ok": false, "error": "ratelimited"}`` for 429 and to
        a plain-text error page otherwise.
        """
        if body is None:
            body = {"ok": False, "error": "ratelimited"} if status == 429 else "upstream error\n"
        self._queue(times, Canned(status, body, tuple((headers or {}).items()), method, 0, False))

    def error(self, code: str, *, times: int = 1, method: str | None = None) -> None:
        """Answer HTTP 200 ``{"ok": false, "error": code}``, as Slack does for API errors."""
        self.fail(200, body={"ok": False, "error": code}, times=times, method=method)

    def delay(self, seconds: float, *, times: int = 1, method: str | None = None) -> None:
        """Handle the request normally (it takes effect), but answer ``seconds`` late."""
        self._queue(times, Canned(None, None, (), method, seconds, False))

    def drop(self, *, times: int = 1, method: str | None = None) -> None:
        """Read the request, then close the connection without answering."""
        self._queue(times, Canned(None, None, (), method, 0, True))

    def _queue(self, times: int, canned: Canned) -> None:
        with self._lock:
            self._canned.extend([canned] * times)

    def _take(self, method: str) -> Canned | None:
        with self._lock:
            for i, canned in enumerate(self._canned):
                if canned.method in (None, method):
                    del self._canned[i]
                    return canned
        return None

    # --- what was received ------------------------------------------------------

    def posted(self) -> list[Message]:
        """Messages accepted by ``chat.postMessage``, in order (thread replies included)."""
        with self._lock:
            return list(self._messages)

    def updates(self) -> list[Message]:
        """Accepted ``chat.update`` calls, in order, each with the new content."""
        with self._lock:
            return list(self._updates)

    def notes(self) -> list[dict[str, Any]]:
        """What was posted to :attr:`response_url` (ephemeral notes to a clicker), in order."""
        with self._lock:
            return [r.body for r in self.requests if r.path.startswith("/actions/")]

    def calls(self, method: str) -> list[Request]:
        """Every request of one API method, answered well or not."""
        with self._lock:
            return [r for r in self.requests if r.method == method]

    def channel_id(self, name: str) -> str:
        """The ID the server gives a name (``#desk`` -> ``C0123``); an ID maps to itself."""
        with self._lock:
            return self._channel_id(name)

    def _channel_id(self, name: str) -> str:
        if name.startswith(("C", "G", "D")) and name.isalnum() and name.isupper():
            return name
        if name not in self._channels:
            self._channels[name] = f"C{self._next_channel:04d}"
            self._next_channel += 1
        return self._channels[name]

    # --- the API ----------------------------------------------------------------

    def answer(self, method: str, headers: dict[str, str], args: dict[str, Any]) -> dict[str, Any]:
        if method.startswith("/actions/"):
            return {"ok": True}
        if method == "apps.connections.open":
            if self.app_token is not None and headers.get("Authorization") != (
                f"Bearer {self.app_token}"
            ):
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.socket_url}
        if self.token is not None and headers.get("Authorization") != f"Bearer {self.token}":
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {
                "ok": True,
                "team": "test",
                "team_id": TEAM_ID,
                "user": "warning",
                "user_id": "U0BOT",
            }
        if method not in ("chat.postMessage", "chat.update"):
            return {"ok": False, "error": "unknown_method"}
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        with self._lock:
            channel = self._channel_id(str(args["channel"]))
            if method == "chat.update":
                if not any(m.channel == channel and m.ts == args.get("ts") for m in self._messages):
                    return {"ok": False, "error": "message_not_found"}
                ts = str(args["ts"])
                self._updates.append(_message(channel, ts, args))
            else:
                self._next_ts += 1
                ts = f"{1700000000 + self._next_ts}.{self._next_ts:06d}"
                self._messages.append(_message(channel, ts, args))
        shown = {"type": "message", "text": args.get("text"), "ts": ts}
        if args.get("blocks") is not None:
            shown["blocks"] = args["blocks"]
        return {"ok": True, "channel": channel, "ts": ts, "message": shown}

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)


def _message(channel: str, ts: str, args: dict[str, Any]) -> Message:
    blocks = args.get("blocks")
    if isinstance(blocks, str):  # form bodies carry blocks as a JSON string
        blocks = json.loads(blocks)
    thread_ts = args.get("thread_ts")
    return Message(
        channel=channel,
        ts=ts,
        text=args.get("text"),
        blocks=blocks,
        thread_ts=str(thread_ts) if thread_ts else None,
        args=dict(args),
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    slack: SlackServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        slack = self.server.slack
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        split = urlsplit(self.path)
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            body: dict[str, Any] = json.loads(raw) if raw else {}
        else:
            body = dict(parse_qsl(raw, keep_blank_values=True))
        body.update(parse_qsl(split.query, keep_blank_values=True))
        method = split.path.removeprefix("/api/")
        headers = dict(self.headers.items())
        slack._record(Request(method, split.path, headers, body, raw, content_type))

        canned = slack._take(method)
        if canned is not None and canned.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if canned is not None and canned.status is not None:
            self._send(canned.status, canned.body, canned.headers)
            return
        answer = slack.answer(method, headers, body)
        if canned is not None and slack._stop.wait(canned.delay):
            self.close_connection = True
            return
        self._send(200, answer, ())

    def _send(
        self, status: int, body: dict[str, Any] | str | None, headers: tuple[tuple[str, str], ...]
    ) -> None:
        if isinstance(body, dict):
            data, content_type = json.dumps(body).encode(), "application/json; charset=utf-8"
        else:
            data, content_type = (body or "").encode(), "text/plain; charset=utf-8"
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout): nothing to do


class SocketModeServer:
    """A WebSocket server on 127.0.0.1 standing in for Slack's end of Socket Mode.

    Each connection is greeted with ``hello``, as Slack does; what the client sends
    back (acknowledgements: ``{"envelope_id": ...}``) is kept in :attr:`received`.
    """

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.connections = 0
        self._current: ServerConnection | None = None
        self._changed = threading.Condition()
        self._server: Server = serve(self._session, "127.0.0.1", 0)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="socketmode", daemon=True
        )

    @property
    def url(self) -> str:
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=test-ticket"

    def __enter__(self) -> SocketModeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    def _session(self, connection: ServerConnection) -> None:
        with self._changed:
            self._current = connection
            self.connections += 1
            self._changed.notify_all()
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        with contextlib.suppress(ConnectionClosed):
            for message in connection:
                with self._changed:
                    self.received.append(json.loads(message))
                    self._changed.notify_all()

    def wait_connections(self, count: int, timeout: float = 20.0) -> None:
        """Until ``count`` connections have been made in all (a reconnection makes two)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.connections >= count, timeout):
                raise AssertionError(f"{self.connections} connections, expected {count}")

    def send(self, envelope: dict[str, Any]) -> None:
        """Send ``envelope`` on the latest connection."""
        with self._changed:
            connection = self._current
        assert connection is not None, "no client connected"
        connection.send(json.dumps(envelope))

    def wait_ack(self, envelope_id: str, timeout: float = 20.0) -> dict[str, Any]:
        """The client's acknowledgement of ``envelope_id``."""

        def found() -> dict[str, Any] | None:
            return next((m for m in self.received if m.get("envelope_id") == envelope_id), None)

        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None, timeout):
                raise AssertionError(f"no acknowledgement of {envelope_id}: {self.received}")
            ack = found()
        assert ack is not None
        return ack

    def drop(self) -> None:
        """Cut the latest connection's TCP stream, as a network failure would: no close frame."""
        with self._changed:
            connection = self._current
        assert connection is not None, "no client connected"
        with contextlib.suppress(OSError):
            connection.socket.shutdown(socket.SHUT_RDWR)
