"""Follows and the personal feed: pages, API, Atom, and one user never sees another's."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

import feedparser
import pytest
from fastapi.testclient import TestClient

from broadsheet.model import FollowKind
from broadsheet.store.personal import CANDIDATE_WINDOW
from broadsheet.store.users import Accounts
from tests.web.conftest import csrf_of, log_in, make_client


def _forget_follows(store) -> None:
    accounts = Accounts(store)
    for name in ("alice", "bob"):
        for follow in accounts.follows(accounts.user(name).id):
            accounts.unfollow(follow.user_id, follow.id)


@pytest.fixture
def two_users(demo_settings, demo_store):
    _forget_follows(demo_store)
    alice = log_in(make_client(demo_settings, demo_store), "alice")
    bob = log_in(make_client(demo_settings, demo_store), "bob")
    yield alice, bob
    # A user who follows something gets a ranked front page: leave the others the plain one.
    _forget_follows(demo_store)


def _stories_naming(store, entity_id: int) -> set[int]:
    return {store.article(a).story_id for a in store.entity_articles(entity_id, limit=100)} - {None}


def test_follow_an_entity_from_its_page(two_users, demo_store) -> None:
    alice, bob = two_users
    entity = demo_store.entities(limit=1)[0]
    page = alice.get(f"/entities/{entity.id}").text
    assert "Follow this entity" in page
    response = alice.post(
        "/follows",
        data={
            "kind": "entity",
            "target": str(entity.id),
            "csrf_token": csrf_of(page),
            "next": f"/entities/{entity.id}",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/entities/{entity.id}?done=followed"
    assert 'aria-pressed="true"' in alice.get(f"/entities/{entity.id}").text
    feed = alice.get("/following").text
    # The feed holds the stories of the week before the newest story (CANDIDATE_WINDOW).
    newest = max(s.last_seen for s in demo_store.stories(limit=1000))
    naming = _stories_naming(demo_store, entity.id)
    expected = {i for i in naming if demo_store.story(i)[0].last_seen >= newest - CANDIDATE_WINDOW}
    assert expected and expected != naming
    for story_id in naming:
        assert (f'href="/stories/{story_id}"' in feed) == (story_id in expected)
    assert f"You follow {entity.name}" in feed
    # Bob follows nothing: his page and feed show none of it.
    assert "You follow nothing yet" in bob.get("/following").text
    assert 'aria-pressed="true"' not in bob.get(f"/entities/{entity.id}").text
    assert (
        entity.name
        not in bob.get("/settings").text.split('id="follows-title"')[1].split("</section>")[0]
    )


def test_keyword_follow_and_unfollow_in_settings(two_users, demo_store) -> None:
    alice, bob = two_users
    token = csrf_of(alice.get("/settings").text)
    alice.post(
        "/follows",
        data={
            "kind": "keyword",
            "target": "  Rail   STRIKES ",
            "csrf_token": token,
            "next": "/settings",
        },
    )
    (follow,) = Accounts(demo_store).follows(Accounts(demo_store).user("alice").id)
    assert follow.kind is FollowKind.KEYWORD and follow.target == "rail strikes"
    # Both words (plurals folded) must be among a story's salient words: the Lyon rail strike
    # matches; the Rotterdam dock strike, whose text says "strike" but not "rail", does not.
    feed = alice.get("/following").text
    shown = set(re.findall(r'<h2 id="story-(\d+)-title">', feed))
    lyon = [s for s in demo_store.stories(limit=100) if "Lyon" in s.title]
    assert [str(s.id) for s in lyon] == sorted(shown)
    assert "You follow “rail strikes”" in feed
    # Bob cannot remove Alice's follow; Alice can.
    bob_token = csrf_of(bob.get("/settings").text)
    assert (
        bob.post(f"/follows/{follow.id}/remove", data={"csrf_token": bob_token}).status_code == 404
    )
    assert Accounts(demo_store).follows(follow.user_id)
    done = alice.post(
        f"/follows/{follow.id}/remove", data={"csrf_token": token, "next": "/settings"}
    )
    assert done.headers["location"] == "/settings?done=unfollowed"
    assert not Accounts(demo_store).follows(follow.user_id)


def test_follow_forms_need_csrf_and_an_existing_target(two_users) -> None:
    alice, _ = two_users
    assert alice.post("/follows", data={"kind": "story", "target": "1"}).status_code == 403
    token = csrf_of(alice.get("/settings").text)
    missing = alice.post("/follows", data={"kind": "story", "target": "99999", "csrf_token": token})
    assert missing.status_code == 404
    bad = alice.post("/follows", data={"kind": "source", "target": "abc", "csrf_token": token})
    assert bad.status_code == 400
    # "²" passes str.isdigit() and fails int(): it once answered 500 (found by schemathesis).
    for kind in ("source", "story", "entity", "topic"):
        for target in ("\u00b2", "9" * 25):  # and more than a 64-bit key holds
            odd = alice.post("/follows", data={"kind": kind, "target": target, "csrf_token": token})
            assert odd.status_code in (400, 404), (kind, target, odd.status_code)


def test_a_digit_like_keyword_leaves_the_front_page_working(two_users) -> None:
    alice, _ = two_users
    token = csrf_of(alice.get("/settings").text)
    made = alice.post("/follows", data={"kind": "keyword", "target": "\u00b2", "csrf_token": token})
    assert made.status_code < 400
    assert alice.get("/").status_code == 200
    assert alice.get("/api/v1/following").status_code == 200


def test_follows_api_needs_a_token_to_write(two_users, demo_store) -> None:
    alice, bob = two_users
    accounts = Accounts(demo_store)
    _record, secret = accounts.create_token(accounts.user("alice").id, "f", now=datetime.now(UTC))
    api = TestClient(alice.app)
    auth = {"Authorization": f"Bearer {secret}"}
    story = demo_store.stories(limit=1)[0]
    # A logged-in browser (cookie only) cannot write through the API: no CSRF route there.
    assert (
        alice.post("/api/v1/follows", json={"kind": "story", "target": str(story.id)}).status_code
        == 401
    )
    created = api.post(
        "/api/v1/follows", json={"kind": "story", "target": str(story.id)}, headers=auth
    )
    assert created.status_code == 201 and created.json()["kind"] == "story"
    again = api.post(
        "/api/v1/follows",
        json={"kind": "story", "target": str(story.id), "weight": 3},
        headers=auth,
    )
    assert again.json()["id"] == created.json()["id"] and again.json()["weight"] == 3
    listed = api.get("/api/v1/follows", headers=auth).json()
    assert [f["id"] for f in listed] == [created.json()["id"]]
    assert bob.get("/api/v1/follows").json() == []
    feed = api.get("/api/v1/following", headers=auth).json()["items"]
    assert [s["id"] for s in feed] == [story.id]
    assert feed[0]["reason"].startswith(f"You follow {story.title}")
    # Weight 3: the interest term is INTEREST_SCALE * ln(1 + 3).
    interest = [t for t in feed[0]["terms"] if t["kind"] == "interest"]
    assert interest[0]["value"] == pytest.approx(2 * math.log(4), abs=1e-3)
    atom = api.get("/feeds/following.atom", headers=auth)
    parsed = feedparser.parse(atom.content)
    # The Atom feed is the whole personal front page, the followed story first with its reason.
    assert not parsed.bozo and parsed.entries[0].link.rsplit("/", 1)[1] == str(story.id)
    assert parsed.entries[0].summary.startswith(f"You follow {story.title}")
    invalid = api.post("/api/v1/follows", json={"kind": "planet", "target": "1"}, headers=auth)
    assert invalid.status_code == 422 and invalid.json()["code"] == "invalid_request"
    gone = api.delete(f"/api/v1/follows/{created.json()['id']}", headers=auth)
    assert gone.status_code == 204
    assert api.delete(f"/api/v1/follows/{created.json()['id']}", headers=auth).status_code == 404
