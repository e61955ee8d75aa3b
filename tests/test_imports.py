"""Each command imports only what it uses (issue 15, item 3).

Every runtime command runs as a real process in which scikit-learn, SciPy and skops
cannot be imported (they are the `train` extra's), and reports the modules it and
every process it started imported (top-level names, and each of this package's).
Commands that do not score never import numpy, the scorer or the gazetteer; a
database already at the newest schema is opened without Alembic; a poll that brings
nothing new starts no worker process. These are behaviours, not timings: the times
are `bench/bench_commands.py`'s to print.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "tests" / "fixtures" / "training" / "tiny-corpus.csv"

#: The `train` extra: no runtime command may need them.
TRAINING = {"sklearn", "scipy", "skops"}
#: What a command that neither scores nor migrates has no use for: the libraries, the
#: gazetteer (tens of MB once loaded) and the scorer.
UNUSED = {"numpy", "alembic", "mako", "warning.geo.gazetteer", "warning.classify.scorer", *TRAINING}

#: Loaded by every Python process of a test's command (its workers included, which
#: start with `spawn`): the training libraries made unimportable, as on an installation
#: without the extra, and each process's top-level modules written down at exit.
SITECUSTOMIZE = """\
import atexit, json, os, sys

for _name in ("sklearn", "scipy", "skops"):
    sys.modules[_name] = None  # `import sklearn` raises ImportError, as if not installed


def _report():
    names = [m for m, mod in list(sys.modules.items()) if mod is not None]
    ours = {m for m in names if m.startswith("warning.")}
    loaded = sorted({m.split(".")[0] for m in names} | ours)
    path = os.path.join(os.environ["WARNING_TEST_MODULES"], f"{os.getpid()}.json")
    with open(path, "w") as handle:
        json.dump(loaded, handle)


atexit.register(_report)
"""

Ran = tuple[subprocess.CompletedProcess[str], list[set[str]]]
Run = Callable[..., Ran]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """Run ``warning ARGS`` with the training libraries blocked; return the process's
    result and the module sets of every Python process it ran (itself first)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    count = 0

    def run_(*args: str, stdin: str | None = None) -> Ran:
        nonlocal count
        count += 1
        reports = tmp_path / f"modules-{count}"
        reports.mkdir()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(site), str(REPO)]),
            "WARNING_TEST_MODULES": str(reports),
        }
        done = subprocess.run(
            [sys.executable, "-m", "warning", "--log-level", "warning", *args],
            cwd=tmp_path,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        by_pid = {int(p.stem): set(json.loads(p.read_text())) for p in reports.glob("*.json")}
        assert by_pid, f"no process reported its modules: {done.stderr}"
        first = min(by_pid)  # the command itself started before any process it started
        return done, [by_pid[first], *(m for pid, m in sorted(by_pid.items()) if pid != first)]

    return run_


@pytest.fixture
def configured(tmp_path: Path, feed_server: FeedServer) -> Path:
    """A configuration with one feed of five stories on a real HTTP server (with an
    ETag, so a second poll is answered 304) and its own SQLite database."""
    feed_server.add("/feed.xml", make_rss(sample_items(5, seed=15)))
    path = tmp_path / "warning.yaml"
    path.write_text(
        f"database: sqlite:///{tmp_path / 'warning.db'}\n"
        "feeds:\n"
        "  - name: wire\n"
        f"    url: {feed_server.url('/feed.xml')}\n"
    )
    return path


def test_runtime_commands_never_import_the_training_libraries_and_only_scorers_numpy(
    run: Run, configured: Path, tmp_path: Path
) -> None:
    cfg = ("--config", str(configured))
    since = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()  # a short backtest

    done, procs = run(*cfg, "check")
    assert done.returncode == 0, done.stderr
    assert "model: instability-" in done.stdout  # the pack is still verified
    assert not procs[0] & UNUSED

    # The first poll stores new stories: it migrates a new database (Alembic), and its
    # workers score (numpy). No process imports the training libraries.
    done, procs = run(*cfg, "poll", "--once", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["items_new"] == 5
    assert len(procs) > 1, "the new items were assessed in worker processes"
    assert "alembic" in procs[0]
    assert any("numpy" in p for p in procs)
    assert not any(p & TRAINING for p in procs)
    # A worker parses, assesses and stores: the configuration, the HTTP client and the
    # other source kinds are the daemon's (each costs every worker's start).
    for worker in procs[1:]:
        assert not worker & {"warning.config", "httpx", "warning.sources.acled"}, worker

    # Nothing new: no worker starts, nothing scores, nothing migrates.
    done, procs = run(*cfg, "poll", "--once", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["items_new"], report["feeds"][0]["status"]) == (0, "not_modified")
    assert len(procs) == 1, "a poll that brought nothing new started worker processes"
    assert not procs[0] & UNUSED

    for args in (
        ("feeds",),
        ("feeds", "--json"),
        ("alerts", "list"),
        ("silence", "add", "--country", "ML", "--for", "6h", "--reason", "drill"),
        ("silence", "list", "--json"),
        ("test-notify", "log"),
        ("backtest", "--from", since, "--json"),
    ):
        done, procs = run(*cfg, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert len(procs) == 1, args
        assert not procs[0] & UNUSED, (args, procs[0] & UNUSED)
    silences = json.loads(run(*cfg, "silence", "list", "--json")[0].stdout)
    done, procs = run(*cfg, "silence", "lift", str(silences[0]["id"]))
    assert done.returncode == 0, done.stderr
    assert not procs[0] & UNUSED

    # Scoring imports numpy (the pack), never the training libraries.
    done, procs = run(*cfg, "score", "--json", "Soldiers seized power in Bamako overnight")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["labels"]["coup"] > 0.5
    assert "numpy" in procs[0] and not procs[0] & TRAINING
    done, procs = run(*cfg, "evaluate", "--data", str(TINY), "--json")
    assert done.returncode == 0, done.stderr
    assert "numpy" in procs[0] and not procs[0] & TRAINING
    archive = tmp_path / "archive.jsonl"
    archive.write_text(
        json.dumps(
            {
                "published": "2026-11-06T09:40:00Z",
                "source": "sahel-wire",
                "title": "Gunfire heard near presidential palace in Niamey as soldiers block roads",
            }
        )
        + "\n"
    )
    done, procs = run(*cfg, "replay", str(archive), "--json")
    assert done.returncode == 0, done.stderr
    assert not any(p & TRAINING for p in procs)


@pytest.mark.parametrize("args", [("train",), ("train", "--pack-only")])
def test_train_without_the_extra_says_how_to_install_it(
    run: Run, tmp_path: Path, args: tuple[str, ...]
) -> None:
    out = tmp_path / "model" / "instability"
    done, _ = run(*args, "--out", str(out))
    assert done.returncode == 1
    assert "warning train needs scikit-learn, SciPy, skops" in done.stderr
    assert "pip install 'warning[train]'" in done.stderr
    assert not out.parent.exists()  # refused before any work


def test_the_newest_migration_is_known_without_alembic() -> None:
    from alembic.script import ScriptDirectory

    from warning.store import migrate

    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert migrate.newest_shipped() == migrate.head_revision()
    for revision in script.walk_revisions():  # file names say their revision, in order
        assert Path(str(revision.path)).name.startswith(f"{revision.revision}_")
