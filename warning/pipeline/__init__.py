"""The pipeline: the only package that calls several stages, in DESIGN.md's order.

- :mod:`.assessment`: a text's countries and scores, the one way every caller
  (the pipeline, ``warning score``, ``warning evaluate``, training) assesses one;
- :mod:`.intake`: the CPU-bound half of a poll (parse, geotag, score, store), run in
  worker processes;
- :mod:`.polling`: one poll of one source and one cycle over all of them;
- :mod:`.alerting`: an alert cycle, from stored items to signals, rules, the alert
  lifecycle and the outbox.

The daemon's jobs and ``warning poll --once`` both call :meth:`Pipeline.poll` and
:meth:`Pipeline.alert_cycle`, so what is tested one-shot is what runs in production.

The names below are imported from their module when first used, not with the package:
a worker process imports :mod:`.intake` alone (the rules, notifiers and fetcher of the
other two cost it 0.2 s at every start).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .alerting import Alerter
    from .intake import assess, fetch_limits, ingest, worker_pool
    from .polling import Pipeline, backoff

#: Each public name -> the module that defines it.
_HOMES = {
    "Alerter": "alerting",
    "assess": "intake",
    "fetch_limits": "intake",
    "ingest": "intake",
    "worker_pool": "intake",
    "Pipeline": "polling",
    "backoff": "polling",
}

__all__ = ["Alerter", "Pipeline", "assess", "backoff", "fetch_limits", "ingest", "worker_pool"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
