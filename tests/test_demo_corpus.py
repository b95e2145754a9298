"""The bundled demo corpus is what the README promises, and the pipeline reads it cleanly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from broadsheet import ingest_files
from broadsheet.cli import demo_corpus
from broadsheet.config import Settings
from broadsheet.store import Store
from broadsheet.urls import canonical_url

TRUTH = Path(__file__).parent / "data" / "demo_truth"


def _truth() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    events, conflicts = [], []
    for path in sorted(TRUTH.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        events += data["events"]
        conflicts += data.get("conflicts", []) + data.get("quote_attribution_conflicts", [])
    return events, conflicts


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory):
    settings = Settings(db=str(tmp_path_factory.mktemp("demo") / "demo.db"))
    store = Store.open(settings.db_url)
    with demo_corpus() as corpus:
        report = ingest_files(store, [corpus], settings=settings)
        files = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*") if p.is_file())
    yield store, report, files
    store.close()


def test_corpus_size_and_shape(demo_store) -> None:
    store, report, files = demo_store
    events, conflicts = _truth()
    multi_outlet = [e for e in events if len({a["source"] for a in e["articles"]}) >= 2]
    assert len(multi_outlet) >= 8
    assert store.counts()["articles"] >= 40
    assert len(store.sources()) >= 6
    assert {d.format.value for d in report.documents if d.format} == {
        "text",
        "html",
        "jsonl",
        "feed",
        "opml",
    }
    assert any(f.endswith(".atom") for f in files) and any(f.endswith(".rss") for f in files)
    assert len(conflicts) >= 8


def test_corpus_ingests_without_quarantine(demo_store) -> None:
    store, report, _files = demo_store
    assert not report.has_quarantined, [d.quarantined for d in report.documents if d.quarantined]
    assert len(store.feeds()) == 7


def test_every_truth_article_is_in_the_store(demo_store) -> None:
    store, _report, _files = demo_store
    urls = {a.canonical_url for a in store.articles(limit=1000)}
    for event in _truth()[0]:
        for article in event["articles"]:
            assert canonical_url(article["url"]) in urls, article["file"]


def test_exact_duplicates_are_all_true_copies(demo_store) -> None:
    """Every duplicate_of link the store made is a copy the corpus's authors marked as one."""
    store, _report, _files = demo_store
    copies = {
        (canonical_url(a["url"]), canonical_url(a["copy_of"]))
        for event in _truth()[0]
        for a in event["articles"]
        if a.get("copy_of")
    }
    by_id = {a.id: a for a in store.articles(limit=1000)}
    linked = [
        (a.canonical_url, by_id[a.duplicate_of].canonical_url)
        for a in by_id.values()
        if a.duplicate_of
    ]
    assert len(linked) >= 3
    assert set(linked) <= copies


def test_every_syndicated_copy_links_to_its_original_and_nothing_else_is_linked(
    demo_store,
) -> None:
    """Exact and near copies (#5): each ``copy_of`` in the truth is the article's
    ``duplicate_of``, and every article the truth lists without one stands alone."""
    store, _report, _files = demo_store
    by_url = {a.canonical_url: a for a in store.articles(limit=1000)}
    by_id = {a.id: a for a in by_url.values()}
    expected, got = {}, {}
    for event in _truth()[0]:
        for item in event["articles"]:
            url = canonical_url(item["url"])
            expected[url] = canonical_url(item["copy_of"]) if item.get("copy_of") else None
            article = by_url[url]
            got[url] = by_id[article.duplicate_of].canonical_url if article.duplicate_of else None
    assert got == expected
    assert sum(1 for v in expected.values() if v) >= 20
    # Articles outside the truth files are not copies of anything either.
    assert all(a.duplicate_of is None for url, a in by_url.items() if url not in expected)


def test_text_is_original_fiction_about_fictional_outlets(demo_store) -> None:
    store, _report, _files = demo_store
    for article in store.articles(limit=1000):
        assert article.url and ".example/" in article.url


def _furniture_examples() -> set[str]:
    examples: set[str] = set()
    for path in sorted(TRUTH.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        examples |= {x.strip().casefold() for x in data.get("furniture_examples", [])}
    return examples


def test_demo_articles_are_clean_of_furniture(demo_store) -> None:
    store, _report, _files = demo_store
    furniture = _furniture_examples()
    assert len(furniture) >= 50
    surviving = [
        (article.source, paragraph)
        for article in store.articles(limit=1000)
        for paragraph in article.paragraphs
        if paragraph.strip().casefold() in furniture
    ]
    assert not surviving, surviving
    for article in store.articles(limit=1000):
        for paragraph in article.paragraphs:
            assert not paragraph.startswith(("READ MORE", "Advertisement", "Sign up", "Related:"))


def test_demo_corpus_forms_exactly_its_events_as_stories(demo_store) -> None:
    """Online clustering (#7): each fictional event is one story holding exactly its articles
    (duplicates included), and no two events share a story."""
    store, _report, _files = demo_store
    by_url = {a.canonical_url: a for a in store.articles(limit=1000)}
    seen: dict[int, str] = {}
    for event in _truth()[0]:
        ids = {by_url[canonical_url(a["url"])].id for a in event["articles"]}
        stories = {by_url[canonical_url(a["url"])].story_id for a in event["articles"]}
        assert len(stories) == 1 and None not in stories, (event["id"], stories)
        (story_id,) = stories
        assert story_id not in seen, (event["id"], seen.get(story_id))
        seen[story_id] = event["id"]
        found, _members = store.story(story_id)
        assert set(found.article_ids) == ids, event["id"]
        assert found.source_count == len(
            {a["source"] for a in event["articles"] if not a.get("copy_of")}
        )
