"""Per-source line keys of scraped pages, to recognise a source's page template.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_lines",
        sa.Column("source_name", sa.Text, nullable=False),
        sa.Column("line_key", sa.String(16), nullable=False),
        sa.Column("raw_id", sa.Integer, sa.ForeignKey("raw_documents.id"), nullable=False),
        sa.PrimaryKeyConstraint("source_name", "line_key", "raw_id"),
    )
    op.create_index("ix_source_lines_raw_id", "source_lines", ["raw_id"])


def downgrade() -> None:
    op.drop_table("source_lines")
