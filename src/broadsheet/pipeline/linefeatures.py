"""Features of scraped-text lines for the boilerplate classifier.

Each line is described by its own shape (length, punctuation, capitals, digits, link-like text)
and by its neighbourhood (how long and how sentence-like the lines around it are, where it sits
in the page, whether the same text occurs elsewhere in the page). Nothing here knows a word of
any language or any site: the classifier must learn furniture from shape and context alone.

The one feature that reads the words is the lexical score: a linear model over hashed words
and word pairs of the line (``line_buckets``), fitted on the training pages, so that the
vocabulary of furniture ("share", "subscribe", "advertisement", in whatever language the pages
use) is learned from labelled data rather than written down as a list.

Changing a feature changes the model's input: retrain (``broadsheet train cleaner``) after any
edit, and bump ``FEATURE_VERSION`` so an old model file is refused instead of misread.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import zlib
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "FEATURE_NAMES",
    "FEATURE_VERSION",
    "LEXICAL_BITS",
    "ends_like_sentence",
    "is_label_line",
    "line_buckets",
    "line_features",
    "line_key",
    "normalize_line",
]

FEATURE_VERSION = 5

_WORD = re.compile(r"\w+")
_URLISH = re.compile(r"https?://|www\.|\.(?:com|org|net|html?)\b|@\w+\.\w+")
_SENTENCE_END = re.compile(r"""[.!?\u2026]["'\u201d\u2019\u00bb)\]]*$""")
_TIME_OR_COUNTER = re.compile(r"^[\d\s:./,+()-]+$")
_SEPARATORS = re.compile(r"\s[|>\u203a\u00bb\u2022\u00b7/]\s")
_SPACE = re.compile(r"\s+")
# "READ MORE: <headline>", "Watch: <video title>", "Photo: <credit>": a short label, a colon.
_LABEL_PREFIX = re.compile(r"^\W{0,3}\w+(?:[ -]\w+){0,2}\s?:\s+\S")
_QUOTES = frozenset('"\u201c\u201d\u00ab\u00bb\u201e')
_DIGIT = re.compile(r"\d")
# The lexical model hashes words into 2**14 buckets: room for the furniture vocabulary of a
# thousand training pages (collisions among rare words cost little), and 16,384 weights keep
# the model file small.
LEXICAL_BITS = 14

# (name, description) in the order of the feature vector.
_OWN = (
    ("log_chars", "log(1 + characters)"),
    ("log_words", "log(1 + words)"),
    ("sentence_end", "ends like a sentence (. ! ? with closing quotes)"),
    ("punct_ratio", "punctuation characters per character"),
    ("commas_per_word", "commas per word"),
    ("title_case_ratio", "share of words starting with a capital"),
    ("upper_ratio", "share of letters in upper case"),
    ("digit_ratio", "share of characters that are digits"),
    ("short_word_ratio", "share of words of 1-3 letters (function words, in most languages)"),
    ("mean_word_len", "mean word length"),
    ("urlish", "contains a URL, domain or e-mail"),
    ("separators", "contains menu separators (| > / •) between words"),
    ("colon_end", "ends with a colon"),
    ("counter", "only digits, times or counters (02:13, 27, 1/5)"),
    ("quote_chars", "contains quotation marks"),
    ("repeats_in_page", "log(1 + other lines with the same text)"),
    ("label_prefix", "a 1-3 word label and a colon before text that is no sentence (Watch: ...)"),
)
_CONTEXT = (
    ("rel_position", "position in the page, 0 first line to 1 last"),
    ("chars_before_share", "share of the page's characters before this line"),
    ("prev_log_chars", "log length of the previous line"),
    ("next_log_chars", "log length of the next line"),
    ("win2_mean_log_chars", "mean log length of lines within 2"),
    ("win5_mean_log_chars", "mean log length of lines within 5"),
    ("win2_sentence_share", "share of sentence-like lines within 2"),
    ("win5_sentence_share", "share of sentence-like lines within 5"),
    ("win5_long_lines", "lines of 80+ characters within 5"),
    ("dist_to_longest", "distance in lines to the page's longest line, scaled by page length"),
    ("in_main_block", "inside the longest run of sentence-like lines"),
    ("log_page_lines", "log(1 + lines in the page)"),
    ("next_is_label", 'the next line is a label line (a caption above "Photo: ...")'),
    ("prev_is_label", "the previous line is a label line"),
)
_LEXICAL = (
    ("lexical", "the lexical model's log-odds that the line's words are article text"),
    ("prev_lexical", "the lexical score of the previous line"),
    ("next_lexical", "the lexical score of the next line"),
    ("win2_mean_lexical", "mean lexical score of lines within 2"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(name for name, _ in _OWN + _CONTEXT + _LEXICAL)

# "Long" line: 80 characters is about one full sentence of news prose.
_LONG_LINE_CHARS = 80


def ends_like_sentence(text: str) -> bool:
    """Ends with . ! ? or an ellipsis, closing quotes or brackets allowed after it."""
    return bool(_SENTENCE_END.search(text))


def is_label_line(text: str) -> bool:
    """A short label, a colon, and no sentence after it: "READ MORE: <headline>", "Watch:
    <video>", "Photo: <credit>". In scraped news these are links and credits, not prose."""
    return bool(_LABEL_PREFIX.match(text)) and not _SENTENCE_END.search(text)


def normalize_line(text: str) -> str:
    """Whitespace-folded, case-folded text: the key for "the same line" comparisons."""
    return _SPACE.sub(" ", text).strip().casefold()


def line_key(text: str) -> str:
    """A short, stable key for "the same line" across pages (stored per source)."""
    return hashlib.sha1(normalize_line(text).encode("utf-8"), usedforsecurity=False).hexdigest()[
        :16
    ]


def line_buckets(text: str, bits: int = LEXICAL_BITS) -> list[int]:
    """The hashed vocabulary of a line for the lexical model: sorted distinct bucket numbers.

    Words are case-folded with digits folded to 0 (a date is a shape, not a word); the line's
    words, its word pairs, and its first and last word on their own ("Share ...", "... more")
    are each hashed with CRC-32, which is stable across runs and platforms, unlike ``hash``.
    """
    words = [_DIGIT.sub("0", word) for word in _WORD.findall(text.casefold())]
    tokens = [f"w:{word}" for word in words]
    tokens += [f"b:{a} {b}" for a, b in itertools.pairwise(words)]
    if words:
        tokens += [f"f:{words[0]}", f"l:{words[-1]}"]
    mask = (1 << bits) - 1
    return sorted({zlib.crc32(token.encode("utf-8")) & mask for token in tokens})


def _own_features(text: str, repeats: int) -> list[float]:
    chars = len(text)
    words = _WORD.findall(text)
    n_words = len(words)
    # Counted with map over str methods: this runs on every line of every scraped page.
    letters = list(filter(str.isalpha, text))
    n_upper = sum(map(str.isupper, letters))
    # No character is both alphanumeric and a space, so the rest is punctuation and symbols.
    punct = chars - sum(map(str.isalnum, text)) - sum(map(str.isspace, text))
    return [
        math.log1p(chars),
        math.log1p(n_words),
        1.0 if _SENTENCE_END.search(text) else 0.0,
        punct / chars if chars else 0.0,
        text.count(",") / n_words if n_words else 0.0,
        sum(1 for w in words if w[0].isupper()) / n_words if n_words else 0.0,
        n_upper / len(letters) if letters else 0.0,
        sum(map(str.isdigit, text)) / chars if chars else 0.0,
        sum(1 for w in words if len(w) <= 3) / n_words if n_words else 0.0,
        sum(len(w) for w in words) / n_words if n_words else 0.0,
        1.0 if _URLISH.search(text) else 0.0,
        1.0 if _SEPARATORS.search(text) else 0.0,
        1.0 if text.rstrip().endswith(":") else 0.0,
        1.0 if _TIME_OR_COUNTER.match(text) else 0.0,
        1.0 if any(q in text for q in '"“”«»„') else 0.0,
        math.log1p(repeats),
        1.0 if is_label_line(text) else 0.0,
    ]


def _main_block(sentence_like: Sequence[bool], lengths: Sequence[float]) -> tuple[int, int]:
    """The run of lines with the most sentence-like text, allowing one short gap."""
    best = (0, 0)
    best_mass = 0.0
    start = None
    mass = 0.0
    gap = 0
    for i, is_sentence in enumerate(sentence_like):
        if is_sentence:
            if start is None:
                start, mass = i, 0.0
            mass += lengths[i]
            gap = 0
            if mass > best_mass:
                best, best_mass = (start, i + 1), mass
        elif start is not None:
            gap += 1
            if gap > 1:
                start, gap = None, 0
    return best


def line_features(
    lines: Sequence[str], lexical: npt.NDArray[np.float64] | None = None
) -> npt.NDArray[np.float64]:
    """A (len(lines), len(FEATURE_NAMES)) matrix of features for the lines of one page.

    ``lexical`` holds the lexical model's score of each line (``None``: no lexical model, all
    zero); the features add the neighbours' scores, since a line among furniture words is
    furniture more often than its own words say.
    """
    n = len(lines)
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)))
    keys = [normalize_line(line) for line in lines]
    counts = Counter(keys)
    own = np.array(
        [_own_features(line, counts[key] - 1) for line, key in zip(lines, keys, strict=True)]
    )
    log_chars = own[:, 0]
    sentence = own[:, 2]
    label = own[:, FEATURE_NAMES.index("label_prefix")]
    chars = np.array([len(line) for line in lines], dtype=np.float64)
    long_line = (chars >= _LONG_LINE_CHARS).astype(np.float64)
    sentence_like = [bool(s) and c >= 40 for s, c in zip(sentence, chars, strict=True)]
    block_start, block_end = _main_block(sentence_like, chars.tolist())
    longest = int(np.argmax(chars))
    total = float(chars.sum()) or 1.0
    before = np.concatenate([[0.0], np.cumsum(chars)[:-1]]) / total

    def window_mean(values: npt.NDArray[np.float64], radius: int) -> npt.NDArray[np.float64]:
        padded = np.concatenate([np.zeros(radius), values, np.zeros(radius)])
        ones = np.concatenate([np.zeros(radius), np.ones(n), np.zeros(radius)])
        kernel = np.ones(2 * radius + 1)
        sums = np.convolve(padded, kernel, mode="valid")
        counts_ = np.convolve(ones, kernel, mode="valid")
        return np.asarray(sums / np.maximum(counts_, 1.0), dtype=np.float64)

    def window_sum(values: npt.NDArray[np.float64], radius: int) -> npt.NDArray[np.float64]:
        padded = np.concatenate([np.zeros(radius), values, np.zeros(radius)])
        return np.asarray(np.convolve(padded, np.ones(2 * radius + 1), mode="valid"))

    index = np.arange(n, dtype=np.float64)
    context = np.column_stack(
        [
            index / max(n - 1, 1),
            before,
            np.concatenate([[0.0], log_chars[:-1]]),
            np.concatenate([log_chars[1:], [0.0]]),
            window_mean(log_chars, 2),
            window_mean(log_chars, 5),
            window_mean(sentence, 2),
            window_mean(sentence, 5),
            window_sum(long_line, 5),
            np.abs(index - longest) / n,
            ((index >= block_start) & (index < block_end)).astype(np.float64),
            np.full(n, math.log1p(n)),
            np.concatenate([label[1:], [0.0]]),
            np.concatenate([[0.0], label[:-1]]),
        ]
    )
    lex = np.zeros(n) if lexical is None else np.asarray(lexical, dtype=np.float64)
    lexical_columns = np.column_stack(
        [
            lex,
            np.concatenate([[0.0], lex[:-1]]),
            np.concatenate([lex[1:], [0.0]]),
            window_mean(lex, 2),
        ]
    )
    return np.hstack([own, context, lexical_columns])
