"""What every notifier provides: send one rendered alert decision to one target.

Notifiers never decide anything (the rules do) and never retry by themselves
(the outbox does): ``send`` either delivers or raises :class:`DeliveryError`
saying whether, and when, a retry can succeed.

Each kind declares its ``notify.<kind>`` keys as an options dataclass (``Options``),
read and checked by the configuration like a source's; secrets are typed ``Secret``.
"""

from __future__ import annotations

import ipaddress
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from ..errors import DeliveryError
from ..records import AlertMessage
from .templates import DEFAULT, Messages

__all__ = ["LOOPBACK", "DeliveryError", "Notifier", "is_loopback"]

#: Where a credential may travel in clear, for the options' ``problems()`` messages.
LOOPBACK = "127.0.0.1, ::1 or localhost"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine: localhost, 127.0.0.0/8 or ::1."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Notifier(ABC):
    """Base of the notifier kinds listed in :data:`warning.notify.REGISTRY`."""

    #: The name routes use (``slack``, ``email``, ``log``).
    kind: ClassVar[str]
    #: The options dataclass of ``notify.<kind>``, built from YAML and passed to
    #: ``__init__``. It may define ``problems()`` (checks across keys: ``(key, message)``
    #: pairs) and ``FILES`` (keys naming files, resolved against the configuration's
    #: folder: key -> hint when missing). None: the kind takes no section (the log).
    Options: ClassVar[type[Any] | None] = None
    #: The wording and templates of ``messages:`` (docs/messages.md), set by
    #: ``Notifiers`` on each notifier it builds; English, no templates, by default.
    messages: Messages = DEFAULT

    @abstractmethod
    def send(self, message: AlertMessage, target: str | None, thread: str | None) -> str:
        """Deliver ``message``; return the reference later messages thread under.

        ``target`` is the route's override (``#other-channel``, ``ops@example.org``)
        or None for the notifier's default. ``thread`` is the reference this
        notifier returned for the first message of the same alert and target, or
        None for a first message. Raise DeliveryError on failure.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the default has none."""
