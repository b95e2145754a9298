"""Shared fixtures: a real SQLite store in a temp dir, file builders and a CLI runner."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from broadsheet.cli import cli
from broadsheet.config import Settings
from broadsheet.model import ArticleDraft
from broadsheet.store import Store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SHARED_EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"


@pytest.fixture(scope="session")
def shared_eval() -> Path:
    """The third-party evaluation data beside the repository (``../shared/eval``).

    Skipped where it is missing (a clone on its own); under CI (``CI=true``) its absence fails,
    since CI always has it and a skip there would hide the tests that read it."""
    if not SHARED_EVAL.is_dir():
        reason = f"shared evaluation data not found at {SHARED_EVAL}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return SHARED_EVAL


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return Settings(db=str(db_path))


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    with Store.open(settings.db_url) as opened:
        yield opened


@pytest.fixture
def inputs(tmp_path: Path) -> Callable[..., Path]:
    """Write a file under tmp/in/ and return its path: ``inputs("a.txt", "text")``."""
    root = tmp_path / "in"

    def write(name: str, content: str | bytes, *, meta: dict[str, Any] | None = None) -> Path:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        if meta is not None:
            sidecar = path.with_name(path.name.rsplit(".", 1)[0] + ".meta.json")
            sidecar.write_text(json.dumps(meta), encoding="utf-8")
        return path

    return write


@pytest.fixture
def run(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Invoke the CLI in-process against the test store: ``run("ingest", path, "--json")``."""
    monkeypatch.delenv("BROADSHEET_DB", raising=False)

    def invoke(*args: str | Path) -> Result:
        runner = CliRunner()
        return runner.invoke(cli, ["--db", str(db_path), *map(str, args)], catch_exceptions=False)

    return invoke


def make_draft(**overrides: Any) -> ArticleDraft:
    """An ``ArticleDraft`` with plausible defaults; override any field."""
    values: dict[str, Any] = {
        "source_name": "Meridian Wire",
        "title": "Ministers meet over tariffs",
        "paragraphs": ("Trade ministers met in Brussels on Thursday.", "Talks resume next week."),
        "published_at": NOW,
    }
    values.update(overrides)
    return ArticleDraft(**values)


def article_html(title: str, paragraphs: list[str], *, extra_head: str = "") -> str:
    """A small but complete news page with furniture around the article."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | The Harbour Ledger</title>
<meta property="og:site_name" content="The Harbour Ledger">
<meta name="author" content="Ines Varga">
{extra_head}</head>
<body><header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
</header><main><article><h1>{title}</h1>
{body}
</article><aside><h2>Related</h2><ul><li><a href="/x">Other story</a></li></ul></aside></main>
<footer><p>© 2026 The Harbour Ledger. All rights reserved.</p></footer></body></html>"""


LONG_PARAGRAPHS = [
    "Trade ministers from the European Union and China met in Brussels on Thursday to discuss "
    "tariffs on electric vehicles, officials said after the meeting ended late in the evening.",
    "The talks, the third round this year, focused on a package worth €2.1 billion "
    "($2.3 billion) in duties that Brussels imposed on imported cars in February.",
    '"We have made real progress, but we are not there yet," the commissioner told reporters, '
    "adding that negotiators would meet again next week in Beijing.",
    "Chinese officials described the atmosphere as constructive and said both sides wanted an "
    "agreement before the end of the year, according to a statement from the ministry.",
]
