"""Personal front page (#11): mutes, topics, feedback, read marks; articles by outlet and time.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mutes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("user_id", "kind", "target", name="uq_mutes_user_kind_target"),
    )
    op.create_index("ix_mutes_user_id", "mutes", ["user_id"])
    op.create_table(
        "topics",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("entity_ids", sa.JSON, nullable=False),
        sa.Column("keywords", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_topics_user_id", "topics", ["user_id"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("story_id", sa.Integer, sa.ForeignKey("stories.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_feedback_user_created", "feedback", ["user_id", "created_at"])
    op.create_table(
        "read_marks",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("story_id", sa.Integer, sa.ForeignKey("stories.id"), primary_key=True),
        sa.Column("read_at", sa.DateTime, nullable=False),
        sa.Column("source_count", sa.Integer, nullable=False),
        sa.Column("conflict_count", sa.Integer, nullable=False),
    )
    op.create_index("ix_articles_source_published", "articles", ["source_id", "published_at"])


def downgrade() -> None:
    op.drop_index("ix_articles_source_published", table_name="articles")
    op.drop_table("read_marks")
    op.drop_index("ix_feedback_user_created", table_name="feedback")
    op.drop_table("feedback")
    op.drop_index("ix_topics_user_id", table_name="topics")
    op.drop_table("topics")
    op.drop_index("ix_mutes_user_id", table_name="mutes")
    op.drop_table("mutes")
