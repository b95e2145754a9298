"""The personal front page (#11) on the real app over the demo store: follows change the order
and say why, mutes and hides win, a read story sinks, topics have pages and feeds, the API."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import feedparser
import pytest
from fastapi.testclient import TestClient

from broadsheet.model import Story
from broadsheet.store import Store
from broadsheet.store.personal import Personal
from broadsheet.store.users import Accounts
from tests.web.conftest import csrf_of, make_client

PASSWORD = "reader-password-1"
_CARD = re.compile(r'<article class="story-card"[^>]*>\s*<h2 id="story-(\d+)-title">')


@pytest.fixture
def reader_name() -> str:
    """The name of the user ``reader`` logs in as (one per test)."""
    return f"r{uuid.uuid4().hex[:10]}"


@pytest.fixture
def reader(demo_settings, demo_store, reader_name: str) -> TestClient:
    """A new user, logged in through the real form."""
    name = reader_name
    Accounts(demo_store).add_user(name, PASSWORD, now=datetime.now(UTC))
    client = make_client(demo_settings, demo_store)
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"name": name, "password": PASSWORD, "csrf_token": csrf_of(page.text), "next": "/"},
    )
    assert response.status_code == 303
    return client


def _front(client: TestClient) -> list[int]:
    return [int(i) for i in _CARD.findall(client.get("/").text)]


def _card(html: str, story_id: int) -> str:
    start = html.index(f'id="story-{story_id}-title"')
    return html[start : html.index("</article>", start)]


def _post(client: TestClient, path: str, page: str = "/", **data: str) -> None:
    token = csrf_of(client.get(page).text)
    response = client.post(path, data={"csrf_token": token, **data})
    assert response.status_code == 303, response.text


def _smallest_recent_story(demo_store: Store) -> Story:
    """A one-outlet story of the front page: following it must lift it."""
    stories = demo_store.stories(limit=100)
    return min(stories[:8], key=lambda s: (s.source_count, s.id))


def test_following_an_entity_reorders_the_front_page_with_a_reason(reader, demo_store) -> None:
    before = _front(reader)
    assert len(before) >= 8
    # An entity of a small story that is not already on top.
    small = _smallest_recent_story(demo_store)
    assert before[0] != small.id
    entity_id = small.top_entity_ids[0]
    _post(reader, "/follows", kind="entity", target=str(entity_id), next="/")
    html = reader.get("/").text
    after = [int(i) for i in _CARD.findall(html)]
    assert after != before and after.index(small.id) < before.index(small.id)
    name = Personal(demo_store).entity_names([entity_id])[entity_id]
    assert f"You follow {name}" in _card(html, small.id)
    assert "Why you see this" in html
    # A story with several outlets says how many, whatever else it matched.
    big = max(demo_store.stories(limit=100), key=lambda s: s.source_count)
    if big.id in after:
        assert f"{big.source_count} outlets" in _card(html, big.id).split('class="why"')[1]


def test_muting_a_source_removes_its_stories_even_when_followed(reader, demo_store) -> None:
    stories = demo_store.stories(limit=100)
    big = max(stories, key=lambda s: s.source_count)
    _post(reader, "/follows", kind="story", target=str(big.id), next="/")
    assert _front(reader)[0] == big.id
    source = next(s for s in demo_store.sources() if s.name == big.sources[0])
    _post(reader, "/mutes", page=f"/sources/{source.id}", kind="source", target=str(source.id))
    shown = _front(reader)
    assert big.id not in shown and shown
    for story_id in shown:
        assert source.name not in demo_store.story(story_id)[0].sources
    page = reader.get("/following").text
    assert 'id="mutes-title"' in page and source.name in page
    assert 'aria-pressed="true"' in reader.get(f"/sources/{source.id}").text


def test_a_read_story_sinks_and_a_hidden_one_goes(reader, reader_name, demo_store) -> None:
    big = max(demo_store.stories(limit=100), key=lambda s: s.source_count)
    _post(reader, "/follows", kind="story", target=str(big.id), next="/")
    first = _front(reader)
    assert first[0] == big.id
    assert reader.get(f"/stories/{big.id}").status_code == 200  # opening marks it read
    html = reader.get("/").text
    after = [int(i) for i in _CARD.findall(html)]
    assert after[0] != big.id and big.id in after
    assert "you read it" in _card(html, big.id)
    second = after[0]
    _post(reader, f"/stories/{second}/feedback", kind="hidden", next="/")
    assert second not in _front(reader)
    # Like is a button on the story page; it is recorded as the reader's feedback.
    page = reader.get(f"/stories/{big.id}").text
    assert 'name="kind" value="liked"' in page
    _post(reader, f"/stories/{big.id}/feedback", page=f"/stories/{big.id}", kind="liked")
    user_id = Accounts(demo_store).user(reader_name).id
    kinds = [k.value for k, _ in Personal(demo_store).feedback(user_id)]
    assert kinds[-1] == "liked" and kinds.count("opened") >= 2 and "hidden" in kinds
    assert reader.post(f"/stories/{big.id}/feedback", data={"kind": "liked"}).status_code == 403


def test_topics_are_created_shown_followed_and_private(reader, demo_settings, demo_store) -> None:
    stories = demo_store.stories(limit=100)
    story = max(stories, key=lambda s: s.source_count)
    first, second = story.top_entity_ids[:2]
    names = Personal(demo_store).entity_names([first, second])
    token = csrf_of(reader.get("/topics").text)
    created = reader.post(
        "/topics",
        data={
            "csrf_token": token,
            "name": "My pair",
            "entities": f"{names[first]}, {second}",
            "keywords": "",
        },
    )
    assert created.status_code == 303
    topic_path = created.headers["location"].split("?")[0]
    topic_id = int(topic_path.rsplit("/", 1)[1])
    page = reader.get(topic_path).text
    shown = {int(i) for i in _CARD.findall(page)}
    assert story.id in shown
    # Every story shown names both entities.
    for story_id in shown:
        with demo_store.engine.connect() as conn:
            keys = {
                row[0]
                for row in conn.exec_driver_sql(
                    "SELECT term FROM story_terms WHERE story_id = ?", (story_id,)
                )
            }
        assert {f"e:{first}", f"e:{second}"} <= keys
    atom = feedparser.parse(reader.get(f"/feeds/topics/{topic_id}.atom").content)
    assert not atom.bozo and {int(e.link.rsplit("/", 1)[1]) for e in atom.entries} == shown
    # Follow the topic: its stories say so on the front page.
    _post(reader, "/follows", page=topic_path, kind="topic", target=str(topic_id), next="/")
    assert "You follow My pair" in _card(reader.get("/").text, story.id)
    # Edit it; nobody else may see or edit it.
    _post(
        reader,
        topic_path,
        page=topic_path,
        name="My renamed pair",
        entities=f"{first},{second}",
        keywords="",
    )
    assert "<h1>My renamed pair</h1>" in reader.get(topic_path).text
    other = make_client(demo_settings, demo_store)
    from tests.web.conftest import log_in

    log_in(other, "bob")
    assert other.get(topic_path).status_code == 404
    bob_token = csrf_of(other.get("/topics").text)
    edit = other.post(topic_path, data={"csrf_token": bob_token, "name": "x", "entities": "1"})
    assert edit.status_code == 404
    follow = other.post(
        "/follows", data={"csrf_token": bob_token, "kind": "topic", "target": str(topic_id)}
    )
    assert follow.status_code == 404
    bad = reader.post("/topics", data={"csrf_token": token, "name": "Nothing", "entities": ""})
    assert bad.status_code == 400 and "at least one entity or keyword" in bad.text


def test_topic_suggestions_come_from_co_occurring_entities(reader, demo_store) -> None:
    suggestions = Personal(demo_store).suggest_topics(now=datetime.now(UTC))
    assert suggestions
    for suggestion in suggestions:
        assert len(suggestion.entity_ids) == 2 and suggestion.story_count >= 2
    page = reader.get("/topics").text
    assert f"Create topic {suggestions[0].name}" in page


def test_me_feed_api_gives_reasons_and_needs_a_user(reader, demo_store, client) -> None:
    big = max(demo_store.stories(limit=100), key=lambda s: s.source_count)
    _post(reader, "/follows", kind="story", target=str(big.id), next="/")
    items = reader.get("/api/v1/me/feed?limit=5").json()["items"]
    assert len(items) == 5 and items[0]["id"] == big.id
    assert items[0]["reason"].startswith("You follow ")
    assert {t["kind"] for t in items[0]["terms"]} >= {"interest", "importance", "freshness"}
    assert items == sorted(items, key=lambda i: -i["score"])
    assert client.get("/api/v1/me/feed").status_code == 401
