"""Initial schema: feeds with their polling state, items, sightings."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

# Migrations spell types out rather than import the application's: a migration must
# keep creating the same schema after tables.py has moved on. UTCDateTime is this.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the feeds, items and sightings tables."""
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("outlet", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("next_due", UTC_DATETIME, nullable=True),
        sa.Column("last_attempt", UTC_DATETIME, nullable=True),
        sa.Column("last_success", UTC_DATETIME, nullable=True),
        sa.Column(
            "consecutive_failures", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_warning", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feeds"),
        sa.UniqueConstraint("name", name="uq_feeds_name"),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guid_key", sa.Text(), nullable=True),
        sa.Column("url_key", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("published", UTC_DATETIME, nullable=True),
        sa.Column("first_seen", UTC_DATETIME, nullable=False),
        sa.Column("lang", sa.Text(), nullable=True),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("outlet", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], name="fk_items_feed_id_feeds"),
        sa.PrimaryKeyConstraint("id", name="pk_items"),
        sa.UniqueConstraint("guid_key", name="uq_items_guid_key"),
        sa.UniqueConstraint("url_key", name="uq_items_url_key"),
        sa.UniqueConstraint("content_hash", name="uq_items_content_hash"),
    )
    op.create_index("ix_items_published", "items", ["published"])
    op.create_index("ix_items_first_seen", "items", ["first_seen"])
    op.create_table(
        "sightings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("outlet", sa.Text(), nullable=True),
        sa.Column("seen_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name="fk_sightings_item_id_items", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], name="fk_sightings_feed_id_feeds"),
        sa.PrimaryKeyConstraint("id", name="pk_sightings"),
        sa.UniqueConstraint("item_id", "feed_id", name="uq_sightings_item_id_feed_id"),
    )


def downgrade() -> None:
    """Drop everything revision 0001 created."""
    op.drop_table("sightings")
    op.drop_index("ix_items_first_seen", table_name="items")
    op.drop_index("ix_items_published", table_name="items")
    op.drop_table("items")
    op.drop_table("feeds")
