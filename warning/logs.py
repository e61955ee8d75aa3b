"""Logging: one line per event on standard error, journald-friendly.

Configured once per process: by the command line, and by each worker process
when it starts. Every line has its URLs redacted (passwords, tokens in queries).
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime
from typing import ClassVar

from .redact import scrub


class _Redacting(logging.Formatter):
    """Every line with the URLs in it redacted: error messages quote URLs, and a URL may
    carry a password or a token (warning/redact.py). Applied to the whole formatted
    line, so that arguments and tracebacks are covered too."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class _JournalFormatter(_Redacting):
    """Under journald: ``<priority>`` prefixes so levels survive, no timestamps (it adds them)."""

    PRIORITY: ClassVar[dict[int, int]] = {
        logging.DEBUG: 7,
        logging.INFO: 6,
        logging.WARNING: 4,
        logging.ERROR: 3,
        logging.CRITICAL: 2,
    }

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record).replace("\n", " | ")  # one event, one journal line
        return f"<{self.PRIORITY.get(record.levelno, 6)}>{text}"


class _LineFormatter(_Redacting):
    """In a terminal: UTC timestamp, level, logger; still one line per event."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", " | ")


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each event, not at setup.

    Whoever swaps standard error later (a test harness capturing output, a daemon
    redirecting it) gets the lines, and a closed old stream never breaks logging.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass  # always the current sys.stderr


def setup(level: int | str) -> None:
    """Log one line per event to stderr, in the journal's format under systemd.

    Replaces a handler of ours from an earlier call; leaves any other handler alone.
    """
    handler = _Stderr()
    if _stderr_is_journal():
        handler.setFormatter(_JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(_LineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, _Stderr)] + [handler]
    root.setLevel(level)
    # Third-party chatter (one line per HTTP request) drowns our own events.
    for noisy in (
        "httpx",
        "httpcore",
        "alembic",
        "apscheduler.executors",
        "apscheduler.scheduler",
    ):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def _stderr_is_journal() -> bool:
    stream = os.environ.get("JOURNAL_STREAM")
    if not stream:
        return False
    try:
        st = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError):
        return False
    return stream == f"{st.st_dev}:{st.st_ino}"
