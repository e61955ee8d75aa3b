"""Leases: several instances on one PostgreSQL share the feeds (Store.lease)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    """Add feeds.lease_owner and feeds.lease_until."""
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("lease_owner", sa.Text(), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the lease columns."""
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
