"""The store on SQLite (always) and PostgreSQL (a throwaway cluster, or skipped with a reason)."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect, select

from warning.errors import StoreError
from warning.records import (
    Assessment,
    CountryScore,
    FeedState,
    GeoTag,
    Item,
    LabelScore,
    Place,
)
from warning.store import Store, open_store
from warning.store.engine import UTCDateTime, make_engine
from warning.store.migrate import MIGRATIONS, alembic_config, current_revision, head_revision
from warning.store.tables import feeds, item_places, item_scores, metadata, sightings

T0 = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)

# pg_server_url and db_url (one test per backend) live in conftest.py.


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated store on each backend."""
    with open_store(db_url) as opened:
        yield opened


def item(n: int | str, feed: str = "feed-a", outlet: str = "Outlet A", **changes: object) -> Item:
    """An item whose keys all derive from ``n``; override any field by keyword."""
    base = Item(
        feed=feed,
        outlet=outlet,
        title=f"Story {n}",
        summary=f"Summary of story {n}.",
        link=f"https://example.org/{n}",
        published=T0,
        lang="en",
        guid_key=f"guid:{n}",
        url_key=f"example.org/{n}",
        content_hash=f"hash{n}",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def poll(store: Store, feed: str, batch: list[Item], etag: str | None = None) -> tuple[int, int]:
    return store.record_poll(feed, FeedState(feed, etag=etag, last_success=T0), batch, T0)


# --- schema --------------------------------------------------------------------------------


def test_migrate_creates_tables_and_is_idempotent(db_url: str) -> None:
    with Store(db_url) as store:
        engine = make_engine(db_url)
        try:
            assert current_revision(engine) is None
            store.migrate()
            assert current_revision(engine) == head_revision() == "0011"
            tables = {"feeds", "items", "sightings", "item_countries", "item_places", "item_scores"}
            assert tables <= set(inspect(engine).get_table_names())
            store.migrate()  # a second start finds nothing to do
            assert current_revision(engine) == head_revision()
            store.ping()
        finally:
            engine.dispose()


def _join(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)  # a guard against a hang, not a timing assertion
    assert not any(t.is_alive() for t in threads), "threads still running: deadlock?"


def test_stores_in_one_process_migrating_together(db_url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def instance() -> None:
        try:
            with Store(db_url) as own:
                start.wait()
                own.migrate()
        except BaseException as err:
            errors.append(err)

    _join([threading.Thread(target=instance) for _ in range(4)])
    assert errors == []
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


MIGRATE_WHEN_TOLD = """
import sys, time
from pathlib import Path
from warning.store import Store
store = Store(sys.argv[1])
print("ready", flush=True)
while not Path(sys.argv[2]).exists():
    time.sleep(0.005)
store.migrate()
store.close()
"""


def test_processes_starting_together_migrate_once(db_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE_WHEN_TOLD, db_url, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        go.touch()  # all imported and connected: now they race
        outcomes = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outcomes]
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_migrations_match_metadata(store: Store, db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_migrations_are_plain_files_inside_the_package() -> None:
    # Alembic loads them by path; hatchling ships all of warning/ in the wheel.
    assert MIGRATIONS.parts[-3:] == ("warning", "store", "migrations")
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "script.py.mako").is_file()
    assert (MIGRATIONS / "versions" / "0001_initial.py").is_file()
    assert not (MIGRATIONS / "__init__.py").exists()


def test_sqlite_pragmas_and_parent_directory(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "warning.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert path.exists()
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_one_database_for_all_threads() -> None:
    with open_store("sqlite://") as store:
        counts: list[int] = []
        worker = threading.Thread(target=lambda: counts.append(store.count_items()))
        poll(store, "feed-a", [item(1)])
        worker.start()
        worker.join()
        assert counts == [1]


# --- times ---------------------------------------------------------------------------------


def test_datetimes_round_trip_as_aware_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=2))
    published = datetime(2024, 7, 1, 14, 30, tzinfo=paris)
    state = FeedState("feed-a", next_due=datetime(2024, 7, 1, 13, 0, tzinfo=paris))
    store.record_poll("feed-a", state, [item(1, published=published)], T0)

    [stored] = store.items()
    assert stored.published == published
    assert stored.published is not None and stored.published.tzinfo == UTC
    assert stored.first_seen == T0 and stored.first_seen.tzinfo == UTC
    next_due = store.feed_state("feed-a").next_due
    assert next_due == datetime(2024, 7, 1, 11, 0, tzinfo=UTC)
    assert next_due is not None and next_due.tzinfo == UTC


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = datetime(2024, 7, 1, 12, 0)
    with pytest.raises(ValueError, match="naive"):
        store.save_state(FeedState("feed-a", next_due=naive))
    with pytest.raises(ValueError, match="naive"):
        store.record_poll("feed-a", FeedState("feed-a"), [item(1, published=naive)], T0)
    with pytest.raises(ValueError):
        store.record_poll("feed-a", FeedState("feed-a"), [item(1)], naive)
    assert store.count_items() == 0
    assert store.feed_states() == {}


def test_utc_type_converts_and_refuses_naive() -> None:
    sqlite_dialect = make_engine("sqlite://").dialect
    utc_type = UTCDateTime()
    east = datetime(2024, 1, 1, 3, 0, tzinfo=timezone(timedelta(hours=3)))
    assert utc_type.process_bind_param(east, sqlite_dialect) == datetime(2024, 1, 1, 0, 0)
    assert utc_type.process_result_value(datetime(2024, 1, 1), sqlite_dialect) == datetime(
        2024, 1, 1, tzinfo=UTC
    )
    with pytest.raises(ValueError):
        utc_type.process_bind_param(datetime(2024, 1, 1), sqlite_dialect)


# --- dedup ---------------------------------------------------------------------------------


def test_new_items_are_stored_once(store: Store) -> None:
    assert poll(store, "feed-a", [item(1), item(2), item(3)]) == (3, 0)
    assert poll(store, "feed-a", [item(1), item(2), item(3), item(4)]) == (1, 3)
    assert store.count_items() == 4


@pytest.mark.parametrize("shared", ["guid_key", "url_key", "content_hash"])
def test_duplicate_by_each_key(store: Store, shared: str) -> None:
    poll(store, "feed-a", [item(1)])
    # Every key differs except the one under test.
    copy = item(2, **{shared: getattr(item(1), shared)})
    assert poll(store, "feed-a", [copy]) == (0, 1)
    assert store.count_items() == 1


def test_missing_keys_are_skipped(store: Store) -> None:
    poll(store, "feed-a", [item(1, guid_key=None, url_key=None)])
    # Neither None guid nor None url matches anything; the content hash does.
    assert poll(store, "feed-a", [item(2, guid_key=None, url_key=None, content_hash="hash1")]) == (
        0,
        1,
    )
    assert poll(store, "feed-a", [item(3, guid_key=None, url_key=None)]) == (1, 0)
    assert store.count_items() == 2


def test_guid_match_wins_over_url_match(store: Store) -> None:
    poll(store, "feed-a", [item(1), item(2)])
    # GUID of story 1, URL of story 2: it is story 1.
    both = item(9, feed="feed-b", guid_key="guid:1", url_key="example.org/2")
    assert poll(store, "feed-b", [both]) == (0, 1)
    by_title = {s.title: s for s in store.items()}
    assert by_title["Story 1"].feeds == ("feed-a", "feed-b")
    assert by_title["Story 2"].feeds == ("feed-a",)


def test_duplicate_guids_within_one_batch(store: Store) -> None:
    twin = item(2, guid_key="guid:1")  # same GUID as the first, different story text
    assert poll(store, "feed-a", [item(1), twin, item(3), item(1)]) == (2, 2)
    assert sorted(s.title for s in store.items()) == ["Story 1", "Story 3"]


def test_batch_duplicates_by_url_and_hash(store: Store) -> None:
    batch = [item(1), item(2, url_key="example.org/1"), item(3, content_hash="hash1"), item(4)]
    assert poll(store, "feed-a", batch) == (2, 2)


def test_same_story_on_a_second_feed_links_to_the_stored_item(store: Store) -> None:
    store.sync_feeds(
        [
            ("feed-a", "rss", "https://a.example/rss", "Outlet A"),
            ("feed-b", "rss", "https://b.example/rss", "Outlet B"),
        ]
    )
    assert poll(store, "feed-a", [item(1)]) == (1, 0)
    other = item(1, feed="feed-b", outlet="Outlet B", guid_key="b-guid:77")
    assert poll(store, "feed-b", [other]) == (0, 1)
    assert poll(store, "feed-b", [other]) == (0, 1)  # seen again: still one sighting

    [stored] = store.items()
    assert stored.feed == "feed-a" and stored.outlet == "Outlet A"
    assert stored.outlets == ("Outlet A", "Outlet B")
    assert stored.feeds == ("feed-a", "feed-b")
    with store.db.read() as conn:
        assert len(conn.execute(select(sightings)).all()) == 2


def geotag(*codes: str, labels: tuple[str, ...] = ()) -> Assessment:
    geo = GeoTag(
        countries=tuple(CountryScore(c, round(1.0 - 0.3 * i, 2)) for i, c in enumerate(codes)),
        places=tuple(Place(f"Town in {c}", c, "city", "Region", 12.5, -1.5) for c in codes),
    )
    scores = tuple(
        LabelScore(label, 0.9 if label in labels else 0.1, label in labels, ("soldiers",))
        for label in ("coup", "attack")
    )
    return Assessment(geo, scores, "model-1")


def test_geotags_are_stored_with_new_items_only(store: Store) -> None:
    first = store.record_poll(
        "feed-a",
        FeedState("feed-a"),
        [item(1), item(2)],
        T0,
        [geotag("ML", "NE", labels=("coup",)), geotag("BF")],
    )
    assert first == (2, 0)
    # The same story seen again with another geotag keeps the first one.
    again = store.record_poll("feed-a", FeedState("feed-a"), [item(1)], T0, [geotag("CI")])
    assert again == (0, 1)
    by_title = {i.title: i for i in store.items()}
    assert by_title["Story 1"].countries == ("ML", "NE")
    assert by_title["Story 2"].countries == ("BF",)
    assert by_title["Story 1"].labels == ("coup",) and by_title["Story 2"].labels == ()
    with store.db.read() as conn:
        scores = conn.execute(select(item_scores).order_by(item_scores.c.item_id)).all()
    assert len(scores) == 4 and {s.model for s in scores} == {"model-1"}
    assert {s.terms for s in scores} == {"soldiers"}
    with store.db.read() as conn:
        places = conn.execute(select(item_places).order_by(item_places.c.id)).all()
    assert [(p.country, p.kind, p.lat, p.lon, p.in_title) for p in places] == [
        ("ML", "city", 12.5, -1.5, False),
        ("NE", "city", 12.5, -1.5, False),
        ("BF", "city", 12.5, -1.5, False),
    ]


def test_geotags_must_match_the_items(store: Store) -> None:
    with pytest.raises(ValueError, match="1 assessments for 2 items"):
        store.record_poll("feed-a", FeedState("feed-a"), [item(1), item(2)], T0, [geotag("ML")])
    assert store.count_items() == 0


def test_upgrade_from_0001_keeps_stored_items(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
        # Rows as the 0001 schema holds them (today's code writes columns it lacked).
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO feeds (id, name, etag, consecutive_failures, created_at) "
                    "VALUES (1, 'feed-a', '\"x\"', 0, :t)"
                ),
                {"t": T0},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO items (guid_key, title, summary, first_seen, feed_id, outlet) "
                    "VALUES ('guid:1', 'Story 1', 'Summary', :t, 1, 'Outlet A')"
                ),
                {"t": T0},
            )
        with Store(db_url) as store:
            store.migrate()
            assert current_revision(engine) == head_revision()
            [kept] = store.items()
            assert kept.title == "Story 1" and kept.countries == ()
            assert store.feed_state("feed-a").etag == '"x"'
    finally:
        engine.dispose()


def test_record_poll_is_atomic(store: Store) -> None:
    poll(store, "feed-a", [item(1)], etag='"v1"')
    broken = item(3, title=None)  # violates NOT NULL, after a good new item in the batch
    with pytest.raises(sa_exc.IntegrityError):
        poll(store, "feed-a", [item(2), broken], etag='"v2"')
    assert store.count_items() == 1
    assert store.feed_state("feed-a").etag == '"v1"'


def test_record_poll_saves_state_with_items(store: Store) -> None:
    state = FeedState(
        "feed-a", etag='"e"', last_modified="Mon, 01 Jul 2024 12:00:00 GMT", final_url="https://x/"
    )
    assert store.record_poll("feed-a", state, [], T0) == (0, 0)
    assert store.feed_state("feed-a") == state
    with pytest.raises(ValueError):
        store.record_poll("feed-b", state, [], T0)


def test_state_only_save(store: Store) -> None:
    assert store.feed_state("never-polled") == FeedState("never-polled")
    failing = FeedState(
        "feed-a",
        etag='"v1"',
        next_due=T0 + timedelta(minutes=20),
        last_attempt=T0,
        last_success=T0 - timedelta(hours=1),
        consecutive_failures=3,
        last_error="HTTP 503 Service Unavailable",
        last_warning="bozo: not well-formed",
    )
    store.save_state(failing)
    assert store.feed_state("feed-a") == failing
    recovered = replace(failing, consecutive_failures=0, last_error=None)
    store.save_state(recovered)
    assert store.feed_states() == {"feed-a": recovered}
    assert store.count_items() == 0


def test_sync_feeds_updates_but_never_deletes(store: Store) -> None:
    store.sync_feeds([("a", "rss", "https://a/1", "A"), ("b", "rss", "https://b/1", "B")])
    store.save_state(FeedState("b", etag='"kept"'))
    store.sync_feeds([("b", "gdelt", "https://b/2", "B2")])
    with store.db.read() as conn:
        rows = {r.name: r for r in conn.execute(select(feeds)).all()}
    assert set(rows) == {"a", "b"}
    assert (rows["b"].kind, rows["b"].url, rows["b"].outlet) == ("gdelt", "https://b/2", "B2")
    assert (rows["a"].kind, rows["a"].url) == ("rss", "https://a/1")
    assert store.feed_state("b").etag == '"kept"'  # configuration changes keep the state
    store.sync_feeds([])


def test_items_newest_first_with_limit(store: Store) -> None:
    store.record_poll("feed-a", FeedState("feed-a"), [item(1)], T0)
    store.record_poll("feed-a", FeedState("feed-a"), [item(2)], T0 + timedelta(minutes=5))
    assert [s.title for s in store.items()] == ["Story 2", "Story 1"]
    assert [s.title for s in store.items(limit=1)] == ["Story 2"]


def test_concurrent_record_poll_stores_each_item_once(db_url: str) -> None:
    open_store(db_url).close()
    batch = [item(n) for n in range(30)]
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        feed = f"feed-{n % 4}"  # two threads per feed: same feed and cross-feed races
        try:
            # One Store each, as separate instances would: no shared lock to lean on.
            with Store(db_url) as own:
                start.wait()
                copies = [replace(i, feed=feed, outlet=f"Outlet {n % 4}") for i in batch]
                results.append(own.record_poll(feed, FeedState(feed), copies, T0))
        except BaseException as err:
            errors.append(err)

    _join([threading.Thread(target=worker, args=(n,)) for n in range(8)])
    assert errors == []
    assert sum(new for new, _ in results) == len(batch)
    assert sum(dup for _, dup in results) == 7 * len(batch)
    with Store(db_url) as check:
        assert check.count_items() == len(batch)
        assert {s.outlets for s in check.items()} == {tuple(f"Outlet {k}" for k in range(4))}


# --- errors --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_unreachable_postgresql_is_a_store_error(caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("psycopg")
    caplog.set_level(logging.DEBUG)
    url = f"postgresql+psycopg://warning:s3cret@127.0.0.1:{_free_port()}/warning"
    with Store(url) as store:
        assert store.dialect == "postgresql"
        with pytest.raises(StoreError) as caught:
            store.ping()
        with pytest.raises(StoreError):
            store.save_state(FeedState("feed-a"))
    assert caught.value.hint is not None and "`database` URL" in caught.value.hint
    assert "server is running" in caught.value.hint
    assert "s3cret" not in str(caught.value)
    assert "s3cret" not in caplog.text


def test_bad_urls_are_store_errors(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError):
        Store("not a url")
    with pytest.raises(StoreError):
        Store("nosuchdb://x")
    with pytest.raises(StoreError):
        Store(f"sqlite:///{tmp_path / 'file' / 'warning.db'}")  # parent is a file
    with pytest.raises(StoreError, match="unsupported"):
        Store("mysql://u@localhost/x")


def test_unopenable_sqlite_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with Store(f"sqlite:///{tmp_path / 'dir.db'}") as store, pytest.raises(StoreError):
        store.ping()


def _assessed(country: str, label: str, probability: float) -> Assessment:
    return Assessment(
        GeoTag((CountryScore(country, 1.0),)),
        (LabelScore(label, probability, True, ("cameo",)),),
        "events-v1",
    )


def test_a_new_revision_replaces_the_stored_item_and_its_assessment(store: Store) -> None:
    first = item(1, revision="2024-07-01", tags=("fatalities:2",))
    state = FeedState("feed-a")
    assert store.record_poll("feed-a", state, [first], T0, [_assessed("ML", "attack", 0.6)]) == (
        1,
        0,
    )
    # The same revision again is a plain duplicate; a new one is "not stored already".
    edited = item(1, title="Story 1 (corrected)", revision="2024-07-03", tags=("fatalities:5",))
    assert store.stored_already([first, edited]) == [True, False]
    later = T0 + timedelta(days=2)
    new, dup = store.record_poll("feed-a", state, [edited], later, [_assessed("BF", "attack", 0.9)])
    assert (new, dup) == (0, 1)
    [kept] = store.items()
    assert kept.title == "Story 1 (corrected)" and kept.revision == "2024-07-03"
    assert kept.tags == ("fatalities:5",) and kept.countries == ("BF",)
    assert kept.first_seen == T0  # still the same story, counted once
    assert store.stored_already([edited]) == [True]


def test_flatline_slot_counts_are_what_counting_the_times_gives(store: Store) -> None:
    # The daemon counts per slot in the database; a backtest reads the times once and
    # counts them in Python (signals.slot_counts). Both must give the same counts.
    from warning.alerting.signals import slot_counts

    for k in range(40):  # one item every 7 hours on two feeds, about two countries each
        feed = "feed-a" if k % 3 else "feed-b"
        at = T0 + timedelta(hours=7 * k)
        assessment = geotag("ML" if k % 2 else "NE", "BF")
        store.record_poll(feed, FeedState(feed), [item(k, feed=feed)], at, [assessment])
    end = T0 + timedelta(hours=7 * 35)  # item 35 stands on the end, item 11 on a slot's edge
    for kind, names in (("feed", None), ("country", ["ML", "NE", "GH"]), ("country", None)):
        for slot, slots in ((timedelta(hours=24), 10), (timedelta(hours=6), 30)):
            times = store.alerts.seen_times(kind, names, end - slot * slots, end)
            expected = {name: slot_counts(t, end, slot, slots) for name, t in times.items()}
            assert sum(map(sum, expected.values())) > 20
            assert store.alerts.slot_counts(kind, names, end, slot, slots) == expected
