"""Geotags: the countries each item is about and the places it mentions."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    """Create item_countries and item_places."""
    op.create_table(
        "item_countries",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name="fk_item_countries_item_id_items", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", "code", name="pk_item_countries"),
    )
    op.create_index("ix_item_countries_code", "item_countries", ["code"])
    op.create_table(
        "item_places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("country", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("admin1", sa.Text(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("in_title", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name="fk_item_places_item_id_items", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_item_places"),
    )
    op.create_index("ix_item_places_item_id", "item_places", ["item_id"])


def downgrade() -> None:
    """Drop the geotag tables."""
    op.drop_index("ix_item_places_item_id", table_name="item_places")
    op.drop_table("item_places")
    op.drop_index("ix_item_countries_code", table_name="item_countries")
    op.drop_table("item_countries")
