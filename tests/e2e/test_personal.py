"""The personal front page (#11) in a real browser: a new user follows an entity and a topic,
sees the front page change and the reason line, mutes a source, and its stories are gone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from broadsheet.config import Settings
from broadsheet.store import Store
from broadsheet.store.personal import Personal
from broadsheet.store.users import Accounts

pytestmark = pytest.mark.slow

NAME, PASSWORD = "newreader", "newreader-password-1"


def _cards(page) -> list[int]:
    ids = page.eval_on_selector_all(
        "article.story-card h2[id]", "hs => hs.map(h => h.id.split('-')[1])"
    )
    return [int(i) for i in ids]


def test_follow_an_entity_and_a_topic_then_mute_a_source(
    browser, base_url, e2e_db: Path, artifacts: Path
) -> None:
    store = Store.open(Settings(db=str(e2e_db)).db_url)
    try:
        Accounts(store).add_user(NAME, PASSWORD, now=datetime.now(UTC))
        stories = store.stories(limit=100)
        # The entity most central to the smallest story of the front page, which a follow lifts.
        small = min(stories[:8], key=lambda s: (s.source_count, s.id))
        entity_id = small.top_entity_ids[0]
        entity_name = Personal(store).entity_names([entity_id])[entity_id]
        sources = {s.name: s.id for s in store.sources()}
    finally:
        store.close()
    context = browser.new_context(base_url=base_url, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("User name").fill(NAME)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/$"))
        before = _cards(page)
        assert len(before) >= 8 and page.locator("p.why").count() == 0

        # Follow a suggested topic: create it from the suggestion, then follow it on its page.
        page.get_by_role("link", name="Topics").click()
        page.wait_for_url(re.compile(r"/topics$"))
        suggestion = page.locator("#suggested-title ~ ul li").first
        topic_name = suggestion.inner_text().split("\n")[0].rsplit(" ", 2)[0].strip()
        suggestion.get_by_role("button").click()
        page.wait_for_url(re.compile(r"/topics/\d+\?done=topic_saved$"))
        assert page.get_by_role("heading", level=1).inner_text() == topic_name
        assert page.locator("article.story-card").count() >= 1
        page.get_by_role("button", name="Follow this topic").click()
        page.wait_for_url(re.compile(r"/topics/\d+\?done=followed$"))

        # Follow an entity from its page.
        page.goto(f"/entities/{entity_id}")
        page.get_by_role("button", name="Follow this entity").click()
        page.wait_for_url(re.compile(rf"/entities/{entity_id}\?done=followed$"))

        page.get_by_role("link", name="Front page").click()
        page.wait_for_url(re.compile(r"/$"))
        after = _cards(page)
        assert after != before
        assert after.index(small.id) < before.index(small.id)
        why = page.locator(f"#story-{small.id}-title ~ p.why").inner_text()
        assert f"You follow {entity_name}" in why
        assert page.locator("p.why", has_text=f"You follow {topic_name}").count() >= 1
        page.screenshot(path=str(artifacts / "personal-front-page.png"), full_page=True)

        # Mute the first outlet of the top story: every story it covered leaves the page.
        top = after[0]
        outlet = page.locator(f"#story-{top}-title ~ ul.sources li").first.inner_text()
        page.goto(f"/sources/{sources[outlet]}")
        page.get_by_role("button", name="Mute this source").click()
        page.wait_for_url(re.compile(r"\?done=muted$"))
        assert page.get_by_role("button", name="Muted").get_attribute("aria-pressed") == "true"
        page.get_by_role("link", name="Front page").click()
        page.wait_for_url(re.compile(r"/$"))
        muted = _cards(page)
        assert top not in muted and muted
        outlets = page.eval_on_selector_all("ul.sources li", "lis => lis.map(li => li.innerText)")
        assert outlet not in outlets
        page.screenshot(path=str(artifacts / "personal-muted.png"), full_page=True)
    finally:
        context.close()
