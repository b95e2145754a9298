"""Broadsheet: an open-source news engine.

The library underneath the CLI and the web app. Typical use::

    from datetime import UTC, datetime
    from broadsheet import Settings, Store, ingest_files

    with Store.open("sqlite:///news.db") as store:
        report = ingest_files(store, ["saved/"], settings=Settings())
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from broadsheet.config import Settings
from broadsheet.errors import BroadsheetError
from broadsheet.inputs import iter_raws, walk_inputs
from broadsheet.model import (
    Article,
    IngestOptions,
    IngestReport,
    Quarantine,
    RawDocument,
    Source,
)
from broadsheet.pipeline import ingest, process, reprocess
from broadsheet.store import Store

__all__ = [
    "Article",
    "BroadsheetError",
    "IngestOptions",
    "IngestReport",
    "Quarantine",
    "RawDocument",
    "Settings",
    "Source",
    "Store",
    "__version__",
    "ingest",
    "ingest_files",
    "process",
    "reprocess",
]

__version__ = "0.1.0.dev0"


def ingest_files(
    store: Store,
    paths: Sequence[str | Path],
    *,
    settings: Settings,
    options: IngestOptions | None = None,
) -> IngestReport:
    """Ingest files and directories (recursively) into ``store``; see ``pipeline.ingest``."""
    walk = walk_inputs([Path(p) for p in paths])

    def clock() -> datetime:
        return datetime.now(UTC)

    raws = iter_raws(
        walk.files,
        options=options or IngestOptions(),
        max_bytes=settings.max_input_bytes,
        clock=clock,
    )
    return ingest(store, raws, settings=settings, clock=clock)
