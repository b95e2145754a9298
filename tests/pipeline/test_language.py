"""Language detection: confident on real sentences, silent on a few words."""

from __future__ import annotations

import pytest

from broadsheet.model import ArticleDraft
from broadsheet.pipeline.enrich import enrich
from broadsheet.pipeline.enrich.language import MIN_CONFIDENCE, detect_language
from tests.conftest import NOW


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The central bank raised interest rates on Thursday, citing stubborn inflation.", "en"),
        (
            "Die Bundesregierung hat am Montag neue Regeln für die Einfuhr von Stahl beschlossen.",
            "de",
        ),
        (
            "Le gouvernement a annoncé lundi une hausse des tarifs sur les importations chinoises.",
            "fr",
        ),
        (
            "El gobierno aprobó el martes un nuevo plan para reducir el precio de la electricidad.",
            "es",
        ),
    ],
)
def test_detects_the_language_of_a_sentence(text: str, code: str) -> None:
    found, confidence = detect_language(text)
    assert found == code
    assert confidence is not None and MIN_CONFIDENCE <= confidence <= 1.0


def test_too_few_words_is_no_answer() -> None:
    assert detect_language("Breaking news") == (None, None)
    assert detect_language("") == (None, None)


def _draft(text: str, language: str | None = None) -> ArticleDraft:
    return ArticleDraft(
        source_name="s", title="t", paragraphs=(text,), published_at=NOW, language=language
    )


def test_enrich_sets_language_and_only_reads_entities_in_english() -> None:
    german = "Bundeskanzler Olaf Scholz hat am Montag in Berlin neue Regeln für Stahl vorgestellt."
    english = "German Chancellor Olaf Scholz presented new rules for steel in Berlin on Monday."
    de, en = enrich([_draft(german, language="en"), _draft(english)])
    # The page claimed English; the text is German: the detector wins over document metadata.
    assert (de.language, en.language) == ("de", "en")
    assert de.mentions == ()
    assert any(mention.name == "Olaf Scholz" for mention in en.mentions)


def test_a_language_the_user_forced_is_kept() -> None:
    english = "German Chancellor Olaf Scholz presented new rules for steel in Berlin on Monday."
    (draft,) = enrich([_draft(english)], forced_languages=["de"])
    assert draft.language == "de"
    assert draft.language_confidence is None  # the detector disagreed
    assert draft.mentions == ()
