"""Slack: one Block Kit message per alert; later decisions go into its thread.

The first message of an alert is posted to the channel and its reference
(``<channel id>:<ts>``) returned; each later decision updates that parent so it
shows the current state, then posts the new message as a thread reply.

Headlines, links and terms come from feeds and are untrusted: every mrkdwn and
``text`` field is escaped (``&``, ``<``, ``>``, Slack's documented escaping), so
``<!channel>`` in a headline reaches Slack as literal text and pings no one.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from ..records import AlertMessage, Headline
from ..settings import Secret
from . import render
from .base import LOOPBACK, DeliveryError, Notifier, is_loopback

if TYPE_CHECKING:  # a type only: the SDK is imported where a client is made
    from slack_sdk.web import SlackResponse

# slack_sdk is imported where a client is made: every command loads the notifier
# registry, and only those that send to Slack need the SDK (30 ms to import).

log = logging.getLogger(__name__)

# Slack's limits (Block Kit reference, chat.postMessage), counted after escaping. We
# send at most four blocks, far from the limit of 50.
HEADER_MAX = 150
SECTION_MAX = 3000
TEXT_MAX = 4000
# Our own caps, so that one hostile headline cannot crowd out the rest.
HEADLINES_MAX = 10
TITLE_MAX = 200
OUTLET_MAX = 80
URL_MAX = 1000
TERMS_MAX = 1000
ELLIPSIS = "…"

_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Everything else (space, quotes, <, >, |, non-ASCII) is percent-encoded: a URL
# must not end the <url|label> syntax early nor start a label of its own.
_URL_SAFE = "/?#[]@!$&'()*+,;=:%-._~"

_TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable"}
_REINSTALL = "reinstall the Slack app and put its new bot token in notify.slack.token"
_BUG = "the message broke a Slack limit: a bug in warning's Slack rendering, please report it"
_HINTS = {
    "channel_not_found": "check notify.slack.channel (or the route's override); "
    "for a private channel, invite the bot to it first",
    "not_in_channel": "invite the bot to the channel (/invite @<bot name>)",
    "is_archived": "the channel is archived: unarchive it or route alerts elsewhere",
    "invalid_auth": "check notify.slack.token: it must be a bot token (xoxb-...)",
    "not_authed": "set notify.slack.token",
    "account_inactive": _REINSTALL,
    "token_revoked": _REINSTALL,
    "token_expired": _REINSTALL,
    "missing_scope": "give the Slack app the chat:write scope, then reinstall it",
    "restricted_action": "a workspace admin restricts posting there: ask them",
    "msg_too_long": _BUG,
    "invalid_blocks": _BUG,
    "invalid_blocks_format": _BUG,
}


def escape(text: str) -> str:
    """Slack's escaping for mrkdwn and ``text``: only ``&``, ``<`` and ``>``."""
    return text.translate(_ENTITIES)


def clip(text: str, limit: int) -> str:
    """Cut escaped ``text`` to ``limit`` characters with an ellipsis, never inside ``&amp;``."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    amp = cut.rfind("&", max(0, len(cut) - 4))  # an entity is at most 5 characters
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS


def _line(text: str, limit: int) -> str:
    """Untrusted text on one line (a newline could start a quote or a list), cut to ``limit``."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def safe_url(url: str | None) -> str | None:
    """``url`` ready to sit inside ``<...|label>``, or None when it must not be a link."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    encoded = escape(quote(url.strip(), safe=_URL_SAFE))
    return encoded if len(encoded) <= URL_MAX else None


def link(url: str | None, label: str) -> str:
    """``<url|label>`` with both parts made safe, or the escaped label alone."""
    text = escape(_line(label, TITLE_MAX) or "(untitled)")
    href = safe_url(url)
    return f"<{href}|{text}>" if href else text


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: no automatic linking of channel names, URLs or bare @mentions.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _evidence(headlines: Sequence[Headline]) -> str:
    lines = ["*Evidence*"]
    size = len(lines[0])
    room = SECTION_MAX - 40  # kept for the "and N more" line
    shown = 0
    for h in headlines[:HEADLINES_MAX]:
        line = f"• {link(h.link, h.title)} — {escape(_line(h.outlet, OUTLET_MAX))}"
        if size + 1 + len(line) > room:
            break
        lines.append(line)
        size += 1 + len(line)
        shown += 1
    if len(headlines) > shown:
        lines.append(f"_and {len(headlines) - shown} more_")
    return "\n".join(lines)


def render_blocks(message: AlertMessage) -> list[dict[str, Any]]:
    """The Block Kit layout: title, status, evidence links, then terms and provenance."""
    title = _line(render.title(message), HEADER_MAX)  # plain_text: never parsed for mentions
    status = escape(render.status_line(message))
    if message.note:
        status += "\n" + escape(message.note)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}},
        {"type": "section", "text": _mrkdwn(clip(status, SECTION_MAX))},
    ]
    if message.headlines:
        blocks.append({"type": "section", "text": _mrkdwn(_evidence(message.headlines))})
    context = []
    if message.terms:
        terms = ", ".join(_line(t, TERMS_MAX) for t in message.terms)
        context.append(_mrkdwn(clip("Terms: " + escape(terms), TERMS_MAX)))
    model = escape(_line(message.model or "none", 200))
    context.append(_mrkdwn(f"model {model} · alert {message.alert_id}"))
    blocks.append({"type": "context", "elements": context})
    return blocks


def fallback_text(message: AlertMessage) -> str:
    """The plain ``text`` (notifications, screen readers), escaped and within 4,000 characters."""
    return clip(escape(render.plain_text(message)), TEXT_MAX)


def parse_reference(reference: str) -> tuple[str, str]:
    """``C123:1700000000.000100`` -> (channel id, message ts)."""
    channel, sep, ts = reference.partition(":")
    if not (sep and channel and ts):
        raise DeliveryError(
            f"not a Slack thread reference: {reference!r}",
            "the stored delivery reference is corrupt; this alert's thread cannot continue",
            retryable=False,
        )
    return channel, ts


@dataclass(frozen=True, slots=True)
class SlackOptions:
    """``notify.slack``: a bot token and the default channel."""

    token: Secret
    channel: str
    base_url: str = "https://slack.com/api/"

    def problems(self) -> list[tuple[str, str]]:
        """The bot token goes with every request: never over plain HTTP off this machine."""
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return [("base_url", "expected an https:// URL, like https://slack.com/api/")]
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            return [
                (
                    "base_url",
                    f"plain http:// would send the bot token in clear to {parts.hostname}; "
                    f"use https:// (http:// is only allowed to {LOOPBACK})",
                )
            ]
        return []


class SlackNotifier(Notifier):
    """Posts alerts with the Slack Web API (a bot token with ``chat:write``).

    The client never retries by itself: the outbox does, with the wait Slack asks for.
    """

    kind = "slack"
    Options = SlackOptions

    def __init__(self, settings: SlackOptions, *, timeout: int = 10) -> None:
        self.channel = settings.channel
        from slack_sdk import WebClient

        self._server = urlsplit(settings.base_url).hostname or settings.base_url
        self._client = WebClient(
            token=settings.token.reveal(),
            base_url=settings.base_url,
            timeout=timeout,
            retry_handlers=[],
        )

    def send(self, message: AlertMessage, target: str | None, thread: str | None) -> str:
        """Post a first message (to ``target`` or the default channel) or continue ``thread``.

        A thread stays in the channel its reference names, whatever ``target`` says.
        """
        content: dict[str, Any] = {
            "text": fallback_text(message),
            "blocks": render_blocks(message),
            "parse": "none",  # chat.update would otherwise default to "client" parsing
            "link_names": False,
        }
        if thread is None:
            channel = target or self.channel
            answer = self._post(channel, content)
            if not answer.get("ts"):  # posted, yet unthreadable: a retry would post it twice
                raise DeliveryError(
                    f"Slack chat.postMessage to {channel}: the answer has no ts",
                    "check notify.slack.base_url points at the Slack Web API",
                    retryable=False,
                )
            return f"{answer.get('channel') or channel}:{answer['ts']}"

        channel, ts = parse_reference(thread)
        # The update goes first: repeating it changes nothing, so when the reply then
        # fails and the outbox retries the whole send, nothing reaches the channel twice.
        try:
            update = self._client.chat_update
            self._call("chat.update", channel, lambda: update(channel=channel, ts=ts, **content))
        except DeliveryError as exc:
            if exc.retryable:
                raise
            log.warning("alert %s: parent message not updated: %s", message.alert_id, exc)
        self._post(channel, content, thread_ts=ts, reply_broadcast=False)
        return thread

    def _post(self, channel: str, content: dict[str, Any], **extra: Any) -> SlackResponse:
        post = self._client.chat_postMessage
        args = {"unfurl_links": False, "unfurl_media": False, **content, **extra}
        return self._call("chat.postMessage", channel, lambda: post(channel=channel, **args))

    def _call(self, method: str, channel: str, call: Callable[[], SlackResponse]) -> SlackResponse:
        from slack_sdk.errors import SlackApiError, SlackClientError  # imported by __init__

        try:
            return call()
        except SlackApiError as exc:
            raise _api_error(method, channel, exc.response) from None
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
            raise DeliveryError(
                f"Slack {method} to {channel}: cannot reach {self._server}: {exc}",
                "a network failure or Slack outage; the outbox retries",
            ) from None
        except SlackClientError as exc:
            raise DeliveryError(
                f"Slack {method} to {channel}: {exc}",
                "check notify.slack.base_url",
                retryable=False,
            ) from None


def _api_error(method: str, channel: str, response: SlackResponse) -> DeliveryError:
    """Classify a Slack answer that was not ``ok``: what a retry can fix, and when."""
    status = response.status_code
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or f"HTTP {status}")[:200]
    what = f"Slack {method} to {channel}: {code} (HTTP {status})"
    if status == 429 or code == "ratelimited":
        wait = _retry_after(response.headers)
        return DeliveryError(what, "Slack rate-limits us; the outbox waits", retry_after=wait)
    if code in _TRANSIENT or status >= 500 or status == 408:
        return DeliveryError(what, "Slack is failing; the outbox retries")
    hint = _HINTS.get(code, "see Slack's documentation of this error code")
    if status != 200:  # not Slack's way of refusing: probably not Slack at all
        hint = "check notify.slack.base_url points at the Slack Web API"
    return DeliveryError(what, hint, retryable=False)


def _retry_after(headers: dict[str, Any]) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return None if value is None else max(0.0, float(value))
    except ValueError:  # an HTTP date: Slack sends seconds, so let the outbox decide
        return None
