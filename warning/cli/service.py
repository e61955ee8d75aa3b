"""The service's commands: ``check``, ``run``, ``poll --once`` and ``feeds``."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import ModelError
from ..redact import redact_url, scrub_optional
from ..settings import format_duration
from .common import EXIT_OK, EXIT_USAGE, Add, dry_run_option, iso, json_option, print_json


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from ..notify import unconfigured as unconfigured_routes
    from ..store.engine import safe_url

    print(f"{settings.file}: ok")
    print(f"  database: {safe_url(settings.database.reveal())}")
    print(f"  feeds: {len(settings.feeds)}")
    notifiers = list(settings.notify.kinds) or ["log"]
    print(f"  notify: {', '.join(notifiers)}")
    if settings.zones:
        print(f"  zones: {', '.join(f'{z.name} ({z.kind})' for z in settings.zones)}")
    rules = settings.rules
    sources = ", ".join(map(str, rules.sources))
    print(f"  rules: {len(rules.active)} active of {len(rules.rules)} from {sources}")
    fallback: dict[str, list[str]] = {}
    for rule in rules.rules:
        where = f"zone {rule.zone}" if rule.zone else ",".join(rule.countries)
        state = "" if rule.enabled else " (disabled)"
        routes = ", ".join(rule.routes)
        print(f"    {rule.name}: {rule.type} {rule.label or 'items'} in {where} -> {routes}{state}")
        for route in unconfigured_routes(rule.routes, settings.notify):
            fallback.setdefault(route, []).append(rule.name)
    for route, names in fallback.items():
        print(
            f"  note: route {route!r} (rules {', '.join(names)}) has no notifier under "
            "notify:; those alerts go to the log"
        )
    from ..alerting.inhibit import LEVELS

    grouping = settings.grouping
    print(
        f"  grouping: one thread per subject within {format_duration(grouping.window)}"
        if grouping.enabled
        else "  grouping: off (a thread per alert)"
    )
    level_names = {n: word for word, n in LEVELS.items()}
    for entry in settings.inhibit:
        level = level_names.get(entry.when_level) if entry.when_level is not None else None
        keys = {
            "label": entry.when_label,
            "rule": entry.when_rule,
            "level": level,
            "severity": entry.when_severity,
        }
        when = " ".join(f"{k}={v}" for k, v in keys.items() if v is not None)
        muted = ", ".join((*entry.mute_labels, *(f"rule {r}" for r in entry.mute_rules)))
        print(f"  inhibit: while {when} is open, mute {muted}")
    if settings.web.listen is not None:
        token = "a token" if settings.web.token is not None else "no token"
        print(f"  web: http://{settings.web.listen[0]}:{settings.web.listen[1]}/ ({token})")
    if settings.brief is not None:
        brief = settings.brief
        print(f"  brief: {brief.at:%H:%M} {brief.timezone.key} -> {', '.join(brief.routes)}")
    # Templates compiled at load; rendered here against sample messages, as at run time.
    from ..notify.templates import trial_render

    messages = settings.notify.messages
    parts = ", ".join(sorted(messages.templates.compiled)) if messages.templates else ""
    print(f"  messages: {messages.language}" + (f", templates: {parts}" if parts else ""))
    broken = trial_render(messages)
    for problem in broken:
        print(problem, file=sys.stderr)
    if broken:
        return EXIT_USAGE
    # The running model (the deployment's own, trained on the desk's verdicts, or the
    # shipped one), verified as scoring reads it (whole, unchanged, the one its card
    # names) with the standard library: checking need not import numpy, as scoring does.
    from ..classify import LABELS, pack

    try:
        path, header, _ = pack.read_running()
        if tuple(header.get("labels", ())) != LABELS:
            wrong = f"{path} has labels {header.get('labels')}, not {list(LABELS)}"
            raise pack.untrusted(path, ModelError(wrong, pack.rebuild_hint(path)))
        own = "" if path == pack.default_path() else f" (this deployment's own: {path})"
        print(f"  model: {header['version']}{own}")
    except ModelError as exc:
        print(f"{exc.message}" + (f" (hint: {exc.hint})" if exc.hint else ""), file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from ..service.daemon import Daemon

    return Daemon(Path(settings.file), settings, dry_run=args.dry_run).run()


def cmd_poll(args: argparse.Namespace, settings: Settings) -> int:
    from ..service.runtime import Runtime

    if not args.once:
        print("warning poll needs --once (the daemon is `warning run`)", file=sys.stderr)
        return EXIT_USAGE
    with Runtime(settings, dry_run=args.dry_run) as runtime:
        runtime.start()
        report = runtime.pipeline.cycle(force=True)
        decided, delivered = runtime.pipeline.alert_cycle()
    new_alerts = sum(1 for d in decided if d.decision == "new")
    report = replace(report, alerts_new=new_alerts)
    elapsed = (report.finished - report.started).total_seconds()
    summary: dict[str, Any] = {
        "feeds_polled": report.feeds_polled,
        "feeds_failed": report.feeds_failed,
        "items_new": report.items_new,
        "items_duplicate": report.items_duplicate,
        "alerts_new": report.alerts_new,
        "alerts_updated": len(decided) - new_alerts,
        "deliveries_sent": delivered.sent,
        "deliveries_failed": delivered.failed,
        "deliveries_retrying": delivered.retrying,
        "bytes_received": report.bytes_received,
        "elapsed_seconds": round(elapsed, 3),
    }
    if args.json:
        summary["feeds"] = [
            {
                "name": o.feed,
                "status": o.status,
                "items_new": o.items_new,
                "items_duplicate": o.items_duplicate,
                "error": scrub_optional(o.error),
            }
            for o in report.outcomes
        ]
        print_json(summary)
    else:
        print(" ".join(f"{k}={v}" for k, v in summary.items()))
        for o in report.outcomes:
            if o.status == "error":
                print(f"  {o.feed}: {scrub_optional(o.error)}")
    return EXIT_OK


def cmd_feeds(args: argparse.Namespace, settings: Settings) -> int:
    from ..store import open_store

    store = open_store(settings.database.reveal(), create=False)  # the daemon's, never a new one
    try:
        states = store.feed_states()
    finally:
        store.close()
    rows = []
    for feed in settings.feeds:
        st = states.get(feed.name)
        rows.append(
            {
                "name": feed.name,
                "url": redact_url(feed.url),
                "every": int(feed.every.total_seconds()),
                "last_success": iso(st.last_success if st else None),
                "last_attempt": iso(st.last_attempt if st else None),
                "next_due": iso(st.next_due if st else None),
                "consecutive_failures": st.consecutive_failures if st else 0,
                # Stored redacted already; scrubbed again for rows written before that.
                "last_error": scrub_optional(st.last_error) if st else None,
                "last_warning": scrub_optional(st.last_warning) if st else None,
            }
        )
    if args.json:
        print_json(rows)
        return EXIT_OK
    for row in rows:
        health = (
            "never polled"
            if not row["last_attempt"]
            else f"FAILING x{row['consecutive_failures']}"
            if row["consecutive_failures"]
            else "ok"
        )
        print(
            f"{row['name']}: {health}; last success {row['last_success'] or '-'}; "
            f"next due {row['next_due'] or '-'}"
        )
        if row["last_error"]:
            print(f"    error: {row['last_error']}")
        if row["last_warning"]:
            print(f"    warning: {row['last_warning']}")
    return EXIT_OK


def cmd_install_files(args: argparse.Namespace, settings: Settings) -> int:
    from ..service.install import entry_point, install_files

    bin = Path(args.bin) if args.bin else entry_point()
    written = install_files(Path(args.folder), force=args.force, bin=bin)
    width = max(len(str(w.path)) for w in written)
    for w in written:
        print(f"{w.path!s:<{width}}  -> {w.purpose}")
    print(f"the unit runs {bin}; install the files as docs/operations.md shows")
    if bin.is_relative_to("/home") or bin.is_relative_to("/root"):
        print(
            f"note: the unit's ProtectHome=yes hides {bin} from the service; install with "
            "PIPX_HOME=/opt/pipx PIPX_BIN_DIR=/usr/local/bin (docs/operations.md)",
            file=sys.stderr,
        )
    return EXIT_OK


def add_parsers(sub: Any, add: Add) -> None:
    add("check", cmd_check, "validate the configuration; print problems as file:line: key: message")
    run = add("run", cmd_run, "run the daemon in the foreground (systemd runs this)")
    dry_run_option(run)
    poll = add("poll", cmd_poll, "one full cycle over every source, then exit")
    poll.add_argument("--once", action="store_true", help="required: poll each source once")
    json_option(poll)
    dry_run_option(poll)
    files = add(
        "install-files",
        cmd_install_files,
        "write the systemd unit, its sysusers file, the example configuration and the "
        "default rules into a folder, for a service install from a wheel or pipx",
    )
    files.add_argument("folder", metavar="DIR", help="where to write them (made if missing)")
    files.add_argument("--force", action="store_true", help="overwrite files already there")
    files.add_argument(
        "--bin", metavar="PATH", help="the warning the unit runs (default: this installation's)"
    )
    feeds = add("feeds", cmd_feeds, "show each feed's health: last success, failures, errors")
    json_option(feeds, "print a JSON list")
