"""The JSON API on the real app in-process: payloads, pagination, auth and the error shape."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from broadsheet.queries import story_payload
from broadsheet.serialize import story_json

ERROR_KEYS = {"ok", "status", "error", "code", "errors"}


@pytest.fixture
def api(alice) -> TestClient:
    token = _token(alice)
    client = TestClient(alice.app, follow_redirects=False)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _token(browser: TestClient) -> str:
    from tests.web.conftest import csrf_of

    page = browser.get("/settings")
    response = browser.post(
        "/settings/tokens", data={"name": "tests", "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 200
    start = response.text.index('<code id="new-token">') + len('<code id="new-token">')
    token: str = response.text[start : response.text.index("</code>", start)]
    return token


def test_api_needs_a_token_when_reading_is_private(client) -> None:
    response = client.get("/api/v1/stories")
    assert response.status_code == 401
    assert set(response.json()) == ERROR_KEYS
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"
    bad = client.get("/api/v1/stories", headers={"Authorization": "Bearer bst_nope"})
    assert bad.status_code == 401


def test_public_read_opens_reading_but_not_feeds(public_client) -> None:
    assert public_client.get("/api/v1/stories").status_code == 200
    assert public_client.get("/").status_code == 200
    assert public_client.get("/api/v1/feeds").status_code == 401
    assert public_client.get("/settings").status_code == 303


def test_stories_pages_follow_next_links(api, demo_store) -> None:
    expected = [story_json(s) for s in demo_store.stories(limit=1000)]
    seen, url = [], "/api/v1/stories?limit=5"
    while url:
        body = api.get(url).json()
        assert body["limit"] == 5 and len(body["items"]) <= 5
        seen += body["items"]
        url = body["next"]
    assert seen == expected


def test_story_view_is_the_cli_payload(api, demo_store) -> None:
    story = demo_store.stories(limit=1)[0]
    assert api.get(f"/api/v1/stories/{story.id}").json() == story_payload(demo_store, story.id)


def test_article_list_and_detail(api, demo_store) -> None:
    body = api.get("/api/v1/articles", params={"limit": 3, "source": "Meridian Wire"}).json()
    assert [a["source"] for a in body["items"]] == ["Meridian Wire"] * 3
    article = demo_store.articles(limit=1)[0]
    detail = api.get(f"/api/v1/articles/{article.id}").json()
    assert detail["id"] == article.id and detail["paragraphs"] == list(article.paragraphs)
    assert {"entities", "quotes", "figures", "dates", "removed"} <= set(detail)


def test_entities_sources_search_and_feeds(api, demo_store) -> None:
    people = api.get("/api/v1/entities", params={"type": "person", "limit": 5}).json()["items"]
    assert people and {e["type"] for e in people} == {"person"}
    one = api.get(f"/api/v1/entities/{people[0]['id']}").json()
    assert one["name"] == people[0]["name"] and one["article_ids"]
    sources = api.get("/api/v1/sources").json()
    assert {s["name"] for s in sources} == {s.name for s in demo_store.sources()}
    hits = api.get("/api/v1/search", params={"q": "strike"}).json()
    assert hits["items"] and all("[" in h["snippet"] for h in hits["items"])
    feeds = api.get("/api/v1/feeds").json()
    assert len(feeds) == demo_store.counts()["feeds"]
    assert api.get("/api/v1/me").json()["name"] == "alice"


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/v1/stories/999999", 404, "store_not_found"),
        ("/api/v1/articles/999999", 404, "store_not_found"),
        ("/api/v1/entities/999999", 404, "store_not_found"),
        ("/api/v1/stories?limit=0", 422, "invalid_request"),
        ("/api/v1/stories/abc", 422, "invalid_request"),
        ("/api/v1/stories/9223372036854775808", 422, "invalid_request"),
        ("/api/v1/articles/0", 422, "invalid_request"),
        ("/api/v1/search", 422, "invalid_request"),
        ("/api/v1/entities?type=planet", 422, "invalid_request"),
        ("/api/v1/nothing-here", 404, "not_found"),
    ],
)
def test_one_error_shape(api, url, status, code) -> None:
    response = api.get(url)
    assert response.status_code == status
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["ok"] is False and body["status"] == status and body["code"] == code
    assert isinstance(body["error"], str) and body["error"]


def test_openapi_lists_every_endpoint(client) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    paths = set(spec["paths"])
    for path in (
        "/api/v1/stories",
        "/api/v1/stories/{story_id}",
        "/api/v1/articles",
        "/api/v1/articles/{article_id}",
        "/api/v1/entities",
        "/api/v1/entities/{entity_id}",
        "/api/v1/search",
        "/api/v1/feeds",
        "/api/v1/sources",
    ):
        assert path in paths, path
    assert not any(p.startswith(("/settings", "/login")) for p in paths)
    docs = client.get("/docs").text
    assert "GET /api/v1/stories/{story_id}" in docs
