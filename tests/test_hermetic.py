"""The test session stays out of the caller's home directory (tests/hermetic.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.hermetic import UNSET, Session
from warning import config, resources
from warning.geo import gazetteer

REPO = Path(__file__).resolve().parents[1]


def test_the_program_keeps_nothing_outside_the_sessions_temporary_folder(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Only pytest's own fixtures here: this test needs nothing from the plugin to run.
    run = tmp_path_factory.getbasetemp()
    run = run.parent if os.environ.get("PYTEST_XDIST_WORKER") else run
    assert resources.state_dir().is_relative_to(run)
    assert gazetteer.cache_dir().is_relative_to(run)
    path = tmp_path / "warning.yaml"
    path.write_text("feeds: []\n")
    default_db = config.load(path).database.reveal().removeprefix("sqlite:///")
    assert Path(default_db).is_relative_to(run)


def test_home_and_xdg_folders_are_the_sessions(hermetic_environment: Session) -> None:
    home, shared = hermetic_environment.home, hermetic_environment.shared
    assert Path.home() == home
    assert os.path.expanduser("~") == str(home)
    assert home.is_relative_to(shared)
    for name in ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        assert Path(os.environ[name]).is_relative_to(shared), name
    assert not [name for name in UNSET if name in os.environ]
    assert resources.state_dir() == home / ".local" / "state" / "warning"
    # Built once for the whole run, before the first test.
    assert (gazetteer.cache_dir() / gazetteer.CACHE_FILE).is_file()
    assert gazetteer.cache_dir().is_relative_to(shared)


def test_subprocesses_inherit_the_sessions_folders(hermetic_environment: Session) -> None:
    code = "from warning import resources; print(resources.state_dir())"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert Path(done.stdout.strip()).is_relative_to(hermetic_environment.home)


NESTED = """
import os
from pathlib import Path

def test_writes_where_the_program_would(tmp_path):
    state = Path.home() / ".local" / "state" / "warning"
    state.mkdir(parents=True)
    (state / "x.db").write_text("redirected")
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "warning"
    cache.mkdir(parents=True)
    (cache / "gazetteer.marshal").write_text("redirected")

def test_leaks():
    if os.environ.get("LEAK_TO"):
        target = Path(os.environ["LEAK_TO"]) / ".config" / "warning"
        target.mkdir(parents=True)
        (target / "leaked.yaml").write_text("written into the caller's home")

def test_sets_a_variable_as_a_cli_call_might():
    os.environ["STATE_DIRECTORY"] = "/var/lib/warning"

def test_does_not_see_it():
    assert "STATE_DIRECTORY" not in os.environ
"""


def _nested_run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """pytest with only this plugin, on a caller's home of its own (``tmp_path/home``)."""
    (tmp_path / "test_nested.py").write_text(textwrap.dedent(NESTED))
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    # The caller's environment as a shell would give it, with a home to watch.
    caller = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PYTEST_"))}
    caller |= {"HOME": str(home), "PYTHONPATH": str(REPO), **env}
    caller |= {"STATE_DIRECTORY": str(home / "systemd-state"), "WARNING_CONFIG": "/nowhere.yaml"}
    plugins = ["-p", "tests.hermetic", "-p", "no:cacheprovider", "-p", "no:xdist"]
    options = ["--basetemp", str(tmp_path / "basetemp"), "-q"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *plugins, *options, "test_nested.py"],
        cwd=tmp_path,
        env=caller,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_guard_passes_a_run_that_stays_in_the_session(tmp_path: Path) -> None:
    done = _nested_run(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout
    assert not (tmp_path / "home" / ".local").exists()
    assert not (tmp_path / "home" / ".cache").exists()
    assert not (tmp_path / "home" / "systemd-state").exists()


def test_the_guard_fails_a_run_that_writes_into_the_callers_home(tmp_path: Path) -> None:
    done = _nested_run(tmp_path, LEAK_TO=str(tmp_path / "home"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "4 passed" in done.stdout  # the tests themselves pass: the guard fails the run
    leaked = tmp_path / "home" / ".config" / "warning" / "leaked.yaml"
    assert f"created {leaked}" in done.stdout
    assert "x.db" not in done.stdout  # what went into the session's home is not a leak
