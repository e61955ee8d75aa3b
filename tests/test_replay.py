"""Replays: archives read strictly, snapshots through the feed's own parser, a new database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from warning import config, resources
from warning.backtest.replay import read_archive
from warning.cli import main
from warning.errors import DataError

SETTINGS = config.load(resources.bundled_config())

GOOD = {
    "published": "2026-11-06T09:40:00Z",
    "source": "sahel-wire",
    "title": "Gunfire heard near presidential palace in Niamey as soldiers block roads",
}


def _archive(tmp_path: Path, *records: object) -> Path:
    path = tmp_path / "archive.jsonl"
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("{not json", "not a JSON object"),
        ("[1, 2]", "expected one JSON object per line"),
        ({**GOOD, "publshed": "x"}, "publshed: unknown key; did you mean 'published'?"),
        ({k: v for k, v in GOOD.items() if k != "source"}, "source: is required"),
        ({**GOOD, "title": "  "}, "title: is required"),
        ({**GOOD, "summary": 3}, "summary: expected a string, not int"),
        ({**GOOD, "published": "6 Nov 2026"}, "published: '6 Nov 2026' is not a time"),
        ({**GOOD, "published": "2026-11-06T09:40:00"}, "has no UTC offset"),
    ],
)
def test_a_bad_archive_line_is_refused_with_its_line_and_nothing_stored(
    tmp_path: Path, record: object, message: str
) -> None:
    path = _archive(tmp_path, GOOD, record)
    with pytest.raises(DataError) as caught:
        read_archive(path, SETTINGS)
    assert f"{path}:2: " in caught.value.message and message in caught.value.message
    assert "nothing was stored" in (caught.value.hint or "")


def test_an_archive_reads_every_item_in_time_order(tmp_path: Path) -> None:
    later = {**GOOD, "published": "2026-11-06T11:00:00+01:00", "title": "Later", "language": "fr"}
    arrivals = read_archive(_archive(tmp_path, later, "", GOOD), SETTINGS)
    assert [a.at for a in arrivals] == [
        datetime(2026, 11, 6, 9, 40, tzinfo=UTC),
        datetime(2026, 11, 6, 10, 0, tzinfo=UTC),
    ]
    item = arrivals[1].parsed.items[0]
    assert (item.title, item.lang, item.feed, item.outlet) == (
        "Later",
        "fr",
        "sahel-wire",
        "sahel-wire",
    )


def test_an_empty_or_missing_archive_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="holds no items"):
        read_archive(_archive(tmp_path, ""), SETTINGS)
    with pytest.raises(DataError, match="no such file or folder"):
        read_archive(tmp_path / "nowhere", SETTINGS)


RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Sahel wire</title>
{items}</channel></rss>"""
ENTRY = "<item><title>{title}</title><link>https://sahel.example/{n}</link><guid>{n}</guid></item>"


def _snapshot(folder: Path, name: str, titles: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    items = "".join(ENTRY.format(title=t, n=n) for n, t in enumerate(titles))
    (folder / name).write_text(RSS.format(items=items))


def test_snapshots_replay_through_the_feed_parser_and_duplicates_count_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "snapshots"
    coup = "Soldiers seize power in Niger and detain the president in Niamey"
    _snapshot(archive / "sahel-wire", "2026-11-06T09-00-00Z.xml", ["Niger opens a new solar plant"])
    _snapshot(
        archive / "sahel-wire", "20261106T100000Z.xml", ["Niger opens a new solar plant", coup]
    )
    out = tmp_path / "messages.jsonl"
    code = main(["replay", str(archive), "--out", str(out), "--step", "10m", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["items_new"], report["items_duplicate"]) == (2, 1)
    assert report["ticks"] == 7  # 09:00 to 10:00 every 10 minutes
    [new] = [a for a in report["alerts"] if a["decision"] == "new"]
    assert (new["rule"], new["subject"], new["at"]) == ("coup", "NE", "2026-11-06T10:00:00+00:00")
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert {line["route"] for line in lines} == {"slack", "email"}
    assert lines[0]["headlines"][0]["title"] == coup


def test_badly_named_snapshots_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "snapshots"
    _snapshot(archive / "sahel-wire", "latest.xml", ["A story"])
    (archive / "loose.xml").write_text("<rss/>")
    with pytest.raises(DataError) as caught:
        read_archive(archive, SETTINGS)
    text = caught.value.message
    assert "latest.xml: name a snapshot by the UTC time" in text
    assert "loose.xml: put each feed's snapshots in a folder" in text


def test_a_snapshot_that_is_not_a_feed_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "snapshots" / "sahel-wire"
    folder.mkdir(parents=True)
    (folder / "2026-11-06T09-00-00Z.xml").write_text("this is not xml at all")
    with pytest.raises(DataError, match=r"2026-11-06T09-00-00Z\.xml: "):
        read_archive(tmp_path / "snapshots", SETTINGS)


def test_replay_refuses_a_database_that_holds_items(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'kept.db'}"
    path = _archive(tmp_path, GOOD)
    assert main(["replay", str(path), "--database", db]) == 0
    capsys.readouterr()
    assert main(["replay", str(path), "--database", db]) == 2
    err = capsys.readouterr().err
    assert "already holds items" in err and "never point a replay at the production" in err


def test_without_out_the_messages_go_to_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    assert main(["replay", str(_archive(tmp_path, GOOD))]) == 0
    logged = [r.getMessage() for r in caplog.records if r.name == "warning.alert"]
    assert any(m.startswith("replay slack:") for m in logged), logged
    assert "messages logged" in capsys.readouterr().out


def test_a_backtest_marks_the_alerts_the_desk_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A replay leaves its alerts in the database; the desk calls one a false alarm; a
    # backtest over the same items shows which of its alerts the desk judged, and how.
    db = f"sqlite:///{tmp_path / 'kept.db'}"
    later = {"published": "2026-11-06T11:00:00Z", "source": "other-wire", "title": "Markets"}
    assert main(["replay", str(_archive(tmp_path, GOOD, later)), "--database", db]) == 0
    cfg = tmp_path / "warning.yaml"
    cfg.write_text(f"database: {db}\nfeeds: []\n", encoding="utf-8")
    capsys.readouterr()
    assert (
        main(["--config", str(cfg), "alerts", "verdict", "1", "false-alarm", "--by", "amina"]) == 0
    )
    capsys.readouterr()
    assert main(["--config", str(cfg), "backtest", "--json"]) == 0
    [run] = json.loads(capsys.readouterr().out)["runs"]
    new = [o for o in run["outcomes"] if o["decision"] == "new"]
    assert [(o["subject"], o["desk_verdict"]["verdict"], o["desk_verdict"]["by"]) for o in new] == [
        ("NE", "False alarm", "amina")
    ]
    assert run["desk_verdicts"] == {"False alarm": 1}
    assert main(["--config", str(cfg), "backtest"]) == 0
    text = capsys.readouterr().out
    assert "[desk: False alarm, amina]" in text and "judged by the desk" in text
