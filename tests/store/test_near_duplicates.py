"""Near-duplicate links in the store: wire copy re-run with edits points at the earliest copy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from broadsheet import ingest_files
from broadsheet.config import Settings
from broadsheet.model import ArticleDraft, ArticleId, ProcessResult, RawDocument
from broadsheet.pipeline import reprocess
from broadsheet.pipeline.fingerprint import fingerprint
from broadsheet.store import Store
from broadsheet.store.schema import article_signatures, lsh_bands
from tests.conftest import NOW, make_draft
from tests.pipeline.test_fingerprint import OWN_REPORT, RERUN, WIRE

MIGRATIONS = Path(__file__).parents[2] / "src" / "broadsheet" / "store" / "migrations"


def _draft(source: str, paragraphs: tuple[str, ...], hours: float, **extra: object) -> ArticleDraft:
    values: dict[str, object] = {
        "source_name": source,
        "title": f"{source} on the Arlsberg mill fire",
        "paragraphs": paragraphs,
        "published_at": NOW + timedelta(hours=hours),
        "canonical_url": f"https://{source.lower().replace(' ', '')}.example/mill-fire",
    }
    return fingerprint(make_draft(**{**values, **extra}))


def _write(store: Store, *drafts: ArticleDraft, now: datetime = NOW) -> list[ArticleId]:
    results = [
        ProcessResult(
            raw=RawDocument(data=repr(draft).encode(), fetched_at=now, origin=draft.source_name),
            format=None,
            articles=(draft,),
        )
        for draft in drafts
    ]
    outcomes = store.write_batch(results, now=now)
    return [(o.articles_new + o.articles_updated + o.articles_unchanged)[0] for o in outcomes]


def _links(store: Store) -> dict[str, str | None]:
    by_id = {a.id: a for a in store.articles(limit=100)}
    return {
        a.source: (by_id[a.duplicate_of].source if a.duplicate_of else None) for a in by_id.values()
    }


def test_rerun_with_new_headline_dateline_and_trimmed_paragraph_links_to_the_wire(
    store: Store,
) -> None:
    (wire,) = _write(store, _draft("Nordpress", WIRE, 0))
    (rerun,) = _write(store, _draft("Valley Herald", RERUN, 3, title="Mill blaze tamed"))
    assert store.article(rerun).duplicate_of == wire
    assert store.article(wire).duplicate_of is None
    assert store.duplicates_of(wire) == [rerun]


def test_an_earlier_copy_arriving_later_becomes_the_original(store: Store) -> None:
    (herald,) = _write(store, _draft("Valley Herald", RERUN, 3))
    (courier,) = _write(store, _draft("Tormund Courier", RERUN, 5))
    assert store.article(courier).duplicate_of == herald
    (wire,) = _write(store, _draft("Nordpress", WIRE, 0))
    assert store.article(wire).duplicate_of is None
    assert store.article(herald).duplicate_of == wire
    assert store.article(courier).duplicate_of == wire


def test_two_write_ups_of_one_event_are_not_linked(store: Store) -> None:
    _write(store, _draft("Nordpress", WIRE, 0), _draft("Valley Herald", OWN_REPORT, 1))
    assert _links(store) == {"Nordpress": None, "Valley Herald": None}


def test_feed_teasers_are_never_grouped(store: Store) -> None:
    teaser = WIRE[:1]
    _write(
        store,
        _draft("Nordpress", WIRE, 0),
        _draft("Feed One", teaser, 1, is_partial=True),
        _draft("Feed Two", teaser, 2, is_partial=True),
    )
    assert set(_links(store).values()) == {None}
    with store.engine.connect() as conn:
        indexed = set(conn.execute(sa.select(article_signatures.c.article_id)).scalars())
    assert len(indexed) == 1


def test_full_text_replacing_a_teaser_joins_the_group(store: Store) -> None:
    (wire,) = _write(store, _draft("Nordpress", WIRE, 0))
    (herald,) = _write(store, _draft("Valley Herald", WIRE[:1], 2, is_partial=True))
    assert store.article(herald).duplicate_of is None
    assert _write(store, _draft("Valley Herald", RERUN, 2)) == [herald]
    assert store.article(herald).duplicate_of == wire


def test_the_index_and_links_survive_reopening_the_store(settings: Settings) -> None:
    with Store.open(settings.db_url) as store:
        (wire,) = _write(store, _draft("Nordpress", WIRE, 0))
        (herald,) = _write(store, _draft("Valley Herald", RERUN, 3))
    with Store.open(settings.db_url) as store:
        assert store.article(herald).duplicate_of == wire
        # A copy arriving after the restart is found through the stored LSH index.
        (courier,) = _write(store, _draft("Tormund Courier", RERUN[:3], 6))
        assert store.article(courier).duplicate_of == wire


def test_a_copy_whose_text_changes_leaves_the_group_and_bands_are_replaced(store: Store) -> None:
    (wire,) = _write(store, _draft("Nordpress", WIRE, 0))
    (herald,) = _write(store, _draft("Valley Herald", RERUN, 3))
    assert store.article(herald).duplicate_of == wire
    with store.engine.connect() as conn:
        before = set(
            conn.execute(sa.select(lsh_bands.c.key).where(lsh_bands.c.article_id == herald))
        )
    # The Herald replaces the wire text at the same URL with its own reporting (version 2).
    (same,) = _write(store, _draft("Valley Herald", OWN_REPORT, 3), now=NOW + timedelta(hours=4))
    assert same == herald and store.article(herald).version == 2
    assert store.article(herald).duplicate_of is None
    with store.engine.connect() as conn:
        after = set(
            conn.execute(sa.select(lsh_bands.c.key).where(lsh_bands.c.article_id == herald))
        )
    assert before and after and not before & after


def test_a_group_splits_when_its_bridge_changes(store: Store) -> None:
    # The Herald ran the wire story with its own report after it; the Courier ran only the
    # Herald's own report, so the Courier reaches the wire through the Herald alone.
    own_ending = "Tormund's mayor said the village school would stay open on Wednesday."
    (wire,) = _write(store, _draft("Nordpress", WIRE[:4], 0))
    (herald,) = _write(store, _draft("Valley Herald", (*WIRE[:4], *OWN_REPORT), 1))
    (courier,) = _write(store, _draft("Tormund Courier", (*OWN_REPORT, own_ending), 2))
    assert store.article(herald).duplicate_of == wire
    assert store.article(courier).duplicate_of == wire
    # The Herald drops its own report (a new version): the Courier is a copy of nothing now.
    _write(
        store,
        _draft("Valley Herald", (*WIRE[:4], own_ending), 1),
        now=NOW + timedelta(hours=5),
    )
    assert store.article(herald).version == 2
    assert store.article(herald).duplicate_of == wire
    assert store.article(courier).duplicate_of is None


def _scraped(headline: str, paragraphs: tuple[str, ...], *furniture: str) -> str:
    return "\n".join([headline, *furniture, *paragraphs]) + "\n"


def test_ingested_copies_link_and_reprocess_keeps_the_links(
    store: Store, settings: Settings, inputs: Callable[..., Path]
) -> None:
    wire = inputs(
        "wire.txt",
        _scraped("Arlsberg paper mill fire under control after nine hours", WIRE),
        meta={
            "source": "Nordpress",
            "url": "https://nordpress.example/arlsberg-fire",
            "published_at": "2026-11-20T18:00:00+00:00",
        },
    )
    inputs(
        "herald.txt",
        _scraped("Mill blaze tamed", RERUN, "Home > Region", "By Karin Holm", "Advertisement"),
        meta={
            "source": "Valley Herald",
            "url": "https://valleyherald.example/mill-blaze",
            "published_at": "2026-11-20T21:30:00+00:00",
        },
    )
    inputs(
        "courier.txt",
        _scraped("Smoke over Tormund as Kessler mill burns", OWN_REPORT),
        meta={
            "source": "Tormund Courier",
            "url": "https://tormundcourier.example/kessler",
            "published_at": "2026-11-20T20:00:00+00:00",
        },
    )
    ingest_files(store, [wire.parent], settings=settings)
    expected = {"Nordpress": None, "Valley Herald": "Nordpress", "Tormund Courier": None}
    assert _links(store) == expected
    reprocess(store, settings=settings, clock=lambda: NOW + timedelta(days=1))
    assert _links(store) == expected


def test_upgrading_a_store_indexes_and_links_what_it_already_holds(db_path: Path) -> None:
    url = f"sqlite:///{db_path}"
    store = Store.open(url, migrate=False)
    with store.engine.connect() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        conn.commit()
        now = sa.text("'2026-11-20 12:00:00'")
        conn.execute(
            sa.text(
                "INSERT INTO raw_documents (id, sha256, options, size_bytes, truncated, "
                f"compression, data, fetched_at) VALUES (1, 'x', '{{}}', 0, 0, 'none', x'', {now})"
            )
        )
        conn.execute(
            sa.text(f"INSERT INTO sources (id, name, created_at) VALUES (1, 'Wire', {now})")
        )
        for article_id, body, hours in ((1, WIRE, 0), (2, RERUN, 3), (3, OWN_REPORT, 1)):
            conn.execute(
                sa.text(
                    "INSERT INTO articles (id, identity, raw_id, source_id, title, authors, "
                    "published_at, published_at_guessed, body, content_hash, is_partial, "
                    "version, ingested_at, updated_at) VALUES (:id, :identity, 1, 1, 't', '[]', "
                    ":published, 0, :body, :hash, 0, 1, :published, :published)"
                ),
                {
                    "id": article_id,
                    "identity": f"text:{article_id}",
                    "published": f"2026-11-20 1{hours}:00:00",
                    "body": "\n\n".join(body),
                    "hash": f"h{article_id}",
                },
            )
        conn.commit()
    store.migrate()
    assert store.article(2).duplicate_of == 1
    assert store.article(3).duplicate_of is None
    with store.engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(article_signatures)).scalar() == 3
        )
    store.close()
