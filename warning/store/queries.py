"""The Store: one :class:`~warning.store.database.Database` and the query classes on it.

No other module talks SQL. The Store only composes: the engine and transactions are
the Database's (database.py), the queries are small classes that each take it
(feeds.py, items.py, alerts.py with evidence.py and outbox.py, advisories.py,
verdicts.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from warning.records import FeedState
from warning.store.advisories import AdvisoryQueries
from warning.store.alerts import AlertQueries
from warning.store.brief import BriefQueries
from warning.store.database import Database
from warning.store.feeds import FeedQueries
from warning.store.incidents import IncidentQueries
from warning.store.items import ItemQueries, StoredItem
from warning.store.situation import SituationQueries
from warning.store.verdicts import VerdictQueries

__all__ = ["Store", "StoredItem"]


class Store:
    """The database behind the daemon: feeds and their state, items, alerts, advisories.

    ``store.alerts``, ``store.advisories`` and ``store.verdicts`` are query objects; the
    feed and item queries, which the polling side calls everywhere, are also methods of
    the Store (``record_poll`` and ``stored_already`` are the item queries' own, bound).
    """

    def __init__(self, url: str) -> None:
        self.db = Database(url)
        self.feeds = FeedQueries(self.db)
        self._items = ItemQueries(self.db, self.feeds)
        # The polling side's two item calls, bound rather than restated: one signature.
        self.record_poll = self._items.record_poll
        self.stored_already = self._items.stored_already
        self.matching_items = self._items.matching
        self.alerts = AlertQueries(self.db)
        self.advisories = AdvisoryQueries(self.db)
        self.verdicts = VerdictQueries(self.db)
        self.briefs = BriefQueries(self.db)
        self.incidents = IncidentQueries(self.db)
        self.situation = SituationQueries(self.db, self.alerts, self.verdicts)

    @property
    def dialect(self) -> str:
        """The backend's name: ``"sqlite"`` or ``"postgresql"``."""
        return self.db.dialect

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection."""
        self.db.close()

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision (safe to call on every start)."""
        self.db.migrate()

    def is_new(self) -> bool:
        """Whether the database has no schema of ours yet: a first start."""
        return self.db.is_new()

    def ping(self) -> None:
        """Check the database answers; StoreError when it does not."""
        self.db.ping()

    # --- feeds (FeedQueries) --------------------------------------------------------

    def sync_feeds(self, feeds_: Iterable[tuple[str, str, str, str]]) -> None:
        """Make the feeds table know every configured (name, kind, url, outlet)."""
        self.feeds.sync(feeds_)

    def feed_state(self, name: str) -> FeedState:
        """The polling state of one feed; defaults when it was never polled."""
        return self.feeds.state(name)

    def feed_states(self) -> dict[str, FeedState]:
        """The polling state of every feed the database knows, by name."""
        return self.feeds.states()

    def lease(
        self, name: str, owner: str, now: datetime, hold: timedelta, due_by: datetime | None
    ) -> FeedState | None:
        """Take feed ``name`` for one poll (see :meth:`FeedQueries.lease`)."""
        return self.feeds.lease(name, owner, now, hold, due_by)

    def release(self, name: str, owner: str) -> None:
        """End this process's lease on a feed."""
        self.feeds.release(name, owner)

    def save_state(self, state: FeedState) -> None:
        """Save a feed's state alone (a failure, a 304), creating the feed if needed."""
        self.feeds.save_state(state)

    def save_states(self, states: Sequence[FeedState]) -> None:
        """Save several feeds' states in one transaction."""
        self.feeds.save_states(states)

    # --- items (ItemQueries) --------------------------------------------------------

    def count_items(self) -> int:
        """How many distinct items are stored."""
        return self._items.count()

    def items(self, limit: int | None = None) -> list[StoredItem]:
        """Stored items, newest first (by first sighting), each with its outlets."""
        return self._items.newest(limit)
