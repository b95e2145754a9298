"""/feeds/stories.atom is valid Atom 1.0 that lists the stories."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import feedparser

from broadsheet.store.users import Accounts
from tests.web.fixtures import USERS

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)

NS = {"a": "http://www.w3.org/2005/Atom"}


def test_stories_feed_is_valid_atom(alice, demo_store) -> None:
    response = alice.get("/feeds/stories.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    stories = demo_store.stories(limit=50)
    assert [e.link for e in parsed.entries] == [
        f"http://testserver/stories/{s.id}" for s in stories
    ]
    root = ET.fromstring(response.content)
    # RFC 4287 4.1.1: a feed has id, title, updated, an author; each entry id, title, updated.
    for tag in ("id", "title", "updated", "author/a:name"):
        assert root.find(f"a:{tag}", NS) is not None, tag
    ids = [e.findtext("a:id", namespaces=NS) for e in root.findall("a:entry", NS)]
    assert len(ids) == len(set(ids)) == len(stories)
    assert all((i or "").startswith("tag:testserver,2026:") for i in ids)
    for entry in root.findall("a:entry", NS):
        assert (entry.findtext("a:updated", namespaces=NS) or "").endswith("Z")
    self_link = root.find("a:link[@rel='self']", NS)
    assert self_link is not None
    assert self_link.get("href") == "http://testserver/feeds/stories.atom"


def test_stories_feed_follows_the_reading_setting(client, public_client) -> None:
    # A feed reader on a private instance is challenged for credentials, not sent to a login
    # page it cannot fill in.
    refused = client.get("/feeds/stories.atom")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith('Basic realm="Broadsheet feeds"')
    assert public_client.get("/feeds/stories.atom").status_code == 200


def _basic(name: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()}


def test_feed_readers_send_the_user_name_and_an_api_token(client, demo_store) -> None:
    accounts = Accounts(demo_store)
    _record, secret = accounts.create_token(accounts.user("alice").id, "reader", now=NOW)
    front = client.get("/feeds/following.atom", headers=_basic("alice", secret))
    assert front.status_code == 200
    assert feedparser.parse(front.content).feed.title == "Broadsheet: front page of alice"
    assert client.get("/feeds/stories.atom", headers=_basic("alice", secret)).status_code == 200
    for headers in (
        _basic("bob", secret),  # another user's name with alice's token
        _basic("alice", USERS["alice"]),  # the login password is not a feed credential
        _basic("alice", ""),
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Basic " + base64.b64encode(b"no colon").decode()},
    ):
        assert client.get("/feeds/following.atom", headers=headers).status_code == 401, headers


def test_entity_feed_lists_the_stories_naming_it(alice, demo_store) -> None:
    entity = demo_store.entities(limit=1)[0]
    response = alice.get(f"/feeds/entities/{entity.id}.atom")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo and parsed.version == "atom10"
    assert parsed.feed.title == f"Broadsheet: {entity.name}"
    expected = {
        demo_store.article(a).story_id for a in demo_store.entity_articles(entity.id, limit=500)
    } - {None}
    got = {int(e.link.rsplit("/", 1)[1]) for e in parsed.entries}
    assert got == expected and got
    assert alice.get("/feeds/entities/999999.atom").status_code == 404
