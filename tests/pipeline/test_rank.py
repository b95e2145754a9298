"""Ranking with literal inputs: interest, importance, freshness, novelty, mutes, reasons."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from broadsheet.model import FeedbackKind, FollowKind
from broadsheet.pipeline.rank import (
    LEARNED_NEIGHBOURS,
    LEARNED_SCALE,
    Candidate,
    Interest,
    Profile,
    RankedStory,
    ReadMark,
    keyword_terms,
    learn,
    matches,
    names_in_role,
    rank,
    story_keys,
)

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
SCHOLZ, CHINA, EU = 1, 2, 3


def story(
    story_id: int, *, hours_ago: float = 1.0, outlets: int = 1, **overrides: object
) -> Candidate:
    values: dict[str, object] = {
        "story_id": story_id,
        "title": f"Story {story_id}",
        "last_seen": NOW - timedelta(hours=hours_ago),
        "source_count": outlets,
        "article_count": outlets,
        "source_ids": frozenset({100 + story_id}),
    }
    values.update(overrides)
    return Candidate(**values)  # type: ignore[arg-type]


def ids(ranked: list[RankedStory]) -> list[int]:
    return [r.story_id for r in ranked]


def run(
    candidates: list[Candidate], profile: Profile | None = None, **kwargs: Any
) -> list[RankedStory]:
    return rank(candidates, profile or Profile(), now=NOW, half_life_hours=24.0, **kwargs)


def test_without_a_profile_big_and_fresh_stories_lead() -> None:
    ranked = run([story(1, outlets=1), story(2, outlets=9), story(3, outlets=9, hours_ago=72)])
    assert ids(ranked) == [2, 1, 3]
    assert ranked[0].reason == "9 outlets"
    assert ranked[1].reason == "New to you"  # one outlet, nothing followed
    # Three half-lives cost 3 ln 2 ≈ 2.1: a 9-outlet story three days old falls below a fresh one.
    assert ids(run([story(3, outlets=9, hours_ago=72), story(4, outlets=2)]))[0] == 4


def test_a_followed_entity_lifts_a_story_and_names_itself_in_the_reason() -> None:
    followed = story(1, outlets=2, entity_shares={SCHOLZ: 1.0})
    big = story(2, outlets=9)
    profile = Profile(follows=(Interest(FollowKind.ENTITY, str(SCHOLZ), 3.0, "Olaf Scholz"),))
    ranked = run([big, followed], profile)
    assert ids(ranked) == [1, 2]
    assert ranked[0].reason == "You follow Olaf Scholz · 2 outlets"
    assert ranked[1].reason == "9 outlets"


def test_a_central_entity_counts_more_than_a_passing_mention() -> None:
    follow = Interest(FollowKind.ENTITY, str(SCHOLZ), 1.0, "Olaf Scholz")
    central = matches(follow, story(1, entity_shares={SCHOLZ: 1.0}))
    passing = matches(follow, story(2, entity_shares={SCHOLZ: 0.1}))
    assert central == 1.0 and 0.5 < passing < central
    assert matches(follow, story(3, entity_shares={CHINA: 1.0})) == 0.0


def test_a_topic_needs_all_its_entities_and_one_keyword() -> None:
    topic = Interest(
        FollowKind.TOPIC,
        "7",
        1.0,
        "EU-China trade",
        entity_ids=frozenset({EU, CHINA}),
        keywords=(keyword_terms("trade"), keyword_terms("tariffs")),
    )
    both = {EU: 1.0, CHINA: 0.5}
    assert matches(topic, story(1, entity_shares=both, terms=frozenset({"tariff"}))) > 0
    assert matches(topic, story(2, entity_shares=both, terms=frozenset({"football"}))) == 0
    assert matches(topic, story(3, entity_shares={EU: 1.0}, terms=frozenset({"trade"}))) == 0


def test_a_topic_entity_is_matched_through_its_officials() -> None:
    wen = 40  # "Chinese Commerce Minister Wen Guoliang": an official of China
    topic = Interest(
        FollowKind.TOPIC,
        "7",
        1.0,
        "EU-China trade",
        entity_ids=frozenset({EU, CHINA}),
        keywords=(keyword_terms("tariffs"),),
        officials={CHINA: frozenset({wen})},
    )
    official_only = story(1, entity_shares={EU: 1.0, wen: 0.5}, terms=frozenset({"tariff"}))
    assert matches(topic, official_only) == pytest.approx(0.75)
    # The official stands in for China only: the EU itself is still needed.
    assert matches(topic, story(2, entity_shares={wen: 1.0}, terms=frozenset({"tariff"}))) == 0
    # Without officials the same story is not the topic's.
    assert matches(dataclasses.replace(topic, officials={}), official_only) == 0
    # Ranking finds it through the official as well (the index files the topic under him).
    ranked = run([official_only], Profile(follows=(topic,)))
    assert ranked[0].reason.startswith("You follow EU-China trade")


@pytest.mark.parametrize(
    ("role", "names", "official"),
    [
        ("Chinese Commerce Minister", ["China"], True),
        ("German Chancellor", ["Germany"], True),
        ("EU trade commissioner", ["EU", "European Union"], True),
        ("European Union trade chief", ["European Union"], True),
        ("Japanese foreign ministry spokesman", ["Japan"], True),
        # A descriptor is not an office; an office of something else is not this one's.
        ("Chinese dissident", ["China"], False),
        ("Trade Commissioner", ["China"], False),
        ("opposition leader", ["EU"], False),
        # "EU" inside another word is not the EU.
        ("Deutsche Bank chief executive", ["EU"], False),
        # Adjectives are a name and one of a few endings, not any word that starts alike.
        ("Indian foreign minister", ["India"], True),
        ("Indiana state senator", ["India"], False),
        ("Turkish foreign minister", ["Turkey"], True),
        ("Israeli defence minister", ["Israel"], True),
        ("Canadian trade minister", ["Canada"], True),
        ("Chinatown business leader", ["China"], False),
    ],
)
def test_which_roles_make_an_official(role: str, names: list[str], official: bool) -> None:
    assert names_in_role(role, names) is official


def test_keywords_match_all_their_words_after_normalising() -> None:
    follow = Interest(FollowKind.KEYWORD, "dock strikes", keywords=(keyword_terms("Dock strikes"),))
    assert matches(follow, story(1, terms=frozenset({"dock", "strike", "port"}))) == 1.0
    assert matches(follow, story(2, terms=frozenset({"dock"}))) == 0.0


def test_mutes_win_over_follows() -> None:
    muted_source = 101
    candidate = story(1, outlets=5, entity_shares={SCHOLZ: 1.0})
    profile = Profile(
        follows=(Interest(FollowKind.ENTITY, str(SCHOLZ), 10.0, "Olaf Scholz"),),
        mutes=(Interest(FollowKind.SOURCE, str(muted_source)),),
    )
    assert run([candidate, story(2)], profile) and ids(run([candidate, story(2)], profile)) == [2]
    hidden = Profile(hidden=frozenset({2}))
    assert ids(run([story(2), story(3)], hidden)) == [3]


def test_a_read_unchanged_story_does_not_come_back_to_the_top() -> None:
    big = story(1, outlets=9)
    small = story(2, outlets=2)
    read = Profile(read={1: ReadMark(1, NOW - timedelta(hours=1), source_count=9)})
    ranked = run([big, small], read)
    assert ids(ranked) == [2, 1]
    assert ranked[1].reason.endswith("you read it")


def test_a_read_story_stays_below_unread_ones_however_strongly_followed() -> None:
    followed = Interest(FollowKind.STORY, "1", 10.0, "Story 1")
    profile = Profile(
        follows=(followed,), read={1: ReadMark(1, NOW - timedelta(hours=1), source_count=9)}
    )
    ranked = run([story(1, outlets=9), story(2, outlets=1, hours_ago=100)], profile)
    assert ids(ranked) == [2, 1] and ranked[1].is_stale and not ranked[0].is_stale


def test_a_read_story_that_changed_comes_back_with_why() -> None:
    mark = ReadMark(1, NOW - timedelta(hours=1), source_count=4, conflict_count=0)
    profile = Profile(read={1: mark})
    grown = run([story(1, outlets=9), story(2, outlets=3)], profile)
    assert ids(grown)[0] == 1 and "5 new outlets since you read it" in grown[0].reason
    one_more = run([story(1, outlets=5), story(2, outlets=3)], profile)
    assert ids(one_more)[0] == 2
    conflict = run([story(1, outlets=4, conflict_count=1), story(2, outlets=3)], profile)
    assert ids(conflict)[0] == 1 and conflict[0].reason == "4 outlets · new conflicting figure"


def test_growth_shows_in_the_reason() -> None:
    (ranked,) = run([story(1, outlets=6, recent_source_count=3)])
    assert ranked.reason == "6 outlets · +3 outlets in 6 h"


def feedback(*events: tuple[FeedbackKind, Candidate]) -> Profile:
    return Profile(feedback=[(kind, story_keys(c)) for kind, c in events])


def test_feedback_is_learned_gently() -> None:
    liked = story(1, entity_shares={SCHOLZ: 1.0}, terms=frozenset({"budget"}))
    learned = learn([(FeedbackKind.OPENED, liked)] * 3)
    assert learned[f"e:{SCHOLZ}"] > 0 and learned["t:budget"] > 0
    similar = story(2, outlets=1, entity_shares={SCHOLZ: 1.0})
    other = story(3, outlets=2)
    ranked = run([similar, other], feedback(*[(FeedbackKind.OPENED, liked)] * 3))
    assert ids(ranked) == [2, 3] and ranked[0].reason == "Like stories you read"
    # Gently: one open lifts even that very story by LEARNED_SCALE / LEARNED_NEIGHBOURS only.
    (itself,) = run([liked], feedback((FeedbackKind.OPENED, liked)))
    assert itself.interest == pytest.approx(LEARNED_SCALE / LEARNED_NEIGHBOURS)
    (later,) = run([liked], feedback(*[(FeedbackKind.OPENED, liked)] * 5))
    assert later.interest == pytest.approx(LEARNED_SCALE)
    # Hiding pushes similar stories down.
    hidden = feedback((FeedbackKind.HIDDEN, liked))
    assert ids(run([similar, story(4, outlets=1)], hidden)) == [4, 2]


def test_readers_of_two_subjects_get_both() -> None:
    budget = story(1, entity_shares={SCHOLZ: 1.0}, terms=frozenset({"budget", "deficit"}))
    trade = story(2, entity_shares={CHINA: 1.0}, terms=frozenset({"tariff", "export"}))
    profile = feedback(*[(FeedbackKind.OPENED, budget)] * 3, *[(FeedbackKind.OPENED, trade)] * 3)
    ranked = run(
        [
            story(3, entity_shares={SCHOLZ: 1.0}, terms=frozenset({"budget"})),
            story(4, entity_shares={CHINA: 1.0}, terms=frozenset({"tariff"})),
            story(5, outlets=3, terms=frozenset({"football"})),
        ],
        profile,
    )
    assert set(ids(ranked)[:2]) == {3, 4}


def test_followed_only_and_limit_and_bad_half_life() -> None:
    profile = Profile(follows=(Interest(FollowKind.STORY, "2", 1.0, "Story 2"),))
    assert ids(run([story(1, outlets=9), story(2)], profile, followed_only=True)) == [2]
    assert len(run([story(i) for i in range(1, 50)], limit=10)) == 10
    with pytest.raises(ValueError, match="half-life"):
        rank([], Profile(), now=NOW, half_life_hours=0)


def test_exactly_balanced_scores_tie_whenever_the_feed_is_read() -> None:
    # Three outlets a day old against one outlet just in: ln 4 - ln 2 (one half-life) = ln 2,
    # the same score, whatever the float sum's last bit says at a given second.
    three = story(1, outlets=3, hours_ago=25.0)
    one = story(2, outlets=1, hours_ago=1.0)
    for seconds in range(0, 120, 7):
        at = NOW + timedelta(seconds=seconds, microseconds=seconds * 1013)
        ranked = rank([three, one], Profile(), now=at, half_life_hours=24.0)
        # A tie goes to the newer story, every time.
        assert ids(ranked) == [2, 1], seconds
