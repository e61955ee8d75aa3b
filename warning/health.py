"""The optional loopback HTTP listener: ``/healthz`` and ``/metrics``.

``/healthz`` answers 200 while the daemon is doing its job and 503 (with the
reason, as JSON) when it is not: the database does not answer, no alert cycle has
finished within three of its intervals, or no source has been polled successfully
within three of the shortest feed interval. A monitoring system (or a load
balancer in front of several instances) polls it; the systemd watchdog is the
other line of defence, for a daemon that hangs outright.

``/metrics`` is the Prometheus exposition of :data:`warning.metrics.REGISTRY`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import metrics
from .errors import StoreError
from .store import Store

log = logging.getLogger(__name__)

#: How many intervals may pass without progress before /healthz fails.
TOLERANCE = 3


@dataclass(frozen=True, slots=True)
class Verdict:
    healthy: bool
    checks: dict[str, Any]


class Health:
    """Judges the daemon from its metrics' timestamps and a database ping."""

    def __init__(
        self,
        store: Store,
        alert_every: timedelta,
        poll_every: timedelta | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.alert_every = alert_every
        self.poll_every = poll_every
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
        healthy = all(v == "ok" for v in checks.values())
        return Verdict(healthy, checks)

    def _recent(self, last: float, every: timedelta, now: float) -> str:
        limit = TOLERANCE * every.total_seconds()
        since = now - max(last, self.started)  # none yet since start: from the start
        if since <= limit:
            return "ok"
        what = "none since start" if last < self.started else f"last {since:.0f}s ago"
        return f"stalled: {what} (limit {limit:.0f}s)"


class HealthServer:
    """A small threaded HTTP server for the two endpoints; start() and close()."""

    def __init__(self, host: str, port: int, health: Health) -> None:
        self.health = health
        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="health", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    def start(self) -> HealthServer:
        self.thread.start()
        log.info("health and metrics on http://%s:%d/", *self.address)
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def metrics_body(self) -> bytes:
        # With the database down /healthz says so; the gauge keeps its last value.
        with contextlib.suppress(StoreError):
            metrics.QUEUE_DEPTH.set(self.health.store.alerts.pending_count())
        return generate_latest(metrics.REGISTRY)


class _Handler(BaseHTTPRequestHandler):
    server_version = "warning"

    def log_message(self, format: str, *args: object) -> None:
        pass  # scrapes every few seconds would flood the journal

    def do_GET(self) -> None:
        owner: HealthServer = self.server.owner  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            verdict = owner.health.verdict()
            body = json.dumps({"healthy": verdict.healthy, **verdict.checks}, indent=2).encode()
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
