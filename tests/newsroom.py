"""A desk's world for alerting tests: outlets publishing to local feeds, and the config.

Shared by the end-to-end alerting tests (tests/test_alerting.py, which drive the
pipeline on a simulated clock) and the command-line tests (tests/test_cli_alerts.py).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from tests.slackserver import SlackServer
from tests.smtpserver import SMTPServer

CHANNEL = "#sahel-desk"
DESK_EMAIL = "desk@example.org"

NIGER_COUP: dict[str, object] = {
    "title": "Soldiers seize power in Niger and detain the president in Niamey",
    "description": "Mutinous troops surrounded the presidential palace overnight.",
}


class Newsroom:
    """Outlets, each with its own feed on the local server; ordinary news to start with."""

    def __init__(self, feeds: FeedServer, outlets: tuple[str, ...], start: datetime) -> None:
        self.feeds = feeds
        self.outlets = outlets
        self.stories: dict[str, list[dict[str, object]]] = {}
        for i, outlet in enumerate(outlets):
            # Ordinary news beside the stories under test: none of it may alert.
            self.stories[outlet] = sample_items(
                6, seed=10 + i, link_prefix=f"https://{outlet}.example.org/x", start=start
            )
            feeds.add(f"/{outlet}.xml", make_rss(self.stories[outlet]))

    def publish(self, outlet: str, story: dict[str, object], at: datetime) -> None:
        """Put ``story`` at the top of the outlet's feed, with its own link and GUID."""
        n = len(self.stories[outlet])
        link = f"https://{outlet}.example.org/news/{n}"
        self.stories[outlet].insert(0, {**story, "link": link, "guid": link, "published": at})
        self.feeds.add(f"/{outlet}.xml", make_rss(self.stories[outlet]))

    def feed_config(self) -> list[dict[str, Any]]:
        return [
            {"name": o, "url": self.feeds.url(f"/{o}.xml"), "outlet": o, "lang": "en"}
            for o in self.outlets
        ]


def write_config(
    path: Path,
    newsroom: Newsroom,
    database: str,
    slack: SlackServer | None,
    smtp: SMTPServer | None,
    rules: list[Any] | None = None,
) -> Path:
    """A configuration for the newsroom's feeds and the notifiers given.

    Without ``rules`` the bundled default rules apply, as a desk gets them on day one.
    """
    notify: dict[str, Any] = {}
    if slack is not None:
        notify["slack"] = {"token": "xoxb-test", "channel": CHANNEL, "base_url": slack.base_url}
    if smtp is not None:
        notify["email"] = {
            "host": "127.0.0.1",
            "port": smtp.port,
            "starttls": True,
            "username": smtp.username,
            "password": smtp.password,
            "sender": "warning@desk.example.org",
            "to": [DESK_EMAIL],
            "ca_file": str(smtp.ca_file),
        }
    data: dict[str, Any] = {
        "database": database,
        "feeds": newsroom.feed_config(),
        "poll": {"processes": 0},
        "notify": notify,
        # The desk's alerts only: these tests jump the clock without polling, which the
        # watcher would rightly call a stalled daemon (tests/test_watcher.py covers it).
        "operator": {"enabled": False},
    }
    if rules is not None:
        data["rules"] = rules
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def top_level(slack: SlackServer) -> list[Any]:
    """Messages posted to a channel, not into a thread."""
    return [m for m in slack.posted() if m.thread_ts is None]
