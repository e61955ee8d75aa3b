"""The model's commands: ``score``, ``evaluate`` and ``train``.

``score`` and ``evaluate`` assess text as the daemon assesses an item
(:mod:`warning.pipeline.assessment`), so what they print is what it would store.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import AppError
from .common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Add, json_option, model_option, print_json


def cmd_score(args: argparse.Namespace, settings: Settings) -> int:
    from ..pipeline.assessment import assess, labels, probabilities, terms

    text = args.text if args.text is not None else sys.stdin.read()
    if not text.strip():
        print("warning score: no text (give TEXT or pipe it on standard input)", file=sys.stderr)
        return EXIT_USAGE
    from ..classify.scorer import load as load_model

    model = load_model(Path(args.model) if args.model else None)
    assessed = assess(text, model, lang=args.lang, when=args.date)
    tag, above, why = assessed.geo, labels(assessed), terms(assessed)
    held = {s.label: s.held for s in assessed.scores if s.held}
    if args.json:
        print_json(
            {
                "countries": [{"code": c.code, "score": round(c.score, 4)} for c in tag.countries],
                "labels": {k: round(v, 4) for k, v in probabilities(assessed).items()},
                "model": model.version,
                "above_threshold": list(above),
                "held": held,
                "terms": {k: list(v) for k, v in why.items()},
                "primary": tag.primary,
                "places": [dataclasses.asdict(p) for p in tag.places],
                "past": assessed.past,
            }
        )
        return EXIT_OK
    for label, probability in probabilities(assessed).items():
        mark = "  <- above threshold" if label in above else ""
        if label in held:
            mark = f"  (over its threshold, not counted: {held[label]})"
        reasons = f" ({', '.join(why[label])})" if why.get(label) else ""
        print(f"{label:<17} {probability:.2f}{mark}{reasons}")
    print(f"model: {model.version}")
    if assessed.past:
        print(f"{assessed.past}: no label counts (docs/recency.md)")
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
    from ..evaluate import measure, read_rows
    from ..pipeline.assessment import labels, probabilities

    if args.feedback:
        from .feedback import evaluate_feedback

        return evaluate_feedback(args, settings)
    if args.since:
        print("warning evaluate: --since goes with --feedback", file=sys.stderr)
        return EXIT_USAGE
    if not args.data:
        print("warning evaluate: give --data CSV (or --feedback)", file=sys.stderr)
        return EXIT_USAGE
    if args.alerts:
        return _evaluate_alerts(args, settings)
    if len(args.data) > 1:
        print(
            "warning evaluate: give one --data file (several only with --alerts)", file=sys.stderr
        )
        return EXIT_USAGE
    rows = read_rows(Path(args.data[0]))
    model = load_model(Path(args.model) if args.model else None)
    report, assessed = measure(rows, model)
    if args.predictions:
        with open(args.predictions, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "labels", "countries", *(f"p_{label}" for label in LABELS)])
            for row, a in zip(rows, assessed, strict=True):
                p = probabilities(a)
                writer.writerow(
                    [
                        row.id,
                        ";".join(labels(a)),
                        ";".join(a.geo.codes),
                        *(f"{p[label]:.4f}" for label in LABELS),
                    ]
                )
    if args.json:
        print_json(report)
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


def _evaluate_alerts(args: argparse.Namespace, settings: Settings) -> int:
    from ..backtest.alert_eval import evaluate_alerts
    from ..evaluate import read_rows
    from .backtest import _with_rules

    if args.model or args.predictions:
        print(
            "warning evaluate --alerts: scores with the shipped model and writes no "
            "predictions; leave out --model and --predictions",
            file=sys.stderr,
        )
        return EXIT_USAGE
    variant = _with_rules(settings, args.rules)
    if variant is None:
        return EXIT_USAGE
    files = [read_rows(Path(f)) for f in args.data]
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    result = evaluate_alerts(variant, files, start=start, span=timedelta(hours=args.hours))
    report = result.as_dict()
    if args.json:
        print_json(report)
        return EXIT_OK
    print(
        f"rows: {report['rows']} over {args.hours:g} h, rules {variant.rules.file}\n"
        f"alerts: {report['alerts']}, backed {report['backed']}, "
        f"precision {report['precision']:.3f}"
    )
    for label, m in report["per_label"].items():
        precision = "-" if m["precision"] is None else f"{m['precision']:.3f}"
        recall = "-" if m["recall"] is None else f"{m['recall']:.3f}"
        print(
            f"  {label:<17} alerts {m['alerts']:>3}  precision {precision:>5}   "
            f"pairs {m['pairs']:>3}  recall {recall:>5}"
            + (f"  missed: {', '.join(m['missed'])}" if m["missed"] else "")
        )
    for a in report["unbacked"]:
        print(
            f"  unbacked: alert {a['alert']} {a['rule']} {a['subject']} {a['label']} "
            f"(rows {', '.join(a['rows']) or 'none'})"
        )
    return EXIT_OK


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    if args.pack_only and (args.data or args.eval or args.with_feedback):
        print("warning train: --pack-only takes only --out", file=sys.stderr)
        return EXIT_USAGE
    require_train_extra()
    from ..classify import training

    if args.with_feedback:
        from .feedback import learn, outcome

        learnt = learn(args, settings)
        if learnt is None:
            return EXIT_FAILURE
        _print_trained(learnt[0])
        return outcome(*learnt)
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
    _print_trained(card)
    return EXIT_OK


def _print_trained(card: dict[str, Any]) -> None:
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


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-20") from None


def add_parsers(sub: Any, add: Add) -> None:
    score = add("score", cmd_score, "the countries (and places) a text is about")
    score.add_argument("text", nargs="?", metavar="TEXT", help="the text (default: standard input)")
    json_option(score)
    model_option(score)
    score.add_argument(
        "--lang", metavar="CODE", help="the text's language (en, fr), as a feed's lang hint"
    )
    score.add_argument(
        "--date",
        type=_day,
        metavar="YYYY-MM-DD",
        help="when it was published, which decides the actors of the day (default: today)",
    )
    evaluate = add(
        "evaluate", cmd_evaluate, "measure against a labelled CSV (text,labels[,countries,lang,id])"
    )
    evaluate.add_argument(
        "--data",
        action="append",
        metavar="CSV",
        help="the labelled CSV (with --alerts: give it again to stream several together)",
    )
    evaluate.add_argument(
        "--feedback",
        action="store_true",
        help="measure on the desk's verdicts in the configured database instead "
        "(docs/alerts.md, 'Learning from verdicts')",
    )
    evaluate.add_argument(
        "--since",
        metavar="DURATION|DATE",
        help="with --feedback: verdicts given in this long (30d) or since this day",
    )
    evaluate.add_argument(
        "--alerts",
        action="store_true",
        help="stream the rows through the pipeline and rules as a few hours of news, "
        "and measure the alerts they raise (docs/performance.md)",
    )
    evaluate.add_argument(
        "--rules", metavar="FILE", help="with --alerts: a rules file other than the configured"
    )
    evaluate.add_argument(
        "--hours",
        type=float,
        default=6.0,
        metavar="N",
        help="with --alerts: the hours the rows arrive over (default 6)",
    )
    model_option(evaluate)
    json_option(evaluate)
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
        "--with-feedback",
        action="store_true",
        help="add the desk's verdicts from the configured database; install the model for "
        "this deployment only when it is no worse than the running one (docs/alerts.md)",
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
