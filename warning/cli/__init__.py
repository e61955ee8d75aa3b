"""The command line. The only module that prints; it configures logging once.

Exit status: 0 ok, 1 runtime failure, 2 bad usage or invalid configuration.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gc
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from .. import __version__, config, logs, resources
from ..config import Settings
from ..errors import AppError, ConfigError, DataError, ModelError
from ..redact import redact_url, scrub, scrub_optional

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

log = logging.getLogger("warning")


# --- commands ---------------------------------------------------------------


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
    print(f"  rules: {len(rules.active)} active of {len(rules.rules)} from {rules.file}")
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
    # The pack's reader verifies it (whole, unchanged, the one its card names) with the
    # standard library: checking need not import numpy, as scoring does.
    from ..classify import LABELS, pack

    try:
        header, _ = pack.read()
        if tuple(header.get("labels", ())) != LABELS:
            raise ModelError(
                f"{pack.default_path()} has labels {header.get('labels')}, not {list(LABELS)}",
                pack.rebuild_hint(pack.default_path()),
            )
        print(f"  model: {header['version']}")
    except ModelError as exc:
        print(f"{exc.message}" + (f" (hint: {exc.hint})" if exc.hint else ""), file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from ..service.daemon import Daemon

    return Daemon(Path(settings.file), settings, dry_run=args.dry_run).run()


def cmd_poll(args: argparse.Namespace, settings: Settings) -> int:
    from ..notify import Notifiers
    from ..pipeline import Pipeline, fetch_limits, worker_pool
    from ..sources.http import Fetcher
    from ..store import Store

    if not args.once:
        print("warning poll needs --once (the daemon is `warning run`)", file=sys.stderr)
        return EXIT_USAGE
    store = Store(settings.database.reveal())
    try:
        store.migrate()
        store.sync_feeds((f.name, f.kind, f.url, f.outlet) for f in settings.feeds)
        with (
            Fetcher(fetch_limits(settings), concurrency=settings.poll.concurrency) as fetcher,
            worker_pool(settings) as workers,
        ):
            notifiers = Notifiers(settings.notify, dry_run=args.dry_run)
            pipeline = Pipeline(settings, store, fetcher, workers, notifiers)
            report = pipeline.cycle(force=True)
            decided, delivered = pipeline.alert_cycle()
            notifiers.close()
        new_alerts = sum(1 for d in decided if d.decision == "new")
        report = replace(report, alerts_new=new_alerts)
    finally:
        store.close()
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
        print(json.dumps(summary, indent=2))
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
                "last_success": _iso(st.last_success if st else None),
                "last_attempt": _iso(st.last_attempt if st else None),
                "next_due": _iso(st.next_due if st else None),
                "consecutive_failures": st.consecutive_failures if st else 0,
                # Stored redacted already; scrubbed again for rows written before that.
                "last_error": scrub_optional(st.last_error) if st else None,
                "last_warning": scrub_optional(st.last_warning) if st else None,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
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


def cmd_score(args: argparse.Namespace, settings: Settings) -> int:
    from ..geo import gazetteer
    from ..geo.resolve import geotag
    from ..normalize import title_and_body

    text = args.text if args.text is not None else sys.stdin.read()
    if not text.strip():
        print("warning score: no text (give TEXT or pipe it on standard input)", file=sys.stderr)
        return EXIT_USAGE
    from ..classify.scorer import load as load_model

    title, body = title_and_body(text)
    tag = geotag(title, body, gazetteer.load())
    model = load_model(Path(args.model) if args.model else None)
    [scored] = model.score([text.strip()])
    if args.json:
        print(
            json.dumps(
                {
                    "countries": [
                        {"code": c.code, "score": round(c.score, 4)} for c in tag.countries
                    ],
                    "labels": {k: round(v, 4) for k, v in scored.probabilities.items()},
                    "model": model.version,
                    "above_threshold": list(scored.labels),
                    "terms": {k: list(v) for k, v in scored.terms.items()},
                    "primary": tag.primary,
                    "places": [dataclasses.asdict(p) for p in tag.places],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    for label, probability in scored.probabilities.items():
        mark = "  <- above threshold" if label in scored.labels else ""
        why = f" ({', '.join(scored.terms[label])})" if scored.terms.get(label) else ""
        print(f"{label:<17} {probability:.2f}{mark}{why}")
    print(f"model: {model.version}")
    if not tag.countries:
        print("countries: none found")
    for c in tag.countries:
        print(f"{c.code} {c.score:.2f}{'  (primary)' if c.code == tag.primary else ''}")
    for p in tag.places:
        where = f" {p.lat:.2f},{p.lon:.2f}" if p.lat is not None and p.lon is not None else ""
        admin1 = f", {p.admin1}" if p.admin1 else ""
        print(f"  {p.name} ({p.country}{admin1}; {p.kind}){where}")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from ..classify import LABELS
    from ..classify.scorer import load as load_model
    from ..evaluate import label_report, read_rows, set_counts
    from ..geo import gazetteer
    from ..geo.resolve import geotag
    from ..normalize import title_and_body

    rows = read_rows(Path(args.data))
    model = load_model(Path(args.model) if args.model else None)
    scored = model.score([row.text for row in rows], explain=False)
    gaz = gazetteer.load()
    predicted = [
        geotag(*title_and_body(row.text), gaz, when=row.date, lang=row.lang) for row in rows
    ]
    report: dict[str, Any] = {
        "rows": len(rows),
        "model": model.version,
        **label_report(
            LABELS, [r.labels for r in rows], [s.labels for s in scored], [r.lang for r in rows]
        ),
    }
    if rows[0].countries is not None:
        gold = [row.countries or () for row in rows]
        report["countries"] = set_counts(gold, [p.codes for p in predicted]).as_dict()
    if args.predictions:
        with open(args.predictions, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "labels", "countries", *(f"p_{label}" for label in LABELS)])
            for row, tag, s in zip(rows, predicted, scored, strict=True):
                writer.writerow(
                    [
                        row.id,
                        ";".join(s.labels),
                        ";".join(tag.codes),
                        *(f"{s.probabilities[label]:.4f}" for label in LABELS),
                    ]
                )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"rows: {report['rows']}  model: {report['model']}")
        print(f"macro-F1: {report['macro_f1']:.3f}")
        for label, m in report["per_label"].items():
            print(
                f"  {label:<17} precision {m['precision']:.3f}  recall {m['recall']:.3f}  "
                f"f1 {m['f1']:.3f}  (tp {m['tp']}, fp {m['fp']}, fn {m['fn']})"
            )
        for lang, m in report["per_lang"].items():
            print(f"  lang {lang}: {m['rows']} rows, macro-F1 {m['macro_f1']:.3f}")
        if "countries" in report:
            c = report["countries"]
            print(
                f"countries: precision {c['precision']:.3f}  recall {c['recall']:.3f}  "
                f"f1 {c['f1']:.3f}  (tp {c['tp']}, fp {c['fp']}, fn {c['fn']})"
            )
    return EXIT_OK


#: What `warning train` needs beyond the runtime, the `train` extra (pyproject.toml):
#: module -> the project's name.
TRAIN_EXTRA = {"sklearn": "scikit-learn", "scipy": "SciPy", "skops": "skops"}


def require_train_extra() -> None:
    """Say how to install the `train` extra when it is missing, before any work starts."""
    import importlib.util

    def importable(name: str) -> bool:
        try:
            return importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a broken or blocked installation
            return False

    missing = [project for name, project in TRAIN_EXTRA.items() if not importable(name)]
    if missing:
        raise AppError(
            f"warning train needs {', '.join(missing)}, which this installation does not have "
            "(scoring needs only numpy; fitting a model needs scikit-learn, SciPy and skops)",
            "install the train extra into the same environment as warning: "
            "pip install 'warning[train]' (from a checkout: pip install '.[train]')",
        )


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    if args.pack_only and (args.data or args.eval):
        print("warning train: --pack-only takes only --out", file=sys.stderr)
        return EXIT_USAGE
    require_train_extra()
    from ..classify import training

    if args.pack_only:
        from ..classify.artifact import repack

        card = repack(Path(args.out) if args.out else None)
        print(
            f"scoring pack {card['pack']['file']} rebuilt from {card['artifact']['file']} "
            f"(model {card['version']})"
        )
        return EXIT_OK
    files = [Path(p) for p in args.data] if args.data else None
    if files and not args.out:
        # The default output is the shipped model: only the project's own corpus may
        # replace it, never a user's (possibly licensed) data by accident.
        print(
            "warning train: --data needs --out PATH (the default is the shipped model, "
            "which only the project's corpus builds)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    card = training.run(files, Path(args.out) if args.out else None, [Path(p) for p in args.eval])
    cv = card["cross_validation"]
    print(
        f"model {card['version']} written to {card['artifact']['file']} "
        f"({card['training']['rows']} rows)"
    )
    print(f"cross-validated macro-F1 {cv['macro_f1']:.3f}; thresholds {card['thresholds']}")
    for name, figures in card["evaluation"].items():
        if figures.get("kind") == "article":
            found = ", ".join(
                f"{label} {figures['probabilities'][label]:.2f}" for label in figures["labels"]
            )
            print(f"{name}: {found or 'no label'}; primary country {figures['primary_country']}")
            continue
        share = f"any label on {figures['any_label_share']:.1%} of rows"
        if any(m["support"] for m in figures["per_label"].values()):
            print(f"{name}: macro-F1 {figures['macro_f1']:.3f}, {share}")
        else:  # ordinary news with no labels: only false alarms can be measured
            print(f"{name}: no labelled rows, {share}")
    return EXIT_OK


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- parser -----------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warning", description="Early-warning alerting daemon for security desks."
    )
    parser.add_argument("--version", action="version", version=f"warning {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="configuration file (default: $WARNING_CONFIG, /etc/warning/warning.yaml, "
        "./config/warning.yaml, then the bundled default)",
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("WARNING_LOG_LEVEL", "info"),
        choices=["debug", "info", "warning", "error"],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(
        name: str, fn: Callable[[argparse.Namespace, Settings], int], help: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=fn)
        return p

    add("check", cmd_check, "validate the configuration; print problems as file:line: key: message")
    run = add("run", cmd_run, "run the daemon in the foreground (systemd runs this)")
    run.add_argument("--dry-run", action="store_true", help="log alerts instead of sending them")
    poll = add("poll", cmd_poll, "one full cycle over every source, then exit")
    poll.add_argument("--once", action="store_true", help="required: poll each source once")
    poll.add_argument("--json", action="store_true", help="print one JSON object")
    poll.add_argument("--dry-run", action="store_true", help="log alerts instead of sending them")
    feeds = add("feeds", cmd_feeds, "show each feed's health: last success, failures, errors")
    feeds.add_argument("--json", action="store_true", help="print a JSON list")
    score = add("score", cmd_score, "the countries (and places) a text is about")
    score.add_argument("text", nargs="?", metavar="TEXT", help="the text (default: standard input)")
    score.add_argument("--json", action="store_true", help="print one JSON object")
    score.add_argument("--model", metavar="PATH", help="a model other than the shipped one")
    evaluate = add(
        "evaluate", cmd_evaluate, "measure against a labelled CSV (text,labels[,countries,lang,id])"
    )
    evaluate.add_argument("--data", required=True, metavar="CSV", help="the labelled CSV")
    evaluate.add_argument("--model", metavar="PATH", help="a model other than the shipped one")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument(
        "--predictions", metavar="OUT.csv", help="write each row's id and predictions here"
    )
    train = add("train", cmd_train, "train the classifier (default: on models/corpus/*.csv)")
    train.add_argument(
        "--data",
        action="append",
        metavar="FILE",
        help="a training file (our CSV, ACLED, UCDP GED or GDELT GKG); repeat for several",
    )
    train.add_argument(
        "--out", metavar="PATH", help="where to write PATH.skops, PATH.pack and PATH.json"
    )
    train.add_argument(
        "--pack-only",
        action="store_true",
        help="rebuild PATH.pack (the scoring pack) from PATH.skops without training",
    )
    train.add_argument(
        "--eval",
        action="append",
        default=[],
        metavar="FILE",
        help="a labelled CSV, or a .txt article, to evaluate the new model on (recorded in "
        "its card); repeat for several",
    )
    from . import alerts as cli_alerts
    from . import backtest as cli_backtest

    cli_alerts.add_parsers(sub, add)
    cli_backtest.add_parsers(sub, add)
    return parser


def run() -> NoReturn:
    """The process's entry point (``warning``, ``python -m warning``): main(), then exit.

    Before exiting, every object the command made is set aside from the garbage
    collector: the interpreter's last collection would walk them all only to free
    memory the process is about to give back (0.1 s after a cycle of 1,000 feeds).
    Here and not in main(), which tests call in their own long-lived process.
    """
    status = main()
    gc.freeze()
    sys.exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.setup(args.log_level.upper())
    path = config.find_config(args.config)
    resources.use_unit_environment(path)  # the system configuration: the service's directories
    try:
        settings = config.load(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(scrub(str(problem)), file=sys.stderr)
        return EXIT_USAGE
    func: Callable[[argparse.Namespace, Settings], Any] = args.func
    try:
        return int(func(args, settings))
    except AppError as exc:
        print(f"error: {scrub(exc.message)}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {scrub(exc.hint)}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, DataError) else EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_FAILURE
