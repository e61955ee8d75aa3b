"""``inhibit:`` and ``grouping:``: every kind of mistake is a ``file:line: key: message``
error, and the matching rules (inhibit.py) on their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from warning import config
from warning.alerting.inhibit import InhibitRule, Standing, held, muted_by
from warning.errors import ConfigError

HEAD = "feeds: []\n"


def problems(tmp_path: Path, text: str) -> str:
    path = tmp_path / "warning.yaml"
    path.write_text(HEAD + text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    return str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("inhibit: {when: x}\n", "warning.yaml:2: inhibit: expected a list"),
        ("inhibit:\n  - just words\n", "warning.yaml:3: inhibit[0]: expected a mapping"),
        ("inhibit:\n  - mute: {labels: [unrest]}\n", "inhibit[0].when: is required"),
        ("inhibit:\n  - when: {label: coup}\n", "inhibit[0].mute: is required"),
        (
            "inhibit:\n  - when: {label: cop}\n    mute: {labels: [unrest]}\n",
            "warning.yaml:3: inhibit[0].when.label: unknown label 'cop'; did you mean 'coup'?",
        ),
        (
            "inhibit:\n  - when: {rule: coupe}\n    mute: {labels: [unrest]}\n",
            "inhibit[0].when.rule: unknown rule 'coupe'; did you mean 'coup'?",
        ),
        (
            "inhibit:\n  - when: {label: coup, level: confirmed}\n    mute: {labels: [unrest]}\n",
            "inhibit[0].when.level: unknown level 'confirmed'",
        ),
        (
            "inhibit:\n  - when: {label: coup, severity: huge}\n    mute: {labels: [unrest]}\n",
            "inhibit[0].when.severity: unknown severity 'huge'",
        ),
        (
            "inhibit:\n  - when: {label: coup, colour: red}\n    mute: {labels: [unrest]}\n",
            "inhibit[0].when.colour: unknown key",
        ),
        (
            "inhibit:\n  - when: {level: corroborated}\n    mute: {labels: [unrest]}\n",
            "inhibit[0].when: needs a label or a rule",
        ),
        (
            "inhibit:\n  - when: {label: coup}\n    mute: {labels: [riots]}\n",
            "inhibit[0].mute.labels: unknown label 'riots'",
        ),
        (
            "inhibit:\n  - when: {label: coup}\n    mute: {rules: [country-silent]}\n",
            "inhibit[0].mute.rules: unknown rule 'country-silent'; did you mean 'country-quiet'?",
        ),
        (
            "inhibit:\n  - when: {label: coup}\n    mute: {labels: 3}\n",
            "inhibit[0].mute.labels: expected a list of label names",
        ),
        (
            "inhibit:\n  - when: {label: coup}\n    mute: {}\n",
            "inhibit[0].mute: needs labels or rules",
        ),
        (
            "inhibit:\n  - when: {label: coup}\n    mute: {labels: [unrest], who: me}\n",
            "inhibit[0].mute.who: unknown key",
        ),
        (
            "inhibit:\n  - when: {label: coup}\n    mute: {labels: [unrest]}\n    also: 1\n",
            "inhibit[0].also: unknown key",
        ),
        ("grouping: {window: soon}\n", "warning.yaml:2: grouping.window:"),
        ("grouping: {window: 0s}\n", "grouping.window: must be greater than zero"),
        ("grouping: {enabled: maybe}\n", "grouping.enabled:"),
        ("grouping: {by: rule}\n", "grouping.by: unknown key"),
        ("grouping: 6h\n", "grouping: expected a mapping"),
    ],
)
def test_each_mistake_names_its_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in problems(tmp_path, text)


def test_the_shipped_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "warning.yaml"
    path.write_text(
        HEAD
        + "grouping: {window: 2h}\n"
        + "inhibit:\n  - when: {label: coup, level: corroborated}\n"
        + "    mute: {labels: [unrest], rules: [country-quiet, advisory-raised]}\n",
        encoding="utf-8",
    )
    settings = config.load(path)
    assert settings.grouping.group is not None and settings.grouping.window.total_seconds() == 7200
    [rule] = settings.inhibit
    assert rule == InhibitRule(
        "coup", None, 1, None, ("unrest",), ("country-quiet", "advisory-raised")
    )
    assert config.load(config.Path("config/warning.yaml")).grouping.enabled


COUP = Standing("coup", "NE", "coup", "critical", 1)
RUMOUR = Standing("coup", "NE", "coup", "critical", 0)
UNREST = Standing("unrest-spike", "NE", "unrest", "medium", 0)
QUIET = Standing("country-quiet", "NE", "quiet", "low", 0)
RULE = InhibitRule("coup", None, 1, None, ("unrest",), ("country-quiet",))


def test_only_a_matching_open_alert_in_the_same_country_mutes() -> None:
    assert muted_by([RULE], UNREST, [COUP, UNREST]) == COUP
    assert muted_by([RULE], QUIET, [COUP]) == COUP
    assert muted_by([RULE], UNREST, [RUMOUR]) is None  # not corroborated yet
    assert muted_by([RULE], Standing("unrest-spike", "ML", "unrest", "medium", 0), [COUP]) is None
    assert muted_by([RULE], COUP, [COUP]) is None  # never itself
    assert muted_by([], UNREST, [COUP]) is None


def test_an_all_clear_the_desk_saw_is_never_held() -> None:
    assert held("new", "coup|coup|1", told=False)
    assert held("resolved", "coup|coup|1", told=False)
    assert not held("resolved", "coup|coup|1", told=True)
    assert not held("new", None, told=False)
