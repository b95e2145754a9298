from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from broadsheet.config import Settings
from broadsheet.model import IngestOptions, InputFormat, RawDocument, Stage
from broadsheet.pipeline import process
from tests.conftest import LONG_PARAGRAPHS, NOW, article_html

SETTINGS = Settings(max_input_bytes=10_000)


def test_process_runs_every_stage() -> None:
    raw = RawDocument(
        data=article_html("A headline", LONG_PARAGRAPHS).encode(),
        fetched_at=NOW,
        origin="page.html",
    )
    result = process(raw, now=NOW, settings=SETTINGS)
    assert result.format is InputFormat.HTML
    (draft,) = result.articles
    assert draft.content_hash and len(draft.content_hash) == 64
    assert result.quarantines == ()


SCRAPED = """Skip to content
Riverside Gazette
Subscribe | Log in
News | World
Quake kills 14 in mountain villages
By Meridian Wire
Share
27
Advertisement
ISTANBUL (Meridian Wire) - A strong earthquake struck a mountainous district of eastern Turkey on Thursday, killing at least 14 people and destroying dozens of homes, the regional governor said.
The quake, which had a magnitude of 6.1, was felt as far away as the provincial capital, where residents ran into the streets in the early hours of the morning.
"Our teams are working through the rubble house by house," Governor Selim Aksoy told reporters, adding that rescuers were still trying to reach three villages cut off by landslides.
Rescue teams from neighbouring provinces arrived by midday, and the disaster agency said it had sent 400 tents and blankets to the area.
Advertisement
READ MORE: Flooding closes motorway links across northern Italy
Sign up to our newsletter
Related:
Comments
© Riverside Gazette 2026
"""


def test_scraped_page_keeps_the_article_and_says_what_it_dropped() -> None:
    raw = RawDocument(
        data=SCRAPED.encode(),
        fetched_at=NOW,
        origin="a.txt",
        options=IngestOptions(source="Riverside Gazette"),
    )
    result = process(raw, now=NOW, settings=SETTINGS)
    (draft,) = result.articles
    assert draft.title == "Quake kills 14 in mountain villages"
    assert len(draft.paragraphs) == 4
    assert draft.paragraphs[0].startswith("ISTANBUL (Meridian Wire)")
    assert draft.paragraphs[-1].startswith("Rescue teams")
    removed = {r.text: r for r in draft.removed}
    for furniture in (
        "Skip to content",
        "Riverside Gazette",
        "Subscribe | Log in",
        "Share",
        "27",
        "Advertisement",
        "Sign up to our newsletter",
        "Comments",
        "© Riverside Gazette 2026",
    ):
        assert removed[furniture].reason == "furniture", furniture
    assert removed["Quake kills 14 in mountain villages"].reason == "headline"
    # Offsets point back into the input text.
    for item in draft.removed:
        assert SCRAPED[item.start : item.end] == item.text


def test_oversized_raw_is_quarantined_at_read() -> None:
    raw = RawDocument(data=b"x" * 10_001, fetched_at=NOW, origin="big.txt")
    result = process(raw, now=NOW, settings=SETTINGS)
    (problem,) = result.quarantines
    assert (problem.stage, problem.code) == (Stage.READ, "input_too_large")


@settings(max_examples=200)
@given(st.binary(max_size=2048), st.sampled_from([None, *InputFormat]))
def test_process_never_raises(data: bytes, fmt: InputFormat | None) -> None:
    raw = RawDocument(data=data, fetched_at=NOW, format=fmt, origin="x")
    result = process(raw, now=NOW, settings=SETTINGS)
    assert result.articles or result.subscriptions or result.quarantines
    for problem in result.quarantines:
        assert problem.code != "internal_error", problem.message


@settings(max_examples=100)
@given(st.text(max_size=1000), st.sampled_from(list(InputFormat)))
def test_process_text_never_hits_an_internal_error(text: str, fmt: InputFormat) -> None:
    raw = RawDocument(data=text.encode("utf-8"), fetched_at=NOW, format=fmt, origin="x")
    for problem in process(raw, now=NOW, settings=SETTINGS).quarantines:
        assert problem.code != "internal_error", problem.message


CAPTIONED = """Home > Sport > Football
Rovers end 41-year wait for the Crown Cup
By Gareth Pryce
Share
Jamal Okonjo wheels away after the decisive goal at Larchfield Stadium
Photo: Hal Brennan/Daily Lantern
Advertisement
Ashbourne Rovers ended 41 years of hurt in the most dramatic fashion imaginable, twice coming from behind to beat Wexley Athletic 3-2 after extra time in the Crown Cup final on Saturday.
The substitute Jamal Okonjo, who had already equalised with nine minutes of normal time remaining, struck again in the 113th minute to send the travelling supporters into raptures.
Jamal Okonjo wheels away after the decisive goal at Larchfield Stadium
"I've been in this game a long time and I've never seen a group refuse to lose like that," manager Declan Marsh said afterwards.
READ MORE: Wexley confirm Brandt will miss league opener through suspension
Rovers will parade the trophy through Ashbourne on Sunday afternoon, and the club has already sold out its allocation of tickets for the open-top bus tour.
Sign up to our newsletter
Related:
Women's Crown Cup draw pairs holders with league leaders
© Daily Lantern 2026 | Terms | Privacy
"""


def test_repeated_caption_and_read_more_links_are_dropped() -> None:
    raw = RawDocument(
        data=CAPTIONED.encode(),
        fetched_at=NOW,
        origin="c.txt",
        options=IngestOptions(source="Daily Lantern"),
    )
    (draft,) = process(raw, now=NOW, settings=SETTINGS).articles
    body = "\n".join(draft.paragraphs)
    assert draft.title == "Rovers end 41-year wait for the Crown Cup"
    assert "wheels away" not in body  # the caption, printed twice
    assert "READ MORE" not in body
    assert "Sign up" not in body and "Related" not in body
    assert draft.paragraphs[0].startswith("Ashbourne Rovers ended 41 years")
    assert draft.paragraphs[-1].startswith("Rovers will parade the trophy")
    reasons = {r.text: r.reason for r in draft.removed}
    assert reasons["Jamal Okonjo wheels away after the decisive goal at Larchfield Stadium"] in (
        "repeat",
        "furniture",
    )


def test_html_page_records_what_the_extractor_left_out() -> None:
    from tests.conftest import LONG_PARAGRAPHS, article_html

    raw = RawDocument(
        data=article_html("Talks stall", LONG_PARAGRAPHS).encode(), fetched_at=NOW, origin="p.html"
    )
    (draft,) = process(raw, now=NOW, settings=SETTINGS).articles
    left_out = {r.text: r for r in draft.removed}
    assert "© 2026 The Harbour Ledger. All rights reserved." in left_out
    assert left_out["Other story"].reason == "not-main-content"
    assert left_out["Other story"].start is not None  # the source line of the block
    assert not any(p in left_out for p in draft.paragraphs)
