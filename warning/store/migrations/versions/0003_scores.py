"""Scores: the classifier's probability per label for each item, and why."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    """Create item_scores."""
    op.create_table(
        "item_scores",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("above", sa.Boolean(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("model", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name="fk_item_scores_item_id_items", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", "label", name="pk_item_scores"),
    )


def downgrade() -> None:
    """Drop item_scores."""
    op.drop_table("item_scores")
