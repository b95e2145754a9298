"""Dates resolved against the publication time: literal sentences written for these tests, run
through the real spaCy pipeline the product ships (its tagger and parser decide the tense)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from broadsheet.model import DateDraft
from broadsheet.pipeline.enrich.dates import anchor_day, find_dates
from broadsheet.pipeline.enrich.entities import load_pipeline

# Wednesday 18 November 2026, mid-morning UTC.
WEDNESDAY = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)


def _dates(text: str, published_at: datetime = WEDNESDAY, **kw: bool) -> list[DateDraft]:
    found = find_dates(load_pipeline()(text), published_at, **kw)
    for draft in found:
        assert text[draft.start : draft.end] == draft.text
        assert draft.first <= draft.last
    return list(found)


def _one(text: str, published_at: datetime = WEDNESDAY) -> tuple[str, date, date, str]:
    (draft,) = _dates(text, published_at)
    return draft.text, draft.first, draft.last, draft.granularity


def _day(text: str, published_at: datetime = WEDNESDAY) -> date:
    _, first, last, granularity = _one(text, published_at)
    assert (first, granularity) == (last, "day")
    return first


# --- weekdays: past tense looks back, future looks ahead --------------------------------------


def test_weekday_in_a_past_tense_clause_is_the_most_recent_one() -> None:
    assert _day("The minister resigned on Thursday after a week of protests.") == date(2026, 11, 12)
    assert _day("Prices had fallen sharply by Monday, traders said.") == date(2026, 11, 16)


def test_weekday_in_a_future_clause_is_the_next_one() -> None:
    assert _day("The minister will resign on Thursday.") == date(2026, 11, 19)
    assert _day("Talks between the two sides are due to resume on Monday.") == date(2026, 11, 23)
    assert _day("The newly elected parliament is scheduled to meet on Friday.") == date(
        2026, 11, 20
    )
    # Reported future: "would" still looks ahead of the publication day.
    assert _day("The union said it would strike again on Tuesday.") == date(2026, 11, 24)


def test_weekday_naming_the_publication_day_is_that_day() -> None:
    assert _day("The central bank raised rates on Wednesday.") == date(2026, 11, 18)
    assert _day("The central bank will decide on Wednesday.") == date(2026, 11, 18)


def test_bare_weekday_and_possessive() -> None:
    assert _day("Sunday's election gave the opposition a clear majority.") == date(2026, 11, 15)
    text, first, _, _ = _one("Monday, the court threw out the case.")
    assert (text, first) == ("Monday", date(2026, 11, 16))


def test_next_and_last_weekday() -> None:
    assert _day("The inquiry opens next Monday.") == date(2026, 11, 23)
    assert _day("The fire started last Wednesday.") == date(2026, 11, 11)


def test_generic_weekdays_are_not_dates() -> None:
    assert _dates("A Sunday roast feeds four, and every Monday the market opens early.") == []


# --- weeks, months, years -------------------------------------------------------------------------


def test_next_week_is_a_monday_to_sunday_range() -> None:
    assert _one("Officials will meet again in Beijing next week.") == (
        "next week",
        date(2026, 11, 23),
        date(2026, 11, 29),
        "week",
    )
    assert _one("Talks broke down last week.")[1:] == (
        date(2026, 11, 9),
        date(2026, 11, 15),
        "week",
    )


def test_last_month_and_last_year() -> None:
    assert _one("The duties took effect last month.")[1:] == (
        date(2026, 10, 1),
        date(2026, 10, 31),
        "month",
    )
    assert _one("The firm bought a smaller rival last year.")[1:] == (
        date(2025, 1, 1),
        date(2025, 12, 31),
        "year",
    )


def test_in_february_by_tense_across_the_year_boundary() -> None:
    # Written in November: a coming February is next year's, a past one this year's.
    assert _one("The next rate review is in February.")[1:] == (
        date(2027, 2, 1),
        date(2027, 2, 28),
        "month",
    )
    assert _one("Exports fell sharply in February.")[1:3] == (date(2026, 2, 1), date(2026, 2, 28))
    january = datetime(2027, 1, 10, 8, 0, tzinfo=UTC)
    assert _one("Sales rose strongly in December.", january)[1] == date(2026, 12, 1)
    assert _one("The vote will be held in March.", january)[1] == date(2027, 3, 1)


def test_month_with_relative_year_and_with_year() -> None:
    assert _one("The library closed in May last year.")[:3] == (
        "May last year",
        date(2025, 5, 1),
        date(2025, 5, 31),
    )
    assert _one("The probe should reach Mars in February 2029.")[1] == date(2029, 2, 1)


def test_may_the_verb_is_not_a_month() -> None:
    assert _dates("Officials said the bridge may reopen soon.") == []


def test_earlier_this_month_runs_to_the_day_before_publication() -> None:
    assert _one("The launch was delayed by two weeks earlier this month.") == (
        "earlier this month",
        date(2026, 11, 1),
        date(2026, 11, 17),
        "month",
    )
    first_of_month = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    assert _one("Figures published earlier this month showed a rise.", first_of_month)[1:3] == (
        date(2026, 11, 1),
        date(2026, 11, 1),
    )


def test_until_2030_runs_from_publication_to_the_end_of_2030() -> None:
    assert _one("The company will keep its headquarters in San Jose until 2030.") == (
        "until 2030",
        date(2026, 11, 18),
        date(2030, 12, 31),
        "year",
    )
    assert _one("Staff stay in place until at least 2030.")[0] == "until at least 2030"


def test_since_a_year_runs_to_publication() -> None:
    assert _one("The group has been shifting towards chips since 2021.")[:3] == (
        "since 2021",
        date(2021, 1, 1),
        date(2026, 11, 18),
    )


def test_two_years_into_a_present_clause_is_the_time_of_writing() -> None:
    assert _one("Two years into the war, the front line has barely moved.") == (
        "Two years into",
        date(2026, 1, 1),
        date(2026, 12, 31),
        "year",
    )
    # In a past clause the anchor event is unknown: no date rather than a wrong one.
    assert _dates("Two years into his term, the mayor resigned.") == []


def test_yesterday_today_tomorrow() -> None:
    assert _day("Yesterday the river burst its banks.") == date(2026, 11, 17)
    assert _day("The report is published today.") == date(2026, 11, 18)
    assert _day("Voting ends tomorrow.") == date(2026, 11, 19)


def test_counted_periods_ago() -> None:
    assert _one("The brand was born a decade ago.")[1:] == (
        date(2016, 1, 1),
        date(2016, 12, 31),
        "year",
    )
    assert _one("He took over the club three years ago.")[1] == date(2023, 1, 1)
    assert _one("The boxes left Shanghai five weeks ago.")[1:] == (
        date(2026, 10, 12),
        date(2026, 10, 18),
        "week",
    )


def test_full_dates_day_month_and_years() -> None:
    assert _day("The treaty was signed on July 21, 2017.") == date(2017, 7, 21)
    assert _one("Tuesday, March 8, 2011 was a busy day.")[:2] == (
        "Tuesday, March 8, 2011",
        date(2011, 3, 8),
    )
    assert _day("The deal was signed on 21 July.") == date(2026, 7, 21)
    assert _day("The exhibition will close on 9 March.") == date(2027, 3, 9)
    assert _one("The database was unveiled in 1999.")[1:] == (
        date(1999, 1, 1),
        date(1999, 12, 31),
        "year",
    )


def test_decades_and_the_end_of_a_year() -> None:
    assert _one("The style defined the 1960s.")[1:] == (
        date(1960, 1, 1),
        date(1969, 12, 31),
        "decade",
    )
    assert _one("The deal is expected to close by the end of 2027.")[:3] == (
        "the end of 2027",
        date(2027, 12, 31),
        date(2027, 12, 31),
    )


def test_weekends_follow_the_tense() -> None:
    assert _one("Crowds packed the square this weekend.")[1:3] == (
        date(2026, 11, 14),
        date(2026, 11, 15),
    )
    assert _one("The festival will open this weekend.")[1:3] == (
        date(2026, 11, 21),
        date(2026, 11, 22),
    )


def test_the_next_day_counts_from_the_date_before_it() -> None:
    found = _dates("The storm hit on March 3, 2025. The next day, every road was closed.")
    assert [(d.text, d.first) for d in found] == [
        ("March 3, 2025", date(2025, 3, 3)),
        ("The next day", date(2025, 3, 4)),
    ]


def test_amounts_and_ages_are_not_years() -> None:
    assert _dates("The plant employs 2030 people in a 1500 year old town.") == []


def test_guessed_is_passed_to_every_date() -> None:
    found = _dates("On Monday the mayor said the works would end next month.", guessed=True)
    assert len(found) == 2
    assert all(d.guessed for d in found)
    assert not any(d.guessed for d in _dates("On Monday the mayor spoke."))


def test_resolution_uses_the_utc_calendar_date() -> None:
    # 23:30 in New York on the 17th is 04:30 UTC on the 18th: "yesterday" is the 17th.
    new_york = timezone(timedelta(hours=-5))
    late = datetime(2026, 11, 17, 23, 30, tzinfo=new_york)
    assert anchor_day(late) == date(2026, 11, 18)
    assert _day("Yesterday the river burst its banks.", late) == date(2026, 11, 17)


@pytest.mark.parametrize(
    "text",
    ["", "No dates here at all.", "It cost $2030 and 1999 euros.", "It began 999 decades ago."],
)
def test_texts_without_dates(text: str) -> None:
    assert _dates(text) == []
