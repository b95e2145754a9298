from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadsheet.errors import EmptyInput
from broadsheet.pipeline.clean import MAX_TITLE_CHARS, clean, normalize_space
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
