"""Near-duplicate index: MinHash signatures and LSH band keys of full-text articles.

Articles already stored are indexed here from their bodies, and their copy groups recomputed, so
an upgraded store links near copies it already holds.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BATCH = 500


def upgrade() -> None:
    op.create_table(
        "article_signatures",
        sa.Column(
            "article_id", sa.Integer, sa.ForeignKey("articles.id"), primary_key=True, nullable=False
        ),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column("shingle_count", sa.Integer, nullable=False),
    )
    op.create_table(
        "lsh_bands",
        sa.Column("key", sa.BigInteger, nullable=False),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False),
        sa.PrimaryKeyConstraint("key", "article_id"),
    )
    op.create_index("ix_lsh_bands_article_id", "lsh_bands", ["article_id"])
    _backfill()


def _backfill() -> None:
    # Only the columns this revision knows, so later migrations cannot break it.
    from broadsheet.store import dedupe

    conn = op.get_bind()
    articles = sa.table(
        "articles",
        sa.column("id", sa.Integer),
        sa.column("body", sa.Text),
        sa.column("is_partial", sa.Boolean),
    )
    ids = list(
        conn.execute(
            sa.select(articles.c.id).where(articles.c.is_partial.is_(False)).order_by(articles.c.id)
        ).scalars()
    )
    for start in range(0, len(ids), _BATCH):
        rows = conn.execute(
            sa.select(articles.c.id, articles.c.body).where(
                articles.c.id.in_(ids[start : start + _BATCH])
            )
        ).all()
        for row in rows:
            paragraphs = tuple(row.body.split("\n\n")) if row.body else ()
            dedupe.index_article(conn, row.id, paragraphs, is_partial=False)
    if ids:
        dedupe.relink(conn, article_ids=ids)


def downgrade() -> None:
    op.drop_table("lsh_bands")
    op.drop_table("article_signatures")
