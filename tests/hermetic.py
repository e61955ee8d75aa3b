"""Keep the test session out of the caller's home directory, and prove it.

A pytest plugin (``tests/conftest.py`` imports it; ``-p tests.hermetic`` loads it alone):

* :func:`hermetic_environment`, a session fixture used by every test, points ``HOME`` and
  ``XDG_STATE_HOME`` / ``XDG_CONFIG_HOME`` at a folder of the session's temporary
  directory and ``XDG_CACHE_HOME`` at one folder that every xdist worker of the run
  shares, and unsets the systemd variables and ``WARNING_CONFIG`` a caller may have, so
  a configuration without ``database`` lands in the session's folder and subprocesses
  started by tests inherit all of it.
* The guard: the process that runs the session (the xdist controller, or pytest alone)
  lists the caller's ``warning`` state, cache and configuration folders before anything
  runs and again at the end; any file created, changed or removed there fails the run,
  naming the files.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Inherited from the caller, each would send the program to the caller's own files.
UNSET = ("STATE_DIRECTORY", "CACHE_DIRECTORY", "CREDENTIALS_DIRECTORY", "WARNING_CONFIG")

#: (XDG variable, its default under the home directory): where the program keeps files.
XDG = (
    ("XDG_STATE_HOME", ".local/state"),
    ("XDG_CACHE_HOME", ".cache"),
    ("XDG_CONFIG_HOME", ".config"),
)

Listing = dict[str, tuple[int, int]]

_SNAPSHOT = pytest.StashKey[tuple[list[Path], Listing]]()
_LEAKS = pytest.StashKey[list[str]]()


def guarded_dirs(environ: Mapping[str, str]) -> list[Path]:
    """The caller's ``warning`` folders: under the home directory and under any XDG override."""
    home = Path(environ.get("HOME") or Path.home())
    dirs = {home / default / "warning" for _, default in XDG}
    dirs |= {Path(environ[var]) / "warning" for var, _ in XDG if environ.get(var)}
    return sorted(dirs)


def listing(dirs: list[Path]) -> Listing:
    """Every entry under ``dirs`` (the folders included) with its size and mtime."""
    found: Listing = {}
    for top in dirs:
        for path in [top, *top.rglob("*")] if top.exists() else []:
            with contextlib.suppress(FileNotFoundError):
                st = path.lstat()
                found[str(path)] = (st.st_size, st.st_mtime_ns)
    return found


def changes(before: Listing, after: Listing) -> list[str]:
    """What happened between two listings, one line per path."""
    lines = [f"created {p}" for p in sorted(after.keys() - before.keys())]
    lines += [f"removed {p}" for p in sorted(before.keys() - after.keys())]
    lines += [f"changed {p}" for p in sorted(before) if p in after and before[p] != after[p]]
    return lines


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    # Workers inherit the caller's environment untouched (the redirect happens in a
    # fixture, inside each worker), but only the process that outlives them checks.
    if not _is_xdist_worker(config):
        dirs = guarded_dirs(os.environ)
        config.stash[_SNAPSHOT] = (dirs, listing(dirs))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    snapshot = session.config.stash.get(_SNAPSHOT, None)
    if snapshot is None:
        return
    dirs, before = snapshot
    leaks = changes(before, listing(dirs))
    session.config.stash[_LEAKS] = leaks
    if leaks and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    leaks = terminalreporter.config.stash.get(_LEAKS, [])
    if leaks:
        terminalreporter.section("files written outside the test session", red=True)
        for line in leaks:
            terminalreporter.line(line, red=True)
        terminalreporter.line(
            "A test reached the caller's home directory: give its configuration a "
            "`database` under tmp_path, or find the path the program derived from "
            "HOME/XDG_* before tests/hermetic.py redirected them.",
            red=True,
        )


@dataclass(frozen=True)
class Session:
    """Where this test session keeps what the program would keep in a home directory."""

    home: Path  #: this process's HOME (one per xdist worker)
    shared: Path  #: one folder for the whole run, shared by every xdist worker


@pytest.fixture(scope="session", autouse=True)
def hermetic_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """HOME and the XDG folders in the session's temporary directory, for every test."""
    basetemp = tmp_path_factory.getbasetemp()
    # An xdist worker's basetemp is <the run's basetemp>/popen-gwN.
    shared = basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp
    home = tmp_path_factory.mktemp("home", numbered=False)
    cache = shared / "xdg-cache"
    cache.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
        mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        mp.setenv("XDG_CACHE_HOME", str(cache))
        for name in UNSET:
            mp.delenv(name, raising=False)
        yield Session(home=home, shared=shared)


@pytest.fixture(autouse=True)
def restore_environment(hermetic_environment: Session) -> Iterator[None]:
    """Undo whatever a test left in os.environ (a CLI call that sets a variable for its
    process, say), so no test depends on which tests ran before it in the same worker."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)
