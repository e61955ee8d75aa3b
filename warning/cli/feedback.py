"""The model commands' side that reads the desk's verdicts: ``warning evaluate --feedback``
and ``warning train --with-feedback`` (:mod:`warning.classify.feedback` does the work)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..errors import DataError
from ..settings import parse_duration
from .common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, print_json

if TYPE_CHECKING:
    from ..classify.feedback import FeedbackItem


def since(text: str) -> datetime:
    """``--since``: a duration back from now (30d) or a day (2026-11-01, from midnight UTC)."""
    try:
        return datetime.combine(date.fromisoformat(text), time(), UTC)
    except ValueError:
        pass
    try:
        return datetime.now(UTC) - parse_duration(text)
    except ValueError as exc:
        raise DataError(f"--since {text!r}: {exc}", "write it like 30d or 2026-11-01") from None


def read_feedback(settings: Settings, after: datetime | None = None) -> list[FeedbackItem]:
    """The desk's feedback in the configured database; empty, and said so, when none."""
    from ..classify.feedback import read
    from ..store import open_store

    # What the daemon stored: a database that is not there is an error naming its path.
    with open_store(settings.database.reveal(), create=False) as store:
        items = read(store, after)
    if not items:
        when = f" since {after:%Y-%m-%d %H:%M} UTC" if after else ""
        print(
            f"no feedback from the desk yet{when}: a verdict on an alert "
            "(`warning alerts verdict ID confirmed|false-alarm|wrong-country|old-news`, "
            "or a Slack button) judges its evidence",
            file=sys.stderr,
        )
    return items


def evaluate_feedback(args: argparse.Namespace, settings: Settings) -> int:
    """``warning evaluate --feedback [--since ...] [--model PATH] [--json]``."""
    from ..classify.feedback import measure
    from ..classify.scorer import load as load_model

    if args.data or args.alerts or args.predictions:
        print(
            "warning evaluate --feedback: measures on the configured database's verdicts; "
            "leave out --data, --alerts and --predictions",
            file=sys.stderr,
        )
        return EXIT_USAGE
    items = read_feedback(settings, since(args.since) if args.since else None)
    if not items:
        return EXIT_FAILURE
    report = measure(items, load_model(Path(args.model) if args.model else None))
    if args.json:
        print_json(report)
        return EXIT_OK
    print(
        f"feedback: {report['items']} items, {report['judgements']} judgements, "
        f"{report['first'][:10]} to {report['last'][:10]}  model: {report['model']}"
    )
    print(f"agreement: {share(report['agreement'])}")
    for part, m in (("labels", report["labels"]), ("countries", report["countries"])):
        if m["judged"]:
            print(f"  {part:<17} judged {m['judged']:>4}  {_figures(m)}")
    for label, m in report["per_label"].items():
        if m["judged"]:
            print(f"  {label:<17} items  {m['items']:>4}  {_figures(m)}")
    for decision, m in report["per_decision"].items():
        if m["judged"]:
            print(f"  {decision:<17} judged {m['judged']:>4}  agreement {share(m['agreement'])}")
    return EXIT_OK


def _figures(m: dict[str, Any]) -> str:
    return (
        f"precision {share(m['precision'])}  recall {share(m['recall'])}  "
        f"agreement {share(m['agreement'])}  (tp {m['tp']}, fp {m['fp']}, fn {m['fn']}, "
        f"tn {m['tn']})"
    )


def share(value: float | None) -> str:
    return "    -" if value is None else f"{value:.3f}"


def learn(args: argparse.Namespace, settings: Settings) -> tuple[dict[str, Any], Path] | None:
    """``warning train --with-feedback``: the candidate's card and where it was written,
    or None when there is no feedback."""
    from ..classify import training

    items = read_feedback(settings)
    if not items:
        return None
    out = Path(args.out) if args.out else training.candidate_path()
    files = [Path(p) for p in args.data] if args.data else None
    card = training.with_feedback(items, files, out, [Path(p) for p in args.eval])
    return card, out


def outcome(card: dict[str, Any], out: Path) -> int:
    """Print what the feedback did and whether the model replaced the running one."""
    from .. import resources

    fb = card["feedback"]
    held = fb["held_back"]
    print(
        f"feedback: {fb['items']} items ({fb['first'][:10]} to {fb['last'][:10]}), "
        f"{fb['trained_on']['rows']} rows trained on, {held['candidate']['items']} held back"
    )
    print(
        f"running model {fb['running']['version']}: cross-validated macro-F1 "
        f"{share(fb['running']['cross_validated_macro_f1'])}, held-back agreement "
        f"{share(held['running']['labels']['agreement'])}; this one: "
        f"{share(card['cross_validation']['macro_f1'])}, "
        f"{share(held['candidate']['labels']['agreement'])}"
    )
    if fb["replaces_running"]:
        print(f"installed as this deployment's model in {resources.local_models()}")
        print("restart the daemon (systemctl restart warning) to score with it")
        return EXIT_OK
    for reason in fb["refused"]:
        print(f"not installed: {reason}", file=sys.stderr)
    print(f"the running model stays; this one is left at {out.with_suffix('')}.*")
    return EXIT_FAILURE
