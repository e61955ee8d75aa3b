"""Travel advisories: the ``travel-advisory`` source, its history query and the ``advisory`` rule.

The fixtures under tests/fixtures/advisory are small copies of the real formats:
the US State Department's RSS (``us-1.xml``, then ``us-2.xml`` where Mali goes
from level 3 to 4 and Niger from 3 to 2) and FCDO Atom feeds (a country feed
for Mali in two versions, and the index feed). Polls go through the real local
HTTP server or ``file://`` into a real database, and signals come from what
was stored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.feedserver import FeedServer
from warning import config
from warning.alerting.rules import REGISTRY as RULES
from warning.alerting.rules import RuleSet
from warning.alerting.rules import advisory as rule_module
from warning.alerting.rules.advisory import (
    AdvisoryRule,
    advisory_changes,
    advisory_signals,
    change_title,
)
from warning.config import OperatorSettings
from warning.errors import ConfigError, ParseError, UnsafeFeed
from warning.pipeline import Alerter, Pipeline, fetch_limits, worker_pool
from warning.records import FeedState, FetchResult, Signal
from warning.sources import REGISTRY as SOURCES
from warning.sources import advisory as source_module
from warning.sources.advisory import (
    TravelAdvisorySource,
    country_from_name,
    fcdo_level,
    parse_advisories,
    us_code_to_iso,
)
from warning.sources.base import Feed
from warning.sources.http import Fetcher
from warning.store import Store, open_store
from warning.store.advisories import AdvisoryVersion, advisory_tags

FIXTURES = Path(__file__).parent / "fixtures" / "advisory"
ATOM = "application/atom+xml; charset=utf-8"
T0 = datetime(2020, 8, 18, 6, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(hours=2)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(name: str, publisher: str | None = None) -> Any:
    return parse_advisories(
        fixture(name), feed="f", outlet="o", base_url="https://example.org/", publisher=publisher
    )


def rule(**keys: Any) -> AdvisoryRule:
    return AdvisoryRule(name="advisories", **keys)


# --- parsing: the US State Department ------------------------------------------------


def test_us_feed_items_levels_and_iso_countries() -> None:
    result = parse("us-1.xml")
    by_country = {a.geo.primary: i for i, a in zip(result.items, result.assessments, strict=True)}
    # FIPS 10-4, not ISO: NG is Niger, NI Nigeria, UV Burkina Faso, IV Côte d'Ivoire.
    assert list(by_country) == ["ML", "NE", "NG", "BF", "CI", "HK"]
    mali = by_country["ML"]
    assert mali.title == "Mali - Level 3: Reconsider Travel"
    assert mali.guid_key == "advisory:us:ML:2020-08-03T04:00:00Z"
    assert mali.published == datetime(2020, 8, 3, 4, tzinfo=UTC)
    assert mali.tags == ("advisory-level:3", "advisory-source:us", "country:ML")
    assert mali.link and mali.link.endswith("/mali-travel-advisory.html")
    assert mali.lang == "en"
    # The summary is the description's first paragraph: what changed.
    assert mali.summary == "Reissued after periodic review with minor edits."
    assert by_country["CI"].summary.startswith("Exercise increased caution in Côte d'Ivoire")
    # The feed without domain attributes (older copies) reads the same.
    assert by_country["BF"].tags == ("advisory-level:4", "advisory-source:us", "country:BF")
    # Hong Kong has no code in the feed: its title names it.
    assert by_country["HK"].guid_key == "advisory:us:HK:2020-08-14T04:00:00Z"


def test_us_assessments_bring_the_country_and_no_label_scores() -> None:
    result = parse("us-1.xml")
    assert len(result.assessments) == len(result.items)
    for item, assessment in zip(result.items, result.assessments, strict=True):
        assert assessment is not None
        assert [(c.code, c.score) for c in assessment.geo.countries] == [
            (item.tags[-1].removeprefix("country:"), 1.0)
        ]
        assert assessment.scores == ()
        assert assessment.model == "advisory-1" == source_module.MODEL == rule_module.MODEL


def test_us_bad_entries_are_counted_and_summed_up_in_one_warning() -> None:
    result = parse("us-1.xml")
    assert result.entries_skipped == 3
    assert result.warnings == (
        "3 of 9 entries skipped: 1 without a country, 1 with an unknown country code (QQ), "
        "1 without an advisory level",
    )


def test_a_feed_with_no_usable_entry_is_a_parse_error() -> None:
    with pytest.raises(ParseError) as err:
        parse("us-unusable.xml")
    assert "no usable advisory" in str(err.value)
    assert "1 without a country, 1 with an unknown country code (A3)" in str(err.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"<html><body>Maintenance</body></html>", "HTML page"),
        (
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>',
            "no entries",
        ),
        (b'<?xml version="1.0"?><opml version="2.0"><head/><body/></opml>', "neither RSS nor Atom"),
    ],
)
def test_bodies_without_advisories_are_parse_errors(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_advisories(body, feed="f", outlet="o", base_url="https://example.org/")


def test_entity_declarations_are_refused() -> None:
    bomb = fixture("us-1.xml").replace(
        b'<rss version="2.0"',
        b'<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n<rss version="2.0"',
    )
    with pytest.raises(UnsafeFeed):
        parse_advisories(bomb, feed="f", outlet="o", base_url="https://example.org/")


def test_a_code_that_disagrees_with_the_title_is_skipped() -> None:
    # Were the Department to switch to ISO codes, NG would mean Nigeria: the title catches it.
    body = fixture("us-1.xml").replace(
        b'<category domain="Country-Tag">NI</category>',
        b'<category domain="Country-Tag">NG</category>',
    )
    result = parse_advisories(body, feed="f", outlet="o", base_url="https://example.org/")
    assert "country:NG" not in {t for i in result.items for t in i.tags}
    assert result.entries_skipped == 4
    assert (
        "1 whose country code and title name different countries (NG: NE by code, NG by title)"
        in (result.warnings[0])
    )


@pytest.mark.parametrize(
    ("code", "iso"),
    [("NI", "NG"), ("NG", "NE"), ("UV", "BF"), ("IV", "CI"), ("TO", "TG"), ("BN", "BJ"),
     ("CD", "TD"), ("GH", "GH"), ("ML", "ML"), ("uv", "BF"), ("A1", "BQ"), ("A2", "GF"),
     ("A3", None), ("QQ", None)],
)  # fmt: skip
def test_department_codes_to_iso(code: str, iso: str | None) -> None:
    assert us_code_to_iso(code) == iso


@pytest.mark.parametrize(
    ("name", "iso"),
    [("Burkina Faso", "BF"), ("Côte d'Ivoire", "CI"), ("cote-d-ivoire", "CI"), ("Niger", "NE"),
     ("Nigeria", "NG"), ("The Gambia", "GM"), ("Burma (Myanmar)", "MM"), ("Türkiye", "TR"),
     ("democratic-republic-of-the-congo", "CD"), ("Republic of the Congo", "CG"),
     ("st-lucia", "LC"), ("Saint Lucia", "LC"), ("guinea-bissau", "GW"), ("Guinea", "GN"),
     ("Israel, the West Bank and Gaza", "IL"), ("Worldwide Caution", None), ("Niger River", None),
     ("", None)],
)  # fmt: skip
def test_country_names_and_slugs_exact_only(name: str, iso: str | None) -> None:
    assert country_from_name(name) == iso


# --- parsing: the UK FCDO -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("The FCDO advises against all travel to Mali.", 4),
        ("FCDO now advises against all but essential travel to parts of Ghana", 3),
        ("We advise against all travel to the north and all but essential travel elsewhere", 4),
        ("The FCDO advise against all but essential travel to the whole of Niger.", 3),
        ("We no longer advise against all travel to Mopti; we now advise against all but "
         "essential travel there.", 3),
        ("Removal of advice against all but essential travel to Dakar.", None),
        ("Advice against all travel to the Cascades region has been lifted.", None),
        ("The FCDO no longer advises against all travel to Niamey", None),
        ("Entry requirements section updated.", None),
        ("", None),
    ],
)  # fmt: skip
def test_fcdo_advice_states_map_to_levels(text: str, level: int | None) -> None:
    assert fcdo_level(text) == level


def test_fcdo_country_feed_is_one_version_with_the_change_as_summary() -> None:
    (item,) = parse("uk-mali-2.atom").items
    assert item.guid_key == "advisory:uk:ML:2020-08-18T18:05:43Z"
    assert item.title == "Mali travel advice"
    assert item.summary.startswith("Latest update: following the military takeover, the FCDO now")
    assert item.tags == ("advisory-level:4", "advisory-source:uk", "country:ML")
    assert item.link == "https://www.gov.uk/foreign-travel-advice/mali"
    assert parse("uk-mali-1.atom").items[0].tags[0] == "advisory-level:3"


def test_fcdo_index_feed_countries_from_the_page_slug() -> None:
    result = parse("uk-index.atom")
    tags = {i.tags[-1]: i.tags for i in result.items}
    assert tags == {
        "country:NE": ("advisory-level:4", "advisory-source:uk", "country:NE"),
        "country:BF": ("advisory-level:3", "advisory-source:uk", "country:BF"),
        # An update that states no advice is a version without a level, not a bad entry.
        "country:GH": ("advisory-source:uk", "country:GH"),
        "country:CI": ("advisory-level:3", "advisory-source:uk", "country:CI"),
    }
    assert result.entries_skipped == 2
    assert result.warnings == (
        "2 of 6 entries skipped: 1 without a country, 1 whose page names no known country "
        "(atlantis)",
    )


def test_publisher_option_overrides_detection() -> None:
    with pytest.raises(ParseError, match="no usable advisory"):
        parse("uk-mali-1.atom", publisher="us")  # read as US: no Country-Tag, no level
    assert parse("uk-mali-1.atom", publisher="uk").items


def test_not_modified_parses_to_nothing() -> None:
    feed = Feed("f", "travel-advisory", "https://example.org/a.xml", timedelta(hours=1), "o")
    fetched = FetchResult("not_modified", feed.url, feed.url)
    assert TravelAdvisorySource(feed).parse(fetched).items == ()


# --- configuration -------------------------------------------------------------------


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "warning.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_the_kind_and_rule_type_are_registered() -> None:
    assert SOURCES["travel-advisory"] is TravelAdvisorySource
    assert RULES["advisory"] is AdvisoryRule


def test_config_loads_advisory_feeds_and_rules(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "feeds": [
                {"name": "us", "kind": "travel-advisory", "url": "https://travel.state.gov/a.xml"},
                {
                    "name": "uk-mali",
                    "kind": "travel-advisory",
                    "url": "https://www.gov.uk/foreign-travel-advice/mali.atom",
                    "publisher": "uk",
                },
            ],
            "rules": [
                {"name": "advisories", "type": "advisory", "countries": ["ML", "NE"]},
                {
                    "name": "any-change",
                    "type": "advisory",
                    "direction": "any",
                    "min_level": 1,
                    "window": "3d",
                },
            ],
        },
    )
    settings = config.load(path)
    assert [f.options for f in settings.feeds] == [
        source_module.AdvisoryOptions(None),
        source_module.AdvisoryOptions("uk"),
    ]
    first = settings.rules.get("advisories")
    assert first == AdvisoryRule(name="advisories", countries=("ML", "NE"))
    assert (first.direction, first.min_level, first.severity, first.window) == (
        "raised",
        3,
        "high",
        timedelta(days=1),
    )
    second = settings.rules.get("any-change")
    assert isinstance(second, AdvisoryRule)
    assert (second.direction, second.min_level, second.window) == ("any", 1, timedelta(days=3))


def test_config_mistakes_are_reported_with_their_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "feeds": [
                {
                    "name": "us",
                    "kind": "travel-advisory",
                    "url": "https://x.org/a",
                    "publisher": "fr",
                }
            ],
            "zones": [{"name": "sahel", "type": "countries", "countries": ["ML", "NE"]}],
            "rules": [
                {"name": "a", "type": "advisory", "direction": "up"},
                {"name": "b", "type": "advisory", "min_level": 5},
                {"name": "c", "type": "advisory", "label": "coup"},
                {"name": "d", "type": "advisory", "zone": "sahel"},
            ],
        },
    )
    with pytest.raises(ConfigError) as err:
        config.load(path)
    text = str(err.value)
    assert "feeds[0].publisher: unknown publisher 'fr'" in text
    assert "rules[0].direction: unknown direction 'up'; one of: raised, lowered, any" in text
    assert "rules[1].min_level: must be an advisory level, 1 to 4" in text
    assert "rules[2].label: a advisory rule does not read labels" in text
    assert "rules[3].zone: advisory levels are per country; use countries" in text


# --- through the pipeline: real HTTP server, real database ----------------------------


@contextmanager
def pipeline(tmp_path: Path, feeds: list[dict[str, Any]], db_url: str) -> Iterator[Pipeline]:
    path = write(tmp_path, {"database": db_url, "feeds": feeds, "poll": {"processes": 0}})
    settings = config.load(path)
    store = open_store(db_url)
    try:
        store.sync_feeds((f.name, f.kind, f.url, f.outlet) for f in settings.feeds)
        with Fetcher(fetch_limits(settings)) as fetcher, worker_pool(settings) as workers:
            yield Pipeline(settings, store, fetcher, workers)
    finally:
        store.close()


def signals_at(store: Store, r: AdvisoryRule, now: datetime) -> dict[str, Signal]:
    history = store.advisories.history(now - r.window)
    return {s.subject: s for s in advisory_signals(r, history, now)}


def firing(signals: dict[str, Signal], r: AdvisoryRule) -> dict[str, Signal]:
    return {k: s for k, s in signals.items() if r.firing(s)}


def test_a_raise_between_two_polls_fires_once_for_that_country(
    tmp_path: Path, feed_server: FeedServer, db_url: str
) -> None:
    feed_server.add("/TAsTWs.xml", fixture("us-1.xml"))
    feeds = [
        {"name": "us-advisories", "kind": "travel-advisory", "url": feed_server.url("/TAsTWs.xml")}
    ]
    with pipeline(tmp_path, feeds, db_url) as p:
        first = p.poll("us-advisories", force=True, now=T0)
        assert (first.status, first.items_new) == ("new", 6)
        assert first.warnings and "3 of 9 entries skipped" in first.warnings[0]
        # The first poll is where watching begins: no change, whatever the levels.
        raised = rule()
        assert firing(signals_at(p.store, raised, T0), raised) == {}

        feed_server.add("/TAsTWs.xml", fixture("us-2.xml"))
        second = p.poll("us-advisories", force=True, now=T1)
        assert (second.items_new, second.items_duplicate) == (2, 4)

        signals = signals_at(p.store, raised, T1)
        (mali,) = firing(signals, raised).values()
        assert (mali.subject, mali.label, mali.score, raised.level(mali)) == (
            "ML",
            "advisory",
            1.0,
            4,
        )
        (evidence,) = mali.evidence
        assert evidence.title == "Mali: raised from level 3 to level 4 (US State Department)"
        assert evidence.link and evidence.link.endswith("/mali-travel-advisory.html")
        assert evidence.seen == T1 and evidence.model == "advisory-1"
        assert mali.outlets == ("127.0.0.1",) and mali.items == (evidence.item_id,)
        # Every other country with a history gets a calm signal (so alerts can resolve).
        assert set(signals) == {"ML", "NE", "NG", "BF", "CI", "HK"}
        assert all(raised.calm(s) for k, s in signals.items() if k != "ML")

        # Niger went from 3 to 2: nothing for "raised", one signal for "lowered".
        lowered = rule(direction="lowered")
        (niger,) = firing(signals_at(p.store, lowered, T1), lowered).values()
        assert niger.subject == "NE" and lowered.level(niger) == 2
        assert (
            niger.evidence[0].title
            == "Niger: lowered from level 3 to level 2 (US State Department)"
        )
        both = rule(direction="any")
        assert set(firing(signals_at(p.store, both, T1), both)) == {"ML", "NE"}
        # min_level 4: Niger's change (3 to 2) is below it, Mali's (to 4) is not.
        high = rule(direction="any", min_level=4)
        assert set(firing(signals_at(p.store, high, T1), high)) == {"ML"}

        # An unchanged feed adds nothing: the server says 304, and the signal is the same.
        third = p.poll("us-advisories", force=True, now=T2)
        assert third.status == "not_modified"
        hour = timedelta(hours=1)
        same = dataclasses.replace(mali, start=mali.start + hour, end=mali.end + hour)
        assert firing(signals_at(p.store, raised, T2), raised) == {"ML": same}
        # ... and once the change has left the window, the country is calm.
        later = T1 + raised.window
        assert firing(signals_at(p.store, raised, later), raised) == {}


def test_lifecycle_new_once_then_nothing_on_unchanged_repolls(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    db_url = f"sqlite:///{tmp_path / 'warning.db'}"
    feed_server.add("/TAsTWs.xml", fixture("us-1.xml"))
    feeds = [{"name": "us", "kind": "travel-advisory", "url": feed_server.url("/TAsTWs.xml")}]
    r = rule()
    with pipeline(tmp_path, feeds, db_url) as p:
        p.poll("us", force=True, now=T0)
        assert evaluate(p, r, T0) == []
        feed_server.add("/TAsTWs.xml", fixture("us-2.xml"))
        p.poll("us", force=True, now=T1)
        assert evaluate(p, r, T1) == [("ML", "new", 4)]
        for minutes in (30, 60, 90):
            now = T1 + timedelta(minutes=minutes)
            p.poll("us", force=True, now=now)
            assert evaluate(p, r, now) == []
        (alert,) = p.store.alerts.open_alerts(r.name).values()
        assert (alert.subject, alert.label, alert.level, alert.model) == (
            "ML",
            "advisory",
            4,
            "advisory-1",
        )


def test_a_further_raise_escalates_the_same_alert(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'warning.db'}"
    feed = tmp_path / "TAsTWs.xml"
    us1 = fixture("us-1.xml")
    # Côte d'Ivoire: 2, then 3 (an alert at level 3), then 4 (escalated, same alert).
    level_2 = b'Level 2: Exercise Increased Caution</category>\n  <category domain="Country-Tag">IV'

    def reissued(level: bytes, date: bytes) -> bytes:
        body = us1.replace(level_2, level_2.replace(b"2: Exercise Increased Caution", level))
        return body.replace(b"Tue, 07 Apr 2020", date)

    versions = [
        us1,
        reissued(b"3: Reconsider Travel", b"Tue, 18 Aug 2020"),
        reissued(b"4: Do Not Travel", b"Wed, 19 Aug 2020"),
    ]
    feeds = [{"name": "us", "kind": "travel-advisory", "url": feed.as_uri()}]
    r = rule(countries=("CI",))
    decisions = []
    with pipeline(tmp_path, feeds, db_url) as p:
        for n, body in enumerate(versions):
            feed.write_bytes(body)
            now = T0 + timedelta(hours=n)
            assert p.poll("us", force=True, now=now).status == "new"
            decisions += evaluate(p, r, now)
        (alert,) = p.store.alerts.open_alerts(r.name).values()
    assert decisions == [("CI", "new", 3), ("CI", "escalated", 4)]
    assert alert.level == 4 and alert.events == 2


def test_fcdo_country_feed_over_file_url(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'warning.db'}"
    feed = tmp_path / "mali.atom"
    feed.write_bytes(fixture("uk-mali-1.atom"))
    feeds = [{"name": "fcdo-mali", "kind": "travel-advisory", "url": feed.as_uri()}]
    r = rule()
    with pipeline(tmp_path, feeds, db_url) as p:
        assert p.poll("fcdo-mali", force=True, now=T0).items_new == 1
        feed.write_bytes(fixture("uk-mali-2.atom"))
        assert p.poll("fcdo-mali", force=True, now=T1).items_new == 1
        assert p.poll("fcdo-mali", force=True, now=T2).status == "not_modified"
        (mali,) = firing(signals_at(p.store, r, T2), r).values()
        assert mali.subject == "ML" and r.level(mali) == 4
        assert [e.title for e in mali.evidence] == [
            "Mali: raised from level 3 to level 4 (UK FCDO)"
        ]
        assert mali.outlets == ("file:mali",)
        history = p.store.advisories.history()
        assert [v.level for v in history[("uk", "ML")]] == [3, 4]


def test_both_publishers_raise_one_signal_per_country(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    db_url = f"sqlite:///{tmp_path / 'warning.db'}"
    feed_server.add("/TAsTWs.xml", fixture("us-1.xml"))
    feed_server.add("/mali.atom", fixture("uk-mali-1.atom"), content_type=ATOM)
    feeds = [
        {"name": n, "kind": "travel-advisory", "url": feed_server.url(path), "outlet": outlet}
        for n, path, outlet in (("us", "/TAsTWs.xml", "state.gov"), ("uk", "/mali.atom", "gov.uk"))
    ]
    r = rule()
    with pipeline(tmp_path, feeds, db_url) as p:
        for name in ("us", "uk"):
            p.poll(name, force=True, now=T0)
        feed_server.add("/TAsTWs.xml", fixture("us-2.xml"))
        feed_server.add("/mali.atom", fixture("uk-mali-2.atom"), content_type=ATOM)
        for name in ("us", "uk"):
            p.poll(name, force=True, now=T1)
        (mali,) = firing(signals_at(p.store, r, T1), r).values()
    assert mali.subject == "ML" and mali.score == 1.0
    assert sorted(mali.outlets) == ["gov.uk", "state.gov"]
    assert sorted(e.title for e in mali.evidence) == [
        "Mali: raised from level 3 to level 4 (UK FCDO)",
        "Mali: raised from level 3 to level 4 (US State Department)",
    ]


def evaluate(p: Pipeline, r: AdvisoryRule, now: datetime) -> list[tuple[str, str, int]]:
    """One real alert cycle with ``r`` as the only rule: (country, decision, alert level)."""
    settings = dataclasses.replace(
        p.settings,
        rules=RuleSet(p.settings.file, (r,), "test"),
        operator=OperatorSettings(enabled=False),
    )
    decided, _ = Alerter(settings, p.store, p.notifiers).alert_cycle(now)
    out = []
    for d in decided:
        alert = p.store.alerts.get(d.alert_id)
        assert alert is not None
        out.append((d.subject, d.decision, alert.level))
    return out


# --- the history and the changes, on their own -----------------------------------------


def version(
    item_id: int, level: int, seen: datetime, country: str = "ML", source: str = "us"
) -> AdvisoryVersion:
    return AdvisoryVersion(item_id, source, country, level, "t", "", None, source, None, seen)


def test_changes_need_a_version_seen_after_watching_began() -> None:
    history = {
        ("us", "ML"): [version(1, 3, T0), version(2, 4, T0), version(3, 3, T1), version(4, 3, T2)],
        ("uk", "ML"): [version(5, 3, T0, source="uk")],
    }
    changes = advisory_changes(history, T0, T2 + timedelta(hours=1))
    assert [(c.old_level, c.new_level, c.version.item_id) for c in changes] == [(4, 3, 3)]
    assert change_title(changes[0]) == "Mali: lowered from level 4 to level 3 (US State Department)"


def test_open_alert_subjects_get_a_calm_signal_and_rule_countries_filter() -> None:
    r = rule(countries=("ML", "NE"))
    history = {("us", "ML"): [version(1, 3, T0)], ("us", "BF"): [version(2, 4, T0)]}
    signals = advisory_signals(r, history, T1, open_subjects=["NE"])
    assert [(s.subject, s.score, s.evidence) for s in signals] == [("ML", 0.0, ()), ("NE", 0.0, ())]
    assert all(r.calm(s) and not r.firing(s) and r.level(s) == 0 for s in signals)


def test_advisory_tags() -> None:
    assert advisory_tags(["advisory-level:4", "advisory-source:uk", "country:ML"]) == (
        "uk",
        "ML",
        4,
    )
    assert advisory_tags(["advisory-source:uk", "country:GH"]) is None
    assert advisory_tags(["theme:PROTEST"]) is None


def test_history_since_keeps_the_version_before_the_window(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'warning.db'}")
    try:
        for n, name in enumerate(("uk-mali-1.atom", "uk-mali-2.atom", "uk-index.atom")):
            result = parse(name)
            state = FeedState("fcdo")
            store.record_poll(
                "fcdo", state, result.items, T0 + timedelta(days=n), result.assessments
            )
        everything = store.advisories.history()
        assert [v.level for v in everything[("uk", "ML")]] == [3, 4]
        assert ("uk", "GH") not in everything  # stored, but without a level
        recent = store.advisories.history(T0 + timedelta(days=1, hours=12))
        assert [v.level for v in recent[("uk", "ML")]] == [4]  # the one before the window
        assert [v.level for v in recent[("uk", "NE")]] == [4]
        only = store.advisories.history(countries=["NE"])
        assert list(only) == [("uk", "NE")]
    finally:
        store.close()
