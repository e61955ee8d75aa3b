"""Apprise: alert messages to Teams, PagerDuty, Opsgenie, Mattermost, Telegram and the rest.

`Apprise <https://github.com/caronc/apprise>`_ speaks to some hundred services, each
addressed by a URL (``msteams://...``, ``pagerduty://...``). It is an optional extra
(``pip install 'warning[apprise]'``), imported only when ``notify.apprise`` is
configured. Its URLs carry their service's credentials, so each is a secret: never
logged, and errors name an entry by its index and scheme only.

Every message goes as plain text (title and body); Apprise converts it for each
service, escaping it for those that read Markdown or HTML (which it does from 2.0 on,
hence the minimum version), so a headline cannot turn into a link or a mention.

Apprise says only True or False, with no status to tell a refusal from an outage, so
every failure is retryable: the outbox's backoff and attempt limit decide. A retry
goes only to the URLs that failed, while the daemon runs.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import DeliveryError
from ..records import AlertMessage
from ..settings import Secret, option, positive, resolve_placeholders
from . import render
from .base import Notifier
from .email import single_line_headlines
from .templates import render_part

if TYPE_CHECKING:  # types only: apprise is imported when notify.apprise is configured
    from apprise import Apprise

log = logging.getLogger(__name__)

INSTALL = "pip install 'warning[apprise]'"
#: A tag routes may name (``apprise:oncall``).
TAG = re.compile(r"[A-Za-z0-9_-]+")
MAX_HEADLINES = 5
#: Messages remembered as delivered to some of their URLs, so a retry skips those.
REMEMBERED = 1000
#: What separates the pieces of a URL that may each be a credential.
_PIECES = re.compile(r"[/:@?&=#,;+\s]+")


class Target(NamedTuple):
    """One entry of ``notify.apprise.urls``: a URL and the tags routes select it by.

    ``problem`` is what is wrong with the entry, found when the configuration is read
    and reported by :meth:`AppriseOptions.problems` at the entry's line.
    """

    url: Secret
    scheme: str
    tags: tuple[str, ...] = ()
    problem: str | None = None


def parse_urls(value: Any) -> tuple[Target, ...]:
    """``urls:`` -> Targets; ValueError when it is not a list. Each entry is a URL
    (``${NAME}`` allowed) or ``{url: ..., tags: [...]}``; what is wrong with one entry
    is kept on it, for a problem at its own line."""
    if not isinstance(value, list) or not value:
        raise ValueError(
            'expected a list of Apprise URLs, like ["${TEAMS_URL}"] '
            "(each a URL or {url: ..., tags: [...]})"
        )
    return tuple(_target(entry) for entry in value)


def _target(entry: Any) -> Target:
    tags: tuple[str, ...] = ()
    if isinstance(entry, dict):
        unknown = sorted(set(entry) - {"url", "tags"})
        raw_tags = entry.get("tags", [])
        raw_tags = [raw_tags] if isinstance(raw_tags, str) else raw_tags
        if unknown:
            return _bad(f"unknown key {unknown[0]!r}; an entry has url and tags")
        if not isinstance(raw_tags, list) or not all(
            isinstance(t, str) and TAG.fullmatch(t) for t in raw_tags
        ):
            return _bad("tags: expected a list of names (letters, digits, - and _)")
        tags, entry = tuple(raw_tags), entry.get("url")
    if not isinstance(entry, str) or not entry.strip():
        return _bad("expected an Apprise URL (or ${NAME}) as a string")
    try:
        url = resolve_placeholders(entry.strip())
    except KeyError as exc:
        name = exc.args[0]
        return _bad(
            f"${{{name}}} is not set: export {name}, or pass it as a systemd "
            f"credential (LoadCredential={name}:/path/to/file)"
        )
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    return Target(Secret(url), scheme, tags)


def _bad(problem: str) -> Target:
    return Target(Secret(""), "", (), problem)


@dataclass(frozen=True, slots=True)
class AppriseOptions:
    """``notify.apprise``: Apprise URLs (secrets), optionally tagged, and the time each
    service is given to connect and to answer (Apprise's own 4 s each when unset)."""

    urls: tuple[Target, ...] = option(parse=parse_urls)
    timeout: timedelta | None = option(None, check=positive)

    def target_problem(self, target: str) -> str | None:
        """Why a route ``apprise:TARGET`` can never deliver (no URL has the tag), or None."""
        tags = sorted({tag for url in self.urls for tag in url.tags})
        if target in tags:
            return None
        return f"no notify.apprise URL is tagged {target!r} (tags: {', '.join(tags) or 'none'})"

    def problems(self) -> list[tuple[str | tuple[str | int, ...], str]]:
        """Apprise installed, and each URL one Apprise can read, checked by Apprise itself."""
        found: list[tuple[str | tuple[str | int, ...], str]] = []
        try:
            import apprise  # noqa: F401
        except ImportError:
            return [((), f"needs Apprise, which is not installed: {INSTALL}")]
        for i, target in enumerate(self.urls):
            problem = target.problem or _unreadable(target)
            if problem:
                found.append((("urls", i), problem))
        return found


def _unreadable(target: Target) -> str | None:
    """Why Apprise cannot use ``target``'s URL, naming its scheme only; None if it can."""
    from apprise.manager_plugins import NotificationManager

    if not target.scheme:
        return "not a URL: an Apprise URL starts with its service's scheme, like workflows://"
    with _apprise_log([target]) as said:
        if _instantiate(target) is not None:  # also a service's own https:// address
            return None
    known = NotificationManager()
    if target.scheme not in known:
        close = difflib.get_close_matches(target.scheme, list(known.schemas()), n=1)
        hint = f"did you mean {close[0]}://?" if close else "see Apprise's list of services"
        return f"unknown Apprise scheme {target.scheme}://; {hint}"
    why = f": {said[-1]}" if said else ""
    return (
        f"Apprise cannot read this {target.scheme}:// URL{why}; "
        "check it against Apprise's page for that service"
    )


def _instantiate(target: Target) -> Any:
    import apprise

    asset = apprise.AppriseAsset(secure_logging=True, storage_mode="memory")
    return apprise.Apprise.instantiate(target.url.reveal(), asset=asset, tag=target.tags)


# --- Apprise's log, without the secrets -----------------------------------------------------


def scrubber(targets: list[Target] | tuple[Target, ...]) -> Any:
    """A function masking every piece of these URLs (tokens, hosts, paths) in a text."""
    pieces: set[str] = set()
    for target in targets:
        url = target.url.reveal()
        pieces.add(url)
        pieces.update(p for p in _PIECES.split(url.partition("://")[2]) if len(p) >= 3)
    ordered = sorted(pieces, key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def scrub(text: str) -> str:
        return pattern.sub("***", text) if pattern is not None else text

    return scrub


class _Relay(logging.Handler):
    """Apprise's log records (warnings and worse), scrubbed, kept and passed to ours."""

    def __init__(self, scrub: Any, forward: bool) -> None:
        super().__init__(logging.WARNING)
        self.scrub = scrub
        self.forward = forward
        self.said: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.scrub(record.getMessage())
        except Exception:  # a record that cannot be formatted says nothing we can pass on
            return
        self.said.append(text)
        if self.forward:
            log.warning("apprise: %s", text)


@contextmanager
def _apprise_log(targets: list[Target], *, forward: bool = False) -> Iterator[list[str]]:
    """Within: Apprise's warnings collected (and logged as ours when ``forward``),
    scrubbed of the URLs' secrets; they never reach the root logger as Apprise wrote them."""
    apprise_log = logging.getLogger("apprise")
    apprise_log.propagate = False  # its records quote URLs and tokens
    relay = _Relay(scrubber(targets), forward)
    apprise_log.addHandler(relay)
    try:
        yield relay.said
    finally:
        apprise_log.removeHandler(relay)


# --- sending --------------------------------------------------------------------------------


class AppriseNotifier(Notifier):
    """Sends each message to every URL of ``notify.apprise.urls`` (``apprise``) or to those
    tagged TAG (``apprise:TAG``)."""

    kind = "apprise"
    Options = AppriseOptions

    def __init__(self, settings: AppriseOptions) -> None:
        import apprise

        self.settings = settings
        self._services: list[Apprise | None] = []
        with _apprise_log(list(settings.urls), forward=True):
            for target in settings.urls:
                plugin = _instantiate(target)
                if plugin is not None and settings.timeout is not None:
                    seconds = settings.timeout.total_seconds()
                    plugin.socket_connect_timeout = plugin.socket_read_timeout = seconds
                service = None
                if plugin is not None:
                    service = apprise.Apprise(asset=plugin.asset)
                    service.add(plugin)
                self._services.append(service)
        #: message key and target -> indexes of the URLs that already took it.
        self._delivered: OrderedDict[tuple[str, str | None], set[int]] = OrderedDict()

    def send(self, message: AlertMessage, target: str | None, thread: str | None) -> str:
        """Title and body as text to the selected URLs (see :meth:`_notify`)."""
        title, body = self.text(message)
        self._notify(title, body, notify_type(message), message.key, target)
        return thread or f"apprise:{message.alert_id}"

    def announce(self, title: str, body: str, key: str, target: str | None) -> str:
        """Send a message that is not an alert's (the morning brief), as plain text, to the
        URLs ``target`` selects; retried like an alert's. Returns ``key``."""
        self._notify(title, body, "info", key, target)
        return key

    def _notify(self, title: str, body: str, kind: str, key: str, target: str | None) -> None:
        """Title and body to the selected URLs that have not taken ``key`` yet;
        DeliveryError (retryable) naming by index and scheme the ones that did not."""
        chosen = self._chosen(target)
        done = self._delivered.setdefault((key, target), set())
        failed = []
        with _apprise_log(list(self.settings.urls), forward=True):
            for i in chosen:
                if i in done:
                    continue
                service = self._services[i]
                if service is not None and service.notify(
                    body=body, title=title, notify_type=kind, body_format="text"
                ):
                    done.add(i)
                else:
                    failed.append(i)
        self._remember(key, target, done, bool(failed))
        if failed:
            names = ", ".join(f"urls[{i}] ({self.settings.urls[i].scheme}://)" for i in failed)
            raise DeliveryError(
                f"apprise: {names} did not take the message",
                "Apprise gives no reason beyond its own log lines (logged above as "
                "'apprise: ...'); the outbox retries",
            )

    def _chosen(self, target: str | None) -> list[int]:
        urls = self.settings.urls
        if target is None:
            return list(range(len(urls)))
        chosen = [i for i, t in enumerate(urls) if target in t.tags]
        if not chosen:
            known = sorted({tag for t in urls for tag in t.tags})
            raise DeliveryError(
                f"apprise: no URL in notify.apprise.urls is tagged {target!r}",
                f"tags there: {', '.join(known)}" if known else "add tags: to an entry",
                retryable=False,
            )
        return chosen

    def _remember(self, key: str, target: str | None, done: set[int], retrying: bool) -> None:
        self._delivered.pop((key, target), None)
        if retrying and done:
            self._delivered[(key, target)] = done
            while len(self._delivered) > REMEMBERED:
                self._delivered.popitem(last=False)

    def text(self, message: AlertMessage) -> tuple[str, str]:
        """The title and body: an operator's ``apprise.title.j2`` and ``apprise.body.j2``,
        else the built-in wording, in the language of ``messages:``."""
        w = self.messages.words
        # A line break in a headline could forge a line of ours (a verdict, a title).
        message = single_line_headlines(message)
        parts = {p: render_part(self.messages, f"apprise.{p}.j2", message) for p in PARTS}
        title = parts["title"].text or render.title(message, w)
        body = parts["body"].text
        if body is None:
            text = render.plain_text(message, max_headlines=MAX_HEADLINES, w=w)
            body = text.partition("\n")[2]  # the first line is the title
            verdict = render.verdict_line(message, w)
            body = f"{body}\n\n{verdict}" if verdict else body
        failures = [p.failure for p in parts.values() if p.failure]
        return " ".join(title.split()), "\n\n".join([body, *failures])


#: The parts a template may write: apprise.title.j2 and apprise.body.j2.
PARTS = ("title", "body")


def notify_type(message: AlertMessage) -> str:
    """Apprise's type (the colour or icon many services show): resolved is success,
    critical a failure, high a warning, anything else information."""
    if message.decision == "resolved":
        return "success"
    return {"critical": "failure", "high": "warning"}.get(message.severity, "info")
