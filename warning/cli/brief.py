"""``warning brief``: the morning brief printed, or sent now to one route."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from ..config import Settings
from ..errors import DataError
from ..settings import parse_duration
from .common import EXIT_FAILURE, EXIT_OK, Add, json_option, print_json


def cmd_brief(args: argparse.Namespace, settings: Settings) -> int:
    from ..brief import render, send
    from ..brief.options import parse_brief_routes
    from ..store import open_store

    try:
        since = parse_duration(args.since)
    except ValueError as exc:
        raise DataError(f"--since {args.since!r}: {exc}", "write it like 24h or 3d") from None
    route = None
    if args.send is not None:
        try:
            (route,) = parse_brief_routes(args.send)
        except ValueError as exc:
            raise DataError(f"--send: {exc}", "name one route, like slack or email") from None
    now = datetime.now(UTC)
    with open_store(settings.database.reveal(), create=False) as store:
        brief = send.make(store, settings.brief, now, since)
        if route is None:
            if args.json:
                print_json(json.loads(brief.to_json()))
            else:
                print(render.text(brief))
            return EXIT_OK
        return _send_now(store, settings, brief, route, now)


def _send_now(store: Any, settings: Settings, brief: Any, route: str, now: datetime) -> int:
    """Queue under the period's key (once per period, as the daemon does) and send now."""
    from ..brief import send
    from ..notify import Notifiers

    (queued,) = send.queue(store, brief, (route,), now)
    if not queued.new:
        found = store.briefs.get(queued.key)
        print(
            f"{queued.key}: already {found.status} (queued {found.created_at:%Y-%m-%d %H:%M} UTC);"
            " the brief goes once per day and route, so it is not sent again",
        )
        return EXIT_OK
    notifiers = Notifiers(settings.notify)
    try:
        send.deliver(store, notifiers, now)
    finally:
        notifiers.close()
    found = store.briefs.get(queued.key)
    if found.status == "sent":
        print(f"{queued.key}: sent ({found.ref})")
        return EXIT_OK
    print(f"{queued.key}: not sent: {found.last_error}", file=sys.stderr)
    if found.status == "pending":
        print("hint: the running daemon retries it until it goes", file=sys.stderr)
    return EXIT_FAILURE


def add_parsers(sub: Any, add: Add) -> None:
    brief = add("brief", cmd_brief, "the morning brief: print it, or send it now to one route")
    brief.add_argument("--since", default="24h", help="what changed in this long (24h)")
    brief.add_argument(
        "--send",
        metavar="ROUTE",
        help="send it now to ROUTE (slack, email, log, or with a target), once per day",
    )
    json_option(brief, "print the brief's data as one JSON object")
