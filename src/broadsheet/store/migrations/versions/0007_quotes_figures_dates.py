"""Quotes, figures and dates found in articles; an article's standfirst.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("standfirst", sa.Text))
    op.create_table(
        "quotes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("direct", sa.Boolean, nullable=False),
        sa.Column("speaker", sa.Text),
        sa.Column("speaker_entity_id", sa.Integer, sa.ForeignKey("entities.id")),
        sa.Column("cue", sa.Text),
    )
    op.create_index("ix_quotes_article_id", "quotes", ["article_id"])
    op.create_index("ix_quotes_speaker_entity_id", "quotes", ["speaker_entity_id"])
    op.create_table(
        "figures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("unit", sa.String(24), nullable=False),
        sa.Column("quantity", sa.Text),
        sa.Column("change", sa.Boolean, nullable=False),
        sa.Column("alt_value", sa.Float),
        sa.Column("alt_unit", sa.String(24)),
        sa.Column("sentence", sa.Text, nullable=False),
    )
    op.create_index("ix_figures_article_id", "figures", ["article_id"])
    op.create_table(
        "dates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("first", sa.Date, nullable=False),
        sa.Column("last", sa.Date, nullable=False),
        sa.Column("granularity", sa.String(16), nullable=False),
        sa.Column("guessed", sa.Boolean, nullable=False),
    )
    op.create_index("ix_dates_article_id", "dates", ["article_id"])
    op.create_index("ix_dates_first", "dates", ["first"])


def downgrade() -> None:
    op.drop_table("dates")
    op.drop_table("figures")
    op.drop_table("quotes")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("standfirst")
