"""The outbox: deliver pending alert messages, retrying until they are sent.

Deliveries are rows (queries in store/outbox.py), inserted with their alert before any
notifier runs. Each is *claimed* (a compare-and-set, so two instances never
both take it) for a lease, sent, then marked sent with the reference later
messages of the same alert thread under. A failure that a retry can fix waits
with exponential backoff (or the server's Retry-After); one that cannot (an
unknown channel, a refused recipient) is marked failed and logged as an error.

A process that dies after claiming leaves the row "sending"; when the lease
expires it is due again. That is at-least-once in one narrow window — the
crash must land between the server accepting the message and our commit —
chosen over at-most-once: a lost alert is worse than a rare duplicate.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Literal, Protocol

from .. import metrics
from ..errors import DeliveryError
from ..notify import Notifier, Notifiers
from ..notify.render import place_name
from ..records import AlertMessage, Decision, Headline, Incident, VerdictShown
from ..store import Store
from ..store.alerts import Delivery, StoredAlert
from . import watcher
from .verdicts import TITLES, standing

log = logging.getLogger(__name__)

#: How long a claimed delivery is ours; longer than any notifier's timeout.
LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
MAX_HEADLINES = 10

#: How one attempt at an outbox row ended.
Outcome = Literal["sent", "retrying", "failed"]


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def retry_delay(attempts: int, retry_after: float | None) -> timedelta:
    """30 s, 1 min, 2 min, ... up to an hour, with jitter; never sooner than Retry-After."""
    delay = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)
    delay *= 1 + random.uniform(0, 0.2)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def compose(
    *,
    alert_id: int,
    key: str,
    decision: Decision,
    rule: str,
    subject: str,
    label: str,
    severity: str,
    score: float,
    outlets: tuple[str, ...],
    headlines: Sequence[Headline],
    terms: tuple[str, ...],
    model: str | None,
    opened: datetime,
    at: datetime,
    spike: float | None,
    level: int | None,
    note: str | None = None,
    verdict: VerdictShown | None = None,
) -> AlertMessage:
    """The one way an alert message is built, whether it is sent or only logged (a dry
    run): the place named from the subject, at most MAX_HEADLINES headlines, and the
    operator kind for the built-in rules about the daemon itself."""
    return AlertMessage(
        alert_id=alert_id,
        key=key,
        decision=decision,
        rule=rule,
        subject=subject,
        place=place_name(subject),
        label=label,
        severity=severity,
        score=score,
        outlets=outlets,
        headlines=tuple(headlines[:MAX_HEADLINES]),
        terms=terms,
        model=model,
        opened=opened,
        at=at,
        spike=spike,
        level=level,
        kind="operator" if rule.startswith(watcher.PREFIX) else "alert",
        note=note,
        verdict=verdict,
    )


def message(alert: StoredAlert, delivery: Delivery, store: Store) -> AlertMessage:
    """The message a delivery carries: the alert as it stood at the event's time."""
    found = store.alerts.headlines(delivery.items[:MAX_HEADLINES])
    headlines = tuple(
        Headline(title, link, outlet, seen)
        for title, link, outlet, seen in (found[i] for i in delivery.items if i in found)
    )
    terms = store.alerts.terms(delivery.items[:MAX_HEADLINES], alert.label)
    return compose(
        alert_id=alert.id,
        key=f"{alert.id}.{delivery.seq}.{delivery.id}",
        decision=delivery.decision,  # type: ignore[arg-type]
        rule=alert.rule,
        subject=alert.subject,
        label=alert.label,
        severity=alert.severity,
        score=delivery.score,
        outlets=delivery.outlets,
        headlines=headlines,
        terms=terms,
        model=alert.model,
        opened=alert.opened_at,
        at=delivery.at,
        spike=delivery.spike,
        level=delivery.level,
        note=delivery.note,
        verdict=shown(store, alert.id),
    )


def thread(store: Store, alert: StoredAlert, route: str) -> tuple[str | None, int | None]:
    """The reference a message of ``alert`` threads under on ``route``, and the alert whose
    message opened that thread: its incident's first delivered message (grouping), else
    the alert's own first message; (None, None) for the first message of a thread."""
    if alert.incident_id is None:
        ref = store.alerts.thread_ref(alert.id, route)
        return ref, alert.id if ref is not None else None
    found = store.incidents.thread(alert.incident_id, route)
    return found if found is not None else (None, None)


def incident(store: Store, alert: StoredAlert, route: str, parent: int | None) -> Incident | None:
    """The incident a message of ``alert`` belongs to: its open alerts, and the thread's
    first message as it stands when that is another alert's (for Slack's parent)."""
    if alert.incident_id is None:
        return None
    above = None
    if parent is not None and parent != alert.id:
        opener = store.alerts.get(parent)
        latest = store.alerts.latest(parent, route)
        if opener is not None and latest is not None:
            above = message(opener, latest, store)
    return Incident(alert.incident_id, store.incidents.entries(alert.incident_id), above)


def shown(store: Store, alert_id: int) -> VerdictShown | None:
    """The verdict standing on an alert, for its messages (None when nobody judged it)."""
    verdict = standing(store.verdicts.of_alert(alert_id))
    if verdict is None:
        return None
    return VerdictShown(TITLES.get(verdict.decision, verdict.decision), verdict.by_name, verdict.at)


def deliver(store: Store, notifiers: Notifiers, now: datetime, limit: int = 100) -> DeliveryReport:
    """Try every due delivery once; never raises for a notifier's failure."""
    results: Counter[Outcome] = Counter()
    for delivery in store.alerts.due(now, limit):
        if not store.alerts.claim(delivery, now, LEASE):
            continue  # another instance has it
        alert = store.alerts.get(delivery.alert_id)
        assert alert is not None  # deliveries are deleted with their alert
        notifier, target = notifiers.resolve(delivery.route)
        result = attempt(
            partial(_send, store, alert, delivery, notifier, target),
            store.alerts.finish,
            delivery,
            now,
            f"alert={alert.id} route={delivery.route}",
        )
        sent = result == "sent"
        metrics.delivery_done(
            delivery.route, result, (now - delivery.at).total_seconds() if sent else None
        )
        if sent:
            log.info("alert=%d route=%s %s sent", alert.id, delivery.route, delivery.decision)
        results[result] += 1
    return DeliveryReport(results["sent"], results["retrying"], results["failed"])


def _send(
    store: Store, alert: StoredAlert, delivery: Delivery, notifier: Notifier, target: str | None
) -> str | None:
    reference, parent = thread(store, alert, delivery.route)
    grouped = incident(store, alert, delivery.route, parent)
    msg = replace(message(alert, delivery, store), incident=grouped)
    return notifier.send(msg, target, reference)


class Claimed(Protocol):
    """An outbox row taken for sending (an alert's delivery, a brief)."""

    @property
    def id(self) -> int: ...
    @property
    def attempts(self) -> int: ...


def attempt(
    send: Callable[[], str | None],
    finish: Callable[..., None],
    row: Claimed,
    now: datetime,
    what: str,
) -> Outcome:
    """Send one claimed outbox row and record how it ended: sent (with the reference
    later messages thread under), failed for good, or pending again after a backoff —
    for a failure a retry can fix, and for a bug of ours, so that a fix delivers it.
    Logs as ``what``; never raises for a notifier's failure."""
    try:
        ref = send()
    except DeliveryError as exc:
        if not exc.retryable:
            finish(row.id, "failed", last_error=str(exc))
            log.error("%s FAILED, will not retry: %s", what, exc)
            return "failed"
        wait, error = retry_delay(row.attempts + 1, exc.retry_after), str(exc)
        log.warning("%s not delivered (attempt %d, next in %ds): %s",
                    what, row.attempts + 1, wait.total_seconds(), exc)  # fmt: skip
    except Exception as exc:  # a bug of ours must not stop the outbox
        log.exception("%s internal error while sending", what)
        wait, error = retry_delay(row.attempts + 1, None), f"internal error: {exc!r}"
    else:
        finish(row.id, "sent", sent_at=now, ref=ref, last_error=None)
        return "sent"
    finish(row.id, "pending", next_try=now + wait, last_error=error)
    return "retrying"
