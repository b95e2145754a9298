"""Enrichment: what an article is about, read from its cleaned text.

``enrich`` runs over a whole batch of drafts at once, because spaCy is fastest fed through
``nlp.pipe``: language detection, then, from one parse of each body, entity mentions resolved
within the article, quotes with their speakers, figures, and dates resolved against the
publication time. Matching names across articles needs the store and happens when the batch is
written (``store.entities``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from broadsheet.model import ArticleDraft
from broadsheet.pipeline.enrich.dates import find_dates
from broadsheet.pipeline.enrich.entities import load_pipeline, mentions_of
from broadsheet.pipeline.enrich.figures import find_figures
from broadsheet.pipeline.enrich.language import MIN_CONFIDENCE, MIN_GUESS, detect_language
from broadsheet.pipeline.enrich.quotes import find_quotes

__all__ = ["SPACY_BATCH", "enrich"]

# Entities are read from articles in these languages (what the loaded spaCy pipeline knows).
NER_LANGUAGES = frozenset({"en"})
# Texts per spaCy batch. spaCy's memory grows with the longest text of a batch times the batch:
# over the 332 English bodies of ``bench/real_pages.py`` (median 3,800 characters, longest
# 46,000) the peak was 1,155 MB at 32, 776 at 16, 560 at 8, 445 at 4 and 387 at 1, for 48.4,
# 49.4, 49.9, 50.6 and 52.5 s. Eight halves the peak for 3% of the time.
SPACY_BATCH = 8


def _language(draft: ArticleDraft, forced: str | None) -> ArticleDraft:
    code, confidence = detect_language(f"{draft.title}\n\n{draft.body}")
    if forced:
        # The user said which language this is; keep it, and what the detector thinks of it.
        return dataclasses.replace(
            draft, language=forced, language_confidence=confidence if code == forced else None
        )
    if code is None or confidence is None:
        return draft
    if draft.language and draft.language.split("-")[0].lower() == code:
        return dataclasses.replace(draft, language_confidence=confidence)
    # What the page or feed declared is often the site's default, not the article's language:
    # a confident detector overrides it; with nothing declared a fair guess is better than none.
    if confidence >= (MIN_CONFIDENCE if draft.language else MIN_GUESS):
        return dataclasses.replace(draft, language=code, language_confidence=confidence)
    return draft


def enrich(
    drafts: Sequence[ArticleDraft],
    *,
    spacy_model: str | None = None,
    forced_languages: Sequence[str | None] | None = None,
) -> list[ArticleDraft]:
    """Language, entity mentions, quotes, figures and dates for each draft, in order.

    ``forced_languages`` holds, per draft, the language the user declared for its input (which
    the detector does not override). The rest is read only in English articles (or those of
    unknown language), since the pipeline and the rules are English ones. Raises what spaCy
    raises; the caller quarantines.
    """
    forced = forced_languages or [None] * len(drafts)
    out = [_language(draft, lang) for draft, lang in zip(drafts, forced, strict=True)]
    wanted = [
        i
        for i, draft in enumerate(out)
        if draft.paragraphs
        and (draft.language is None or draft.language.split("-")[0].lower() in NER_LANGUAGES)
    ]
    if not wanted:
        return out
    nlp = load_pipeline(spacy_model)
    docs = nlp.pipe((out[i].body for i in wanted), batch_size=SPACY_BATCH)
    for i, doc in zip(wanted, docs, strict=True):
        draft = out[i]
        mentions = mentions_of(doc)
        out[i] = dataclasses.replace(
            draft,
            mentions=mentions,
            quotes=find_quotes(doc, mentions),
            figures=find_figures(doc),
            dates=find_dates(doc, draft.published_at, guessed=draft.published_at_guessed),
        )
    return out
