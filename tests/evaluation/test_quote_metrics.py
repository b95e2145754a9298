"""The quote evaluation's scoring on literal inputs with answers worked out by hand."""

from __future__ import annotations

import pytest

from broadsheet.errors import InvalidField
from broadsheet.evaluation.quotes import (
    DEMO_QUOTES,
    DemoQuote,
    GoldQuote,
    QuoteScores,
    load_demo_quotes,
    locate_quotes,
    match_overlap,
    nearest_person,
    quote_core,
    quote_mark_baseline,
    score_quotes,
    speaker_key,
)
from broadsheet.model import EntityType, MentionDraft, QuoteDraft

TEXT = '"We will win," Ann Lee said. Officials said the port was shut. He added "soon".'
# Offsets: "We will win" 1-12, "Officials" 29-38, "the port was shut" 44-61, "soon" 73-77.


def _q(start: int, end: int, speaker: str | None = None, direct: bool = True) -> QuoteDraft:
    return QuoteDraft(TEXT[start:end], start, end, direct, speaker)


def test_quote_core_strips_marks_space_and_edge_punctuation() -> None:
    assert quote_core(TEXT, 0, 14) == (1, 12)  # '"We will win,"' -> 'We will win'
    assert TEXT[slice(*quote_core(TEXT, 0, 14))] == "We will win"
    assert quote_core(TEXT, 71, 79) == (73, 77)  # ' "soon".' -> 'soon'
    assert quote_core("(6 miles)", 0, 9) == (0, 9)  # brackets are content


def test_speaker_key_ignores_case_accents_punctuation_and_article() -> None:
    assert speaker_key("Selim Çelik") == speaker_key("selim celik")
    assert speaker_key("The port authority") == speaker_key("port authority")
    assert speaker_key("Rotterdam Terminal Employers\u2019 Association") == speaker_key(
        "Rotterdam Terminal Employers' Association"
    )
    assert speaker_key(None) == speaker_key("") == ""


def test_match_overlap_is_one_to_one_largest_first() -> None:
    gold = [(0, 10), (20, 30)]
    system = [(5, 25), (0, 8), (40, 50)]
    # (0,10)-(0,8) overlap 8 beats (0,10)-(5,25) overlap 5; (20,30)-(5,25) overlap 5.
    assert match_overlap(gold, system) == [(0, 1), (1, 0)]
    assert match_overlap(gold, []) == []


def test_score_quotes_counts_spans_speakers_and_direct_flags() -> None:
    gold = [
        GoldQuote(1, 12, "Ann Lee", True),
        GoldQuote(44, 61, "Officials", False),
        GoldQuote(73, 77, "Ann Lee", True),
    ]
    system = [
        _q(1, 13, "ann lee"),  # same core as gold 0: exact and overlap, speaker right
        _q(44, 55, "officials", direct=True),  # overlap only, speaker right, flag wrong
        _q(29, 38, None),  # spurious
    ]
    overlap = score_quotes(TEXT, gold, system)
    assert (overlap.tp, overlap.fp, overlap.fn) == (2, 1, 1)
    assert overlap.speaker_right == 2
    assert overlap.direct_right == 1
    assert overlap.precision == pytest.approx(2 / 3)
    assert overlap.recall == pytest.approx(2 / 3)
    exact = score_quotes(TEXT, gold, system, exact=True)
    assert (exact.tp, exact.fp, exact.fn) == (1, 2, 2)


def test_an_unknown_speaker_is_never_right() -> None:
    gold = [GoldQuote(73, 77, None, True)]
    scores = score_quotes(TEXT, gold, [_q(73, 77, None)])
    assert (scores.tp, scores.speaker_right) == (1, 0)


def test_scores_add_up_and_empty_is_zero() -> None:
    total = QuoteScores(1, 0, 1, 1, 1) + QuoteScores(1, 2, 0, 0, 1)
    assert total == QuoteScores(2, 2, 1, 1, 2)
    assert (QuoteScores().precision, QuoteScores().recall, QuoteScores().f1) == (0.0, 0.0, 0.0)


def test_locate_quotes_runs_from_first_to_last_words() -> None:
    body = "“A one,” she said, “and two.” Later: “A one more.”"
    located = locate_quotes(
        body,
        [
            DemoQuote("A one", "and two.", "Ann", True),
            DemoQuote("A one", "one more.", "Ann", True),
        ],
    )
    assert [body[g.start : g.end] for g in located] == [
        "A one,” she said, “and two.",
        "A one more.",
    ]
    with pytest.raises(InvalidField):
        locate_quotes(body, [DemoQuote("missing words", "x", None, True)])


def test_nearest_person_skips_names_inside_quotes() -> None:
    text = 'Ann Lee spoke. "Bob Ray is wrong," she said. "Yes."'
    mentions = [
        MentionDraft("Ann Lee", 0, 7, EntityType.PERSON, "Ann Lee"),
        MentionDraft("Bob Ray", 16, 23, EntityType.PERSON, "Bob Ray"),
    ]
    assert nearest_person(text, mentions, text.index('"Yes')) == ("Ann Lee", EntityType.PERSON)
    quotes = quote_mark_baseline(text, mentions)
    assert [q.text for q in quotes] == ["Bob Ray is wrong,", "Yes."]
    assert [q.speaker for q in quotes] == ["Ann Lee", "Ann Lee"]  # never "Bob Ray"


def test_the_labelled_demo_set_is_well_formed() -> None:
    articles = load_demo_quotes(DEMO_QUOTES)
    quotes = [q for a in articles for q in a.quotes]
    assert len(quotes) >= 60
    assert all(q.speaker for q in quotes)
    cases = {case for q in quotes for case in q.cases}
    for needed in ("split", "multi-piece", "pronoun", "role", "indirect", "fragment-in-report"):
        assert needed in cases
    assert any(not q.direct for q in quotes) and any(q.direct for q in quotes)
