"""The optional loopback HTTP listener: ``/healthz`` and ``/metrics``.

``/healthz`` answers 200 while the daemon is doing its job and 503 (with the
reason, as JSON) when it is not: the database does not answer, no alert cycle has
finished within three of its intervals, no source has been polled successfully
within three of the shortest feed interval, or ingestion is stuck — a feed overdue
by three of its intervals (and by more than a poll may take), or a poll in flight
longer than a poll may take. The process can be alive and its scheduler ticking
while every worker is wedged: only the feeds' own due times show it. A monitoring
system (or a load balancer in front of several instances) polls it; the systemd
watchdog is the other line of defence, for a daemon that hangs outright.

The listener gives each client a few seconds to send its request and serves a
bounded number at once: an idle or slow client costs one thread for a while, and
a flood of them is closed at the door instead of becoming thousands of threads.

``/metrics`` is the Prometheus exposition of :data:`warning.metrics.REGISTRY`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .. import metrics
from ..alerting.verdicts import report
from ..errors import StoreError
from ..store import Store

log = logging.getLogger(__name__)

#: How many intervals may pass without progress before /healthz fails.
TOLERANCE = 3
#: Seconds a client may stay silent mid-request before its connection is dropped.
CLIENT_TIMEOUT_S = 5.0
#: Seconds a connection may last, request and answer (none of ours needs a second).
CONNECTION_S = 15.0
#: Connections served at once; more are closed at once (a scraper and a probe need two).
MAX_CONNECTIONS = 32
#: The period the verdict gauges cover, as ``warning alerts report``'s default.
VERDICT_PERIOD = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Verdict:
    healthy: bool
    checks: dict[str, Any]
    #: The feeds behind a failed "feeds" check: feed, since (ISO time), reason.
    stuck: tuple[dict[str, Any], ...] = ()


class Health:
    """Judges the daemon from its metrics' timestamps, the feeds' due times and a
    database ping.

    ``feeds`` gives the configured feeds' intervals by name (it changes on reload);
    ``poll_budget`` is how long one poll may take (``pipeline.poll_budget``). The
    feeds check runs when either is given.
    """

    def __init__(
        self,
        store: Store,
        alert_every: timedelta,
        poll_every: timedelta | None,
        *,
        feeds: Callable[[], Mapping[str, timedelta]] | None = None,
        poll_budget: timedelta | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.alert_every = alert_every
        self.poll_every = poll_every
        self.feeds = feeds
        self.poll_budget = poll_budget
        self.clock = clock
        self.started = clock()

    def verdict(self) -> Verdict:
        now = self.clock()
        checks: dict[str, Any] = {}
        try:
            self.store.ping()
            checks["database"] = "ok"
        except StoreError as exc:
            checks["database"] = f"unreachable: {exc.message}"
        checks["alert_cycle"] = self._recent(
            metrics.value("warning_last_alert_cycle_timestamp_seconds"), self.alert_every, now
        )
        if self.poll_every is not None:
            checks["polls"] = self._recent(
                metrics.value("warning_last_successful_poll_timestamp_seconds"),
                self.poll_every,
                now,
            )
        stuck: list[dict[str, Any]] = []
        if self.feeds is not None or self.poll_budget is not None:
            stuck = self._stuck(now)
            names = ", ".join(dict.fromkeys(s["feed"] for s in stuck))
            checks["feeds"] = f"stuck: {names}" if stuck else "ok"
        healthy = all(v == "ok" for v in checks.values())
        return Verdict(healthy, checks, tuple(stuck))

    def _stuck(self, now: float) -> list[dict[str, Any]]:
        """Feeds whose ingestion is not progressing, with since when and why."""
        budget = self.poll_budget.total_seconds() if self.poll_budget else 0.0
        stuck: dict[str, dict[str, Any]] = {}
        for feed, started in metrics.polls_in_flight() if self.poll_budget else ():
            if now - started > budget and feed not in stuck:
                stuck[feed] = _stuck(
                    feed, started, f"a poll in flight for {now - started:.0f}s", budget
                )
        feeds = self.feeds() if self.feeds is not None else {}
        try:
            states = self.store.feed_states() if feeds else {}
        except StoreError:
            states = {}  # the database check says so
        for name, every in feeds.items():
            state = states.get(name)
            due = state.next_due.timestamp() if state and state.next_due else self.started
            # Nothing is late before the daemon started; a feed backing off after
            # failures has its next due time in the future, so it is not late either.
            since = max(due, self.started)
            limit = max(TOLERANCE * every.total_seconds(), budget)
            if now - since > limit and name not in stuck:
                stuck[name] = _stuck(name, since, f"overdue by {now - since:.0f}s", limit)
        return list(stuck.values())

    def _recent(self, last: float, every: timedelta, now: float) -> str:
        limit = TOLERANCE * every.total_seconds()
        since = now - max(last, self.started)  # none yet since start: from the start
        if since <= limit:
            return "ok"
        what = "none since start" if last < self.started else f"last {since:.0f}s ago"
        return f"stalled: {what} (limit {limit:.0f}s)"


def _stuck(feed: str, since: float, what: str, limit: float) -> dict[str, Any]:
    when = datetime.fromtimestamp(since, UTC).isoformat(timespec="seconds")
    return {"feed": feed, "since": when, "reason": f"{what} (limit {limit:.0f}s)"}


class BoundedServer(ThreadingHTTPServer):
    """A thread per connection, at most MAX_CONNECTIONS of them; ``owner`` is the
    listener its handlers serve (this one's, and the Slack interactions')."""

    daemon_threads = True
    request_queue_size = 64  # the listen backlog: a burst is accepted, then judged

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], owner: Any
    ) -> None:
        super().__init__(address, handler)
        self.owner = owner
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        #: A connection's whole life (one request: HTTP/1.0, no keep-alive).
        self.connection_s = CONNECTION_S
        # The per-read client timeout leaves a client trickling a byte a second its slot
        # for as long as it likes (the Slack endpoint faces the internet): one thread
        # cuts every connection that outlives connection_s, whatever it is doing.
        self._deadlines: dict[Any, float] = {}
        self._reaping = threading.Condition()
        self._closing = False
        self._reaper = threading.Thread(target=self._reap, name="listener-reaper", daemon=True)
        self._reaper.start()

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            self.shutdown_request(request)  # over the limit: closed, no thread
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._reaping:
            self._deadlines[request] = time.monotonic() + self.connection_s
            self._reaping.notify()
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._reaping:
                self._deadlines.pop(request, None)
            self.slots.release()

    def server_close(self) -> None:
        with self._reaping:
            self._closing = True
            self._reaping.notify()
        super().server_close()

    def _reap(self) -> None:
        with self._reaping:
            while not self._closing:
                now = time.monotonic()
                for connection, deadline in list(self._deadlines.items()):
                    if deadline <= now:
                        del self._deadlines[connection]
                        with contextlib.suppress(OSError):  # closed already
                            connection.shutdown(socket.SHUT_RDWR)
                soonest = min(self._deadlines.values(), default=None)
                self._reaping.wait(None if soonest is None else soonest - now)


class Listener:
    """A :class:`BoundedServer` on its own thread, serving one owner; start() and close().

    The health endpoints, Slack's clicks and the situation page each are one: they
    differ in their handler, their thread's name and what the log says they serve.
    """

    #: The thread's name, and what the start-up log line says is served (a URL path).
    name: str = "listener"
    serves: str = "{url}"

    def __init__(self, host: str, port: int, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = BoundedServer((host, port), handler, self)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=self.name, daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    def start(self) -> Self:
        self.thread.start()
        log.info(self.serves.format(url="http://{}:{}".format(*self.address)))
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class HealthServer(Listener):
    """``/healthz`` and ``/metrics``."""

    name = "health"
    serves = "health and metrics on {url}/"

    def __init__(self, host: str, port: int, health: Health) -> None:
        self.health = health
        super().__init__(host, port, _Handler)

    def metrics_body(self) -> bytes:
        # With the database down /healthz says so; the gauge keeps its last value.
        with contextlib.suppress(StoreError):
            store = self.health.store
            metrics.QUEUE_DEPTH.set(store.alerts.pending_count())
            since = datetime.now(UTC) - VERDICT_PERIOD
            metrics.verdicts_reported(report(store.verdicts.opened_since(since)))
        return generate_latest(metrics.REGISTRY)


class _Handler(BaseHTTPRequestHandler):
    server_version = "warning"
    timeout = CLIENT_TIMEOUT_S  # per read: a silent client is dropped, its thread freed

    def log_message(self, format: str, *args: object) -> None:
        pass  # scrapes every few seconds would flood the journal

    def do_GET(self) -> None:
        assert isinstance(self.server, BoundedServer)
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            verdict = owner.health.verdict()
            answer = {"healthy": verdict.healthy, **verdict.checks}
            if verdict.stuck:
                answer["stuck"] = list(verdict.stuck)
            body = json.dumps(answer, indent=2).encode()
            self._send(200 if verdict.healthy else 503, "application/json", body)
        elif path == "/metrics":
            self._send(200, CONTENT_TYPE_LATEST, owner.metrics_body())
        else:
            self._send(404, "text/plain", b"not found: try /healthz or /metrics\n")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
