"""Whole cycles through `warning poll --once`: real HTTP server, real database.

Each bad input ends in a clear error for its own feed; the other feeds carry
on and nothing already stored is lost.
"""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import shared_data
from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from tests.support import poll_once, write_config
from warning import cli
from warning.store import Store


def feed_status(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in report["feeds"]}


def stored_titles(tmp_path: Path, database: str | None = None) -> set[str]:
    store = Store(database or f"sqlite:///{tmp_path / 'warning.db'}")
    try:
        return {i.title for i in store.items()}
    finally:
        store.close()


def test_cycle_stores_new_items_then_second_cycle_is_not_modified(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.add("/a.xml", make_rss(sample_items(5, seed=1)))
    feed_server.add("/b.xml", make_rss(sample_items(3, seed=2)))
    path = write_config(
        tmp_path,
        [
            {"name": "a", "url": feed_server.url("/a.xml")},
            {"name": "b", "url": feed_server.url("/b.xml")},
        ],
    )
    first = poll_once(path, capsys)
    assert {
        k: first[k]
        for k in ("feeds_polled", "feeds_failed", "items_new", "items_duplicate", "alerts_new")
    } == {
        "feeds_polled": 2,
        "feeds_failed": 0,
        "items_new": 8,
        "items_duplicate": 0,
        "alerts_new": 0,
    }
    second = poll_once(path, capsys)
    assert second["items_new"] == 0 and second["feeds_failed"] == 0
    assert {f["status"] for f in second["feeds"]} == {"not_modified"}
    assert feed_server.stats()["status_304"] == 2


def test_changed_feed_adds_only_new_items(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str], db_url: str
) -> None:
    items = sample_items(6, seed=3)
    feed_server.add("/a.xml", make_rss(items[:4]))
    feed_server.add("/b.xml", make_rss(items[3:5]))  # one story shared with feed a
    feeds = [
        {"name": "a", "url": feed_server.url("/a.xml"), "outlet": "one"},
        {"name": "b", "url": feed_server.url("/b.xml"), "outlet": "two"},
    ]
    path = write_config(tmp_path, feeds, database=db_url)
    first = poll_once(path, capsys)
    assert (first["items_new"], first["items_duplicate"]) == (5, 1)
    feed_server.add("/a.xml", make_rss(items[2:]))  # two old, two new (one of them b's)
    report = poll_once(path, capsys)
    assert report["items_new"] == 1 and report["items_duplicate"] == 3
    assert {f["status"] for f in report["feeds"]} == {"new", "not_modified"}
    assert len(stored_titles(tmp_path, db_url)) == 6


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


ENTITY_BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "aaaaaaaaaaaaaaaaaaaa">\n'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n'
    b'<rss version="2.0"><channel><title>t</title><item><title>x</title>'
    b"<description>&c;&c;&c;&c;</description></item></channel></rss>"
)


@pytest.mark.usefixtures("no_dns")
def test_bad_feeds_fail_alone_and_lose_nothing(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    good = sample_items(4, seed=4)
    feed_server.add("/good.xml", make_rss(good))
    # First cycle: every feed is healthy and stores its items.
    bad_names = [
        "e404",
        "e500",
        "refused",
        "unknown-host",
        "loop",
        "entities",
        "huge",
        "slow",
        "garbage",
        "html",
    ]
    for n, name in enumerate(bad_names):
        # Distinct seeds: equal texts would be deduplicated across the feeds.
        items = sample_items(2, seed=100 + n, link_prefix=f"https://{name}.org")
        feed_server.add(f"/{name}.xml", make_rss(items))
    port = _refused_port()
    feeds = [{"name": "good", "url": feed_server.url("/good.xml")}]
    feeds += [{"name": n, "url": feed_server.url(f"/{n}.xml")} for n in bad_names]
    path = write_config(tmp_path, feeds, poll={"deadline": "2s", "max_bytes": "5MB"})
    first = poll_once(path, capsys)
    assert first["feeds_failed"] == 0 and first["items_new"] == 4 + 2 * len(bad_names)
    before = stored_titles(tmp_path)

    # Now each bad feed breaks in its own way; the good one gains an item.
    feed_server.add("/good.xml", make_rss(sample_items(5, seed=4)))
    feed_server.add("/e404.xml", b"not here", status=404)
    feed_server.add("/e500.xml", b"oops", status=500)
    feed_server.add("/loop.xml", b"", status=302, location=feed_server.url("/loop.xml"))
    feed_server.add("/entities.xml", ENTITY_BOMB)
    feed_server.add_large("/huge.xml", 60_000_000, chunked=True)
    feed_server.add("/slow.xml", make_rss(sample_items(2, seed=9)), trickle=1.0)
    feed_server.add("/garbage.xml", b"\x00\x01\x02 this is not a feed \xff\xfe")
    feed_server.add(
        "/html.xml",
        b"<html><body><p>Service unavailable</p></body></html>",
        content_type="text/html",
    )
    feeds[3] = {"name": "refused", "url": f"http://127.0.0.1:{port}/feed.xml"}
    feeds[4] = {"name": "unknown-host", "url": "http://unknown-host.invalid/feed.xml"}
    path = write_config(tmp_path, feeds, poll={"deadline": "2s", "max_bytes": "5MB"})
    report = poll_once(path, capsys)
    status = feed_status(report)
    assert status["good"]["status"] == "new" and status["good"]["items_new"] == 1
    assert report["feeds_failed"] == len(bad_names)
    expected = {
        "e404": "HTTP 404",
        "e500": "HTTP 500",
        "refused": "127.0.0.1",
        "unknown-host": "unknown-host.invalid",
        "loop": "redirect",
        "entities": "ENTITY",
        "huge": "cap of 5,000,000 bytes",
        "slow": "deadline",
        "garbage": "",
        "html": "",
    }
    for name, fragment in expected.items():
        assert status[name]["status"] == "error", name
        assert fragment.lower() in status[name]["error"].lower(), (name, status[name]["error"])
        assert "internal error" not in status[name]["error"]
    after = stored_titles(tmp_path)
    assert before <= after and len(after) == len(before) + 1

    # Their health is recorded and shown; failing feeds back off.
    capsys.readouterr()
    assert cli.main(["--config", str(path), "feeds", "--json"]) == 0
    health = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert health["good"]["consecutive_failures"] == 0 and health["good"]["last_error"] is None
    assert health["e404"]["consecutive_failures"] == 1
    assert "HTTP 404" in health["e404"]["last_error"]
    assert health["e404"]["last_success"] is not None  # from the first cycle


def test_failures_back_off_exponentially(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.add("/down.xml", b"", status=503)
    path = write_config(
        tmp_path,
        [{"name": "down", "url": feed_server.url("/down.xml"), "every": "10m"}],
        poll={"jitter": 0, "backoff_max": "30m"},
    )
    delays = []
    for _ in range(4):
        start = datetime.now(UTC)
        poll_once(path, capsys)
        store = Store(f"sqlite:///{tmp_path / 'warning.db'}")
        state = store.feed_state("down")
        store.close()
        assert state.next_due is not None
        delays.append(round((state.next_due - start).total_seconds() / 60))
    assert delays == [10, 20, 30, 30]  # capped at backoff_max
    assert state.consecutive_failures == 4


def test_duplicates_and_items_without_dates_or_links(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    items = sample_items(3, seed=5)
    dup = dict(items[0], title="Same GUID, edited headline")
    undated = {
        "title": "Undated report from Kidal",
        "description": "No date here.",
        "link": "https://news.example.org/undated",
        "guid": None,
    }
    linkless = {
        "title": "Linkless report from Djibo",
        "description": "No link here.",
        "guid": "item-without-link",
    }
    feed_server.add("/a.xml", make_rss([*items, dup, undated, linkless]))
    path = write_config(tmp_path, [{"name": "a", "url": feed_server.url("/a.xml")}])
    report = poll_once(path, capsys)
    assert (report["items_new"], report["items_duplicate"]) == (5, 1)
    store = Store(f"sqlite:///{tmp_path / 'warning.db'}")
    try:
        by_title = {i.title: i for i in store.items()}
    finally:
        store.close()
    assert "Same GUID, edited headline" not in by_title  # the first version is kept
    assert by_title["Undated report from Kidal"].published is None
    assert by_title["Linkless report from Djibo"].link is None


def test_same_story_on_two_outlets_is_stored_once_and_linked(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    body = make_rss(sample_items(3, seed=6))
    feed_server.add("/one.xml", body)
    feed_server.add("/two.xml", body)
    path = write_config(
        tmp_path,
        [
            {"name": "one", "url": feed_server.url("/one.xml"), "outlet": "outlet-one"},
            {"name": "two", "url": feed_server.url("/two.xml"), "outlet": "outlet-two"},
        ],
    )
    report = poll_once(path, capsys)
    assert (report["items_new"], report["items_duplicate"]) == (3, 3)
    store = Store(f"sqlite:///{tmp_path / 'warning.db'}")
    try:
        items = store.items()
    finally:
        store.close()
    assert len(items) == 3
    assert all(set(i.outlets) == {"outlet-one", "outlet-two"} for i in items)


def test_every_feedparser_corpus_file_goes_through_a_cycle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = shared_data("feeds", "feedparser-corpus")
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix in (".xml", ".rdf"))
    assert len(files) > 400
    feeds = [{"name": f"c{i}", "url": p.as_uri()} for i, p in enumerate(files)]
    path = write_config(tmp_path, feeds)
    report = poll_once(path, capsys)
    assert report["feeds_polled"] == len(files)
    errors = [f for f in report["feeds"] if f["status"] == "error"]
    internal = [f for f in errors if "internal error" in f["error"]]
    assert not internal, internal[:5]
    # About half the corpus holds entries; many are identical test entries, which
    # dedup by content collapses, so count what was seen rather than what was new.
    with_items = [f for f in report["feeds"] if f["items_new"] + f["items_duplicate"] > 0]
    assert len(with_items) > 250 and report["items_new"] > 50
    # A second cycle over unchanged files stores nothing and fails nothing new.
    again = poll_once(path, capsys)
    assert again["items_new"] == 0 and again["feeds_failed"] == len(errors)


def test_real_news_feeds_ingest_with_titles_links_dates_and_dedup(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    news = shared_data("feeds", "news")
    names = [
        "bbc_world_2017-01-20",
        "bbc_world_2019-02-24",
        "bbc_world_2026-09-10",
        "lemonde_international_2024-03-27",
    ]
    for name in names:
        feed_server.add(f"/{name}.xml", (news / f"{name}.xml").read_bytes())
    # The 2026 BBC file is also served as another outlet's feed: each story is stored once.
    feed_server.add("/bbc-copy.xml", (news / "bbc_world_2026-09-10.xml").read_bytes())
    feeds = [{"name": n, "url": feed_server.url(f"/{n}.xml")} for n in names]
    feeds.append(
        {"name": "bbc-copy", "url": feed_server.url("/bbc-copy.xml"), "outlet": "bbc-copy"}
    )
    path = write_config(tmp_path, feeds)
    report = poll_once(path, capsys)
    status = feed_status(report)
    assert report["feeds_failed"] == 0
    # Both feeds are polled at once, so either may store a story first.
    pair = [status["bbc-copy"], status["bbc_world_2026-09-10"]]
    assert sum(f["items_new"] for f in pair) == sum(f["items_duplicate"] for f in pair) > 20
    store = Store(f"sqlite:///{tmp_path / 'warning.db'}")
    try:
        items = store.items()
    finally:
        store.close()
    assert len(items) == report["items_new"] > 60
    lemonde = [i for i in items if i.link and "lemonde.fr" in i.link]
    assert lemonde and any(any(c in i.title for c in "éèàç") for i in lemonde)
    assert all(i.published is None or i.published.tzinfo is not None for i in items)
    assert all("<" not in i.title for i in items)
    dated = [i for i in items if i.published]
    assert len(dated) > 0.9 * len(items)
    assert min(i.published for i in dated if i.published) > datetime(2016, 1, 1, tzinfo=UTC)
    assert max(i.published for i in dated if i.published) < datetime.now(UTC) + timedelta(days=1)


def test_new_items_are_geotagged_and_scored_in_the_cycle(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str], db_url: str
) -> None:
    stories = [
        {
            "title": "Gunmen attack a police post near Djibo",
            "description": "Several were killed.",
            "link": "https://news.example.org/djibo",
            "guid": "g-djibo",
        },
        {
            "title": "Le gouvernement togolais prolonge l'état d'urgence dans les Savanes",
            "description": "La mesure vise la région frontalière.",
            "link": "https://news.example.org/togo",
            "guid": "g-togo",
        },
        {
            "title": "Quarterly results beat forecasts",
            "description": "Shares rose.",
            "link": "https://news.example.org/markets",
            "guid": "g-markets",
        },
    ]
    feed_server.add("/a.xml", make_rss(stories))
    path = write_config(
        tmp_path, [{"name": "a", "url": feed_server.url("/a.xml")}], database=db_url
    )
    assert poll_once(path, capsys)["items_new"] == 3
    store = Store(db_url)
    try:
        stored = store.items()
    finally:
        store.close()
    about = {i.title.split()[0]: i.countries for i in stored}
    assert about == {"Gunmen": ("BF",), "Le": ("TG",), "Quarterly": ()}
    # Each new item is scored once and stored with its labels.
    signals = {i.title.split()[0]: i.labels for i in stored}
    assert signals["Gunmen"] == ("attack",) and signals["Quarterly"] == ()


def test_a_broken_model_leaves_items_unscored_and_is_tried_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from warning.classify import pack, scorer
    from warning.pipeline import intake
    from warning.records import Item

    tried: list[int] = []

    def missing() -> Path:
        tried.append(1)
        return tmp_path / "no-model.pack"

    monkeypatch.setattr(pack, "default_path", missing)
    monkeypatch.setattr(scorer, "_DEFAULT", None)
    monkeypatch.setattr(intake, "_model_state", None)
    story = Item(
        "a", "o", "Gunmen attack a police post near Djibo", "", None, None, "en", None, None, "h"
    )
    first = intake.assess([story])
    second = intake.assess([story])
    assert [a.geo.primary for a in first + second] == ["BF", "BF"]
    assert all(a.scores == () and a.model is None for a in first + second)
    assert len(tried) == 1
    assert sum("stored unscored" in r.message for r in caplog.records) == 1
