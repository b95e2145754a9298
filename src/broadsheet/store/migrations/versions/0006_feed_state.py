"""Polling state of feed subscriptions: validators, status, errors, schedule.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="new"))
        batch.add_column(sa.Column("etag", sa.Text))
        batch.add_column(sa.Column("last_modified", sa.Text))
        batch.add_column(sa.Column("last_polled_at", sa.DateTime))
        batch.add_column(sa.Column("last_success_at", sa.DateTime))
        batch.add_column(sa.Column("last_changed_at", sa.DateTime))
        batch.add_column(sa.Column("last_error", sa.Text))
        batch.add_column(sa.Column("last_error_code", sa.String(64)))
        batch.add_column(sa.Column("error_count", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_due_at", sa.DateTime))
        batch.add_column(sa.Column("interval_s", sa.Float))
    op.create_index("ix_feeds_next_due_at", "feeds", ["next_due_at"])


def downgrade() -> None:
    op.drop_index("ix_feeds_next_due_at", table_name="feeds")
    with op.batch_alter_table("feeds") as batch:
        for name in (
            "interval_s",
            "next_due_at",
            "error_count",
            "last_error_code",
            "last_error",
            "last_changed_at",
            "last_success_at",
            "last_polled_at",
            "last_modified",
            "etag",
            "status",
        ):
            batch.drop_column(name)
