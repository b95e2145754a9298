"""Which language an article is written in: py3langid, whose model ships inside the package.

The detector's probabilities are normalised over its 97 languages, so ``confidence`` reads as a
probability. Short texts (a headline, a teaser of a few words) are too little to judge: below
``MIN_WORDS`` words the answer is ``(None, None)`` and the language the input declared stands.
"""

from __future__ import annotations

import re
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

__all__ = ["MIN_CONFIDENCE", "MIN_GUESS", "MIN_WORDS", "detect_language"]

MIN_WORDS = 8
# Below this the detector's guess does not override what the input declared...
MIN_CONFIDENCE = 0.8
# ...and below this it is not recorded even when the input declared nothing.
MIN_GUESS = 0.5
# Enough text to decide; more only costs time (the model is linear in the input's n-grams).
_MAX_CHARS = 4_000
_WORD = re.compile(r"\w+")


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str | None, float | None]:
    """The ISO 639-1 code of ``text``'s language and the detector's probability for it.

    Returns ``(None, None)`` for texts under ``MIN_WORDS`` words.
    """
    sample = text[:_MAX_CHARS]
    if len(_WORD.findall(sample)) < MIN_WORDS:
        return None, None
    code, probability = _identifier().classify(sample)
    return str(code), round(float(probability), 4)
