"""How ``broadsheet train clusterer`` cuts ECB+ into cross-validation folds (#7)."""

from __future__ import annotations

from broadsheet.training.clusterer import Item, _weighted_mean, topic_folds


def _items(topics: list[str]) -> list[Item]:
    return [
        Item(f"{topic}_{n}{kind}", f"{topic}_{kind}", "title", "body", {})
        for topic in topics
        for kind in ("ecb", "ecbplus")
        for n in range(3)
    ]


def test_both_events_of_a_topic_are_held_out_together() -> None:
    items = _items(["1", "2", "3", "10", "11", "12", "20"])
    folds = topic_folds(items, 3)
    assert sorted(item.id for fold in folds for item in fold) == sorted(i.id for i in items)
    topics_of = [{item.gold.split("_")[0] for item in fold} for fold in folds]
    for n, topics in enumerate(topics_of):
        assert all(not topics & other for m, other in enumerate(topics_of) if m != n)
        for topic in topics:
            events = {item.gold for item in folds[n] if item.gold.startswith(f"{topic}_")}
            assert events == {f"{topic}_ecb", f"{topic}_ecbplus"}
    # Topics in numeric order, dealt round robin: 1, 10, 20 | 2, 11 | 3, 12.
    assert topics_of == [{"1", "10", "20"}, {"2", "11"}, {"3", "12"}]


def test_fold_scores_are_weighted_by_fold_size() -> None:
    per_fold = [
        (30, [{"f": 0.9}, {"f": 0.7}]),
        (10, [{"f": 0.4}, {"f": 0.4}]),
    ]
    assert abs(_weighted_mean(per_fold, "f") - (30 * 0.8 + 10 * 0.4) / 40) < 1e-12
