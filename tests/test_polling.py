"""Polling feeds from real loopback servers into a real store: formats, 304, failures, schedule."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from broadsheet.config import Settings
from broadsheet.model import FeedStatus, Subscription
from broadsheet.pipeline.fetch import Fetcher, FetchPolicy
from broadsheet.polling import (
    PollReport,
    failure_delay_s,
    next_interval_s,
    poll_feeds,
    subscribe,
)
from broadsheet.store import Store
from tests.conftest import LONG_PARAGRAPHS, article_html
from tests.loopback import LoopbackServer, server

__all__ = ["server"]

BODY = " ".join(LONG_PARAGRAPHS)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def rss2(base: str, n: int = 2, *, summary: str | None = None) -> str:
    items = "".join(
        f"<item><title>Story {i}</title><link>{base}/a/{i}</link>"
        f"<pubDate>Mon, 23 Nov 2026 0{i}:00:00 GMT</pubDate>"
        f"<description>{summary or f'Story {i}. ' + BODY}</description></item>"
        for i in range(1, n + 1)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Harbour Ledger</title><link>{base}/</link>{items}</channel></rss>"
    )


RSS_091 = (
    '<?xml version="1.0"?><rss version="0.91"><channel><title>Old Times</title>'
    "<link>https://oldtimes.example/</link><description>d</description>"
    f"<item><title>Port strike</title><link>https://oldtimes.example/a</link>"
    f"<description>{BODY}</description></item></channel></rss>"
)
RSS_10 = (
    '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://rdf.example/">'
    "<title>RDF News</title><link>https://rdf.example/</link><description>d</description>"
    "</channel>"
    '<item rdf:about="https://rdf.example/a"><title>Port strike</title>'
    f"<link>https://rdf.example/a</link><description>{BODY}</description></item></rdf:RDF>"
)
ATOM = (
    '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
    '<title>Capital Observer</title><link href="https://capital.example/"/>'
    "<id>urn:x</id><updated>2026-11-23T10:00:00Z</updated>"
    '<entry><title>Port strike</title><link href="https://capital.example/a"/><id>urn:a</id>'
    f'<updated>2026-11-23T10:00:00Z</updated><content type="html">&lt;p&gt;{BODY}&lt;/p&gt;'
    "</content></entry></feed>"
)
JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Pacific Signal",
        "home_page_url": "https://pacific.example/",
        "items": [
            {
                "id": "1",
                "url": "https://pacific.example/a",
                "title": "Port strike",
                "content_html": f"<p>{BODY}</p>",
                "date_published": "2026-11-23T10:00:00Z",
                "authors": [{"name": "Ines Varga"}],
            }
        ],
    }
)


@pytest.fixture
def settings(db_path) -> Settings:
    return Settings(
        db=str(db_path),
        fetch_allow_hosts=("127.0.0.1",),
        fetch_host_delay_s=0.0,
        fetch_retries=0,
        fetch_read_timeout_s=2.0,
        fetch_timeout_s=5.0,
    )


@pytest.fixture
def fetcher(settings) -> Iterator[Fetcher]:
    with Fetcher(FetchPolicy.from_settings(settings), sleep=lambda _s: None) as opened:
        yield opened


def clock() -> datetime:
    return NOW


def poll(store: Store, fetcher: Fetcher, settings: Settings, **kwargs: Any) -> PollReport:
    return poll_feeds(store, fetcher, settings=settings, clock=clock, **kwargs)


def subscribed(store: Store, url: str) -> int:
    feed, _ = store.add_feed(Subscription(xml_url=url), now=NOW)
    return feed.id


@pytest.mark.parametrize(
    ("body", "content_type", "title", "source"),
    [
        (RSS_091, "application/rss+xml", "Port strike", "Old Times"),
        (RSS_10, "application/rdf+xml", "Port strike", "RDF News"),
        (ATOM, "application/atom+xml", "Port strike", "Capital Observer"),
        (JSON_FEED, "application/feed+json", "Port strike", "Pacific Signal"),
    ],
    ids=["rss091", "rss10", "atom", "jsonfeed"],
)
def test_each_feed_format_is_ingested(
    server, store, fetcher, settings, body, content_type, title, source
) -> None:
    server.serve("/feed", body, content_type=content_type)
    feed_id = subscribed(store, server.url("/feed"))
    report = poll(store, fetcher, settings)
    (result,) = report.feeds
    assert result.outcome == "new", result
    (article_id,) = result.articles_new
    article = store.article(article_id)
    assert article.title == title and article.source == source
    assert "Brussels on Thursday" in article.body
    feed = store.feed(feed_id)
    assert feed.status is FeedStatus.OK and feed.title == source
    assert feed.last_success_at == NOW and feed.next_due_at == NOW + timedelta(hours=1)


def test_second_poll_answers_304_and_costs_nothing(server, store, fetcher, settings) -> None:
    server.serve("/feed", rss2(server.url("")), etag='"v1"', content_type="application/rss+xml")
    feed_id = subscribed(store, server.url("/feed"))
    first = poll(store, fetcher, settings)
    assert first.count("articles_new") == 2
    counts = store.counts()
    second = poll(store, fetcher, settings, feeds=[store.feed(feed_id)])
    assert [p.outcome for p in second.feeds] == ["not_modified"]
    assert store.counts() == counts  # no raw document, no article, nothing downstream
    assert server.requests[-1].headers["if-none-match"] == '"v1"'
    feed = store.feed(feed_id)
    assert feed.etag == '"v1"' and feed.interval_s == 5400  # 1 h, then 1.5 times longer


def test_same_bytes_again_are_unchanged(server, store, fetcher, settings) -> None:
    server.serve("/feed", rss2(server.url("")), content_type="application/rss+xml")
    feed_id = subscribed(store, server.url("/feed"))
    poll(store, fetcher, settings)
    again = poll(store, fetcher, settings, feeds=[store.feed(feed_id)])
    assert [p.outcome for p in again.feeds] == ["unchanged"]


def test_summary_only_entries_get_their_page_fetched(server, store, fetcher, settings) -> None:
    base = server.url("")
    server.serve("/feed", rss2(base, 1, summary="A short teaser."), content_type="text/xml")
    server.serve(
        "/a/1", article_html("Story 1", LONG_PARAGRAPHS), content_type="text/html; charset=utf-8"
    )
    subscribed(store, server.url("/feed"))
    report = poll(store, fetcher, settings)
    (result,) = report.feeds
    assert result.pages_fetched == 1 and result.pages_failed == 0
    article = store.article(result.articles_new[0])
    assert not article.is_partial
    assert "Brussels on Thursday" in article.body
    assert "/a/1" in server.paths()


def test_a_failed_page_keeps_the_summary(server, store, fetcher, settings) -> None:
    server.serve("/feed", rss2(server.url(""), 1, summary="A short teaser."))
    subscribed(store, server.url("/feed"))
    (result,) = poll(store, fetcher, settings).feeds
    assert result.outcome == "new" and result.pages_failed == 1
    assert store.article(result.articles_new[0]).body == "A short teaser."


def test_header_charset_is_used_and_wrong_one_survived(server, store, fetcher, settings) -> None:
    base = server.url("")
    plain = "Ministers met in Brussels on Thursday. " * 20  # Latin-1 has no euro sign
    latin = rss2(base + "/latin", 1, summary=plain).replace("Story 1", "Café crème")
    latin = latin.replace(' encoding="utf-8"', "")
    server.serve("/latin", latin.encode("latin-1"), content_type="text/xml; charset=ISO-8859-1")
    # Declared UTF-8 but sent as cp1252: the decoder notices and detects the real encoding.
    wrong = rss2(base + "/wrong", 1).replace("Story 1", "Café crème — «quoted»")
    server.serve("/wrong", wrong.encode("cp1252"), content_type="text/xml; charset=utf-8")
    for path in ("/latin", "/wrong"):
        subscribed(store, server.url(path))
    report = poll(store, fetcher, settings)
    titles = [store.article(p.articles_new[0]).title for p in report.feeds]
    assert titles == ["Café crème", "Café crème — «quoted»"]
    # The header's charset travels with the raw bytes, so a reprocess decodes them the same way.
    assert {store.load_raw(i).options.charset for i in (1, 2)} == {"iso8859-1", "utf-8"}


def test_malformed_xml_and_billion_laughs_are_quarantined(server, store, fetcher, settings) -> None:
    server.serve("/broken", "<rss><channel><title>x</title><item><title>")
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<rss><channel><title>&lol2;</title></channel></rss>"
    )
    server.serve("/laughs", laughs)
    broken = subscribed(store, server.url("/broken"))
    hostile = subscribed(store, server.url("/laughs"))
    report = poll(store, fetcher, settings)
    assert [p.quarantined for p in report.feeds] == [1, 1]
    codes = {q.code for q in store.quarantine()}
    assert "input_hostile" in codes
    assert [p.outcome for p in report.feeds] == ["failed", "failed"]
    assert store.feed(broken).status is FeedStatus.FAILING
    assert store.feed(hostile).title is None  # metadata is never read from a hostile feed
    assert store.feed(hostile).last_error_code == "input_hostile"


def test_quarantined_body_fails_the_feed_until_a_good_one(server, store, fetcher, settings) -> None:
    server.serve("/feed", "<rss><channel><title>x</title><item><title>", etag='"bad"')
    feed_id = subscribed(store, server.url("/feed"))
    (result,) = poll(store, fetcher, settings).feeds
    assert result.outcome == "failed" and result.status is FeedStatus.FAILING
    assert result.quarantined == 1 and result.error_code == "parse_failed"
    feed = store.feed(feed_id)
    assert feed.status is FeedStatus.FAILING and feed.error_count == 1
    assert feed.last_error_code == "parse_failed"
    assert "body was quarantined" in (feed.last_error or "")
    assert "ends before its closing tag" in (feed.last_error or "")
    assert feed.etag is None  # not kept from a broken body, so the same bytes come again
    assert feed.next_due_at == NOW + timedelta(seconds=900)  # back-off, like other failures
    # The same broken bytes again are not processed twice, but the feed keeps failing.
    (again,) = poll(store, fetcher, settings, feeds=[store.feed(feed_id)]).feeds
    assert again.outcome == "failed"
    feed = store.feed(feed_id)
    assert feed.error_count == 2 and feed.next_due_at == NOW + timedelta(seconds=1800)
    assert feed.last_error_code == "parse_failed"
    server.serve("/feed", rss2(server.url("")), content_type="application/rss+xml")
    (good,) = poll(store, fetcher, settings, feeds=[store.feed(feed_id)]).feeds
    assert good.outcome == "new" and good.status is FeedStatus.OK
    feed = store.feed(feed_id)
    assert feed.status is FeedStatus.OK and feed.error_count == 0 and feed.last_error is None


def test_a_page_that_is_not_a_feed_fails_the_feed(server, store, fetcher, settings) -> None:
    server.serve("/feed", "<html><body><p>Log in</p></body></html>", content_type="text/html")
    feed_id = subscribed(store, server.url("/feed"))
    (result,) = poll(store, fetcher, settings).feeds
    assert result.outcome == "failed"
    feed = store.feed(feed_id)
    assert feed.status is FeedStatus.FAILING and feed.last_error_code == "parse_no_article"
    assert "no article text" in (feed.last_error or "")


def test_one_bad_entry_or_no_entries_leave_the_feed_ok(server, store, fetcher, settings) -> None:
    base = server.url("")
    bad_entry = rss2(base, 1).replace("<item>", "<item><title>Only a title</title></item><item>")
    server.serve("/mixed", bad_entry, content_type="application/rss+xml")
    empty = '<rss version="2.0"><channel><title>Quiet</title><link>http://q/</link></channel></rss>'
    server.serve("/empty", empty, content_type="application/rss+xml")
    mixed, quiet = subscribed(store, server.url("/mixed")), subscribed(store, server.url("/empty"))
    report = poll(store, fetcher, settings, fetch_pages=False)
    assert [p.quarantined for p in report.feeds] == [1, 1]
    assert [p.outcome for p in report.feeds] == ["new", "unchanged"]
    assert store.feed(mixed).status is FeedStatus.OK
    assert store.feed(quiet).status is FeedStatus.OK


def test_permanent_redirect_moves_the_subscription(server, store, fetcher, settings) -> None:
    server.serve("/new", rss2(server.url("")), etag='"n1"', content_type="application/rss+xml")
    server.redirect("/old", "/new", status=301)
    server.redirect("/old308", "/new308", status=308)
    server.serve("/new308", rss2(server.url("") + "/b"), content_type="application/rss+xml")
    old = subscribed(store, server.url("/old"))
    old308 = subscribed(store, server.url("/old308"))
    report = poll(store, fetcher, settings)
    first, second = report.feeds
    assert first.outcome == "new" and first.moved_to == server.url("/new")
    assert second.moved_to == server.url("/new308")
    assert "moved permanently" in (first.note or "")
    feed = store.feed(old)
    assert feed.id == old and feed.xml_url == server.url("/new")
    assert feed.status is FeedStatus.OK and feed.error_count == 0
    assert feed.etag is None and feed.last_modified is None  # validators reset
    assert feed.last_error_code == "feed_moved"
    assert feed.last_error == (
        f"moved permanently from {server.url('/old')} to {server.url('/new')}; "
        "the subscription now uses the new URL"
    )
    assert store.feed(old308).xml_url == server.url("/new308")
    # The next poll asks the new URL directly, and a clean poll clears the note.
    before = len(server.requests)
    (after,) = poll(store, fetcher, settings, feeds=[store.feed(old)]).feeds
    assert [r.path for r in server.requests[before:]] == ["/new"]
    assert "if-none-match" not in server.requests[-1].headers
    assert after.moved_to is None and after.note is None
    assert store.feed(old).last_error is None and store.feed(old).etag == '"n1"'


def test_temporary_redirect_does_not_move(server, store, fetcher, settings) -> None:
    server.serve("/new", rss2(server.url("")), content_type="application/rss+xml")
    server.redirect("/found", "/new", status=302)
    server.redirect("/temp", "/new", status=307)
    # A permanent hop after a temporary one is not permanent as a whole.
    server.redirect("/mixed", "/found", status=301)
    ids = [subscribed(store, server.url(p)) for p in ("/found", "/temp", "/mixed")]
    report = poll(store, fetcher, settings)
    assert [p.moved_to for p in report.feeds] == [None, None, None]
    assert [p.note for p in report.feeds] == [None, None, None]
    for feed_id, path in zip(ids, ("/found", "/temp", "/mixed"), strict=True):
        feed = store.feed(feed_id)
        assert feed.xml_url == server.url(path) and feed.last_error is None


def test_permanent_redirect_to_a_subscribed_url_is_noted(server, store, fetcher, settings) -> None:
    server.serve("/new", rss2(server.url("")), content_type="application/rss+xml")
    server.redirect("/old", "/new", status=301)
    old = subscribed(store, server.url("/old"))
    existing = subscribed(store, server.url("/new"))
    report = poll(store, fetcher, settings, feeds=[store.feed(old)])
    (result,) = report.feeds
    assert result.moved_to is None and result.status is FeedStatus.OK
    feed = store.feed(old)
    assert feed.xml_url == server.url("/old") and feed.status is FeedStatus.OK
    assert feed.last_error_code == "feed_move_duplicate"
    assert f"feed {existing} already subscribes to" in (feed.last_error or "")
    assert result.note == feed.last_error
    assert store.feed(existing).xml_url == server.url("/new")


def test_gone_feed_stops_being_polled(server, store, fetcher, settings) -> None:
    server.serve("/feed", status=410)
    feed_id = subscribed(store, server.url("/feed"))
    (result,) = poll(store, fetcher, settings).feeds
    assert result.outcome == "gone"
    feed = store.feed(feed_id)
    assert feed.status is FeedStatus.GONE and feed.next_due_at is None
    assert "410 Gone" in (feed.last_error or "")
    assert store.due_feeds(now=NOW + timedelta(days=30)) == []
    back, created = store.add_feed(Subscription(xml_url=server.url("/feed")), now=NOW)
    assert not created and back.status is FeedStatus.NEW and back.next_due_at == NOW


def test_failures_back_off_and_say_why(server, store, fetcher, settings) -> None:
    server.serve("/feed", status=500)
    feed_id = subscribed(store, server.url("/feed"))
    poll(store, fetcher, settings)
    poll(store, fetcher, settings, feeds=[store.feed(feed_id)])
    feed = store.feed(feed_id)
    assert feed.status is FeedStatus.FAILING and feed.error_count == 2
    assert feed.last_error_code == "fetch_http_500" and "answered 500" in (feed.last_error or "")
    assert feed.next_due_at == NOW + timedelta(seconds=1800)  # 15 min, doubled
    server.serve("/feed", rss2(server.url("")))
    poll(store, fetcher, settings, feeds=[store.feed(feed_id)])
    recovered = store.feed(feed_id)
    assert recovered.status is FeedStatus.OK and recovered.error_count == 0
    assert recovered.last_error is None


def test_429_retry_after_sets_the_next_poll(server, store, fetcher, settings) -> None:
    server.serve("/feed", status=429, headers={"Retry-After": "7200"})
    feed_id = subscribed(store, server.url("/feed"))
    (result,) = poll(store, fetcher, settings).feeds
    assert result.error_code == "fetch_http_429"
    assert store.feed(feed_id).next_due_at == NOW + timedelta(seconds=7200)


def test_a_retry_after_that_is_no_number_is_ignored(server, store, fetcher, settings) -> None:
    """A Retry-After of "²", a digit to str.isdigit() and no number to float(): the poll
    raised on it and reported the feed as failed, not as rate-limited."""
    server.serve("/feed", status=429, headers={"Retry-After": "\u00b2"})
    feed_id = subscribed(store, server.url("/feed"))
    (result,) = poll(store, fetcher, settings).feeds
    assert result.error_code == "fetch_http_429"
    assert store.feed(feed_id).next_due_at is not None


def test_robots_disallow_and_private_redirect_fail_the_feed(
    server, store, fetcher, settings
) -> None:
    server.serve("/robots.txt", "User-agent: *\nDisallow: /private\n")
    server.serve("/private/feed", rss2(server.url("")))
    server.redirect("/moved", "http://10.0.0.1/feed")
    robots = subscribed(store, server.url("/private/feed"))
    moved = subscribed(store, server.url("/moved"))
    poll(store, fetcher, settings)
    assert "robots.txt" in (store.feed(robots).last_error or "")
    assert store.feed(robots).last_error_code == "fetch_robots_disallowed"
    assert store.feed(moved).last_error_code == "fetch_blocked_address"
    assert "/private/feed" not in server.paths()


def test_subscribe_discovers_the_feed_of_a_page(server, store, fetcher) -> None:
    page = (
        "<html><head><title>Harbour Ledger</title>"
        '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        "</head><body>Hello</body></html>"
    )
    server.serve("/", page, content_type="text/html")
    server.serve("/feed.xml", rss2(server.url("")), content_type="application/rss+xml")
    result = subscribe(store, fetcher, server.url("/"), now=NOW, categories=["World"])
    assert result.created and result.discovered_from == server.url("/")
    assert result.feed.xml_url == server.url("/feed.xml")
    assert result.feed.title == "Harbour Ledger" and result.feed.categories == ("World",)
    again = subscribe(store, fetcher, server.url("/feed.xml"), now=NOW)
    assert not again.created and again.feed.id == result.feed.id


def test_schedule_adapts_within_bounds() -> None:
    bounds = {"min_s": 900.0, "max_s": 86_400.0}
    assert next_interval_s(None, changed=True, **bounds) == 3600
    assert next_interval_s(3600, changed=True, **bounds) == 1800
    assert next_interval_s(1000, changed=True, **bounds) == 900
    assert next_interval_s(3600, changed=False, **bounds) == 5400
    assert next_interval_s(80_000, changed=False, **bounds) == 86_400
    assert [failure_delay_s(n, **bounds) for n in (1, 2, 3)] == [900, 1800, 3600]
    assert failure_delay_s(20, **bounds) == 86_400
    assert failure_delay_s(1, retry_after_s=7200, **bounds) == 7200


def test_imported_feeds_without_due_time_are_due(store, server: LoopbackServer) -> None:
    store.add_feed(Subscription(xml_url=server.url("/a")), now=NOW)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE feeds SET next_due_at = NULL")
    assert [f.xml_url for f in store.due_feeds(now=NOW)] == [server.url("/a")]
