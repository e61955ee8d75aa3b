"""A desk for the notifier tests: a newsroom on the local feed server whose coup report is
routed to one notifier, polled with ``warning poll --once`` and delivered later as the
daemon's next cycles would."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.feedserver import FeedServer
from tests.newsroom import NIGER_COUP, Newsroom, write_config
from tests.receiver import Receiver
from warning import cli, config
from warning.alerting import outbox
from warning.notify import Notifiers
from warning.store import open_store


def coup_rule(route: str) -> dict[str, Any]:
    """The bundled coup rule's shape, routed to ``route`` alone."""
    return {
        "name": "coup",
        "type": "threshold",
        "label": "coup",
        "countries": "*",
        "threshold": 0.5,
        "window": "6h",
        "min_outlets": 1,
        "corroborate": 2,
        "severity": "critical",
        "hold": "6h",
        "repeat": "12h",
        "cooldown": "24h",
        "routes": [route],
    }


@dataclass
class Desk:
    path: Path
    database: str
    receiver: Receiver
    capsys: pytest.CaptureFixture[str]

    def poll(self) -> dict[str, Any]:
        self.capsys.readouterr()
        code = cli.main(["--config", str(self.path), "poll", "--once", "--json"])
        out, err = self.capsys.readouterr()
        assert code == 0, err
        result: dict[str, Any] = json.loads(out)
        return result

    def deliveries(self) -> list[dict[str, Any]]:
        store = open_store(self.database)
        try:
            [alert] = store.alerts.open_alerts().values()
            return [d for ev in store.alerts.events(alert.id) for d in ev["deliveries"]]
        finally:
            store.close()

    def deliver_later(self, after: timedelta) -> outbox.DeliveryReport:
        """The daemon's next alert cycle, ``after`` from now: due deliveries are retried."""
        settings = config.load(self.path)
        store = open_store(self.database)
        notifiers = Notifiers(settings.notify)
        try:
            return outbox.deliver(store, notifiers, datetime.now(UTC) + after)
        finally:
            notifiers.close()
            store.close()


def open_desk(
    tmp_path: Path,
    feed_server: FeedServer,
    receiver: Receiver,
    capsys: pytest.CaptureFixture[str],
    route: str,
    sections: dict[str, Any],
) -> Desk:
    """A desk whose coup rule routes to ``route``, with these top-level ``sections``
    (``notify``, ``messages``) in its configuration, and a coup report just published."""
    newsroom = Newsroom(
        feed_server, ("sahel-wire", "niamey-daily"), datetime.now(UTC) - timedelta(hours=3)
    )
    database = f"sqlite:///{tmp_path / 'warning.db'}"
    path = write_config(
        tmp_path / "warning.yaml", newsroom, database, None, None, [coup_rule(route)]
    )
    data = yaml.safe_load(path.read_text())
    data.update(sections)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    newsroom.publish("sahel-wire", NIGER_COUP, datetime.now(UTC) - timedelta(minutes=5))
    return Desk(path, database, receiver, capsys)
