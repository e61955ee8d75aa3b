"""``--log-format json`` and ``WARNING_LOG_FORMAT``: one JSON object per log line.

A real ``warning poll --once`` with one failing feed must write nothing but JSON objects
to standard error; in-process, an exception, extra fields, hostile text and the journal's
priority prefix each keep one event on one parseable line.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.feedgen import make_rss, sample_items
from tests.feedserver import FeedServer
from warning import logs

REPO = Path(__file__).resolve().parents[1]


def warning(tmp_path: Path, feeds: FeedServer, *args: str, env: dict[str, str]) -> str:
    """``warning --config FILE ARGS`` in its own process; its standard error."""
    feeds.add(
        "/ok.xml", make_rss(sample_items(3, seed=1, start=datetime.now(UTC) - timedelta(hours=1)))
    )
    path = tmp_path / "warning.yaml"
    config = {
        "database": f"sqlite:///{tmp_path / 'w.db'}",
        "feeds": [
            {"name": "ok", "url": feeds.url("/ok.xml"), "outlet": "ok", "lang": "en"},
            {"name": "gone", "url": feeds.url("/gone.xml"), "outlet": "gone", "lang": "en"},
        ],
        "poll": {"processes": 0},
        "rules": [],
        "operator": {"enabled": False},
    }
    path.write_text(yaml.safe_dump(config))
    environment = {k: v for k, v in os.environ.items() if k != "WARNING_LOG_FORMAT"}
    environment |= {"PYTHONPATH": str(REPO), **env}
    done = subprocess.run(
        [sys.executable, "-m", "warning", "--config", str(path), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def parsed(stderr: str) -> list[dict[str, Any]]:
    lines = stderr.splitlines()
    assert lines, "the command logged nothing"
    return [json.loads(line) for line in lines]  # fails on the first line that is not JSON


def test_a_poll_logs_only_json_objects_with_the_fields_of_the_text_lines(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    stderr = warning(tmp_path, feed_server, "--log-format", "json", "poll", "--once", env={})
    entries = parsed(stderr)
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys()
        at = datetime.fromisoformat(entry["time"])
        assert at.utcoffset() == timedelta(0) and entry["time"].endswith("Z")
    [failed] = [e for e in entries if "feed=gone failed" in e["message"]]
    assert failed["level"] == "WARNING" and failed["logger"] == "warning.pipeline.polling"
    assert "HTTP 404" in failed["message"]


def test_the_environment_chooses_json_and_the_flag_wins(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    by_env = warning(tmp_path, feed_server, "poll", "--once", env={"WARNING_LOG_FORMAT": "json"})
    assert any("feed=gone failed" in e["message"] for e in parsed(by_env))
    by_flag = warning(
        tmp_path,
        feed_server,
        "--log-format",
        "text",
        "poll",
        "--once",
        env={"WARNING_LOG_FORMAT": "json"},
    )
    [line] = [x for x in by_flag.splitlines() if "feed=gone failed" in x]
    assert " WARNING warning.pipeline.polling: feed=gone failed" in line
    assert not line.startswith("{")


@pytest.fixture
def json_logs(monkeypatch: pytest.MonkeyPatch) -> logging.Logger:
    monkeypatch.setenv("WARNING_LOG_FORMAT", "json")
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    logs.setup("INFO")
    return logging.getLogger("warning.test")


def test_an_exception_is_one_line_with_its_traceback(
    json_logs: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        raise ValueError("bad value\nsecond line")
    except ValueError:
        json_logs.exception("alert=%d route=%s internal error while sending", 4, "webhook")
    [line] = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "warning.test"
    assert entry["message"] == "alert=4 route=webhook internal error while sending"
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert entry["exception"].endswith("ValueError: bad value\nsecond line")


def test_extra_fields_are_kept_and_urls_redacted(
    json_logs: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    json_logs.warning(
        "fetch of https://desk:hunter2@feeds.example.org/x failed",
        extra={"feed": "sahel", "attempt": 3, "url": "https://desk:hunter2@feeds.example.org/x"},
    )
    err = capsys.readouterr().err
    entry = json.loads(err)
    assert entry["feed"] == "sahel" and entry["attempt"] == 3
    assert "hunter2" not in err and "feeds.example.org" in entry["url"]


def test_hostile_text_cannot_forge_or_split_lines(
    json_logs: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    headline = 'Coup\n{"level": "INFO", "message": "forged"}\u2028next\u0085end'
    json_logs.info("evidence: %s", headline)
    err = capsys.readouterr().err
    assert err.isascii() and len(err.splitlines()) == 1
    assert json.loads(err)["message"] == f"evidence: {headline}"


def test_under_journald_each_object_carries_its_priority(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """journald reads ``<N>`` as the priority and keeps the rest, the object, as MESSAGE."""
    out = tmp_path / "journal"
    code = (
        "import logging, os, sys\n"
        "st = os.fstat(sys.stderr.fileno())\n"
        "os.environ['JOURNAL_STREAM'] = f'{st.st_dev}:{st.st_ino}'\n"
        "from warning import logs\n"
        "logs.setup('INFO')\n"
        "logging.getLogger('warning.test').error('feed down')\n"
    )
    with out.open("w") as stderr:
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONPATH": str(REPO), "WARNING_LOG_FORMAT": "json"},
            stderr=stderr,
            check=True,
            timeout=60,
        )
    [line] = out.read_text().splitlines()
    assert line.startswith("<3>{")
    assert json.loads(line[3:])["message"] == "feed down"


def test_an_unknown_format_falls_back_to_text_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WARNING_LOG_FORMAT", "yaml")
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    logs.setup("INFO")
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(
        "WARNING warning.logs: WARNING_LOG_FORMAT=yaml is not a log format; "
        "writing text (set it to text or json)"
    )
