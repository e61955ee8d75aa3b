"""What the command modules share: exit statuses, the command signature, common options."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime

from ..config import Settings

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

#: A command: the parsed arguments and the loaded settings in, the exit status out.
Command = Callable[[argparse.Namespace, Settings], int]
#: How a command module adds a top-level command (cli.build_parser's ``add``).
Add = Callable[[str, Command, str], argparse.ArgumentParser]


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def json_option(parser: argparse.ArgumentParser, help: str = "print one JSON object") -> None:
    parser.add_argument("--json", action="store_true", help=help)


def print_json(data: object) -> None:
    """What ``--json`` prints: one indented object, non-ASCII text (French names) as is."""
    print(json.dumps(data, indent=2, ensure_ascii=False))


def model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", metavar="PATH", help="a model other than the shipped one")


def dry_run_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="log alerts instead of sending them")


def step_option(parser: argparse.ArgumentParser, what: str, of: str = "") -> None:
    """``--step DURATION`` (default 5m) of a replay's or a backtest's clock."""
    parser.add_argument(
        "--step", default="5m", metavar="DURATION", help=f"{what} every DURATION{of} (default 5m)"
    )


def repeatable_option(parser: argparse.ArgumentParser, flag: str, metavar: str, help: str) -> None:
    """An option that may be given several times: a list of its values, None when absent."""
    parser.add_argument(flag, action="append", metavar=metavar, help=help)
