"""The schema as SQLAlchemy Core tables, on one MetaData.

Alembic migrations (``migrations/versions``) create exactly this schema; a test
compares the two. Constraint names come from the naming convention so that a
later migration can refer to them by a name that is the same on every backend.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from warning.store.engine import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


#: One row per source ever configured; rows are never deleted, so history keeps its feed.
feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("kind", Text),
    Column("url", Text),
    Column("outlet", Text),
    # Polling state (records.FeedState).
    Column("etag", Text),
    Column("last_modified", Text),
    Column("final_url", Text),
    Column("next_due", UTCDateTime),
    Column("last_attempt", UTCDateTime),
    Column("last_success", UTCDateTime),
    Column("consecutive_failures", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Column("last_warning", Text),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow),
)

#: One row per story. Each dedup key is unique where present (NULLs do not collide).
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guid_key", Text, unique=True),
    Column("url_key", Text, unique=True),
    Column("content_hash", Text, unique=True),
    Column("title", Text, nullable=False),
    Column("summary", Text),
    Column("link", Text),
    Column("published", UTCDateTime, index=True),
    Column("first_seen", UTCDateTime, nullable=False, index=True),
    Column("lang", Text),
    Column("feed_id", Integer, ForeignKey("feeds.id"), nullable=False),
    Column("outlet", Text),
)

#: Which feeds (and so outlets) carried each story: a story counts once per outlet.
sightings = Table(
    "sightings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("feed_id", Integer, ForeignKey("feeds.id"), nullable=False),
    Column("outlet", Text),
    Column("seen_at", UTCDateTime, nullable=False),
    UniqueConstraint("item_id", "feed_id"),
)

#: The countries each item is about (geo.resolve), most salient first (rank 0 = primary).
item_countries = Table(
    "item_countries",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("code", Text, primary_key=True),
    Column("score", Float, nullable=False),
    Column("rank", Integer, nullable=False),
    # Signals are aggregated per country; the primary key leads with item_id.
    Index("ix_item_countries_code", "code"),
)

#: The places each item mentions, with coordinates where known (for watch zones).
item_places = Table(
    "item_places",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("country", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("admin1", Text),
    Column("lat", Float),
    Column("lon", Float),
    Column("in_title", Boolean, nullable=False),
    Index("ix_item_places_item_id", "item_id"),
)

#: The classifier's verdict on each item, one row per label (terms: the words that
#: pushed the label up, space-separated, for labels above their threshold).
item_scores = Table(
    "item_scores",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("label", Text, primary_key=True),
    Column("probability", Float, nullable=False),
    Column("above", Boolean, nullable=False),
    Column("terms", Text, nullable=False),
    Column("model", Text),
)
