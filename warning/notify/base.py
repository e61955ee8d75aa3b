"""What every notifier provides: send one rendered alert decision to one target.

Notifiers never decide anything (the rules do) and never retry by themselves
(the outbox does): ``send`` either delivers or raises :class:`DeliveryError`
saying whether, and when, a retry can succeed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from ..errors import DeliveryError
from ..records import AlertMessage

__all__ = ["DeliveryError", "Notifier"]


class Notifier(ABC):
    """Base of the notifier kinds listed in :data:`warning.notify.REGISTRY`."""

    #: The name routes use (``slack``, ``email``, ``log``).
    kind: ClassVar[str]

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
