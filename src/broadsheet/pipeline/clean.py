"""Cleaning stage: normalise the text of an article and drop what is empty or repeated.

This is the foundation version: Unicode NFC, whitespace folded, zero-width characters removed,
empty paragraphs dropped and a paragraph that merely repeats the headline dropped. Boilerplate
line classification is a later, learned layer over the same function.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from broadsheet.errors import EmptyInput
from broadsheet.model import ArticleDraft

__all__ = ["clean", "normalize_space"]

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"[^\S\n]+")

# Headlines longer than this are cut at a word boundary: some inputs carry a whole paragraph in
# the title field. 300 characters is over twice the longest headline in the demo and eval sets.
MAX_TITLE_CHARS = 300


def normalize_space(text: str) -> str:
    """NFC, no zero-width or soft-hyphen characters, runs of spaces (incl. NBSP) as one space."""
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)
    return _SPACES.sub(" ", text).strip()


def _short_title(text: str) -> str:
    if len(text) <= MAX_TITLE_CHARS:
        return text
    cut = text[:MAX_TITLE_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def clean(draft: ArticleDraft) -> ArticleDraft:
    """Return ``draft`` with normalised title and paragraphs.

    Guarantees: no empty paragraph, no paragraph equal to the title, a non-empty title (the first
    paragraph's opening stands in when the input has none). Raises ``EmptyInput`` when no
    paragraph of text is left.
    """
    title = normalize_space(draft.title.replace("\n", " "))
    # A paragraph is one line: the store joins paragraphs with a blank line and splits on it.
    paragraphs = [p for p in (normalize_space(p.replace("\n", " ")) for p in draft.paragraphs) if p]
    only_headline = len(paragraphs) == 1 and paragraphs[0].casefold() == title.casefold()
    if title and paragraphs and paragraphs[0].casefold() == title.casefold():
        paragraphs = paragraphs[1:]
    if not paragraphs:
        where = f" ({draft.locator})" if draft.locator else ""
        what = "only the headline" if only_headline else "every line is empty"
        raise EmptyInput(f"no article text{where}: {what}")
    if not title:
        title = paragraphs[0]
    return dataclasses.replace(draft, title=_short_title(title), paragraphs=tuple(paragraphs))
