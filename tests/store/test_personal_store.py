"""The feed's store reads (``store/personal.py``) against rows written for them: candidate
lookup by follows within the window, and each candidate's features as ranking sees them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from broadsheet.errors import InputError
from broadsheet.evaluation.synthetic import placeholder_raw, placeholder_sources
from broadsheet.model import FollowKind
from broadsheet.pipeline import rank as ranking
from broadsheet.store import Store
from broadsheet.store.personal import Personal
from broadsheet.store.schema import articles, entities, raw_documents, stories, story_terms
from broadsheet.store.users import Accounts
from tests.conftest import article_html

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Store, list[int]]]:
    store = Store.open(f"sqlite:///{tmp_path / 'personal.db'}")
    with store.engine.begin() as conn:
        placeholder_raw(conn, NOW)
        outlets = placeholder_sources(conn, ["Alpha", "Beta", "Gamma"], NOW)
    yield store, outlets
    store.close()


def _story(
    store: Store,
    story_id: int,
    *,
    last_seen: datetime,
    terms: dict[str, float],
    outlets: list[tuple[int, datetime, bool]],
    title: str = "Harbour strike talks",
) -> None:
    """A story as clustering stores it: its row, its postings, and one article per outlet
    entry (source, published, is a syndicated copy)."""
    with store.engine.begin() as conn:
        raw_id = conn.execute(sa.select(sa.func.min(raw_documents.c.id))).scalar_one()
        conn.execute(
            stories.insert().values(
                id=story_id,
                language="en",
                title=title,
                title_score=0.0,
                first_seen=min(p for _, p, _ in outlets),
                last_seen=last_seen,
                article_count=len(outlets),
                source_count=len({s for s, _, copy in outlets if not copy}),
                size=len(outlets),
                centroid={},
                entity_centroid={},
                entities={},
                created_at=NOW,
                updated_at=NOW,
            )
        )
        conn.execute(
            story_terms.insert(),
            [
                {"story_id": story_id, "term": t, "weight": w, "last_seen": last_seen}
                for t, w in terms.items()
            ],
        )
        first_id: int | None = None
        for k, (source_id, published, copy) in enumerate(outlets):
            row: dict[str, Any] = {
                "identity": f"test:{story_id}:{k}",
                "raw_id": raw_id,
                "source_id": source_id,
                "title": title,
                "authors": [],
                "published_at": published,
                "published_at_guessed": False,
                "language": "en",
                "body": "b",
                "content_hash": f"{story_id}:{k}",
                "is_partial": False,
                "story_id": story_id,
                "version": 1,
                "ingested_at": NOW,
                "updated_at": NOW,
            }
            result = conn.execute(articles.insert().values(**row))
            article_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            if copy and first_id is not None:
                conn.execute(
                    articles.update()
                    .where(articles.c.id == article_id)
                    .values(duplicate_of=first_id)
                )
            first_id = first_id or article_id


def test_candidate_features_parse_every_posting_exactly(world: tuple[Store, list[int]]) -> None:
    store, (alpha, beta, gamma) = world
    third = 1 / 3
    _story(
        store,
        1,
        last_seen=NOW - timedelta(hours=1),
        terms={"strike": 0.4, "harbour": 0.3, "e:7": 1.0, "e:8": third, "e:9": 0.125},
        outlets=[
            (alpha, NOW - timedelta(hours=10), False),
            (beta, NOW - timedelta(hours=2), False),
            # Gamma ran only a syndicated copy: an article, not another outlet.
            (gamma, NOW - timedelta(hours=1), True),
        ],
    )
    personal = Personal(store)
    (everything,) = personal.candidates_by_id([1, 999], now=NOW)
    assert everything.story_id == 1
    assert dict(everything.entity_shares) == pytest.approx({7: 1.0, 8: third, 9: 0.125})
    assert abs(everything.entity_shares[8] - third) < 1e-12
    # Index words and the headline's words, normalised ("talks": "talk"); entity keys are not
    # words.
    assert everything.terms == {"strike", "harbour", "talk"}
    assert everything.source_ids == {alpha, beta}
    assert everything.source_count == 2 and everything.article_count == 3
    # Beta joined within the growth window; Alpha ten hours ago.
    assert everything.recent_source_count == 1
    # Five postings, two outlets and about six headline words.
    assert everything.key_count == 5 + 2 + 6

    (some,) = personal.candidates_by_id([1], now=NOW, keys={"e:8", "strike", "e:404"})
    assert dict(some.entity_shares) == pytest.approx({8: third})
    assert some.terms == {"strike"}
    # Filtering what is returned does not change how many keys the story has.
    assert some.key_count == everything.key_count


def test_candidate_ids_follow_the_window_and_the_heaviest_follows(
    world: tuple[Store, list[int]],
) -> None:
    store, (alpha, beta, _gamma) = world
    recent = NOW - timedelta(hours=3)
    _story(store, 1, last_seen=recent, terms={"e:7": 1.0}, outlets=[(alpha, recent, False)])
    _story(store, 2, last_seen=recent, terms={"tariffs": 0.5}, outlets=[(alpha, recent, False)])
    _story(store, 3, last_seen=recent, terms={"e:8": 1.0}, outlets=[(beta, recent, False)])
    # Outside the seven-day window of its follow: never a candidate through it.
    old = NOW - timedelta(days=30)
    _story(store, 4, last_seen=old, terms={"e:7": 1.0}, outlets=[(beta, old, False)])
    profile = ranking.Profile(
        follows=(
            ranking.Interest(FollowKind.ENTITY, "7", 2.0, "Anders Kjeldgaard"),
            ranking.Interest(
                FollowKind.KEYWORD,
                "tariffs",
                1.0,
                "tariffs",
                keywords=(ranking.keyword_terms("tariffs"),),
            ),
        )
    )
    found = Personal(store).candidate_ids(profile, now=NOW)
    # 1 and 2 through follows; 3 as one of the window's newest and most covered; never 4.
    assert {1, 2, 3} <= found
    assert 4 not in found

    outlet_profile = ranking.Profile(
        follows=(ranking.Interest(FollowKind.SOURCE, str(beta), 1.0, "Beta"),)
    )
    assert 3 in Personal(store).candidate_ids(outlet_profile, now=NOW)


GRAIN = [
    "China reported a record grain harvest on Monday, the agriculture ministry in Beijing said, "
    "with output of wheat and rice up for the fifth year in a row.",
    "Farmers in China's northern provinces benefited from good rains, officials said, and "
    "state reserves are now close to full.",
]
TARIFFS = [
    "Chinese Commerce Minister Wen Guoliang said on Tuesday that Beijing would answer any new "
    "tariffs on its electric cars, after the European Union proposed duties of up to 30 per cent.",
    "Wen Guoliang told reporters the European Union was choosing protection over competition "
    "and that the tariffs would hurt carmakers on both sides.",
]


def test_a_topic_finds_stories_that_name_only_an_official_of_its_entity(
    run: Callable[..., Any], inputs: Callable[..., Path], store: Store
) -> None:
    for name, title, paras in (
        ("grain.html", "China reports record grain harvest", GRAIN),
        ("tariffs.html", "Beijing warns of answer to car tariffs", TARIFFS),
    ):
        result = run("ingest", inputs(name, article_html(title, paras)), "--quiet")
        assert result.exit_code == 0, result.output
    with store.engine.connect() as conn:
        ids = dict(conn.execute(sa.select(entities.c.name, entities.c.id)).all())
        wen_story = conn.execute(
            sa.select(articles.c.story_id).where(articles.c.title.like("Beijing warns%"))
        ).scalar_one()
    china, eu, wen = ids["China"], ids["European Union"], ids["Wen Guoliang"]
    personal = Personal(store)
    assert wen in personal.officials([china])[china]
    # The tariffs story never names China itself ...
    (candidate,) = personal.candidates_by_id([wen_story], now=datetime.now(UTC))
    assert china not in candidate.entity_shares and eu in candidate.entity_shares
    # ... yet it is the topic's, through the Chinese Commerce Minister.
    topic = personal.create_topic(None, "EU-China trade", [eu, china], ["tariffs"], now=NOW)
    ranked = personal.topic_feed(topic, now=datetime.now(UTC), half_life_hours=24.0)
    assert wen_story in [r.story_id for r in ranked]


def test_a_mute_stores_its_target_as_the_follow_it_silences(
    world: tuple[Store, list[int]],
) -> None:
    """Follows and mutes share one normalisation (``FollowKind.normalise``): a keyword muted
    with other blanks and capitals, or a story id with leading zeros, is the same target as
    the follow, and each refusal names its own action."""
    store, _ = world
    user = Accounts(store).add_user("reader", "a long enough password", now=NOW)
    follow = Accounts(store).follow(user.id, FollowKind.KEYWORD, "  EU–China   Trade ", now=NOW)
    mute = Personal(store).mute(user.id, FollowKind.KEYWORD, "eu–china trade", now=NOW)
    assert follow.target == mute.target == "eu–china trade"
    story_follow = Accounts(store).follow(user.id, FollowKind.STORY, " 0042 ", now=NOW)
    story_mute = Personal(store).mute(user.id, FollowKind.STORY, "42", now=NOW)
    assert story_follow.target == story_mute.target == "42"

    with pytest.raises(InputError, match=r"^follow story 'latest': not an id$"):
        Accounts(store).follow(user.id, FollowKind.STORY, "latest", now=NOW)
    with pytest.raises(InputError, match=r"^mute entity '²': not an id$"):
        Personal(store).mute(user.id, FollowKind.ENTITY, "²", now=NOW)
    with pytest.raises(InputError, match=r"^mute keyword: a keyword needs 1 to 100 characters$"):
        Personal(store).mute(user.id, FollowKind.KEYWORD, "x" * 101, now=NOW)
    with pytest.raises(InputError, match=r"^follow keyword: a keyword needs 1 to 100"):
        Accounts(store).follow(user.id, FollowKind.KEYWORD, "   ", now=NOW)
