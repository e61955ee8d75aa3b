"""Slack: one Block Kit message per alert; later decisions go into its thread.

The first message of an alert is posted to the channel and its reference
(``<channel id>:<ts>``) returned; each later decision updates that parent so it
shows the current state, then posts the new message as a thread reply.

Headlines, links and terms come from feeds and are untrusted: every mrkdwn and
``text`` field is escaped (``&``, ``<``, ``>``, Slack's documented escaping), so
``<!channel>`` in a headline reaches Slack as literal text and pings no one.

Every alert message ends with the verdict buttons (block ``warning-verdict``, one
button per analyst verdict, each carrying the alert id); the click is received by
``service/interactions.py`` (HTTP) or ``service/socketmode.py`` and shown back with
:meth:`SlackNotifier.show_verdict`.
"""

from __future__ import annotations

import http.client
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..records import AlertMessage, Headline
from ..settings import Secret
from . import render
from .base import LOOPBACK, DeliveryError, Notifier, is_loopback
from .mrkdwn import OUTLET_MAX, clip, escape, link
from .mrkdwn import mrkdwn as _mrkdwn
from .mrkdwn import one_line as _line
from .templates import DEFAULT, Messages, render_part
from .wording import ENGLISH, Wording

if TYPE_CHECKING:  # a type only: the SDK is imported where a client is made
    from slack_sdk.web import SlackResponse

# slack_sdk is imported where a client is made: every command loads the notifier
# registry, and only those that send to Slack need the SDK (30 ms to import).

log = logging.getLogger(__name__)

# Slack's limits (Block Kit reference, chat.postMessage), counted after escaping. We
# send at most six blocks, far from the limit of 50.
HEADER_MAX = 150
SECTION_MAX = 3000
TEXT_MAX = 4000
# Our own caps, so that one hostile headline cannot crowd out the rest.
HEADLINES_MAX = 10
TERMS_MAX = 1000

#: The actions block of every alert message (DESIGN.md, "Analyst verdicts").
VERDICT_BLOCK = "warning-verdict"
#: The context line naming the latest verdict, replaced by each new one.
VERDICT_SHOWN = "warning-verdict-shown"
#: The summary of an incident's open alerts, on the thread's first message (grouping).
INCIDENT_BLOCK = "warning-incident"
#: Button action id -> label (in English; wording.py has each language's). The action
#: ids are the contract (DESIGN.md); what each records is alerting/verdicts.py's business.
BUTTONS = ENGLISH.buttons

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


def _evidence(headlines: Sequence[Headline], w: Wording) -> str:
    lines = [f"*{w.evidence}*"]
    size = len(lines[0])
    room = SECTION_MAX - 40  # kept for the "and N more" line
    shown = 0
    for h in headlines[:HEADLINES_MAX]:
        line = f"• {link(h.link, h.title, w.untitled)} — {escape(_line(h.outlet, OUTLET_MAX))}"
        if size + 1 + len(line) > room:
            break
        lines.append(line)
        size += 1 + len(line)
        shown += 1
    if len(headlines) > shown:
        lines.append(f"_{w.more.format(n=len(headlines) - shown)}_")
    return "\n".join(lines)


def render_blocks(message: AlertMessage, messages: Messages = DEFAULT) -> list[dict[str, Any]]:
    """The Block Kit layout: title, status, evidence links, then terms and provenance.

    ``slack.text.j2``, when the operator has one, writes the status section instead.
    """
    w = messages.words
    title = _line(render.title(message, w), HEADER_MAX)  # plain_text: never parsed for mentions
    templated = render_part(messages, "slack.text.j2", message)
    status = templated.text or escape(render.status_line(message, w))
    if message.note and templated.text is None:
        status += "\n" + escape(message.note)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}},
        {"type": "section", "text": _mrkdwn(clip(status, SECTION_MAX))},
    ]
    if message.headlines:
        blocks.append({"type": "section", "text": _mrkdwn(_evidence(message.headlines, w))})
    context = []
    if message.terms:
        terms = ", ".join(_line(t, TERMS_MAX) for t in message.terms)
        context.append(_mrkdwn(clip(f"{w.terms}{w.colon} " + escape(terms), TERMS_MAX)))
    model = escape(_line(message.model or w.no_model, 200))
    context.append(_mrkdwn(w.slack_footer.format(model=model, id=message.alert_id)))
    failures = [templated.failure, render_part(messages, "slack.fallback.j2", message).failure]
    context.extend(_mrkdwn(escape(f)) for f in failures if f)  # say the wording is ours
    blocks.append({"type": "context", "elements": context})
    if message.kind != "test":  # a test message has no alert to judge
        blocks.append(verdict_buttons(message.alert_id, w))
    if message.verdict is not None:  # an update keeps the verdict the desk gave
        v = message.verdict
        blocks = with_verdict(blocks, verdict_line(w.verdict(v.title), v.by, v.at, w))
    return blocks


def with_incident(
    blocks: list[dict[str, Any]], message: AlertMessage, w: Wording = ENGLISH
) -> list[dict[str, Any]]:
    """``blocks`` with the summary of ``message``'s incident just above the buttons
    (unchanged when there is nothing to summarise)."""
    lines = render.incident_lines(message, w)
    if not lines:
        return blocks
    text = clip(escape("\n".join(lines)), SECTION_MAX)
    block = {"type": "section", "block_id": INCIDENT_BLOCK, "text": _mrkdwn(text)}
    at = next((i for i, b in enumerate(blocks) if b.get("block_id") == VERDICT_BLOCK), len(blocks))
    return [*blocks[:at], block, *blocks[at:]]


def verdict_buttons(alert_id: int, w: Wording = ENGLISH) -> dict[str, Any]:
    """The actions block: one button per verdict, each valued with the alert id."""
    buttons = [
        {
            "type": "button",
            "action_id": action,
            "text": {"type": "plain_text", "text": label},
            "value": str(alert_id),
        }
        for action, label in w.buttons.items()
    ]
    return {"type": "actions", "block_id": VERDICT_BLOCK, "elements": buttons}


def verdict_line(title: str, user: str, at: datetime, w: Wording = ENGLISH) -> str:
    """``False alarm — @amina, 03:12 UTC``, escaped: the user name comes from Slack."""
    name = escape(_line(user, OUTLET_MAX))
    return w.verdict_by.format(title=escape(title), user=name, time=f"{at.astimezone(UTC):%H:%M}")


def with_verdict(blocks: Sequence[dict[str, Any]], line: str) -> list[dict[str, Any]]:
    """``blocks`` with ``line`` as the latest verdict, just above the buttons.

    A previous verdict line is replaced, so the message names only the latest one.
    """
    kept = [dict(b) for b in blocks if b.get("block_id") != VERDICT_SHOWN]
    shown = {"type": "context", "block_id": VERDICT_SHOWN, "elements": [_mrkdwn(line)]}
    at = next((i for i, b in enumerate(kept) if b.get("block_id") == VERDICT_BLOCK), len(kept))
    return [*kept[:at], shown, *kept[at:]]


def fallback_text(message: AlertMessage, messages: Messages = DEFAULT) -> str:
    """The plain ``text`` (notifications, screen readers), escaped and within 4,000 characters;
    ``slack.fallback.j2`` writes it when the operator has one."""
    templated = render_part(messages, "slack.fallback.j2", message).text
    return clip(templated or escape(render.plain_text(message, w=messages.words)), TEXT_MAX)


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
    """``notify.slack``: a bot token and the default channel; for the verdict buttons,
    the signing secret (clicks over HTTP) or an app-level token (Socket Mode), and
    optionally the Slack user ids allowed to record verdicts."""

    token: Secret
    channel: str
    base_url: str = "https://slack.com/api/"
    signing_secret: Secret | None = None
    app_token: Secret | None = None
    verdict_users: tuple[str, ...] = ()

    def problems(self) -> list[tuple[str, str]]:
        """Tokens that cannot work, and the bot token never over plain HTTP off this machine."""
        found = []
        if self.app_token is not None and not self.app_token.reveal().startswith("xapp-"):
            found.append(
                (
                    "app_token",
                    "expected an app-level token (xapp-...) with the "
                    "connections:write scope, from the app's Basic Information page",
                )
            )
        for user in self.verdict_users:
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}", user):
                found.append(
                    (
                        "verdict_users",
                        f"{user!r} is not a Slack user id like U024BE7LH "
                        "(a profile's ⋮ menu > Copy member ID)",
                    )
                )
        return found + self._url_problems()

    def _url_problems(self) -> list[tuple[str, str]]:
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
        self._timeout = timeout
        self._team: str | None = None
        self._client = WebClient(
            token=settings.token.reveal(),
            base_url=settings.base_url,
            timeout=timeout,
            retry_handlers=[],
        )

    def send(self, message: AlertMessage, target: str | None, thread: str | None) -> str:
        """Post a first message (to ``target`` or the default channel) or continue ``thread``.

        A thread stays in the channel its reference names, whatever ``target`` says. In an
        incident the first message (the thread's parent) shows its own alert as it stands
        with every open alert of the incident below it; replies show only their own.
        """
        content = self._content(message, message if thread is None else None)
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
        above = message.incident.parent if message.incident is not None else None
        parent = self._content(above or message, message)
        try:
            update = self._client.chat_update
            self._call("chat.update", channel, lambda: update(channel=channel, ts=ts, **parent))
        except DeliveryError as exc:
            if exc.retryable:
                raise
            log.warning("alert %s: parent message not updated: %s", message.alert_id, exc)
        self._post(channel, content, thread_ts=ts, reply_broadcast=False)
        return thread

    def _content(self, message: AlertMessage, summary: AlertMessage | None) -> dict[str, Any]:
        """A message's text and blocks; with the incident summary of ``summary`` if given."""
        blocks = render_blocks(message, self.messages)
        if summary is not None:
            blocks = with_incident(blocks, summary, self.messages.words)
        return {
            "text": fallback_text(message, self.messages),
            "blocks": blocks,
            "parse": "none",  # chat.update would otherwise default to "client" parsing
            "link_names": False,
        }

    def post(self, text: str, blocks: list[dict[str, Any]], target: str | None) -> str:
        """Post a message that belongs to no alert (the brief) to ``target`` or the default
        channel; its reference. ``text`` and ``blocks`` are escaped by the caller."""
        channel = target or self.channel
        content = {"text": text, "blocks": blocks, "parse": "none", "link_names": False}
        answer = self._post(channel, content)
        return f"{answer.get('channel') or channel}:{answer.get('ts')}"

    def team_id(self) -> str:
        """The workspace of the bot token (``auth.test``), asked once: clicks from any
        other workspace are refused."""
        if self._team is None:
            answer = self._call("auth.test", "the workspace", self._client.auth_test)
            if not answer.get("team_id"):
                raise DeliveryError(
                    "Slack auth.test: the answer has no team_id",
                    "check notify.slack.base_url points at the Slack Web API",
                    retryable=False,
                )
            self._team = str(answer["team_id"])
        return self._team

    def show_verdict(
        self,
        channel: str,
        ts: str,
        thread: str,
        blocks: Sequence[dict[str, Any]],
        text: str,
        line: str,
    ) -> None:
        """Edit the alert's message ``ts`` (``blocks`` and ``text``, as Slack last showed
        them) to name the latest verdict, then say it in ``thread`` (the parent's ts: the
        message's own, or the incident's it is a reply in); raise DeliveryError."""
        content: dict[str, Any] = {
            "text": text,
            "blocks": with_verdict(blocks, line),
            "parse": "none",
            "link_names": False,
        }
        update = self._client.chat_update
        self._call("chat.update", channel, lambda: update(channel=channel, ts=ts, **content))
        reply = {"text": line, "parse": "none", "link_names": False}
        self._post(channel, reply, thread_ts=thread, reply_broadcast=False)

    def tell(self, response_url: str, text: str) -> None:
        """An ephemeral note to the analyst who clicked, through the click's ``response_url``.

        Only to Slack's own hosts (or the configured API host): the URL comes in the
        payload, and must not make the daemon post anywhere it is told to.
        """
        from slack_sdk.webhook import WebhookClient

        parts = urlsplit(response_url)
        host = (parts.hostname or "").lower()
        slack_host = parts.scheme == "https" and (
            host == "slack.com" or host.endswith(".slack.com")
        )
        if not (slack_host or host == self._server.lower()):
            log.warning("verdict: not answering through response_url on %s", host or "?")
            return
        try:
            answer = WebhookClient(response_url, timeout=self._timeout).send(
                text=text, response_type="ephemeral", replace_original=False
            )
        except (OSError, http.client.HTTPException) as exc:
            log.warning("verdict: the note to the analyst was not sent: %s", exc)
            return
        if answer.status_code != 200:
            log.warning("verdict: the note to the analyst got HTTP %d", answer.status_code)

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
