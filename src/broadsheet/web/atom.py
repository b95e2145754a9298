"""Atom 1.0 (RFC 4287) feeds of stories: ``/feeds/stories.atom``.

Entry ids are ``tag:`` URIs (RFC 4151) built from the host and the story id, so they stay the same
when the feed is read through another URL; ``updated`` is the story's last activity.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from broadsheet import __version__
from broadsheet.errors import NotFound
from broadsheet.model import Story, User
from broadsheet.pipeline.rank import RankedStory
from broadsheet.store import Store
from broadsheet.store.personal import Personal
from broadsheet.web.api import RowId
from broadsheet.web.auth import FeedAuthRequired, user_dependencies
from broadsheet.web.views import find_entity

__all__ = ["router", "stories_atom"]

ATOM_NS = "http://www.w3.org/2005/Atom"
router = APIRouter(include_in_schema=False)


# As the pages, but a feed reader is no browser: nobody there gets a 401 with a Basic challenge
# (name and API token), not the login page's redirect.
feed_reader, feed_member = user_dependencies(FeedAuthRequired)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def stories_atom(
    stories: list[Story],
    *,
    base_url: str,
    self_url: str,
    host: str,
    title: str = "Broadsheet: stories",
    feed_key: str = "stories",
    reasons: Mapping[int, str] | None = None,
) -> bytes:
    """An Atom 1.0 document listing ``stories`` (newest first), links relative to ``base_url``."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", f"tag:{host},2026:broadsheet/{feed_key}")
    sub(feed, "title", title)
    updated = max((s.last_seen for s in stories), default=datetime(2026, 1, 1, tzinfo=UTC))
    sub(feed, "updated", _iso(updated))
    sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(feed, "link", rel="alternate", type="text/html", href=base_url)
    author = sub(feed, "author")
    sub(author, "name", "Broadsheet")
    sub(feed, "generator", "Broadsheet", version=__version__)
    for story in stories:
        entry = sub(feed, "entry")
        sub(entry, "id", f"tag:{host},2026:broadsheet/story/{story.id}")
        sub(entry, "title", story.title)
        sub(entry, "updated", _iso(story.last_seen))
        sub(entry, "published", _iso(story.first_seen))
        sub(entry, "link", rel="alternate", type="text/html", href=f"{base_url}stories/{story.id}")
        outlets = ", ".join(story.sources)
        noun = "article" if story.article_count == 1 else "articles"
        summary = f"{story.article_count} {noun} from {outlets}."
        if reasons and reasons.get(story.id):
            summary = f"{reasons[story.id]}. {summary}"
        sub(entry, "summary", summary)
        for source in story.sources:
            sub(entry, "category", term=source)
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


@router.get("/feeds/stories.atom", name="stories_atom")
def stories_feed(
    request: Request,
    _user: Annotated[User | None, Depends(feed_reader)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    store: Store = request.app.state.store
    stories = store.stories(limit=limit)
    base = str(request.base_url)
    body = stories_atom(
        stories,
        base_url=base,
        self_url=str(request.url),
        host=request.url.hostname or "localhost",
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/feeds/entities/{entity_id}.atom", name="entity_atom")
def entity_feed(
    request: Request,
    entity_id: RowId,
    _user: Annotated[User | None, Depends(feed_reader)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """The stories whose articles name one entity, most recently active first."""
    store: Store = request.app.state.store
    entity = find_entity(store, entity_id)
    story_ids: list[int] = []
    # Newest articles first: their stories are the recently active ones; 4x the limit covers
    # stories with several articles naming the entity.
    for article_id in store.entity_articles(entity_id, limit=4 * limit):
        story_id = store.article(article_id).story_id
        if story_id is not None and story_id not in story_ids:
            story_ids.append(story_id)
        if len(story_ids) >= limit:
            break
    found = [store.story(i)[0] for i in story_ids]
    found.sort(key=lambda s: s.last_seen, reverse=True)
    body = stories_atom(
        found,
        base_url=str(request.base_url),
        self_url=str(request.url),
        host=request.url.hostname or "localhost",
        title=f"Broadsheet: {entity.name}",
        feed_key=f"entity/{entity_id}",
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/feeds/following.atom", name="following_atom")
def following_feed(request: Request, user: Annotated[User, Depends(feed_member)]) -> Response:
    """The personal front page of the user behind the bearer token (or session) as Atom, ranked
    as on the page; each entry's summary starts with its reason line."""
    store: Store = request.app.state.store
    personal: Personal = request.app.state.personal
    half_life: float = request.app.state.settings.feed_half_life_hours
    ranked = personal.feed(user.id, now=datetime.now(UTC), half_life_hours=half_life, limit=50)
    return _ranked_atom(
        request,
        store,
        ranked,
        title=f"Broadsheet: front page of {user.name}",
        feed_key=f"user/{user.id}/front",
    )


@router.get("/feeds/topics/{topic_id}.atom", name="topic_atom")
def topic_feed(
    request: Request, topic_id: RowId, user: Annotated[User | None, Depends(feed_reader)]
) -> Response:
    """The stories of one topic, ranked as on its page."""
    store: Store = request.app.state.store
    personal: Personal = request.app.state.personal
    topic = personal.topic(topic_id)
    if topic.user_id is not None and (user is None or user.id != topic.user_id):
        raise NotFound(f"no topic {topic_id}")
    half_life: float = request.app.state.settings.feed_half_life_hours
    ranked = personal.topic_feed(topic, now=datetime.now(UTC), half_life_hours=half_life)
    return _ranked_atom(
        request, store, ranked, title=f"Broadsheet: {topic.name}", feed_key=f"topic/{topic_id}"
    )


def _ranked_atom(
    request: Request, store: Store, ranked: list[RankedStory], *, title: str, feed_key: str
) -> Response:
    found: list[Story] = []
    reasons: dict[int, str] = {}
    for item in ranked:
        try:
            found.append(store.story(item.story_id)[0])
        except NotFound:
            continue
        reasons[item.story_id] = item.reason
    body = stories_atom(
        found,
        base_url=str(request.base_url),
        self_url=str(request.url),
        host=request.url.hostname or "localhost",
        title=title,
        feed_key=feed_key,
        reasons=reasons,
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")
