"""Story views: the derived summary, coverage comparison, quotes table and timeline (#8).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """One row per story: the view's JSON and the story ``updated_at`` it was computed from."""
    op.create_table(
        "story_views",
        sa.Column("story_id", sa.Integer, sa.ForeignKey("stories.id"), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("story_updated_at", sa.DateTime, nullable=False),
        sa.Column("computed_at", sa.DateTime, nullable=False),
        sa.Column("view", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    """Views are derived: dropping them loses nothing that cannot be recomputed."""
    op.drop_table("story_views")
