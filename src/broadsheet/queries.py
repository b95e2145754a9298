"""Read-side helpers shared by the shells (CLI, web app, API): one place builds each payload.

The CLI's ``--json`` output and the web app's pages and API answers for the same object come from
the same function here, so the contract in DESIGN ("Command line and JSON contract") holds in
every shell at once.
"""

from __future__ import annotations

from typing import Any

from broadsheet.model import Entity
from broadsheet.serialize import story_detail_json
from broadsheet.store import Store

__all__ = ["story_payload", "top_entities"]


def top_entities(store: Store, entity_ids: tuple[int, ...]) -> list[Entity]:
    """The entities behind ``Story.top_entity_ids``, in that order (unknown ids left out)."""
    found: list[Entity] = []
    for entity_id in entity_ids:
        match = [e for e in store.find_entities(str(entity_id)) if e.id == entity_id]
        found.extend(match[:1])
    return found


def story_payload(store: Store, story_id: int) -> dict[str, Any]:
    """``story ID --json``: the story, its articles, top entities and (with #8) its story view.

    Raises ``NotFound`` for an unknown id.
    """
    found, members = store.story(story_id)
    view = store.story_view(story_id)
    return story_detail_json(found, members, top_entities(store, found.top_entity_ids), view)
