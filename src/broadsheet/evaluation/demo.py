"""The bundled demo corpus as Broadsheet stores it, for the hand-labelled evaluation sets.

The labels in ``tests/data/demo_*.json`` are written against the cleaned article bodies, so the
evaluations ingest the corpus through the real pipeline into a temporary SQLite store and read
the articles back, exactly as a user would see them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from broadsheet.model import Article

if TYPE_CHECKING:
    from broadsheet.store import Store

__all__ = ["demo_store", "stored_demo_articles"]


@contextmanager
def demo_store() -> Iterator[Store]:
    """A temporary SQLite store holding the bundled demo corpus, ingested by the real pipeline
    as ``broadsheet demo`` does; deleted on exit."""
    from broadsheet.config import Settings
    from broadsheet.inputs import iter_raws, walk_inputs
    from broadsheet.model import IngestOptions
    from broadsheet.pipeline import ingest
    from broadsheet.store import Store

    def now() -> datetime:
        return datetime.now(UTC)

    with tempfile.TemporaryDirectory(prefix="broadsheet-eval-") as folder:
        settings = Settings(db=str(Path(folder) / "demo.db"))
        store = Store.open(settings.db_url)
        try:
            with resources.as_file(resources.files("broadsheet") / "data" / "demo") as corpus:
                walk = walk_inputs([Path(corpus)])
                raws = iter_raws(
                    walk.files,
                    options=IngestOptions(),
                    max_bytes=settings.max_input_bytes,
                    clock=now,
                )
                ingest(store, raws, settings=settings, clock=now)
            yield store
        finally:
            store.engine.dispose()


def stored_demo_articles() -> list[Article]:
    """Every article of the bundled demo corpus after ingest, oldest publication first."""
    with demo_store() as store:
        rows = store.articles(limit=10_000)
    rows.sort(key=lambda a: (a.published_at, a.id))
    return rows
