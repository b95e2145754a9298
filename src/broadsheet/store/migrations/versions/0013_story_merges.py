"""Stories merged into others (#7): where a deleted story's articles went.

Clustering now also merges two stories that turn out to be one event (an article joins both;
``store/stories.py`` ``_merge``). The smaller story is deleted; this table keeps its id and the
story that holds its articles, so the web app and the API can redirect a link to it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_merges",
        sa.Column("story_id", sa.Integer, primary_key=True),
        sa.Column("into_id", sa.Integer, nullable=False),
        sa.Column("merged_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_story_merges_into_id", "story_merges", ["into_id"])


def downgrade() -> None:
    op.drop_index("ix_story_merges_into_id", table_name="story_merges")
    op.drop_table("story_merges")
