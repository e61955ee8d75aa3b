"""Backtests: the same decisions as the daemon, ground truth, and the commands."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.week import COUP_AT, COUP_COUNTRY, STRICT_RULES, write_week
from warning import config, resources
from warning.backtest import StoredHistory, simulate
from warning.backtest.book import Outcome
from warning.backtest.truth import COUPS, Event, read_events, score
from warning.cli import main
from warning.errors import DataError
from warning.geo.zones import CountriesZone
from warning.notify import Notifiers
from warning.pipeline.alerting import Alerter
from warning.records import Assessment, CountryScore, FeedState, GeoTag, Item, LabelScore
from warning.store import Store, open_store

# One xdist worker runs this file: the week fixture replays a whole pipeline (most of a minute).
pytestmark = pytest.mark.xdist_group("backtest-week")

T0 = datetime(2026, 10, 1, 0, 0, tzinfo=UTC)
OUTLETS = ("wire-a", "wire-b", "daily-c", "radio-d", "post-e")

#: Every rule type over synthetic data: a threshold per country and per zone, a spike
#: against history, a flatline for a country that goes silent, advisory raises.
RULES = """\
zones:
  - name: gulf
    type: countries
    countries: [GH, TG]
rules:
  - name: coup
    type: threshold
    label: coup
    threshold: 0.5
    window: 6h
    corroborate: 2
    hold: 3h
    repeat: 6h
    cooldown: 12h
  - name: attack-gulf
    type: threshold
    label: attack
    zone: gulf
    threshold: 0.6
    window: 12h
    hold: 6h
    cooldown: 6h
  - name: unrest-spike
    type: spike
    label: unrest
    threshold: 2.5
    window: 1d
    baseline: 7d
    min_outlets: 2
    corroborate: 3
  - name: quiet
    type: flatline
    countries: [ML, GH]
    window: 1d
    baseline: 4d
    min_usual: 3
  - name: advisory-raised
    type: advisory
"""


def _settings(tmp_path: Path, db: str, rules: str = RULES) -> config.Settings:
    (tmp_path / "rules.yaml").write_text(rules)
    path = tmp_path / "warning.yaml"
    path.write_text(f"database: {db}\nfeeds: []\nrules: rules.yaml\n")
    return config.load(path)


def _item(n: int, outlet: str, title: str, tags: tuple[str, ...] = ()) -> Item:
    return Item(
        feed=outlet,
        outlet=outlet,
        title=title,
        summary="",
        link=f"https://{outlet}.example/{n}",
        published=None,
        lang="en",
        guid_key=f"{outlet}:{n}",
        url_key=f"{outlet}.example/{n}",
        content_hash=None,
        tags=tags,
    )


def _assessment(country: str, label: str | None, p: float) -> Assessment:
    scores = tuple(
        LabelScore(name, p if name == label else 0.05, name == label and p >= 0.5, ())
        for name in ("coup", "election_dispute", "attack", "unrest")
    )
    return Assessment(GeoTag((CountryScore(country, 1.0),)), scores, "test-model")


def fill(store: Store, days: int = 14, seed: int = 7) -> None:
    """Scored items over ``days`` days: routine news, bursts, a silence, advisory changes."""
    rng = random.Random(seed)
    n = 0

    def put(
        at: datetime,
        outlet: str,
        title: str,
        country: str,
        label: str | None,
        p: float,
        tags: tuple[str, ...] = (),
    ) -> None:
        nonlocal n
        n += 1
        store.record_poll(
            outlet,
            FeedState(outlet),
            [_item(n, outlet, f"{title} {n}", tags)],
            at,
            [_assessment(country, label, p)],
        )

    for hour in range(days * 24):
        at = T0 + timedelta(hours=hour, minutes=rng.randrange(60))
        for country in ("ML", "GH", "KE", "TG"):
            if country == "ML" and hour >= 10 * 24:
                continue  # Mali goes silent on day 10
            if rng.random() < 0.5:
                label = rng.choice([None, None, None, "unrest", "attack", "coup"])
                p = rng.uniform(0.3, 0.95) if label else 0.0
                words = " ".join(
                    rng.choice(["market", "road", "court", "army", "rain"]) for _ in range(6)
                )
                put(at, rng.choice(OUTLETS), f"{country} {words}", country, label, p)
    burst = T0 + timedelta(days=11, hours=8)
    for k, outlet in enumerate(OUTLETS):  # an unrest spike in Kenya on day 11
        put(
            burst + timedelta(minutes=20 * k),
            outlet,
            f"Kenya protests spread town {k} blocked",
            "KE",
            "unrest",
            0.9,
        )
    for day, level in ((2, 2), (6, 3), (9, 4)):
        tags = ("advisory-source:us", "country:ML", f"advisory-level:{level}")
        put(
            T0 + timedelta(days=day, hours=5),
            "state-dept",
            f"Mali - Level {level}",
            "ML",
            None,
            0.0,
            tags,
        )


def daemon_decisions(
    settings: config.Settings, store: Store, start: datetime, end: datetime, step: timedelta
) -> list[tuple[datetime, str, str, str, str]]:
    """What the daemon's own alert cycle decides on the same clock."""
    alerter = Alerter(settings, store, Notifiers(settings.notify))
    out = []
    now = start
    while now <= end:
        for d in alerter.evaluate(now):
            out.append((now, d.rule, d.subject, d.label, d.decision))
        now += step
    return out


def test_a_backtest_decides_what_the_daemon_decided_step_for_step(tmp_path: Path) -> None:
    settings = _settings(tmp_path, f"sqlite:///{tmp_path / 'w.db'}")
    rules = settings.rules.active
    start, end, step = T0 + timedelta(days=1), T0 + timedelta(days=14), timedelta(minutes=30)
    with open_store(settings.database.reveal()) as store:
        fill(store)
        history = StoredHistory(store, rules, settings.zones, start, end)
        outcomes = simulate(rules, history, start, end, step)
        expected = daemon_decisions(settings, store, start, end, step)
    got = [(o.at, o.rule, o.subject, o.label, o.decision) for o in outcomes]
    assert got == expected
    # Every rule type took part, so the comparison covers each of them.
    assert {o.rule for o in outcomes} == {r.name for r in rules}
    assert {o.decision for o in outcomes} >= {"new", "escalated", "resolved"}


# --- a simulated week with a coup on day 5 (tests/week.py), replayed then backtested ------


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The week replayed through the whole pipeline (real model) into a kept database."""
    folder = tmp_path_factory.mktemp("week")
    archive = write_week(folder / "week.jsonl")
    (folder / "strict.yaml").write_text(STRICT_RULES)
    (folder / "events.csv").write_text(
        f"country,label,date\n{COUP_COUNTRY},coup,{COUP_AT.isoformat()}\n"
    )
    db = f"sqlite:///{folder / 'replay.db'}"
    out = folder / "messages.jsonl"
    code = main(["replay", str(archive), "--database", db, "--out", str(out), "--json"])
    assert code == 0
    return {
        "folder": folder,
        "db": Path(db),
        "out": out,
        "strict": folder / "strict.yaml",
        "events": folder / "events.csv",
    }


def _messages(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_replayed_week_alerts_within_an_hour_and_never_before_day_5(
    week: dict[str, Path],
) -> None:
    messages = _messages(week["out"])
    coup = [m for m in messages if m["label"] == "coup"]
    assert coup, "the coup was not alerted"
    first = datetime.fromisoformat(str(coup[0]["at"]))
    assert COUP_AT <= first <= COUP_AT + timedelta(hours=1)
    assert coup[0]["decision"] == "new" and coup[0]["subject"] == COUP_COUNTRY
    # Slack and email were replaced by the file: one line per route of the rule.
    assert {m["route"] for m in coup if m["decision"] == "new"} == {"slack", "email"}
    # Days 1 to 4 (and the morning of day 5): nothing at all.
    assert all(datetime.fromisoformat(str(m["at"])) >= COUP_AT for m in messages)


def test_a_stricter_rules_file_alerts_later_and_the_comparison_shows_it(
    week: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    default = resources.bundled_rules()
    args = [
        "backtest",
        "--database",
        f"sqlite:///{week['folder'] / 'replay.db'}",
        "--rules",
        str(default),
        "--rules",
        str(week["strict"]),
        "--events",
        str(week["events"]),
    ]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    lenient, strict = report["runs"]
    [lenient_match] = lenient["events"]["matches"]
    [strict_match] = strict["events"]["matches"]
    assert 0 <= lenient_match["lead_hours"] <= 1
    assert strict_match["lead_hours"] > lenient_match["lead_hours"]
    for run in (lenient, strict):
        assert run["events"]["false_alarms"] == [] and run["events"]["recall"] == 1.0
        coup_alerts = [
            o for o in run["outcomes"] if o["label"] == "coup" and o["decision"] == "new"
        ]
        assert all(datetime.fromisoformat(o["at"]) >= COUP_AT for o in coup_alerts)
    # The text report puts the two files side by side, one lead each.
    assert main(args) == 0
    text = capsys.readouterr().out
    [row] = [line for line in text.splitlines() if line.strip().startswith(f"{COUP_COUNTRY} coup")]
    assert "+0h00m" in row and "+0h35m" in row
    assert "rules.yaml" in text and "strict.yaml" in text


def test_replay_and_backtest_agree_on_the_week(
    week: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    sent = {(m["at"], m["decision"]) for m in _messages(week["out"]) if m["label"] == "coup"}
    assert (
        main(["backtest", "--database", f"sqlite:///{week['folder'] / 'replay.db'}", "--json"]) == 0
    )
    [run] = json.loads(capsys.readouterr().out)["runs"]
    found = {(o["at"], o["decision"]) for o in run["outcomes"] if o["label"] == "coup"}
    assert found == sent and (COUP_AT.isoformat(), "new") in found


# --- ground truth -------------------------------------------------------------------------


def test_the_bundled_coups_file_reads_and_holds_the_sahel_coups() -> None:
    events = read_events(COUPS)
    assert len(events) >= 50 and {e.label for e in events} == {"coup"}
    assert all(e.whole_day and e.at >= datetime(2010, 1, 1, tzinfo=UTC) for e in events)
    days = {(e.country, e.at.date().isoformat()) for e in events}
    # Dates from the public record (Powell & Thyne; docs/coups-since-2010.md).
    for known in (
        ("ML", "2020-08-18"),
        ("ML", "2021-05-24"),
        ("BF", "2022-01-24"),
        ("BF", "2022-09-30"),
        ("NE", "2023-07-26"),
        ("GA", "2023-08-30"),
        ("GN", "2021-09-05"),
        ("TR", "2016-07-15"),
    ):
        assert known in days, known


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("country,date\nML,2020-08-18\n", "missing: label"),
        ("country,label,date\nMali,coup,2020-08-18\n", "did you mean ML"),
        ("country,label,date\nXX,coup,2020-08-18\n", "unknown country code"),
        ("country,label,date\nML,putsch,2020-08-18\n", "label: unknown label 'putsch'"),
        ("country,label,date\nML,coup,18/08/2020\n", "is not a date"),
        ("country,label,date\nML,coup,2020-08-18T10:00\n", "has a time but no UTC offset"),
        ("country,label,date\nML,,2020-08-18\n", "label: is empty"),
    ],
)
def test_a_bad_events_file_is_refused_with_its_line(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(body)
    with pytest.raises(DataError) as caught:
        read_events(path)
    assert message in caught.value.message
    assert str(path) in caught.value.message


def test_events_file_errors_list_every_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "country,label,date\nML,coup,2020-08-18\nZZ,coup,2020-08-19\nNE,riot,2023-07-26\n"
    )
    with pytest.raises(DataError) as caught:
        read_events(path)
    assert [line.split(": ")[0] for line in caught.value.message.splitlines()] == [
        f"{path}:3",
        f"{path}:4",
    ]
    with pytest.raises(DataError, match="file not found"):
        read_events(tmp_path / "missing.csv")


def _alert(at: datetime, subject: str, label: str = "coup") -> Outcome:
    return Outcome(at, 1, "coup", subject, label, "new", 0, 0.9, ("wire",), None)


def test_alerts_are_scored_against_events_by_place_label_and_time() -> None:
    day = datetime(2023, 7, 26, tzinfo=UTC)
    events = [
        Event("NE", "coup", day, True, 2),
        Event("GH", "coup", day, True, 3),
        Event("TG", "coup", datetime(2023, 7, 27, 10, tzinfo=UTC), False, 4),
    ]
    zone = CountriesZone(name="gulf", countries=("GH", "BJ"))
    alerts = [
        _alert(day + timedelta(hours=9), "NE"),  # NE: 9 h into the day
        _alert(day - timedelta(days=2), "zone:gulf"),  # GH, two days early, via its zone
        _alert(day + timedelta(days=10), "ML"),  # matches nothing: a false alarm
        _alert(day, "NE", label="unrest"),  # a label the events do not cover: not judged
    ]
    card = score(
        alerts, events, day - timedelta(days=5), day + timedelta(days=20), timedelta(days=3), [zone]
    )
    leads = {m.event.country: m.lead for m in card.matches}
    assert leads == {"NE": timedelta(hours=9), "GH": timedelta(days=-2), "TG": None}
    assert [a.subject for a in card.false_alarms] == ["ML"]
    assert card.alerts == 3 and card.precision == pytest.approx(2 / 3)
    assert card.recall == pytest.approx(2 / 3)
    # With a one-day tolerance the early zone alert no longer counts for Ghana.
    tight = score(
        alerts, events, day - timedelta(days=5), day + timedelta(days=20), timedelta(days=1), [zone]
    )
    assert {m.event.country: m.lead for m in tight.matches}["GH"] is None


# --- the commands' refusals ------------------------------------------------------------------


def test_backtest_of_an_empty_database_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    open_store(db).close()
    assert main(["backtest", "--database", db]) == 2
    err = capsys.readouterr().err
    assert "holds no items" in err and "hint:" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--step", "soon"], "--step 'soon': write a duration"),
        (["--step", "0s"], "must be longer than zero"),
        (["--from", "2026-11-30", "--to", "2026-11-01"], "must come after --from"),
        (["--from", "yesterday"], "--from 'yesterday': write a date"),
        (["--to", "2026-11-03T10:00"], "add a UTC offset"),
        (["--events", "nowhere.csv"], "nowhere.csv: file not found"),
    ],
)
def test_backtest_refuses_bad_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    settings = _settings(tmp_path, f"sqlite:///{tmp_path / 'w.db'}")
    with open_store(settings.database.reveal()) as store:
        fill(store, days=2)
    code = main(["--config", str(settings.file), "backtest", *extra])
    assert code == 2
    assert message in capsys.readouterr().err


def test_a_rules_file_with_mistakes_is_reported_line_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _settings(tmp_path, f"sqlite:///{tmp_path / 'w.db'}")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n  - name: coup\n    type: threshold\n    label: coup\n    threshold: 2\n"
    )
    assert main(["--config", str(settings.file), "backtest", "--rules", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:5" in err and "threshold" in err
    assert (
        main(["--config", str(settings.file), "backtest", "--rules", str(tmp_path / "no.yaml")])
        == 2
    )
    assert "no such rules file" in capsys.readouterr().err


def test_a_backtest_writes_nothing_to_the_database(tmp_path: Path) -> None:
    settings = _settings(tmp_path, f"sqlite:///{tmp_path / 'w.db'}")
    with open_store(settings.database.reveal()) as store:
        fill(store, days=3)
    before = (tmp_path / "w.db").read_bytes()
    assert main(["--config", str(settings.file), "backtest", "--json"]) == 0
    assert (tmp_path / "w.db").read_bytes() == before
    with open_store(settings.database.reveal()) as store:
        assert store.alerts.recent() == []
