"""The story view (#8): literal articles written for the test, then the demo corpus end to end."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from broadsheet.model import (
    ArticleId,
    AttributedQuote,
    DateDraft,
    EntityType,
    FigureDraft,
    QuoteDraft,
    ViewArticle,
    ViewMention,
)
from broadsheet.pipeline.storyview import build_view, split_claims

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PEOPLE = {"Maren Holt": 1, "Jonas Pike": 2, "Tilde Aas": 3}
PLACES = {"Lindell": 10, "Karsby": 11}


def make_article(
    article_id: int,
    source: str,
    paragraphs: list[str],
    *,
    hours: float = 0.0,
    duplicate_of: int | None = None,
    figures: list[tuple[str, float, str, str | None]] = (),  # type: ignore[assignment]
    quotes: list[tuple[str, str]] = (),  # type: ignore[assignment]
    dates: list[tuple[str, date]] = (),  # type: ignore[assignment]
) -> ViewArticle:
    """A ViewArticle whose mentions, figures, quotes and dates are found by their text in the
    body, as the enrich stage would give them (offsets in the body)."""
    body = "\n\n".join(paragraphs)
    mentions = []
    for name, entity_id in {**PEOPLE, **PLACES}.items():
        kind = EntityType.PERSON if name in PEOPLE else EntityType.PLACE
        start = body.find(name)
        while start >= 0:
            mentions.append(ViewMention(entity_id, name, kind, start, start + len(name)))
            start = body.find(name, start + 1)
    found_figures = []
    for text, value, unit, quantity in figures:
        start = body.index(text)
        sentence = next(p for p in paragraphs if text in p)
        found_figures.append(
            FigureDraft(text, start, start + len(text), value, unit, sentence, quantity)
        )
    found_quotes = []
    for text, speaker in quotes:
        start = body.index(text)
        found_quotes.append(
            AttributedQuote(
                QuoteDraft(
                    text, start, start + len(text), True, speaker, EntityType.PERSON, "said"
                ),
                PEOPLE[speaker],
            )
        )
    found_dates = []
    for text, day in dates:
        start = body.index(text)
        found_dates.append(DateDraft(text, start, start + len(text), day, day, "day"))
    return ViewArticle(
        id=ArticleId(article_id),
        source=source,
        title=paragraphs[0][:60],
        published_at=T0 + timedelta(hours=hours),
        paragraphs=tuple(paragraphs),
        duplicate_of=ArticleId(duplicate_of) if duplicate_of else None,
        mentions=tuple(sorted(mentions, key=lambda m: m.start)),
        quotes=tuple(found_quotes),
        figures=tuple(found_figures),
        dates=tuple(found_dates),
    )


LEAD = (
    "A fire at the Lindell chemical plant killed {n} workers on Monday and forced the evacuation "
    "of nearby Karsby, regional officials said."
)
CAUSE = "Investigators believe a faulty valve in the cooling system caused the blaze at Lindell."
QUOTE = "We will not rest until we know exactly what happened"


def wire(article_id: int = 1, n: int = 12) -> ViewArticle:
    return make_article(
        article_id,
        "Meridian Wire",
        [
            "LINDELL, March 2 (Meridian Wire) - " + LEAD.format(n=n),
            CAUSE,
            f'"{QUOTE}," plant director Maren Holt told reporters.',
            "The plant makes solvents for the paint industry and employs about 400 people.",
        ],
        figures=[(f"{n} workers", n, "count", "workers"), ("400 people", 400, "count", "people")],
        quotes=[(QUOTE, "Maren Holt")],
        dates=[("Monday", date(2026, 3, 2))],
    )


def other_outlet(article_id: int = 2, n: int = 15, speaker: str = "Maren Holt") -> ViewArticle:
    return make_article(
        article_id,
        "Daily Lantern",
        [
            LEAD.format(n=n),
            "Investigators believe a faulty valve in the cooling system caused the blaze.",
            f'"{QUOTE}," said {speaker}, who spoke outside the gates.',
            "Residents of Karsby were allowed home late on Monday evening.",
        ],
        hours=3,
        figures=[(f"{n} workers", n, "count", "workers")],
        quotes=[(QUOTE, speaker)],
        dates=[("Monday", date(2026, 3, 2))],
    )


def _all_text(articles: list[ViewArticle]) -> str:
    return "\n".join(a.body for a in articles)


def test_two_outlets_with_a_conflicting_figure() -> None:
    articles = [wire(n=12), other_outlet(n=15)]
    view = build_view(articles)
    figure_conflicts = [c for c in view.conflicts if c.kind == "figure"]
    assert len(figure_conflicts) == 1
    variants = {v.value: set(v.citations) for v in figure_conflicts[0].variants}
    assert variants == {"12 workers": {1}, "15 workers": {2}}
    assert all(v.text in _all_text(articles) for v in figure_conflicts[0].variants)


def test_same_figure_is_agreed_not_a_conflict() -> None:
    view = build_view([wire(n=12), other_outlet(n=12)])
    assert not [c for c in view.conflicts if c.kind == "figure"]
    lead = [c for c in view.agreed if "chemical plant killed 12" in c.text]
    assert lead and set(lead[0].citations) == {1, 2} and lead[0].outlets == 2


def test_a_syndicated_copy_never_conflicts_with_its_wire_story() -> None:
    """The copy was edited (12 -> 13 dead) but it is one outlet's story: no conflict, and the
    copy's outlet does not count as a second outlet agreeing with the wire."""
    original = wire(1, n=12)
    copy = make_article(
        3,
        "Riverside Gazette",
        [LEAD.format(n=13), CAUSE, f'"{QUOTE}," said Jonas Pike.'],
        hours=1,
        duplicate_of=1,
        figures=[("13 workers", 13, "count", "workers")],
        quotes=[(QUOTE, "Jonas Pike")],
    )
    view = build_view([original, copy])
    assert view.conflicts == ()
    assert view.agreed == ()
    assert view.outlets == ("Meridian Wire",)
    assert all(c.outlets == 1 for c in view.unique)


def test_a_quote_attributed_to_different_speakers() -> None:
    articles = [wire(), other_outlet(speaker="Jonas Pike")]
    view = build_view(articles)
    (conflict,) = [c for c in view.conflicts if c.kind == "quote_speaker"]
    assert {v.value: set(v.citations) for v in conflict.variants} == {
        "Maren Holt": {1},
        "Jonas Pike": {2},
    }
    assert QUOTE in conflict.about


def test_same_speaker_same_quote_is_no_conflict_and_one_row_of_the_quotes_table() -> None:
    view = build_view([wire(), other_outlet()])
    assert not [c for c in view.conflicts if c.kind.startswith("quote")]
    (row,) = [r for r in view.quotes if r.speaker == "Maren Holt"]
    (quote,) = row.quotes
    assert set(quote.citations) == {1, 2} and quote.text == QUOTE


def test_reworded_quote_of_one_speaker_is_a_conflict() -> None:
    reworded = "We will not rest until we know what really happened here"
    second = make_article(
        2,
        "Daily Lantern",
        [LEAD.format(n=12), f'"{reworded}," Maren Holt said.'],
        hours=2,
        quotes=[(reworded, "Maren Holt")],
    )
    view = build_view([wire(), second])
    (conflict,) = [c for c in view.conflicts if c.kind == "quote_wording"]
    assert {v.value for v in conflict.variants} == {QUOTE, reworded}


def test_every_summary_sentence_is_an_outlets_own_and_cites_its_sources() -> None:
    articles = [wire(), other_outlet(n=12)]
    view = build_view(articles)
    assert 1 <= len(view.summary) <= 7
    bodies = {a.id: a.body for a in articles}
    for sentence in view.summary:
        assert sentence.citations, sentence
        # Extractive: the text is a span of an article, and of the first article it cites.
        assert any(sentence.text in body for body in bodies.values())
    lead = next(s for s in view.summary if "chemical plant" in s.text)
    assert set(lead.citations) == {1, 2}
    assert not lead.text.startswith("LINDELL"), "the dateline is not part of the claim"


def test_timeline_has_the_event_day_and_each_report() -> None:
    articles = [wire(), other_outlet()]
    view = build_view(articles)
    events = [e for e in view.timeline if e.kind == "event"]
    assert [e.date for e in events] == ["2026-03-02"]
    assert set(events[0].citations) == {1, 2}
    reported = [e for e in view.timeline if e.kind == "reported"]
    assert [e.citations for e in reported] == [(1,), (2,)]


def test_empty_and_single_article_stories() -> None:
    assert build_view([]).summary == ()
    view = build_view([wire()])
    assert view.conflicts == () and view.agreed == ()
    assert view.summary and all(s.citations == (1,) for s in view.summary)


def test_split_claims_keeps_abbreviations_and_splits_long_sentences() -> None:
    text = (
        "The quake struck at 4:17 a.m. (0117 GMT) near Mt. Ararat, Dr. Aydin said. "
        "It was felt widely."
    )
    long_sentence = (
        "The union said the strike would continue until the operator returned to the table "
        "with a better offer for all of its members; the operator said it had already made "
        "its final offer and would not negotiate under pressure from the union or from anyone "
        "else in the weeks before the holiday season."
    )
    article = make_article(1, "X", [text, long_sentence])
    spans = [article.body[s:e] for s, e, _shown in split_claims(article)]
    assert spans[0].endswith("Dr. Aydin said.") and spans[1] == "It was felt widely."
    assert len(spans) == 4 and spans[3].startswith("the operator said")


# --- the demo corpus, end to end -----------------------------------------------------------------

TRUTH = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory):
    from broadsheet import ingest_files
    from broadsheet.cli import demo_corpus
    from broadsheet.config import Settings
    from broadsheet.store import Store

    settings = Settings(db=str(tmp_path_factory.mktemp("views") / "demo.db"))
    store = Store.open(settings.db_url)
    with demo_corpus() as corpus:
        ingest_files(store, [corpus], settings=settings)
    yield store
    store.close()


def test_every_planted_conflict_is_found_and_none_inside_copies(demo_store) -> None:
    """Each labelled event's articles (as the store holds them, enrichments and duplicate links
    included) are put together directly, so the test measures the view, not the clusterer."""
    from broadsheet.evaluation.storyview import _conflict_matches, _inside_one_copy_group
    from broadsheet.serialize import story_view_json
    from broadsheet.store.storyviews import view_articles
    from broadsheet.urls import canonical_url

    events, conflicts = [], []
    for path in sorted((TRUTH / "demo_truth").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        events += data["events"]
        conflicts += data.get("conflicts", []) + data.get("quote_attribution_conflicts", [])
    ids = {canonical_url(a.url or ""): a.id for a in demo_store.articles(limit=1000)}
    members = {
        e["id"]: {ids.get(canonical_url(a["url"]), -1) for a in e["articles"]} for e in events
    }
    found = []
    with demo_store.engine.connect() as conn:
        for article_ids in members.values():
            articles = view_articles(conn, sorted(article_ids))
            payload = {
                "articles": [{"id": a.id, "duplicate_of": a.duplicate_of} for a in articles],
                **story_view_json(build_view(articles)),
            }
            found += [(payload, c) for c in payload["coverage"]["conflicts"]]
    missed = [
        c["about"]
        for c in conflicts
        if not any(_conflict_matches(f, c, members[c["event"]]) for _p, f in found)
    ]
    assert missed == []
    assert [f["about"] for p, f in found if _inside_one_copy_group(f, p)] == []
    unplanted = json.loads((TRUTH / "demo_storyview.json").read_text(encoding="utf-8"))
    labels = conflicts + unplanted["unplanted_conflicts"]
    false = [
        f["about"]
        for _p, f in found
        if not any(_conflict_matches(f, c, members[c["event"]]) for c in labels)
    ]
    assert false == []


def test_story_json_keeps_the_contract(demo_store) -> None:
    from broadsheet.queries import story_payload

    story = max(demo_store.stories(), key=lambda s: s.source_count)
    payload = story_payload(demo_store, story.id)
    assert {"id", "title", "articles", "summary", "coverage", "quotes", "timeline"} <= set(payload)
    assert {"id", "source", "title"} <= set(payload["articles"][0])
    assert set(payload["coverage"]) >= {"agreed", "unique", "conflicts"}
    members = {a["id"] for a in payload["articles"]}
    assert 4 <= len(payload["summary"]) <= 7
    for sentence in payload["summary"]:
        assert sentence["citations"] and set(sentence["citations"]) <= members
    for claim in payload["coverage"]["agreed"]:
        assert claim["sources"] and claim["text"]
    for claim in payload["coverage"]["unique"]:
        assert claim["source"]
    for conflict in payload["coverage"]["conflicts"]:
        assert conflict["about"] and len(conflict["variants"]) >= 2
        assert all(v["text"] and v["sources"] for v in conflict["variants"])
    for entry in payload["timeline"]:
        assert {"date", "text", "citations"} <= set(entry)


def _computed_at(conn) -> dict[int, datetime]:
    from broadsheet.store.schema import story_views

    query = sa.select(story_views.c.story_id, story_views.c.computed_at)
    return {row.story_id: row.computed_at for row in conn.execute(query)}


def test_views_are_stored_and_recomputed_only_for_changed_stories(demo_store) -> None:
    from broadsheet.store.schema import stories, story_views

    assert demo_store.refresh_story_views() == 0, "ingest left no view stale"
    with demo_store.engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(story_views)).scalar_one()
            == (demo_store.counts()["stories"])
        )
        computed = _computed_at(conn)
    story = demo_store.stories()[0]
    later = datetime(2030, 1, 1, tzinfo=UTC)
    with demo_store.engine.begin() as conn:
        conn.execute(stories.update().where(stories.c.id == story.id).values(updated_at=later))
    assert demo_store.refresh_story_views(now=later) == 1
    with demo_store.engine.connect() as conn:
        after = _computed_at(conn)
    changed = {i for i in after if after[i] != computed[i]}
    assert changed == {story.id}
    # Read lazily when stale: a story touched again is recomputed on read, not served old.
    with demo_store.engine.begin() as conn:
        conn.execute(
            stories.update()
            .where(stories.c.id == story.id)
            .values(updated_at=later + timedelta(days=1))
        )
    assert demo_store.story_view(story.id).summary
    assert demo_store.refresh_story_views() == 0
