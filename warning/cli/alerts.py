"""The operator's alert commands: list, show, acknowledge, verdict, report, silence, test-notify."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..errors import DataError, DeliveryError
from ..redact import scrub
from ..settings import parse_duration
from .common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Add, iso, json_option, print_json
from .verdicts import VERDICT_WORDS, print_report, print_verdicts

if TYPE_CHECKING:
    from ..store import Store


def _store(settings: Settings, *, create: bool = False) -> Store:
    from ..store import open_store

    # These commands work on what the daemon stored: a database that is not there is
    # an error naming the path, not a new empty one that silently shows nothing. Only a
    # silence may come first (created before the daemon's first start, it still counts).
    return open_store(settings.database.reveal(), create=create)


def _user() -> str:
    """Who runs the command; getpass fails for a user id with no name (some containers)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def cmd_alerts_list(args: argparse.Namespace, settings: Settings) -> int:
    from ..alerting.verdicts import standing
    from ..alerting.views import alert_json, verdict_json
    from ..notify.render import label_name, place_name

    with _store(settings) as store:
        found = store.alerts.recent(None if args.status == "all" else args.status, args.limit)
        answers = store.verdicts.of_alerts([a.id for a in found])
        stands = {a.id: standing(answers.get(a.id, [])) for a in found}
        rows: list[dict[str, Any]] = [
            {
                **alert_json(a),
                "model": a.model,
                "rules_hash": a.rules_hash,
                "verdict": verdict_json(stands[a.id]),
            }
            for a in found
        ]
        pending = store.alerts.pending_count()
    if args.json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        print("no alerts")
    for r in rows:
        ack = f" ack by {r['acknowledged_by']}" if r["acknowledged_by"] else ""
        # The standing judgement; an ack alone is already in the ack column.
        judged = r["verdict"] if r["verdict"] and r["verdict"]["decision"] != "ack" else None
        verdict = f" · {judged['title']} ({judged['by']})" if judged else ""
        n = len(r["outlets"])
        print(
            f"#{r['id']} {r['status']:<8} {r['severity']:<8} {label_name(r['label'])} · "
            f"{place_name(r['subject'])} · score {r['score']:.2f} · {n} outlet"
            f"{'s' if n != 1 else ''} · rule {r['rule']} · opened {r['opened_at']}{verdict}{ack}"
        )
    if pending:
        print(f"{pending} deliveries pending")
    return EXIT_OK


def cmd_alerts_show(args: argparse.Namespace, settings: Settings) -> int:
    with _store(settings) as store:
        alert = store.alerts.get(args.id)
        if alert is None:
            print(f"no alert #{args.id}", file=sys.stderr)
            return EXIT_FAILURE
        events = store.alerts.events(alert.id)
        headlines = store.alerts.headlines(alert.items[:10])
        answers = store.verdicts.of_alert(alert.id)
    print(f"#{alert.id} {alert.status} rule={alert.rule} {alert.subject} {alert.label}")
    print(f"  score {alert.score:.2f}, outlets: {', '.join(alert.outlets) or 'none'}")
    print(f"  model {alert.model}, rules {alert.rules_hash}, key {alert.dedup_key}")
    for item_id in alert.items[:10]:
        if item_id in headlines:
            title, link, outlet, _ = headlines[item_id]
            print(f"  - {title!r} ({outlet}) {link or ''}")
    for ev in events:
        print(f"  {ev['seq']}. {ev['decision']} at {iso(ev['at'])} score {ev['score']:.2f}")
        for d in ev["deliveries"]:
            err = f" last error: {scrub(d['last_error'])}" if d["last_error"] else ""
            print(f"       {d['route']}: {d['status']} after {d['attempts']} attempt(s){err}")
    print_verdicts(answers)
    return EXIT_OK


def _done(done: bool, missing: str, message: str) -> int:
    """The outcome of a change to one row: ``message``, or ``missing`` and failure."""
    if not done:
        print(missing, file=sys.stderr)
        return EXIT_FAILURE
    print(message)
    return EXIT_OK


def cmd_alerts_ack(args: argparse.Namespace, settings: Settings) -> int:
    from ..alerting.verdicts import record_verdict

    # An ack is a verdict like a Slack button's: listed by `alerts show`, written once.
    with _store(settings) as store:
        record_verdict(store, args.id, "ack", args.by or _user(), now=datetime.now(UTC))
    print(f"alert #{args.id} acknowledged: no more reminders (escalations and all-clear still go)")
    return EXIT_OK


def cmd_alerts_verdict(args: argparse.Namespace, settings: Settings) -> int:
    from ..alerting.verdicts import describe, record_verdict

    with _store(settings) as store:
        done = record_verdict(
            store, args.id, args.decision, args.by or _user(), note=args.note, now=datetime.now(UTC)
        )
    said = describe(done.verdict)
    print(
        f"alert #{args.id}: {said}" if done.new else f"alert #{args.id}: already recorded: {said}"
    )
    return EXIT_OK


def cmd_alerts_report(args: argparse.Namespace, settings: Settings) -> int:
    from ..alerting.verdicts import report

    now = datetime.now(UTC)
    try:
        since = now - parse_duration(args.since)
    except ValueError as exc:
        raise DataError(f"--since {args.since!r}: {exc}", "write it like 7d or 30d") from None
    with _store(settings) as store:
        rows = report(store.verdicts.opened_since(since))
    if args.json:
        print_json({"rules": [r.as_json() for r in rows]})
        return EXIT_OK
    print_report(rows, since)
    return EXIT_OK


def _until(args: argparse.Namespace, now: datetime) -> datetime:
    if args.until:
        try:
            until = datetime.fromisoformat(args.until)
        except ValueError:
            raise DataError(
                f"--until {args.until!r} is not a date", "write it like 2026-12-01T18:00Z"
            ) from None
        return until if until.tzinfo else until.replace(tzinfo=UTC)
    try:
        return now + parse_duration(args.duration)
    except ValueError as exc:
        raise DataError(f"--for {args.duration!r}: {exc}", "write it like 6h or 2d") from None


def _subject(value: str, settings: Settings) -> str:
    """The alert subject ``--country`` names: an ISO code, ``zone:NAME`` or ``feed:NAME``.

    Subjects are compared exactly, so zone and feed names keep their case; a name
    that matches nothing is refused, since a silence that never matches is silent.
    """
    from ..geo.countries import parse_codes

    kind, sep, name = value.strip().partition(":")
    if not sep:
        try:
            [code] = parse_codes(value)
        except ValueError as exc:
            raise DataError(f"--country {value!r}: {exc}", "or write zone:NAME") from None
        return code
    known = {
        "zone": [z.name for z in settings.zones],
        "feed": [f.name for f in settings.feeds],
    }
    names = known.get(kind.lower())
    if names is None:
        raise DataError(
            f"--country {value!r}: not a country code, zone:NAME or feed:NAME",
            "write it like NE or zone:coastal-north",
        )
    if name not in names:
        raise DataError(
            f"--country {value!r}: no {kind.lower()} named {name!r}; "
            f"{kind.lower()}s: {', '.join(names) or 'none'}"
        )
    return f"{kind.lower()}:{name}"


def cmd_silence_add(args: argparse.Namespace, settings: Settings) -> int:
    from ..alerting.rules import LABELS

    if not (args.country or args.label or args.rule):
        print("silence: name at least one of --country, --label, --rule", file=sys.stderr)
        return EXIT_USAGE
    labels = (*LABELS, "quiet", "advisory")  # the classifier's, flatline's and advisories'
    if args.label and args.label not in labels:
        print(
            f"silence: unknown label {args.label!r}; one of: {', '.join(labels)}", file=sys.stderr
        )
        return EXIT_USAGE
    if args.rule and settings.rules.get(args.rule) is None:
        names = ", ".join(r.name for r in settings.rules.rules)
        print(f"silence: no rule named {args.rule!r}; rules: {names}", file=sys.stderr)
        return EXIT_USAGE
    subject = _subject(args.country, settings) if args.country else None
    now = datetime.now(UTC)
    until = _until(args, now)
    if until <= now:
        print("silence: the end is in the past", file=sys.stderr)
        return EXIT_USAGE
    with _store(settings, create=True) as store:
        silence_id = store.alerts.silence(
            until,
            args.reason,
            now,
            subject=subject,
            label=args.label,
            rule=args.rule,
            by=_user(),
        )
    print(f"silence #{silence_id} until {until.isoformat()}: alerts are recorded, not sent")
    return EXIT_OK


def cmd_silence_list(args: argparse.Namespace, settings: Settings) -> int:
    with _store(settings) as store:
        found = store.alerts.active_silences(datetime.now(UTC))
    rows = [
        {
            "id": s.id,
            "country": s.subject,
            "label": s.label,
            "rule": s.rule,
            "until": iso(s.until),
            "reason": s.reason,
            "by": s.created_by,
        }
        for s in found
    ]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            what = " ".join(f"{k}={r[k]}" for k in ("country", "label", "rule") if r[k])
            print(f"#{r['id']} {what} until {r['until']} by {r['by']}: {r['reason']}")
        if not rows:
            print("no active silences")
    return EXIT_OK


def cmd_silence_lift(args: argparse.Namespace, settings: Settings) -> int:
    with _store(settings) as store:
        done = store.alerts.lift(args.id, datetime.now(UTC))
    return _done(done, f"no active silence #{args.id}", f"silence #{args.id} lifted")


def cmd_test_notify(args: argparse.Namespace, settings: Settings) -> int:
    """Send a canned message through one route, now, bypassing the outbox."""
    from ..notify import REGISTRY, Notifiers, split_route
    from ..records import AlertMessage, Headline

    kind, _ = split_route(args.route)
    if kind not in REGISTRY:
        *others, last = REGISTRY
        known = f"{', '.join(others)} or {last}"
        print(f"test-notify: unknown route {args.route!r}; use {known}", file=sys.stderr)
        return EXIT_USAGE
    if kind != "log" and settings.notify.get(kind) is None:
        print(f"test-notify: notify.{kind} is not configured in {settings.file}", file=sys.stderr)
        return EXIT_USAGE
    now = datetime.now(UTC)
    message = AlertMessage(
        alert_id=0,
        key=f"test.{int(now.timestamp())}",
        decision="new",
        rule="test-notify",
        subject="ML",
        place="Mali (ML)",
        label="coup",
        severity="low",
        score=0.0,
        outlets=(),
        headlines=(Headline("This is a test of the warning alert route", None, "warning", now),),
        terms=(),
        model=None,
        opened=now - timedelta(seconds=1),
        at=now,
        kind="test",
        note=f"Sent by `warning test-notify {args.route}`; nothing happened.",
    )
    notifiers = Notifiers(settings.notify)
    notifier, target = notifiers.resolve(args.route)
    try:
        ref = notifier.send(message, target, None)
    except DeliveryError as exc:
        print(f"test-notify {args.route}: {scrub(exc.message)}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        notifiers.close()
    print(f"test-notify {args.route}: sent ({ref})")
    return EXIT_OK


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return value


def add_parsers(sub: Any, add: Add) -> None:
    alerts = sub.add_parser("alerts", help="list, show, acknowledge and judge alerts")
    asub = alerts.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    lst = asub.add_parser("list", help="alerts, newest first")
    lst.set_defaults(func=cmd_alerts_list)
    json_option(lst, "print a JSON list")
    lst.add_argument("--status", choices=["open", "resolved", "all"], default="all")
    lst.add_argument("--limit", type=_positive, default=50, help="at most this many (50)")
    show = asub.add_parser("show", help="one alert with its evidence, events and deliveries")
    show.set_defaults(func=cmd_alerts_show)
    show.add_argument("id", type=int)
    ack = asub.add_parser("ack", help="acknowledge an alert: no more reminders")
    ack.set_defaults(func=cmd_alerts_ack)
    ack.add_argument("id", type=int)
    ack.add_argument("--by", help="who acknowledges (default: your user name)")
    verdict = asub.add_parser("verdict", help="say whether an alert was right (also acknowledges)")
    verdict.set_defaults(func=cmd_alerts_verdict)
    verdict.add_argument("id", type=int)
    verdict.add_argument("decision", choices=VERDICT_WORDS)
    verdict.add_argument("--by", help="who judges (default: your user name)")
    verdict.add_argument("--note", help="why (kept with the verdict)")
    rep = asub.add_parser("report", help="precision per rule and label, from the verdicts")
    rep.set_defaults(func=cmd_alerts_report)
    rep.add_argument("--since", default="30d", help="alerts opened in this long (30d)")
    json_option(rep, 'print {"rules": [...]}')

    silence = sub.add_parser("silence", help="record matching alerts without sending them")
    ssub = silence.add_subparsers(dest="silence_command", metavar="ACTION", required=True)
    sadd = ssub.add_parser("add", help="silence by country, label and/or rule")
    sadd.set_defaults(func=cmd_silence_add)
    sadd.add_argument("--country", help="ISO code (NE), zone:NAME or feed:NAME")
    sadd.add_argument("--label")
    sadd.add_argument("--rule")
    when = sadd.add_mutually_exclusive_group(required=True)
    when.add_argument("--for", dest="duration", help="how long, like 6h or 2d")
    when.add_argument("--until", help="until when, like 2026-12-01T18:00Z")
    sadd.add_argument("--reason", required=True, help="why (kept with the silence)")
    slist = ssub.add_parser("list", help="active silences")
    slist.set_defaults(func=cmd_silence_list)
    slist.add_argument("--json", action="store_true")
    lift = ssub.add_parser("lift", help="end a silence now")
    lift.set_defaults(func=cmd_silence_lift)
    lift.add_argument("id", type=int)

    test = add("test-notify", cmd_test_notify, "send a canned test alert through one route")
    test.add_argument("route", help="slack, email or log, optionally with a target (slack:#x)")
