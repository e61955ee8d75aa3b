"""The daemon's metrics, in one private Prometheus registry.

Stages record what happened (a poll's outcome, an alert decision, a delivery) by
calling the functions here; :mod:`warning.service.health` serves the registry as
``/metrics``. A private registry rather than prometheus-client's global one, so
that the exposition holds our metrics only (plus the process collector) and tests
can read values directly.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.process_collector import ProcessCollector

from .records import Decided, PollOutcome

if TYPE_CHECKING:
    from .alerting.verdicts import RuleReport

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # memory, CPU, open files of this process

# Every metric is declared in REGISTRY, never in prometheus-client's global registry.


def _counter(name: str, doc: str, *labels: str) -> Counter:
    return Counter(name, doc, labels, registry=REGISTRY)


def _gauge(name: str, doc: str, *labels: str) -> Gauge:
    return Gauge(name, doc, labels, registry=REGISTRY)


def _histogram(name: str, doc: str, buckets: tuple[float, ...]) -> Histogram:
    return Histogram(name, doc, buckets=buckets, registry=REGISTRY)


POLLS = _counter("warning_polls", "Polls of a source, by outcome", "status")
ITEMS = _counter("warning_items", "Items seen in polls: new (stored) or duplicate", "kind")
POLL_SECONDS = _histogram(
    "warning_poll_seconds",
    "Wall time of one poll of one source (fetch, parse, assess, store)",
    (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
ALERT_DECISIONS = _counter(
    "warning_alert_decisions",
    "Alert decisions recorded, by decision (new, escalated, ongoing, resolved)",
    "decision",
)
ALERT_CYCLE_SECONDS = _histogram(
    "warning_alert_cycle_seconds",
    "Wall time of one alert cycle (signals, rules, deliveries)",
    (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DELIVERIES = _counter(
    "warning_deliveries",
    "Delivery attempts, by route kind and result (sent, retrying, failed)",
    "notifier",
    "result",
)
DELIVERY_LATENCY = _histogram(
    "warning_delivery_latency_seconds",
    "From an alert decision to its message being accepted by the notifier",
    (0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
QUEUE_DEPTH = _gauge(
    "warning_delivery_queue_depth",
    "Deliveries pending or being sent (read from the database at scrape time)",
)
ALERT_VERDICTS = _gauge(
    "warning_alert_verdicts",
    "Alerts opened in the last 30 days, by rule, label and the verdict that stands on "
    "each (confirmed, false_alarm, wrong_country, old_news; none when unjudged). Read "
    "from the database at scrape time, so verdicts given from the shell count too",
    "rule",
    "label",
    "verdict",
)
RULE_PRECISION = _gauge(
    "warning_rule_precision",
    "Confirmed / judged alerts over the last 30 days, per rule and label (absent when "
    "nothing is judged); read at scrape time",
    "rule",
    "label",
)
LAST_ALERT_CYCLE = _gauge(
    "warning_last_alert_cycle_timestamp_seconds",
    "When the last alert cycle finished without error (Unix time)",
)
LAST_POLL = _gauge(
    "warning_last_successful_poll_timestamp_seconds",
    "When a source was last polled without error (Unix time)",
)
PARSE_TIMEOUTS = _counter(
    "warning_parse_timeouts",
    "Polls whose parse outlived poll.deadline, so that their worker process was killed",
)
POLLS_IN_FLIGHT = _gauge("warning_polls_in_flight", "Polls started and not finished yet")

#: Polls in progress in this process: token -> (feed, Unix start time). /healthz reads it.
_in_flight: dict[int, tuple[str, float]] = {}
_in_flight_lock = threading.Lock()
_tokens = itertools.count()


@contextmanager
def poll_in_flight(feed: str) -> Iterator[None]:
    """Mark one poll of ``feed`` as in progress while the block runs."""
    token = next(_tokens)
    with _in_flight_lock:
        _in_flight[token] = (feed, time.time())
        POLLS_IN_FLIGHT.set(len(_in_flight))
    try:
        yield
    finally:
        with _in_flight_lock:
            del _in_flight[token]
            POLLS_IN_FLIGHT.set(len(_in_flight))


def polls_in_flight() -> list[tuple[str, float]]:
    """(feed, Unix start time) of each poll in progress in this process, oldest first."""
    with _in_flight_lock:
        return sorted(_in_flight.values(), key=lambda f: f[1])


def value(name: str, labels: dict[str, str] | None = None) -> float:
    """A sample's current value (0 when never set): for /healthz and for tests."""
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def poll_done(outcome: PollOutcome, finished: float) -> None:
    """Count one poll's outcome (``finished`` is its Unix end time)."""
    POLLS.labels(outcome.status).inc()
    if outcome.status == "skipped":
        return
    ITEMS.labels("new").inc(outcome.items_new)
    ITEMS.labels("duplicate").inc(outcome.items_duplicate)
    POLL_SECONDS.observe(outcome.elapsed)
    if outcome.status != "error":
        LAST_POLL.set(finished)


def alerts_decided(decided: list[Decided], elapsed: float, finished: float) -> None:
    for d in decided:
        ALERT_DECISIONS.labels(d.decision).inc()
    ALERT_CYCLE_SECONDS.observe(elapsed)
    LAST_ALERT_CYCLE.set(finished)


def delivery_done(route: str, result: str, latency: float | None = None) -> None:
    DELIVERIES.labels(route.partition(":")[0], result).inc()
    if latency is not None:
        DELIVERY_LATENCY.observe(max(latency, 0.0))


def verdicts_reported(rows: Iterable[RuleReport]) -> None:
    """Set the verdict gauges from ``warning alerts report``'s rows (last 30 days)."""
    ALERT_VERDICTS.clear()
    RULE_PRECISION.clear()
    for r in rows:
        for verdict, n in r.counts.items():
            ALERT_VERDICTS.labels(r.rule, r.label, verdict).set(n)
        ALERT_VERDICTS.labels(r.rule, r.label, "none").set(r.alerts - r.judged)
        if r.precision is not None:
            RULE_PRECISION.labels(r.rule, r.label).set(r.precision)
