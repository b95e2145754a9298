from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from broadsheet.config import Settings
from broadsheet.model import IngestOptions, InputFormat, RawDocument, Stage
from broadsheet.pipeline import process
from tests.conftest import LONG_PARAGRAPHS, NOW, article_html

SETTINGS = Settings(max_input_bytes=10_000)


def test_process_runs_every_stage() -> None:
    raw = RawDocument(
        data=article_html("A headline", LONG_PARAGRAPHS).encode(),
        fetched_at=NOW,
        origin="page.html",
    )
    result = process(raw, now=NOW, settings=SETTINGS)
    assert result.format is InputFormat.HTML
    (draft,) = result.articles
    assert draft.content_hash and len(draft.content_hash) == 64
    assert result.quarantines == ()


def test_headline_skips_site_name_and_breadcrumbs() -> None:
    text = "Skip to content\nRiverside Gazette\nNews | World\nQuake kills 14 in mountain villages\nBody.\n"
    raw = RawDocument(
        data=text.encode(),
        fetched_at=NOW,
        origin="a.txt",
        options=IngestOptions(source="Riverside Gazette"),
    )
    (draft,) = process(raw, now=NOW, settings=SETTINGS).articles
    assert draft.title == "Quake kills 14 in mountain villages"
    # The lines above the headline stay for the cleaner to judge; none is lost.
    assert draft.paragraphs == ("Skip to content", "Riverside Gazette", "News | World", "Body.")


def test_oversized_raw_is_quarantined_at_read() -> None:
    raw = RawDocument(data=b"x" * 10_001, fetched_at=NOW, origin="big.txt")
    result = process(raw, now=NOW, settings=SETTINGS)
    (problem,) = result.quarantines
    assert (problem.stage, problem.code) == (Stage.READ, "input_too_large")


@settings(max_examples=200)
@given(st.binary(max_size=2048), st.sampled_from([None, *InputFormat]))
def test_process_never_raises(data: bytes, fmt: InputFormat | None) -> None:
    raw = RawDocument(data=data, fetched_at=NOW, format=fmt, origin="x")
    result = process(raw, now=NOW, settings=SETTINGS)
    assert result.articles or result.subscriptions or result.quarantines
    for problem in result.quarantines:
        assert problem.code != "internal_error", problem.message


@settings(max_examples=100)
@given(st.text(max_size=1000), st.sampled_from(list(InputFormat)))
def test_process_text_never_hits_an_internal_error(text: str, fmt: InputFormat) -> None:
    raw = RawDocument(data=text.encode("utf-8"), fetched_at=NOW, format=fmt, origin="x")
    for problem in process(raw, now=NOW, settings=SETTINGS).quarantines:
        assert problem.code != "internal_error", problem.message
