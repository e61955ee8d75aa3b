"""A large news body is shared among the workers: each parses it, then assesses and
stores every n-th item; the feed's new state is saved once every share is stored.

The result must be the one poll a single worker gives: each item once, assessed, the
ETag saved; and a share stored without the others loses nothing (the old ETag stays,
so the next poll fetches the body again and stores the rest).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import distinct, event, func, select

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from warning import config
from warning.pipeline import Pipeline, fetch_limits, intake, polling, worker_pool
from warning.pipeline.intake import ingest
from warning.records import FeedState, FetchResult, ParseResult
from warning.sources import REGISTRY
from warning.sources.base import Feed, Source
from warning.sources.caps import CapOptions
from warning.sources.gdelt.gkg import GkgOptions
from warning.sources.http import Fetcher
from warning.sources.rss import parse_feed
from warning.store import Store
from warning.store.tables import item_scores

BODY = make_rss(sample_items(60, seed=31))


def settings_for(tmp_path: Path, url: str) -> config.Settings:
    path = tmp_path / "warning.yaml"
    path.write_text(
        f"database: sqlite:///{tmp_path / 'w.db'}\n"
        f"feeds:\n  - name: big\n    url: {url}\n"
        "poll:\n  processes: 2\n"
    )
    return config.load(path)


def test_a_large_body_is_shared_among_the_workers_and_stored_as_one_poll(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(polling, "SHARE_BYTES", len(BODY) // 2)  # two shares
    feed_server.add("/big.xml", BODY)
    settings = settings_for(tmp_path, feed_server.url("/big.xml"))
    store = Store(settings.database.reveal())
    store.migrate()
    with Fetcher(fetch_limits(settings)) as fetcher, worker_pool(settings) as workers:
        pipeline = Pipeline(settings, store, fetcher, workers)
        first = pipeline.cycle().outcomes[0]
        used = len(workers.pids())  # one feed, nothing warmed: the shares started both
        second = pipeline.cycle().outcomes[0]
    stored = store.items()
    state = store.feed_state("big")
    with store.db.read() as conn:
        scored = conn.execute(select(func.count(distinct(item_scores.c.item_id)))).scalar()
    store.close()
    assert used == 2
    assert (first.status, first.items_new, first.items_duplicate) == ("new", 60, 0)
    assert len(stored) == 60 and len({i.title for i in stored}) == 60
    assert scored == 60, "every item was assessed"
    assert state.etag is not None and state.last_success is not None
    assert (second.status, second.items_new) == ("not_modified", 0)


#: When the tests below store a fetched body.
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def fetched_big(tmp_path: Path, body: bytes) -> tuple[Any, Source, FetchResult]:
    """The settings of one feed "big", its source, and ``body`` as a fetch of it brought."""
    url = "http://127.0.0.1:9/big.xml"
    settings = settings_for(tmp_path, url)
    return (
        settings,
        REGISTRY["rss"](settings.feeds[0]),
        FetchResult("ok", url, url, body=body, etag='"v1"'),
    )


def test_a_share_stored_alone_leaves_the_state_for_the_next_poll_to_finish(
    tmp_path: Path,
) -> None:
    settings, source, fetched = fetched_big(tmp_path, BODY)
    with Store(settings.database.reveal()) as store:
        store.migrate()
        new, dup, _ = ingest(source, fetched, None, NOW, store, (1, 3))  # then the poll fails
        assert (new, dup) == (20, 0)
        assert store.feed_state("big").etag is None, "the state waits for every share"
        ok = FeedState("big", etag='"v1"', last_success=NOW)
        new, dup, _ = ingest(source, fetched, ok, NOW, store)  # the next poll: whole
        assert (new, dup) == (40, 20)
        assert store.count_items() == 60
        assert store.feed_state("big").etag == '"v1"'


def test_a_share_is_stored_in_chunks_each_in_its_own_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intake, "SHARE_CHUNK", 7)
    settings, source, fetched = fetched_big(tmp_path, BODY)
    with Store(settings.database.reveal()) as store:
        store.migrate()
        commits: list[int] = []
        event.listen(store.db.engine, "commit", lambda conn: commits.append(1))
        new, dup, _ = ingest(source, fetched, None, NOW, store, (0, 2))
        assert len(commits) == 5, "30 items, 7 at a time"
        assert (new, dup) == (30, 0)
        new, dup, _ = ingest(source, fetched, None, NOW, store, (1, 2))
        assert (new, dup) == (30, 0)
        with store.db.read() as conn:
            scored = conn.execute(select(func.count(distinct(item_scores.c.item_id)))).scalar()
        assert store.count_items() == 60 and scored == 60, "each item once, assessed"
        assert store.feed_state("big").etag is None, "the state is the poll's to save"


def test_a_story_repeated_in_a_body_counts_once_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intake, "SHARE_CHUNK", 7)
    stories = sample_items(20, seed=5)
    body = make_rss(stories + stories)  # every story twice, in two places
    settings, source, fetched = fetched_big(tmp_path, body)
    with Store(settings.database.reveal()) as store:
        store.migrate()
        counts = [ingest(source, fetched, None, NOW, store, (k, 2))[:2] for k in (0, 1)]
        assert sum(new for new, _ in counts) == 20
        assert sum(dup for _, dup in counts) == 20
        assert store.count_items() == 20


def shares_of(parse: Callable[[tuple[int, int]], ParseResult], n: int) -> list[ParseResult]:
    return [parse((k, n)) for k in range(n)]


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("n", [2, 3])
def test_shares_build_only_their_items_and_warn_as_the_whole_body(fast: bool, n: int) -> None:
    # Cuts of every kind in entries of every share, some undated, and more entries than
    # max_items: the cap is decided on all entries, the cuts counted over all of them.
    stories = sample_items(40, seed=7)
    for i, story in enumerate(stories):
        if i % 4 == 1:
            story["title"] = f"{story['title']} " + "long " * 30
        if i % 5 == 2:
            story["description"] = "<p>" + "lede " * 400 + "</p>"
        if i % 7 == 3:
            story["link"] = "https://news.example.org/" + "x" * 5000
        if i % 5 == 4:
            del story["published"]
    body = make_rss(stories)
    caps = CapOptions(max_items=31, max_title_chars=60, max_summary_chars=40)

    def parse(share: tuple[int, int]) -> ParseResult:
        return parse_feed(
            body, feed="f", outlet="o", base_url="https://news.example.org/", caps=caps,
            fast=fast, share=share,
        )  # fmt: skip

    whole = parse((0, 1))
    shares = shares_of(parse, n)
    assert len(whole.items) == 31 and len(whole.warnings) == 4, whole.warnings
    key = attrgetter("guid_key")  # unique per story
    assert sorted((i for s in shares for i in s.items), key=key) == sorted(whole.items, key=key)
    assert all(s.warnings == whole.warnings for s in shares)
    assert sum(len(s.items) for s in shares) == len(whole.items), "no item in two shares"
    assert all(len(s.items) >= 31 // n - 2 for s in shares), "the shares are about even"


def test_a_kind_without_its_own_shares_keeps_every_nth_item_of_the_whole() -> None:
    body = (Path(__file__).parent / "fixtures" / "gdelt" / "20201024143000.gkg.csv").read_bytes()
    feed = Feed("gkg", "gdelt-gkg", "file:///gkg.csv", timedelta(minutes=15), "gdelt",
                options=GkgOptions())  # fmt: skip
    source = REGISTRY["gdelt-gkg"](feed)
    fetched = FetchResult("ok", feed.url, feed.url, body=body)
    whole = source.parse(fetched)
    shares = shares_of(lambda share: source.parse_share(fetched, share), 2)
    assert len(whole.items) > 2
    assert [s.items for s in shares] == [whole.items[0::2], whole.items[1::2]]
