"""One poll over every hostile feed of issue 14 at once, through the real worker processes.

Each finding has its own tests beside its code; this one checks what an admin
cares about: a cycle over feeds carrying all of them finishes in seconds, each
hostile feed ends in a clear outcome of its own, and the honest feeds beside them
are stored as usual.
"""

from __future__ import annotations

import functools
import json
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.bombs import GIB, bomb
from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from tests.publicnames import PublicNames, loopback_names
from warning import cli
from warning.service import runtime
from warning.sources import http
from warning.store import Store

#: Long enough for two spawned workers to start and a cycle to run on a loaded CI
#: machine; the hostile inputs each took from 35 s to forever before.
FINISHES_WITHIN_S = 120


def _markup_bombs() -> list[dict[str, object]]:
    """Items whose markup made the old html_to_text cubic ("<a" * 1000 took 19 s)."""
    items = sample_items(3, seed=41, link_prefix="https://markup.example.org/story")
    items[0]["description"] = "<a" * 20_000
    items[1]["description"] = "<p " + "'" * 20_000 + "Bamako</p>"
    items[2]["title"] = "Attack near Djibo <b" + ' x="' * 5_000
    return items


def _flood(count: int) -> bytes:
    """``count`` distinct short entries in one RSS document (26,000 in about 4 MB)."""
    entries = "".join(
        f"<item><title>Flood entry {n}</title><link>https://flood.example.org/{n}</link>"
        f"<description>Filler number {n}</description></item>"
        for n in range(count)
    )
    return f'<rss version="2.0"><channel><title>f</title>{entries}</channel></rss>'.encode()


def _poll(config: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """``poll --once --json``, failing (rather than hanging the suite) when it does not end."""
    capsys.readouterr()
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["status"] = cli.main(["--config", str(config), "poll", "--once", "--json"])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(FINISHES_WITHIN_S)
    assert not thread.is_alive(), f"poll --once still running after {FINISHES_WITHIN_S} s"
    assert outcome["status"] == 0
    return json.loads(capsys.readouterr().out)


def test_a_poll_over_every_hostile_feed_ends_and_stores_the_honest_ones(
    tmp_path: Path,
    feed_server: FeedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = [sample_items(4, seed=7), sample_items(5, seed=8, link_prefix="https://b.example/s")]
    feed_server.add("/good-1.xml", make_rss(good[0]))
    feed_server.add("/good-2.xml", make_rss(good[1]))
    feed_server.add("/markup.xml", make_rss(_markup_bombs()))
    # 2 GiB of zeros in two gzip layers: about 5 KB on the wire.
    feed_server.add(
        "/bomb.xml", bomb(2 * GIB, ["gzip", "gzip"]), headers={"Content-Encoding": "gzip, gzip"}
    )
    huge = sample_items(2, seed=9, link_prefix="https://huge.example.org/s")
    huge[0]["title"] = "Coup " * 900_000  # 4.5 MB
    feed_server.add("/huge-title.xml", make_rss(huge))
    feed_server.add("/flood.xml", _flood(26_000))
    with FeedServer() as inside:
        inside.add("/admin", b"internal")
        # A public name whose feed answers with a redirect into this machine.
        feed_server.add("/redirect.xml", b"", status=302, location=inside.url("/admin"))
        loopback_names(monkeypatch)
        # The address check resolves *.example to public addresses; the connection
        # still reaches this machine's servers. Patched where the runtime builds its
        # fetcher: that module holds its own name for the class once imported.
        monkeypatch.setattr(
            runtime, "Fetcher", functools.partial(http.Fetcher, resolve=PublicNames())
        )

        feeds = [
            {"name": "good-1", "url": feed_server.url("/good-1.xml")},
            {"name": "good-2", "url": feed_server.url("/good-2.xml")},
            {"name": "markup", "url": feed_server.url("/markup.xml")},
            {"name": "bomb", "url": feed_server.url("/bomb.xml")},
            {"name": "huge-title", "url": feed_server.url("/huge-title.xml")},
            {"name": "flood", "url": feed_server.url("/flood.xml")},
            {"name": "redirect", "url": feed_server.url("/redirect.xml", host="feeds.example")},
        ]
        database = f"sqlite:///{tmp_path / 'warning.db'}"
        config = tmp_path / "warning.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "database": database,
                    "feeds": feeds,
                    # Real worker processes, as the daemon runs on a multi-core host.
                    "poll": {"processes": 2, "deadline": "30s", "max_bytes": "5MB"},
                }
            ),
            encoding="utf-8",
        )
        report = _poll(config, capsys)
        assert inside.requests == [], "a public feed's redirect reached this machine"

    status = {f["name"]: f for f in report["feeds"]}
    assert status["good-1"]["items_new"] == 4 and status["good-2"]["items_new"] == 5
    assert status["markup"]["status"] == "new" and status["markup"]["items_new"] == 3
    assert "cap of 5,000,000 bytes" in status["bomb"]["error"]
    assert status["huge-title"]["items_new"] == 2
    assert status["flood"]["items_new"] == 2_000
    assert "private" in status["redirect"]["error"] or "loopback" in status["redirect"]["error"]

    store = Store(database)
    try:
        titles = {item.title for item in store.items()}
        assert {str(item["title"]) for feed in good for item in feed} <= titles
        assert max(len(title) for title in titles) <= 1_000
    finally:
        store.close()
    capsys.readouterr()
    assert cli.main(["--config", str(config), "feeds", "--json"]) == 0
    warnings = {
        row["name"]: row["last_warning"] or "" for row in json.loads(capsys.readouterr().out)
    }
    assert "max_title_chars" in warnings["huge-title"]
    assert "max_items" in warnings["flood"]
