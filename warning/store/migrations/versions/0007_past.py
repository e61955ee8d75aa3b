"""Old news: why an item reports a past event (records.Assessment.past)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    """Add items.past."""
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("past", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop items.past."""
    with op.batch_alter_table("items") as batch:
        batch.drop_column("past")
