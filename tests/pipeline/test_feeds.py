"""JSON Feed, autodiscovery and feed metadata: literal inputs and Hypothesis properties."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadsheet.errors import BroadsheetError, EmptyInput, ParseError
from broadsheet.model import IngestOptions, InputFormat
from broadsheet.pipeline.extract import extract
from broadsheet.pipeline.feeds import (
    discover_feeds,
    extract_json_feed,
    feed_kind,
    feed_metadata,
    is_json_feed,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
V11 = "https://jsonfeed.org/version/1.1"


def json_feed(*items: object, **feed: object) -> str:
    return json.dumps({"version": V11, "title": "Pacific Signal", **feed, "items": list(items)})


def run(text: str):
    return extract_json_feed(text, options=IngestOptions(), now=NOW)


def test_json_feed_items_become_articles() -> None:
    text = json_feed(
        {
            "id": "1",
            "url": "https://pacific.example/a?utm_source=x",
            "title": "Port strike",
            "content_text": "First paragraph.\n\nSecond paragraph.",
            "date_published": "2026-11-23T10:00:00+01:00",
            "language": "en-GB",
        },
        {"id": "2", "url": "https://pacific.example/b", "summary": "Only a teaser."},
        {"id": "3"},
        "not an object",
        home_page_url="https://pacific.example/",
        authors=[{"name": "Desk"}],
    )
    found = extract(text, InputFormat.FEED, options=IngestOptions(), now=NOW)
    first, second = found.articles
    assert first.title == "Port strike" and first.paragraphs == (
        "First paragraph.",
        "Second paragraph.",
    )
    assert first.canonical_url == "https://pacific.example/a"
    assert first.published_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert first.language == "en" and first.authors == ("Desk",)
    assert first.source_name == "Pacific Signal" and first.site_url == "https://pacific.example/"
    assert second.is_partial and second.published_at_guessed
    assert [q.locator for q in found.item_quarantines] == ["item 3", "item 4"]


def test_json_feed_errors() -> None:
    with pytest.raises(ParseError, match="malformed JSON Feed"):
        run("{not json")
    with pytest.raises(ParseError, match="not a JSON Feed"):
        run('{"version": "2", "items": []}')
    with pytest.raises(EmptyInput):
        run(json_feed())


def test_feed_kind_and_metadata() -> None:
    assert feed_kind(json_feed()) is InputFormat.FEED and is_json_feed(json_feed())
    assert feed_kind('<?xml version="1.0"?><rss version="2.0"><channel/></rss>') is (
        InputFormat.FEED
    )
    assert feed_kind("<!DOCTYPE html><html><body>x</body></html>") is InputFormat.HTML
    assert feed_kind("<opml version='2.0'/>") is None and feed_kind("plain words") is None
    meta = feed_metadata(
        '<rss version="2.0"><channel><title>Harbour &amp; Ledger</title>'
        "<link>https://harbour.example/</link></channel></rss>"
    )
    assert meta.title == "Harbour & Ledger" and meta.site_url == "https://harbour.example/"
    assert feed_metadata(json_feed(home_page_url="javascript:x")).site_url is None


def test_discovery_prefers_atom_and_resolves_relative_links() -> None:
    page = """<html><head><base href="https://harbour.example/news/">
    <link rel="stylesheet" href="/s.css">
    <link rel="alternate" type="application/rss+xml" href="rss.xml">
    <link rel="alternate" type="application/atom+xml" href="/atom.xml">
    <link rel="alternate" type="text/html" href="/other">
    <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    </head><body></body></html>"""
    assert discover_feeds(page, "https://harbour.example/") == [
        "https://harbour.example/atom.xml",
        "https://harbour.example/news/rss.xml",
    ]


def test_discovery_reads_an_xhtml_page_that_declares_its_encoding() -> None:
    page = """<?xml version="1.0" encoding="utf-8"?>
    <html xmlns="http://www.w3.org/1999/xhtml"><head>
    <link rel="alternate" type="application/rss+xml" href="/feed.rss"/></head><body/></html>"""
    assert discover_feeds(page, "https://harbour.example/a") == ["https://harbour.example/feed.rss"]


@given(st.text(max_size=400))
def test_json_feed_parser_never_raises_other_errors(text: str) -> None:
    with contextlib.suppress(BroadsheetError):
        run(text)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=10,
    )
)
def test_json_feed_items_of_any_shape(item: object) -> None:
    with contextlib.suppress(BroadsheetError):
        run(json_feed(item))


@given(st.text(max_size=400), st.sampled_from(["https://a.example/", "http://b.example/x/"]))
def test_discovery_and_kind_never_raise(text: str, base: str) -> None:
    assert isinstance(discover_feeds(text, base), list)
    feed_kind(text)
    is_json_feed(text)
