"""Notifiers declare their own options: adding one is a module and one registry line.

A test-only kind is registered the way a built-in is, then configured from YAML: its
section is read into its options class (secrets resolved, unknown keys and its own
cross-key checks reported at their lines), the configured notifiers include it, and
routes reach it. Nothing in warning/notify/ imports the configuration.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from warning import config
from warning.errors import ConfigError
from warning.notify import REGISTRY, Notifier, Notifiers, unconfigured
from warning.records import AlertMessage
from warning.settings import Secret, option, positive

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class PagerOptions:
    """``notify.pager``: a test-only kind with a secret, a checked value and a file."""

    FILES: ClassVar[dict[str, str]] = {"roster": "give the roster file"}

    key: Secret
    service: str
    retries: int = option(3, check=positive)
    roster: str | None = None

    def problems(self) -> list[tuple[str, str]]:
        return [("service", "must not be 'all'")] if self.service == "all" else []


class PagerNotifier(Notifier):
    kind = "pager"
    Options = PagerOptions

    def __init__(self, settings: PagerOptions) -> None:
        self.settings = settings
        self.sent: list[tuple[int, str | None]] = []

    def send(self, message: AlertMessage, target: str | None, thread: str | None) -> str:
        self.sent.append((message.alert_id, target))
        return f"pager:{message.alert_id}"


@pytest.fixture
def pager(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(REGISTRY, PagerNotifier.kind, PagerNotifier)  # its one registry line
    monkeypatch.setenv("PAGER_KEY", "pk-secret")


def write(tmp_path: Path, notify: str) -> Path:
    path = tmp_path / "warning.yaml"
    path.write_text(f"database: sqlite:///{tmp_path / 'w.db'}\nrules: []\nnotify:\n{notify}")
    return path


@pytest.mark.usefixtures("pager")
def test_a_registered_kind_is_configured_from_yaml_and_routed_to(tmp_path: Path) -> None:
    (tmp_path / "roster.txt").write_text("desk\n")
    path = write(
        tmp_path,
        "  pager:\n    key: ${PAGER_KEY}\n    service: sahel\n    roster: roster.txt\n",
    )
    settings = config.load(path)
    options = settings.notify.get("pager")
    assert options == PagerOptions(
        Secret("pk-secret"), "sahel", roster=str((tmp_path / "roster.txt").resolve())
    )
    assert "pk-secret" not in repr(options)  # the secret is masked
    assert unconfigured(["pager", "slack:#x", "log"], settings.notify) == ["slack:#x"]
    notifiers = Notifiers(settings.notify)
    notifier, target = notifiers.resolve("pager:night-shift")
    assert isinstance(notifier, PagerNotifier) and target == "night-shift"
    assert notifier.settings is options


@pytest.mark.usefixtures("pager")
def test_a_registered_kinds_mistakes_are_reported_at_their_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "  pager:\n"
        "    key: ${PAGER_KEY}\n"
        "    service: all\n"
        "    retries: 0\n"
        "    colour: red\n"
        "    roster: missing.txt\n"
        "  pagr: {}\n",
    )
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    got = sorted(str(p).removeprefix(f"{path}:") for p in caught.value.problems)
    assert got == [
        "10: notify.pagr: unknown key; did you mean 'pager'?",
        "7: notify.pager.retries: must be greater than zero",
        "8: notify.pager.colour: unknown key; expected one of: key, service, retries, roster",
    ]
    path = write(tmp_path, "  pager:\n    key: ${PAGER_KEY}\n    service: all\n")
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert [str(p).removeprefix(f"{path}:") for p in caught.value.problems] == [
        "6: notify.pager.service: must not be 'all'"
    ]
    path = write(tmp_path, "  pager:\n    key: k\n    service: s\n    roster: missing.txt\n")
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert [str(p).removeprefix(f"{path}:").split(" (hint")[0] for p in caught.value.problems] == [
        f"7: notify.pager.roster: file not found: {(tmp_path / 'missing.txt').resolve()}"
    ]


def test_without_the_registry_line_the_section_is_an_unknown_key(tmp_path: Path) -> None:
    path = write(tmp_path, "  pager:\n    key: k\n    service: s\n")
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert [str(p).removeprefix(f"{path}:") for p in caught.value.problems] == [
        "4: notify.pager: unknown key; expected one of: slack, email, webhook, apprise"
    ]


def test_the_notifiers_do_not_import_the_configuration() -> None:
    importers = []
    for path in sorted((REPO / "warning" / "notify").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("config"):
                importers.append(path.name)
    assert importers == []
