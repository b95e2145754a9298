"""Storage: one ``Store`` interface over SQLAlchemy Core (SQLite by default, PostgreSQL later)."""

from __future__ import annotations

from broadsheet.store.sql import Store

__all__ = ["Store"]
