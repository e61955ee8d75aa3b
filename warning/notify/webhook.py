"""Webhook: each alert message as one JSON POST to an endpoint the desk runs.

The body is DESIGN.md's ``{"alert": {...}}`` in UTF-8. With ``notify.webhook.secret``
set, ``X-Warning-Signature: sha256=<hex>`` is the HMAC-SHA256 of the exact body bytes
under that secret, so a receiver can tell our posts from anyone else's. Every retry of
one message carries the same ``X-Warning-Delivery`` id, so a receiver can drop the rare
duplicate the outbox's at-least-once window allows.

``group`` is the key every message of one thread shares: the incident's
(``incident:<id>``) when alerts are grouped (docs/alerts.md, "Grouping"), so a receiver
threads a country's coup, unrest and blackout alerts together; else the alert's own
(``alert:<id>``), which threads its new, escalated and resolved messages.

Redirects are never followed: a POST does not survive most of them, and a receiver
that answers with one could otherwise point the daemon at an address on its own
network. A 3xx is a failure that names the place it pointed to.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import __version__
from ..errors import DeliveryError
from ..records import AlertMessage
from ..redact import scrub
from ..settings import Secret, option, positive, resolve_placeholders
from .base import Notifier
from .templates import render_webhook

if TYPE_CHECKING:  # a type only: httpx is imported where a client is made
    import httpx

log = logging.getLogger(__name__)

SIGNATURE = "X-Warning-Signature"
DELIVERY = "X-Warning-Delivery"
#: Headers the notifier sets itself; ``headers:`` may not replace them.
RESERVED = frozenset(
    h.lower()
    for h in (SIGNATURE, DELIVERY, "Content-Type", "Content-Length", "Host", "Transfer-Encoding")
)
#: How much of a refusing receiver's answer goes into the error (and the log).
EXCERPT = 200
#: RFC 9110 token: what a header name may hold (no spaces, colons, CR or LF).
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: A header value: visible characters, spaces and tabs; no CR, LF or other controls.
_VALUE = re.compile(r"[\t\x20-\x7e\x80-\U0010ffff]*")
_BLANKS = re.compile(r"\s+")


def parse_headers(value: Any) -> tuple[tuple[str, Secret], ...]:
    """``headers:`` -> ``((name, value), ...)``; ValueError naming the header that cannot be sent.

    Values may hold ``${NAME}`` (a systemd credential or an environment variable), as a
    bearer token would; they are kept as secrets so they are never printed.
    """
    if not isinstance(value, dict):
        raise ValueError("expected a mapping of header names to values, like {X-Desk: sahel}")
    out = []
    for name, text in value.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise ValueError(
                f"header name {name!r} is not a valid HTTP header name "
                "(letters, digits and -, no spaces, colons or line breaks)"
            )
        if name.lower() in RESERVED:
            raise ValueError(f"header {name} is set by warning itself and cannot be replaced")
        if not isinstance(text, str):
            raise ValueError(f"header {name}: expected a string, got {text!r}; quote it")
        if not _VALUE.fullmatch(text):
            raise ValueError(
                f"header {name}: the value holds a line break or a control character, "
                "which would start another header"
            )
        try:
            resolved = resolve_placeholders(text)
        except KeyError as exc:
            raise ValueError(
                f"header {name}: ${{{exc.args[0]}}} is not set: export it, or pass it as a "
                f"systemd credential (LoadCredential={exc.args[0]}:/path/to/file)"
            ) from None
        if not _VALUE.fullmatch(resolved):
            raise ValueError(f"header {name}: the value of its placeholder holds a line break")
        out.append((name, Secret(resolved)))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class WebhookOptions:
    """``notify.webhook``: the endpoint (``${NAME}`` allowed: some receivers keep their key
    in the URL), the signing secret, extra headers and the time to wait for an answer."""

    url: Secret
    secret: Secret | None = None
    headers: tuple[tuple[str, Secret], ...] = option((), parse=parse_headers)
    timeout: timedelta = option(timedelta(seconds=10), check=positive)

    def problems(self) -> list[tuple[str, str]]:
        """Only an http(s) URL with a host, and never one carrying a login."""
        parts = urlsplit(self.url.reveal())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return [("url", "expected an http:// or https:// URL, like https://hooks.example.org/")]
        if parts.username is not None or parts.password is not None:
            return [
                (
                    "url",
                    "a login in the URL would be logged with every failure; send it as a "
                    "header instead (headers: {Authorization: Bearer ${TOKEN}})",
                )
            ]
        return []


def body(message: AlertMessage) -> bytes:
    """The POST body, DESIGN.md's fields exactly, as UTF-8 JSON."""
    alert = {
        "id": message.alert_id,
        "rule": message.rule,
        "subject": message.subject,
        "label": message.label,
        "severity": message.severity,
        "decision": message.decision,
        "level": "corroborated" if message.corroborated else "unconfirmed",
        "score": round(message.score, 4),
        "outlets": list(message.outlets),
        "group": group(message),
        "headlines": [
            {"title": h.title, "url": h.link, "outlet": h.outlet} for h in message.headlines
        ],
        "opened_at": message.opened.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
    return json.dumps({"alert": alert}, ensure_ascii=False).encode("utf-8")


def group(message: AlertMessage) -> str:
    """The thread key: one incident's messages share it, or one alert's when not grouped."""
    if message.incident is not None:
        return message.incident.key
    return f"alert:{message.alert_id}"


def signature(secret: str, data: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``data`` under ``secret``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()


class WebhookNotifier(Notifier):
    """POSTs each message to ``notify.webhook.url``; the outbox retries what may succeed later."""

    kind = "webhook"
    Options = WebhookOptions

    def __init__(self, settings: WebhookOptions) -> None:
        import httpx  # here, not at the top: every command loads the registry

        self.settings = settings
        parts = urlsplit(settings.url.reveal())
        #: What errors name: the scheme and host only, as the path may hold a key.
        self.where = f"{parts.scheme}://{parts.netloc}"
        self._client = httpx.Client(
            timeout=settings.timeout.total_seconds(), follow_redirects=False
        )

    def send(self, message: AlertMessage, target: str | None, thread: str | None) -> str:
        """POST ``message``; return its group key, the thread reference later messages get."""
        if target is not None:  # refused in rules at load; test-notify webhook:x gets here
            raise DeliveryError(
                f"webhook: route webhook:{target} names a target",
                "the webhook has one address, notify.webhook.url: route to webhook alone",
                retryable=False,
            )
        # An operator's webhook.body.j2 replaces the body; a failing one falls back to it.
        self._post(render_webhook(message, self.messages) or body(message), message.key)
        return thread or group(message)

    def post_json(self, payload: dict[str, Any], key: str) -> str:
        """POST a message that is not an alert's (the morning brief) as JSON, signed and
        retried like an alert's; ``key`` is its delivery id. Returns ``key``."""
        self._post(json.dumps(payload, ensure_ascii=False).encode("utf-8"), key)
        return key

    def _post(self, data: bytes, key: str) -> None:
        """POST ``data``; DeliveryError saying whether a retry can succeed."""
        import httpx

        headers = {name: value.reveal() for name, value in self.settings.headers}
        headers |= {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"warning/{__version__}",
            "Accept-Encoding": "identity",
            DELIVERY: key,
        }
        if self.settings.secret is not None:
            headers[SIGNATURE] = signature(self.settings.secret.reveal(), data)
        what = f"webhook POST to {self.where}"
        try:
            with self._client.stream(
                "POST", self.settings.url.reveal(), content=data, headers=headers
            ) as response:
                if response.is_success:
                    return
                excerpt = _excerpt(response)
        except httpx.TimeoutException:
            raise DeliveryError(
                f"{what}: no answer within {self.settings.timeout.total_seconds():g}s",
                "the receiver is slow or down; the outbox retries "
                "(notify.webhook.timeout sets the wait)",
            ) from None
        except httpx.TransportError as exc:  # refused, reset, DNS, TLS
            raise DeliveryError(
                f"{what}: {type(exc).__name__}: {scrub(str(exc))}",
                "the receiver cannot be reached; the outbox retries",
            ) from None
        raise _status_error(what, response, excerpt)

    def close(self) -> None:
        self._client.close()


def _excerpt(response: httpx.Response) -> str:
    """The start of the answer's body, on one line: what the receiver said was wrong."""
    got = b""
    for chunk in response.iter_raw():  # asked uncompressed (Accept-Encoding: identity)
        got += chunk
        if len(got) >= EXCERPT * 4:  # never read a huge answer whole
            break
    text = _BLANKS.sub(" ", got.decode("utf-8", "replace")).strip()
    return scrub(text[:EXCERPT] + ("…" if len(text) > EXCERPT else ""))


def _status_error(what: str, response: httpx.Response, excerpt: str) -> DeliveryError:
    """Classify an answer that is not 2xx: what a retry can fix, and when."""
    status = response.status_code
    said = f"{what}: HTTP {status}" + (f": {excerpt}" if excerpt else "")
    if status == 429 or status == 408 or status >= 500:
        wait = retry_after(response.headers.get("Retry-After"))
        return DeliveryError(
            said, "the receiver is failing or busy; the outbox retries", retry_after=wait
        )
    if 300 <= status < 400:
        to = urlsplit(response.headers.get("Location", ""))
        place = f" to {to.scheme}://{to.netloc}" if to.netloc else ""
        return DeliveryError(
            f"{what}: HTTP {status}, a redirect{place}",
            "redirects are not followed: set notify.webhook.url to the address that receives",
            retryable=False,
        )
    if status in (401, 403):
        hint = "the receiver refuses us: check notify.webhook.secret and headers"
    elif status in (404, 405, 410):
        hint = "check notify.webhook.url"
    else:
        hint = "the receiver refused this message; see its answer"
    return DeliveryError(said, hint, retryable=False)


def retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds, from a number of seconds or an HTTP date; None without one."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
