"""The date evaluation's scoring code on literal inputs with answers worked out by hand."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from broadsheet.errors import InvalidField
from broadsheet.evaluation.dates import (
    DEMO_LABELS,
    GRANULARITIES,
    DemoDateLabel,
    GoldDate,
    SysDate,
    gold_range,
    load_demo_dates,
    load_gum_dates,
    locate_dates,
    match_dates,
    period_range,
    score_dates,
    value_correct,
)

# --- gold values as first/last days ----------------------------------------------------------


def test_period_range_of_each_iso_shape() -> None:
    assert period_range("2015") == (date(2015, 1, 1), date(2015, 12, 31))
    assert period_range("2016-02") == (date(2016, 2, 1), date(2016, 2, 29))
    assert period_range("2015-12") == (date(2015, 12, 1), date(2015, 12, 31))
    assert period_range("2015-09-14") == (date(2015, 9, 14), date(2015, 9, 14))
    assert period_range("2010-09-04T22:30:00") == (date(2010, 9, 4), date(2010, 9, 4))
    assert period_range("15:11:00") is None
    with pytest.raises(InvalidField):
        period_range("2015-13-01")
    with pytest.raises(InvalidField):
        period_range("sometime")


def test_gold_range_for_values_ranges_and_bounds() -> None:
    assert gold_range({"value": "2017"}) == (date(2017, 1, 1), date(2017, 12, 31))
    assert gold_range({"value": None, "from": "2015-09-14", "to": "2015-09-20"}) == (
        date(2015, 9, 14),
        date(2015, 9, 20),
    )
    assert gold_range({"value": None, "from": "1960-01-01", "to": "1969-12-31"}) == (
        date(1960, 1, 1),
        date(1969, 12, 31),
    )
    # Bounds widen to their whole period; a missing bound is open.
    assert gold_range({"value": None, "notBefore": "2001", "notAfter": "2001"}) == (
        date(2001, 1, 1),
        date(2001, 12, 31),
    )
    assert gold_range({"value": None, "notAfter": "2008-01-19"}) == (None, date(2008, 1, 19))
    assert gold_range({"value": "06:00:00"}) is None
    assert gold_range({"value": None}) is None


def test_value_correct_with_open_bounds() -> None:
    gold = GoldDate(0, 5, "x", None, date(2008, 1, 19))
    assert value_correct(gold, SysDate(0, 5, date(2000, 1, 1), date(2008, 1, 19)))
    assert not value_correct(gold, SysDate(0, 5, date(2008, 1, 19), date(2008, 1, 20)))
    closed = GoldDate(0, 5, "x", date(2015, 9, 14), date(2015, 9, 20))
    assert value_correct(closed, SysDate(0, 5, date(2015, 9, 14), date(2015, 9, 20)))
    assert not value_correct(closed, SysDate(0, 5, date(2015, 9, 14), date(2015, 9, 14)))


# --- span matching and scores ---------------------------------------------------------------

TEXT = "On Friday, talks broke down last week; a deal is due by 2030."
#        3-9 Friday          28-37 last week                 56-60 2030
D = date(2020, 1, 1)


def _gold(start: int, end: int, first: date = D, last: date = D) -> GoldDate:
    return GoldDate(start, end, TEXT[start:end], first, last)


def test_strict_match_ignores_spaces_and_possessive_but_not_extra_words() -> None:
    gold = [_gold(3, 9)]
    assert match_dates(TEXT, gold, [SysDate(2, 9, D, D)], strict=True) == [(0, 0)]
    assert match_dates(TEXT, gold, [SysDate(0, 9, D, D)], strict=True) == []
    assert match_dates(TEXT, gold, [SysDate(0, 9, D, D)], strict=False) == [(0, 0)]


def test_relaxed_match_is_one_to_one_and_prefers_the_largest_overlap() -> None:
    gold = [_gold(28, 37)]
    system = [SysDate(28, 32, D, D), SysDate(23, 37, D, D)]
    assert match_dates(TEXT, gold, system, strict=False) == [(0, 1)]
    # Two gold spans cannot share one system span.
    two = [_gold(28, 32), _gold(33, 37)]
    assert len(match_dates(TEXT, two, [SysDate(28, 37, D, D)], strict=False)) == 1


def test_scores_by_hand() -> None:
    y2030 = (date(2030, 1, 1), date(2030, 12, 31))
    gold = [
        _gold(3, 9, date(2020, 1, 3), date(2020, 1, 3)),
        _gold(28, 37, date(2019, 12, 23), date(2019, 12, 29)),
        _gold(56, 60, *y2030),
    ]
    system = [
        SysDate(3, 9, date(2020, 1, 3), date(2020, 1, 3)),  # strict, right value
        SysDate(23, 37, date(2019, 12, 23), date(2019, 12, 28)),  # relaxed only, wrong value
        SysDate(40, 46, D, D),  # "a deal": spurious
    ]
    scores = score_dates([(TEXT, gold, system)])
    assert scores["precision"] == round(2 / 3, 4)
    assert scores["recall"] == round(2 / 3, 4)
    assert scores["precision_strict"] == round(1 / 3, 4)
    assert scores["recall_strict"] == round(1 / 3, 4)
    assert scores["f1_strict"] == round(1 / 3, 4)
    assert scores["value_accuracy"] == 0.5  # 1 right of 2 relaxed matches
    assert scores["value_accuracy_strict"] == 1.0
    assert scores["value_recall"] == round(1 / 3, 4)
    assert (scores["gold"], scores["found"], scores["matched"]) == (3, 3, 2)


def test_granularity_accuracy_needs_both_sides() -> None:
    gold = [GoldDate(3, 9, "Friday", date(2020, 1, 3), date(2020, 1, 3), "day")]
    right = SysDate(3, 9, date(2020, 1, 3), date(2020, 1, 3), "day")
    wrong = SysDate(3, 9, date(2020, 1, 3), date(2020, 1, 3), "week")
    assert score_dates([(TEXT, gold, [right])])["granularity_accuracy"] == 1.0
    assert score_dates([(TEXT, gold, [wrong])])["granularity_accuracy"] == 0.0
    assert "granularity_accuracy" not in score_dates([(TEXT, gold, [SysDate(3, 9, D, D)])])


def test_empty_inputs_score_zero_not_error() -> None:
    scores = score_dates([])
    assert scores["precision"] == scores["recall"] == scores["value_accuracy"] == 0.0


# --- loading ------------------------------------------------------------------------------------


def test_load_gum_dates_drops_the_dateline_and_clock_times(tmp_path: Path) -> None:
    text = "Title\nFriday, July 21, 2017\nIt happened on Tuesday at 15:11 GMT."
    record: dict[str, Any] = {
        "id": "doc",
        "split": "test",
        "text": text,
        "dct": "2017-07-21",
        "timex": [
            {"start": 6, "end": 27, "text": "Friday, July 21, 2017", "value": "2017-07-21"},
            {"start": 43, "end": 50, "text": "Tuesday", "value": "2017-07-18"},
            {"start": 54, "end": 63, "text": "15:11 GMT", "value": "15:11:00"},
        ],
    }
    folder = tmp_path / "dates"
    folder.mkdir()
    with gzip.open(folder / "gum_news_dates.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    (doc,) = load_gum_dates(tmp_path)
    assert doc.anchor == date(2017, 7, 21)
    assert doc.dateline == (6, 27)
    assert doc.clock_only == 1
    assert [(g.text, g.first) for g in doc.gold] == [("Tuesday", date(2017, 7, 18))]

    record["timex"][1]["start"] = 44  # offsets that do not spell the text
    with gzip.open(folder / "gum_news_dates.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    with pytest.raises(InvalidField):
        load_gum_dates(tmp_path)


def test_load_gum_dates_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_gum_dates(tmp_path)


def test_locate_dates_in_reading_order() -> None:
    body = "Monday's vote, then on Monday again; Mondays are busy. Tuesday."
    day = date(2026, 11, 16)
    labels = [DemoDateLabel("Monday", day, day, "day"), DemoDateLabel("Monday", day, day, "day")]
    found = locate_dates(body, labels)
    assert [(g.start, g.end) for g in found] == [(0, 6), (23, 29)]
    with pytest.raises(InvalidField):
        locate_dates(body, [*labels, DemoDateLabel("Monday", day, day, "day")])


def test_the_demo_labels_are_well_formed() -> None:
    articles = load_demo_dates(DEMO_LABELS)
    labels = [label for article in articles for label in article.dates]
    assert len(labels) >= 60
    assert {label.granularity for label in labels} <= GRANULARITIES
    assert all(label.first <= label.last for label in labels)
    assert any(article.held_out for article in articles)
    texts = {label.text for label in labels}
    for hard in ("next week", "last month", "February", "earlier this month", "until 2030"):
        assert hard in texts


def test_bad_demo_label_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    bad = {"text": "x", "first": "2026-01-02", "last": "2026-01-01", "granularity": "day"}
    path.write_text(json.dumps({"articles": [{"source": "s", "title": "t", "dates": [bad]}]}))
    with pytest.raises(InvalidField):
        load_demo_dates(path)
