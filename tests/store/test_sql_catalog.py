"""The store's entity catalog resolves names exactly as the in-memory one does.

``SqlCatalog`` reads every entity an article's names could match in one statement and writes
names and type votes together at the end; ``EntityCatalog`` keeps everything in dictionaries.
The matching algorithm is the same code (``CatalogBase.resolve``), so the two must agree on
every id, name and key for the same articles in the same order, on a real SQLite database.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from broadsheet.model import EntityType, MentionDraft
from broadsheet.pipeline.enrich.resolve import EntityCatalog, group_mentions
from broadsheet.store.entities import SqlCatalog
from broadsheet.store.schema import article_entities, entities, entity_names, metadata

PER, ORG, LOC = EntityType.PERSON, EntityType.ORGANIZATION, EntityType.PLACE
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def m(text: str, name: str, kind: EntityType = PER) -> MentionDraft:
    return MentionDraft(text=text, start=0, end=len(text), type=kind, name=name)


ARTICLES = [
    [
        m("Olaf Scholz", "Olaf Scholz"),
        m("Scholz", "Olaf Scholz"),
        m("Emmanuel Macron", "Emmanuel Macron"),
        m("Berlin", "Berlin", LOC),
    ],
    # Lone surnames, vouched for by each other (named together before).
    [m("Scholz", "Scholz"), m("Macron", "Macron"), m("Brussels", "Brussels", LOC)],
    [
        m("European Central Bank", "European Central Bank", ORG),
        m("ECB", "European Central Bank", ORG),
        m("Frankfurt", "Frankfurt", LOC),
    ],
    # The acronym alone, and a company-form word that does not make another organisation.
    [m("ECB", "ECB", ORG), m("Intel Corp.", "Intel Corp.", ORG), m("Intel", "Intel", ORG)],
    [m("Hunter Biden", "Hunter Biden"), m("Delaware", "Delaware", LOC)],
    [m("Joe Biden", "Joe Biden"), m("White House", "White House", ORG)],
    [m("Biden", "Biden"), m("Ohio", "Ohio", LOC)],  # no evidence: its own entity
    [m("Biden", "Biden"), m("White House", "White House", ORG)],  # evidence: Joe Biden
    # Two names of one article that both lead to Olaf Scholz: the full name, and the surname
    # the model took for a place. Each name the entity gains is written once.
    [m("Olaf Scholz", "Olaf Scholz"), m("Scholz", "Scholz", LOC), m("Berlin", "Berlin", LOC)],
    [m("Luiz Inácio Lula da Silva", "Luiz Inácio Lula da Silva"), m("Brasília", "Brasília", LOC)],
    [m("Lula da Silva", "Lula da Silva"), m("Lula", "Lula da Silva")],
    # One word, two things: a country, then an organisation of that name (types that never mix).
    [m("Jordan", "Jordan", LOC), m("Amman", "Amman", LOC)],
    [m("Jordan", "Jordan", ORG), m("Nike", "Nike", ORG)],
]


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[Connection]:
    # The catalog's tables on their own (no article rows: this file is about resolution).
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'catalog.db'}")
    metadata.create_all(engine, tables=[entities, entity_names, article_entities])
    with engine.begin() as connection:
        yield connection
    engine.dispose()


def _keys_in_store(conn: Connection) -> dict[int, set[tuple[str, str]]]:
    found: dict[int, set[tuple[str, str]]] = {}
    for row in conn.execute(sa.select(entity_names)):
        found.setdefault(int(row.entity_id), set()).add((row.kind, row.key))
    return found


def test_store_catalog_resolves_every_article_as_the_memory_catalog(conn: Connection) -> None:
    memory = EntityCatalog()
    catalog = SqlCatalog(conn, NOW)  # one for all: what it read for one article must not stick
    for number, article in enumerate(ARTICLES, 1):
        expected = memory.resolve(article)
        got = catalog.resolve(article)
        assert got == expected, f"article {number}"
        # What write_mentions records; the neighbourhoods of later articles come from it.
        conn.execute(
            article_entities.insert(),
            [{"article_id": number, "entity_id": e, "mentions": 1} for e in set(got.values())],
        )
    names = {int(r.id): r.name for r in conn.execute(sa.select(entities.c.id, entities.c.name))}
    assert names == {i: memory.entity(i)[0] for i in names}
    assert len(names) == len(memory)
    stored = _keys_in_store(conn)
    for entity_id in names:
        aliases = {("alias", k) for k in memory._entities[entity_id].keys}
        assert {k for k in stored[entity_id] if k[0] == "alias"} == aliases
    # Spot checks of what the agreement covers.
    scholz = memory.resolve([m("Olaf Scholz", "Olaf Scholz")])[(PER, "Olaf Scholz")]
    assert ("alias", "scholz") in stored[scholz]
    assert {("token", "olaf"), ("token", "scholz")} <= stored[scholz]
    assert names[scholz] == "Olaf Scholz"
    lula = memory.resolve([m("Lula da Silva", "Lula da Silva")])[(PER, "Lula da Silva")]
    assert names[lula] == "Luiz Inácio Lula da Silva"


def test_extending_an_entity_no_name_led_to_reads_it_first(conn: Connection) -> None:
    first = SqlCatalog(conn, NOW).resolve([m("Olaf Scholz", "Olaf Scholz")])
    scholz = first[(PER, "Olaf Scholz")]
    catalog = SqlCatalog(conn, NOW)
    (group,) = group_mentions([m("O. Scholz", "O. Scholz")])
    catalog.extend(scholz, group)  # never read by this catalog: the safety net loads it
    catalog._write()
    keys = _keys_in_store(conn)[scholz]
    assert ("alias", "o scholz") in keys and ("alias", "olaf scholz") in keys
    votes = conn.execute(sa.select(entities.c.type_votes).where(entities.c.id == scholz)).scalar()
    assert votes == {"person": 2}
    assert catalog.types == {scholz: "person"}


def test_a_key_outside_the_article_is_read_when_asked(conn: Connection) -> None:
    ecb = SqlCatalog(conn, NOW).resolve([m("European Central Bank", "European Central Bank", ORG)])
    catalog = SqlCatalog(conn, NOW)
    catalog.resolve([m("Frankfurt", "Frankfurt", LOC)])  # reads only Frankfurt's keys
    (found,) = catalog.by_keys((ORG,), {"ecb"})
    assert found.id == ecb[(ORG, "European Central Bank")]
    assert catalog.by_token((ORG,), "central")[0].id == found.id
