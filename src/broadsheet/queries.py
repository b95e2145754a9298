"""Read-side helpers shared by the shells (CLI, web app, API): one place builds each payload.

The CLI's ``--json`` output and the web app's pages and API answers for the same object come from
the same function here, so the contract in DESIGN ("Command line and JSON contract") holds in
every shell at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from broadsheet.errors import NotFound
from broadsheet.model import Entity, Follow, Mute, Topic
from broadsheet.serialize import story_detail_json, story_json
from broadsheet.store import Store

if TYPE_CHECKING:  # ranking is only a type here: the CLI's other commands never load it
    from broadsheet.pipeline.rank import RankedStory

__all__ = [
    "follow_json",
    "mute_json",
    "ranked_json",
    "story_payload",
    "top_entities",
    "topic_json",
]


def top_entities(store: Store, entity_ids: tuple[int, ...]) -> list[Entity]:
    """The entities behind ``Story.top_entity_ids``, in that order (unknown ids left out)."""
    return store.entities_by_id(entity_ids)


def story_payload(store: Store, story_id: int) -> dict[str, Any]:
    """``story ID --json``: the story, its articles, top entities and (with #8) its story view.

    Raises ``NotFound`` for an unknown id.
    """
    found, members = store.story(story_id)
    view = store.story_view(story_id)
    return story_detail_json(found, members, top_entities(store, found.top_entity_ids), view)


# --- the personal front page (#11) ----------------------------------------------------------------
# What ``/api/v1/follows``, ``/api/v1/mutes``, ``/api/v1/topics`` and ``/api/v1/me/feed``
# (``web/api.py``) return and the CLI prints with ``--json``: one builder each, so
# ``broadsheet feed USER --json`` and the API can be read by the same script.


def follow_json(follow: Follow) -> dict[str, Any]:
    """One follow, as ``GET /api/v1/follows`` lists it."""
    return {
        "id": follow.id,
        "kind": follow.kind.value,
        "target": follow.target,
        "weight": follow.weight,
        "created_at": follow.created_at.isoformat(),
    }


def mute_json(mute: Mute) -> dict[str, Any]:
    """One mute, as ``GET /api/v1/mutes`` lists it."""
    return {
        "id": mute.id,
        "kind": mute.kind.value,
        "target": mute.target,
        "created_at": mute.created_at.isoformat(),
    }


def topic_json(topic: Topic) -> dict[str, Any]:
    """One topic, as ``GET /api/v1/topics`` lists it (``mine``: a user's own, not the
    instance's)."""
    return {
        "id": topic.id,
        "name": topic.name,
        "entity_ids": list(topic.entity_ids),
        "keywords": list(topic.keywords),
        "mine": topic.user_id is not None,
        "created_at": topic.created_at.isoformat(),
        "updated_at": topic.updated_at.isoformat(),
    }


def ranked_json(store: Store, ranked: Iterable[RankedStory]) -> list[dict[str, Any]]:
    """Feed items as ``GET /api/v1/me/feed`` gives them: the story (``stories --json``), its
    score, the "why you see this" ``reason`` and the ``terms`` of its score. A story deleted
    since it was ranked is left out rather than failing the whole feed."""
    items: list[dict[str, Any]] = []
    for item in ranked:
        try:
            story = store.story(item.story_id)[0]
        except NotFound:
            continue
        items.append(
            {
                **story_json(story),
                "score": round(item.score, 4),
                "reason": item.reason,
                "because": [item.reason],
                "terms": [
                    {"kind": t.kind, "value": round(t.value, 4), "label": t.label}
                    for t in item.terms
                ],
            }
        )
    return items
