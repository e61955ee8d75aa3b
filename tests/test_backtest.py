"""Backtests: the same decisions as the daemon, ground truth, and the commands."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warning import config
from warning.backtest import StoredHistory, simulate
from warning.notify import Notifiers
from warning.pipeline.alerting import Alerter
from warning.records import Assessment, CountryScore, FeedState, GeoTag, Item, LabelScore
from warning.store import Store, open_store

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
