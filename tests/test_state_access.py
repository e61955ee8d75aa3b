"""The service's database and secrets, reached from an operator's shell on the server.

A command run with the system configuration (``<root>/etc/warning/warning.yaml``)
gets the unit's directories; root opens a database as its owner; commands that
work on stored data refuse a database that is not there. Every path is under the
test's own temporary folders: a scratch root stands for ``/``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from warning import cli, resources
from warning.records import FeedState
from warning.store import open_store

REPO = Path(__file__).resolve().parents[1]
UNIT_VARIABLES = ("STATE_DIRECTORY", "CREDENTIALS_DIRECTORY", "CACHE_DIRECTORY")


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An operator's shell: none of the unit's variables, an empty home of its own."""
    for name in (*UNIT_VARIABLES, "WARNING_CONFIG", "SLACK_BOT_TOKEN", "XDG_STATE_HOME"):
        # setenv first records the value to restore, so whatever cli.main sets is undone.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def system_config(root: Path, **extra: object) -> Path:
    """``<root>/etc/warning/warning.yaml`` with one feed and no ``database:``."""
    path = root / "etc" / "warning" / "warning.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(
        yaml.safe_dump({"feeds": [{"name": "wire", "url": "http://127.0.0.1:9/x.xml"}], **extra})
    )
    return path


def service_polled(database: Path) -> None:
    """The service's database after one successful poll of the feed ``wire``."""
    store = open_store(f"sqlite:///{database}")
    now = datetime.now(UTC)
    store.sync_feeds([("wire", "rss", "http://127.0.0.1:9/x.xml", "wire")])
    store.record_poll("wire", FeedState("wire", last_attempt=now, last_success=now), [], now)
    store.close()


def test_only_the_system_configuration_gets_the_unit_directories(tmp_path: Path) -> None:
    root = tmp_path / "root"
    config = root / "etc" / "warning" / "warning.yaml"
    assert resources.unit_environment(config) == {
        "STATE_DIRECTORY": str(root / "var" / "lib" / "warning")
    }
    (root / "etc" / "warning" / "credentials").mkdir(parents=True)
    assert resources.unit_environment(config)["CREDENTIALS_DIRECTORY"] == str(
        root / "etc" / "warning" / "credentials"
    )
    assert resources.system_root(Path("/etc/warning/warning.yaml")) == Path("/")
    for other in ("/srv/warning/warning.yaml", "/etc/warning.yaml", "warning.yaml"):
        assert resources.unit_environment(Path(other)) == {}, other


def test_a_command_run_with_the_system_configuration_reads_the_service_database(
    tmp_path: Path, shell: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "root"
    config = system_config(root, notify={"slack": {"token": "${SLACK_BOT_TOKEN}", "channel": "#d"}})
    credentials = root / "etc" / "warning" / "credentials"
    credentials.mkdir(mode=0o700)
    (credentials / "SLACK_BOT_TOKEN").write_text("xoxb-from-the-credential\n")
    service_polled(root / "var" / "lib" / "warning" / "warning.db")

    assert cli.main(["--config", str(config), "feeds", "--json"]) == 0
    [feed] = json.loads(capsys.readouterr().out)
    assert feed["name"] == "wire" and feed["last_success"] is not None
    assert list(shell.iterdir()) == []  # nothing made in the operator's home


def test_commands_on_stored_data_name_a_missing_database_and_do_not_create_it(
    tmp_path: Path, shell: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "state" / "warning.db"
    config = tmp_path / "warning.yaml"
    config.write_text(yaml.safe_dump({"database": f"sqlite:///{database}"}))
    for command in (["alerts", "list"], ["alerts", "show", "1"], ["feeds"], ["silence", "list"]):
        assert cli.main(["--config", str(config), *command]) == 1, command
        err = capsys.readouterr().err
        assert f"no database at {database}" in err and "hint: the daemon creates" in err
    assert not (tmp_path / "state").exists()


# --- who opens the file ------------------------------------------------------------------

NOBODY = 65534

#: Run as root: open the database, make SQLite create its -wal and -shm files, and report
#: this process's user and the owner of every file beside the database while it is open.
#: The modules are imported first: after a switch of user the standard library may sit
#: in a folder the new user cannot enter (a home directory's Python, say).
OPEN_AND_REPORT = """
import json, os, sqlite3, sys
import alembic.command, alembic.config, alembic.runtime.migration, alembic.script
import sqlalchemy.dialects.sqlite
from warning.store import open_store

store = open_store(sys.argv[1], create=False)
store.feed_states()
folder = os.path.dirname(sys.argv[1][len("sqlite:///"):])
owners = {name: os.stat(os.path.join(folder, name)).st_uid for name in os.listdir(folder)}
print(json.dumps({"euid": os.geteuid(), "owners": owners}))
store.close()
"""


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A temporary folder another user can enter (pytest's own are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="warning-state-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can take on another user")
def test_root_opens_a_service_owned_database_as_its_owner(open_folder: Path) -> None:
    state = open_folder / "state"
    database = state / "warning.db"
    service_polled(database)  # made by root here, then handed to the service's user
    for path in (state, *state.iterdir()):
        os.chown(path, NOBODY, NOBODY)
    state.chmod(0o700)

    done = subprocess.run(
        [sys.executable, "-c", OPEN_AND_REPORT, f"sqlite:///{database}"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["euid"] == NOBODY
    assert report["owners"] == {
        "warning.db": NOBODY,
        "warning.db-wal": NOBODY,
        "warning.db-shm": NOBODY,
    }


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any file; the test above")
def test_a_user_who_cannot_write_the_database_is_told_who_can(tmp_path: Path) -> None:
    from warning.errors import StoreError

    database = tmp_path / "state" / "warning.db"
    service_polled(database)
    (tmp_path / "state").chmod(0o500)  # as if another user's folder
    try:
        with pytest.raises(StoreError) as caught:
            open_store(f"sqlite:///{database}", create=False)
    finally:
        (tmp_path / "state").chmod(0o700)
    assert f"cannot write the database {database}" in caught.value.message
    assert "sudo warning" in (caught.value.hint or "")
