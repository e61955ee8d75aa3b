"""Alerts: alert episodes, their events, the delivery outbox, and silences."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

# Types spelled out, not imported from the application (see 0001).
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create alerts, alert_events, deliveries and silences."""
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("spike", sa.Float(), nullable=True),
        sa.Column("outlets", sa.Text(), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("rules_hash", sa.Text(), nullable=False),
        sa.Column("opened_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("calm_since", UTC_DATETIME, nullable=True),
        sa.Column("resolved_at", UTC_DATETIME, nullable=True),
        sa.Column("last_message_at", UTC_DATETIME, nullable=False),
        sa.Column("reminders", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("events", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("acknowledged_at", UTC_DATETIME, nullable=True),
        sa.Column("acknowledged_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("dedup_key", name="uq_alerts_dedup_key"),
    )
    op.create_index("ix_alerts_rule_subject_label", "alerts", ["rule", "subject", "label"])
    op.create_index("ix_alerts_status", "alerts", ["status"])
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("spike", sa.Float(), nullable=True),
        sa.Column("outlets", sa.Text(), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("silence_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name="fk_alert_events_alert_id_alerts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alert_events"),
        sa.UniqueConstraint("alert_id", "seq", name="uq_alert_events_alert_id_seq"),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_try", UTC_DATETIME, nullable=False),
        sa.Column("claimed_until", UTC_DATETIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.Column("ref", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["alert_events.id"],
            name="fk_deliveries_event_id_alert_events",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name="fk_deliveries_alert_id_alerts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.UniqueConstraint("event_id", "route", name="uq_deliveries_event_id_route"),
    )
    op.create_index("ix_deliveries_status_next_try", "deliveries", ["status", "next_try"])
    op.create_index("ix_deliveries_alert_id_route", "deliveries", ["alert_id", "route"])
    op.create_table(
        "silences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("rule", sa.Text(), nullable=True),
        sa.Column("until", UTC_DATETIME, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("lifted_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_silences"),
    )


def downgrade() -> None:
    """Drop the alerting tables."""
    for table in ("deliveries", "alert_events", "alerts", "silences"):
        op.drop_table(table)
