"""The command line contract: exit statuses, file:line errors, masked secrets."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.feedgen import make_rss
from tests.notifying import run
from tests.support import poll_once, write_config
from warning import cli

REPO = Path(__file__).resolve().parents[1]


def test_check_ok_masks_the_database_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", "s3cret-pw")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-s3cret")
    cfg = tmp_path / "w.yaml"
    cfg.write_text(
        "database: postgresql+psycopg://warning:${PGPASSWORD}@db.example.org/warning\n"
        "notify:\n  slack:\n    token: ${SLACK_BOT_TOKEN}\n    channel: '#desk'\n"
        "feeds:\n  - name: a\n    url: https://example.org/rss\n"
        "zones:\n  - {name: coastal-north, type: border_band, countries: [CI, GH],"
        " near: [BF], within: 100km}\n"
    )
    code, out, err = run(["--config", str(cfg), "check"], capsys)
    assert code == 0, err
    assert "feeds: 1" in out and "notify: slack" in out
    assert "zones: coastal-north (border_band)" in out
    assert "db.example.org" in out
    assert "s3cret" not in out + err


def test_check_says_how_alerts_group_mute_and_where_the_page_and_brief_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "w.yaml"
    cfg.write_text(
        "feeds: []\n"
        "grouping: {window: 2h}\n"
        "inhibit:\n"
        "  - when: {label: coup, level: corroborated}\n"
        "    mute: {labels: [unrest], rules: [country-quiet]}\n"
        "web: {listen: '127.0.0.1:8099', token: t0ken}\n"
        "brief: {at: '06:30', timezone: Africa/Abidjan, routes: [log]}\n",
        encoding="utf-8",
    )
    code, out, _ = run(["--config", str(cfg), "check"], capsys)
    assert code == 0
    assert "  grouping: one thread per subject within 2h\n" in out
    assert (
        "  inhibit: while label=coup level=corroborated is open, mute unrest, rule country-quiet"
        in out
    )
    assert "  web: http://127.0.0.1:8099/ (a token)\n" in out and "t0ken" not in out
    assert "  brief: 06:30 Africa/Abidjan -> log\n" in out
    cfg.write_text("feeds: []\ngrouping: {enabled: false}\n", encoding="utf-8")
    code, out, _ = run(["--config", str(cfg), "check"], capsys)
    assert code == 0 and "  grouping: off (a thread per alert)\n" in out
    assert "inhibit:" not in out and "  web:" not in out and "  brief:" not in out


def test_check_invalid_exits_2_with_file_line_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "w.yaml"
    cfg.write_text("feeds:\n  - name: a\n    url: https://example.org/rss\n    every: 10\n")
    code, out, err = run(["--config", str(cfg), "check"], capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"{cfg}:4: feeds[0].every: expected a duration")


def test_broken_yaml_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "w.yaml"
    cfg.write_text("feeds:\n  - name: [a\n")
    code, _, err = run(["--config", str(cfg), "check"], capsys)
    assert code == 2 and f"{cfg}:" in err and "invalid YAML" in err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["no-such-command"])
    assert info.value.code == 2
    code, _, err = run(["--config", str(REPO / "config" / "warning.yaml"), "poll"], capsys)
    assert code == 2 and "--once" in err


def test_database_failure_exits_1_with_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")
    cfg = tmp_path / "w.yaml"
    cfg.write_text(f"database: sqlite:///{blocker}/sub/w.db\nfeeds: []\n")
    code, _, err = run(["--config", str(cfg), "poll", "--once"], capsys)
    assert code == 1
    assert err.startswith("error: ") and "hint: " in err


def test_python_m_warning_from_another_directory_uses_the_bundled_config(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "WARNING_CONFIG"}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    proc = subprocess.run(
        [sys.executable, "-m", "warning", "check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if Path("/etc/warning/warning.yaml").exists():
        pytest.skip("/etc/warning/warning.yaml exists on this machine and takes precedence")
    assert proc.returncode == 0, proc.stderr
    assert "warning.yaml: ok" in proc.stdout
    assert str(tmp_path / "state" / "warning" / "warning.db") in proc.stdout


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("warning ")


def test_score_json_names_countries_and_places(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        ["score", "--json", "Soldiers seize state television in Niamey\nGunfire was heard."],
        capsys,
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["primary"] == "NE"
    assert set(result["labels"]) == {"coup", "election_dispute", "attack", "unrest"}
    assert result["model"].startswith("instability-")
    assert all(0 <= p <= 1 for p in result["labels"].values())
    assert result["countries"][0]["code"] == "NE" and 0 < result["countries"][0]["score"] <= 1
    niamey = next(p for p in result["places"] if p["name"].startswith("Niamey"))
    assert niamey["country"] == "NE" and abs(niamey["lat"] - 13.5) < 0.3


def test_score_reads_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "sys.stdin",
        io.StringIO(
            "Coup d'État au Burkina Faso : le capitaine Traoré prend le pouvoir à Ouagadougou"
        ),
    )
    code, out, _ = run(["score"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("coup") and "above threshold" in lines[0]
    assert "BF 0." in out and any(line.startswith("BF ") and "(primary)" in line for line in lines)


def test_score_says_why_a_label_over_its_threshold_does_not_count(
    capsys: pytest.CaptureFixture[str],
) -> None:
    conceded = (
        "Official results confirm the president won the election with 61 percent\n"
        "The opposition candidate conceded and congratulated him in Abuja."
    )
    code, out, _ = run(["score", conceded], capsys)
    line = next(x for x in out.splitlines() if x.startswith("election_dispute"))
    assert code == 0 and "not counted: no word of dispute" in line and "above" not in line
    old = "Ten years ago today, soldiers seized the presidential palace in Bamako"
    code, out, _ = run(["score", "--json", old], capsys)
    result = json.loads(out)
    assert result["above_threshold"] == [] and result["held"] == {"coup": "old news"}


def test_score_without_text_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("  \n"))
    code, _, err = run(["score"], capsys)
    assert code == 2 and "no text" in err


def test_score_gives_what_the_daemon_stored_for_the_same_item(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Task Force Takuba names Mali from 2020 to 2022 only: the item's date and the
    # feed's language decide its countries, and `score` is told them as the feed did.
    title = "Les Soldats De Takuba Pris En Embuscade"
    summary = "La force a perdu deux hommes dans une attaque près de la frontière."
    published = datetime(2021, 6, 10, 8, 0, tzinfo=UTC)
    feed = tmp_path / "feed.xml"
    feed.write_bytes(
        make_rss(
            [{"title": title, "description": summary, "guid": "t-1", "published": published}],
            language=None,
        )
    )
    cfg = write_config(tmp_path, [{"name": "desk", "url": feed.as_uri(), "lang": "fr"}])
    assert poll_once(cfg, capsys)["items_new"] == 1
    with sqlite3.connect(tmp_path / "warning.db") as db:
        [(item,)] = db.execute("SELECT id FROM items").fetchall()
        countries = db.execute(
            "SELECT code, score FROM item_countries WHERE item_id = ? ORDER BY rank", (item,)
        ).fetchall()
        labels = dict(
            db.execute("SELECT label, probability FROM item_scores WHERE item_id = ?", (item,))
        )
    assert countries  # the item is about somewhere, or the comparison says little

    text = f"{title}\n{summary}"
    code, out, err = run(
        ["--config", str(cfg), "score", "--json", "--lang", "fr", "--date", "2021-06-10", text],
        capsys,
    )
    assert code == 0, err
    scored = json.loads(out)
    assert [(c["code"], c["score"]) for c in scored["countries"]] == [
        (code, round(score, 4)) for code, score in countries
    ]
    assert scored["labels"] == {label: round(p, 4) for label, p in labels.items()}


def test_old_news_is_stored_with_its_reason_and_no_label_above_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two items about one coup: the news, and its first anniversary a year later. The
    # model reads both as coup talk; only the news may count for an alert.
    news = ("Soldiers seize power in Niger and detain the president", "2023-07-26")
    old = (
        "Un an après le coup d'État, le Niger célèbre la prise du pouvoir par le CNSP",
        "2024-07-26",
    )
    feed = tmp_path / "feed.xml"
    feed.write_bytes(
        make_rss(
            [
                {
                    "title": title,
                    "description": "",
                    "guid": f"n-{n}",
                    "published": datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC),
                }
                for n, (title, day) in enumerate((news, old))
            ]
        )
    )
    cfg = write_config(tmp_path, [{"name": "desk", "url": feed.as_uri()}])
    assert poll_once(cfg, capsys)["items_new"] == 2
    with sqlite3.connect(tmp_path / "warning.db") as db:
        stored = {
            title: (past, above)
            for title, past, above in db.execute(
                "SELECT title, past, (SELECT COUNT(*) FROM item_scores s "
                "WHERE s.item_id = items.id AND s.above) FROM items"
            )
        }
        coup_p = dict(
            db.execute(
                "SELECT i.title, s.probability FROM items i JOIN item_scores s "
                "ON s.item_id = i.id WHERE s.label = 'coup'"
            )
        )
    assert stored[news[0]] == (None, 1)
    past, above = stored[old[0]]
    assert above == 0
    assert past is not None and "retrospective" in past and "Un an après" in past
    assert coup_p[old[0]] > 0.5  # the model did see coup talk: the recency check held it

    code, out, _ = run(["--config", str(cfg), "score", "--json", "--date", old[1], old[0]], capsys)
    assert code == 0
    scored = json.loads(out)
    assert scored["past"] == past and scored["above_threshold"] == []
