"""Replays: archived items through the whole pipeline on a simulated clock.

An archive is a JSON-lines file of items, or a folder of feed snapshots (one
folder per feed, one file per fetch, named by its UTC time). The clock ticks
every ``step``, as a daemon polling that often would: the items published since
the last tick are geotagged, scored and stored (seen at this tick), then one
alert cycle runs, its messages going to a file or the log instead of Slack and
email. The database is a new one, never the production one (docs/backtest.md).
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from ..config import Settings
from ..errors import DataError, SourceError
from ..normalize import canonical_url, content_hash, guid_key, lang_code
from ..notify import Notifiers
from ..notify.base import Notifier
from ..notify.render import title as render_title
from ..pipeline.alerting import Alerter
from ..pipeline.intake import require_model, store_parsed
from ..records import AlertMessage, Decided, FetchResult, Item, ParseResult
from ..sources import REGISTRY
from ..sources.base import Feed
from ..store import Store

#: The keys of a JSON-lines item; ``published``, ``source`` and ``title`` are required.
ITEM_KEYS = ("published", "source", "title", "summary", "url", "language", "id")
REQUIRED = ("published", "source", "title")
#: A snapshot's file name starts with its UTC fetch time: 2026-11-20T12-00-00Z.xml,
#: 2026-11-20T12:00:00Z.xml or 20261120T120000Z.xml.
_STAMP = re.compile(
    r"(\d{4})-?(\d{2})-?(\d{2})T(\d{2})[-:]?(\d{2})(?:[-:]?(\d{2}))?Z", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Arrival:
    """What one feed carried at one moment: the items of one snapshot, or one JSONL item."""

    at: datetime
    feed: str
    kind: str
    url: str
    parsed: ParseResult


@dataclass(frozen=True, slots=True)
class ReplayReport:
    start: datetime
    end: datetime
    ticks: int
    items_new: int
    items_duplicate: int
    #: Each decision with the tick it was taken at.
    decided: tuple[tuple[datetime, Decided], ...]
    messages: int


# --- reading archives --------------------------------------------------------------------


def read_archive(path: Path, settings: Settings) -> list[Arrival]:
    """Every arrival in a JSON-lines file or a snapshot folder, oldest first.

    All of it is read and parsed before anything is stored, so a bad line or
    snapshot stops the replay with every problem listed (file:line), not halfway.
    """
    if path.is_dir():
        arrivals, problems = _snapshots(path, settings)
    elif path.is_file():
        arrivals, problems = _json_lines(path)
    else:
        raise DataError(f"{path}: no such file or folder")
    if problems:
        raise DataError.listing(problems, "fix those, then replay again; nothing was stored")
    if not arrivals:
        raise DataError(
            f"{path}: holds no items",
            hint="a JSON-lines file has one item per line; a snapshot folder has one "
            "folder per feed (docs/backtest.md)",
        )
    arrivals.sort(key=lambda a: a.at)
    return arrivals


def _json_lines(path: Path) -> tuple[list[Arrival], list[str]]:
    arrivals, problems = [], []
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    arrivals.append(_json_item(line))
                except ValueError as exc:
                    problems.append(f"{path}:{number}: {exc}")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return arrivals, problems


def _json_item(line: str) -> Arrival:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not a JSON object ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict):
        raise ValueError('expected one JSON object per line, like {"published": ...}')
    for key in data:
        if key not in ITEM_KEYS:
            close = difflib.get_close_matches(key, ITEM_KEYS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(ITEM_KEYS)}"
            raise ValueError(f"{key}: unknown key; {hint}")
    for key in ITEM_KEYS:
        value = data.get(key)
        if key in REQUIRED and (not isinstance(value, str) or not value.strip()):
            raise ValueError(f"{key}: is required (a non-empty string)")
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{key}: expected a string, not {type(value).__name__}")
    published = _moment(data["published"])
    source = data["source"].strip()
    title, summary = data["title"].strip(), (data.get("summary") or "").strip()
    link = (data.get("url") or "").strip() or None
    item = Item(
        feed=source,
        outlet=source,
        title=title,
        summary=summary,
        link=link,
        published=published,
        lang=lang_code(data.get("language")),
        guid_key=guid_key(data.get("id"), source),
        url_key=canonical_url(link),
        content_hash=content_hash(title, summary),
    )
    return Arrival(published, source, "replay", "", ParseResult((item,)))


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"published: {text!r} is not a time; write it like 2026-11-20T09:30:00Z"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(
            f"published: {text!r} has no UTC offset; add one, like {text.strip()}Z or +01:00"
        )
    return moment.astimezone(UTC)


def _snapshots(folder: Path, settings: Settings) -> tuple[list[Arrival], list[str]]:
    """One folder per feed (named as the feed, or as a configured feed to use its kind)."""
    configured = {f.name: f for f in settings.feeds}
    arrivals, problems = [], []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            problems.append(
                f"{entry}: put each feed's snapshots in a folder named after the feed, "
                f"like {folder}/{{feed}}/2026-11-20T12-00-00Z.xml"
            )
            continue
        feed = configured.get(entry.name) or Feed(
            entry.name, "rss", entry.as_uri(), timedelta(minutes=10), entry.name
        )
        source = REGISTRY[feed.kind](feed)
        for file in sorted(entry.iterdir()):
            if file.name.startswith(".") or not file.is_file():
                continue
            m = _STAMP.match(file.name)
            if m is None:
                problems.append(
                    f"{file}: name a snapshot by the UTC time it was fetched, "
                    "like 2026-11-20T12-00-00Z.xml"
                )
                continue
            try:
                year, month, day, hour, minute, second = (int(g or 0) for g in m.groups())
                at = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
                body = file.read_bytes()
                fetched = FetchResult(
                    "ok", file.as_uri(), file.as_uri(), body, bytes_received=len(body)
                )
                parsed = source.parse(fetched)
            except ValueError as exc:
                problems.append(f"{file}: bad time in the name ({exc})")
                continue
            except SourceError as exc:
                problems.append(f"{file}: {exc.message}")
                continue
            arrivals.append(Arrival(at, feed.name, feed.kind, feed.url, parsed))
    return arrivals, problems


# --- where the messages go ---------------------------------------------------------------


class FileNotifier(Notifier):
    """Writes every message as one JSON line: a replay's stand-in for Slack and email."""

    kind = "file"

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle

    def send(self, message: AlertMessage, target: str | None, thread: str | None) -> str:
        record = {
            "at": message.at.isoformat(),
            "route": target,
            "alert": message.alert_id,
            "decision": message.decision,
            "title": render_title(message),
            "rule": message.rule,
            "subject": message.subject,
            "label": message.label,
            "severity": message.severity,
            "level": message.level,
            "score": round(message.score, 4),
            "outlets": list(message.outlets),
            "headlines": [
                {
                    "title": h.title,
                    "outlet": h.outlet,
                    "link": h.link,
                    "seen": h.seen.isoformat() if h.seen else None,
                }
                for h in message.headlines
            ],
        }
        self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return thread or f"file:{message.alert_id}"


# --- the replay ----------------------------------------------------------------------------


def replay(
    settings: Settings,
    arrivals: Sequence[Arrival],
    store: Store,
    stand_in: Notifier,
    step: timedelta,
    until: datetime | None = None,
) -> ReplayReport:
    """Store each arrival at the first tick at or after it, running an alert cycle per tick.

    Ticks run from the first arrival to the last one's tick (or ``until``), every ``step``.
    ``store`` must hold no items: a replay mixed into live data would mean nothing.
    """
    if step <= timedelta(0):
        raise DataError(f"the step must be positive, not {step}")
    if store.count_items():
        raise DataError(
            "the replay database already holds items",
            hint="replay into a new database (the default is a temporary one); never "
            "point a replay at the production database",
        )
    require_model()  # unscored items would make every threshold rule silent
    store.sync_feeds(sorted({(a.feed, a.kind, a.url, a.feed) for a in arrivals}))
    # Operator rules watch the daemon (its polls, its reloads), which a replay does not run.
    settings = replace(settings, operator=replace(settings.operator, enabled=False))
    alerter = Alerter(settings, store, Notifiers(settings.notify, stand_in=stand_in))
    start = arrivals[0].at
    ticks = _ticks(start, arrivals[-1].at, step, until)
    pending = iter(arrivals)
    upcoming = next(pending, None)
    new = dup = messages = 0
    decided: list[tuple[datetime, Decided]] = []
    for tick in ticks:
        due: list[Arrival] = []
        while upcoming is not None and upcoming.at <= tick:
            due.append(upcoming)
            upcoming = next(pending, None)
        for feed, parsed in _by_feed(due):
            state = replace(store.feed_state(feed), last_attempt=tick, last_success=tick)
            n, d = store_parsed(store, feed, state, parsed, tick)
            new, dup = new + n, dup + d
        found, report = alerter.alert_cycle(tick)
        decided.extend((tick, d) for d in found)
        messages += report.sent
    return ReplayReport(start, ticks[-1], len(ticks), new, dup, tuple(decided), messages)


def _ticks(
    start: datetime, last: datetime, step: timedelta, until: datetime | None
) -> list[datetime]:
    end = until if until is not None else last
    count = max(0, -(-(end - start) // step)) + 1  # through the first tick at or after end
    return [start + step * i for i in range(count)]


def _by_feed(arrivals: Iterable[Arrival]) -> list[tuple[str, ParseResult]]:
    """One ParseResult per feed: a tick stores each feed's new items in one transaction."""
    items: dict[str, list[Item]] = {}
    for a in arrivals:
        items.setdefault(a.feed, []).extend(a.parsed.items)
    return [(feed, ParseResult(tuple(found))) for feed, found in items.items()]


def summary(report: ReplayReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    counts = Counter(d.decision for _, d in report.decided)
    return {
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "ticks": report.ticks,
        "items_new": report.items_new,
        "items_duplicate": report.items_duplicate,
        "decisions": dict(sorted(counts.items())),
        "messages": report.messages,
        "muted": sum(1 for _, d in report.decided if d.muted_by is not None),
        "alerts": [
            {
                "at": at.isoformat(),
                "alert": d.alert_id,
                "decision": d.decision,
                "rule": d.rule,
                "subject": d.subject,
                "label": d.label,
                "muted_by": d.muted_by,
            }
            for at, d in report.decided
        ],
    }
