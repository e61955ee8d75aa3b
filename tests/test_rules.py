"""Rules: every mistake in a rule is reported as file:line: key: message, nothing is silent.

Also: the bundled rules are the ones the desk asked for, the rules' digest tracks what
they say, ``warning check`` reports rules, and docs/rules.md documents every key.
"""

from __future__ import annotations

import dataclasses
import json
import re
import textwrap
import typing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from warning import cli, config, resources
from warning.alerting.rules import ALL, REGISTRY, Rule
from warning.alerting.rules.types import FlatlineRule, SpikeRule, ThresholdRule
from warning.errors import ConfigError
from warning.geo.zones import BorderBandZone, CountriesZone
from warning.records import Place
from warning.settings import format_duration

REPO = Path(__file__).resolve().parents[1]

#: A main configuration with one feed and one zone, so rules can name both.
MAIN = """
feeds:
  - name: bbc-africa
    url: https://example.org/rss
zones:
  - name: coastal-north
    type: border_band
    countries: [CI, GH, TG, BJ]
    near: [BF, ML, NE]
    within: 100km
rules: rules.yaml
"""

#: A valid first rule (lines 1-4), so that the line of a later mistake means something.
GOOD = """\
- name: coup
  type: threshold
  label: coup
  threshold: 0.5
"""


def write(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    """The problems loading ``path`` reports, with the temporary directory cut off."""
    with pytest.raises(ConfigError) as info:
        config.load(path)
    out = []
    for p in info.value.problems:
        text = str(p)
        for prefix in (f"{path.parent.resolve()}/", f"{path.parent}/"):
            text = text.replace(prefix, "")
        out.append(text)
    return out


def rule_problems(tmp_path: Path, rules: str, main: str = MAIN) -> list[str]:
    write(tmp_path, rules, "rules.yaml")
    return problems(write(tmp_path, main, "warning.yaml"))


def load_rules_file(tmp_path: Path, rules: str, main: str = MAIN) -> config.Settings:
    write(tmp_path, rules, "rules.yaml")
    return config.load(write(tmp_path, main, "warning.yaml"))


def threshold_rule(extra: str) -> str:
    """GOOD, then a second threshold rule (from line 5) with ``extra`` keys from line 9."""
    return GOOD + "- name: second\n  type: threshold\n  label: attack\n  threshold: 0.6\n" + extra


# --- each mistake, its line and its message ---------------------------------------------

CASES: list[tuple[str, str, list[str]]] = [
    # the type
    (
        "unknown type, with a suggestion",
        GOOD + "- name: a\n  type: treshold\n  label: coup\n",
        ["rules.yaml:6: [1].type: unknown rule type 'treshold'; did you mean 'threshold'?"],
    ),
    (
        "unknown type, nothing close",
        GOOD + "- name: a\n  type: pagerduty\n",
        [f"rules.yaml:6: [1].type: unknown rule type 'pagerduty'; one of: {', '.join(REGISTRY)}"],
    ),
    (
        "missing type",
        GOOD + "- name: a\n  label: coup\n",
        [f"rules.yaml:5: [1].type: is required; one of: {', '.join(REGISTRY)}"],
    ),
    (
        "not a mapping",
        GOOD + "- coup\n",
        ["rules.yaml:5: [1]: expected a mapping with at least name and type"],
    ),
    # the keys every type takes
    (
        "missing name",
        GOOD + "- type: threshold\n  label: coup\n  threshold: 0.5\n",
        ["rules.yaml:5: [1].name: is required"],
    ),
    (
        "empty name",
        GOOD + "- name: ''\n  type: threshold\n  label: coup\n  threshold: 0.5\n",
        ["rules.yaml:5: [1].name: expected a non-empty string, got str ''"],
    ),
    (
        "a name YAML reads as a boolean",
        GOOD + "- name: off\n  type: threshold\n  label: coup\n  threshold: 0.5\n",
        ["rules.yaml:5: [1].name: expected a non-empty string, got the boolean false"],
    ),
    (
        "missing label (threshold)",
        GOOD + "- name: a\n  type: threshold\n  threshold: 0.5\n",
        ["rules.yaml:5: [1].label: is required; one of: coup, election_dispute, attack, unrest"],
    ),
    (
        "missing label (spike)",
        GOOD + "- name: a\n  type: spike\n  threshold: 3\n",
        ["rules.yaml:5: [1].label: is required; one of: coup, election_dispute, attack, unrest"],
    ),
    (
        "unknown label",
        GOOD + "- name: a\n  type: threshold\n  label: coups\n  threshold: 0.5\n",
        [
            "rules.yaml:7: [1].label: unknown label 'coups'; "
            "one of: coup, election_dispute, attack, unrest"
        ],
    ),
    (
        "bad severity",
        threshold_rule("  severity: urgent\n"),
        [
            "rules.yaml:9: [1].severity: unknown severity 'urgent'; "
            "one of: low, medium, high, critical"
        ],
    ),
    (
        "unknown route",
        threshold_rule("  routes: [slack, pager]\n"),
        [
            "rules.yaml:9: [1].routes: unknown route 'pager'; routes are slack, email, webhook, "
            "apprise, log, optionally with a target, like slack:#other-channel or "
            "email:ops@example.org"
        ],
    ),
    (
        "route with an empty target",
        threshold_rule("  routes: ['slack:']\n"),
        [
            "rules.yaml:9: [1].routes: route 'slack:' has nothing after the colon; write slack "
            "alone for its default target, or name one, like slack:#other-channel"
        ],
    ),
    (
        "email route with only blanks after the colon",
        threshold_rule("  routes: ['email:  ']\n"),
        [
            "rules.yaml:9: [1].routes: route 'email:  ' has nothing after the colon; write email "
            "alone for its default target, or name one, like email:ops@example.org"
        ],
    ),
    (
        "email route to something that is not an address",
        threshold_rule("  routes: [slack, 'email:ops']\n"),
        [
            "rules.yaml:9: [1].routes: route 'email:ops': 'ops' is not an email address; "
            "write it like email:ops@example.org (several: comma-separated)"
        ],
    ),
    (
        "no routes",
        threshold_rule("  routes: []\n"),
        ["rules.yaml:9: [1].routes: must name at least one route, like [slack, email]"],
    ),
    (
        "unknown zone, with a suggestion",
        threshold_rule("  zone: coastal-nort\n"),
        ["rules.yaml:9: [1].zone: no zone named 'coastal-nort'; did you mean 'coastal-north'?"],
    ),
    (
        "unknown zone, nothing close",
        threshold_rule("  zone: sahel\n"),
        [
            "rules.yaml:9: [1].zone: no zone named 'sahel'; "
            "define it under `zones:` in the main configuration file"
        ],
    ),
    (
        "both countries and zone",
        threshold_rule("  countries: [CI]\n  zone: coastal-north\n"),
        ["rules.yaml:10: [1].zone: give either countries or zone, not both"],
    ),
    (
        "unknown country code",
        threshold_rule("  countries: [ML, XX]\n"),
        [
            "rules.yaml:9: [1].countries: unknown country code 'XX'; "
            "use ISO 3166-1 alpha-2 codes such as ML, BF, NE"
        ],
    ),
    (
        "a three-letter country code",
        threshold_rule("  countries: [NER]\n"),
        ["rules.yaml:9: [1].countries: 'NER' is not an alpha-2 code; did you mean NE (Niger)?"],
    ),
    (
        "no countries",
        threshold_rule("  countries: []\n"),
        ["rules.yaml:9: [1].countries: must list at least one country code, like [ML, BF, NE]"],
    ),
    (
        "corroborate below min_outlets",
        threshold_rule("  min_outlets: 3\n  corroborate: 2\n"),
        ["rules.yaml:10: [1].corroborate: must be at least min_outlets"],
    ),
    (
        "min_outlets zero",
        threshold_rule("  min_outlets: 0\n"),
        ["rules.yaml:9: [1].min_outlets: must be greater than zero"],
    ),
    (
        "min_outlets not whole",
        threshold_rule("  min_outlets: 1.5\n"),
        ["rules.yaml:9: [1].min_outlets: expected a whole number, got 1.5"],
    ),
    (
        "enabled not a boolean",
        threshold_rule("  enabled: not yet\n"),
        ["rules.yaml:9: [1].enabled: expected true or false, got str 'not yet'"],
    ),
    # durations
    (
        "window: soon",
        threshold_rule("  window: soon\n"),
        ["rules.yaml:9: [1].window: 'soon' is not a duration; write it like 90s, 10m, 6h or 1d"],
    ),
    (
        "window: 0s",
        threshold_rule("  window: 0s\n"),
        ["rules.yaml:9: [1].window: must be greater than zero"],
    ),
    (
        "window without a unit",
        threshold_rule("  window: 6\n"),
        ["rules.yaml:9: [1].window: expected a duration like 90s or 10m, got int 6"],
    ),
    (
        "repeat: 0s (reminders would never stop)",
        threshold_rule("  repeat: 0s\n"),
        ["rules.yaml:9: [1].repeat: must be greater than zero"],
    ),
    (
        "hold: 3 hours",
        threshold_rule("  hold: 3 hours\n"),
        ["rules.yaml:9: [1].hold: '3 hours' is not a duration; write it like 90s, 10m, 6h or 1d"],
    ),
    # unknown keys
    (
        "a typo in a key",
        GOOD + "- name: a\n  type: threshold\n  label: coup\n  treshold: 0.5\n",
        [
            "rules.yaml:8: [1].treshold: unknown key; did you mean 'threshold'?",
            "rules.yaml:5: [1].threshold: is required",
        ],
    ),
    (
        "a key of another type",
        threshold_rule("  min_usual: 3\n  baseline: 14d\n"),
        [
            "rules.yaml:9: [1].min_usual: is a key of flatline rules, not threshold rules",
            "rules.yaml:10: [1].baseline: "
            "is a key of spike and flatline rules, not threshold rules",
        ],
    ),
    (
        "a key of no type",
        threshold_rule("  channel: '#desk'\n"),
        [
            "rules.yaml:9: [1].channel: unknown key; expected one of: name, label, countries, "
            "zone, severity, window, min_outlets, corroborate, cooldown, hold, repeat, routes, "
            "description, enabled, threshold, resolve_below, type"
        ],
    ),
    (
        "the same key twice",
        threshold_rule("  window: 6h\n  window: 12h\n"),
        ["rules.yaml:10: [1].window: duplicate key"],
    ),
    # threshold
    (
        "threshold 0",
        GOOD + "- name: a\n  type: threshold\n  label: coup\n  threshold: 0\n",
        ["rules.yaml:8: [1].threshold: must be above 0 and at most 1 (a score, like 0.5)"],
    ),
    (
        "threshold 1.5",
        GOOD + "- name: a\n  type: threshold\n  label: coup\n  threshold: 1.5\n",
        ["rules.yaml:8: [1].threshold: must be above 0 and at most 1 (a score, like 0.5)"],
    ),
    (
        "threshold high",
        GOOD + "- name: a\n  type: threshold\n  label: coup\n  threshold: high\n",
        ["rules.yaml:8: [1].threshold: expected a number, got str 'high'"],
    ),
    (
        "threshold missing",
        GOOD + "- name: a\n  type: threshold\n  label: coup\n",
        ["rules.yaml:5: [1].threshold: is required"],
    ),
    (
        "resolve_below equal to threshold",
        threshold_rule("  resolve_below: 0.6\n"),
        ["rules.yaml:9: [1].resolve_below: must be lower than threshold, or alerts would flap"],
    ),
    (
        "resolve_below above threshold",
        threshold_rule("  resolve_below: 0.9\n"),
        ["rules.yaml:9: [1].resolve_below: must be lower than threshold, or alerts would flap"],
    ),
    # spike
    (
        "spike baseline shorter than the history it needs",
        GOOD + "- name: a\n  type: spike\n  label: unrest\n  window: 24h\n  baseline: 3d\n",
        ["rules.yaml:9: [1].baseline: must be at least 7d (7 days of history, and seven windows)"],
    ),
    (
        "spike baseline shorter than seven windows",
        GOOD + "- name: a\n  type: spike\n  label: unrest\n  window: 2d\n  baseline: 10d\n",
        ["rules.yaml:9: [1].baseline: must be at least 14d (7 days of history, and seven windows)"],
    ),
    (
        "spike threshold below 1 (fewer outlets than usual is no spike)",
        GOOD + "- name: a\n  type: spike\n  label: unrest\n  threshold: 0.5\n",
        ["rules.yaml:8: [1].threshold: must be at least 1"],
    ),
    (
        "spike resolve_below not below threshold",
        GOOD + "- name: a\n  type: spike\n  label: unrest\n  threshold: 2\n  resolve_below: 2\n",
        ["rules.yaml:9: [1].resolve_below: must be lower than threshold, or alerts would flap"],
    ),
    # flatline
    (
        "flatline with a label",
        GOOD + "- name: a\n  type: flatline\n  label: coup\n",
        ["rules.yaml:7: [1].label: a flatline rule does not read labels; remove it"],
    ),
    (
        "flatline naming an unknown feed",
        GOOD + "- name: a\n  type: flatline\n  feeds: [bbc-africa, rfi]\n",
        ["rules.yaml:7: [1].feeds: no feed named 'rfi' in the configuration"],
    ),
    (
        "flatline with a zone",
        GOOD + "- name: a\n  type: flatline\n  zone: coastal-north\n",
        [
            "rules.yaml:7: [1].zone: a flatline rule counts items per feed or per country; "
            "use countries"
        ],
    ),
    (
        "flatline with feeds and countries",
        GOOD + "- name: a\n  type: flatline\n  feeds: [bbc-africa]\n  countries: [ML]\n",
        ["rules.yaml:7: [1].feeds: give either feeds or countries, not both"],
    ),
    (
        "flatline with an empty feed list",
        GOOD + "- name: a\n  type: flatline\n  feeds: []\n",
        ["rules.yaml:7: [1].feeds: expected a list of feed names, or *"],
    ),
    (
        "flatline threshold is a count",
        GOOD + "- name: a\n  type: flatline\n  threshold: 0.5\n",
        ["rules.yaml:7: [1].threshold: expected a whole number, got 0.5"],
    ),
    (
        "flatline baseline shorter than three windows",
        GOOD + "- name: a\n  type: flatline\n  window: 1d\n  baseline: 2d\n",
        ["rules.yaml:8: [1].baseline: must be at least 3d (three windows) to be a baseline"],
    ),
    # across rules
    (
        "duplicate rule names",
        GOOD + "- name: coup\n  type: threshold\n  label: attack\n  threshold: 0.5\n",
        ["rules.yaml:5: [1].name: duplicate rule name 'coup' (first at line 1)"],
    ),
]


@pytest.mark.parametrize(("rules", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_mistake_in_a_rule_is_reported_with_its_line(
    tmp_path: Path, rules: str, expected: list[str]
) -> None:
    assert rule_problems(tmp_path, rules) == expected


def test_every_rule_mistake_is_reported_at_once(tmp_path: Path) -> None:
    found = rule_problems(
        tmp_path,
        """
        - name: a
          type: threshold
          label: coups
          threshold: 1.5
        - name: b
          type: spike
          label: unrest
          window: soon
        - name: c
          type: flatline
          feeds: [nope]
        """,
    )
    assert found == [
        "rules.yaml:3: [0].label: unknown label 'coups'; "
        "one of: coup, election_dispute, attack, unrest",
        "rules.yaml:4: [0].threshold: must be above 0 and at most 1 (a score, like 0.5)",
        "rules.yaml:8: [1].window: 'soon' is not a duration; write it like 90s, 10m, 6h or 1d",
        "rules.yaml:11: [2].feeds: no feed named 'nope' in the configuration",
    ]


# --- the file as a whole ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        pytest.param(
            "coup\n",
            ["rules.yaml:1: expected a list of rules (each `- name: ..., type: ...`)"],
            id="a string",
        ),
        pytest.param(
            "name: coup\ntype: threshold\n",
            [
                "rules.yaml:1: name: unknown key; expected one of: rules, zones",
                "rules.yaml:2: type: unknown key; expected one of: rules, zones",
            ],
            id="one rule without its dash",
        ),
        pytest.param(
            "rules:\n  name: coup\n",
            ["rules.yaml:1: rules: expected a list of rules (each `- name: ..., type: ...`)"],
            id="rules: not a list",
        ),
        pytest.param(
            "rule:\n  - name: coup\n",
            ["rules.yaml:1: rule: unknown key; did you mean 'rules'?"],
            id="a typo at the top",
        ),
        pytest.param(
            "zones:\n  - name: sahel\n    type: countries\n    countries: [ML, BF, NE]\n"
            "rules:\n  - name: a\n    type: threshold\n    label: coup\n    threshold: 0.5\n"
            "    zone: sahl\n",
            ["rules.yaml:10: rules[0].zone: no zone named 'sahl'; did you mean 'sahel'?"],
            id="mapping form: the key path starts with rules",
        ),
        pytest.param(
            "zones:\n  - name: sahel\n    type: countrys\n    countries: [ML]\nrules: []\n",
            [
                "rules.yaml:3: zones[0].type: "
                "unknown zone type 'countrys'; did you mean 'countries'?"
            ],
            id="mapping form: a zone's mistake",
        ),
        pytest.param(
            "- name: coup\n  type: threshold\n  label: coup: attack\n  threshold: 0.5\n",
            # libyaml's wording, or PyYAML's own where it is built without libyaml
            [
                (
                    "rules.yaml:3: invalid YAML: mapping values are not allowed in this context",
                    "rules.yaml:3: invalid YAML: mapping values are not allowed here",
                )
            ],
            id="YAML syntax error",
        ),
        pytest.param(
            "- name: coup\n  type: threshold\n\tlabel: coup\n",
            [
                (
                    "rules.yaml:3: invalid YAML: while scanning a plain scalar "
                    "found a tab character that violates indentation",
                    "rules.yaml:3: invalid YAML: while scanning for the next token "
                    "found character '\\t' that cannot start any token",
                )
            ],
            id="a tab",
        ),
    ],
)
def test_a_broken_rules_file_is_reported_with_its_line(
    tmp_path: Path, rules: str, expected: list[str | tuple[str, ...]]
) -> None:
    got = rule_problems(tmp_path, rules)
    assert len(got) == len(expected), got
    for problem, wanted in zip(got, expected, strict=True):
        assert problem in wanted if isinstance(wanted, tuple) else problem == wanted


def test_a_missing_rules_file(tmp_path: Path) -> None:
    path = write(tmp_path, MAIN.replace("rules.yaml", "rulez.yaml"), "warning.yaml")
    [problem] = problems(path)
    assert problem.startswith("warning.yaml:") and ": rules: file not found: rulez.yaml" in problem
    assert "(hint: copy config/rules.yaml beside the configuration" in problem


def test_an_empty_rules_file_means_no_rules(tmp_path: Path) -> None:
    settings = load_rules_file(tmp_path, "# nothing yet\n")
    assert settings.rules.rules == ()


def test_a_mistake_in_inline_rules_is_reported_in_the_main_file(tmp_path: Path) -> None:
    main = """
    feeds: []
    rules:
      - name: coup
        type: threshold
        label: coup
        threshold: 0.5
      - name: coup
        type: threshold
        label: unrest
        threshold: 0.5
        routes: pager
    """
    assert problems(write(tmp_path, main, "warning.yaml")) == [
        "warning.yaml:11: rules[1].routes: unknown route 'pager'; routes are slack, email, "
        "webhook, apprise, log, optionally with a target, like slack:#other-channel or "
        "email:ops@example.org",
    ]
    fixed = main.replace("routes: pager", "routes: log")
    assert problems(write(tmp_path, fixed, "warning.yaml")) == [
        "warning.yaml:7: rules[1].name: duplicate rule name 'coup' (first at line 3)",
    ]


def test_inline_rules_list_in_the_main_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        feeds: []
        zones:
          - {name: sahel, type: countries, countries: [ML, BF, NE]}
        rules:
          - {name: coup, type: threshold, label: coup, threshold: 0.5}
          - {name: sahel-attacks, type: threshold, label: attack, zone: sahel, threshold: 0.7}
          - {name: paused, type: threshold, label: unrest, threshold: 0.5, enabled: false}
        """,
        "warning.yaml",
    )
    settings = config.load(path)
    assert settings.rules.file == path
    assert [r.name for r in settings.rules.rules] == ["coup", "sahel-attacks", "paused"]
    assert [r.name for r in settings.rules.active] == ["coup", "sahel-attacks"]
    attacks = settings.rules.get("sahel-attacks")
    assert isinstance(attacks, ThresholdRule) and attacks.zone == "sahel"
    assert settings.rules.get("nope") is None


# --- zones: the main file's and the rules file's ---------------------------------------

ZONE_IN_MAIN = """
feeds: []
zones:
  - name: coastal-north
    type: countries
    countries: [CI, GH]
{rules}
"""

RULES_WITH_ZONE = """\
zones:
  - name: sahel
    type: countries
    countries: [ML, BF, NE]
  - name: coastal-north
    type: countries
    countries: [TG, BJ]
rules:
  - name: attacks
    type: threshold
    label: attack
    threshold: 0.5
    zone: coastal-north
"""


def test_a_zone_in_both_the_main_file_and_an_explicit_rules_file_is_an_error(
    tmp_path: Path,
) -> None:
    # Which of the two would the rule watch? Neither silently: the operator renames one.
    found = rule_problems(tmp_path, RULES_WITH_ZONE, ZONE_IN_MAIN.format(rules="rules: rules.yaml"))
    assert len(found) == 1, found
    assert found[0].startswith("rules.yaml:5: zones[1].name: duplicate zone name 'coastal-north'")


def test_the_zone_clash_names_where_the_first_zone_is(tmp_path: Path) -> None:
    (found,) = rule_problems(
        tmp_path, RULES_WITH_ZONE, ZONE_IN_MAIN.format(rules="rules: rules.yaml")
    )
    assert "warning.yaml:3" in found, found


def test_a_rules_file_brings_its_own_zones(tmp_path: Path) -> None:
    settings = load_rules_file(tmp_path, RULES_WITH_ZONE, "feeds: []\nrules: rules.yaml\n")
    assert [z.name for z in settings.zones] == ["sahel", "coastal-north"]
    assert settings.rules.rules[0].zone == "coastal-north"


def test_without_rules_the_main_files_zone_replaces_the_bundled_one(tmp_path: Path) -> None:
    settings = config.load(write(tmp_path, ZONE_IN_MAIN.format(rules=""), "warning.yaml"))
    assert settings.rules.file == resources.bundled_rules()
    (zone,) = [z for z in settings.zones if z.name == "coastal-north"]
    assert zone == CountriesZone(name="coastal-north", countries=("CI", "GH"))
    attacks = settings.rules.get("attack-coastal-north")
    assert attacks is not None and attacks.zone == "coastal-north"


# --- the bundled rules -----------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> config.Settings:
    return config.load(REPO / "config" / "warning.yaml")


def test_bundled_rules_load_and_the_default_config_uses_them(
    bundled: config.Settings, tmp_path: Path
) -> None:
    assert bundled.rules.file == REPO / "config" / "rules.yaml"
    assert len(bundled.rules.active) == len(bundled.rules.rules) == 6
    # A configuration without `rules` gets the same rules, from the package.
    plain = config.load(write(tmp_path, "feeds: []\n", "warning.yaml"))
    assert plain.rules.digest == bundled.rules.digest
    assert plain.rules.rules == bundled.rules.rules


def test_bundled_coup_rule_alerts_from_one_outlet_and_corroborates_at_two(
    bundled: config.Settings,
) -> None:
    coup = bundled.rules.get("coup")
    assert isinstance(coup, ThresholdRule)
    assert (coup.label, coup.countries, coup.zone) == ("coup", (ALL,), None)
    assert (coup.min_outlets, coup.corroborate) == (1, 2)
    assert coup.severity == "critical"
    assert "slack" in coup.routes


def test_bundled_election_dispute_rule(bundled: config.Settings) -> None:
    rule = bundled.rules.get("election-dispute")
    assert isinstance(rule, ThresholdRule)
    assert (rule.label, rule.countries) == ("election_dispute", (ALL,))
    assert rule.min_outlets >= 2  # election news is abundant: one outlet is not enough


def test_bundled_attack_rule_watches_the_band_along_the_coastal_states_northern_borders(
    bundled: config.Settings,
) -> None:
    rule = bundled.rules.get("attack-coastal-north")
    assert isinstance(rule, ThresholdRule)
    assert (rule.label, rule.zone) == ("attack", "coastal-north")
    (zone,) = [z for z in bundled.zones if z.name == rule.zone]
    assert isinstance(zone, BorderBandZone)
    assert set(zone.countries) == {"CI", "GH", "TG", "BJ"}
    assert set(zone.near) == {"BF", "ML", "NE"}
    assert zone.within == 100.0
    assert zone.matches(Place("Kafolo", "CI", "city", lat=9.58333, lon=-4.3))
    assert not zone.matches(Place("Abidjan", "CI", "city", lat=5.35444, lon=-4.00167))


def test_bundled_unrest_spike_and_flatline_rules(bundled: config.Settings) -> None:
    spike = bundled.rules.get("unrest-spike")
    assert isinstance(spike, SpikeRule)
    assert spike.label == "unrest" and spike.threshold > 1
    quiet = bundled.rules.get("country-quiet")
    assert isinstance(quiet, FlatlineRule)
    assert {"ML", "BF", "NE", "CI", "GH", "TG", "BJ"} <= set(quiet.countries)


# --- the digest stored with every alert ------------------------------------------------


def test_digest_changes_with_a_rule_not_with_rereading_or_comments(tmp_path: Path) -> None:
    first = load_rules_file(tmp_path, GOOD).rules.digest
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    assert load_rules_file(tmp_path, GOOD).rules.digest == first
    commented = "# the desk's rules\n" + GOOD.replace("0.5", "0.5   # one clear report")
    assert load_rules_file(tmp_path, commented).rules.digest == first
    assert load_rules_file(tmp_path, GOOD.replace("0.5", "0.6")).rules.digest != first
    assert load_rules_file(tmp_path, GOOD + "  hold: 6h\n").rules.digest != first


def test_digest_changes_when_a_zone_a_rule_uses_is_redrawn(tmp_path: Path) -> None:
    main = "feeds: []\nrules: rules.yaml\n"
    first = load_rules_file(tmp_path, RULES_WITH_ZONE, main).rules.digest
    # A zone no rule uses does not count; the one the rule watches does.
    unused = RULES_WITH_ZONE.replace("[ML, BF, NE]", "[ML, BF]")
    assert load_rules_file(tmp_path, unused, main).rules.digest == first
    redrawn = RULES_WITH_ZONE.replace("[TG, BJ]", "[TG, BJ, GH]")
    assert load_rules_file(tmp_path, redrawn, main).rules.digest != first


# --- warning check ---------------------------------------------------------------------


def check(
    tmp_path: Path, main: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    path = write(tmp_path, main, "warning.yaml")
    capsys.readouterr()
    code = cli.main(["--config", str(path), "check"])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_exits_2_and_prints_a_bad_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, GOOD + "  window: soon\n", "rules.yaml")
    code, out, err = check(tmp_path, MAIN, capsys, monkeypatch)
    assert code == 2 and out == ""
    rules_file = (tmp_path / "rules.yaml").resolve()
    assert err == (
        f"{rules_file}:5: [0].window: 'soon' is not a duration; write it like 90s, 10m, 6h or 1d\n"
    )


def test_check_notes_a_route_whose_notifier_is_not_configured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, GOOD + "  routes: [slack, email, log]\n", "rules.yaml")
    main = MAIN + "notify:\n  slack:\n    token: xoxb-test\n    channel: '#desk'\n"
    code, out, err = check(tmp_path, main, capsys, monkeypatch)
    assert code == 0, err
    assert "    coup: threshold coup in * -> slack, email, log\n" in out
    assert (
        "  note: route 'email' (rules coup) has no notifier under notify:; "
        "those alerts go to the log\n"
    ) in out
    assert "route 'slack'" not in out  # configured
    card = json.loads((REPO / "models" / "instability.json").read_text(encoding="utf-8"))
    assert f"  model: {card['version']}\n" in out  # the shipped pack, verified


# --- docs/rules.md documents every key -------------------------------------------------

DOC = REPO / "docs" / "rules.md"
COMMON = "## Keys every rule takes"


def _section(doc: str, heading: str) -> str:
    start = doc.index(f"\n{heading}\n")
    end = doc.find("\n## ", start + 1)
    return doc[start : end if end != -1 else len(doc)]


def _row(section: str, key: str) -> list[str] | None:
    for line in section.splitlines():
        if line.startswith(f"| `{key}` |"):
            return [cell.strip() for cell in line.strip("|").split("|")]
    return None


def _default(field: dataclasses.Field[Any]) -> str:
    """How the docs write a field's default, from the dataclass itself."""
    value = field.default
    if value is dataclasses.MISSING or (field.name == "label" and value == ""):
        return "required"
    if value is None or value == ():
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, timedelta):
        return f"`{format_duration(value)}`"
    if isinstance(value, float | int):
        return f"`{value:g}`"
    if isinstance(value, tuple):
        return f'`"{ALL}"`' if value == (ALL,) else f"`[{', '.join(value)}]`"
    return f"`{value}`"


def documented_keys() -> list[tuple[str, str, str]]:
    """(section heading, key, default) for every key of every registered rule type.

    A key goes in the common table when it is one of :class:`Rule`'s with Rule's default,
    else in its type's own section (a key of its own, or a common key it overrides).
    """
    common = {f.name: f for f in dataclasses.fields(Rule)}
    out = [(COMMON, "type", "required")]
    out += [(COMMON, name, _default(f)) for name, f in common.items()]
    for kind, cls in REGISTRY.items():
        for f in dataclasses.fields(cls):
            base = common.get(f.name)
            if base is None or base.default != f.default:
                out.append((f"## `{kind}`", f.name, _default(f)))
        if not cls.uses_label:
            out.append((f"## `{kind}`", "label", "not accepted"))
    return out


def test_every_rule_key_is_documented_with_its_default() -> None:
    doc = DOC.read_text(encoding="utf-8")
    keys = documented_keys()
    assert len(keys) > 20  # the walk really found the rule types
    assert {"threshold", "spike", "flatline"} <= set(REGISTRY)
    wrong = []
    for heading, key, default in keys:
        row = _row(_section(doc, heading), key)
        if row is None:
            wrong.append(f"{heading}: `{key}` has no row")
        elif len(row) != 4 or default not in row[2]:
            wrong.append(f"{heading}: `{key}` should say {default} in its default column: {row}")
    assert not wrong, "docs/rules.md is out of step with the rule types:\n" + "\n".join(wrong)


def _yaml_blocks(doc: str) -> list[tuple[int, str]]:
    return [
        (doc.count("\n", 0, m.start()) + 2, textwrap.dedent(m.group(1)))
        for m in re.finditer(r"```yaml\n(.*?)```", doc, re.DOTALL)
    ]


def test_every_yaml_example_in_the_rules_docs_loads(tmp_path: Path) -> None:
    """A block starting ``# warning.yaml`` is a main file; any other is a rules file."""
    blocks = _yaml_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 4
    main = MAIN.replace("bbc-africa", "rfi-afrique")
    for line, text in blocks:
        try:
            if text.startswith("# warning.yaml"):
                settings = config.load(write(tmp_path, text, "warning.yaml"))
            else:
                settings = load_rules_file(tmp_path, text, main)
        except ConfigError as exc:
            pytest.fail(f"docs/rules.md:{line}: the example does not load:\n{exc}")
        assert settings.rules.rules, f"docs/rules.md:{line}: the example has no rules"


def test_the_coup_example_in_the_docs_is_the_bundled_rule(
    tmp_path: Path, bundled: config.Settings
) -> None:
    blocks = [t for _, t in _yaml_blocks(DOC.read_text(encoding="utf-8"))]
    (example,) = [t for t in blocks if t.startswith("- name: coup\n")]
    assert load_rules_file(tmp_path, example).rules.get("coup") == bundled.rules.get("coup")


def test_the_rule_types_have_docstrings() -> None:
    for cls in REGISTRY.values():
        assert cls.__doc__ and f"type: {cls.type}" in cls.__doc__
        assert typing.get_type_hints(cls)  # fields are typed (the reader needs the hints)


def test_bundled_advisory_rule_watches_the_countries_of_first_concern(
    bundled: config.Settings,
) -> None:
    rule = bundled.rules.get("advisory-raised")
    assert rule is not None and rule.type == "advisory"
    assert set(rule.countries) == {
        "ML",
        "BF",
        "NE",
        "TD",
        "GN",
        "SN",
        "MR",
        "CI",
        "GH",
        "TG",
        "BJ",
        "NG",
    }


# --- `rules:` as a list of files or a glob: one rule set, names unique across files ---

OTHER = """\
- name: unrest-watch
  type: threshold
  label: unrest
  threshold: 0.6
"""

#: A file that brings a zone of its own, and a rule that watches it.
ZONED = """\
zones:
  - name: sahel
    type: countries
    countries: [ML, BF, NE]
rules:
  - name: sahel-attacks
    type: threshold
    label: attack
    threshold: 0.5
    zone: sahel
"""


def main(rules: str) -> str:
    return MAIN.replace("rules: rules.yaml", rules)


def test_a_list_of_files_makes_one_rule_set_in_order(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "coups.yaml")
    write(tmp_path, OTHER, "unrest.yaml")
    settings = config.load(write(tmp_path, main("rules: [unrest.yaml, coups.yaml]"), "w.yaml"))
    assert [r.name for r in settings.rules.rules] == ["unrest-watch", "coup"]
    assert settings.rules.sources == (tmp_path / "unrest.yaml", tmp_path / "coups.yaml")


def test_a_glob_reads_its_files_sorted_by_name(tmp_path: Path) -> None:
    (tmp_path / "rules.d").mkdir()
    write(tmp_path, OTHER, "rules.d/20-unrest.yaml")
    write(tmp_path, GOOD, "rules.d/10-coups.yaml")
    write(tmp_path, ZONED, "rules.d/30-sahel.yaml")
    write(tmp_path, "not yaml rules", "rules.d/README.txt")
    settings = config.load(write(tmp_path, main("rules: rules.d/*.yaml"), "w.yaml"))
    assert [r.name for r in settings.rules.rules] == ["coup", "unrest-watch", "sahel-attacks"]
    assert "sahel" in {z.name for z in settings.zones}


def test_the_hash_covers_every_file(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, OTHER, "b.yaml")
    path = write(tmp_path, main("rules: [a.yaml, b.yaml]"), "w.yaml")
    before = config.load(path).rules.digest
    write(tmp_path, OTHER.replace("0.6", "0.7"), "b.yaml")
    assert config.load(path).rules.digest != before


def test_check_names_every_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, OTHER, "b.yaml")
    path = write(tmp_path, main("rules: [a.yaml, b.yaml]"), "w.yaml")
    assert cli.main(["--config", str(path), "check"]) == 0
    out = capsys.readouterr().out
    assert f"from {tmp_path / 'a.yaml'}, {tmp_path / 'b.yaml'}" in out


@pytest.mark.parametrize(
    ("rules", "files", "expected"),
    [
        (
            "rules: [a.yaml, b.yaml]",
            {"a.yaml": GOOD, "b.yaml": GOOD},
            "rules: rule 'coup' is defined in both",
        ),
        ("rules: rules.d/*.yaml", {}, "rules: 'rules.d/*.yaml' matches no file"),
        ("rules: [a.yaml, missing.yaml]", {"a.yaml": GOOD}, "rules[1]: file not found:"),
        ("rules: [a.yaml, a.yaml]", {"a.yaml": GOOD}, "names "),
        (
            "rules: [a.yaml, {name: x, type: threshold, label: coup, threshold: 0.5}]",
            {"a.yaml": GOOD},
            "mixes file names and rules",
        ),
        (
            "rules: [a.yaml, b.yaml]",
            {"a.yaml": ZONED, "b.yaml": ZONED.replace("sahel-attacks", "other")},
            "zone 'sahel' is defined in both",
        ),
    ],
)
def test_each_mistake_with_several_files(
    tmp_path: Path, rules: str, files: dict[str, str], expected: str
) -> None:
    (tmp_path / "rules.d").mkdir()
    for name, text in files.items():
        write(tmp_path, text, name)
    found = problems(write(tmp_path, main(rules), "w.yaml"))
    assert any(expected in p and p.startswith("w.yaml:") for p in found), found


def test_a_mistake_inside_one_of_the_files_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, OTHER.replace("0.6", "2"), "b.yaml")
    [problem] = problems(write(tmp_path, main("rules: [a.yaml, b.yaml]"), "w.yaml"))
    assert problem.startswith("b.yaml:4: [0].threshold") or problem.startswith("b.yaml:4:"), problem
