"""The log notifier: alerts as log lines (the journal, under systemd).

Where alerts go when no other notifier is configured, when a route names one
that is not, and for every route in a dry run.
"""

from __future__ import annotations

import logging

from ..records import AlertMessage
from . import render
from .base import Notifier

log = logging.getLogger("warning.alert")


class LogNotifier(Notifier):
    """Writes each message as one warning-level log line (plus its evidence at info)."""

    kind = "log"

    def __init__(self, settings: object = None, *, tag: str = "alert") -> None:
        self.tag = tag

    def send(self, message: AlertMessage, target: str | None, thread: str | None) -> str:
        ref = thread or f"log:{message.alert_id}"
        log.warning(
            "%s: %s (%s) alert=%d",
            f"{self.tag} {target}" if target else self.tag,
            render.title(message),
            render.status_line(message),
            message.alert_id,
        )
        for h in message.headlines[:5]:
            # %r keeps feed text on one line: a newline in a headline cannot forge log lines.
            log.info(
                "%s alert=%d evidence: %r (%s) %s",
                self.tag,
                message.alert_id,
                h.title,
                h.outlet,
                h.link or "",
            )
        return ref
