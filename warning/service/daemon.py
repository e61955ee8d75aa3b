"""The long-running service: scheduler, signals, reload, shutdown, systemd.

Signal handlers only set flags; the main thread does the work. Each feed is
one APScheduler job with a stable id. The feeds' next due times live in the
database, so a restart continues where the last run stopped instead of
hammering every feed at once.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from .. import config
from ..config import Settings
from ..errors import ConfigError, StoreError
from ..pipeline.polling import poll_budget
from ..sources import Feed
from ..store.engine import safe_url
from . import sdnotify
from .health import Health, HealthServer
from .interactions import Clicks, InteractionServer
from .runtime import Runtime
from .socketmode import SocketMode

log = logging.getLogger(__name__)

HEARTBEAT = timedelta(seconds=5)
#: Scheduler progress older than this stops the watchdog pings, so systemd restarts us.
STALL = timedelta(seconds=60)
#: First polls after start are spread over this much time (or the feed's interval if shorter).
START_SPREAD = timedelta(seconds=30)
START_STEP = timedelta(milliseconds=50)
#: Rules are evaluated, and due deliveries sent, this often.
ALERT_EVERY = timedelta(seconds=30)
#: On stop, how long worker tasks in flight may finish their database writes before
#: they are killed: half of the unit's TimeoutStopSec=20s, leaving the rest for an
#: alert delivery in flight and closing up.
STOP_GRACE = timedelta(seconds=10)
#: Worker processes with no task for this long are stopped (and started again by the
#: next feed with news): an idle daemon keeps only its own memory.
WORKER_IDLE = timedelta(minutes=15)


class Daemon:
    """``warning run``: poll every feed on its own schedule until told to stop."""

    def __init__(self, config_path: Path, settings: Settings, *, dry_run: bool = False) -> None:
        self.config_path = config_path
        # Set by signal handlers; acted on by the main loop, which `wake` rouses.
        self.stop_requested = False
        self.reload_requested = False
        self.wake = threading.Event()
        self.stopping = False
        self.last_beat = time.monotonic()
        self.runtime = Runtime(settings, dry_run=dry_run)
        self.health: HealthServer | None = None
        self.interactions: InteractionServer | None = None
        self.socket_mode: SocketMode | None = None
        self.web: Any = None  # web.server.WebServer, imported only when web.listen is set
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(settings.poll.workers)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )

    @property
    def settings(self) -> Settings:
        """The configuration running now (a reload replaces it)."""
        return self.runtime.settings

    # --- signals: flags only ------------------------------------------------

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested = True
        self.wake.set()

    def _on_reload(self, signum: int, frame: FrameType | None) -> None:
        self.reload_requested = True
        self.wake.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)

    # --- lifecycle ----------------------------------------------------------

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; returns the exit status."""
        self.install_signal_handlers()
        self.runtime.start()
        self._schedule(self.settings.feeds)
        self.scheduler.add_job(
            self._beat,
            IntervalTrigger(seconds=HEARTBEAT.total_seconds()),
            id="heartbeat",
            misfire_grace_time=None,
        )
        self.scheduler.add_job(
            self.runtime.workers.retire_idle,
            IntervalTrigger(minutes=1),
            args=(WORKER_IDLE.total_seconds(),),
            id="retire-workers",
            misfire_grace_time=None,
        )
        self.scheduler.add_job(
            self._alert_job,
            IntervalTrigger(seconds=ALERT_EVERY.total_seconds()),
            id="alerts",
            next_run_time=datetime.now(UTC),  # resume pending deliveries at once
            misfire_grace_time=None,
        )
        # The morning brief: queued once its time has come (brief.at in brief.timezone)
        # under a once-a-day key, and sent or retried, checked every minute.
        self.scheduler.add_job(
            self._brief_job, IntervalTrigger(minutes=1), id="brief", misfire_grace_time=None
        )
        self.scheduler.start()
        self._start_health()
        self._start_verdicts()
        self._start_web()
        sdnotify.notify("READY=1", f"STATUS=polling {len(self.settings.feeds)} feeds")
        log.info(
            "started: %d feeds, database %s",
            len(self.settings.feeds),
            safe_url(self.settings.database.reveal()),
        )
        watchdog = sdnotify.watchdog_interval()
        tick = min(watchdog / 2, 5.0) if watchdog else 5.0
        while not self.stop_requested:
            self.wake.wait(tick)
            self.wake.clear()
            if self.stop_requested:
                break
            if self.reload_requested:
                self.reload_requested = False
                self.reload()
            if watchdog and time.monotonic() - self.last_beat < STALL.total_seconds():
                sdnotify.notify("WATCHDOG=1")
        self.shutdown()
        return 0

    def shutdown(self) -> None:
        """Cancel fetches in flight, let database writes finish, close everything."""
        sdnotify.notify("STOPPING=1")
        log.info("stopping")
        self.stopping = True
        # Fetches end at once with FetchCancelled; jobs not yet started return without
        # doing anything. Worker tasks get STOP_GRACE to finish their transactions, then
        # are killed (one may be stuck in C code for good): the workers close before the
        # scheduler, whose shutdown waits for poll jobs that wait for their tasks.
        self.runtime.stop(STOP_GRACE.total_seconds())
        self.scheduler.shutdown(wait=True)
        for listener in (self.health, self.interactions, self.socket_mode, self.web):
            if listener is not None:
                listener.close()
        self.runtime.close()
        log.info("stopped")

    def reload(self) -> None:
        """Re-read the configuration; on any error keep running the last good one."""
        sdnotify.reloading()
        try:
            new = config.load(self.config_path)
        except ConfigError as exc:
            for problem in exc.problems:
                log.error("reload failed, keeping the running configuration: %s", problem)
            # An operator alert until a reload succeeds (a new pipeline starts clean).
            self.runtime.pipeline.alerter.reload_problems = tuple(str(p) for p in exc.problems)
            sdnotify.notify("READY=1", "STATUS=reload failed; running the previous configuration")
            return
        old = self.settings
        for key in ("database", "poll", "health", "interactions", "web"):
            if getattr(new, key) != getattr(old, key):
                log.warning("reload: `%s` changed; it takes effect after a restart", key)
        if _app_token(new) != _app_token(old):
            log.warning("reload: notify.slack.app_token changed; it takes effect after a restart")
        new = replace(
            new,
            database=old.database,
            poll=old.poll,
            health=old.health,
            interactions=old.interactions,
            web=old.web,
        )
        self.runtime.reconfigure(new)
        old_feeds = {f.name: f for f in old.feeds}
        new_feeds = {f.name: f for f in new.feeds}
        for name in old_feeds.keys() - new_feeds.keys():
            self.scheduler.remove_job(_job_id(name))
        changed = [f for f in new.feeds if old_feeds.get(f.name) != f]
        for feed in changed:
            if feed.name in old_feeds:
                self.scheduler.remove_job(_job_id(feed.name))
        self._schedule(changed)
        log.info(
            "reloaded %s: %d feeds (%d added or changed, %d removed)",
            self.config_path,
            len(new.feeds),
            len(changed),
            len(old_feeds.keys() - new_feeds.keys()),
        )
        sdnotify.notify("READY=1", f"STATUS=polling {len(new.feeds)} feeds")

    # --- jobs ---------------------------------------------------------------

    def _schedule(self, feeds: tuple[Feed, ...] | list[Feed]) -> None:
        states = self.runtime.store.feed_states()
        now = datetime.now(UTC)
        for feed in feeds:
            every = feed.every.total_seconds()
            due = states[feed.name].next_due if feed.name in states else None
            # Many feeds start spread out; a handful start at once.
            spread = min(START_SPREAD, feed.every, START_STEP * len(feeds)).total_seconds()
            first = max(due or now, now) + timedelta(seconds=random.uniform(0, spread))
            self.scheduler.add_job(
                self._poll_job,
                IntervalTrigger(seconds=every, jitter=every * self.settings.poll.jitter),
                args=(feed.name,),
                id=_job_id(feed.name),
                name=feed.name,
                next_run_time=first,
                # A poll delayed by a busy pool still runs, up to half an interval late.
                misfire_grace_time=max(1, int(every / 2)),
            )

    def _poll_job(self, name: str) -> None:
        if self.stopping:
            return
        pipeline = self.runtime.pipeline  # a reload swaps it whole: one consistent snapshot
        if name in pipeline.sources:
            pipeline.poll(name)

    def _start_health(self) -> None:
        """The /healthz and /metrics listener, when the configuration asks for one."""
        listen = self.settings.health.listen
        if listen is None:
            return
        every = [f.every for f in self.settings.feeds]
        judge = Health(
            self.runtime.store,
            ALERT_EVERY,
            min(every) if every else None,
            feeds=lambda: {f.name: f.every for f in self.settings.feeds},  # follows reloads
            poll_budget=poll_budget(self.settings),
        )
        try:
            self.health = HealthServer(*listen, judge).start()
        except OSError as exc:  # a taken port must not stop the alerting itself
            log.error("health listener on %s:%d not started: %s", *listen, exc)

    def _start_verdicts(self) -> None:
        """What receives Slack's verdict clicks: the HTTP listener (``interactions.listen``)
        and Socket Mode (``notify.slack.app_token``), each when configured."""
        slack = self.settings.notify.get("slack")
        if slack is None or self.runtime.dry_run:
            return

        def options() -> Any:  # follows reloads, as the notifier does
            return self.settings.notify.get("slack")

        def secret() -> Any:
            return getattr(options(), "signing_secret", None)

        def clicks() -> Clicks:
            return Clicks(self.runtime.store, options, self.runtime.slack)

        listen = self.settings.interactions.listen
        if listen is not None:
            try:
                self.interactions = InteractionServer(*listen, clicks(), secret).start()
            except OSError as exc:  # a taken port must not stop the alerting itself
                log.error("Slack interactions listener on %s:%d not started: %s", *listen, exc)
        if slack.app_token is not None:
            self.socket_mode = SocketMode(slack.app_token, slack.base_url, clicks()).start()

    def _start_web(self) -> None:
        """The read-only situation page (``web.listen``), on its own read-only connection."""
        listen = self.settings.web.listen
        if listen is None:
            return
        from ..web.server import WebServer, open_site

        token = self.settings.web.token
        site = open_site(self.settings.database.reveal(), lambda: self.settings.zones)
        try:
            self.web = WebServer(*listen, site, token.reveal() if token else None).start()
        except OSError as exc:  # a taken port must not stop the alerting itself
            site.store.close()
            log.error("situation page on %s:%d not started: %s", *listen, exc)

    def _alert_job(self) -> None:
        """Evaluate the rules and deliver what is due; a failure waits for the next run."""
        if self.stopping:
            return
        try:
            self.runtime.pipeline.alert_cycle()
        except StoreError as exc:
            log.error("alert cycle skipped: %s", exc)

    def _brief_job(self) -> None:
        """The brief when it is due (brief/send.py); a failure waits for the next minute."""
        if self.stopping:
            return
        from ..brief.send import tick

        try:
            tick(self.runtime.store, self.runtime.notifiers, self.settings.brief, datetime.now(UTC))
        except StoreError as exc:
            log.error("brief skipped: %s", exc)

    def _beat(self) -> None:
        self.last_beat = time.monotonic()


def _app_token(settings: Settings) -> Any:
    return getattr(settings.notify.get("slack"), "app_token", None)


def _job_id(name: str) -> str:
    return f"feed:{name}"
