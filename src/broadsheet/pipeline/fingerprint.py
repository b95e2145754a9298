"""Fingerprints that recognise the same copy however it was typeset.

``content_hash`` identifies exact duplicates: two bodies with the same words in the same order,
whatever their case, punctuation, quote style or spacing, hash the same. Headlines are left out on
purpose, because outlets re-running wire copy nearly always write their own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from collections.abc import Sequence

from broadsheet.model import ArticleDraft

__all__ = ["content_hash", "fingerprint", "normalized_words"]

_WORD = re.compile(r"\w+")


def normalized_words(text: str) -> list[str]:
    """The words of ``text``: NFKC, case-folded, punctuation and spacing dropped."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def content_hash(paragraphs: Sequence[str]) -> str:
    """SHA-256 (hex) of the body's normalised words."""
    words = normalized_words("\n".join(paragraphs))
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def fingerprint(draft: ArticleDraft) -> ArticleDraft:
    """Return ``draft`` with its ``content_hash`` set."""
    return dataclasses.replace(draft, content_hash=content_hash(draft.paragraphs))
