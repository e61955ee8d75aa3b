"""Notifiers: the registry that routes name, and building them from ``notify:``.

Built-in kinds are registered here exactly as an outside plugin would be. Each kind's
module declares its ``notify.<kind>`` keys (``Notifier.Options``); the configuration
reads the section of every registered kind that has options, so adding a notifier is
writing its module and adding its line to :data:`REGISTRY`. A rule's route is ``kind``
or ``kind:target`` (``slack:#other``, ``email:ops@example.org``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .apprise import AppriseNotifier
from .base import DeliveryError, Notifier
from .email import EmailNotifier
from .log import LogNotifier
from .slack import SlackNotifier
from .templates import Messages
from .webhook import WebhookNotifier

log = logging.getLogger(__name__)

REGISTRY: dict[str, type[Notifier]] = {
    SlackNotifier.kind: SlackNotifier,
    EmailNotifier.kind: EmailNotifier,
    WebhookNotifier.kind: WebhookNotifier,
    AppriseNotifier.kind: AppriseNotifier,
    LogNotifier.kind: LogNotifier,
}

__all__ = [
    "REGISTRY",
    "DeliveryError",
    "LogNotifier",
    "Notifier",
    "Notifiers",
    "NotifySettings",
    "split_route",
]


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """``notify``: each configured kind's options (its ``Notifier.Options``). Empty: the log."""

    kinds: dict[str, Any] = field(default_factory=dict, hash=False)
    #: ``messages``: the language and templates every notifier renders with.
    messages: Messages = field(default_factory=Messages)

    def get(self, kind: str) -> Any | None:
        """The options of ``notify.<kind>``; None when that section is absent."""
        return self.kinds.get(kind)


def split_route(route: str) -> tuple[str, str | None]:
    """``"slack:#other"`` -> ``("slack", "#other")``; ``"email"`` -> ``("email", None)``."""
    kind, _, target = route.partition(":")
    return kind, (target or None)


class Notifiers:
    """The configured notifiers, and which one a route resolves to.

    A route whose notifier is not configured falls back to the log (DESIGN.md),
    as does every route in a dry run.
    """

    def __init__(
        self,
        settings: NotifySettings,
        *,
        dry_run: bool = False,
        stand_in: Notifier | None = None,
    ) -> None:
        self.dry_run = dry_run
        #: When set, every route goes to it, with the route as its target (replays).
        self.stand_in = stand_in
        self.log = LogNotifier(tag="dry-run" if dry_run else "alert")
        self.configured: dict[str, Notifier] = {"log": self.log}
        if not dry_run and stand_in is None:
            for kind, options in settings.kinds.items():
                self.configured[kind] = REGISTRY[kind](options)  # type: ignore[call-arg]
                self.configured[kind].messages = settings.messages

    def resolve(self, route: str) -> tuple[Notifier, str | None]:
        """The notifier and target for ``route``; the log when it is not configured."""
        if self.stand_in is not None:
            return self.stand_in, route
        kind, target = split_route(route)
        notifier = self.configured.get(kind)
        if notifier is None:
            return self.log, f"(fallback for {route})" if not self.dry_run else route
        return notifier, target

    def close(self) -> None:
        for notifier in self.configured.values():
            notifier.close()


def unconfigured(routes: Iterable[str], settings: NotifySettings) -> list[str]:
    """Routes that will fall back to the log because their notifier is not configured."""
    out = []
    for route in routes:
        kind, _ = split_route(route)
        if kind != "log" and settings.get(kind) is None:
            out.append(route)
    return out
