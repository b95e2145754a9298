"""Alembic environment: migrations run on a connection the store hands over (never from a URL).

``Store.open`` calls ``alembic.command.upgrade`` with ``config.attributes["connection"]`` set, so
migrations share the store's engine settings (WAL, foreign keys) and need no ``alembic.ini``.
"""

from __future__ import annotations

from alembic import context

from broadsheet.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when someone runs alembic by hand
    raise RuntimeError("run migrations through broadsheet.store.Store.open()")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
