"""The pipeline: the only package that calls several stages, in DESIGN.md's order.

- :mod:`.intake`: the CPU-bound half of a poll (parse, geotag, score, store), run in
  worker processes;
- :mod:`.polling`: one poll of one source and one cycle over all of them;
- :mod:`.alerting`: an alert cycle, from stored items to signals, rules, the alert
  lifecycle and the outbox.

The daemon's jobs and ``warning poll --once`` both call :meth:`Pipeline.poll` and
:meth:`Pipeline.alert_cycle`, so what is tested one-shot is what runs in production.
"""

from __future__ import annotations

from .alerting import Alerter
from .intake import assess, fetch_limits, ingest, worker_pool
from .polling import Pipeline, backoff

__all__ = ["Alerter", "Pipeline", "assess", "backoff", "fetch_limits", "ingest", "worker_pool"]
