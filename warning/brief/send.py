"""The brief sent once per period, to each route, retried until it goes.

Each route's brief is queued under the dedup key ``brief:ROUTE:DATE`` (the date in
``brief.timezone``) before anything is sent: two daemons on one database, or a
restart after the send, find the key taken and queue nothing. Sending then claims the
row (a compare-and-set with a lease, as the alert outbox does) so only one instance
sends it; a failure a retry can fix waits with the outbox's backoff, one that cannot is
marked failed and logged. A crash between Slack accepting the message and our commit
sends it again once the lease expires: at least once, as alerts (alerting/outbox.py).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from ..alerting.outbox import LEASE, DeliveryReport, Outcome, attempt
from ..notify import Notifier, Notifiers
from ..notify.apprise import AppriseNotifier
from ..notify.email import EmailNotifier
from ..notify.slack import SlackNotifier
from ..notify.webhook import WebhookNotifier
from ..store import Store
from ..store.brief import StoredBrief
from . import render
from .gather import Brief, gather, window
from .options import BriefOptions

log = logging.getLogger(__name__)
brief_log = logging.getLogger("warning.brief")

#: The brief covers this much time before it is made.
SINCE = timedelta(hours=24)
#: A daemon that was down at ``at`` still sends the day's brief this much later, not after.
LATE = timedelta(hours=6)


def key(route: str, period: str) -> str:
    """The once-per-period key of one route's brief."""
    return f"brief:{route}:{period}"


@dataclass(frozen=True, slots=True)
class Queued:
    route: str
    key: str
    #: False when the key was taken already: this period's brief was queued before.
    new: bool


def make(
    store: Store, options: BriefOptions | None, now: datetime, since: timedelta = SINCE
) -> Brief:
    """The brief for the ``since`` before ``now``; with no ``brief:`` section, in UTC about
    the countries with an alert or a signal up."""
    start, end = window(now, since)
    if options is None:
        return gather(store, start, end, (), "UTC")
    return gather(store, start, end, options.countries, options.timezone.key)


def queue(store: Store, brief: Brief, routes: tuple[str, ...], now: datetime) -> list[Queued]:
    """Queue ``brief`` for each route under its period's key; taken keys queue nothing."""
    period = render.period(brief)
    content = brief.to_json()
    out = []
    for route in routes:
        k = key(route, period)
        out.append(Queued(route, k, store.briefs.queue(k, route, period, content, now)))
    return out


def due_today(options: BriefOptions, now: datetime) -> bool:
    """Whether ``now`` is at or after today's ``at`` (local time), within LATE of it."""
    local = now.astimezone(options.timezone)
    at = datetime.combine(local.date(), options.at, tzinfo=options.timezone)
    return at <= local < at + LATE


def tick(store: Store, notifiers: Notifiers, options: BriefOptions | None, now: datetime) -> None:
    """The daemon's brief job, every minute: queue today's brief once it is time, then
    send what is due (a retry included). The key makes the queueing once per day."""
    if options is not None and due_today(options, now) and not notifiers.dry_run:
        period = f"{now.astimezone(options.timezone):%Y-%m-%d}"
        missing = tuple(r for r in options.routes if store.briefs.get(key(r, period)) is None)
        if missing:
            for q in queue(store, make(store, options, now), missing, now):
                if q.new:
                    log.info("brief %s queued", q.key)
    if not notifiers.dry_run:
        deliver(store, notifiers, now)


def deliver(store: Store, notifiers: Notifiers, now: datetime) -> DeliveryReport:
    """Try every due brief once; never raises for a notifier's failure."""
    results: Counter[Outcome] = Counter()
    for brief in store.briefs.due(now):
        if not store.briefs.claim(brief, now, LEASE):
            continue  # another instance has it
        sending = partial(send, brief, notifiers)
        result = attempt(sending, store.briefs.finish, brief, now, brief.dedup_key)
        if result == "sent":
            log.info("%s sent", brief.dedup_key)
        results[result] += 1
    return DeliveryReport(results["sent"], results["retrying"], results["failed"])


def send(stored: StoredBrief, notifiers: Notifiers) -> str:
    """Render the queued brief for the route's notifier and send it; its reference."""
    notifier, target = notifiers.resolve(stored.route)
    return _send(notifier, target, Brief.from_json(stored.content), stored.dedup_key)


def _send(notifier: Notifier, target: str | None, brief: Brief, dedup_key: str) -> str:
    if isinstance(notifier, SlackNotifier):
        return notifier.post(render.slack_text(brief), render.slack_blocks(brief), target)
    if isinstance(notifier, EmailNotifier):
        subject = render.email_subject(brief)
        return notifier.mail(subject, render.text(brief), render.email_html(brief), target,
                             dedup_key)  # fmt: skip
    if isinstance(notifier, WebhookNotifier):  # the brief's data, for the receiver to lay out
        return notifier.post_json({"brief": json.loads(brief.to_json())}, dedup_key)
    if isinstance(notifier, AppriseNotifier):
        body = render.text(brief).partition("\n")[2].lstrip("\n")  # the title goes apart
        return notifier.announce(render.title(brief), body, dedup_key, target)
    # The log, and any route whose notifier is not configured (its fallback).
    for line in render.text(brief).splitlines():
        brief_log.warning("%s: %r", target or "brief", line)  # %r: feed text stays on one line
    return f"log:{dedup_key}"
