"""Train the scraped-text line classifier (``broadsheet train cleaner``).

Data: trafilatura's evaluation pages (``extraction-trafilatura/documents.jsonl.gz``, 990 pages,
Apache-2.0), each rendered to scraped-text lines with ``render_lines``. Labels per line:

- gold, from the page's annotations: a line inside a must-keep snippet (or holding one) is body; a
  line holding a must-drop snippet is furniture. Weighted ``GOLD_WEIGHT``.
- silver, for the many lines no snippet covers: body when the line's text is in trafilatura's own
  extraction of the page, furniture otherwise. Weighted 1.

The Zyte pages (``extraction/``) are the test set and are never read here. One page in five
(chosen by a hash of its id, so reproducibly) is held out as a development split for the
decision threshold; the final model is then refitted on every page.

A lexical model comes first: logistic regression over the hashed words and word pairs of each
line (``line_buckets``), whose score is one of the tree model's features. Its scores for the
training pages are out of fold (each page scored by a model fitted without it), so the trees
learn how far to trust it on text it has not memorised.

The model is two stages of gradient-boosted trees (scikit-learn): the first sees each line's own
and neighbourhood features and the lexical scores; the second adds the first stage's
out-of-fold probabilities for the lines around it, so a line in a run of body text is pulled
towards body and an isolated one is not. All three are exported as plain arrays to JSON
(``data/cleaner_model.json``): inference needs only NumPy, and the file is reviewable and stable
across scikit-learn versions.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from broadsheet.errors import BroadsheetError
from broadsheet.evaluation.extraction import SnippetCounts, snippet_counts
from broadsheet.pipeline.clean import (
    STAGE2_RADIUS,
    LexicalModel,
    LineModel,
    _Trees,
    clean_lines,
    normalize_space,
    stage2_features,
)
from broadsheet.pipeline.decode import decode_text
from broadsheet.pipeline.linefeatures import (
    FEATURE_NAMES,
    FEATURE_VERSION,
    LEXICAL_BITS,
    line_buckets,
    line_features,
)
from broadsheet.pipeline.render import render_lines

__all__ = ["TrainingReport", "corpus_digest", "data_digest", "train_cleaner"]

logger = logging.getLogger(__name__)

DATASET = "extraction-trafilatura/documents.jsonl.gz"
GOLD_WEIGHT = 4.0
SEED = 20261123
DEV_SHARE_MODULO = 5  # one page in five held out for the threshold
_SPACE = re.compile(r"\s+")
# A rendered line this short ("Home", "Share") can sit inside any snippet by chance; it only
# takes a snippet's label when it equals the snippet.
_MIN_CONTAINED_CHARS = 25

TREE_PARAMS: dict[str, Any] = {
    "max_iter": 300,
    "learning_rate": 0.1,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "early_stopping": False,  # a validation split drawn at random would break reproducibility
    "random_state": SEED,
}

# Inverse L2 strength of the lexical model, and its out-of-fold split (pages by position).
LEXICAL_C = 1.0
LEXICAL_FOLDS = 5


@dataclass(frozen=True, slots=True)
class _Page:
    id: str
    lines: list[str]
    labels: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]
    gold: npt.NDArray[np.bool_]
    keep: tuple[str, ...]
    drop: tuple[str, ...]
    silver: str


@dataclass(frozen=True, slots=True)
class TrainingReport:
    pages: int
    lines: int
    gold_lines: int
    threshold: float
    dev: dict[str, Any]
    seconds: float
    path: Path


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _read_pages(eval_dir: Path) -> Iterator[tuple[str, str, bytes | str, list[str], list[str]]]:
    path = eval_dir / DATASET
    if not path.exists():
        raise BroadsheetError(f"training data not found: {path}")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            html: bytes | str = doc["html"]
            if doc.get("html_encoding") == "latin-1-bytes":
                html = doc["html"].encode("latin-1")
            yield doc["id"], doc.get("url") or "", html, doc["with"], doc["without"]


def _render_page(html: bytes | str) -> list[str] | None:
    """The page's scraped-text lines, or None for a page too short (or undecodable) to train on."""
    try:
        text = html if isinstance(html, str) else decode_text(html).text
    except BroadsheetError:
        return None
    lines = [line.text for line in render_lines(text)]
    return lines if len(lines) >= 3 else None


def _gold_labels(
    lines: Sequence[str], keep: Sequence[str], drop: Sequence[str]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Each line's label from the page's snippets (1 body, 0 furniture) and whether it has one:
    a line inside a must-keep snippet (or holding one) is body, one holding a must-drop snippet
    is furniture, and a line that matches both or neither has no gold label."""
    keep_n = [_norm(s) for s in keep if _norm(s)]
    drop_n = [_norm(s) for s in drop if _norm(s)]
    labels = np.zeros(len(lines))
    gold = np.zeros(len(lines), dtype=bool)
    for i, raw_line in enumerate(lines):
        line = _norm(raw_line)
        contained = len(line) >= _MIN_CONTAINED_CHARS
        is_keep = any(s in line or (contained and line in s) or s == line for s in keep_n)
        is_drop = any(s in line or (contained and line in s) or s == line for s in drop_n)
        if is_keep != is_drop:
            labels[i] = 1.0 if is_keep else 0.0
            gold[i] = True
    return labels, gold


def _label_page(
    page_id: str, html: bytes | str, keep: Sequence[str], drop: Sequence[str]
) -> _Page | None:
    import trafilatura  # training-only import; inference never needs it here

    lines = _render_page(html)
    if lines is None:
        return None
    silver = _norm(trafilatura.extract(html, include_comments=False) or "")
    labels, gold = _gold_labels(lines, keep, drop)
    weights = np.where(gold, GOLD_WEIGHT, 1.0)
    for i in np.flatnonzero(~gold):
        line = _norm(lines[i])
        labels[i] = 1.0 if (len(line) >= 15 and line in silver) or line == silver else 0.0
    return _Page(page_id, lines, labels, weights, gold, tuple(keep), tuple(drop), silver)


def data_digest(
    pages: Iterable[tuple[str, Sequence[str], npt.NDArray[np.float64], npt.NDArray[np.bool_]]],
) -> str:
    """A digest of what training reads of each page apart from trafilatura's silver labels: its
    id, its rendered lines and its gold labels. Stored with the model, so a test can tell when
    a change to decoding, rendering or labelling has made the shipped model one the training
    command would no longer write (``corpus_digest``)."""
    digest = hashlib.sha256()
    for page_id, lines, labels, gold in pages:
        marks = "".join(
            ("k" if label else "d") if g else "-" for label, g in zip(labels, gold, strict=True)
        )
        digest.update(json.dumps([page_id, list(lines), marks], ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def corpus_digest(eval_dir: Path) -> str:
    """``data_digest`` of the training pages as this code renders and labels them, without
    running trafilatura (seconds, not the minutes training takes)."""
    rows = []
    for page_id, _url, html, keep, drop in _read_pages(eval_dir):
        lines = _render_page(html)
        if lines is not None:
            rows.append((page_id, lines, *_gold_labels(lines, keep, drop)))
    return data_digest(rows)


def _is_dev(page_id: str) -> bool:
    digest = hashlib.sha256(page_id.encode("utf-8")).digest()
    return digest[0] % DEV_SHARE_MODULO == 0


def _short(value: float) -> float:
    return float(f"{float(value):.7g}")


def _export_trees(model: Any) -> dict[str, Any]:
    """A fitted HistGradientBoostingClassifier as arrays: prior log-odds and each tree.

    Leaf values already include the learning rate, so the exported rate is 1. Reads the fitted
    predictors' node table (``_predictors``); ``tests/training`` checks the export reproduces
    ``predict_proba`` so a scikit-learn change that breaks this is caught.
    """
    trees = []
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        trees.append(
            {
                "left": np.where(leaf, -1, nodes["left"].astype(np.int64)).tolist(),
                "right": np.where(leaf, -1, nodes["right"].astype(np.int64)).tolist(),
                "feature": np.where(leaf, 0, nodes["feature_idx"].astype(np.int64)).tolist(),
                # Thresholds exactly (they can equal a training value); leaf values to seven
                # digits, far below what moves a probability at the threshold.
                "threshold": [float(t) for t in nodes["num_threshold"]],
                "value": [_short(v) for v in nodes["value"]],
            }
        )
    return {
        "init": float(np.ravel(model._baseline_prediction)[0]),
        "learning_rate": 1.0,
        "trees": trees,
    }


def _fit(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], w: npt.NDArray[np.float64]) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**TREE_PARAMS).fit(x, y, sample_weight=w)


def _fit_lexical(pages: Sequence[_Page]) -> dict[str, Any]:
    """Logistic regression on the pages' hashed line vocabulary, exported as JSON arrays."""
    from scipy import sparse  # type: ignore[import-untyped]  # scikit-learn depends on it
    from sklearn.linear_model import LogisticRegression

    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    row = 0
    for page in pages:
        for line in page.lines:
            buckets = line_buckets(line, LEXICAL_BITS)
            if buckets:  # a line without words is a row of zeros
                rows += [row] * len(buckets)
                columns += buckets
                values += [1.0 / math.sqrt(len(buckets))] * len(buckets)
            row += 1
    x = sparse.csr_matrix((values, (rows, columns)), shape=(row, 1 << LEXICAL_BITS))
    fitted = LogisticRegression(
        C=LEXICAL_C, solver="liblinear", max_iter=2000, random_state=SEED
    ).fit(
        x,
        np.concatenate([p.labels for p in pages]),
        sample_weight=np.concatenate([p.weights for p in pages]),
    )
    return {
        "bits": LEXICAL_BITS,
        "bias": _short(fitted.intercept_[0]),
        # Five digits: a weight is one of tens of terms in a score the trees cut coarsely.
        "weights": [float(f"{w:.5g}") for w in fitted.coef_[0]],
    }


def _lexical_out_of_fold(pages: Sequence[_Page]) -> list[npt.NDArray[np.float64]]:
    """Lexical scores for every page from a lexical model that did not see that page."""
    out: list[npt.NDArray[np.float64]] = [np.zeros(0)] * len(pages)
    for fold in range(LEXICAL_FOLDS):
        model = LexicalModel.from_json(
            _fit_lexical([p for i, p in enumerate(pages) if i % LEXICAL_FOLDS != fold])
        )
        for i, page in enumerate(pages):
            if i % LEXICAL_FOLDS == fold:
                out[i] = model.scores(page.lines)
    return out


def _stage1_out_of_fold(
    pages: Sequence[_Page], features: Sequence[npt.NDArray[np.float64]], folds: int = 4
) -> list[npt.NDArray[np.float64]]:
    """Stage-1 probabilities for every page from a model that did not see that page."""
    out: list[npt.NDArray[np.float64]] = [np.zeros(0)] * len(pages)
    for fold in range(folds):
        train = [i for i in range(len(pages)) if i % folds != fold]
        model = _fit(
            np.vstack([features[i] for i in train]),
            np.concatenate([pages[i].labels for i in train]),
            np.concatenate([pages[i].weights for i in train]),
        )
        for i in range(len(pages)):
            if i % folds == fold:
                out[i] = model.predict_proba(features[i])[:, 1]
    return out


def _fit_two_stage(pages: Sequence[_Page]) -> tuple[dict[str, Any], Any, Any]:
    """The lexical model (as JSON) and the two tree stages, fitted on ``pages``."""
    lexical = _fit_lexical(pages)
    scores = _lexical_out_of_fold(pages)
    features = [line_features(p.lines, z) for p, z in zip(pages, scores, strict=True)]
    labels = np.concatenate([p.labels for p in pages])
    weights = np.concatenate([p.weights for p in pages])
    stage1 = _fit(np.vstack(features), labels, weights)
    oof = _stage1_out_of_fold(pages, features)
    stage2_x = np.vstack([stage2_features(f, p) for f, p in zip(features, oof, strict=True)])
    stage2 = _fit(stage2_x, labels, weights)
    return lexical, stage1, stage2


def _best_threshold(pages: Sequence[_Page], model: LineModel) -> tuple[float, dict[str, Any]]:
    """The threshold with the best snippet F1 on held-out pages (the end metric), and the
    line-level scores on their gold lines at that threshold."""
    best: tuple[float, dict[str, Any]] = (0.5, {"snippets_f1": -1.0})
    for threshold in np.arange(0.1, 0.71, 0.05):
        candidate = dataclasses.replace(model, threshold=round(float(threshold), 2))
        scores = _snippet_scores(pages, candidate)
        if scores["f1"] > best[1]["snippets_f1"]:
            best = (candidate.threshold, {"snippets_f1": scores["f1"]})
    threshold = best[0]
    probs = np.concatenate([model.probabilities(p.lines)[p.gold] for p in pages])
    labels = np.concatenate([p.labels[p.gold] for p in pages])
    kept = probs >= threshold
    tp = float(np.sum(kept & (labels == 1)))
    fp = float(np.sum(kept & (labels == 0)))
    fn = float(np.sum(~kept & (labels == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return threshold, {
        "gold_lines_f1": round(f1, 4),
        "gold_lines_precision": round(precision, 4),
        "gold_lines_recall": round(recall, 4),
    }


def _model_kept(lines: Sequence[str], model: LineModel) -> list[str]:
    """The lines the classifier alone keeps (first copies only), without the cleaner's rules:
    what the threshold is chosen on, so that it is the model's, whatever rules run after it."""
    probabilities = model.probabilities(lines)
    kept: list[str] = []
    seen: set[str] = set()
    for line, probability in zip(lines, probabilities, strict=True):
        key = normalize_space(line).casefold()
        if probability >= model.threshold and key and key not in seen:
            kept.append(line)
            seen.add(key)
    return kept


def _snippet_scores(
    pages: Sequence[_Page], model: LineModel | None, *, rules: bool = False
) -> dict[str, float]:
    """The data set's own metric (README 2b) on the kept text of held-out pages: the model's
    lines, or with ``rules`` what the cleaner keeps (``clean_lines``: the model and the shape
    rules after it); with no model, trafilatura's extraction of the HTML, for comparison."""
    total = SnippetCounts()
    for page in pages:
        if model is None:
            kept = page.silver
        elif rules:
            kept = " ".join(clean_lines(page.lines, model=model))
        else:
            kept = " ".join(_model_kept(page.lines, model))
        total += snippet_counts(kept, page.keep, page.drop)
    return {
        "precision": round(total.precision, 4),
        "recall": round(total.recall, 4),
        "f1": round(total.f1, 4),
    }


def _model_json(
    lexical: dict[str, Any],
    stage1: Any,
    stage2: Any,
    threshold: float,
    *,
    pages: Sequence[_Page],
    dev: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "format": "broadsheet-line-classifier",
        "feature_version": FEATURE_VERSION,
        "features": list(FEATURE_NAMES),
        "stage2_radius": STAGE2_RADIUS,
        "threshold": threshold,
        "lexical": lexical,
        "stage1": _export_trees(stage1),
        "stage2": _export_trees(stage2),
        "trained_on": {
            "dataset": DATASET,
            "pages": len(pages),
            "lines": int(sum(len(p.lines) for p in pages)),
            "gold_lines": int(sum(int(p.gold.sum()) for p in pages)),
            "data_digest": data_digest((p.id, p.lines, p.labels, p.gold) for p in pages),
            "dev_gold_lines": dev,
            "params": TREE_PARAMS,
            "lexical_c": LEXICAL_C,
        },
    }


def train_cleaner(
    eval_dir: Path, out: Path, *, limit: int | None = None, dev_model_out: Path | None = None
) -> TrainingReport:
    """Fit the line classifier on the training pages and write it to ``out`` as JSON.

    Deterministic for the same data, code and scikit-learn version. Raises ``BroadsheetError``
    when the training data is missing.
    """
    started = time.perf_counter()
    pages: list[_Page] = []
    for count, (page_id, _url, html, keep, drop) in enumerate(_read_pages(eval_dir)):
        if limit is not None and count >= limit:
            break
        page = _label_page(page_id, html, keep, drop)
        if page is not None:
            pages.append(page)
    train = [p for p in pages if not _is_dev(p.id)]
    dev = [p for p in pages if _is_dev(p.id)]
    logger.info("train_cleaner_data", extra={"pages": len(pages), "dev": len(dev)})

    # Threshold and dev figures from a model that never saw the dev pages; judged on gold lines,
    # then with the snippet metric of the data set on the text the cleaner keeps.
    lexical, stage1, stage2 = _fit_two_stage(train)
    dev_model = LineModel(
        _Trees.from_json(_export_trees(stage1)),
        _Trees.from_json(_export_trees(stage2)),
        0.5,
        LexicalModel.from_json(lexical),
    )
    threshold, dev_scores = _best_threshold(dev, dev_model)
    dev_model = dataclasses.replace(dev_model, threshold=threshold)
    if dev_model_out is not None:
        # The model that never saw the dev pages: for choosing how others use it, on those pages.
        dev_json = _model_json(lexical, stage1, stage2, threshold, pages=train, dev=None)
        dev_model_out.write_text(json.dumps(dev_json) + "\n", encoding="utf-8")
    dev_scores["snippets"] = _snippet_scores(dev, dev_model)
    dev_scores["snippets_with_rules"] = _snippet_scores(dev, dev_model, rules=True)
    dev_scores["snippets_trafilatura_on_html"] = _snippet_scores(dev, None)

    lexical, stage1, stage2 = _fit_two_stage(pages)
    model = _model_json(lexical, stage1, stage2, threshold, pages=pages, dev=dev_scores)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(model, separators=(",", ":")) + "\n", encoding="utf-8")
    return TrainingReport(
        pages=len(pages),
        lines=int(sum(len(p.lines) for p in pages)),
        gold_lines=int(sum(int(p.gold.sum()) for p in pages)),
        threshold=threshold,
        dev=dev_scores,
        seconds=round(time.perf_counter() - started, 1),
        path=out,
    )
