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
records every request, failed ones included.
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

from tests.servers import ServerThread


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

    def __init__(self, *, token: str | None = None, first_channel_id: int = 123) -> None:
        self.token = token
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
        if self.token is not None and headers.get("Authorization") != f"Bearer {self.token}":
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {"ok": True, "team": "test", "user": "warning", "user_id": "U0BOT"}
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
