"""review: word timestamps, recordings, review state and notes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _session_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["session_id"],
        ["sessions.id"],
        name=op.f(f"fk_{table}_session_id_sessions"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "words",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("json", sa.Text(), nullable=False),
        _session_fk("words"),
        sa.PrimaryKeyConstraint("session_id", "seq", name=op.f("pk_words")),
    )
    op.create_table(
        "audio",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("track", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("offset", sa.Float(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        _session_fk("audio"),
        sa.PrimaryKeyConstraint("session_id", "track", name=op.f("pk_audio")),
    )
    op.create_table(
        "reviews",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.Float(), nullable=True),
        sa.Column("revealed_at", sa.Float(), nullable=True),
        _session_fk("reviews"),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_reviews")),
    )
    op.create_table(
        "review_notes",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        _session_fk("review_notes"),
        sa.PrimaryKeyConstraint("session_id", "kind", "key", name=op.f("pk_review_notes")),
    )


def downgrade() -> None:
    op.drop_table("review_notes")
    op.drop_table("reviews")
    op.drop_table("audio")
    op.drop_table("words")
