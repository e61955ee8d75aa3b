"""The situation page's HTTP server: routes, the optional token, and the safety headers.

It runs on the daemon's small stdlib server (:class:`~warning.service.health.BoundedServer`:
a thread per connection, a bounded number of them, slow clients dropped), on its own
read-only connection to the database (:func:`warning.store.situation.read_only`). Only
GET and HEAD are answered (405 otherwise), so nothing here changes state. With a token,
every request needs ``Authorization: Bearer <token>``, or Basic authentication with the
token as password (what a browser can send); both are compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..alerting.views import alert_json
from ..errors import StoreError
from ..geo.countries import is_code
from ..geo.zones import Zone
from ..service.health import CLIENT_TIMEOUT_S, BoundedServer, Listener
from ..store import Store
from ..store.situation import read_only
from . import api, pages
from .situation import countries, country

log = logging.getLogger(__name__)

#: Scripts: none. Styles: our sheet. Images: our inline SVG and the data: favicon.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
HTML = "text/html; charset=utf-8"
JSON = "application/json"
STYLE = Path(__file__).with_name("style.css")
_COUNTRY = re.compile(r"/(api/)?country/([A-Za-z]{2})")
_ALERT = re.compile(r"/(api/)?alerts/(\d{1,18})")


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    content_type: str
    body: bytes


def _html(text: str, status: int = 200) -> Response:
    return Response(status, HTML, text.encode())


def _json(value: Any, status: int = 200) -> Response:
    return Response(status, JSON, (json.dumps(value, indent=1) + "\n").encode())


def _missing(api_path: bool, message: str) -> Response:
    if api_path:
        return _json({"error": message}, 404)
    return _html(pages.error(404, message), 404)


@functools.cache
def _style() -> bytes:
    return STYLE.read_bytes()


class Site:
    """The pages and their JSON, over one store; ``zones`` follows the configuration."""

    def __init__(
        self,
        store: Store,
        zones: Callable[[], tuple[Zone, ...]],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.zones = zones
        self.clock = clock

    def answer(self, target: str) -> Response:
        """The response to a GET of ``target`` (path and query)."""
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        query = parse_qs(parts.query)
        if path == "/style.css":
            return Response(200, "text/css; charset=utf-8", _style())
        if path == "/":
            return self.index()
        if path == "/api/countries":
            return _json([api.country_state(s) for s in countries(self.store, self.clock())])
        if path == "/api/alerts":
            return self.alerts(query.get("status", ["open"])[0])
        if match := _COUNTRY.fullmatch(path):
            return self.country(match.group(2).upper(), api_path=bool(match.group(1)))
        if match := _ALERT.fullmatch(path):
            return self.alert(int(match.group(2)), api_path=bool(match.group(1)))
        return _missing(path.startswith("/api/"), f"no page at {path}; try / or /api/countries")

    def index(self) -> Response:
        states = countries(self.store, self.clock())
        found = self.store.situation.open_alerts()
        updated = self.store.situation.last_change()
        return _html(pages.index(states, found, self.zones(), updated))

    def alerts(self, status: str) -> Response:
        if status not in ("open", "resolved", "all"):
            return _json({"error": f"status {status!r}: use open, resolved or all"}, 400)
        if status == "open":
            found = self.store.situation.open_alerts()
        else:
            found = self.store.alerts.recent(None if status == "all" else status, 200)
        return _json([alert_json(a) for a in found])

    def country(self, code: str, *, api_path: bool) -> Response:
        if not is_code(code):
            return _missing(api_path, f"{code} is not an ISO 3166 country code")
        state, trends = country(self.store, code, self.clock())
        about = self.store.situation.alerts_about(code)
        latest = self.store.situation.latest_items(code)
        if api_path:
            return _json(api.country(state, trends, about, latest))
        updated = self.store.situation.last_change()
        return _html(pages.country(state, trends, about, latest, updated))

    def alert(self, alert_id: int, *, api_path: bool) -> Response:
        detail = self.store.situation.alert_detail(alert_id)
        if detail is None:
            return _missing(api_path, f"no alert #{alert_id}")
        if api_path:
            return _json(api.alert_detail(detail))
        return _html(pages.alert(detail, self.store.situation.last_change()))


def authorized(header: str | None, token: str) -> bool:
    """Whether an Authorization header carries ``token`` (Bearer, or Basic's password)."""
    if not header:
        return False
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "basic":
        try:
            value = base64.b64decode(value, validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return False
    elif scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.encode(), token.encode())


class WebServer(Listener):
    """The situation page on ``host:port``; closing it closes its read-only store."""

    name = "web"
    serves = "situation page on {url}/"

    def __init__(self, host: str, port: int, site: Site, token: str | None = None) -> None:
        self.site = site
        self.token = token
        super().__init__(host, port, _Handler)

    def close(self) -> None:
        super().close()
        self.site.store.close()


def open_site(url: str, zones: Callable[[], tuple[Zone, ...]]) -> Site:
    """A Site on its own read-only store at ``url``, which must exist already."""
    from ..store import open_store

    store = open_store(url, migrate=False, create=False)
    read_only(store.db)
    return Site(store, zones)


class _Handler(BaseHTTPRequestHandler):
    server_version = "warning"
    timeout = CLIENT_TIMEOUT_S

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _owner(self) -> WebServer:
        assert isinstance(self.server, BoundedServer)
        owner: WebServer = self.server.owner
        return owner

    def _respond(self, head_only: bool) -> None:
        owner = self._owner()
        if owner.token is not None and not authorized(
            self.headers.get("Authorization"), owner.token
        ):
            body = b"401: this page needs the token (web.token): Authorization: Bearer <token>\n"
            self._send(Response(401, "text/plain; charset=utf-8", body), head_only, auth=True)
            return
        try:
            response = owner.site.answer(self.path)
        except StoreError as exc:
            log.warning("situation page: %s", exc.message)
            response = _html(pages.error(503, f"the database does not answer: {exc.message}"), 503)
        self._send(response, head_only)

    def do_GET(self) -> None:
        self._respond(head_only=False)

    def do_HEAD(self) -> None:
        self._respond(head_only=True)

    def _refuse(self) -> None:
        body = b"405: this page only reads; use GET or HEAD\n"
        self.close_connection = True  # the request's body is never read
        self._send(Response(405, "text/plain; charset=utf-8", body), False, allow=True)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _refuse

    def _send(
        self, response: Response, head_only: bool, *, auth: bool = False, allow: bool = False
    ) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in HEADERS.items():
            self.send_header(name, value)
        if auth:
            self.send_header("WWW-Authenticate", 'Basic realm="warning", charset="UTF-8"')
            self.send_header("WWW-Authenticate", 'Bearer realm="warning"')
        if allow:
            self.send_header("Allow", "GET, HEAD")
        self.end_headers()
        if not head_only:
            self.wfile.write(response.body)
