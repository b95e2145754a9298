"""Ingest end to end: files on disk -> pipeline -> real SQLite store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from broadsheet import ingest_files, reprocess
from broadsheet.config import Settings
from broadsheet.model import IngestOptions
from broadsheet.store import Store
from tests.conftest import LONG_PARAGRAPHS, article_html

WIRE = {
    "title": "EU and China end tariff talks without deal",
    "text": "\n\n".join(LONG_PARAGRAPHS),
    "url": "https://meridianwire.example/tariffs",
    "published_at": "2026-11-10T08:00:00Z",
    "source": "Meridian Wire",
}

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Northgate Courier</title><link>https://northgatecourier.example/</link>
<item><title>EU, China to meet again next week</title>
<link>https://northgatecourier.example/eu-china</link>
<pubDate>Wed, 11 Nov 2026 06:30:00 GMT</pubDate>
<content:encoded><![CDATA[{body}]]></content:encoded></item>
</channel></rss>"""


def _table_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in (
                "raw_documents",
                "articles",
                "article_versions",
                "quarantine",
                "feeds",
                "sources",
            )
        }


def _write_all_formats(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "wire.jsonl").write_text(json.dumps(WIRE) + "\n")
    (root / "courier.rss").write_text(
        FEED.format(body="".join(f"<p>{p}</p>" for p in LONG_PARAGRAPHS))
    )
    (root / "ledger.html").write_text(
        article_html(
            "Brussels and Beijing fail to break deadlock",
            [
                *LONG_PARAGRAPHS[:3],
                "A fourth paragraph only the Ledger has, about what comes next.",
            ],
            extra_head='<link rel="canonical" href="https://harbourledger.example/deadlock">'
            '<meta property="article:published_time" content="2026-11-11T07:00:00+00:00">',
        )
    )
    lantern = root / "lantern"
    lantern.mkdir(exist_ok=True)
    (lantern / "story.txt").write_text(
        "Home > World > Europe\nEU and China fail to clinch deal\nAdvertisement\n"
        + "\n".join(LONG_PARAGRAPHS)
        + "\n"
    )
    (lantern / "story.meta.json").write_text(
        json.dumps(
            {
                "source": "Daily Lantern",
                "url": "https://dailylantern.example/eu-china",
                "published_at": "2026-11-10T21:10:00+00:00",
                "language": "en",
            }
        )
    )
    (root / "subs.opml").write_text(
        '<opml version="2.0"><body><outline text="News"><outline type="rss" text="NC" '
        'xmlUrl="https://northgatecourier.example/feed.xml"/></outline></body></opml>'
    )
    (root / "README.md").write_text("not an input")
    (root / ".hidden.txt").write_text("Hidden headline\nnever read\n")


def test_every_format_lands(store: Store, settings: Settings, tmp_path: Path) -> None:
    _write_all_formats(tmp_path / "in")
    report = ingest_files(store, [tmp_path / "in"], settings=settings)
    assert not report.has_quarantined
    by_source = {a.source: a for a in store.articles()}
    assert set(by_source) == {
        "Meridian Wire",
        "Northgate Courier",
        "The Harbour Ledger",
        "Daily Lantern",
    }
    lantern = by_source["Daily Lantern"]
    assert lantern.title == "EU and China fail to clinch deal"
    assert lantern.url == "https://dailylantern.example/eu-china"
    assert lantern.published_at == datetime(2026, 11, 10, 21, 10, tzinfo=UTC)
    assert lantern.language == "en"
    assert by_source["The Harbour Ledger"].published_at == datetime(2026, 11, 11, 7, 0, tzinfo=UTC)
    assert [f.categories for f in store.feeds()] == [("News",)]
    # README.md is passed over, .hidden.txt and the sidecar are not inputs.
    assert report.count("documents") == 5


def test_ingest_twice_adds_no_rows(store: Store, settings: Settings, tmp_path: Path) -> None:
    _write_all_formats(tmp_path / "in")
    ingest_files(store, [tmp_path / "in"], settings=settings)
    before = _table_counts(store)
    again = ingest_files(store, [tmp_path / "in"], settings=settings)
    assert _table_counts(store) == before
    assert again.count("unchanged") == again.count("documents") == 5
    assert again.count("articles_new") == 0


def test_same_url_and_content_in_new_bytes_is_not_a_new_article(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    first = tmp_path / "a.jsonl"
    first.write_text(json.dumps(WIRE) + "\n")
    # Same article, different bytes: another field order, a tracking parameter, extra spaces.
    second = tmp_path / "b.jsonl"
    second.write_text(
        json.dumps(
            {**WIRE, "url": WIRE["url"] + "?utm_source=newsletter", "title": WIRE["title"]},
            indent=None,
            sort_keys=True,
        )
        + "\n\n"
    )
    ingest_files(store, [first], settings=settings)
    report = ingest_files(store, [second], settings=settings)
    assert report.count("new") == 1
    assert report.count("articles_unchanged") == 1
    assert store.counts()["articles"] == 1


def test_changed_page_at_same_url_is_a_new_version(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    head = '<link rel="canonical" href="https://harbourledger.example/deadlock">'
    v1 = tmp_path / "v1.html"
    v1.write_text(article_html("Talks stall", LONG_PARAGRAPHS, extra_head=head))
    v2 = tmp_path / "v2.html"
    v2.write_text(
        article_html(
            "Talks stall, Beijing responds",
            [
                *LONG_PARAGRAPHS,
                "Beijing said on Friday it regretted the outcome and would respond.",
            ],
            extra_head=head,
        )
    )
    ingest_files(store, [v1], settings=settings)
    report = ingest_files(store, [v2], settings=settings)
    (article,) = store.articles()
    assert report.count("articles_updated") == 1
    assert article.version == 2
    assert article.title == "Talks stall, Beijing responds"
    assert [v.title for v in store.article_versions(article.id)] == [
        "Talks stall",
        "Talks stall, Beijing responds",
    ]
    assert [h.article_id for h in store.search("regretted")] == [article.id]


def test_exact_copies_across_formats_link_to_the_wire_original(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    _write_all_formats(tmp_path / "in")
    ingest_files(store, [tmp_path / "in"], settings=settings)
    by_source = {a.source: a for a in store.articles()}
    wire = by_source["Meridian Wire"]
    assert by_source["Northgate Courier"].duplicate_of == wire.id
    # The Lantern's scraped copy, once its furniture is gone, is the same copy too.
    assert by_source["Daily Lantern"].duplicate_of == wire.id
    # The Ledger rewrote its last paragraph: not the same text, but a near copy of it (#5).
    assert by_source["The Harbour Ledger"].content_hash != wire.content_hash
    assert by_source["The Harbour Ledger"].duplicate_of == wire.id
    assert sorted(store.duplicates_of(wire.id)) == sorted(
        [
            by_source[name].id
            for name in ("Northgate Courier", "Daily Lantern", "The Harbour Ledger")
        ]
    )


def test_cli_options_override_sidecar(store: Store, settings: Settings, tmp_path: Path) -> None:
    _write_all_formats(tmp_path / "in")
    options = IngestOptions(source="Lantern Online", language="de")
    ingest_files(store, [tmp_path / "in" / "lantern"], settings=settings, options=options)
    (article,) = store.articles()
    assert article.source == "Lantern Online"
    assert article.language == "de"
    assert article.url == "https://dailylantern.example/eu-china"  # from the sidecar


def test_text_without_date_is_a_guess(store: Store, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "undated.txt"
    path.write_text("A headline without a date\nBody text.\n")
    before = datetime.now(UTC)
    ingest_files(store, [path], settings=settings)
    (article,) = store.articles()
    assert article.published_at_guessed
    assert before <= article.published_at <= datetime.now(UTC)


def test_reprocess_resolves_quarantine_and_keeps_ids(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    _write_all_formats(tmp_path / "in")
    big = tmp_path / "in" / "long.txt"
    big.write_text("A long story headline\n" + "A sentence of the long story.\n" * 400)
    small = settings.replace(max_input_bytes=5_000)
    report = ingest_files(store, [tmp_path / "in"], settings=small)
    assert [q.code for q in store.quarantine()] == ["input_too_large"]
    ids_before = {a.title: a.id for a in store.articles()}

    # A larger cap does not help a truncated raw: the bytes kept are all there is.
    again = reprocess(
        store, settings=settings, clock=lambda: datetime.now(UTC), quarantined_only=True
    )
    assert again.count("documents") == 1
    assert [q.code for q in store.quarantine()] == ["input_too_large"]

    full = reprocess(store, settings=settings, clock=lambda: datetime.now(UTC))
    assert full.count("documents") == report.count("documents")
    assert {a.title: a.id for a in store.articles()} == ids_before
    assert _table_counts(store)["articles"] == len(ids_before)


def test_reprocess_after_a_fix_resolves_the_record(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "short.html"
    path.write_text(
        "<html><body><article><p>Too short to be an article page.</p></article></body></html>"
    )
    ingest_files(store, [path], settings=settings)
    (record,) = store.quarantine()
    assert record.code == "parse_no_article"
    # Pretend the pipeline improved: store a page the current pipeline accepts under that raw.
    with store.engine.begin() as conn:
        import zlib

        page = article_html("Now long enough", LONG_PARAGRAPHS).encode()
        conn.execute(sa.text("UPDATE raw_documents SET data = :d"), {"d": zlib.compress(page)})
    report = reprocess(
        store, settings=settings, clock=lambda: datetime.now(UTC), quarantined_only=True
    )
    assert report.count("articles_new") == 1
    assert store.quarantine() == []
    (resolved,) = store.quarantine(include_resolved=True)
    assert resolved.id == record.id and resolved.resolved_at is not None


def test_same_bytes_twice_in_one_batch_stored_once(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Identical headline text\nIdentical body.\n")
    report = ingest_files(store, [tmp_path / "a.txt", tmp_path / "b.txt"], settings=settings)
    assert [d.status for d in report.documents] == ["new", "unchanged"]
    assert store.counts()["raw_documents"] == 1


def test_fixing_a_broken_sidecar_and_ingesting_again(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    story = tmp_path / "story.txt"
    story.write_text("A headline for the sidecar story\nBody of the story.\n")
    sidecar = tmp_path / "story.meta.json"
    sidecar.write_text('{"source": "Daily Lantern", "published_at": "someday"}')
    first = ingest_files(store, [story], settings=settings)
    (record,) = store.quarantine()
    assert record.code == "input_invalid_field" and "someday" in record.message
    assert store.counts()["articles"] == 0
    # Reprocessing alone cannot fix it: the problem travels with the stored raw document.
    reprocess(store, settings=settings, clock=lambda: datetime.now(UTC))
    assert [q.id for q in store.quarantine()] == [record.id]

    sidecar.write_text('{"source": "Daily Lantern", "published_at": "2026-11-12T10:00:00Z"}')
    second = ingest_files(store, [story], settings=settings)
    assert [d.status for d in second.documents] == ["reprocessed"]
    assert second.documents[0].raw_id == first.documents[0].raw_id
    (article,) = store.articles()
    assert (article.source, article.published_at) == (
        "Daily Lantern",
        datetime(2026, 11, 12, 10, tzinfo=UTC),
    )
    assert store.quarantine() == []
    assert store.counts()["raw_documents"] == 1


def test_new_options_for_known_bytes_update_in_place(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    story = tmp_path / "story.txt"
    story.write_text("A headline for an unattributed story\nBody.\n")
    ingest_files(store, [story], settings=settings)
    (before,) = store.articles()
    assert before.source == "unknown"
    ingest_files(
        store, [story], settings=settings, options=IngestOptions(source="Riverside Gazette")
    )
    (after,) = store.articles()
    assert (after.id, after.source, after.version) == (before.id, "Riverside Gazette", 1)
    # And the same options again are a no-op.
    again = ingest_files(
        store, [story], settings=settings, options=IngestOptions(source="Riverside Gazette")
    )
    assert [d.status for d in again.documents] == ["unchanged"]


def test_full_text_replaces_a_teaser_without_a_new_version(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    teaser = tmp_path / "teaser.rss"
    teaser.write_text(
        "<rss version='2.0'><channel><title>Pacific Signal</title><link>https://pacificsignal.example/</link>"
        "<item><title>Quake hits</title><link>https://pacificsignal.example/quake</link>"
        "<description>A two-line teaser of the quake story.</description></item></channel></rss>"
    )
    page = tmp_path / "page.html"
    page.write_text(
        article_html(
            "Quake hits",
            LONG_PARAGRAPHS,
            extra_head='<link rel="canonical" href="https://pacificsignal.example/quake">',
        )
    )
    ingest_files(store, [teaser], settings=settings)
    assert store.articles()[0].is_partial
    report = ingest_files(store, [page], settings=settings)
    (article,) = store.articles()
    assert report.count("articles_updated") == 1
    assert (article.version, article.is_partial) == (1, False)
    assert "€2.1 billion" in article.body


def test_reprocess_without_changes_touches_nothing(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    _write_all_formats(tmp_path / "in")
    ingest_files(store, [tmp_path / "in"], settings=settings)
    before = {a.id: a.updated_at for a in store.articles()}
    report = reprocess(store, settings=settings, clock=lambda: datetime.now(UTC))
    assert report.count("articles_updated") == 0
    assert {a.id: a.updated_at for a in store.articles()} == before


def test_dismissed_record_stays_dismissed_on_reprocess(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    ingest_files(store, [path], settings=settings)
    (record,) = store.quarantine()
    store.resolve_quarantine([record.id], now=datetime.now(UTC))
    report = reprocess(store, settings=settings, clock=lambda: datetime.now(UTC))
    assert not report.has_quarantined
    assert store.quarantine() == []
    assert len(store.quarantine(include_resolved=True)) == 1


def test_a_sources_template_lines_are_dropped_across_its_pages(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    stories = [
        ("Quake toll rises to 17 in eastern Turkey", LONG_PARAGRAPHS[:2]),
        ("Rotterdam dockers walk out over pay", LONG_PARAGRAPHS[1:3]),
        ("Bank of Aldmark raises its policy rate", LONG_PARAGRAPHS[2:4]),
    ]
    for number, (headline, paragraphs) in enumerate(stories):
        lines = [
            headline,
            "By Meridian Wire",
            paragraphs[0],
            "Story continues below advertisement",
            *paragraphs[1:],
            "More from our newsroom today",
        ]
        (tmp_path / f"s{number}.txt").write_text("\n".join(lines) + "\n")
    ingest_files(
        store, [tmp_path], settings=settings, options=IngestOptions(source="Riverside Gazette")
    )
    for article in store.articles():
        assert "Story continues below advertisement" not in article.paragraphs
        reasons = {r.text: r.reason for r in article.removed}
        assert reasons["Story continues below advertisement"] in ("template", "furniture")
    assert any(r.reason == "template" for a in store.articles() for r in a.removed)
