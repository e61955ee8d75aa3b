"""The command line: the parser, the commands' registry and the process's entry point.

The cli package is the place that prints, in all its modules: each command group is
one module (``service``: check, run, poll, feeds; ``model``: score, evaluate, train;
``alerts``; ``backtest``: replay, backtest), and this one configures logging once.

Exit status: 0 ok, 1 runtime failure, 2 bad usage or invalid configuration.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from .. import __version__, config, logs, resources
from ..errors import AppError, ConfigError, DataError
from ..redact import scrub
from .common import EXIT_FAILURE, EXIT_USAGE, Command

log = logging.getLogger("warning")


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
    parser.add_argument(
        "--log-format",
        choices=logs.FORMATS,
        help="text (default) or json, one object per line (default: $WARNING_LOG_FORMAT)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, fn: Command, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=fn)
        return p

    from . import alerts, backtest, brief, model, service, web

    # Each group adds its commands, in the order `warning --help` lists them.
    for group in (service, model, alerts, backtest, web, brief):
        group.add_parsers(sub, add)
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
    if args.log_format:  # the flag wins, here and in the worker processes (logs.py)
        os.environ[logs.FORMAT_VARIABLE] = args.log_format
    logs.setup(args.log_level.upper())
    path = config.find_config(args.config)
    resources.use_unit_environment(path)  # the system configuration: the service's directories
    try:
        settings = config.load(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(scrub(str(problem)), file=sys.stderr)
        return EXIT_USAGE
    func: Command = args.func
    try:
        return int(func(args, settings))
    except AppError as exc:
        print(f"error: {scrub(exc.message)}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {scrub(exc.hint)}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, DataError) else EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_FAILURE
