"""The line classifier's training data as this code reads it, and the shipped model's record
of it (#4): a change to decoding, rendering or labelling must come with a retrained model."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np

from broadsheet.pipeline.clean import MODEL_FILE
from broadsheet.training.cleaner import _gold_labels, corpus_digest, data_digest


def test_gold_labels_come_from_the_snippets() -> None:
    lines = [
        "Home News Sport",
        "The council approved the harbour budget on Tuesday after a long debate.",
        "Share this article",
        "Share",  # short: takes a snippet's label only when it equals the snippet
        "A line no snippet mentions at all, long enough to be contained.",
    ]
    labels, gold = _gold_labels(
        lines,
        keep=["approved the harbour budget"],  # inside line 1
        drop=["Share this article", "Home News Sport"],
    )
    assert gold.tolist() == [True, True, True, False, False]
    assert labels[gold].tolist() == [0.0, 1.0, 0.0]


def test_the_digest_changes_with_any_line_or_label() -> None:
    lines = ["Headline", "Body text of the article.", "Newsletter"]
    labels = np.array([0.0, 1.0, 0.0])
    gold = np.array([False, True, True])
    base = data_digest([("page.html", lines, labels, gold)])
    assert base == data_digest([("page.html", list(lines), labels.copy(), gold.copy())])
    assert base != data_digest([("page.html", [*lines[:2], "Newsletter!"], labels, gold)])
    assert base != data_digest([("page.html", lines, np.array([0.0, 1.0, 1.0]), gold)])
    assert base != data_digest([("page.html", lines, labels, np.array([True, True, True]))])
    assert base != data_digest([("other.html", lines, labels, gold)])
    # Silver labels (lines without gold) are not part of it: they come from trafilatura.
    assert base == data_digest([("page.html", lines, np.array([1.0, 1.0, 0.0]), gold)])


def test_the_shipped_model_was_trained_on_the_data_as_this_code_reads_it(
    shared_eval: Path,
) -> None:
    shipped = json.loads(
        (resources.files("broadsheet") / "data" / MODEL_FILE).read_text(encoding="utf-8")
    )
    assert shipped["trained_on"].get("data_digest") == corpus_digest(shared_eval), (
        "decoding, rendering or labelling of the training pages changed since the shipped line "
        "model was trained: run `broadsheet train cleaner --eval-dir ../shared/eval` and ship "
        "its file (docs/cli/train.md)"
    )
