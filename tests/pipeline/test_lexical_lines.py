"""The lexical part of the line classifier: hashed line vocabulary and its linear score."""

from __future__ import annotations

import math

import numpy as np
import pytest

from broadsheet.errors import ConfigError
from broadsheet.pipeline.clean import LexicalModel, default_line_model
from broadsheet.pipeline.linefeatures import (
    FEATURE_NAMES,
    LEXICAL_BITS,
    line_buckets,
    line_features,
)


def test_line_buckets_are_stable_sorted_and_in_range() -> None:
    buckets = line_buckets("Share this story on Facebook")
    assert buckets == sorted(set(buckets))
    assert all(0 <= b < 1 << LEXICAL_BITS for b in buckets)
    # CRC-32, not Python's salted hash: the same line gives the same buckets in every process.
    assert buckets == line_buckets("Share this story on Facebook")
    assert line_buckets("SHARE  this story on facebook") == buckets
    # Five words, four pairs, first and last word: at most 11 buckets.
    assert len(buckets) <= 11


def test_line_buckets_fold_digits() -> None:
    assert line_buckets("Updated 7:20 pm") == line_buckets("Updated 9:45 pm")
    assert line_buckets("") == []
    assert line_buckets("— · —") == []


def test_lexical_scores_are_the_bias_plus_scaled_weights() -> None:
    weights = np.zeros(1 << 4)
    text = "read more"
    buckets = line_buckets(text, 4)
    weights[buckets] = -1.0
    model = LexicalModel(bits=4, bias=0.25, weights=weights)
    scores = model.scores([text, "", "..."])
    assert scores[0] == pytest.approx(0.25 - len(buckets) / math.sqrt(len(buckets)))
    assert scores[1:].tolist() == [0.25, 0.25]


def test_lexical_model_refuses_weights_of_another_size() -> None:
    with pytest.raises(ConfigError):
        LexicalModel.from_json({"bits": 4, "bias": 0.0, "weights": [0.0] * 15})


def test_lexical_features_follow_the_scores() -> None:
    lines = ["Home", "A sentence of the article, long enough to be prose.", "Share"]
    scores = np.array([-2.0, 3.0, -1.0])
    features = line_features(lines, scores)
    column = FEATURE_NAMES.index
    assert features[:, column("lexical")].tolist() == scores.tolist()
    assert features[:, column("prev_lexical")].tolist() == [0.0, -2.0, 3.0]
    assert features[:, column("next_lexical")].tolist() == [3.0, -1.0, 0.0]
    assert np.all(line_features(lines)[:, column("lexical")] == 0.0)


def test_shipped_model_has_a_lexical_part_and_learned_furniture_words() -> None:
    model = default_line_model()
    assert model.lexical is not None
    furniture, prose = model.lexical.scores(
        [
            "Share on Facebook",
            "The council said on Tuesday that the bridge would reopen next spring.",
        ]
    )
    assert furniture < prose
