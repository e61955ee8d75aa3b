"""What polling runs on, built from the settings in one place for the daemon and ``poll --once``.

The store, the fetcher, the worker pool, the notifiers and the pipeline over them:
``warning run`` keeps one for its lifetime and ``warning poll --once`` one for a
cycle, so what is tested one-shot is wired as in production.
"""

from __future__ import annotations

import gc
from contextlib import ExitStack

from ..config import Settings
from ..notify import Notifiers
from ..notify.slack import SlackNotifier
from ..pipeline import Pipeline, fetch_limits, worker_pool
from ..sources.http import Fetcher
from ..store import Store


class Runtime:
    """The parts of a poll cycle for one configuration; a reload swaps the settings'
    parts (notifiers, pipeline) and keeps the store, the fetcher and the workers."""

    def __init__(self, settings: Settings, *, dry_run: bool = False) -> None:
        self.dry_run = dry_run
        with ExitStack() as undo:  # a part that fails to start closes those before it
            self.store = Store(settings.database.reveal())
            undo.callback(self.store.close)
            self.fetcher = Fetcher(fetch_limits(settings), concurrency=settings.poll.concurrency)
            undo.callback(self.fetcher.close)
            self.workers = worker_pool(settings)
            undo.callback(self.workers.close)
            self.settings = settings
            self._configure()
            undo.pop_all()

    def _configure(self) -> None:
        settings = self.settings
        self.notifiers = Notifiers(settings.notify, dry_run=self.dry_run)
        self.pipeline = Pipeline(settings, self.store, self.fetcher, self.workers, self.notifiers)

    def slack(self) -> SlackNotifier | None:
        """The running Slack notifier (a reload replaces it), which shows verdict clicks."""
        notifier = self.notifiers.configured.get("slack")
        return notifier if isinstance(notifier, SlackNotifier) else None

    def sync_feeds(self) -> None:
        """The stored feeds in line with the configured ones."""
        self.store.sync_feeds((f.name, f.kind, f.url, f.outlet) for f in self.settings.feeds)

    def start(self) -> None:
        """The schema brought up to date, then the feeds synced.

        On a new database every feed's first answer comes in full, to be parsed, and a
        large one is shared among all the workers: they all start now, while the schema
        is created (0.2 s on SQLite), rather than when the cycle begins
        (docs/performance.md).
        """
        if self.settings.feeds and self.store.is_new():
            self.workers.warm(self.workers.workers)
        self.store.migrate()
        self.sync_feeds()
        _freeze_startup()

    def reconfigure(self, settings: Settings) -> None:
        """Run ``settings`` from now on: a new pipeline, which starts clean, with its own
        notifiers; polls in flight finish with the pipeline they started with."""
        old = self.notifiers
        self.settings = settings
        self.sync_feeds()
        self._configure()
        old.close()

    def stop(self, grace: float | None = None) -> None:
        """Cancel fetches in flight; worker tasks get ``grace`` seconds (default: the
        pool's) to finish their database writes before they are killed."""
        self.fetcher.close()
        if grace is None:
            self.workers.close()
        else:
            self.workers.close(grace)

    def close(self) -> None:
        """Close the notifiers and the store (after :meth:`stop`)."""
        self.notifiers.close()
        self.store.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.stop()
        finally:
            self.close()


_frozen = False


def _freeze_startup() -> None:
    """Set what exists at the first start aside from the cyclic garbage collector.

    Modules, tables, the settings and the sources live as long as the process, yet
    every full collection walks them all again, several times a cycle: 0.03-0.05 s of
    a cycle of 1,000 feeds (docs/performance.md). Refcounting still frees whatever of
    it is dropped later; only a reference cycle among it would stay. Once per process:
    a test process starts many runtimes, and their leftovers must stay collectable.
    """
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()
