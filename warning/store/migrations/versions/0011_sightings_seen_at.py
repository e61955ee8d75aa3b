"""An index on when each sighting was made: flatline rules count a fortnight of them by
feed at every alert cycle, which without it read every sighting ever stored."""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    """Index sightings by seen_at."""
    op.create_index("ix_sightings_seen_at", "sightings", ["seen_at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_sightings_seen_at", table_name="sightings")
