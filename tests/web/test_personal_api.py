"""Mutes, topics and feedback through the JSON API: token-only writes, one user's data only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from broadsheet.errors import NotFound
from broadsheet.store.personal import Personal
from broadsheet.store.users import Accounts
from tests.web.conftest import log_in, make_client


@pytest.fixture
def alice_api(demo_settings, demo_store):
    """An API client for a user of its own (the store is shared by every web test, and hidden
    stories and topics stay), Alice's browser (cookies only) and Bob's."""
    accounts = Accounts(demo_store)
    now = datetime.now(UTC)
    try:
        dana = accounts.user("dana")
    except NotFound:
        dana = accounts.add_user("dana", "a long enough password for dana", now=now)
    _record, secret = accounts.create_token(dana.id, "api", now=now)
    browser = log_in(make_client(demo_settings, demo_store), "alice")
    bob = log_in(make_client(demo_settings, demo_store), "bob")
    yield TestClient(browser.app), {"Authorization": f"Bearer {secret}"}, browser, bob
    personal = Personal(demo_store)
    for mute in personal.mutes(dana.id):
        personal.unmute(dana.id, mute.id)


def test_mute_a_source_through_the_api(alice_api, demo_store) -> None:
    api, auth, browser, bob = alice_api
    story = max(demo_store.stories(limit=100), key=lambda s: s.source_count)
    source = next(s for s in demo_store.sources() if s.name == story.sources[0])
    before = api.get("/api/v1/me/feed", headers=auth).json()["items"]
    assert story.id in [s["id"] for s in before]
    body = {"kind": "source", "target": str(source.id)}
    # Cookies alone cannot write through the API (no CSRF route there).
    assert browser.post("/api/v1/mutes", json=body).status_code == 401
    created = api.post("/api/v1/mutes", json=body, headers=auth)
    assert created.status_code == 201 and created.json()["target"] == str(source.id)
    assert [m["id"] for m in api.get("/api/v1/mutes", headers=auth).json()] == [
        created.json()["id"]
    ]
    assert bob.get("/api/v1/mutes").json() == []
    after = api.get("/api/v1/me/feed", headers=auth).json()["items"]
    assert story.id not in [s["id"] for s in after]
    assert all(source.name not in s["sources"] for s in after)
    unknown = api.post("/api/v1/mutes", json={"kind": "source", "target": "999999"}, headers=auth)
    assert unknown.status_code == 404
    not_id = api.post("/api/v1/mutes", json={"kind": "story", "target": "latest"}, headers=auth)
    assert not_id.status_code == 400
    assert not_id.json()["error"] == "mute story 'latest': not an id"
    mute_id = created.json()["id"]
    assert api.delete(f"/api/v1/mutes/{mute_id}", headers=auth).status_code == 204
    assert api.delete(f"/api/v1/mutes/{mute_id}", headers=auth).status_code == 404
    assert story.id in [s["id"] for s in api.get("/api/v1/me/feed", headers=auth).json()["items"]]


def test_topics_are_created_edited_and_private(alice_api, demo_store) -> None:
    api, auth, _browser, bob = alice_api
    entity = demo_store.entities(limit=1)[0]
    created = api.post(
        "/api/v1/topics",
        json={"name": "  Rates   watch ", "entity_ids": [entity.id], "keywords": ["inflation"]},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    topic = created.json()
    assert topic["name"] == "Rates watch" and topic["entity_ids"] == [entity.id]
    assert topic["mine"] is True
    edited = api.put(
        f"/api/v1/topics/{topic['id']}",
        json={"name": "Rates", "entity_ids": [entity.id], "keywords": []},
        headers=auth,
    )
    assert edited.status_code == 200 and edited.json()["name"] == "Rates"
    assert api.get(f"/api/v1/topics/{topic['id']}", headers=auth).json()["keywords"] == []
    # Bob neither sees nor edits Alice's topic.
    assert bob.get(f"/api/v1/topics/{topic['id']}").status_code == 404
    assert topic["id"] not in [t["id"] for t in bob.get("/api/v1/topics").json()]
    empty = api.post("/api/v1/topics", json={"name": "Nothing"}, headers=auth)
    assert empty.status_code == 400
    huge = api.post("/api/v1/topics", json={"name": "X", "entity_ids": [2**70]}, headers=auth)
    assert huge.status_code == 422


def test_feedback_hides_and_marks_read(alice_api, demo_store) -> None:
    api, auth, _browser, _bob = alice_api
    feed = api.get("/api/v1/me/feed", headers=auth).json()["items"]
    top = feed[0]["id"]
    hidden = api.post("/api/v1/feedback", json={"story_id": top, "kind": "hidden"}, headers=auth)
    assert hidden.status_code == 204
    assert top not in [s["id"] for s in api.get("/api/v1/me/feed", headers=auth).json()["items"]]
    missing = api.post(
        "/api/v1/feedback", json={"story_id": 999999, "kind": "opened"}, headers=auth
    )
    assert missing.status_code == 404
    wrong = api.post("/api/v1/feedback", json={"story_id": top, "kind": "loved"}, headers=auth)
    assert wrong.status_code == 422
