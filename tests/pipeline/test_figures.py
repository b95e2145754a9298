"""Figures in literal sentences written for these tests, run through the real spaCy pipeline."""

from __future__ import annotations

from functools import cache

import pytest
from spacy.language import Language

from broadsheet.model import FigureDraft
from broadsheet.pipeline.enrich.entities import load_pipeline
from broadsheet.pipeline.enrich.figures import find_figures, parse_number


@cache
def _nlp() -> Language:
    return load_pipeline()


def figures(text: str) -> tuple[FigureDraft, ...]:
    found = find_figures(_nlp()(text))
    for figure in found:
        # Offsets point into the text; the sentence is the one that holds the figure.
        assert text[figure.start : figure.end] == figure.text
        assert figure.text in figure.sentence
        assert figure.sentence in text
    return found


def one(text: str) -> FigureDraft:
    found = figures(text)
    assert len(found) == 1, found
    return found[0]


# --- money ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "figure", "value", "unit"),
    [
        ("Hoshikawa agreed a £22bn swoop on the chip designer.", "£22bn", 22e9, "GBP"),
        ("The group will pay ¥4.2tn for the business.", "¥4.2tn", 4.2e12, "JPY"),
        ("The fund raised USD 5m from three backers.", "USD 5m", 5e6, "USD"),
        ("The loan, EUR 300 million, was signed on Friday.", "EUR 300 million", 3e8, "EUR"),
        ("Shares were priced at $61.50 each.", "$61.50", 61.5, "USD"),
        ("The library refurbishment cost £2.4m.", "£2.4m", 2.4e6, "GBP"),
        ("It reported revenue of US$3.9 billion last year.", "US$3.9 billion", 3.9e9, "USD"),
        ("Exporters will pay around 16.4 billion yuan a year.", "16.4 billion yuan", 16.4e9, "CNY"),
        ("The mission will cost 1.9 billion euros.", "1.9 billion euros", 1.9e9, "EUR"),
        ("It launched a 1.9 billion euro mission.", "1.9 billion euro", 1.9e9, "EUR"),
        ("The cost is put at €4 million a day.", "€4 million", 4e6, "EUR"),
        ("The currency rose to 0.6412 U.S. dollars.", "0.6412 U.S. dollars", 0.6412, "USD"),
        ("Bank loans of 2.5 trillion yen will fund it.", "2.5 trillion yen", 2.5e12, "JPY"),
        ("The stake is worth 2.7 trillion won.", "2.7 trillion won", 2.7e12, "KRW"),
        ("The city spent NZ$ 26 million on it.", "NZ$ 26 million", 26e6, "NZD"),
    ],
)
def test_money_with_currency_and_scale(text: str, figure: str, value: float, unit: str) -> None:
    found = one(text)
    assert (found.text, found.unit) == (figure, unit)
    assert found.value == pytest.approx(value)
    assert found.quantity is None
    assert found.alt_value is None


def test_a_conversion_in_brackets_is_one_figure_with_two_values() -> None:
    found = one(
        "Japan's Hoshikawa agreed to buy Veltrix for 4.2 trillion yen (US$28 billion) in cash."
    )
    assert found.text == "4.2 trillion yen (US$28 billion)"
    assert (found.value, found.unit) == (4.2e12, "JPY")
    assert (found.alt_value, found.alt_unit) == (28e9, "USD")


@pytest.mark.parametrize(
    ("text", "value", "unit", "alt_value", "alt_unit"),
    [
        ("The strike costs €120 million ($130 million) a day.", 120e6, "EUR", 130e6, "USD"),
        ("The deal is worth ¥4.2tn ($27.6bn).", 4.2e12, "JPY", 27.6e9, "USD"),
        ("Duties worth €2.4bn (£2.1bn) a year stay.", 2.4e9, "EUR", 2.1e9, "GBP"),
        ("It adds about CHF 625 (roughly €650) a month.", 625, "CHF", 650, "EUR"),
    ],
)
def test_conversions(text: str, value: float, unit: str, alt_value: float, alt_unit: str) -> None:
    found = one(text)
    assert (found.unit, found.alt_unit) == (unit, alt_unit)
    assert found.value == pytest.approx(value)
    assert found.alt_value == pytest.approx(alt_value)


def test_an_unknown_code_is_a_currency_where_the_article_converts_it() -> None:
    text = (
        "Household debt totals AKR 2.9 trillion (€255 billion). A typical AKR 3 million "
        "mortgage will cost more."
    )
    first, second = figures(text)
    assert (first.value, first.unit, first.alt_value, first.alt_unit) == (
        2.9e12,
        "AKR",
        255e9,
        "EUR",
    )
    assert (second.text, second.value, second.unit) == ("AKR 3 million", 3e6, "AKR")


def test_an_unknown_code_alone_is_not_money() -> None:
    assert all(f.unit != "XYZ" for f in figures("The XYZ 300 model sold well."))


def test_pounds_of_something_is_a_weight() -> None:
    assert figures("She bought 5 pounds of potatoes.") == ()


# --- percentages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "figure", "value", "unit"),
    [
        ("Veltrix shares jumped 12.5 per cent in New York.", "12.5 per cent", 12.5, "percent"),
        ("Turnout reached 71.2% on Sunday.", "71.2%", 71.2, "percent"),
        ("The party won 41.3 percent of the vote.", "41.3 percent", 41.3, "percent"),
        (
            "The bank raised its rate by 0.25 percentage points on Wednesday.",
            "0.25 percentage points",
            0.25,
            "percentage_point",
        ),
        (
            "The bank raised its benchmark rate by 25 basis points.",
            "25 basis points",
            0.25,
            "percentage_point",
        ),
    ],
)
def test_percentages_and_points(text: str, figure: str, value: float, unit: str) -> None:
    found = one(text)
    assert (found.text, found.unit) == (figure, unit)
    assert found.value == pytest.approx(value)


def test_a_range_is_not_read_as_one_of_its_ends() -> None:
    assert figures("Inflation is above the bank's 2-3 per cent target band.") == ()


# --- changes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "change"),
    [
        ("Exports were up 4.1% from a year earlier.", True),
        ("Sales fell 3% in October.", True),
        ("Consumer prices rose 3.8 per cent in the year to October.", True),
        ("Output grew 2.1% year on year.", True),
        ("The union wants a 6 per cent pay increase.", True),
        ("The krone strengthened by 0.7 per cent against the euro.", True),
        ("Its shares closed down 1.8 per cent in Tokyo.", True),
        ("Unemployment rose to 4.6 per cent last month.", False),
        ("Inflation slowed to 3.1 per cent from 3.4 per cent.", False),
        ("The rate stays at 4.25 per cent.", False),
    ],
)
def test_changes_and_levels(text: str, change: bool) -> None:
    assert figures(text)[0].change is change


# --- counts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "figure", "value", "quantity"),
    [
        ("The quake left 17 dead in the province.", "17 dead", 17, "dead"),
        ("About 300 residents were evacuated.", "300 residents", 300, "residents"),
        ("The plant closure will cost 4,000 jobs.", "4,000 jobs", 4000, "jobs"),
        ("The union wants 300 additional drivers.", "300 additional drivers", 300, "drivers"),
        (
            "More than 1,200 rescue workers were sent.",
            "1,200 rescue workers",
            1200,
            "rescue workers",
        ),
        ("At least 17 people were killed and 158 injured.", "17 people", 17, "people"),
        ("The quake killed 14 people, injuring 120.", "14 people", 14, "people"),
        (
            "The port handles 13 million containers a year.",
            "13 million containers",
            13e6,
            "containers",
        ),
    ],
)
def test_counts_with_the_counted_noun(text: str, figure: str, value: float, quantity: str) -> None:
    found = figures(text)[0]
    assert (found.text, found.unit, found.quantity) == (figure, "count", quantity)
    assert found.value == pytest.approx(value)


def test_counts_from_the_parse_without_a_noun_after_them() -> None:
    (_, injured) = figures("At least 17 people were killed and 158 injured.")
    assert (injured.text, injured.quantity) == ("158 injured", "injured")
    (_, hurt) = figures("The quake killed 14 people, injuring 120.")
    assert (hurt.text, hurt.quantity) == ("120", "injured")
    toll = one("The death toll from the earthquake rose to 17 on Thursday.")
    assert (toll.text, toll.value, toll.quantity) == ("17", 17, "death toll")
    crowd = one("Ferris sent the Rovers end of a crowd of 61,412 into raptures.")
    assert (crowd.text, crowd.quantity) == ("61,412", "crowd")


def test_a_number_before_another_counts_the_same_noun() -> None:
    first, second = figures("The decision was expected by 14 of 22 economists polled last week.")
    assert (first.text, first.quantity, first.change) == ("14", "economists", False)
    assert (second.text, second.quantity) == ("22 economists", "economists")


@pytest.mark.parametrize(
    "text",
    [
        "The quake struck at 4:17 a.m. on Thursday, 12 November 2025.",
        "Ferris, 22, scored in the 114th minute.",
        "Rovers beat Wexley 3-2 after a 48-hour wait.",
        "A magnitude 6.4 earthquake hit at a depth of 10 km (6 miles).",
        "Simmer for 20 minutes, roast at 200C and add 100g of barley.",
        "The Tessaly-2 probe will reach Mars in February 2029.",
        "The 151-seat assembly met for 18 months.",
        "Temperatures will drop to minus 8 degrees Celsius.",
        "Internet Explorer is the #2 browser.",
    ],
)
def test_numbers_that_are_not_figures(text: str) -> None:
    assert figures(text) == ()


def test_figures_come_in_reading_order_with_their_sentences() -> None:
    text = (
        "The union is seeking a 7.5 per cent pay rise. About 23,000 containers were waiting, "
        "and the stoppage costs €120 million ($130 million) a day."
    )
    found = figures(text)
    assert [f.text for f in found] == [
        "7.5 per cent",
        "23,000 containers",
        "€120 million ($130 million)",
    ]
    assert found[0].sentence == "The union is seeking a 7.5 per cent pay rise."
    assert found[1].sentence == found[2].sentence
    assert [f.start for f in found] == sorted(f.start for f in found)


def test_parse_number() -> None:
    assert parse_number("4,000") == 4000
    assert parse_number("12.5") == 12.5
