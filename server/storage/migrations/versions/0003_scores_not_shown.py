"""scores: a criterion may be "not shown" (no level) when its scored_if did not hold

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scores", schema=None) as batch_op:
        batch_op.alter_column("level", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # A level is needed again: "not shown" becomes the lowest level a criterion can have.
    op.execute("UPDATE scores SET level = 1 WHERE level IS NULL")
    with op.batch_alter_table("scores", schema=None) as batch_op:
        batch_op.alter_column("level", existing_type=sa.Integer(), nullable=False)
