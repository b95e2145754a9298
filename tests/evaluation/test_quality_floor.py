"""Quality floors on the Zyte benchmark, pinned like trafilatura's eval gate.

A change that makes extraction worse fails here, not months later in a user's reading list.
The floors sit a little under the figures in docs/quality.md (measured 2026-11-23): on 181
pages one page extracted differently moves F1 by up to about 0.003, and that noise must not
fail the build. Raise a floor when the figure rises; lowering one needs a reason in the commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from broadsheet.evaluation.extraction import load_zyte_pages, score_shingles
from broadsheet.pipeline.clean import clean_lines
from broadsheet.pipeline.extract import html_body
from broadsheet.pipeline.render import render_lines

FLOORS = {"broadsheet-html": 0.958, "broadsheet-text": 0.895}


@pytest.fixture(scope="module")
def pages(shared_eval: Path):
    return load_zyte_pages(shared_eval)


def test_html_path_floor(pages) -> None:
    score = score_shingles((p.article_body, html_body(p.html)) for p in pages)
    assert score.f1 >= FLOORS["broadsheet-html"], score


def test_text_path_floor(pages) -> None:
    def text_path(html: str) -> str:
        return "\n".join(clean_lines([line.text for line in render_lines(html)]))

    score = score_shingles((p.article_body, text_path(p.html)) for p in pages)
    assert score.f1 >= FLOORS["broadsheet-text"], score
