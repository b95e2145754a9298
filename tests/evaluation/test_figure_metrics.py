"""The figure evaluation's scoring on literal inputs with answers worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from broadsheet.errors import InvalidField
from broadsheet.evaluation.figures import (
    DEMO_FIGURES,
    FigureScores,
    GoldFigure,
    SysFigure,
    load_figure_labels,
    locate_figures,
    match_figures,
    same_value,
    score_figures,
)

BODY = (
    "Prices rose 3.8 per cent. It paid 4.2 trillion yen (US$28 billion). Some 300 residents left."
)


def _gold() -> list[GoldFigure]:
    return locate_figures(
        BODY,
        [
            GoldFigure("3.8 per cent", 3.8, "percent", change=True),
            GoldFigure("4.2 trillion yen (US$28 billion)", 4.2e12, "JPY", None, False, 28e9, "USD"),
            GoldFigure("300 residents", 300, "count", "residents"),
        ],
    )


def _span(text: str) -> tuple[int, int]:
    start = BODY.index(text)
    return start, start + len(text)


def test_locate_finds_each_label_after_the_previous_one() -> None:
    gold = _gold()
    assert [(g.start, g.end) for g in gold] == [
        _span("3.8 per cent"),
        _span("4.2 trillion yen (US$28 billion)"),
        _span("300 residents"),
    ]
    # "14" is not found inside "114th", and a label missing from the text is an error.
    text = "In the 114th minute, 14 fans left."
    (found,) = locate_figures(text, [GoldFigure("14", 14, "count", "fans")])
    assert text[found.start : found.end] == "14" and found.start == text.index("14 fans")
    with pytest.raises(InvalidField):
        locate_figures(BODY, [GoldFigure("5%", 5, "percent")])


def test_same_value_allows_half_a_percent() -> None:
    assert same_value(2.05e9, 2.0499e9)
    assert same_value(100, 100.5)
    assert not same_value(100, 100.6)
    assert same_value(0, 0) and not same_value(0, 0.1)


def test_a_perfect_system() -> None:
    gold = _gold()
    system = [
        SysFigure(g.start, g.end, g.value, g.unit, g.quantity, g.change, g.alt_value, g.alt_unit)
        for g in gold
    ]
    scores = score_figures(gold, system).as_dict()
    assert scores["precision"] == scores["recall"] == scores["f1"] == scores["f1_exact"] == 1.0
    assert scores["accuracy"] == scores["accuracy_all"] == 1.0
    assert scores["change_accuracy"] == scores["quantity_accuracy"] == 1.0
    assert scores["conversion_accuracy"] == 1.0


def test_overlapping_spans_match_and_values_are_scored_on_matched_pairs() -> None:
    gold = _gold()
    s1, e1 = _span("3.8 per cent")
    s2, e2 = _span("4.2 trillion yen")  # conversion missed: the second value is absent
    s3, _ = _span("300 residents")
    extra_start = BODY.index("Some")
    system = [
        SysFigure(s1, e1, 3.8, "percent", change=False),  # change wrong
        SysFigure(s2, e2, 4.2e12, "JPY"),
        SysFigure(s3, s3 + 3, 300, "count", "resident"),  # shorter span, same noun
        SysFigure(extra_start, extra_start + 4, 1, "count"),  # a false positive
    ]
    scores = score_figures(gold, system)
    assert (scores.gold, scores.system, scores.matched, scores.exact) == (3, 4, 3, 1)
    # 3.8 right, the conversion wrong (no second value), 300 right.
    assert scores.correct == 2
    result = scores.as_dict()
    assert result["precision"] == 0.75
    assert result["recall"] == 1.0
    assert result["accuracy"] == pytest.approx(round(2 / 3, 4))
    assert result["change_accuracy"] == pytest.approx(round(2 / 3, 4))
    assert result["quantity_accuracy"] == 1.0  # "resident" and "residents" share a head
    assert result["conversion_accuracy"] == 0.0
    # f1_exact: 1 exact of 4 found and 3 gold.
    p, r = 1 / 4, 1 / 3
    assert result["f1_exact"] == pytest.approx(round(2 * p * r / (p + r), 4))


def test_a_second_value_the_gold_lacks_is_wrong_and_so_is_a_wrong_unit() -> None:
    gold = locate_figures("It cost €4 million.", [GoldFigure("€4 million", 4e6, "EUR")])
    start, end = gold[0].start, gold[0].end
    assert (
        score_figures(gold, [SysFigure(start, end, 4e6, "EUR", None, False, 1, "USD")]).correct == 0
    )
    assert score_figures(gold, [SysFigure(start, end, 4e6, "USD")]).correct == 0
    assert score_figures(gold, [SysFigure(start, end, 4e6, "EUR")]).correct == 1


def test_matching_prefers_the_same_span_and_uses_each_system_figure_once() -> None:
    text = "40 ships and 40 ships"
    gold = locate_figures(
        text, [GoldFigure("40 ships", 40, "count"), GoldFigure("40 ships", 40, "count")]
    )
    wide = SysFigure(0, len(text), 40, "count")
    exact = SysFigure(13, 21, 40, "count")
    assert match_figures(gold, [wide, exact]) == [0, 1]
    assert match_figures(gold, [exact]) == [None, 0]


def test_scores_add_up() -> None:
    total = FigureScores(gold=2, matched=1) + FigureScores(gold=3, matched=2, correct=2)
    assert (total.gold, total.matched, total.correct) == (5, 3, 2)


def test_the_labelled_set_is_well_formed(tmp_path: Path) -> None:
    articles = load_figure_labels(DEMO_FIGURES)
    figures = [f for a in articles for f in a.figures]
    assert len(figures) >= 60
    units = {f.unit for f in figures}
    assert {"percent", "percentage_point", "count", "USD", "EUR", "GBP", "JPY", "CNY"} <= units
    assert sum(f.alt_value is not None for f in figures) >= 10
    assert sum(f.change for f in figures) >= 10
    assert all(f.quantity for f in figures if f.unit == "count")
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "articles": [
                    {
                        "source": "s",
                        "title": "t",
                        "figures": [{"text": "5 km", "value": 5, "unit": "km"}],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(InvalidField):
        load_figure_labels(bad)
