from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadsheet.errors import (
    BroadsheetError,
    EmptyInput,
    ExtractError,
    HostileInput,
    ParseError,
    UnsupportedFormat,
)
from broadsheet.model import IngestOptions, InputFormat
from broadsheet.pipeline.clean import clean
from broadsheet.pipeline.extract import (
    detect_format,
    extract,
    format_for_path,
    html_to_paragraphs,
    is_related_link,
)
from tests.conftest import LONG_PARAGRAPHS, NOW, article_html

OPTS = IngestOptions()


def run(text: str, fmt: InputFormat, options: IngestOptions = OPTS):
    return extract(text, fmt, options=options, now=NOW)


def test_format_for_path_by_extension() -> None:
    assert format_for_path("a/b/story.TXT") is InputFormat.TEXT
    assert format_for_path("page.htm") is InputFormat.HTML
    assert format_for_path("dump.jsonl") is InputFormat.JSONL
    assert format_for_path("feed.atom") is InputFormat.FEED
    assert format_for_path("subs.opml") is InputFormat.OPML
    assert format_for_path("notes.md") is None


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ('<?xml version="1.0"?>\n<opml version="2.0"><body/></opml>', InputFormat.FEED, "opml"),
        ("<!-- saved -->\n<rss version='2.0'><channel/></rss>", InputFormat.FEED, "feed"),
        ('<feed xmlns="http://www.w3.org/2005/Atom"></feed>', None, "feed"),
        ('<?xml version="1.0"?><rdf:RDF xmlns:rdf="x"></rdf:RDF>', InputFormat.FEED, "feed"),
        ("<!DOCTYPE html><html><body>x</body></html>", None, "html"),
        ('{"title": "x"}\n', None, "jsonl"),
        ("Headline\nBody line.\n", None, "text"),
    ],
)
def test_detect_format(text: str, hint: InputFormat | None, expected: str) -> None:
    assert detect_format(text, hint).value == expected


def test_detect_format_refuses_other_xml() -> None:
    with pytest.raises(UnsupportedFormat, match="<svg>"):
        detect_format(
            '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', InputFormat.FEED
        )


def test_text_first_line_is_title_and_options_apply() -> None:
    published = datetime(2026, 11, 12, 9, 30, tzinfo=UTC)
    options = IngestOptions(
        source="Daily Lantern",
        url="https://dailylantern.example/news/talks?utm_medium=social#top",
        published_at=published,
        language="en",
    )
    text = "Talks resume\n\n  First paragraph.\nSecond paragraph.\n"
    result = run(text, InputFormat.TEXT, options)
    (draft,) = result.articles
    # Title and paragraphs are the cleaner's to choose; extraction keeps every line and where it is.
    assert [(line.text, text[line.start : line.end]) for line in draft.lines] == [
        ("Talks resume", "Talks resume"),
        ("First paragraph.", "First paragraph."),
        ("Second paragraph.", "Second paragraph."),
    ]
    assert draft.source_name == "Daily Lantern"
    assert draft.canonical_url == "https://dailylantern.example/news/talks"
    assert draft.site_url == "https://dailylantern.example/"
    assert draft.published_at == published
    assert draft.published_at_guessed is False
    assert draft.language == "en"


def test_text_without_date_is_marked_as_guess() -> None:
    (draft,) = run("Headline\nBody.\n", InputFormat.TEXT).articles
    assert draft.published_at == NOW
    assert draft.published_at_guessed is True
    assert draft.source_name == "unknown"


def test_html_page_metadata_and_main_text() -> None:
    html = article_html(
        "EU and China resume tariff talks",
        LONG_PARAGRAPHS,
        extra_head='<link rel="canonical" href="https://harbourledger.example/world/tariffs">'
        '<meta property="article:published_time" content="2026-11-12T10:15:00+01:00">',
    )
    (draft,) = run(html, InputFormat.HTML).articles
    assert draft.title == "EU and China resume tariff talks"
    assert draft.source_name == "The Harbour Ledger"
    assert draft.authors == ("Ines Varga",)
    assert draft.published_at == datetime(2026, 11, 12, 9, 15, tzinfo=UTC)
    assert draft.published_at_guessed is False
    assert draft.canonical_url == "https://harbourledger.example/world/tariffs"
    assert draft.language == "en"
    body = "\n".join(draft.paragraphs)
    assert "€2.1 billion" in body
    assert "All rights reserved" not in body
    assert "Other story" not in body


@pytest.mark.parametrize(
    ("paragraph", "related"),
    [
        ("Read more: [Tariff talks stall in Beijing](https://example.org/a)", True),
        ("LE PUEDE INTERESAR: [La ficha del ministro](/b)", True),
        ("- [Ministers meet again next week](/c)", True),
        ("[» Download the statement as PDF](/d.pdf)", True),
        ("[Tariff talks stall](/e) | [Ministers meet](/f)", True),
        # Text beside the link: a sentence that cites, not a related story.
        ("The talks were [reported earlier](/g) by the ministry.", False),
        ("No link at all in this paragraph.", False),
        # A table row, and a whole paragraph of prose inside one link, are article text.
        ("| [Docker Desktop](/h) | 4.2 |", False),
        (
            "[Officials from both sides said the talks had been constructive and that a package "
            "of measures would be ready for ministers to sign before the end of the year](/i)",
            False,
        ),
        # A lead-in is at most four words and a colon.
        ("According to the official ministry statement: [Talks stall](/j)", False),
    ],
)
def test_which_paragraphs_are_related_story_links(paragraph: str, related: bool) -> None:
    assert is_related_link(paragraph) is related


def test_html_related_story_links_inside_the_article_are_dropped_and_listed() -> None:
    html = article_html(
        "EU and China resume tariff talks",
        [
            LONG_PARAGRAPHS[0],
            'READ MORE: <a href="/world/steel">EU weighs new duties on Chinese steel</a>',
            LONG_PARAGRAPHS[1],
            'The statement was <a href="/docs/statement">published by the ministry</a> on '
            "Thursday evening, a day after the talks had started in Brussels.",
            '<a href="/world/beijing">Beijing hosts the next round</a>',
            LONG_PARAGRAPHS[2],
        ],
    )
    (draft,) = run(html, InputFormat.HTML).articles
    body = "\n".join(draft.paragraphs)
    assert "EU weighs new duties" not in body and "Beijing hosts the next round" not in body
    assert "The statement was published by the ministry on Thursday evening" in body
    assert "](" not in body  # link targets never reach the stored text
    reasons = {r.text: r.reason for r in draft.removed}
    assert reasons["READ MORE: EU weighs new duties on Chinese steel"] == "related-link"
    # trafilatura itself leaves a bare link paragraph out (all of it is link text).
    assert reasons["Beijing hosts the next round"] in {"related-link", "not-main-content"}


def test_html_without_article_text_is_an_extract_error() -> None:
    html = "<html><head><title>x</title><script>var a = 1;</script></head><body><nav>Home</nav></body></html>"
    with pytest.raises(ExtractError, match="no article text"):
        run(html, InputFormat.HTML)


def test_jsonl_records_and_per_line_problems() -> None:
    lines = [
        json.dumps(
            {
                "title": "Wire: talks",
                "text": "One.\n\nTwo.",
                "url": "https://meridianwire.example/a",
                "published_at": "2026-11-10T08:00:00Z",
                "source": "Meridian Wire",
                "authors": ["A. Writer"],
            }
        ),
        "",
        "{not json",
        json.dumps({"title": "no body"}),
        json.dumps({"title": "html one", "html": "<p>Alpha.</p><p>Beta <b>bold</b>.</p>"}),
        json.dumps([1, 2]),
    ]
    result = run("\n".join(lines), InputFormat.JSONL)
    assert [d.title for d in result.articles] == ["Wire: talks", "html one"]
    assert [line.text for line in result.articles[0].lines] == ["One.", "Two."]
    assert result.articles[0].authors == ("A. Writer",)
    assert result.articles[1].paragraphs == ("Alpha.", "Beta bold.")
    assert result.articles[1].locator == "line 5"
    problems = {q.locator: q for q in result.item_quarantines}
    assert set(problems) == {"line 3", "line 4", "line 6"}
    assert problems["line 3"].code == "parse_failed"
    assert "neither" in problems["line 4"].message
    assert "expected a JSON object, got list" in problems["line 6"].message


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Northgate Courier</title><link>https://northgatecourier.example/</link>
<language>en-gb</language>
<item><title>Talks resume in Brussels</title>
<link>https://northgatecourier.example/news/talks?utm_source=rss</link>
<pubDate>Thu, 12 Nov 2026 10:00:00 +0100</pubDate><dc:creator>Tom Reyes</dc:creator>
<description>Short teaser.</description>
<content:encoded><![CDATA[<p>Full paragraph one.</p><p>Full paragraph two.</p>]]></content:encoded>
</item>
<item><title>Teaser only</title><link>https://northgatecourier.example/news/teaser</link>
<description>Just one sentence about the story.</description></item>
<item><title>Bad link</title><link>javascript:alert(1)</link><description>x</description></item>
</channel></rss>"""


def test_rss_entries() -> None:
    result = run(RSS, InputFormat.FEED)
    first, teaser = result.articles
    assert first.title == "Talks resume in Brussels"
    assert first.paragraphs == ("Full paragraph one.", "Full paragraph two.")
    assert first.source_name == "Northgate Courier"
    assert first.canonical_url == "https://northgatecourier.example/news/talks"
    assert first.published_at == datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
    assert first.authors == ("Tom Reyes",)
    assert first.language == "en"
    assert first.is_partial is False
    assert teaser.is_partial is True
    assert teaser.published_at_guessed is True
    (problem,) = result.item_quarantines
    assert problem.locator == "entry 3"
    assert "javascript" in problem.message


def test_atom_entries() -> None:
    atom = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Capital Observer</title>
<link href="https://capitalobserver.example/"/><updated>2026-11-12T10:00:00Z</updated>
<id>urn:x</id>
<entry><title>Rates rise</title><link href="https://capitalobserver.example/rates"/>
<id>urn:1</id><published>2026-11-12T07:30:00Z</published><updated>2026-11-12T08:00:00Z</updated>
<author><name>Mara Quist</name></author>
<content type="html">&lt;p&gt;The bank raised rates.&lt;/p&gt;&lt;p&gt;Markets rose.&lt;/p&gt;</content>
</entry></feed>"""
    (draft,) = run(atom, InputFormat.FEED).articles
    assert draft.title == "Rates rise"
    assert draft.paragraphs == ("The bank raised rates.", "Markets rose.")
    assert draft.published_at == datetime(2026, 11, 12, 7, 30, tzinfo=UTC)
    assert draft.authors == ("Mara Quist",)
    assert draft.source_name == "Capital Observer"


def test_feed_refuses_entity_declarations() -> None:
    bomb = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
<rss version="2.0"><channel><title>&b;</title></channel></rss>"""
    with pytest.raises(HostileInput, match="entity"):
        run(bomb, InputFormat.FEED)


def test_malformed_feed_without_entries_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="malformed feed XML"):
        run("<rss version='2.0'><channel><title>x<<</title></channel></rss", InputFormat.FEED)


def test_truncated_feed_keeps_whole_entries_and_quarantines_the_last() -> None:
    cut = RSS[: RSS.index("<item><title>Teaser only")] + "<item><title>Half an ent"
    result = run(cut, InputFormat.FEED)
    assert [d.title for d in result.articles] == ["Talks resume in Brussels"]
    (problem,) = result.item_quarantines
    assert problem.locator == "entry 2"
    assert "truncated" in problem.message


def test_feed_with_no_entries_is_empty() -> None:
    with pytest.raises(EmptyInput, match="no entries"):
        run("<rss version='2.0'><channel><title>Quiet</title></channel></rss>", InputFormat.FEED)


OPML = """<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0"><head><title>Subscriptions</title></head><body>
<outline text="Wire &amp; Business" title="Wire &amp; Business">
  <outline type="rss" text="Meridian Wire" title="Meridian Wire"
    xmlUrl="https://meridianwire.example/feed.xml" htmlUrl="https://meridianwire.example/"/>
  <outline type="rss" text="Bad" xmlUrl="file:///etc/passwd"/>
</outline>
<outline type="rss" text="Lantern" xmlUrl="https://dailylantern.example/feed.xml" category="/Tabloids,/UK"/>
<outline type="rss" text="Lantern again" xmlUrl="https://DailyLantern.example/feed.xml"/>
</body></opml>"""


def test_opml_subscriptions_with_categories() -> None:
    result = run(OPML, InputFormat.OPML)
    subs = {s.title: s for s in result.subscriptions}
    assert set(subs) == {"Meridian Wire", "Lantern"}
    assert subs["Meridian Wire"].categories == ("Wire & Business",)
    assert subs["Meridian Wire"].html_url == "https://meridianwire.example/"
    assert subs["Lantern"].categories == ("Tabloids", "UK")
    (problem,) = result.item_quarantines
    assert "scheme 'file' is not allowed" in problem.message


def test_opml_malformed_and_empty() -> None:
    with pytest.raises(ParseError, match="malformed OPML"):
        run("<opml><body><outline xmlUrl='https://a.example/f'></body>", InputFormat.OPML)
    with pytest.raises(EmptyInput, match="no feeds"):
        run("<opml version='2.0'><body><outline text='folder'/></body></opml>", InputFormat.OPML)


def test_html_to_paragraphs_drops_scripts_and_splits_blocks() -> None:
    fragment = (
        "<div>Intro<br>second line</div><script>evil()</script><ul><li>one</li><li>two</li></ul>"
    )
    assert html_to_paragraphs(fragment) == ["Intro", "second line", "one", "two"]


@given(st.text(max_size=400), st.sampled_from(list(InputFormat)))
def test_any_text_gives_drafts_or_a_broadsheet_error(text: str, fmt: InputFormat) -> None:
    try:
        result = run(text, fmt)
    except BroadsheetError:
        return
    for draft in result.articles:
        assert isinstance(draft.title, str)
        assert all(isinstance(p, str) for p in draft.paragraphs)


def test_html_standfirst_is_the_pages_own_summary() -> None:
    summary = "Negotiators will meet again in Beijing next week after a day of talks."
    html = article_html(
        "EU and China resume tariff talks",
        [summary, *LONG_PARAGRAPHS],
        extra_head=f'<meta name="description" content="{summary}">',
    )
    (draft,) = run(html, InputFormat.HTML).articles
    cleaned = clean(draft)  # the headline printed again in the body goes; the standfirst stays
    assert cleaned.standfirst == summary
    assert cleaned.paragraphs[0] == summary


def test_html_chinese_article_is_not_refused_as_too_short() -> None:
    # Four sentences of Chinese hold no space at all: counted by spaces they were one "word",
    # under MIN_PAGE_WORDS, and the page was refused as "no article text".
    paragraphs = [
        "欧盟和中国的贸易部长星期四在布鲁塞尔会晤，讨论电动汽车关税问题。",
        "官员们在会议结束后表示，这是今年的第三轮会谈，双方都希望在年底前达成协议。",
        "欧盟委员会发言人说：我们取得了真正的进展，但还没有达到目标。",
        "谈判代表将于下周在北京再次会面，届时将讨论一揽子措施。",
    ]
    html = article_html("欧盟与中国恢复关税谈判", paragraphs).replace('lang="en"', 'lang="zh"')
    (draft,) = run(html, InputFormat.HTML).articles
    assert "\n".join(draft.paragraphs).count("。") == 4
    assert draft.language == "zh"


def test_html_link_target_with_parentheses_leaves_no_trace_in_the_text() -> None:
    html = article_html(
        "Probe reaches Mercury",
        [
            LONG_PARAGRAPHS[0],
            'The probe will reach <a href="https://en.wikipedia.org/wiki/Mercury_(planet)">'
            "Mercury</a> in 2026, the agency said, after a journey of seven years and nine "
            'months, and <a href="javascript:void(0)">more</a> will follow.',
            LONG_PARAGRAPHS[1],
        ],
    )
    (draft,) = run(html, InputFormat.HTML).articles
    body = "\n".join(draft.paragraphs)
    assert "The probe will reach Mercury in 2026, the agency said" in body
    assert "and more will follow." in body
    assert ">)" not in body and "](" not in body


def test_chinese_feed_summary_is_a_teaser_only_when_short() -> None:
    full = "".join(
        f"<p>第{n}段：欧盟和中国的贸易部长星期四在布鲁塞尔会晤，讨论电动汽车关税问题。</p>"
        for n in range(1, 6)
    )
    rss = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>北方信使</title><link>https://beifang.example/</link>
<item><title>贸易会谈恢复</title><link>https://beifang.example/a</link>
<description><![CDATA[{full}]]></description></item>
<item><title>部长会晤</title><link>https://beifang.example/b</link>
<description>欧盟和中国的贸易部长星期四会晤。</description></item>
</channel></rss>"""
    whole, teaser = run(rss, InputFormat.FEED).articles
    assert whole.is_partial is False  # five paragraphs of text (about 130 words' worth)
    assert teaser.is_partial is True


def test_html_text_after_a_link_in_a_run_of_line_breaks_is_kept() -> None:
    # Paragraphs as text between <br>s right inside the article's section: with its link markup
    # on, trafilatura ends such a paragraph at its link ("the table of contents (") and loses
    # the rest. The text comes from its plain extraction; the markup only finds related links.
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>A standard work on trade law | The Harbour Ledger</title></head>
<body><header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header><main>
<article><h1>A standard work on trade law</h1><section itemprop="articleBody">
<h2>Structure and content</h2><br>
{LONG_PARAGRAPHS[1]}<br><br>
A look at the table of contents (<a href="https://example.org/toc.pdf">PDF</a>) shows that
few questions are left open by its nine chapters.<br><br>
{LONG_PARAGRAPHS[2]}<br><br>
READ MORE: <a href="/world/steel">EU weighs new duties on Chinese steel</a><br><br>
{LONG_PARAGRAPHS[3]}
</section></article></main><footer><p>© 2026 The Harbour Ledger.</p></footer></body></html>"""
    (draft,) = run(html, InputFormat.HTML).articles
    body = "\n".join(draft.paragraphs)
    assert (
        "A look at the table of contents (PDF) shows that few questions are left open by its "
        "nine chapters." in body
    )
    assert LONG_PARAGRAPHS[3] in body
    assert "EU weighs new duties" not in body
    reasons = {r.text: r.reason for r in draft.removed}
    assert reasons["READ MORE: EU weighs new duties on Chinese steel"] == "related-link"
