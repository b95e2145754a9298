"""Online story clustering (#7): literal texts through the real ingest path into a store."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from broadsheet import ingest_files, reprocess
from broadsheet.config import Settings
from broadsheet.evaluation.clustering import bcubed, pairwise
from broadsheet.evaluation.synthetic import insert_article, placeholder_raw, placeholder_sources
from broadsheet.pipeline.cluster import (
    FEATURES,
    SPLIT_MAX_SIZE,
    SPLIT_MIN_SIZE,
    SPLIT_SIZES,
    ClusterModel,
    MemoryClusterer,
    Signal,
    cosine_to,
    entity_mismatch,
    event_terms,
    load_model,
    make_signal,
    merge_members,
    prior_df,
    prior_language,
    split_members,
    term_counts,
    unit_vector,
)
from broadsheet.store import Store
from broadsheet.store.schema import (
    articles,
    feedback,
    follows,
    read_marks,
    stories,
    story_terms,
)
from broadsheet.store.stories import _MEMBERS_QUERY, assign
from broadsheet.store.users import Accounts

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


def test_figures_are_terms_but_clock_times_and_parts_of_words_are_not() -> None:
    text = (
        "The magnitude 6.1 quake struck at 8:40 and killed 12; 2,500 were left homeless, the "
        "worst since 2008. Two F16 jets flew over at 5pm in the 1990s style, 3 times."
    )
    figures = {term for term in event_terms(text) if term.startswith("#")}
    assert figures == {"#6.1", "#12", "#2500", "#2008"}
    assert event_terms(text)["quake"] == term_counts(text)["quake"] == 1
    assert not any(term.startswith("#") for term in term_counts(text))


def test_look_alike_events_with_other_figures_are_further_apart() -> None:
    """Two write-ups of one quake share its figures; a look-alike quake has the same words and
    other figures. Without figures as terms the look-alike would be the closer of the two."""
    published = datetime(2026, 11, 20, tzinfo=UTC)

    def signal(text: str) -> Signal:
        return make_signal("Quake in the hills", text, {}, published, {}, 10)

    first = signal("A magnitude 6.1 quake killed 12 people and left 2,500 homeless.")
    same = signal("A magnitude 6.1 quake killed 12 people and left 2500 homeless, officials said.")
    other = signal("A magnitude 7.0 quake killed 40 people and left 9,000 homeless.")
    assert {t for t in first.vector if t.startswith("#")} & set(same.vector) == {
        "#6.1",
        "#12",
        "#2500",
    }
    assert not {t for t in first.vector if t.startswith("#")} & set(other.vector)
    assert cosine_to(first.vector, same.vector) > cosine_to(first.vector, other.vector)


def test_the_document_frequency_prior_counts_common_words_as_common() -> None:
    """A fresh store has seen too few articles to know that "government" is in most of them;
    the prior (wordfreq's frequencies) says so from the first article. Figures, entity keys and
    unknown words get none, and a folded plural is looked up as written and with its "s".
    Words rarer than one in a million ("shipwright") are left out of the tables it loads."""
    assert prior_df("government", "en") > 300 > prior_df("shipyard", "en") > 0
    assert prior_df("shipwright", "en") == 0.0
    assert prior_df("election", "en") > 100  # a word starting with "e" is not an entity key
    assert prior_df("crisi", "en") > 10 * prior_df("crisi", None)  # "crisis", folded
    assert prior_df("#2008", "en") == prior_df("e:12", "en") == prior_df("zorblatt", "en") == 0.0
    assert prior_language("en-GB") == "en"
    assert prior_language("tlh") is None
    # Chinese, Japanese and Korean would need tokenizers wordfreq does not install.
    assert prior_language("zh") is prior_language("ja") is prior_language("ko") is None
    for language in ("zh", "ja", "ko", "ar", "ru"):
        signal = make_signal(
            "北京市政府",
            "北京市政府 今天宣布",
            {},
            datetime(2026, 11, 20, tzinfo=UTC),
            {},
            0,
            language,
        )
        assert signal.vector
    assert prior_language(None) is None
    counts = {"government": 1, "shipyard": 1}
    cold = unit_vector(counts, {}, 3)
    warm = unit_vector(counts, {}, 3, "en")
    assert cold["government"] == cold["shipyard"]
    assert warm["government"] < 0.5 * warm["shipyard"]
    # As the store's own counts grow, they weigh with the prior's.
    seen = unit_vector(counts, {"shipyard": 3000}, 4000, "en")
    assert seen["shipyard"] < warm["shipyard"]


def test_clustering_metrics_on_a_literal_example() -> None:
    gold = {"a": 1, "b": 1, "c": 2, "d": 2}
    assert bcubed(gold, gold)["bcubed_f1"] == 1.0
    lumped = bcubed(gold, dict.fromkeys(gold, 0))
    assert lumped["bcubed_recall"] == 1.0 and lumped["bcubed_precision"] == 0.5
    split = pairwise(gold, {"a": 1, "b": 2, "c": 3, "d": 3})
    assert split["pairwise_precision"] == 1.0 and split["pairwise_recall"] == 0.5


def test_an_article_without_words_or_entities_opens_its_own_story() -> None:
    """One-digit numbers, clock times and stop words only: an empty vector matches no story and
    joins none."""
    memory = MemoryClusterer(load_model())
    published = datetime(2026, 11, 20, tzinfo=UTC)
    first = memory.add(memory.signal(FIRE_1["title"], FIRE_1["text"], {}, published))
    empty = memory.signal("At 10:30", "It was 1, and then 4 or 5 of them.", {}, published)
    assert empty.vector == {} and empty.title_vector == {} and empty.query_terms() == []
    assert memory.add(empty) != first
    again = memory.add(memory.signal("", "", {}, published))
    assert again not in {first, 1} and len(memory.stories) == 3


def test_a_model_file_for_other_features_is_refused() -> None:
    data = load_model().to_json() | {"features": ["cos_body", "size"]}
    with pytest.raises(ValueError, match="features"):
        ClusterModel.from_json(data)


def _signal(weights: Mapping[str, float], entity_vector: dict[int, float] | None = None) -> Signal:
    norm = sum(v * v for v in weights.values()) ** 0.5
    return Signal(
        vector={t: v / norm for t, v in weights.items()},
        title_vector={},
        entity_vector=entity_vector or {},
        entities=frozenset(entity_vector or {}),
        published_at=datetime(2026, 11, 20, tzinfo=UTC),
        title="",
    )


def _joins_all() -> ClusterModel:
    """A model that joins every candidate that shares words with the article."""
    weights = tuple(10.0 if name == "cos_body" else 0.0 for name in FEATURES)
    return ClusterModel(weights=weights, bias=0.0, threshold=0.5)


def test_a_story_of_two_confusable_events_is_split_and_one_event_is_not() -> None:
    """Two events sharing their topic words (each member close to the story as a whole) but
    not their names: the halves are tighter than they are with each other."""
    jackson = [
        _signal({"charger": 0.6, "dui": 0.5, "jackson": 0.9, f"a{i}": 0.2}) for i in range(4)
    ]
    williams = [
        _signal({"charger": 0.6, "dui": 0.5, "williams": 0.9, f"b{i}": 0.2}) for i in range(3)
    ]
    members = [
        jackson[0],
        williams[0],
        jackson[1],
        jackson[2],
        williams[1],
        jackson[3],
        williams[2],
    ]
    cut = split_members(members)
    assert cut is not None
    keep, leave = cut
    assert [members[k] for k in keep] == jackson  # the larger half keeps the story
    assert [members[k] for k in leave] == williams
    assert split_members([*jackson, _signal({"charger": 0.6, "dui": 0.5, "jackson": 0.9})]) is None


def test_the_split_check_is_bounded_by_story_size() -> None:
    one = _signal({"alpha": 1.0})
    other = _signal({"beta": 1.0})
    assert split_members([one, other] * (SPLIT_MIN_SIZE // 2 - 1) + [one]) is None
    assert split_members([one, other] * (SPLIT_MIN_SIZE // 2)) is not None
    assert split_members([one, other] * (SPLIT_MAX_SIZE // 2 + 1)) is None


def test_memory_clusterer_moves_the_leaving_half_to_a_new_story() -> None:
    joins_all = _joins_all()
    memory = MemoryClusterer(joins_all)
    for n in range(6):
        memory.place(
            _signal({"mill": 0.5, "fire": 0.5, f"harwick{n % 2}": 1.0}), None if n == 0 else 0
        )
    assert len(memory.stories) == 1
    # Seven members is not a size the story is checked at (SPLIT_SIZES): it stays whole ...
    memory.add(_signal({"mill": 0.5, "fire": 0.5, "harwick0": 1.0}))
    assert 7 not in SPLIT_SIZES and len(memory.stories) == 1
    # ... and at eight it is cut in two.
    memory.add(_signal({"mill": 0.5, "fire": 0.5, "harwick1": 1.0}))
    labels = memory.labels()
    assert len(memory.stories) == 2 and len(set(labels.values())) == 2
    assert {labels[n] for n in (0, 2, 4, 6)} != {labels[n] for n in (1, 3, 5, 7)}
    assert sum(s.size for s in memory.stories) == 8
    assert set(memory.moved) <= set(labels)


def _insert_article(
    conn: sa.Connection,
    n: int,
    raw_and_source: tuple[int, int],
    title: str,
    body: str,
    now: datetime,
    *,
    duplicate_of: int | None = None,
) -> int:
    """An article row written straight into the store, for the clustering tests to assign."""
    return insert_article(
        conn,
        identity=f"fire:{n}",
        raw_and_source=raw_and_source,
        title=title,
        body=body,
        published_at=now,
        now=now,
        duplicate_of=duplicate_of,
    )


def test_the_store_splits_a_story_of_two_events_and_moves_the_members(
    tmp_path: Path, settings: Settings
) -> None:
    """A model that joins every candidate puts two fires in one story; once each fire has three
    members in it, the split check gives the second fire its own story (the duplicate of one of
    its articles goes along), and later articles join the right one."""
    joins_all = _joins_all()
    now = datetime(2026, 11, 20, 9, tzinfo=UTC)
    towns = {"Harwick": "paper pulp boiler mill", "Tolvern": "timber sawdust kiln yard"}
    with Store.open(settings.db_url) as store, store.engine.begin() as conn:
        raw_id = placeholder_raw(conn, now)
        (source_id,) = placeholder_sources(conn, ["Meridian Wire"], now)
        town_of: dict[int, str] = {}
        first_tolvern: int | None = None
        for n in range(10):
            town = "Harwick" if n % 2 == 0 else "Tolvern"
            words = towns[town]
            body = (
                f"A fire broke out at the {town} works on Thursday. {words} {words} burned "
                f"while crews fought the fire in {town}; {words} report {n} fire."
            )
            article_id = _insert_article(
                conn,
                n,
                (raw_id, source_id),
                f"Fire at the {town} works",
                body,
                now,
                duplicate_of=first_tolvern if n == 3 else None,
            )
            if n == 1:
                first_tolvern = int(article_id)
            town_of[int(article_id)] = town
            assign(conn, [int(article_id)], now=now, model=joins_all)
        rows = conn.execute(sa.select(articles.c.id, articles.c.story_id)).all()
        story_of = {int(r.id): r.story_id for r in rows}
        counts = {
            int(r.id): (r.size, r.article_count)
            for r in conn.execute(sa.select(stories.c.id, stories.c.size, stories.c.article_count))
        }
    by_town = {t: {story_of[a] for a, town in town_of.items() if town == t} for t in towns}
    assert all(len(found) == 1 for found in by_town.values())
    assert by_town["Harwick"] != by_town["Tolvern"]
    (harwick,), (tolvern,) = by_town["Harwick"], by_town["Tolvern"]
    # Five Harwick articles; four Tolvern ones and a duplicate, which counts but has no vector.
    assert counts == {harwick: (5, 5), tolvern: (4, 5)}


def test_a_storys_members_are_read_through_the_story_index(settings: Settings) -> None:
    """The split and merge checks read a story's members by ``story_id``. With the duplicates
    left out in SQL ("duplicate_of IS NULL"), SQLite walked the duplicate_of index over every
    original in the store instead, and each check grew with the store."""
    with Store.open(settings.db_url) as store, store.engine.connect() as conn:
        statement = str(_MEMBERS_QUERY.compile(dialect=conn.dialect))
        plan = " ".join(
            str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", (1,))
        )
    assert "USING INDEX ix_articles_story_sources (story_id=?)" in plan
    assert "duplicate_of" not in plan


@pytest.mark.parametrize(
    ("article", "story", "expected"),
    [
        # The rate hold against the rate rise: each side's leading bank is a stranger to the
        # other, though the rise's story mentions the holding bank once.
        ({1: 0.9, 2: 0.4}, {3: 1.4, 4: 1.4, 2: 0.3}, 1.0),
        ({1: 0.9, 2: 0.4}, {3: 1.4, 1: 0.2}, 0.0),  # the article's leading entity is in the story
        ({1: 0.9, 3: 0.1}, {3: 1.4, 4: 1.0}, 0.0),  # the story's leading entity is in the article
        ({}, {3: 1.4}, 0.0),  # an article that names no one contradicts nothing
        ({1: 0.9}, {}, 0.0),
    ],
)
def test_entity_mismatch_needs_both_leading_entities_to_be_strangers(
    article: dict[int, float], story: dict[int, float], expected: float
) -> None:
    assert entity_mismatch(article, story) == expected


def test_the_model_scores_a_story_led_by_other_names_lower() -> None:
    model = load_model()
    values = [0.25, 0.04, 0.35, 0.25, 1.0, 1.6]
    weight = dict(zip(FEATURES, model.weights, strict=True))["entity_mismatch"]
    assert weight < 0
    assert model.score([*values, 1.0]) < model.score([*values, 0.0])


def _fire(angle: str, n: int) -> Signal:
    """One fire at the Harwick mill, written up from one of two angles."""
    words = {"harwick": 0.6, "mill": 0.5, "fire": 0.5, f"{angle}{n}": 0.3}
    words |= {"crews": 0.5, "blaze": 0.4} if angle == "rescue" else {"insurer": 0.5, "loss": 0.4}
    return _signal(words)


def test_two_stories_of_one_event_are_merged_and_two_events_are_not() -> None:
    rescue = [_fire("rescue", n) for n in range(3)]
    losses = [_fire("losses", n) for n in range(2)]
    assert merge_members(rescue, losses)
    tolvern = [_signal({"tolvern": 0.9, "kiln": 0.5, f"t{n}": 0.3}) for n in range(2)]
    assert not merge_members(rescue, tolvern)
    # The test is over the members' words only: which entity leads each story does not count
    # (a veto on that made merging depend on arrival order). Two stories as alike as these, each
    # led by its own bank, are merged; the join model's `entity_mismatch` is what keeps an
    # article of one from joining the other in the first place.
    aldmark = [
        _signal({"rate": 0.7, "bank": 0.5, f"r{n}": 0.3}, {1: 0.9, 3: 0.2}) for n in range(3)
    ]
    corvania = [_signal({"rate": 0.7, "bank": 0.5, f"c{n}": 0.3}, {2: 0.9}) for n in range(2)]
    assert merge_members(aldmark, corvania)
    assert merge_members(aldmark, [_signal(s.vector, {1: 0.8}) for s in corvania])
    # Two lone articles give no measure of how tight a story is: nothing to compare against.
    assert not merge_members(rescue[:1], losses[:1])
    # Bounded like the split check.
    assert not merge_members(rescue * SPLIT_MAX_SIZE, losses)


def test_memory_clusterer_merges_two_stories_an_article_joins_equally_well() -> None:
    apart = ClusterModel(weights=(0.0,) * len(FEATURES), bias=0.0, threshold=0.9)
    memory = MemoryClusterer(apart)
    for n, signal in enumerate([_fire("rescue", 0), _fire("rescue", 1), _fire("losses", 0)]):
        memory.place(signal, None if n in (0, 2) else 0)
    assert len(set(memory.labels().values())) == 2
    memory.model = _joins_all()
    both = _signal({"harwick": 0.6, "mill": 0.5, "fire": 0.5, "crews": 0.4, "insurer": 0.4})
    key = memory.add(both)
    labels = memory.labels()
    assert set(labels.values()) == {key} and len(labels) == 4
    assert memory.moved.get(2) == key  # the smaller story's article moved
    # Without the repairs (as when training pairs are gathered), nothing moves.
    plain = MemoryClusterer(_joins_all(), repair=False)
    plain.place(_fire("rescue", 0), None)
    plain.place(_fire("losses", 0), None)
    plain.add(both)
    assert len(set(plain.labels().values())) == 2


def test_the_store_merges_two_stories_of_one_event_with_their_duplicates_and_feedback(
    tmp_path: Path, settings: Settings
) -> None:
    """Two write-ups of one fire from different angles open two stories under a model that
    joins nothing; a third that reads like both, under a model that joins everything, brings
    them together: the copy of the second write-up and a reader's feedback follow, and the
    emptied story is gone with its index rows and read marks; a follow of it now follows the
    story that holds its articles."""
    apart = ClusterModel(weights=(0.0,) * len(FEATURES), bias=0.0, threshold=0.9)
    now = datetime(2026, 11, 20, 9, tzinfo=UTC)
    bodies = [
        "Fire crews fought a blaze at the Harwick paper mill overnight; crews saved the boiler.",
        "The Harwick paper mill fire will cost its insurer dearly; the boiler loss is large.",
        "The Harwick paper mill fire will cost its insurer dearly; the boiler loss is large.",
        "Fire crews fought the Harwick paper mill blaze overnight and saved the boiler; its "
        "insurer counts the loss.",
    ]
    with Store.open(settings.db_url) as store:
        user = Accounts(store).add_user("reader", "correct horse battery", now=now)
        with store.engine.begin() as conn:
            raw_id = placeholder_raw(conn, now)
            (source_id,) = placeholder_sources(conn, ["Meridian Wire"], now)
            ids: list[int] = []
            for n, body in enumerate(bodies):
                article_id = _insert_article(
                    conn,
                    n,
                    (raw_id, source_id),
                    "Fire at the Harwick paper mill",
                    body,
                    now,
                    duplicate_of=ids[1] if n == 2 else None,
                )
                ids.append(article_id)
                if n < 3:
                    assign(conn, [ids[-1]], now=now, model=apart)
                if n == 2:
                    story_of = {r.id: r.story_id for r in conn.execute(sa.select(articles))}
                    first, second = story_of[ids[0]], story_of[ids[1]]
                    assert first != second and story_of[ids[2]] == second
                    conn.execute(
                        feedback.insert().values(
                            user_id=user.id, story_id=second, kind="open", created_at=now
                        )
                    )
                    conn.execute(
                        read_marks.insert().values(
                            user_id=user.id,
                            story_id=second,
                            read_at=now,
                            source_count=1,
                            conflict_count=0,
                        )
                    )
                    conn.execute(
                        follows.insert().values(
                            user_id=user.id,
                            kind="story",
                            target=str(second),
                            weight=1.0,
                            created_at=now,
                        )
                    )
            assign(conn, [ids[3]], now=now, model=_joins_all())
            story_of = {r.id: r.story_id for r in conn.execute(sa.select(articles))}
            rows = conn.execute(sa.select(stories.c.id, stories.c.size, stories.c.article_count))
            counts = {int(r.id): (r.size, r.article_count) for r in rows}
            feedback_stories = set(conn.execute(sa.select(feedback.c.story_id)).scalars())
            marks = conn.execute(sa.select(sa.func.count()).select_from(read_marks)).scalar()
            indexed = set(conn.execute(sa.select(story_terms.c.story_id)).scalars())
            followed = list(conn.execute(sa.select(follows.c.target)).scalars())
    # The bigger story (the first write-up and the article that bridged them) keeps its id.
    assert set(story_of.values()) == {first}
    assert counts == {first: (3, 4)}
    assert feedback_stories == {first}
    assert marks == 0 and indexed == {first}
    assert followed == [str(first)]
