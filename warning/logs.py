"""Logging: one line per event on standard error, journald-friendly.

Configured once per process: by the command line, and by each worker process
when it starts. Every line has its URLs redacted (passwords, tokens in queries).

Text by default; ``json`` (``--log-format json`` or ``WARNING_LOG_FORMAT=json``) writes
one JSON object per line for log stacks (ELK, Loki): ``time`` (ISO-8601, UTC),
``level``, ``logger``, ``message``, any extra fields the call passed, and ``exception``
when there is one. Worker processes are spawned with the parent's environment, so the
command line leaves the chosen format there for them.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any, ClassVar

from .redact import scrub

#: The environment variable naming the format; the command line's flag sets it too.
FORMAT_VARIABLE = "WARNING_LOG_FORMAT"
FORMATS = ("text", "json")
#: What every LogRecord has: anything else on a record came from the call's ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


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


class _JSONFormatter(logging.Formatter):
    """One JSON object per event. ASCII only: a U+2028 in a headline would split the line
    for some readers, and an escaped one cannot."""

    def __init__(self, *, journal: bool = False) -> None:
        super().__init__()
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, Any] = {
            "time": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = _field(value)
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = scrub(record.exc_text)
        if record.stack_info:
            entry["stack"] = scrub(self.formatStack(record.stack_info))
        line = json.dumps(entry, default=str)
        if self.journal:  # journald takes the prefix as the priority and keeps the JSON
            return f"<{_JournalFormatter.PRIORITY.get(record.levelno, 6)}>{line}"
        return line


def _field(value: Any) -> Any:
    """An extra field as JSON can carry it, strings redacted like the message."""
    if isinstance(value, str):
        return scrub(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return scrub(str(value))


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
    """Log one line per event to stderr, in the journal's format under systemd, as JSON
    objects when ``WARNING_LOG_FORMAT`` says ``json``.

    Replaces a handler of ours from an earlier call; leaves any other handler alone.
    """
    handler = _Stderr()
    fmt = os.environ.get(FORMAT_VARIABLE, "text").strip().lower() or "text"
    if fmt == "json":
        handler.setFormatter(_JSONFormatter(journal=_stderr_is_journal()))
    elif _stderr_is_journal():
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
    if fmt not in FORMATS:
        logging.getLogger(__name__).warning(
            "%s=%s is not a log format; writing text (set it to text or json)", FORMAT_VARIABLE, fmt
        )


def _stderr_is_journal() -> bool:
    stream = os.environ.get("JOURNAL_STREAM")
    if not stream:
        return False
    try:
        st = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError):
        return False
    return stream == f"{st.st_dev}:{st.st_ino}"
