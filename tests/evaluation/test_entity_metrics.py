"""The entity evaluation's metric code on literal inputs with answers worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from broadsheet.errors import InvalidField
from broadsheet.evaluation.entities import (
    DEMO_LABELS,
    DemoLabel,
    GoldMention,
    SysMention,
    _titled_name,
    align,
    bcubed,
    char_offsets,
    demo_articles,
    ecb_mentions,
    head_span,
    load_demo_labels,
    locate_labels,
    match_spans,
    pair_counts,
    surface_key,
    trim_span,
)

# --- pairwise counts ---------------------------------------------------------------------------


def test_pairwise_counts_on_a_small_grouping() -> None:
    # Gold: {m0, m1}, {m2, m3}. System: {m0, m1, m2}, {m3}.
    # Gold pairs: (0,1), (2,3) = 2. System pairs: (0,1), (0,2), (1,2) = 3. Both: (0,1) = 1.
    counts = pair_counts(["a", "a", "b", "b"], ["x", "x", "x", "y"])
    assert (counts.tp, counts.gold, counts.system) == (1, 2, 3)
    assert counts.precision == pytest.approx(1 / 3)
    assert counts.recall == pytest.approx(1 / 2)
    assert counts.f1 == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))


def test_pairwise_counts_perfect_and_all_merged() -> None:
    gold = ["a", "a", "a", "b", "c", "c"]
    perfect = pair_counts(gold, [1, 1, 1, 2, 3, 3])
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    # Everything in one entity: 15 system pairs, of which the 3 + 1 gold pairs are right.
    merged = pair_counts(gold, [0] * 6)
    assert (merged.tp, merged.gold, merged.system) == (4, 4, 15)
    assert merged.recall == 1.0
    assert merged.precision == pytest.approx(4 / 15)


def test_pairwise_counts_without_pairs_are_zero_not_an_error() -> None:
    counts = pair_counts(["a", "b"], ["x", "y"])
    assert (counts.precision, counts.recall, counts.f1) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        pair_counts(["a"], ["x", "y"])


def test_pairwise_counts_add_up() -> None:
    total = pair_counts(["a", "a"], [1, 1]) + pair_counts(["b", "b"], [2, 3])
    assert (total.tp, total.gold, total.system) == (1, 2, 1)


# --- spans -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the United States", "United States"),
        ("Scholz's", "Scholz"),
        ("Dovanic\u2019s", "Dovanic"),
        ("U.S.", "U.S."),
        ("Washington D.C.", "Washington D.C."),
        (" The Hague ", "Hague"),
        ("Afghans'", "Afghans"),
        ("The", "The"),
    ],
)
def test_trim_span(text: str, expected: str) -> None:
    start, end = trim_span(text, 0, len(text))
    assert text[start:end] == expected


def test_head_span_finds_whole_words_only() -> None:
    text = "Indianapolis and India"
    assert head_span(text, 0, len(text), "India") == (17, 22)
    assert head_span(text, 0, 12, "India") is None
    assert head_span(text, 0, len(text), "") is None


def test_titled_name_after_a_common_noun_head() -> None:
    text = "team member Rodaba Noori"
    assert _titled_name(text, text.index("member") + 6, len(text)) == (19, 24)
    text = "director General Suleiman al-Amr"
    start, end = _titled_name(text, 8, len(text)) or (0, 0)
    assert text[start:end] == "al-Amr"
    text = "critics of the policy"
    assert _titled_name(text, 7, len(text)) is None


TEXT = "U.S. President Donald Trump's policies were discussed in Kabul."


def _gold() -> list[GoldMention]:
    return [
        GoldMention(0, 29, "person", "trump", head=(15, 21)),  # "U.S. President Donald Trump's"
        GoldMention(0, 4, "place", "us", head=(0, 4)),  # "U.S."
        GoldMention(57, 62, "place", "kabul", head=(57, 62)),  # "Kabul"
    ]


def test_gold_fixture_offsets() -> None:
    assert [TEXT[m.start : m.end] for m in _gold()] == [
        "U.S. President Donald Trump's",
        "U.S.",
        "Kabul",
    ]


def test_head_match_lets_a_flat_tagger_find_a_titled_name_and_its_nested_place() -> None:
    system = [
        SysMention(0, 4, "place"),  # U.S.
        SysMention(15, 27, "person"),  # Donald Trump
        SysMention(57, 62, "organization"),  # Kabul, wrongly typed
    ]
    assert match_spans(TEXT, _gold(), system, mode="head") == [(0, 1), (1, 0)]
    # Untyped, Kabul matches too.
    assert match_spans(TEXT, _gold(), system, mode="head", typed=False) == [
        (0, 1),
        (1, 0),
        (2, 2),
    ]
    # Exact spans: the title and possessive in the gold person span make it a miss.
    assert match_spans(TEXT, _gold(), system, mode="exact") == [(1, 0)]


def test_head_match_needs_the_head_word() -> None:
    # "President" alone lies inside the person mention but misses its head "Donald".
    system = [SysMention(5, 14, "person")]
    assert match_spans(TEXT, _gold(), system, mode="head") == []
    with pytest.raises(ValueError):
        match_spans(TEXT, _gold(), system, mode="fuzzy")


def test_exact_match_ignores_leading_article_and_possessive() -> None:
    text = "the United States' allies"
    gold = [GoldMention(0, 18, "place", "us")]
    assert match_spans(text, gold, [SysMention(4, 17, "place")], mode="exact") == [(0, 0)]


def test_align_prefers_same_span_then_head_then_overlap_one_to_one() -> None:
    system = [
        SysMention(0, 4, "place"),  # U.S.
        SysMention(15, 27, "person"),  # Donald Trump: holds the person's head
        SysMention(50, 62, "place"),  # "d in Kabul": overlaps Kabul only in part
    ]
    assert align(TEXT, _gold(), system) == [1, 0, 2]
    # With one system mention for two overlapping gold mentions, the exact one gets it.
    assert align(TEXT, _gold(), [SysMention(0, 4, "place")]) == [None, 0, None]


def test_surface_key_for_the_exact_string_baseline() -> None:
    assert surface_key("The U.S.") == surface_key("u.s.")
    assert surface_key("Scholz\u2019s") == "scholz"
    assert surface_key("Olaf  Scholz") == "olaf scholz"


# --- ECB+ token offsets ------------------------------------------------------------------------


def test_char_offsets_through_detokenised_quotes_and_punctuation() -> None:
    line = "\u201cThis has been a very complex issue,'' Oppal said."
    tokens = ["``", "This", "has", "been", "a", "very", "complex", "issue", ",", "''"]
    tokens += ["Oppal", "said", "."]
    spans = char_offsets(line, tokens)
    assert [line[a:b] for a, b in spans] == ["\u201c", *tokens[1:]]
    assert spans[10] == (line.index("Oppal"), line.index("Oppal") + 5)


def test_char_offsets_with_spaces_inside_a_detokenised_token_and_a_bad_token() -> None:
    line = "July 29, 2011|10: 57 pm"
    spans = char_offsets(line, ["July", "29", ",", "2011|10", ":", "57", "pm"])
    assert [line[a:b] for a, b in spans] == ["July", "29", ",", "2011|10", ":", "57", "pm"]
    with pytest.raises(InvalidField):
        char_offsets("Jeffs was", ["Jeffs", "is"])


def test_ecb_mentions_skip_the_dropped_url_sentence() -> None:
    # The original file had a 3-token URL sentence first; offsets count it, ``sentences`` and
    # ``text`` do not.
    record = {
        "id": "99_1ecbplus",
        "sentence_offset": 1,
        "text": "Warren Jeffs charged again\nHe was in Utah.",
        "sentences": [["Warren", "Jeffs", "charged", "again"], ["He", "was", "in", "Utah", "."]],
        "mentions": [
            {"m_id": "1", "type": "HUMAN_PART_PER", "start": 3, "end": 5, "text": "Warren Jeffs",
             "chain": "HUM1", "sentence": 1},
            {"m_id": "2", "type": "HUMAN_PART_PER", "start": 7, "end": 8, "text": "He",
             "chain": "HUM1", "sentence": 2},
            {"m_id": "3", "type": "LOC_GEO", "start": 10, "end": 11, "text": "Utah",
             "chain": None, "sentence": 2},
            {"m_id": "4", "type": "HUMAN_PART_ORG", "start": 9, "end": 10, "text": "police",
             "chain": None, "sentence": 2},
        ],
    }  # fmt: skip
    text, mentions, errors = ecb_mentions(record)
    assert [(m.start, m.end, text[m.start : m.end]) for m in mentions] == [
        (0, 12, "Warren Jeffs"),
        (27, 29, "He"),
    ]
    assert [m.entity for m in mentions] == ["HUM1", "HUM1"]
    assert [m.type for m in mentions] == ["person", "person"]
    # "police" is not what tokens 9..10 spell ("in"): left out and counted, not guessed.
    assert errors == 1


def test_ecb_mentions_without_url_sentence_and_null_chain_singleton() -> None:
    record = {
        "id": "99_2ecb",
        "sentence_offset": 0,
        "text": "Apple said on Monday.",
        "sentences": [["Apple", "said", "on", "Monday", "."]],
        "mentions": [{"m_id": "7", "type": "HUMAN_PART_ORG", "start": 0, "end": 1,
                      "text": "Apple", "chain": None, "sentence": 0}],
    }  # fmt: skip
    _, mentions, errors = ecb_mentions(record)
    assert errors == 0
    assert [(m.start, m.end, m.type, m.entity) for m in mentions] == [
        (0, 5, "organization", "single:99_2ecb:7")
    ]


# --- the labelled demo set ---------------------------------------------------------------------


def test_locate_labels_takes_the_next_whole_word_occurrence() -> None:
    body = "Hoshikawa Electronics said Hoshikawa would buy Veltrix. Hoshikawa's shares fell."
    labels = [
        DemoLabel("Hoshikawa Electronics", "organization", "Hoshikawa Electronics"),
        DemoLabel("Hoshikawa", "organization", "Hoshikawa Electronics"),
        DemoLabel("Veltrix", "organization", "Veltrix"),
        DemoLabel("Hoshikawa", "organization", "Hoshikawa Electronics"),
    ]
    found = locate_labels(body, labels)
    assert [(m.start, m.end) for m in found] == [(0, 21), (27, 36), (47, 54), (56, 65)]
    with pytest.raises(InvalidField):
        locate_labels(body, [DemoLabel("Toshiba", "organization", "Toshiba")])


def test_demo_label_file_is_well_formed_and_large_enough() -> None:
    articles = load_demo_labels(DEMO_LABELS)
    mentions = [m for a in articles for m in a.mentions]
    assert len(mentions) >= 100
    assert {m.type for m in mentions} == {"person", "organization", "place"}
    # The cases the set exists for: a surname shared by two people, surname-only references,
    # an organisation named after a place.
    names = {m.name for m in mentions}
    assert {"Luka Brandt", "Oskar Brandt"} <= names
    assert any(m.text != m.name and m.name.endswith(m.text) for m in mentions)
    assert {"Bank of Aldmark", "Aldmark"} <= names
    data = json.loads(Path(DEMO_LABELS).read_text(encoding="utf-8"))
    assert all({"source", "title", "mentions"} <= set(a) for a in data["articles"])


def test_every_demo_label_is_in_the_demo_text_as_stored() -> None:
    """The labels are of the demo articles as Broadsheet stores them: a cleaner that keeps or
    drops other lines changes that text, and ``eval entities`` would then stop at a label it
    cannot find. Re-label the article (and look at why its text changed) when this fails."""
    stored = {(a.source, a.title): a.body for a in demo_articles()}
    for article in load_demo_labels(DEMO_LABELS):
        body = stored[(article.source, article.title)]
        assert len(locate_labels(body, article.mentions)) == len(article.mentions)


def test_bcubed_on_a_small_grouping() -> None:
    # Gold {0,1},{2,3}; system {0,1,2},{3}. Precision per mention: 2/3, 2/3, 1/3, 1;
    # recall per mention: 1, 1, 1/2, 1/2.
    precision, recall, f1 = bcubed(["a", "a", "b", "b"], ["x", "x", "x", "y"])
    assert precision == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4)
    assert recall == pytest.approx(3 / 4)
    assert f1 == pytest.approx(2 * precision * recall / (precision + recall))
    assert bcubed([], []) == (0.0, 0.0, 0.0)
    assert bcubed(["a", "b"], [1, 2])[:2] == (1.0, 1.0)
