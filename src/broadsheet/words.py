"""Counting words in any script.

Several decisions are written as word counts: the shortest main text a page must have to be an
article, how long a feed summary may be and still be a teaser, how long a related-story link or
a headline is. Spaces separate words in most scripts, but not in Chinese or Japanese: a whole
paragraph of Chinese is one space-separated "word", so a rule written in words would refuse a
Chinese article as "an index or error page" and take any Chinese feed summary for a teaser.

``word_count`` counts a run of Han, Hiragana or Katakana characters as one word per
``CJK_CHARS_PER_WORD`` characters (rounded up), and everything else by whitespace. Two is the
thresholds' own unit: they were written in English words, and translation practice counts
about 1.5 to 2 Chinese characters (a little more in Japanese, with its kana endings) for one
English word. Korean separates its words with spaces and is counted like English.
"""

from __future__ import annotations

import re

__all__ = ["CJK_CHARS_PER_WORD", "word_count"]

CJK_CHARS_PER_WORD = 2

# Hiragana and Katakana (with the prolonged-sound mark), CJK Unified Ideographs and Extension A,
# Compatibility Ideographs, and the supplementary ideograph planes (Extensions B-F).
_CJK = re.compile(
    "[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+"
)
# Their punctuation (the ideographic full stop and comma, corner brackets) and the full-width
# forms of ASCII punctuation (comma, question mark, brackets) separate words as spaces do.
_CJK_PUNCTUATION = re.compile("[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]")


def word_count(text: str) -> int:
    """The number of words in ``text``, Chinese and Japanese included (see the module)."""
    runs = _CJK.findall(text)
    if not runs:
        return len(text.split())
    cjk = sum(-(-len(run) // CJK_CHARS_PER_WORD) for run in runs)
    rest = _CJK_PUNCTUATION.sub(" ", _CJK.sub(" ", text))
    return cjk + len(rest.split())
