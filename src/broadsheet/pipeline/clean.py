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
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
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
    line_features,
    line_key,
)

__all__ = [
    "RECURRING_MIN_PAGES",
    "STAGE2_RADIUS",
    "LineModel",
    "clean",
    "clean_lines",
    "default_line_model",
    "normalize_space",
    "stage2_features",
    "template_candidates",
]

# A line this short that a page prints twice is a caption or teaser (150: two lines of caption
# text; article paragraphs repeated by a scraper glitch are longer and keep their first copy).
REPEATED_LINE_MAX_CHARS = 150
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
    Guarantees: no empty paragraph, no paragraph repeated, none equal to the title, a non-empty
    title. Raises ``EmptyInput`` when no paragraph of text is left.
    """
    if draft.lines:
        draft = _clean_scraped(draft, model or default_line_model(), recurring)
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
    if title and paragraphs and paragraphs[0].casefold() == title.casefold():
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
    return dataclasses.replace(draft, title=_short_title(title), paragraphs=tuple(paragraphs))


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
    return len(line.split()) >= _MIN_HEADLINE_WORDS


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
    paragraphs: list[str] = []
    removed: list[Removal] = []
    seen: dict[str, int] = {}
    occurrences = Counter(text.casefold() for text in texts)
    for index, (line, text) in enumerate(zip(lines, texts, strict=True)):
        score = round(float(probabilities[index]), 3)
        key = text.casefold()
        if index == headline:
            reason = "headline"
        elif template_possible and _is_template_shaped(text) and line_key(text) in recurring:
            # The source prints this line on many pages: its template, not this story.
            reason = "template"
        elif not body[index]:
            reason = "furniture"
        elif key in seen or key == title.casefold():
            reason = "repeat"
        elif occurrences[key] > 1 and len(text) <= REPEATED_LINE_MAX_CHARS:
            # A short line printed twice on one page is a caption or a teaser, not prose.
            reason = "repeat"
        elif is_label_line(text):
            # "READ MORE: ...", "Watch: ..." between paragraphs: the model weighs the prose
            # around such a line; its shape alone says it links elsewhere.
            reason = "link-label"
        else:
            paragraphs.append(text)
            seen[key] = index
            continue
        removed.append(Removal(text, reason, line.start, line.end, score))
    return dataclasses.replace(
        draft,
        title=title,
        paragraphs=tuple(paragraphs),
        removed=tuple(removed),
        lines=(),
        template_keys=template_candidates(lines),
    )


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
    init: float
    rate: float
    left: list[npt.NDArray[np.int64]]
    right: list[npt.NDArray[np.int64]]
    feature: list[npt.NDArray[np.int64]]
    threshold: list[npt.NDArray[np.float64]]
    value: list[npt.NDArray[np.float64]]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Trees:
        trees = data["trees"]
        return cls(
            init=float(data["init"]),
            rate=float(data["learning_rate"]),
            left=[np.asarray(t["left"], dtype=np.int64) for t in trees],
            right=[np.asarray(t["right"], dtype=np.int64) for t in trees],
            feature=[np.asarray(t["feature"], dtype=np.int64) for t in trees],
            threshold=[np.asarray(t["threshold"], dtype=np.float64) for t in trees],
            value=[np.asarray(t["value"], dtype=np.float64) for t in trees],
        )

    def probability(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        rows = np.arange(len(x))
        raw = np.full(len(x), self.init)
        for left, right, feature, threshold, value in zip(
            self.left, self.right, self.feature, self.threshold, self.value, strict=True
        ):
            node = np.zeros(len(x), dtype=np.int64)
            while True:
                leaf = left[node] == -1
                if leaf.all():
                    break
                column = np.where(leaf, 0, feature[node])
                go_left = x[rows, column] <= threshold[node]
                node = np.where(leaf, node, np.where(go_left, left[node], right[node]))
            raw += self.rate * value[node]
        return np.asarray(1.0 / (1.0 + np.exp(-raw)), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class LineModel:
    """The two-stage line classifier: probability that each line is article text."""

    stage1: _Trees
    stage2: _Trees
    threshold: float

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
        return cls(
            stage1=_Trees.from_json(data["stage1"]),
            stage2=_Trees.from_json(data["stage2"]),
            threshold=float(data["threshold"]),
        )

    def probabilities(self, lines: Sequence[str]) -> npt.NDArray[np.float64]:
        if not lines:
            return np.zeros(0)
        features = line_features(lines)
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
    probabilities = model.probabilities(lines)
    kept: list[str] = []
    seen: set[str] = set()
    for line, probability in zip(lines, probabilities, strict=True):
        key = normalize_space(line).casefold()
        if probability >= model.threshold and key and key not in seen:
            kept.append(line)
            seen.add(key)
    return kept
