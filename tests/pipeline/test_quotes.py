"""Quotes and their speakers: literal sentences written for these tests, run through the real
spaCy pipeline the product ships (``entities.load_pipeline``)."""

from __future__ import annotations

import pytest

from broadsheet.model import EntityType, QuoteDraft
from broadsheet.pipeline.enrich.entities import load_pipeline, mentions_of
from broadsheet.pipeline.enrich.quotes import find_quotes, quoted_spans


def _quotes(text: str) -> tuple[QuoteDraft, ...]:
    doc = load_pipeline()(text)
    return find_quotes(doc, mentions_of(doc))


def _one(text: str, starting: str) -> QuoteDraft:
    found = [q for q in _quotes(text) if q.text.startswith(starting)]
    assert len(found) == 1, _quotes(text)
    return found[0]


# --- quotation marks (no model) ----------------------------------------------------------------


def _texts(text: str) -> list[str]:
    return [" | ".join(text[a:b] for a, b in span.pieces) for span in quoted_spans(text)]


def test_quote_styles_straight_curly_single_and_guillemets() -> None:
    assert _texts('He said "we will win" today.') == ["we will win"]
    assert _texts("He said \u201cwe will win\u201d today.") == ["we will win"]
    assert _texts("He said \u2018we will win\u2019 today.") == ["we will win"]
    assert _texts("He said 'we will win' today.") == ["we will win"]
    assert _texts("Il a dit \u00abnous gagnerons\u00bb hier.") == ["nous gagnerons"]


def test_apostrophes_are_not_quotation_marks() -> None:
    text = (
        "Scholz\u2019s aides don't expect the dockers\u2019 union to sign before the \u201990s end."
    )
    assert quoted_spans(text) == []
    assert quoted_spans("It's Merkel's and the workers' plan.") == []


def test_a_nested_quote_stays_inside_the_outer_one() -> None:
    text = "\u201cHe told me \u2018not yet\u2019 twice,\u201d she said."
    assert _texts(text) == ["He told me \u2018not yet\u2019 twice,"]
    british = "\u2018He told me \u201cnot yet\u201d twice,\u2019 she said."
    assert _texts(british) == ["He told me \u201cnot yet\u201d twice,"]


def test_a_possessive_plural_inside_single_quotes_does_not_close_them() -> None:
    text = "She called it \u2018the workers\u2019 last stand\u2019 on Monday."
    assert _texts(text) == ["the workers\u2019 last stand"]


def test_speech_running_over_paragraphs_is_one_span() -> None:
    text = (
        "\u201cThe first paragraph has no closing mark.\n\n"
        "\u201cThe second one continues the speech,\u201d she said."
    )
    (span,) = quoted_spans(text)
    assert len(span.pieces) == 2
    assert text[span.start : span.end].startswith("The first paragraph")
    assert text[span.start : span.end].endswith("the speech,")


def test_an_open_quote_without_continuation_ends_with_its_paragraph() -> None:
    text = '"We will not give up.\n\nThe talks resume on Monday.'
    assert _texts(text) == ["We will not give up."]


# --- direct quotes -----------------------------------------------------------------------------

SPLIT = (
    "Callum Ferris scored the winner. \u201cIt\u2019s the best moment of my life,\u201d Ferris "
    "said, \u201cand I\u2019m going to ring my mum.\u201d"
)


def test_direct_quote_with_named_speaker_and_offsets() -> None:
    text = 'Olaf Scholz met the press. "We want a deal this year," Scholz told reporters.'
    quote = _one(text, "We want")
    assert quote.direct
    assert quote.speaker == "Olaf Scholz"  # the surname resolves to the full name
    assert quote.cue == "told"
    assert text[quote.start : quote.end] == quote.text == "We want a deal this year,"


def test_inverted_attribution_with_apposition() -> None:
    text = (
        "\u201cForty-eight hours is a warning,\u201d said Ruud Brinkhorst, the union\u2019s "
        "chief negotiator."
    )
    quote = _one(text, "Forty-eight")
    assert (quote.speaker, quote.cue, quote.direct) == ("Ruud Brinkhorst", "said", True)


def test_quote_split_by_its_attribution_is_one_quote() -> None:
    quotes = [q for q in _quotes(SPLIT) if q.direct]
    assert len(quotes) == 1
    quote = quotes[0]
    assert quote.speaker == "Callum Ferris"
    assert SPLIT[quote.start :].startswith("It\u2019s the best")
    assert SPLIT[: quote.end].endswith("ring my mum.")
    assert quote.text == "It\u2019s the best moment of my life, and I\u2019m going to ring my mum."


def test_two_sentences_around_one_attribution_are_one_quote() -> None:
    text = (
        "Wexley manager Stefan Kowalczyk was downcast. \u201cWe gave everything,\u201d he said. "
        "\u201cIt is very hard.\u201d"
    )
    (quote,) = [q for q in _quotes(text) if q.direct]
    assert quote.text == "We gave everything, It is very hard."
    assert quote.speaker == "Stefan Kowalczyk"


def test_quote_running_over_paragraphs_is_one_quote() -> None:
    text = (
        "Governor Anders Kjeldgaard spoke after the decision.\n\n"
        "\u201cWe would rather act early than much too late.\n\n"
        "\u201cInflation has not come down the way we hoped,\u201d he said."
    )
    (quote,) = [q for q in _quotes(text) if q.direct]
    assert quote.speaker == "Anders Kjeldgaard"
    assert quote.text == (
        "We would rather act early than much too late.\n\n"
        "Inflation has not come down the way we hoped,"
    )


def test_a_quote_opening_a_paragraph_continues_the_last_speaker() -> None:
    text = (
        "\u201cThe search is almost complete,\u201d Governor Selim Aksoy said.\n\n"
        "\u201cNobody will spend the night without a tent and a heater.\u201d"
    )
    quotes = [q for q in _quotes(text) if q.direct]
    assert [q.speaker for q in quotes] == ["Selim Aksoy", "Selim Aksoy"]


def test_colon_attribution_before_the_quote() -> None:
    text = (
        "Deputy Prime Minister Ilse Moravec said: \u201cWe accept the verdict of the voters "
        "without reservation.\u201d"
    )
    quote = _one(text, "We accept")
    assert (quote.speaker, quote.direct) == ("Ilse Moravec", True)


# --- pronoun and role speakers -----------------------------------------------------------------


@pytest.mark.parametrize("pronoun", ["he", "she"])
def test_pronoun_speaker_is_the_last_person_named(pronoun: str) -> None:
    text = (
        "Mary Penhallow opened the building. Tomasz Wilk said the books were back. "
        f"\u201cOur regulars have been ringing every week,\u201d {pronoun} added."
    )
    quote = _one(text, "Our regulars")
    assert quote.speaker == "Tomasz Wilk"
    assert quote.cue == "added"


def test_a_name_inside_the_quote_is_not_the_antecedent() -> None:
    text = (
        "Tomas Varga conceded defeat on Sunday. \u201cI have called Mirela Dovanic to "
        "congratulate her,\u201d he said."
    )
    assert _one(text, "I have called").speaker == "Tomas Varga"


def test_role_speaker_resolves_to_the_person_with_that_role() -> None:
    text = (
        "Government spokeswoman Anna Berg and Finance Minister Oskar Brandt met the unions on "
        "Monday. The spokeswoman said the talks had been useful."
    )
    quote = _one(text, "the talks")
    assert (quote.speaker, quote.speaker_type, quote.direct) == (
        "Anna Berg",
        EntityType.PERSON,
        False,
    )


def test_role_speaker_from_a_title_before_the_name() -> None:
    text = (
        "Foreign Minister Annalena Baerbock arrived in Kyiv on Monday. \u201cWe are ready to "
        "help,\u201d the minister said."
    )
    assert _one(text, "We are ready").speaker == "Annalena Baerbock"


def test_role_speaker_from_an_apposition() -> None:
    text = (
        "Julien Castagne, a spokesman for the operator, spoke to Nadia Ferrand. "
        "\u201cThe offer is fair,\u201d the spokesman told reporters."
    )
    assert _one(text, "The offer").speaker == "Julien Castagne"


def test_role_speaker_without_a_matching_role_is_the_last_person_quoted() -> None:
    text = (
        "\u201cThese lads just kept coming,\u201d Declan Marsh said. Asked about Jamal Okonjo, "
        "the manager added: \u201cHe has been patient all season.\u201d"
    )
    assert _one(text, "He has been").speaker == "Declan Marsh"


def test_unnamed_speaker_is_kept_as_written() -> None:
    text = "\u201cThe gap has narrowed, but not by much,\u201d a spokesman said on Tuesday."
    quote = _one(text, "The gap")
    assert (quote.speaker, quote.speaker_type) == ("a spokesman", None)


def test_it_said_resolves_to_the_last_organisation() -> None:
    text = (
        "Hoshikawa Electronics will fund the purchase with cash and bridge loans from three "
        "banks, it said."
    )
    quote = _one(text, "Hoshikawa Electronics will fund")
    assert quote.speaker == "Hoshikawa Electronics"
    assert not quote.direct


# --- reported speech ---------------------------------------------------------------------------


def test_indirect_said_that() -> None:
    text = "Lotte Verschuren said that the port was in contact with shipping lines."
    quote = _one(text, "the port")
    assert (quote.speaker, quote.cue, quote.direct) == ("Lotte Verschuren", "said", False)
    assert quote.text == "the port was in contact with shipping lines"
    assert text[quote.start : quote.end] == quote.text


def test_indirect_clause_then_attribution() -> None:
    text = "Rescue teams struggled to reach the villages after landslides blocked the road, officials said."
    quote = _one(text, "Rescue teams")
    assert (quote.speaker, quote.direct) == ("officials", False)
    assert quote.text.endswith("blocked the road")


def test_indirect_according_to() -> None:
    text = "About 23,000 containers were waiting to be moved, according to the Port of Rotterdam."
    quote = _one(text, "About 23,000")
    assert (quote.cue, quote.direct) == ("according to", False)
    assert quote.speaker == "Port of Rotterdam"
    assert quote.text == "About 23,000 containers were waiting to be moved"


def test_indirect_told_reporters() -> None:
    text = "Amara Lindqvist told reporters the team would check the instruments first."
    quote = _one(text, "the team")
    assert (quote.speaker, quote.cue, quote.direct) == ("Amara Lindqvist", "told", False)


def test_indirect_described_as() -> None:
    text = "Helena Marquardt described the discussions as frank and useful."
    quote = _one(text, "the discussions")
    assert (quote.speaker, quote.cue, quote.direct) == ("Helena Marquardt", "described", False)
    assert quote.text == "the discussions as frank and useful"


def test_participle_reports_for_the_main_clause_subject() -> None:
    text = (
        "The Reserve Bank of Corvania left its rate unchanged on Tuesday, saying inflation was "
        "easing in line with its forecasts."
    )
    quote = _one(text, "inflation")
    assert quote.speaker == "Reserve Bank of Corvania"


# --- quoted phrases inside a report ------------------------------------------------------------


def test_quoted_phrase_in_a_report_belongs_to_the_reporting_speaker() -> None:
    text = "The ministers would discuss \u2018energy security\u2019, the ministry said."
    quotes = _quotes(text)
    assert len(quotes) == 1  # no separate speakerless quote, no second, indirect one
    (quote,) = quotes
    assert quote.text == "energy security"
    assert (quote.speaker, quote.cue, quote.direct) == ("the ministry", "said", True)


def test_fragment_after_a_reporting_verb_gets_its_subject() -> None:
    text = (
        "Priya Lindqvist, chief economist at Nordstrand Bank, said the central bank was "
        '"buying insurance" against inflation.'
    )
    quotes = _quotes(text)
    assert [(q.text, q.speaker, q.direct) for q in quotes] == [
        ("buying insurance", "Priya Lindqvist", True)
    ]


def test_two_fragments_of_one_report() -> None:
    text = (
        'Wen Guoliang said China was "sincere" about a solution but would "firmly defend '
        'the legitimate rights" of its carmakers.'
    )
    quotes = _quotes(text)
    assert [(q.text, q.speaker) for q in quotes] == [
        ("sincere", "Wen Guoliang"),
        ("firmly defend the legitimate rights", "Wen Guoliang"),
    ]


def test_unattributed_short_phrases_are_not_quotes() -> None:
    text = (
        "The library has a \u201clibrary of things\u201d where residents borrow tools. The "
        "robot, named \u201cBetter Idea\u201d, scored two points."
    )
    assert _quotes(text) == ()


def test_unattributed_speech_is_kept_without_a_speaker() -> None:
    text = "The banner read: \u201cWe will not be moved by threats or by money.\u201d"
    (quote,) = _quotes(text)
    assert quote.direct
    assert quote.speaker is None


def test_no_quotes_in_plain_narrative() -> None:
    text = "The quake struck at 4:17 a.m. Rescue teams reached the village by noon."
    assert _quotes(text) == ()
