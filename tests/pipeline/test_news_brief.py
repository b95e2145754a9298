"""One-sentence news briefs (#7): a text that is only its headline is kept when it is a sentence.

Wire services and feeds publish briefs whose title and text are one and the same sentence; a
reader expects such a brief in its story. A label, a menu line or a short headline repeated as
the text is still no article.
"""

from __future__ import annotations

import pytest

from broadsheet.errors import EmptyInput
from broadsheet.model import SourceLine
from broadsheet.pipeline.clean import clean, is_news_brief
from tests.conftest import make_draft

BRIEF = (
    "A bomb exploded Friday at a bank branch in Woodburn, Oregon, killing a police officer "
    "and a bomb squad technician."
)


def test_a_one_sentence_brief_is_kept_as_its_own_text() -> None:
    cleaned = clean(make_draft(title=BRIEF, paragraphs=(BRIEF,)))
    assert cleaned.title == BRIEF
    assert cleaned.paragraphs == (BRIEF,)


def test_a_brief_record_of_one_line_is_kept_through_the_line_cleaner() -> None:
    """A JSON Lines record's text goes through the scraped-text path, which drops a line that
    repeats the headline: a one-line record that is a sentence comes back as the brief."""
    line = SourceLine(text=BRIEF, start=0, end=len(BRIEF))
    cleaned = clean(make_draft(title=BRIEF, paragraphs=(), lines=(line,)))
    assert cleaned.paragraphs == (BRIEF,)
    assert cleaned.removed == ()


@pytest.mark.parametrize(
    "headline",
    [
        "Ministers meet over tariffs",  # a headline: no full stop
        "Skip to content.",  # too short to be a news sentence
        "BREAKING NEWS: MARKETS FALL SHARPLY ON RATE FEARS.",  # all capitals: a banner
        "Home | World | Sport | Business | Opinion | Video",  # a menu
    ],
)
def test_a_headline_repeated_as_the_text_is_still_no_article(headline: str) -> None:
    assert not is_news_brief(headline)
    with pytest.raises(EmptyInput, match="only the headline"):
        clean(make_draft(title=headline, paragraphs=(headline,)))


def test_a_brief_is_a_sentence_of_six_words_or_more() -> None:
    assert is_news_brief("The parliament election is over in Turkmenistan.")
    assert is_news_brief('Police said the driver "was not hurt."')
    assert not is_news_brief("Election is over.")
