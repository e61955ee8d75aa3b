"""Backtests: what a rules file would have done over stored, already scored items.

The pipeline stages, in order: :mod:`.history` loads the stored evidence once,
:mod:`.engine` runs the rules over it on a simulated clock (the same aggregation
and alert lifecycle as the daemon, with alert episodes kept in :mod:`.book`),
:mod:`.truth` scores the alerts against known events, and :mod:`.report` lays out
one or more rules files side by side. docs/backtest.md is the operator's guide.
"""

from .engine import Outcome, simulate
from .history import StoredHistory
from .truth import Event, read_events

__all__ = ["Event", "Outcome", "StoredHistory", "read_events", "simulate"]
