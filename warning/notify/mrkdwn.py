"""Slack's mrkdwn made safe: escaping, cutting and links for text that came from feeds.

Slack's documented escaping is only ``&``, ``<`` and ``>``; with them escaped,
``<!channel>`` in a headline reaches Slack as literal text and pings no one. Used by
the Slack notifier and by the templates that render Slack text (templates.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

TITLE_MAX = 200
OUTLET_MAX = 80
URL_MAX = 1000
ELLIPSIS = "…"

_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Everything else (space, quotes, <, >, |, non-ASCII) is percent-encoded: a URL
# must not end the <url|label> syntax early nor start a label of its own.
_URL_SAFE = "/?#[]@!$&'()*+,;=:%-._~"


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


def one_line(text: str, limit: int) -> str:
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


def link(url: str | None, label: str, untitled: str = "(untitled)") -> str:
    """``<url|label>`` with both parts made safe, or the escaped label alone."""
    text = escape(one_line(label, TITLE_MAX) or untitled)
    href = safe_url(url)
    return f"<{href}|{text}>" if href else text


def mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: no automatic linking of channel names, URLs or bare @mentions.
    return {"type": "mrkdwn", "text": text, "verbatim": True}
