"""Initial schema: sources, raw documents, articles and their versions, quarantine, feeds.

On SQLite also an FTS5 index over article titles and bodies, kept in step by triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_FTS_SQLITE = [
    """CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, body, content='articles', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
]


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("site_url", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "raw_documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("format", sa.String(16)),
        sa.Column("origin", sa.Text),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("truncated", sa.Boolean, nullable=False),
        sa.Column("compression", sa.String(16), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("fetched_at", sa.DateTime, nullable=False),
        sa.Column("processed_at", sa.DateTime),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("identity", sa.Text, nullable=False, unique=True),
        sa.Column("raw_id", sa.Integer, sa.ForeignKey("raw_documents.id"), nullable=False),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id"), nullable=False),
        sa.Column("locator", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("canonical_url", sa.Text),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("published_at", sa.DateTime, nullable=False),
        sa.Column("published_at_guessed", sa.Boolean, nullable=False),
        sa.Column("language", sa.String(16)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("is_partial", sa.Boolean, nullable=False),
        sa.Column("duplicate_of", sa.Integer, sa.ForeignKey("articles.id")),
        sa.Column("story_id", sa.Integer),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("ingested_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    for column in ("canonical_url", "published_at", "content_hash", "duplicate_of", "story_id"):
        op.create_index(f"ix_articles_{column}", "articles", [column])
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("raw_id", sa.Integer, sa.ForeignKey("raw_documents.id"), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("article_id", "version", name="uq_article_versions_article_version"),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("raw_id", sa.Integer, sa.ForeignKey("raw_documents.id")),
        sa.Column("origin", sa.Text),
        sa.Column("locator", sa.Text),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("error_class", sa.String(64), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("resolved_at", sa.DateTime),
    )
    op.create_index("ix_quarantine_raw_id", "quarantine", ["raw_id"])
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("xml_url", sa.Text, nullable=False, unique=True),
        sa.Column("title", sa.Text),
        sa.Column("html_url", sa.Text),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("raw_id", sa.Integer, sa.ForeignKey("raw_documents.id")),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in _FTS_SQLITE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS articles_fts")
    for table in (
        "feeds",
        "quarantine",
        "article_versions",
        "articles",
        "raw_documents",
        "sources",
    ):
        op.drop_table(table)
