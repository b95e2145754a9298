"""The clustering eval's store stream on literal documents: labels, and the clustering time
measured inside the real writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadsheet.evaluation.clustering import (
    MAX_ORDERS,
    Doc,
    arrival_vectors,
    orders,
    process_docs,
    run_clustering_eval,
    single_pass_tfidf,
    stream_store,
    summarise,
)
from broadsheet.pipeline.cluster import cosine_to
from broadsheet.store import stories as story_store

_FIRE = (
    "A fire destroyed the Harwick paper mill on Thursday night. Firefighters from Harwick and "
    "Tolvern fought the blaze at the paper mill for six hours. The mill's owner said the boiler "
    "house caught fire first and the pulp store followed."
)
_FIRE_AGAIN = (
    "Crews from Tolvern helped Harwick firefighters at the burning paper mill until dawn on "
    "Friday. The blaze began in the boiler house of the Harwick mill and spread to the pulp "
    "store, the mill's owner said. No one was hurt in the paper mill fire."
)
_VOTE = (
    "The Corvania parliament approved the new fisheries budget on Tuesday by 212 votes to 180. "
    "The budget cuts quotas for the northern fleet and raises harbour fees. Opposition "
    "deputies said the fisheries vote would hurt coastal towns."
)


def test_stream_store_labels_the_documents_and_times_clustering_inside_the_writes(
    tmp_path: Path,
) -> None:
    docs = [
        Doc(
            "fire-1",
            "fire",
            "Fire destroys Harwick paper mill",
            f"Fire destroys Harwick paper mill\n{_FIRE}",
        ),
        Doc(
            "fire-2",
            "fire",
            "Harwick paper mill burns overnight",
            f"Harwick paper mill burns overnight\n{_FIRE_AGAIN}",
        ),
        Doc(
            "vote-1",
            "vote",
            "Corvania passes fisheries budget",
            f"Corvania passes fisheries budget\n{_VOTE}",
        ),
    ]
    results = process_docs(docs, None)
    assign = story_store.assign
    labels, seconds, clustering = stream_store(docs, results, [0, 2, 1], tmp_path)
    assert labels["fire-1"] == labels["fire-2"] != labels["vote-1"]
    assert len(seconds) == 3
    # Clustering ran inside the timed writes: some time, and less than the writes took.
    assert 0.0 < clustering < sum(seconds)
    assert story_store.assign is assign  # the timer is taken off again


def test_more_orders_keep_the_first_five_and_add_new_ones() -> None:
    five = orders(30)
    forty = orders(30, 40)
    assert forty[:5] == five  # the 5 orders are the same draws whatever the count
    assert len({tuple(o) for o in forty}) == 40
    assert all(sorted(o) == list(range(30)) for o in forty)


def test_summary_gives_mean_spread_and_deviation_of_each_f1() -> None:
    runs = [
        {"bcubed_f1": 0.90, "bcubed_precision": 0.8},
        {"bcubed_f1": 0.94, "bcubed_precision": 0.9},
        {"bcubed_f1": 0.92, "bcubed_precision": 1.0},
    ]
    summary = summarise(runs)
    assert summary["bcubed_f1"] == 0.92
    assert summary["bcubed_f1_spread"] == 0.04
    assert summary["bcubed_f1_sd"] == 0.02  # sample deviation of 0.90, 0.94, 0.92
    assert "bcubed_precision_sd" not in summary  # only F1s get a spread and a deviation
    assert "bcubed_f1_sd" not in summarise(runs[:1])  # one order has no deviation


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("0", "not in the range 1<=x<=100"),
        ("101", "not in the range"),
        ("x", "not a valid integer"),
    ],
)
def test_eval_clustering_refuses_an_order_count_out_of_range(run, count: str, message: str) -> None:
    result = run("eval", "clustering", "--orders", count)
    assert result.exit_code == 2
    assert "--orders" in result.output and message in result.output


def test_the_library_refuses_what_the_cli_refuses(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="1 to 100"):
        run_clustering_eval(tmp_path, n_orders=MAX_ORDERS + 1)


def _scan_every_centroid(docs: list[Doc], order: list[int], threshold: float) -> dict[str, int]:
    """The single-pass baseline as first written: every centroid scored with ``cosine_to``."""
    centroids: list[dict[str, float]] = []
    labels: dict[str, int] = {}
    for doc_id, vector in arrival_vectors(docs, order):
        best, best_sim = -1, threshold
        for key, centroid in enumerate(centroids):
            sim = cosine_to(vector, centroid)
            if sim >= best_sim:
                best, best_sim = key, sim
        if best < 0:
            centroids.append({})
            best = len(centroids) - 1
        for term, weight in vector.items():
            centroids[best][term] = centroids[best].get(term, 0.0) + weight
        labels[doc_id] = best
    return labels


def test_single_pass_baseline_scores_only_centroids_sharing_a_term_with_the_same_labels() -> None:
    """The baseline skips centroids that share no term with the article (their cosine is 0)
    and keeps each centroid's norm; its labels must be the full scan's at every threshold,
    ties included (two copies of one text tie exactly), and at 0, where an unrelated story
    does win."""
    docs = [
        Doc("fire", "e1", "Paper mill fire", _FIRE),
        Doc("vote", "e2", "Fisheries budget vote", _VOTE),
        Doc("fire2", "e1", "Mill fire overnight", _FIRE_AGAIN),
        Doc("copy", "e1", "Paper mill fire", _FIRE),
        Doc("other", "e3", "Orchard frost", "Frost ruined the apricot orchards of Melvaig."),
    ]
    for order in ([0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [1, 3, 0, 4, 2]):
        for threshold in (0.0, 0.05, 0.2, 0.5, 0.99):
            expected = _scan_every_centroid(docs, order, threshold)
            assert single_pass_tfidf(docs, order, threshold) == expected, (order, threshold)
    # The fixture can fail: the thresholds above give different clusterings.
    assert single_pass_tfidf(docs, [0, 1, 2, 3, 4], 0.0) == dict.fromkeys(
        ["fire", "vote", "fire2", "copy", "other"], 0
    )
    apart = single_pass_tfidf(docs, [0, 1, 2, 3, 4], 0.2)
    assert apart["fire"] == apart["copy"] != apart["vote"]
