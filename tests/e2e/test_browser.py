"""A reader's session in a real browser: log in, front page, j/k/o, a story, a citation,
search (with and without htmx), the help dialog, and an OPML import."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.web.fixtures import USERS

pytestmark = pytest.mark.slow

OPML = """<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0"><head><title>E2E</title></head><body>
<outline type="rss" text="Gamma" xmlUrl="https://gamma.example/feed.xml"/>
<outline type="rss" text="Delta" xmlUrl="https://delta.example/rss"/>
</body></opml>"""


@pytest.fixture(scope="module")
def page(browser, base_url):
    context = browser.new_context(base_url=base_url, viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    opened.csp_violations = []
    opened.on(
        "console",
        lambda msg: (
            opened.csp_violations.append(msg.text)
            if "Content Security Policy" in msg.text
            else None
        ),
    )
    yield opened
    context.close()


def _selected_href(page) -> str | None:
    href: str | None = page.eval_on_selector(
        "[data-item].is-selected a[data-open]", "a => a.getAttribute('href')"
    )
    return href


def test_log_in_and_see_the_front_page(page, artifacts: Path) -> None:
    page.goto("/")
    assert "/login?next=" in page.url
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(USERS["alice"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("heading", name="Stories", level=1).is_visible()
    assert page.locator("article.story-card").count() >= 8
    page.screenshot(path=str(artifacts / "front-page.png"), full_page=True)


def test_j_k_and_o_move_and_open(page, artifacts: Path) -> None:
    page.goto("/")
    hrefs = page.eval_on_selector_all(
        "article.story-card a[data-open]", "links => links.map(a => a.getAttribute('href'))"
    )
    page.keyboard.press("j")
    assert _selected_href(page) == hrefs[0]
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert _selected_href(page) == hrefs[2]
    page.keyboard.press("k")
    assert _selected_href(page) == hrefs[1]
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == hrefs[1]  # the selection is the keyboard focus too
    page.keyboard.press("o")
    page.wait_for_url(re.compile(re.escape(hrefs[1]) + "$"))
    assert page.locator("h1#story-title").is_visible()


def test_story_page_and_following_a_citation(page, artifacts: Path) -> None:
    page.goto("/")
    # The most-covered story of the newest day is first: open it for the screenshot.
    page.locator("article.story-card a[data-open]").first.click()
    page.wait_for_url(re.compile(r"/stories/\d+$"))
    assert page.locator(".coverage-column").count() >= 2
    page.screenshot(path=str(artifacts / "story-page.png"))
    citation = page.locator("a.citation").first
    target = citation.get_attribute("href")
    citation.click()
    page.wait_for_url(re.compile(re.escape(target) + "$"))
    assert page.locator("h1#article-title").is_visible()
    assert page.locator(".body p").count() >= 1


def test_follow_a_story_and_find_it_in_the_personal_feed(page) -> None:
    page.goto("/")
    link = page.locator("article.story-card a[data-open]").first
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(re.compile(re.escape(href) + "$"))
    page.get_by_role("button", name="Follow this story").click()
    page.wait_for_url(re.compile(re.escape(href) + r"\?done=followed$"))
    assert page.get_by_role("button", name="Following").get_attribute("aria-pressed") == "true"
    page.get_by_role("link", name="Following", exact=True).click()
    page.wait_for_url(re.compile(r"/following$"))
    assert page.locator(f'article.story-card a[href="{href}"]').count() == 1


def test_slash_focuses_search_and_results_are_highlighted(page, artifacts: Path) -> None:
    page.goto("/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search-q"
    page.keyboard.type("strike")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=strike"))
    assert page.locator(".search-results mark").count() >= 1
    # On the search page htmx swaps results in as you type, without a page load.
    page.evaluate("window.__sameDocument = true")
    field = page.locator("#search-q")
    field.fill("")
    field.type("dockers")
    page.locator("#search-results [role=status]", has_text="“dockers”").wait_for()
    assert page.evaluate("window.__sameDocument === true")
    assert "q=dockers" in page.url
    page.screenshot(path=str(artifacts / "search.png"), full_page=True)


def test_question_mark_opens_the_help_dialog(page) -> None:
    page.goto("/")
    page.keyboard.press("?")
    dialog = page.locator("dialog#help-dialog")
    assert dialog.evaluate("d => d.open")
    page.get_by_role("button", name="Close").click()
    assert not dialog.evaluate("d => d.open")
    # Typing j in a field is text, not a shortcut.
    page.locator("#site-search-q").focus()
    page.keyboard.press("j")
    assert page.locator("[data-item].is-selected").count() == 0


def test_import_an_opml_file(page, tmp_path: Path, artifacts: Path) -> None:
    opml = tmp_path / "e2e.opml"
    opml.write_text(OPML, encoding="utf-8")
    page.goto("/settings")
    page.get_by_label("Import an OPML file").set_input_files(str(opml))
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("2 new feeds imported.").is_visible()
    assert page.get_by_text("https://gamma.example/feed.xml").is_visible()
    page.screenshot(path=str(artifacts / "settings.png"), full_page=True)


def test_no_content_security_policy_violations(page) -> None:
    assert page.csp_violations == []
