"""``warning replay`` and ``warning backtest``: try rules on past data before they go live.

docs/backtest.md is the operator's guide.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from .. import config
from ..config import Settings
from ..errors import ConfigError, DataError
from ..settings import format_duration, parse_duration
from .common import (
    EXIT_OK,
    EXIT_USAGE,
    Add,
    json_option,
    print_json,
    repeatable_option,
    step_option,
)


def _with_rules(settings: Settings, rules: str | None) -> Settings | None:
    """The settings with another rules file, or None after printing its problems."""
    if rules is None:
        return settings
    path = Path(rules)
    if not path.is_file():
        print(f"{path}: no such rules file", file=sys.stderr)
        return None
    try:
        return config.load(Path(settings.file), rules=path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return None


def _moment(text: str, option: str, *, end_of_day: bool = False) -> datetime:
    """``2026-11-20`` (midnight UTC; with ``end_of_day`` the next midnight) or an ISO time."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return moment + timedelta(days=1) if end_of_day else moment
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DataError(
            f"{option} {text!r}: write a date like 2026-11-20, or a time like 2026-11-20T06:00Z"
        ) from None
    if moment.tzinfo is None:
        raise DataError(f"{option} {text!r}: add a UTC offset, like {text}Z")
    return moment.astimezone(UTC)


def _duration(text: str, option: str) -> timedelta:
    try:
        value = parse_duration(text)
    except ValueError:
        raise DataError(f"{option} {text!r}: write a duration like 30s, 5m, 1h or 3d") from None
    if value <= timedelta(0):
        raise DataError(f"{option} {text!r}: must be longer than zero")
    return value


def cmd_backtest(args: argparse.Namespace, settings: Settings) -> int:
    from ..backtest import StoredHistory, read_events, simulate
    from ..backtest.desk import desk_verdicts
    from ..backtest.report import Run, as_data, as_text
    from ..backtest.truth import COUPS, score
    from ..store import open_store

    files = args.rules or [None]
    variants = [_with_rules(settings, f) for f in files]
    if any(v is None for v in variants):
        return EXIT_USAGE
    step = _duration(args.step, "--step")
    tolerance = _duration(args.tolerance, "--tolerance")
    events = []
    for source in ([str(COUPS)] if args.coups else []) + (args.events or []):
        events.extend(read_events(Path(source)))
    url = args.database or settings.database.reveal()
    with open_store(url, migrate=False) as store:
        first, last = store.alerts.watching_since(), store.alerts.last_seen()
        if first is None or last is None:
            raise DataError(
                "the database holds no items to backtest",
                hint="point --database (or the configuration's database) at one the "
                "daemon or `warning replay --database` filled",
            )
        start = _moment(args.since, "--from") if args.since else first
        end = _moment(args.until, "--to", end_of_day=True) if args.until else last
        if end <= start:
            raise DataError(
                f"--to ({end:%Y-%m-%d %H:%M}) must come after --from ({start:%Y-%m-%d %H:%M})"
            )
        runs = []
        loaded = 0
        desk = tuple(desk_verdicts(store, start, end))
        for name, variant in zip(files, variants, strict=True):
            assert variant is not None
            rules = [r for r in variant.rules.active]
            history = StoredHistory(store, rules, variant.zones, start, end)
            loaded = max(loaded, history.items)
            outcomes = simulate(
                rules,
                history,
                start,
                end,
                step,
                variant.rules.digest,
                inhibit_rules=variant.inhibit,
                group=variant.grouping.group,
            )
            card = score(outcomes, events, start, end, tolerance, variant.zones) if events else None
            label = Path(name).name if name else f"{variant.rules.file.name} (configured)"
            runs.append(Run(label, variant.rules.digest, tuple(outcomes), card, desk))
    if args.json:
        print_json(as_data(runs, start, end, step, loaded))
    else:
        print(as_text(runs, start, end, step, loaded))
    return EXIT_OK


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    from ..backtest.replay import FileNotifier, read_archive, replay, summary
    from ..notify import LogNotifier
    from ..notify.base import Notifier
    from ..store import open_store

    variant = _with_rules(settings, args.rules)
    if variant is None:
        return EXIT_USAGE
    step = _duration(args.step, "--step")
    until = _moment(args.until, "--until") if args.until else None
    arrivals = read_archive(Path(args.archive), variant)
    with tempfile.TemporaryDirectory(prefix="warning-replay-") as scratch:
        url = args.database or f"sqlite:///{Path(scratch) / 'replay.db'}"
        out = open(args.out, "w", encoding="utf-8") if args.out else None  # noqa: SIM115
        try:
            stand_in: Notifier = FileNotifier(out) if out else LogNotifier(tag="replay")
            with open_store(url) as store:
                report = replay(variant, arrivals, store, stand_in, step, until)
        finally:
            if out is not None:
                out.close()
    data = summary(report)
    if args.json:
        print_json(data)
        return EXIT_OK
    print(
        f"replayed {data['start']} to {data['end']} every {format_duration(step)} "
        f"({report.ticks} cycles): {report.items_new} items stored, "
        f"{report.items_duplicate} duplicates; {report.messages} messages"
        + (f" written to {args.out}" if args.out else " logged")
    )
    for a in data["alerts"]:
        print(
            f"  {a['at']} {a['decision']:<9} {a['rule']} {a['subject']} {a['label']} "
            f"alert={a['alert']}"
        )
    if args.database:
        print(
            f"the replayed items stay in {args.database}; "
            "`warning backtest --database URL` reads them"
        )
    return EXIT_OK


def add_parsers(sub: Any, add: Add) -> None:
    replay = add(
        "replay", cmd_replay, "run archived items through the pipeline on a simulated clock"
    )
    replay.add_argument(
        "archive",
        metavar="ARCHIVE",
        help="a JSON-lines file of items, or a folder of feed snapshots",
    )
    replay.add_argument(
        "--rules", metavar="FILE", help="a rules file to try instead of the configured rules"
    )
    step_option(replay, "poll and alert", " of simulated time")
    replay.add_argument(
        "--until", metavar="TIME", help="keep the clock running until TIME (default: the last item)"
    )
    replay.add_argument(
        "--out", metavar="FILE.jsonl", help="write each message here as JSON (default: the log)"
    )
    replay.add_argument(
        "--database",
        metavar="URL",
        help="keep the replay in this new database (default: a temporary one)",
    )
    json_option(replay)
    backtest = add("backtest", cmd_backtest, "what rules files would have alerted on stored items")
    repeatable_option(
        backtest,
        "--rules",
        "FILE",
        "a rules file; give it twice to compare two (default: the configured rules)",
    )
    backtest.add_argument(
        "--from", dest="since", metavar="DATE", help="start (default: the first stored item)"
    )
    backtest.add_argument(
        "--to",
        dest="until",
        metavar="DATE",
        help="end; a date includes its whole day (default: the last stored item)",
    )
    repeatable_option(
        backtest, "--events", "CSV", "known events (country,label,date) to score alerts against"
    )
    backtest.add_argument(
        "--coups",
        action="store_true",
        help="score against the bundled coups and coup attempts since 2010",
    )
    backtest.add_argument(
        "--tolerance",
        default="3d",
        metavar="DURATION",
        help="how far from an event an alert still counts for it (default 3d)",
    )
    step_option(backtest, "evaluate the rules")
    backtest.add_argument(
        "--database", metavar="URL", help="the database to read (default: the configuration's)"
    )
    json_option(backtest)
