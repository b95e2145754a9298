from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadsheet.errors import EmptyInput
from broadsheet.model import SourceLine
from broadsheet.pipeline.clean import (
    MAX_TITLE_CHARS,
    LineModel,
    _Trees,
    clean,
    find_standfirst,
    is_credit_line,
    is_timestamp_line,
    judge_lines,
    normalize_space,
)
from broadsheet.pipeline.fingerprint import content_hash, normalized_words
from tests.conftest import make_draft


def test_clean_normalises_and_drops_title_repeat() -> None:
    draft = make_draft(
        title="  Ministers\u00a0meet  ",
        paragraphs=("Ministers meet", "", "  Trade\u200b talks   resumed.\n", "\t"),
    )
    cleaned = clean(draft)
    assert cleaned.title == "Ministers meet"
    assert cleaned.paragraphs == ("Trade talks resumed.",)


def test_clean_without_title_uses_first_paragraph() -> None:
    cleaned = clean(make_draft(title="", paragraphs=("Only a body.",)))
    assert cleaned.title == "Only a body."


def test_clean_cuts_overlong_titles_at_a_word() -> None:
    cleaned = clean(make_draft(title="word " * 200))
    assert len(cleaned.title) <= MAX_TITLE_CHARS + 1
    assert cleaned.title.endswith("word…")


def test_clean_refuses_empty_articles() -> None:
    with pytest.raises(EmptyInput, match="no article text"):
        clean(make_draft(paragraphs=(" ", "\u200b")))


@given(st.lists(st.text(max_size=80), max_size=8), st.text(max_size=40))
def test_clean_never_invents_text(paragraphs: list[str], title: str) -> None:
    try:
        cleaned = clean(make_draft(title=title, paragraphs=tuple(paragraphs)))
    except EmptyInput as exc:
        left = {normalize_space(p).casefold() for p in paragraphs if normalize_space(p)}
        only_title = left == {normalize_space(title).casefold()}
        assert not left or (only_title and "only the headline" in exc.message)
        return
    # Words as normalisation leaves them (a soft hyphen joins "co\xadop" into "coop").
    source_words = set(normalized_words(normalize_space(" ".join([title, *paragraphs]))))
    assert set(normalized_words(" ".join(cleaned.paragraphs))) <= source_words
    assert all(p and "\n" not in p for p in cleaned.paragraphs)


def test_content_hash_ignores_case_punctuation_and_spacing() -> None:
    a = content_hash(["“We made progress,” she said.", "Talks resume next week."])
    b = content_hash(['"we made   progress" she said', "talks resume next week"])
    assert a == b
    assert a != content_hash(["We made progress, she said.", "Talks resume next month."])


@given(st.lists(st.text(max_size=60), min_size=1, max_size=5))
def test_content_hash_ignores_whitespace_layout(paragraphs: list[str]) -> None:
    respaced = ["  " + "\n ".join(p.split()) + "\t" for p in paragraphs]
    assert content_hash(paragraphs) == content_hash(respaced)


# --- line-model inference -------------------------------------------------------------------


def _random_tree(rng: np.random.Generator, features: int, leaves: int) -> dict[str, Any]:
    """A regression tree in the model file's layout, grown by splitting random leaves."""
    left, right, feature, threshold, value = [-1], [-1], [0], [0.0], [0.0]
    open_leaves = [0]
    while len(open_leaves) < leaves:
        node = open_leaves.pop(int(rng.integers(len(open_leaves))))
        left[node], right[node] = len(left), len(left) + 1
        feature[node] = int(rng.integers(features))
        threshold[node] = float(rng.normal())
        for _ in range(2):
            open_leaves.append(len(left))
            left.append(-1)
            right.append(-1)
            feature.append(-2)
            threshold.append(-2.0)
            value.append(float(rng.normal()))
    return {
        "left": left,
        "right": right,
        "feature": feature,
        "threshold": threshold,
        "value": value,
    }


def _reference_probability(data: dict[str, Any], x: npt.NDArray[np.float64]) -> list[float]:
    """The model's definition, one line and one tree at a time (the same exp at the end: NumPy's
    and the C library's may differ in the last bit)."""
    out = []
    for row in x:
        raw = float(data["init"])
        for tree in data["trees"]:
            node = 0
            while tree["left"][node] != -1:
                side = "left" if row[tree["feature"][node]] <= tree["threshold"][node] else "right"
                node = tree[side][node]
            raw += float(data["learning_rate"]) * tree["value"][node]
        out.append(raw)
    return [float(p) for p in 1.0 / (1.0 + np.exp(-np.asarray(out)))]


@pytest.mark.parametrize("seed", range(4))
def test_line_model_inference_matches_the_reference_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = {
        "init": float(rng.normal()),
        "learning_rate": 0.1 + 0.2 * seed,
        "trees": [_random_tree(rng, 6, int(rng.integers(1, 32))) for _ in range(40)],
    }
    x = rng.normal(size=(int(rng.integers(1, 300)), 6))
    x[0, 0] = np.nan  # a comparison that fails goes right, as in the reference
    x[-1, 1] = np.inf
    got = _Trees.from_json(data).probability(x)
    assert got.tolist() == _reference_probability(data, x)


def test_line_model_inference_on_no_lines() -> None:
    rng = np.random.default_rng(0)
    data = {"init": 0.5, "learning_rate": 1.0, "trees": [_random_tree(rng, 3, 5)]}
    assert _Trees.from_json(data).probability(np.zeros((0, 3))).shape == (0,)


# --- rules on top of the line classifier ----------------------------------------------------

_PROSE = (
    "The harbour authority said on Tuesday that the new ferry terminal would open in spring, "
    "two years later than planned."
)
_PROSE_2 = (
    "Engineers found the pier foundations weaker than surveys had shown, and the contractor "
    "asked for more time and money."
)


def test_judge_lines_drops_a_dateline_beside_furniture_but_not_a_time_in_the_story() -> None:
    texts = [
        "Harbour News",
        "Published March 3, 2026 at 9:15 a.m.",
        "Share",
        _PROSE,
        "Doors open 7:30 p.m. daily.",
        _PROSE_2,
    ]
    body = [False, True, False, True, True, True]
    reasons = judge_lines(texts, body)
    assert reasons == ["furniture", "dateline", "furniture", None, None, None]


def test_judge_lines_drops_the_caption_after_a_credit_at_the_top() -> None:
    texts = [
        "Share",
        "14",
        "Photo: Mira Lund/Coast Agency",
        "The mayor cuts the ribbon at the new terminal on Monday.",
        _PROSE,
        _PROSE_2,
    ]
    body = [False, False, False, True, True, True]
    assert judge_lines(texts, body)[2:] == ["furniture", "caption", None, None]


def test_judge_lines_keeps_the_story_after_a_credit_whose_caption_came_first() -> None:
    texts = [
        _PROSE,
        "Advertisement",
        "Ferry passengers wait at the old pier",
        "Photo: Mira Lund/Coast Agency",
        "The council will vote on the extra cost next week.",
        _PROSE_2,
    ]
    body = [True, False, False, True, True, True]
    reasons = judge_lines(texts, body)
    assert reasons[3] == "link-label"
    assert reasons[4] is None


def test_judge_lines_keeps_the_paragraph_after_a_read_more_link() -> None:
    texts = [
        _PROSE,
        "READ MORE: Why ferry fares keep rising",
        "The council will vote on the extra cost next week.",
        _PROSE_2,
    ]
    assert judge_lines(texts, [True] * 4) == [None, "link-label", None, None]


def test_timestamp_and_credit_shapes() -> None:
    assert is_timestamp_line("18 November 2026 • 5:45pm")
    assert is_timestamp_line("Updated 6:02pm")
    assert not is_timestamp_line("02.11.2022 - Placebo - Stadthalle")  # a listing, no clock
    assert not is_timestamp_line("The meeting resumed at 7:30 p.m. after a short break.")
    assert is_credit_line("Photo: Jonas Ek/Meridian Wire")
    assert not is_credit_line("Related: Mortgage rates dip for a second week")
    assert not is_credit_line("The minister said: “We will decide.”")


# --- standfirst ------------------------------------------------------------------------------


def test_find_standfirst_takes_leading_bullets_and_the_pages_own_summary() -> None:
    bullets = ("• Fares rise 4% in May", "• Night ferries return", _PROSE, _PROSE_2)
    assert find_standfirst(bullets) == "• Fares rise 4% in May\n• Night ferries return"
    summary = "The new terminal opens two years late and over budget."
    assert (
        find_standfirst(
            ["Ferry terminal delayed", summary, _PROSE],
            description=summary,
            title="Ferry terminal delayed",
        )
        == summary
    )
    # The description cut from the first paragraph is the story's start, not a standfirst.
    assert find_standfirst([_PROSE, _PROSE_2], description=_PROSE[:60] + "…") is None
    assert find_standfirst([summary], description=summary) is None  # nothing after it


def _length_model(min_chars: int) -> LineModel:
    """A line model that calls every line of ``min_chars`` or more article text."""
    split = {
        "init": 0.0,
        "learning_rate": 1.0,
        "trees": [
            {
                "left": [1, -1, -1],
                "right": [2, -1, -1],
                "feature": [0, -2, -2],  # log(1 + characters)
                "threshold": [math.log1p(min_chars - 0.5), -2.0, -2.0],
                "value": [0.0, -5.0, 5.0],
            }
        ],
    }
    return LineModel(_Trees.from_json(split), _Trees.from_json(split), 0.5)


def test_clean_records_the_standfirst_of_a_scraped_page() -> None:
    page = [
        "Home > News",
        "Ferry terminal opens two years late",
        "The new terminal cost twice the first estimate.",
        "By Ines Varga",
        "Published March 3, 2026 at 9:15 a.m.",
        "Share",
        _PROSE,
        _PROSE_2,
        "The first sailing leaves at dawn on Monday, the operator said in a statement.",
    ]
    lines, position = [], 0
    for text in page:
        lines.append(SourceLine(text, position, position + len(text)))
        position += len(text) + 1
    model = _length_model(min_chars=41)
    cleaned = clean(make_draft(title="", paragraphs=(), lines=tuple(lines)), model=model)
    assert cleaned.title == "Ferry terminal opens two years late"
    assert cleaned.standfirst == "The new terminal cost twice the first estimate."
    assert cleaned.paragraphs[0] == cleaned.standfirst
