"""Online story clustering (#7): literal texts through the real ingest path into a store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from broadsheet import ingest_files, reprocess
from broadsheet.config import Settings
from broadsheet.evaluation.clustering import bcubed, pairwise
from broadsheet.pipeline.cluster import (
    FEATURES,
    ClusterModel,
    MemoryClusterer,
    load_model,
    term_counts,
)
from broadsheet.store import Store

FIRE_1 = {
    "title": "Fire guts Harwick paper mill, 40 workers evacuated",
    "source": "Meridian Wire",
    "url": "https://meridianwire.example/2026/11/20/harwick-mill-fire",
    "published_at": "2026-11-20T09:00:00+00:00",
    "text": (
        "A fire tore through the Colbrook paper mill in Harwick early on Thursday, forcing the "
        "evacuation of 40 night-shift workers, the Harwick fire service said.\n\n"
        "Chief fire officer Anna Brecht said the blaze started in a drying hall shortly after "
        "3 a.m. and took eleven crews more than five hours to bring under control.\n\n"
        "Nobody was hurt. Colbrook Paper said production at the Harwick mill would stop for at "
        "least a month while engineers inspect the damaged roof and the drying machines.\n\n"
        "Residents near the mill were told to keep windows closed because of the smoke."
    ),
}
FIRE_2 = {
    "title": "Colbrook mill blaze: Harwick crews fought fire for five hours",
    "source": "Daily Lantern",
    "url": "https://dailylantern.example/news/harwick-colbrook-mill-blaze",
    "published_at": "2026-11-20T13:30:00+00:00",
    "text": (
        "Eleven fire crews spent five hours fighting a blaze at the Colbrook paper mill in "
        "Harwick on Thursday morning, after it broke out in the drying hall.\n\n"
        "Forty workers on the night shift left the building safely, chief fire officer Anna "
        "Brecht told reporters outside the Harwick mill.\n\n"
        "Colbrook Paper, which employs 300 people in Harwick, said the mill would be closed for "
        "a month at least while the roof and the drying machines are inspected.\n\n"
        "Smoke drifted over the town and residents were asked to keep their windows shut."
    ),
}
OTHER_FIRE = {
    "title": "Warehouse fire in Tolvern destroys furniture stock",
    "source": "Coastal Courier",
    "url": "https://coastalcourier.example/tolvern-warehouse-fire",
    "published_at": "2026-11-21T08:00:00+00:00",
    "text": (
        "A fire destroyed a furniture warehouse on the Tolvern trading estate on Friday night, "
        "the Tolvern fire brigade said.\n\n"
        "Station commander Piet Ruys said six engines attended and the roof of the Marrow "
        "Furniture depot collapsed before the flames were put out.\n\n"
        "The depot was empty at the time. Marrow Furniture said stock worth about £2 million "
        "was lost and that deliveries to its shops in Tolvern would be delayed.\n\n"
        "Police said the cause of the fire was not yet known."
    ),
}


def _write(path: Path, *items: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db=str(tmp_path / "stories.db"))


def _story_of(store: Store, url: str) -> int | None:
    (found,) = [a for a in store.articles(limit=100) if a.url == url]
    return found.story_id


def test_two_write_ups_join_and_a_confusable_event_stays_apart(
    tmp_path: Path, settings: Settings
) -> None:
    with Store.open(settings.db_url) as store:
        ingest_files(store, [_write(tmp_path / "a.jsonl", FIRE_1)], settings=settings)
        ingest_files(store, [_write(tmp_path / "b.jsonl", OTHER_FIRE)], settings=settings)
        ingest_files(store, [_write(tmp_path / "c.jsonl", FIRE_2)], settings=settings)
        first, second = _story_of(store, FIRE_1["url"]), _story_of(store, FIRE_2["url"])
        other = _story_of(store, OTHER_FIRE["url"])
        assert first is not None and first == second
        assert other is not None and other != first
        found, members = store.story(first)
        assert found.source_count == 2 and found.article_count == 2
        assert set(found.sources) == {"Meridian Wire", "Daily Lantern"}
        assert [m.source for m in members] == ["Meridian Wire", "Daily Lantern"]
        assert found.first_seen == datetime(2026, 11, 20, 9, tzinfo=UTC)
        assert found.last_seen == datetime(2026, 11, 20, 13, 30, tzinfo=UTC)
        assert found.title in {FIRE_1["title"], FIRE_2["title"]}
        assert store.counts()["stories"] == 2


def test_a_duplicate_joins_its_originals_story_and_is_not_another_outlet(
    tmp_path: Path, settings: Settings
) -> None:
    copy = {**FIRE_1, "source": "Harwick Herald", "url": "https://herald.example/mill-fire"}
    with Store.open(settings.db_url) as store:
        ingest_files(store, [_write(tmp_path / "a.jsonl", FIRE_1)], settings=settings)
        ingest_files(store, [_write(tmp_path / "b.jsonl", copy)], settings=settings)
        by_url = {a.url: a for a in store.articles(limit=10)}
        original, duplicate = by_url[FIRE_1["url"]], by_url[copy["url"]]
        assert duplicate.duplicate_of == original.id
        assert duplicate.story_id == original.story_id is not None
        found, _members = store.story(original.story_id)
        assert found.article_count == 2
        assert found.source_count == 1
        assert found.sources == ("Meridian Wire",)


def test_stories_survive_reopening_and_reprocess_keeps_their_ids(
    tmp_path: Path, settings: Settings
) -> None:
    path = _write(tmp_path / "all.jsonl", FIRE_1, OTHER_FIRE, FIRE_2)
    with Store.open(settings.db_url) as store:
        ingest_files(store, [path], settings=settings)
        before = {a.url: a.story_id for a in store.articles(limit=10)}
        listed = [(s.id, s.article_ids) for s in store.stories()]
    with Store.open(settings.db_url) as store:
        assert [(s.id, s.article_ids) for s in store.stories()] == listed
        reprocess(store, settings=settings, clock=lambda: datetime.now(UTC))
        assert {a.url: a.story_id for a in store.articles(limit=10)} == before
        assert [(s.id, s.article_ids) for s in store.stories()] == listed
    assert before[FIRE_1["url"]] == before[FIRE_2["url"]] != before[OTHER_FIRE["url"]]


def test_shipped_model_loads_and_memory_clusterer_agrees() -> None:
    model = load_model()
    assert len(model.weights) == len(FEATURES)
    assert 0 < model.threshold < 1
    memory = MemoryClusterer(model)
    published = datetime(2026, 11, 20, tzinfo=UTC)
    keys = [
        memory.add(memory.signal(i["title"], i["text"], {}, published))
        for i in (FIRE_1, OTHER_FIRE, FIRE_2)
    ]
    assert keys[0] == keys[2] != keys[1]


def test_terms_and_model_round_trip() -> None:
    assert term_counts("The fires were burning in Harwick's mills") == {
        "fire": 1,
        "burning": 1,
        "harwick": 1,
        "mill": 1,
    }
    model = ClusterModel(weights=(1.0,) * len(FEATURES), bias=-1.0, threshold=0.4)
    assert ClusterModel.from_json(model.to_json()) == model


def test_clustering_metrics_on_a_literal_example() -> None:
    gold = {"a": 1, "b": 1, "c": 2, "d": 2}
    assert bcubed(gold, gold)["bcubed_f1"] == 1.0
    lumped = bcubed(gold, dict.fromkeys(gold, 0))
    assert lumped["bcubed_recall"] == 1.0 and lumped["bcubed_precision"] == 0.5
    split = pairwise(gold, {"a": 1, "b": 2, "c": 3, "d": 3})
    assert split["pairwise_precision"] == 1.0 and split["pairwise_recall"] == 0.5


def test_an_article_without_words_or_entities_opens_its_own_story() -> None:
    """Numbers and stop words only: an empty vector matches no story and joins none."""
    memory = MemoryClusterer(load_model())
    published = datetime(2026, 11, 20, tzinfo=UTC)
    first = memory.add(memory.signal(FIRE_1["title"], FIRE_1["text"], {}, published))
    empty = memory.signal("2026 - 11 - 20", "It was 12, and then 14 or 15 of them.", {}, published)
    assert empty.vector == {} and empty.title_vector == {} and empty.query_terms() == []
    assert memory.add(empty) != first
    again = memory.add(memory.signal("", "", {}, published))
    assert again not in {first, 1} and len(memory.stories) == 3


def test_a_model_file_for_other_features_is_refused() -> None:
    data = load_model().to_json() | {"features": ["cos_body", "size"]}
    with pytest.raises(ValueError, match="features"):
        ClusterModel.from_json(data)
