"""Rows that benchmarks write straight into a store, bypassing the pipeline.

The scale benchmarks (``bench/cluster_scale.py``, ``bench/web.py``, ``bench/rank.py``,
``bench/dedupe.py``) measure one part of the system over many generated articles; running each
through the whole pipeline would measure the pipeline instead (``bench/ingest.py`` does that).
Articles still need a raw document and a source to belong to: these are they. Tests that need
articles in a given shape (a story's members, copies of one article) write them the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from broadsheet.store.schema import articles, raw_documents, sources

__all__ = ["insert_article", "placeholder_raw", "placeholder_sources"]


def placeholder_raw(conn: sa.Connection, now: datetime) -> int:
    """An empty raw document for generated articles to point at; returns its id."""
    return int(
        conn.execute(
            raw_documents.insert().values(
                sha256="0" * 64,
                format="text",
                options={},
                size_bytes=0,
                truncated=False,
                compression="none",
                data=b"",
                fetched_at=now,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    )


def placeholder_sources(
    conn: sa.Connection, names: Sequence[str], now: datetime, *, with_sites: bool = False
) -> list[int]:
    """One source per name (``https://<slug>.example/`` as its site when asked); their ids."""
    ids = []
    for name in names:
        site = f"https://{name.lower().replace(' ', '')}.example/" if with_sites else None
        ids.append(
            int(
                conn.execute(
                    sources.insert().values(name=name, site_url=site, created_at=now)
                ).inserted_primary_key[0]  # type: ignore[index]
            )
        )
    return ids


def insert_article(
    conn: sa.Connection,
    *,
    identity: str,
    raw_and_source: tuple[int, int],
    title: str,
    body: str,
    published_at: datetime,
    now: datetime,
    duplicate_of: int | None = None,
    story_id: int | None = None,
    language: str = "en",
) -> int:
    """One full-text article row (no enrichments); returns its id."""
    raw_id, source_id = raw_and_source
    return int(
        conn.execute(
            articles.insert().values(
                identity=identity,
                raw_id=raw_id,
                source_id=source_id,
                title=title,
                authors=[],
                published_at=published_at,
                published_at_guessed=False,
                language=language,
                body=body,
                content_hash=f"{identity}#hash",
                is_partial=False,
                duplicate_of=duplicate_of,
                story_id=story_id,
                version=1,
                ingested_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    )
