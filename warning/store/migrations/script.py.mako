<%!
    def literal(value):
        # repr() quotes with ', the migrations (ruff) with ": revision ids hold no quotes
        return repr(value).replace("'", '"')
%>\
"""${message}"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
${imports + "\n" if imports else ""}
revision = ${literal(up_revision)}
down_revision = ${literal(down_revision)}
% if branch_labels:
branch_labels = ${literal(branch_labels)}
% endif
% if depends_on:
depends_on = ${literal(depends_on)}
% endif


def upgrade() -> None:
    """Upgrade the schema."""
% if upgrades:
    ${upgrades}
% endif


def downgrade() -> None:
    """Downgrade the schema."""
% if downgrades:
    ${downgrades}
% endif
