"""Incidents (alerts grouped per subject into one thread) and inhibition marks."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"

# Types spelled out, not imported from the application (see 0001).
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create incidents; alerts gain incident_id and muted_by, events muted_by."""
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("opened_at", UTC_DATETIME, nullable=False),
        sa.Column("joined_at", UTC_DATETIME, nullable=False),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
        sa.UniqueConstraint("dedup_key", name="uq_incidents_dedup_key"),
    )
    op.create_index("ix_incidents_subject_status", "incidents", ["subject", "status"])
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("incident_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("muted_by", sa.Text(), nullable=True))
        batch.create_index("ix_alerts_incident_id", ["incident_id"])
    with op.batch_alter_table("alert_events") as batch:
        batch.add_column(sa.Column("muted_by", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("alert_events") as batch:
        batch.drop_column("muted_by")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_incident_id")
        batch.drop_column("muted_by")
        batch.drop_column("incident_id")
    op.drop_index("ix_incidents_subject_status", table_name="incidents")
    op.drop_table("incidents")
