"""The server-rendered pages, driven in-process on the real app over the demo corpus."""

from __future__ import annotations

import dataclasses
import re

import pytest
from markupsafe import escape

from broadsheet.model import Story
from broadsheet.queries import story_payload
from broadsheet.store import Store
from broadsheet.web.app import CSP
from broadsheet.web.views import lede

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
_INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
_INLINE_STYLE = re.compile(r"<style|\sstyle=", re.I)


def _biggest_story(store: Store) -> Story:
    return max(store.stories(limit=100), key=lambda s: (s.source_count, s.article_count))


def test_anonymous_visitor_is_sent_to_login_when_reading_is_private(client) -> None:
    response = client.get("/stories/1?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fstories%2F1%3Fx%3D1"


def test_front_page_lists_stories_with_their_sources(alice, demo_store) -> None:
    response = alice.get("/")
    assert response.status_code == 200
    html = response.text
    stories = demo_store.stories(limit=100)
    assert len(stories) >= 8
    for story in stories[:5]:
        assert f'href="/stories/{story.id}"' in html
    big = _biggest_story(demo_store)
    card = html[html.index(f'href="/stories/{big.id}"') :]
    card = card[: card.index("</article>")]
    for source in big.sources:
        assert f"<li>{source.replace('&', '&amp;')}</li>" in card
    assert f"{big.source_count} outlets" in card
    line = lede(demo_store.article(big.article_ids[0]))
    assert line and f'<p class="lede">{escape(line)}</p>' in card


def test_lede_is_the_first_sentence_cut_at_a_word(demo_store) -> None:
    article = demo_store.articles(limit=1)[0]
    long = dataclasses.replace(article, standfirst=None, paragraphs=("word " * 100 + ". Next.",))
    assert lede(long).endswith("…") and len(lede(long)) <= 221
    two = dataclasses.replace(article, standfirst=None, paragraphs=("It rose. Then it fell.",))
    assert lede(two) == "It rose."


def test_front_page_orders_a_day_by_coverage(alice, demo_store) -> None:
    html = alice.get("/").text
    shown = [
        int(i)
        for i in re.findall(
            r'<article class="story-card"[^>]*>\s*<h2[^>]*><a href="/stories/(\d+)"', html
        )
    ]
    by_id = {s.id: s for s in demo_store.stories(limit=100)}
    keys = [(by_id[i].last_seen.date(), by_id[i].source_count) for i in shown]
    assert keys == sorted(keys, reverse=True)


def test_every_page_has_csp_and_no_inline_script_or_style(alice, demo_store) -> None:
    story = _biggest_story(demo_store)
    article_id = story.article_ids[0]
    for url in (
        "/",
        f"/stories/{story.id}",
        f"/articles/{article_id}?removed=true",
        "/search?q=strike",
        "/settings",
        "/login",
        "/docs",
        "/no-such-page",
    ):
        response = alice.get(url)
        assert response.headers["content-security-policy"] == CSP, url
        assert "'unsafe-inline'" not in CSP and "unsafe-eval" not in CSP
        assert not _INLINE_SCRIPT.search(response.text), url
        assert not _INLINE_HANDLER.search(response.text), url
        assert not _INLINE_STYLE.search(response.text), url
        assert response.headers["x-frame-options"] == "DENY"


def test_story_page_shows_summary_coverage_and_citations(alice, demo_store) -> None:
    story = _biggest_story(demo_store)
    payload = story_payload(demo_store, story.id)
    html = alice.get(f"/stories/{story.id}").text
    assert f'<h1 id="story-title">{payload["title"].replace("&", "&amp;")}</h1>' in html
    for outlet in story.sources:
        assert f">{outlet}</h3>" in html
    cited = {c for part in payload["summary"] + payload["timeline"] for c in part["citations"]}
    for article_id in cited:
        assert f'class="citation" href="/articles/{article_id}"' in html
    if payload["summary"]:
        assert 'id="summary-title"' in html
    if payload["coverage"]["agreed"] or payload["coverage"]["unique"]:
        assert "claim-agreed" in html or "claim-unique" in html
    else:  # before the story view: one column of articles per outlet
        for member in payload["articles"]:
            assert f'href="/articles/{member["id"]}"' in html


def test_unknown_story_is_a_404_page(alice) -> None:
    response = alice.get("/stories/999999")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.text and "no story 999999" in response.text


def test_a_merged_story_redirects_to_the_story_that_holds_its_articles(
    alice, demo_store: Store
) -> None:
    """Clustering merges a story into another when the two are one event (#7); a link to the
    merged one (a bookmark, an Atom entry) leads to the page and API resource of the other."""
    from datetime import UTC, datetime

    from broadsheet.errors import StoryMerged
    from broadsheet.store.schema import story_merges

    into = demo_store.stories(limit=1)[0].id
    with demo_store.engine.begin() as conn:
        conn.execute(
            story_merges.insert().values(
                story_id=888888, into_id=into, merged_at=datetime(2026, 11, 20, tzinfo=UTC)
            )
        )
    try:
        page = alice.get("/stories/888888?from=feed", follow_redirects=False)
        assert page.status_code == 301 and page.headers["location"] == f"/stories/{into}?from=feed"
        api = alice.get("/api/v1/stories/888888", follow_redirects=False)
        assert api.status_code == 301 and api.headers["location"] == f"/api/v1/stories/{into}"
        assert alice.get("/stories/888888", follow_redirects=True).status_code == 200
        with pytest.raises(StoryMerged, match=f"merged into story {into}"):
            demo_store.story(888888)
        # Another unknown id is still a plain 404.
        assert alice.get("/stories/888889", follow_redirects=False).status_code == 404
    finally:
        with demo_store.engine.begin() as conn:
            conn.execute(story_merges.delete().where(story_merges.c.story_id == 888888))


def test_article_page_shows_clean_text_and_removed_lines_on_request(alice, demo_store) -> None:
    article = next(a for a in demo_store.articles(limit=200) if a.removed and a.url)
    plain = alice.get(f"/articles/{article.id}").text
    assert f'href="{article.url}" rel="noopener noreferrer nofollow"' in plain
    first = article.paragraphs[0].replace("&", "&amp;").replace('"', "&#34;").replace("'", "&#39;")
    assert f"<p>{first}</p>" in plain
    assert "Removed by the cleaner" not in plain
    shown = alice.get(f"/articles/{article.id}?removed=true").text
    assert "Removed by the cleaner" in shown
    removed = (
        article.removed[0].text.replace("&", "&amp;").replace('"', "&#34;").replace("'", "&#39;")
    )
    assert f"<td>{removed}</td>" in shown


def test_entity_and_source_pages(alice, demo_store) -> None:
    entity = demo_store.entities(limit=1)[0]
    html = alice.get(f"/entities/{entity.id}").text
    assert f"<h1>{entity.name}</h1>" in html
    for article_id in demo_store.entity_articles(entity.id, limit=5):
        assert f'href="/articles/{article_id}"' in html
    source = demo_store.sources()[0]
    html = alice.get(f"/sources/{source.id}").text
    assert f"<h1>{source.name}</h1>" in html
    assert html.count("data-item") == min(source.articles, 50)
    assert alice.get("/entities/987654").status_code == 404
    assert alice.get("/sources/987654").status_code == 404


def test_search_highlights_matches(alice) -> None:
    html = alice.get("/search?q=strike").text
    assert "<mark>strike</mark>" in html.lower() or "<mark>Strike</mark>" in html
    assert 'href="/articles/' in html


def test_search_escapes_the_query_and_the_snippet(alice) -> None:
    html = alice.get("/search", params={"q": "<script>alert(1)</script> strike"}).text
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_htmx_request_gets_the_fragment_only(alice) -> None:
    full = alice.get("/search?q=strike")
    fragment = alice.get("/search?q=strike", headers={"HX-Request": "true"})
    assert "<html" in full.text and "<html" not in fragment.text
    assert "<mark>" in fragment.text
    assert fragment.headers["vary"] == "HX-Request"
    front = alice.get("/", headers={"HX-Request": "true"})
    assert "<html" not in front.text and 'class="story-card"' in front.text


def test_pages_have_landmarks_labels_and_a_skip_link(alice) -> None:
    html = alice.get("/settings").text
    assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
    assert '<nav aria-label="Main">' in html and 'role="search"' in html
    assert '<form class="site-search" role="search" method="get" action="/search">' in html
    for field_id in re.findall(r'<input id="([^"]+)"', html):
        assert f'<label for="{field_id}"' in html, field_id
    assert '<dialog id="help-dialog"' in html


@pytest.mark.parametrize("url", ["/static/app.js", "/static/htmx.min.js", "/static/app.css"])
def test_static_assets_are_served(client, url) -> None:
    response = client.get(url)
    assert response.status_code == 200 and len(response.content) > 500


def test_vendored_htmx_keeps_its_licence_header(client) -> None:
    text = client.get("/static/htmx.min.js").text
    assert text.startswith("/*! htmx 2.") and "Zero-Clause BSD" in text[:600]


def test_template_urls_match_the_router(client) -> None:
    app = client.app
    urls = app.state.templates.globals["url_for"]
    cases: list[tuple[str, dict[str, object]]] = [
        ("story", {"story_id": 3}),
        ("story", {"story_id": 41}),
        ("static", {"path": "app.css"}),
        ("front", {}),
        ("settings_feed_remove", {"feed_id": 2}),
        ("entity_atom", {"entity_id": 5}),
    ]
    for name, params in cases:
        expected = app.url_path_for(name, **{k: str(v) for k, v in params.items()})
        assert urls(name, **params) == expected
