"""The settings page: feeds add/remove, OPML import and export, through the real forms."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from broadsheet.config import Settings
from broadsheet.store import Store
from broadsheet.store.users import Accounts
from tests.loopback import server  # noqa: F401 - fixture
from tests.web.conftest import csrf_of, log_in, make_client
from tests.web.fixtures import USERS

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Loopback Ledger</title>
<id>urn:x:loopback</id><updated>2026-11-20T10:00:00Z</updated>
<link rel="alternate" href="http://127.0.0.1/"/>
<entry><title>One</title><id>urn:x:1</id><updated>2026-11-20T10:00:00Z</updated>
<link href="http://127.0.0.1/one"/><content type="text">Body one.</content></entry></feed>"""

OPML = """<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0"><head><title>Mine</title></head><body>
<outline text="World"><outline type="rss" text="Alpha" xmlUrl="https://alpha.example/feed.xml"/>
<outline type="rss" text="Beta" xmlUrl="https://beta.example/rss"/></outline>
</body></opml>"""


@pytest.fixture
def fresh(tmp_path) -> Iterator[tuple[TestClient, Store]]:
    settings = Settings(db=str(tmp_path / "s.db"), fetch_allow_hosts=("127.0.0.1",))
    store = Store.open(settings.db_url)
    Accounts(store).add_user("alice", USERS["alice"], now=datetime.now(UTC))
    yield log_in(make_client(settings, store)), store
    store.close()


def test_add_and_remove_a_feed(fresh, server) -> None:  # noqa: F811
    browser, store = fresh
    server.serve("/feed.xml", ATOM, content_type="application/atom+xml")
    token = csrf_of(browser.get("/settings").text)
    added = browser.post(
        "/settings/feeds", data={"url": server.url("/feed.xml"), "csrf_token": token}
    )
    assert added.status_code == 303 and added.headers["location"] == "/settings?done=feed_added"
    (feed,) = store.feeds()
    assert feed.xml_url == server.url("/feed.xml") and feed.title == "Loopback Ledger"
    page = browser.get("/settings?done=feed_added").text
    assert "Loopback Ledger" in page and "Feed added." in page
    removed = browser.post(f"/settings/feeds/{feed.id}/remove", data={"csrf_token": token})
    assert removed.status_code == 303 and store.feeds() == []


def test_adding_a_page_that_is_no_feed_shows_the_error(fresh, server) -> None:  # noqa: F811
    browser, store = fresh
    server.serve("/page", "<html><body>hi</body></html>", content_type="text/html")
    token = csrf_of(browser.get("/settings").text)
    response = browser.post(
        "/settings/feeds", data={"url": server.url("/page"), "csrf_token": token}
    )
    assert response.status_code == 400 and 'role="alert"' in response.text
    assert "announces no feed" in response.text and store.feeds() == []


def test_settings_never_reflect_text_from_the_url(fresh) -> None:
    browser, _ = fresh
    html = browser.get("/settings", params={"done": "<b>pwned</b>"}).text
    assert "pwned" not in html


def test_opml_import_then_export_round_trips(fresh) -> None:
    browser, store = fresh
    token = csrf_of(browser.get("/settings").text)
    response = browser.post(
        "/settings/opml",
        data={"csrf_token": token},
        files={"file": ("mine.opml", OPML.encode(), "text/x-opml")},
    )
    assert response.status_code == 200, response.text
    assert "2 new feeds imported." in response.text
    assert {f.xml_url for f in store.feeds()} == {
        "https://alpha.example/feed.xml",
        "https://beta.example/rss",
    }
    assert all(f.categories == ("World",) for f in store.feeds())
    exported = browser.get("/settings/opml")
    assert exported.headers["content-type"].startswith("text/x-opml")
    assert 'xmlUrl="https://alpha.example/feed.xml"' in exported.text
    # The export imports into another store as the same subscriptions.
    again = browser.post(
        "/settings/opml",
        data={"csrf_token": token},
        files={"file": ("again.opml", exported.content, "text/x-opml")},
    )
    assert "0 new feeds imported." in again.text and len(store.feeds()) == 2


def test_opml_import_needs_csrf_and_login(fresh) -> None:
    browser, store = fresh
    response = browser.post(
        "/settings/opml", files={"file": ("x.opml", OPML.encode(), "text/x-opml")}
    )
    assert response.status_code == 403 and store.feeds() == []
    anonymous = TestClient(browser.app, follow_redirects=False)
    assert anonymous.get("/settings/opml").status_code == 303
