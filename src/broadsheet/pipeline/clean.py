"""Cleaning stage: keep the article, drop the page furniture, normalise the text.

Two kinds of input reach it. Text an extractor already chose (HTML through trafilatura, feed
content) is normalised: Unicode NFC, whitespace folded, zero-width characters removed, empty
paragraphs and exact repeats dropped. Scraped text (``.txt`` files, the ``text`` of JSON Lines)
still carries the page's furniture, so each of its lines is first judged by the learned line
classifier (``data/cleaner_model.json``, trained by ``broadsheet train cleaner``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from broadsheet.errors import ConfigError, EmptyInput
from broadsheet.model import ArticleDraft, Removal, SourceLine
from broadsheet.pipeline.linefeatures import (
    FEATURE_NAMES,
    FEATURE_VERSION,
    ends_like_sentence,
    is_label_line,
    line_buckets,
    line_features,
    line_key,
)
from broadsheet.words import word_count

__all__ = [
    "RECURRING_MIN_PAGES",
    "STAGE2_RADIUS",
    "LexicalModel",
    "LineModel",
    "clean",
    "clean_lines",
    "default_line_model",
    "find_standfirst",
    "is_credit_line",
    "is_news_brief",
    "is_timestamp_line",
    "judge_lines",
    "normalize_space",
    "stage2_features",
    "template_candidates",
]

# A line this short that a page prints twice is a caption or teaser (150: two lines of caption
# text; article paragraphs repeated by a scraper glitch are longer and keep their first copy).
REPEATED_LINE_MAX_CHARS = 150
# "READ MORE: <headline>" runs to a headline's length; a longer "Label: text" line is prose.
LINK_LABEL_MAX_CHARS = 150
# A line on this many pages of one source is its template ("Story continues below
# advertisement"): three, because two pages of one outlet may share a sentence by quoting it.
RECURRING_MIN_PAGES = 3
# Only lines up to this long count as template: menus, promos and notices run 10-80
# characters; a repeated paragraph of prose is a follow-up quoting itself, not furniture.
TEMPLATE_LINE_MAX_CHARS = 120
# Texts of fewer lines are kept whole (see _clean_scraped).
MIN_CLASSIFIED_LINES = 3
# Stage two looks at the stage-one probabilities of the lines this far on either side.
STAGE2_RADIUS = 3

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


def clean(
    draft: ArticleDraft,
    *,
    model: LineModel | None = None,
    recurring: frozenset[str] = frozenset(),
) -> ArticleDraft:
    """Return ``draft`` with normalised title and paragraphs and its furniture removed.

    Scraped text (``draft.lines``) is judged line by line by ``model`` (default: the shipped
    one), its headline chosen, and every dropped line recorded in ``removed`` with the reason;
    lines whose ``line_key`` is in ``recurring`` (the source's page template) are dropped too.
    Guarantees: no empty paragraph, no paragraph repeated, none equal to the title (except a
    news brief, below), a non-empty title. Raises ``EmptyInput`` when no paragraph of text is left.

    A text that is only its headline is no article, unless that headline is a whole sentence
    (``is_news_brief``): wire services and feeds publish one-sentence briefs ("A bomb exploded
    Friday at a bank branch in Woodburn, Oregon, killing two officers.") whose title and text
    are the same, and a reader expects such a brief in its story. A short label or a menu line
    repeated as the text stays quarantined.
    """
    if draft.lines:
        short = len(draft.lines) < MIN_CLASSIFIED_LINES
        draft = _clean_scraped(draft, model or default_line_model(), recurring)
        if short and not draft.paragraphs and _only_title_repeated(draft):
            # A record or wire flash whose text is its headline: judged below as such.
            draft = dataclasses.replace(draft, paragraphs=(draft.title,), removed=())
    title = normalize_space(draft.title.replace("\n", " "))
    # A paragraph is one line: the store joins paragraphs with a blank line and splits on it.
    paragraphs: list[str] = []
    seen: set[str] = set()
    for raw_paragraph in draft.paragraphs:
        paragraph = normalize_space(raw_paragraph.replace("\n", " "))
        key = paragraph.casefold()
        if paragraph and key not in seen:
            paragraphs.append(paragraph)
            seen.add(key)
    only_headline = len(paragraphs) == 1 and paragraphs[0].casefold() == title.casefold()
    if only_headline and is_news_brief(paragraphs[0]):
        pass  # a one-sentence news brief: its headline is its text, and it is kept as such
    elif title and paragraphs and paragraphs[0].casefold() == title.casefold():
        paragraphs = paragraphs[1:]
    if not paragraphs:
        where = f" ({draft.locator})" if draft.locator else ""
        if only_headline:
            what = "only the headline"
        elif draft.removed:
            what = f"all {len(draft.removed)} lines were judged page furniture"
        else:
            what = "every line is empty"
        raise EmptyInput(f"no article text{where}: {what}")
    if not title:
        title = paragraphs[0]
    return dataclasses.replace(
        draft,
        title=_short_title(title),
        paragraphs=tuple(paragraphs),
        standfirst=_confirmed_standfirst(draft.standfirst, paragraphs),
    )


# A news brief is a sentence: at least this many words, ending with a full stop (or ! or ?).
NEWS_BRIEF_MIN_WORDS = 6


def _only_title_repeated(draft: ArticleDraft) -> bool:
    """Every line of a scraped text was dropped only for repeating the headline."""
    title = normalize_space(draft.title).casefold()
    return bool(draft.removed) and all(
        r.reason == "repeat" and normalize_space(r.text).casefold() == title for r in draft.removed
    )


def is_news_brief(text: str) -> bool:
    """Whether a headline-only text is a one-sentence news brief worth keeping as an article:
    a sentence of ``NEWS_BRIEF_MIN_WORDS`` words or more that ends like one, with lower-case
    words in it. Headlines, section labels and menus ("Home | World", "Skip to content",
    "BREAKING NEWS") do not end with a full stop, or are too short, or are all capitals."""
    return (
        word_count(text) >= NEWS_BRIEF_MIN_WORDS
        and ends_like_sentence(text)
        and any(ch.islower() for ch in text)
    )


# A standfirst runs one to three sentences; longer opening text is the story itself.
STANDFIRST_MAX_CHARS = 400
# A bullet summary: at most this many points, each starting with a bullet mark.
STANDFIRST_MAX_BULLETS = 6
_BULLET = re.compile(r"^[\u2022\u00b7\u25aa\u25cf\u2023\u2043*\u2013-]\s")


def find_standfirst(
    paragraphs: Sequence[str], *, description: str | None = None, title: str = ""
) -> str | None:
    """The standfirst among the opening paragraphs of an article, or ``None``.

    Two shapes, both followed by more text: a run of two or more bullet points ("• ..."), or an
    opening paragraph that is exactly the page's own summary (its description meta tag) rather
    than the start of the story. A first paragraph equal to ``title`` (the headline printed
    again) is passed over. Returned as the paragraphs joined by newlines.
    """
    texts = [text for text in map(normalize_space, paragraphs) if text]
    if texts and texts[0].casefold() == normalize_space(title).casefold():
        texts = texts[1:]
    bullets = 0
    while bullets < min(len(texts), STANDFIRST_MAX_BULLETS) and _BULLET.match(texts[bullets]):
        bullets += 1
    if bullets >= 2 and len(texts) > bullets:
        return "\n".join(texts[:bullets])
    if (
        description
        and len(texts) >= 2
        and len(texts[0]) <= STANDFIRST_MAX_CHARS
        and normalize_space(description).casefold() == texts[0].casefold()
    ):
        return texts[0]
    return None


def _confirmed_standfirst(candidate: str | None, paragraphs: Sequence[str]) -> str | None:
    """``candidate`` if it is still the opening paragraphs of the cleaned article (with text
    after it); else a bullet summary found in them; else ``None``."""
    if candidate:
        parts = [normalize_space(part) for part in candidate.split("\n")]
        if len(paragraphs) > len(parts) and list(paragraphs[: len(parts)]) == parts:
            return "\n".join(parts)
    return find_standfirst(paragraphs)


# Breadcrumbs and menus: "Home > World", "Subscribe | Log in", "News \u203a Europe".
_NAV_SEPARATOR = re.compile(r"\s(?:>|\u203a|\u00bb|\||/)\s")
# Headlines run 5-15 words; section labels and "Skip to content" run 1-3.
_MIN_HEADLINE_WORDS = 4
# The headline of a scraped page comes before its body starts, within its first dozen lines.
_HEADLINE_SEARCH_LINES = 12


def _is_headline_like(line: str, source: str | None) -> bool:
    if source and line.casefold() == source.casefold():
        return False
    if _NAV_SEPARATOR.search(line):
        return False
    return word_count(line) >= _MIN_HEADLINE_WORDS


def _headline_index(texts: Sequence[str], first_body: int, source: str | None) -> int | None:
    """The headline of a scraped page: the first headline-like line near the top.

    Pages open with the site name, "Skip to content", menus and breadcrumbs, none of which looks
    like a headline; bylines and datelines follow the headline, so the first candidate wins.
    """
    limit = min(max(first_body + 1, 1), _HEADLINE_SEARCH_LINES, len(texts))
    for index in range(limit):
        if _is_headline_like(texts[index], source) and len(texts[index]) <= MAX_TITLE_CHARS:
            return index
    return None


def template_candidates(lines: Sequence[SourceLine]) -> frozenset[str]:
    """Keys of the lines of a page that could be template: short, and not sentences.

    Prose is left out: a follow-up story may repeat a paragraph of the first, and an outlet's
    stories share sentences ("The company did not respond to a request for comment.").
    """
    return frozenset(line_key(line.text) for line in lines if _is_template_shaped(line.text))


def _is_template_shaped(text: str) -> bool:
    # Not a sentence: "He declined to comment." recurs across an outlet's stories as prose.
    return len(text) <= TEMPLATE_LINE_MAX_CHARS and not ends_like_sentence(text)


def _clean_scraped(
    draft: ArticleDraft, model: LineModel, recurring: frozenset[str]
) -> ArticleDraft:
    lines = draft.lines
    texts = [normalize_space(line.text) for line in lines]
    # A text this short has no page around it to tell furniture from (a wire flash, a
    # one-paragraph JSON record): the model, trained on whole pages, would only guess.
    template_possible = len(lines) >= MIN_CLASSIFIED_LINES
    probabilities = model.probabilities(texts) if template_possible else np.ones(len(lines))
    body = [float(p) >= model.threshold for p in probabilities]
    first_body = next((i for i, keep in enumerate(body) if keep), len(lines))
    # A record that names its title (JSON Lines) keeps it; a scraped page's is found here.
    headline = None if draft.title else _headline_index(texts, first_body, draft.source_name)
    title = texts[headline] if headline is not None else draft.title
    fixed: dict[int, str] = {}
    if headline is not None:
        fixed[headline] = "headline"
    if template_possible:
        for index, text in enumerate(texts):
            if _is_template_shaped(text) and line_key(text) in recurring:
                # The source prints this line on many pages: its template, not this story.
                fixed.setdefault(index, "template")
    reasons = judge_lines(texts, body, fixed=fixed, title=title)
    paragraphs: list[str] = []
    removed: list[Removal] = []
    for index, (line, text, reason) in enumerate(zip(lines, texts, reasons, strict=True)):
        if reason is None:
            paragraphs.append(text)
        else:
            score = round(float(probabilities[index]), 3)
            removed.append(Removal(text, reason, line.start, line.end, score))
    return dataclasses.replace(
        draft,
        title=title,
        paragraphs=tuple(paragraphs),
        removed=tuple(removed),
        lines=(),
        template_keys=template_candidates(lines),
        standfirst=_scraped_standfirst(texts, reasons),
    )


# Lines of furniture (byline, date, share buttons, a photo) that set a standfirst off the body.
STANDFIRST_MIN_GAP = 3
STANDFIRST_MAX_LINES = 3


def _scraped_standfirst(texts: Sequence[str], reasons: Sequence[str | None]) -> str | None:
    """The opening kept lines of a scraped page when the page's header separates them from the
    body: one to three short lines, then a run of removed lines (byline, date, share buttons),
    then the story. Mid-story furniture ("Advertisement") is one or two lines, not three."""
    kept = [index for index, reason in enumerate(reasons) if reason is None]
    run = 1
    while run < len(kept) and kept[run] == kept[run - 1] + 1:
        run += 1
    if run > STANDFIRST_MAX_LINES or len(kept) - run < 2:
        return None
    if kept[run] - kept[run - 1] - 1 < STANDFIRST_MIN_GAP:
        return None
    opening = [texts[index] for index in kept[:run]]
    if any(len(text) > STANDFIRST_MAX_CHARS for text in opening):
        return None
    return "\n".join(opening)


def judge_lines(
    texts: Sequence[str],
    body: Sequence[bool],
    *,
    fixed: Mapping[int, str] | None = None,
    title: str = "",
) -> list[str | None]:
    """Why each line of a scraped page is dropped, or ``None`` for a line of the article.

    ``body`` is the classifier's verdict per line; ``fixed`` holds reasons already decided
    (headline, template). On top of the classifier, rules on the shape of a line and its
    neighbours: repeats, "READ MORE:"-style labels, datelines around the body, and the caption
    beside a photo credit. Texts are expected normalised (``normalize_space``).
    """
    fixed = fixed or {}
    title_key = title.casefold()
    occurrences = Counter(text.casefold() for text in texts)
    first, last = _body_span(texts, body)
    reasons: list[str | None] = []
    seen: set[str] = set()
    for index, text in enumerate(texts):
        key = text.casefold()
        reason: str | None
        if index in fixed:
            reason = fixed[index]
        elif not body[index]:
            reason = "furniture"
        elif key in seen or key == title_key:
            reason = "repeat"
        elif occurrences[key] > 1 and len(text) <= REPEATED_LINE_MAX_CHARS:
            # A short line printed twice on one page is a caption or a teaser, not prose.
            reason = "repeat"
        elif (
            is_label_line(text)
            and len(text) <= LINK_LABEL_MAX_CHARS
            and not _in_label_list(texts, index)
        ):
            # "READ MORE: ...", "Watch: ..." between paragraphs: the model weighs the prose
            # around such a line; its shape alone says it links elsewhere. A run of such lines
            # is a list of facts ("Referee: ...", "Duration: ..."), not links.
            reason = "link-label"
        elif is_timestamp_line(text) and (
            not first <= index <= last or not _between_body(body, index)
        ):
            # "Published November 17, 2026 at 7:20 a.m." above the story, "Updated 6:02pm"
            # among the bylines: outside the prose, or beside a line of furniture.
            reason = "dateline"
        elif _follows_credit(texts, body, index) and _is_caption_shaped(text):
            reason = "caption"
        else:
            reason = None
            seen.add(key)
        reasons.append(reason)
    return reasons


# A dateline: at most this many words, and at least this share of them numbers.
_DATELINE_MAX_WORDS = 10
_DATELINE_MIN_NUMBER_SHARE = 0.3
# A clock time: "7:20", "5:45pm", "3 p.m." (a date alone, "02.11.2022", is a list's as often).
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b|\b\d{1,2}(?:[.:]\d{2})?\s?[ap]\.?m\b", re.IGNORECASE)
_WORD = re.compile(r"\w+")
# A body line that marks where the article runs: one full sentence of prose or more.
_BODY_LINE_CHARS = 80
# A caption: one sentence or a phrase, up to two lines of caption text.
_CAPTION_MAX_CHARS = REPEATED_LINE_MAX_CHARS
_CAPTION_MIN_WORDS = 4
# A credit names a photographer or agency: a few capitalised words after the label.
_CREDIT_MAX_WORDS = 5
_SENTENCE_BREAK = re.compile(r"[.!?]\s+\S")
_QUOTE_CHARS = frozenset('"\u201c\u201d\u00ab\u00bb\u201e')


def is_timestamp_line(text: str) -> bool:
    """A short line that is mostly a date and time: "18 November 2026 • 5:45pm", "Published
    November 17, 2026 at 7:20 a.m.". Needs a clock time, and numbers for a third of its
    words."""
    words = _WORD.findall(text)
    if not words or len(words) > _DATELINE_MAX_WORDS or not _CLOCK.search(text):
        return False
    numbers = sum(1 for word in words if any(c.isdigit() for c in word))
    return numbers / len(words) >= _DATELINE_MIN_NUMBER_SHARE


def is_credit_line(text: str) -> bool:
    """A photo or video credit: "Photo: Jonas Ek/Meridian Wire". A label line whose text after
    the colon is a few capitalised words (names, an agency), not a headline."""
    if not is_label_line(text):
        return False
    rest = text.split(":", 1)[1]
    words = _WORD.findall(rest)
    return 0 < len(words) <= _CREDIT_MAX_WORDS and all(word[0].isupper() for word in words)


def _is_caption_shaped(text: str) -> bool:
    return (
        len(text) <= _CAPTION_MAX_CHARS
        and word_count(text) >= _CAPTION_MIN_WORDS
        and not _SENTENCE_BREAK.search(text)
        and not any(c in _QUOTE_CHARS for c in text)
    )


def _follows_credit(texts: Sequence[str], body: Sequence[bool], index: int) -> bool:
    """The line comes right after a photo credit that itself follows page furniture.

    A caption sits on one side of its credit. When the line before the credit is furniture
    (share buttons, a counter), the caption is the line after; when it is prose, or shaped like
    a caption itself, the line after the credit is the story going on.
    """
    if index < 1 or not is_credit_line(texts[index - 1]):
        return False
    if index + 1 < len(texts) and is_credit_line(texts[index + 1]):
        return False  # between two credits: the caption of the next one, or a byline
    if index < 2:
        return True
    return not body[index - 2] and not _is_caption_shaped(texts[index - 2])


def _in_label_list(texts: Sequence[str], index: int) -> bool:
    """A neighbour of the line is also a "Label: text" line."""
    return any(
        0 <= other < len(texts) and is_label_line(texts[other]) for other in (index - 1, index + 1)
    )


def _between_body(body: Sequence[bool], index: int) -> bool:
    """Both neighbours of the line are article text (a page's edge counts as not)."""
    return 0 < index < len(body) - 1 and body[index - 1] and body[index + 1]


def _body_span(texts: Sequence[str], body: Sequence[bool]) -> tuple[int, int]:
    """First and last line of the article's prose: kept lines of a full sentence or more."""
    prose = [
        index
        for index, (text, keep) in enumerate(zip(texts, body, strict=True))
        if keep and len(text) >= _BODY_LINE_CHARS and ends_like_sentence(text)
    ]
    return (prose[0], prose[-1]) if prose else (0, len(texts) - 1)


# --- the line classifier -------------------------------------------------------------------------


def stage2_features(
    features: npt.NDArray[np.float64], first: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Stage-two input: a line's features plus what stage one thought of the lines around it.

    The window of neighbouring probabilities, their mean over a wider window, whether the line
    lies between the first and last confident body line, and the length of the run of likely
    body lines it belongs to: article text comes in one stretch, furniture around it.
    """
    n = len(first)
    if n == 0:
        return np.zeros((0, features.shape[1] + 2 * STAGE2_RADIUS + 5))
    padded = np.concatenate([np.full(STAGE2_RADIUS, 0.5), first, np.full(STAGE2_RADIUS, 0.5)])
    window = np.column_stack(
        [
            padded[STAGE2_RADIUS + offset : STAGE2_RADIUS + offset + n]
            for offset in range(-STAGE2_RADIUS, STAGE2_RADIUS + 1)
        ]
    )
    wide = np.convolve(
        np.concatenate([np.zeros(10), first, np.zeros(10)]), np.ones(21), mode="valid"
    ) / np.convolve(np.concatenate([np.zeros(10), np.ones(n), np.zeros(10)]), np.ones(21), "valid")
    likely = first >= 0.5
    confident = np.flatnonzero(first >= 0.8)
    index = np.arange(n)
    inside = (
        (index >= confident[0]) & (index <= confident[-1])
        if len(confident)
        else np.zeros(n, dtype=bool)
    )
    run = np.zeros(n)
    start = 0
    while start < n:
        end = start
        while end < n and likely[end] == likely[start]:
            end += 1
        if likely[start]:
            run[start:end] = end - start
        start = end
    return np.hstack(
        [
            features,
            window,
            window.mean(axis=1, keepdims=True),
            wide[:, None],
            inside[:, None].astype(np.float64),
            np.log1p(run)[:, None],
            (np.cumsum(likely) / max(int(likely.sum()), 1))[:, None],
        ]
    )


@dataclass(frozen=True, slots=True)
class _Trees:
    """A boosted ensemble of regression trees, laid out for all lines x all trees at once.

    Every tree's nodes sit in one array, renumbered so that the two children of a node are
    adjacent: a line at ``node`` moves to ``child[node]`` if its feature is ``<= threshold[node]``
    and to ``child[node] + 1`` otherwise. A leaf has a NaN threshold (no comparison holds) and
    ``child = itself - 1``, so it stays put. Trees are walked deepest first, so that at each
    level only the trees that still have one are stepped (``active``).
    """

    init: float
    rate: float
    roots: npt.NDArray[np.int64]  # root of each tree, deepest tree first
    order: npt.NDArray[np.int64]  # model's tree number of each walked column
    active: tuple[int, ...]  # trees with a level below level k: the first active[k]
    child: npt.NDArray[np.int64]
    feature: npt.NDArray[np.int64]
    threshold: npt.NDArray[np.float64]
    value: npt.NDArray[np.float64]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Trees:
        trees = data["trees"]
        depths = [_tree_depth(tree["left"], tree["right"]) for tree in trees]
        order = sorted(range(len(trees)), key=lambda t: -depths[t])
        roots: list[int] = []
        child: list[int] = []
        feature: list[int] = []
        threshold: list[float] = []
        value: list[float] = []
        for t in order:
            tree = trees[t]
            left, right = tree["left"], tree["right"]
            offset = len(child)
            roots.append(offset)
            # Breadth first: each node's children get the next two free numbers.
            nodes = [0]
            number = {0: 0}
            for node in nodes:  # grows while walked
                if left[node] != -1:
                    number[left[node]] = len(number)
                    number[right[node]] = len(number)
                    nodes += [left[node], right[node]]
            for node in nodes:
                leaf = left[node] == -1
                child.append(offset + (number[node] - 1 if leaf else number[left[node]]))
                feature.append(0 if leaf else int(tree["feature"][node]))
                threshold.append(math.nan if leaf else float(tree["threshold"][node]))
                value.append(float(tree["value"][node]))
        deepest = max(depths, default=0)
        return cls(
            init=float(data["init"]),
            rate=float(data["learning_rate"]),
            roots=np.asarray(roots, dtype=np.int64),
            order=np.asarray(order, dtype=np.int64),
            active=tuple(sum(1 for d in depths if d > level) for level in range(deepest)),
            child=np.asarray(child, dtype=np.int64),
            feature=np.asarray(feature, dtype=np.int64),
            threshold=np.asarray(threshold, dtype=np.float64),
            value=np.asarray(value, dtype=np.float64),
        )

    def probability(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """P(body) for each row of ``x``: every line through every tree, one level at a time."""
        n, width = x.shape
        flat = np.ascontiguousarray(x, dtype=np.float64).ravel()
        row_start = (np.arange(n, dtype=np.int64) * width)[:, None]
        node = np.tile(self.roots, (n, 1))
        for count in self.active:
            at = node[:, :count]
            goes_right = ~(flat[row_start + self.feature[at]] <= self.threshold[at])
            node[:, :count] = self.child[at] + goes_right
        leaf_values = np.empty((n, len(self.roots)), dtype=np.float64)
        leaf_values[:, self.order] = self.value[node]
        # Trees are added in the model's order, one after the other, as the model defines the
        # sum: a running sum (accumulate is sequential), never a pairwise one, so the scores do
        # not depend on how the work is laid out.
        terms = np.empty((len(self.roots) + 1, n), dtype=np.float64)
        terms[0] = self.init
        terms[1:] = self.rate * leaf_values.T
        raw = np.add.accumulate(terms, axis=0)[-1]
        return np.asarray(1.0 / (1.0 + np.exp(-raw)), dtype=np.float64)


def _tree_depth(left: Sequence[int], right: Sequence[int]) -> int:
    """Edges on the longest path from the root (node 0) to a leaf."""
    depth = 0
    stack = [(0, 0)]
    while stack:
        node, level = stack.pop()
        if left[node] == -1:
            depth = max(depth, level)
        else:
            stack.extend(((int(left[node]), level + 1), (int(right[node]), level + 1)))
    return depth


@dataclass(frozen=True, slots=True)
class LexicalModel:
    """A linear model over the hashed words of a line (``line_buckets``): log-odds of body.

    A line's buckets each count ``1 / sqrt(k)`` for its ``k`` distinct buckets, so a long
    paragraph does not outvote a short line by its length alone.
    """

    bits: int
    bias: float
    weights: npt.NDArray[np.float64]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LexicalModel:
        weights = np.asarray(data["weights"], dtype=np.float64)
        if len(weights) != 1 << int(data["bits"]):
            raise ConfigError("lexical model: weights do not match its bucket count")
        return cls(bits=int(data["bits"]), bias=float(data["bias"]), weights=weights)

    def scores(self, lines: Sequence[str]) -> npt.NDArray[np.float64]:
        """The log-odds of each line; a line without words gets the bias alone."""
        out = np.full(len(lines), self.bias)
        for index, line in enumerate(lines):
            buckets = line_buckets(line, self.bits)
            if buckets:
                out[index] += float(self.weights[buckets].sum()) / math.sqrt(len(buckets))
        return out


@dataclass(frozen=True, slots=True)
class LineModel:
    """The two-stage line classifier: probability that each line is article text.

    Without a ``lexical`` model the lexical features are zero (a model trained without one).
    """

    stage1: _Trees
    stage2: _Trees
    threshold: float
    lexical: LexicalModel | None = None

    @classmethod
    def load(cls, path: Path) -> LineModel:
        """Read a model file; raises ``ConfigError`` if it is missing or of another version."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read line model {path}: {exc}") from exc
        if (
            data.get("feature_version") != FEATURE_VERSION
            or tuple(data["features"]) != FEATURE_NAMES
        ):
            raise ConfigError(
                f"line model {path} was trained on other features: run `broadsheet train cleaner`"
            )
        if data.get("stage2_radius") != STAGE2_RADIUS:
            raise ConfigError(f"line model {path} has another stage-2 radius: retrain it")
        lexical = data.get("lexical")
        return cls(
            stage1=_Trees.from_json(data["stage1"]),
            stage2=_Trees.from_json(data["stage2"]),
            threshold=float(data["threshold"]),
            lexical=LexicalModel.from_json(lexical) if lexical else None,
        )

    def probabilities(self, lines: Sequence[str]) -> npt.NDArray[np.float64]:
        if not lines:
            return np.zeros(0)
        lexical = self.lexical.scores(lines) if self.lexical is not None else None
        features = line_features(lines, lexical)
        first = self.stage1.probability(features)
        return self.stage2.probability(stage2_features(features, first))


MODEL_FILE = "cleaner_model.json"


@functools.cache
def default_line_model() -> LineModel:
    """The model shipped in ``broadsheet/data`` (loaded once per process)."""
    with resources.as_file(resources.files("broadsheet") / "data" / MODEL_FILE) as path:
        return LineModel.load(Path(path))


def clean_lines(lines: Sequence[str], *, model: LineModel | None = None) -> list[str]:
    """The lines of a scraped page the classifier keeps as article text, repeats dropped."""
    model = model or default_line_model()
    texts = [normalize_space(line) for line in lines]
    body = [
        bool(text) and float(p) >= model.threshold
        for text, p in zip(texts, model.probabilities(texts), strict=True)
    ]
    reasons = judge_lines(texts, body)
    return [line for line, reason in zip(lines, reasons, strict=True) if reason is None]
