"""Event sources and the watcher: item revisions (ACLED edits past events), item tags
(GKG themes, advisory levels), and the note an operator alert's event carries."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    """Add items.revision, items.tags and alert_events.note."""
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("revision", sa.Text(), nullable=True))
        batch.add_column(sa.Column("tags", sa.Text(), nullable=True))
    with op.batch_alter_table("alert_events") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop items.revision, items.tags and alert_events.note."""
    with op.batch_alter_table("alert_events") as batch:
        batch.drop_column("note")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("tags")
        batch.drop_column("revision")
