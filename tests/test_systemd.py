"""The shipped systemd unit: hardened, and consistent with how the daemon runs.

Exposure is rated by the machine's own ``systemd-analyze security --offline=yes``
when it exists (CI has it); elsewhere that test skips with the reason.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
UNIT = REPO / "systemd" / "warning.service"
SYSUSERS = REPO / "systemd" / "warning.sysusers"
OPERATIONS = REPO / "docs" / "operations.md"
MAX_EXPOSURE = 1.5


def settings() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_exposure_is_at_most_1_5() -> None:
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout + done.stderr)
    assert found, done.stdout + done.stderr
    assert float(found.group(1)) <= MAX_EXPOSURE, done.stdout


def test_the_unit_runs_the_daemon_as_the_issue_asks() -> None:
    unit = settings()
    assert unit["Type"] == ["notify"] and unit["NotifyAccess"] == ["main"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["ExecReload"] == ["/bin/kill -HUP $MAINPID"]  # the daemon reloads on SIGHUP
    assert unit["ExecStart"][0].endswith(" run")
    assert any(v for v in unit["WatchdogSec"])
    for key in ("StateDirectory", "CacheDirectory", "ConfigurationDirectory", "MemoryMax"):
        assert unit.get(key), key
    # Secrets come in as credentials, which the configuration names as ${NAME}.
    assert "LoadCredential=" in UNIT.read_text()


def test_the_service_user_is_a_fixed_system_user_that_the_install_creates() -> None:
    # Not DynamicUser=: its state would sit in /var/lib/private, which only root may
    # enter, so an operator's command could not open the database as its owner.
    unit = settings()
    assert "DynamicUser" not in unit or unit["DynamicUser"] == ["no"]
    assert unit["User"] == ["warning"] and unit["Group"] == ["warning"]
    declared = [
        line.split()[:2]
        for line in SYSUSERS.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert declared == [["u", "warning"]]
    assert unit["StateDirectoryMode"] == ["0700"]


#: Measured by bench/bench_memory.py (docs/operations.md, "Memory"): the daemon's peak and
#: one worker process's peak, in MB, with a margin. The gazetteer is built in a child
#: process of its own, before any worker starts: it needs MemoryHigh of FIRST_START_MB.
DAEMON_MB, WORKER_MB, FIRST_START_MB = 100, 120, 400


def megabytes(value: str) -> int:
    units = {"K": 1 / 1024, "M": 1, "G": 1024}
    return int(float(value[:-1]) * units[value[-1]]) if value[-1] in units else int(value) >> 20


def test_memory_limits_cover_the_daemon_and_four_workers() -> None:
    # Workers default to one per core; 1G (the old limit) killed a 4-core host's daemon.
    unit = settings()
    [high], [limit] = unit["MemoryHigh"], unit["MemoryMax"]
    assert megabytes(high) == DAEMON_MB + 4 * WORKER_MB >= FIRST_START_MB
    assert megabytes(limit) == megabytes(high) + WORKER_MB  # reclaim well before a kill
    doc = OPERATIONS.read_text()
    assert f"never MemoryHigh below {FIRST_START_MB}M" in doc
    assert f"MemoryHigh = {DAEMON_MB}M + N x {WORKER_MB}M" in doc
    assert f"MemoryMax  = MemoryHigh + {WORKER_MB}M" in doc
    assert f"MemoryHigh={high}" in doc and f"MemoryMax={limit}" in doc


def test_proc_stat_stays_visible_for_the_process_metrics() -> None:
    # ProcSubset=pid hides /proc/stat; prometheus_client then drops every process_* metric.
    # tests/test_install.py runs the daemon under the /proc the unit asks for and reads them.
    assert settings().get("ProcSubset", ["all"]) == ["all"]
