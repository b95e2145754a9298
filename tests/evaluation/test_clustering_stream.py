"""The clustering eval's store stream on literal documents: labels, and the clustering time
measured inside the real writes."""

from __future__ import annotations

from pathlib import Path

from broadsheet.evaluation.clustering import Doc, process_docs, stream_store
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
