from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from broadsheet.errors import NotFound, StoreError
from broadsheet.model import ProcessResult, QuarantineDraft, RawDocument, Stage
from broadsheet.pipeline.fingerprint import fingerprint
from broadsheet.store import Store
from broadsheet.store.schema import metadata
from tests.conftest import NOW, make_draft


def raw(data: bytes = b"x", origin: str = "a.txt") -> RawDocument:
    return RawDocument(data=data, fetched_at=NOW, origin=origin)


def test_open_runs_migrations_and_uses_wal(db_path: Path) -> None:
    with Store.open(f"sqlite:///{db_path}") as store:
        assert store.schema_revision() == "0013"
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"articles", "articles_fts", "raw_documents", "quarantine", "feeds"} <= tables
    conn.close()
    with Store.open(f"sqlite:///{db_path}") as again:  # reopening is a no-op migration
        assert again.counts()["articles"] == 0


def test_schema_module_matches_migration(store: Store) -> None:
    inspector = sa.inspect(store.engine)
    for table in metadata.sorted_tables:
        migrated = {c["name"] for c in inspector.get_columns(table.name)}
        assert migrated == set(table.columns.keys()), table.name


def test_open_bad_url_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot open database"):
        Store.open(f"sqlite:///{blocker}/sub/x.db")
    with pytest.raises(StoreError, match="cannot open database"):
        Store.open(f"sqlite:///{blocker}")  # a text file is not a database
    with pytest.raises(StoreError, match="cannot open database"):
        Store.open("nosuchdialect://x")


def test_raw_bytes_are_kept_compressed_and_load_back(store: Store) -> None:
    data = ("Headline\n" + "A line of body text.\n" * 500).encode()
    result = ProcessResult(raw=raw(data), format=None, articles=(fingerprint(make_draft()),))
    (outcome,) = store.write_batch([result], now=NOW)
    assert outcome.raw_id is not None
    loaded = store.load_raw(outcome.raw_id)
    assert loaded.data == data
    assert loaded.sha256 == result.raw.sha256
    with store.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT length(data) FROM raw_documents")).scalar_one()
    assert stored < len(data) / 5


def test_same_url_changed_content_is_a_new_version(store: Store) -> None:
    url = "https://harbourledger.example/a"
    first = fingerprint(make_draft(url=url, canonical_url=url))
    second = fingerprint(make_draft(url=url, canonical_url=url, paragraphs=("Updated text.",)))
    (a,) = store.write_batch([ProcessResult(raw(b"1"), None, (first,))], now=NOW)
    (b,) = store.write_batch([ProcessResult(raw(b"2"), None, (second,))], now=NOW)
    (c,) = store.write_batch([ProcessResult(raw(b"3"), None, (second,))], now=NOW)
    assert a.articles_new and b.articles_updated == a.articles_new
    assert c.articles_unchanged == a.articles_new
    article = store.article(a.articles_new[0])
    assert article.version == 2
    assert article.paragraphs == ("Updated text.",)
    versions = store.article_versions(article.id)
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].paragraphs == first.paragraphs
    assert store.counts()["articles"] == 1


def test_feed_summary_never_replaces_full_text(store: Store) -> None:
    url = "https://pacificsignal.example/a"
    full = fingerprint(make_draft(url=url, canonical_url=url))
    teaser = fingerprint(
        make_draft(url=url, canonical_url=url, paragraphs=("Teaser.",), is_partial=True)
    )
    (a,) = store.write_batch([ProcessResult(raw(b"1"), None, (full,))], now=NOW)
    (b,) = store.write_batch([ProcessResult(raw(b"2"), None, (teaser,))], now=NOW)
    assert b.articles_unchanged == a.articles_new
    assert store.article(a.articles_new[0]).paragraphs == full.paragraphs


def test_exact_duplicates_point_at_earliest_published(store: Store) -> None:
    late = fingerprint(make_draft(source_name="Northgate Courier", title="Copy", published_at=NOW))
    early = fingerprint(
        make_draft(source_name="Meridian Wire", title="Wire", published_at=NOW - timedelta(hours=3))
    )
    teaser = fingerprint(make_draft(source_name="Pacific Signal", is_partial=True))
    (first,) = store.write_batch([ProcessResult(raw(b"1"), None, (late,))], now=NOW)
    (second,) = store.write_batch([ProcessResult(raw(b"2"), None, (early, teaser))], now=NOW)
    late_id = first.articles_new[0]
    early_id, teaser_id = second.articles_new
    # The earlier-published copy arrived later and still becomes the original.
    assert store.article(early_id).duplicate_of is None
    assert store.article(late_id).duplicate_of == early_id
    assert store.article(teaser_id).duplicate_of is None
    assert store.duplicates_of(early_id) == [late_id]


def test_listing_without_duplicates_hides_copies_and_walks_the_date_index(store: Store) -> None:
    """``articles(include_duplicates=False)`` leaves copies out, newest first, and SQLite finds
    the page through the publication-date index: with the duplicate_of index it read every
    original in the store and sorted them for each page."""
    copy = fingerprint(make_draft(source_name="Northgate Courier", title="Copy", published_at=NOW))
    wire = fingerprint(
        make_draft(source_name="Meridian Wire", title="Wire", published_at=NOW - timedelta(hours=3))
    )
    other = fingerprint(
        make_draft(
            title="Other", paragraphs=("A different story about the harbour.",), published_at=NOW
        )
    )
    store.write_batch([ProcessResult(raw(b"1"), None, (copy, wire, other))], now=NOW)
    statements: list[tuple[str, tuple[object, ...]]] = []

    def seen(_conn: object, _cursor: object, statement: str, params: Any, *_rest: object) -> None:
        statements.append((statement, tuple(params)))

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        listed = store.articles(include_duplicates=False)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", seen)
    assert [a.title for a in listed] == ["Other", "Wire"]
    assert [a.title for a in store.articles()] == ["Other", "Copy", "Wire"]
    ((statement, params),) = [s for s in statements if s[0].startswith("SELECT")]
    with store.engine.connect() as conn:
        plan = " ".join(
            str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        )
    assert "ix_articles_published_at" in plan
    assert "ix_articles_duplicate_of" not in plan


def test_batch_is_atomic(store: Store) -> None:
    good = ProcessResult(raw(b"good"), None, (fingerprint(make_draft()),))
    bad = ProcessResult(raw(b"bad"), None, (fingerprint(make_draft(title=None)),))
    with pytest.raises(StoreError, match="rolled back"):
        store.write_batch([good, bad], now=NOW)
    assert store.counts() == dict.fromkeys(store.counts(), 0)


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = fingerprint(make_draft(published_at=datetime(2026, 11, 1)))
    with pytest.raises(StoreError):
        store.write_batch([ProcessResult(raw(b"n"), None, (naive,))], now=NOW)


def test_times_come_back_utc(store: Store) -> None:
    from zoneinfo import ZoneInfo

    tokyo = datetime(2026, 11, 12, 18, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    (out,) = store.write_batch(
        [ProcessResult(raw(b"t"), None, (fingerprint(make_draft(published_at=tokyo)),))], now=NOW
    )
    article = store.article(out.articles_new[0])
    assert article.published_at == datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
    assert article.published_at.tzinfo is UTC


def test_fts_search_ranks_and_highlights(store: Store) -> None:
    drafts = [
        fingerprint(
            make_draft(
                title="Port strike halts Rotterdam", paragraphs=("Dock workers walked out.",)
            )
        ),
        fingerprint(make_draft(title="Rates rise", paragraphs=("The strike was mentioned once.",))),
        fingerprint(make_draft(title="Cup final", paragraphs=("Rovers won 3-2.",))),
    ]
    store.write_batch([ProcessResult(raw(b"s"), None, tuple(drafts))], now=NOW)
    hits = store.search("strike")
    assert [h.title for h in hits] == ["Port strike halts Rotterdam", "Rates rise"]
    assert "[strike]" in hits[1].snippet
    assert store.search('strike" OR "x') == []  # quotes cannot inject FTS syntax
    assert [h.title for h in store.search("rott*")] == ["Port strike halts Rotterdam"]
    assert store.search("   ") == []


def test_a_word_in_very_many_articles_is_ranked_among_the_newest(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import broadsheet.store.sql as store_sql

    monkeypatch.setattr(store_sql, "SEARCH_WINDOW", 2)
    titles = ["Strike strike strike", "Strike talks", "Strike ends", "Rotterdam strike vote"]
    for n, title in enumerate(titles):  # stored one batch each, oldest first
        draft = make_draft(title=title, paragraphs=(f"Story {n} about a strike.",))
        store.write_batch([ProcessResult(raw(bytes([n])), None, (fingerprint(draft),))], now=NOW)
    # The best match overall is the oldest; only the two newest matches are ranked.
    assert {h.title for h in store.search("strike")} == {"Strike ends", "Rotterdam strike vote"}
    # A word with fewer matches than the window is found however old its article.
    assert [h.title for h in store.search("talks")] == ["Strike talks"]


def test_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="no article 99"):
        store.article(99)
    with pytest.raises(NotFound):
        store.load_raw(99)


def test_quarantine_records_round_trip(store: Store) -> None:
    problem = QuarantineDraft(Stage.DECODE, "input_binary", "BinaryInput", "not text", None)
    store.write_batch([ProcessResult(raw(b"q"), None, quarantines=(problem,))], now=NOW)
    (record,) = store.quarantine()
    assert (record.stage, record.code, record.message) == (Stage.DECODE, "input_binary", "not text")
    assert record.raw_id is not None
    assert store.load_raw(record.raw_id).data == b"q"
