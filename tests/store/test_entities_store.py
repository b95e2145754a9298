"""Entities through the real pipeline and store: ingest, CLI, reprocess, reopen."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import Result

from broadsheet.store import Store
from broadsheet.store.schema import entities, mentions
from tests.conftest import article_html

Run = Callable[..., Result]

SUMMIT = [
    "German Chancellor Olaf Scholz met French President Emmanuel Macron in Berlin on Monday to "
    "discuss the budget of the European Union, officials said after the meeting.",
    "Scholz told reporters that the talks had been difficult but useful, and that both "
    "governments wanted an agreement before the summit in Brussels next month.",
    "Macron said France would present its own proposal on Wednesday. Scholz's spokesman "
    "declined to say whether Germany would support it.",
]
FOLLOW_UP = [
    "Scholz and Macron spoke again by telephone on Thursday, a government spokeswoman in "
    "Berlin said, adding that the two leaders agreed to meet in Paris next week.",
    "The European Union budget talks resume in Brussels on Friday, with Scholz expected to "
    "attend the first session in person.",
]
BIDENS = [
    "Hunter Biden appeared in a Delaware court on Tuesday and pleaded not guilty to three "
    "charges, his lawyer said after the hearing.",
    "Hunter Biden faces up to 25 years in prison if convicted, prosecutors said in a filing "
    "submitted to the court in Wilmington on Monday.",
]
JOE = [
    "President Joe Biden spoke at the White House on Wednesday about the economy and the "
    "cost of groceries, promising new measures within weeks.",
    "Joe Biden said inflation had fallen for six months in a row, and that wages were rising "
    "faster than prices for the first time in two years.",
]


def _ingest(run: Run, inputs: Callable[..., Path], name: str, title: str, paras: list[str]) -> None:
    path = inputs(name, article_html(title, paras))
    result = run("ingest", path, "--quiet")
    assert result.exit_code == 0, result.output


def _json(run: Run, *args: str) -> Any:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_one_person_is_one_entity_across_articles(run: Run, inputs: Callable[..., Path]) -> None:
    _ingest(run, inputs, "a.html", "Scholz and Macron meet in Berlin", SUMMIT)
    _ingest(run, inputs, "b.html", "Scholz and Macron to meet in Paris", FOLLOW_UP)
    listed = {e["name"]: e for e in _json(run, "entities")}
    assert listed["Olaf Scholz"]["type"] == "person"
    assert listed["Olaf Scholz"]["article_count"] == 2
    assert "Scholz" in listed["Olaf Scholz"]["aliases"]
    assert "Scholz" not in listed  # the lone surname of the second article was matched
    detail = _json(run, "entity", "Scholz")
    assert detail["name"] == "Olaf Scholz"
    assert "German Chancellor" in detail["roles"]
    assert len(detail["articles"]) == 2
    assert "Emmanuel Macron" in {c["name"] for c in detail["cooccurring"]}


def test_article_json_lists_entities_with_mentions_at_true_offsets(
    run: Run, inputs: Callable[..., Path]
) -> None:
    _ingest(run, inputs, "a.html", "Scholz and Macron meet in Berlin", SUMMIT)
    (listing,) = _json(run, "articles")
    article = _json(run, "article", str(listing["id"]))
    body = "\n\n".join(article["paragraphs"])
    by_name = {e["name"]: e for e in article["entities"]}
    scholz = by_name["Olaf Scholz"]
    assert scholz["type"] == "person"
    assert len(scholz["mentions"]) >= 3
    for entity in article["entities"]:
        for mention in entity["mentions"]:
            assert body[mention["start"] : mention["end"]] == mention["text"]
    assert article["language"] == "en"
    assert article["language_confidence"] > 0.9


def test_namesakes_stay_two_entities(run: Run, inputs: Callable[..., Path]) -> None:
    _ingest(run, inputs, "h.html", "Hunter Biden pleads not guilty", BIDENS)
    _ingest(run, inputs, "j.html", "Biden promises action on prices", JOE)
    people = {e["name"] for e in _json(run, "entities", "--type", "person")}
    assert {"Hunter Biden", "Joe Biden"} <= people
    both = _json(run, "entity", "Biden")
    assert {e["name"] for e in both} == {"Hunter Biden", "Joe Biden"}


def test_reprocess_and_reopen_keep_entities_stable(
    run: Run, inputs: Callable[..., Path], db_path: Path
) -> None:
    _ingest(run, inputs, "a.html", "Scholz and Macron meet in Berlin", SUMMIT)
    _ingest(run, inputs, "b.html", "Scholz and Macron to meet in Paris", FOLLOW_UP)
    before = _json(run, "entities")
    with Store.open(f"sqlite:///{db_path}") as store, store.engine.connect() as conn:
        counts = (
            conn.execute(sa.select(sa.func.count()).select_from(entities)).scalar_one(),
            conn.execute(sa.select(sa.func.count()).select_from(mentions)).scalar_one(),
        )
    assert run("reprocess", "--quiet").exit_code == 0
    assert _json(run, "entities") == before
    with Store.open(f"sqlite:///{db_path}") as store, store.engine.connect() as conn:
        after = (
            conn.execute(sa.select(sa.func.count()).select_from(entities)).scalar_one(),
            conn.execute(sa.select(sa.func.count()).select_from(mentions)).scalar_one(),
        )
    assert after == counts  # nothing re-created, nothing doubled


def test_unknown_entity_is_exit_1(run: Run) -> None:
    result = run("entity", "Nobody Atall")
    assert result.exit_code == 1
    assert "no entity named" in result.output


def test_entities_by_id_reads_them_in_bulk_as_one_by_one(
    run: Run, inputs: Callable[..., Path], store: Store
) -> None:
    _ingest(run, inputs, "a.html", "Scholz and Macron meet in Berlin", SUMMIT)
    with store.engine.connect() as conn:
        ids = list(conn.execute(sa.select(entities.c.id).order_by(entities.c.id)).scalars())
    assert len(ids) >= 4
    wanted = [*reversed(ids), 999_999, ids[0]]  # any order, an unknown id, a repeat
    one_by_one = [
        e for i in dict.fromkeys(wanted) for e in store.find_entities(str(i)) if e.id == i
    ]
    bulk = store.entities_by_id(wanted)
    assert bulk == one_by_one
    assert [e.id for e in bulk] == list(reversed(ids))
    scholz = next(e for e in bulk if e.name == "Olaf Scholz")
    assert "Scholz" in scholz.aliases and scholz.roles
