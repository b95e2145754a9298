"""The JSON API under ``/api/v1``: the same payloads the CLI prints with ``--json``.

Auth: ``Authorization: Bearer <token>`` (``broadsheet users token NAME`` or the settings page), or
the browser's session cookie. With ``BROADSHEET_PUBLIC_READ=true`` the read-only endpoints answer
anonymous calls; feeds and tokens always need a user. Lists are paginated with ``limit`` and
``offset`` and carry ``next`` (the URL of the next page, or null). Every error has one shape:
``{"ok": false, "status": 404, "error": "no story 7", "code": "store_not_found", "errors": []}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from broadsheet.errors import NotFound
from broadsheet.model import EntityType, FeedbackKind, FollowKind, Topic, User
from broadsheet.queries import follow_json, mute_json, ranked_json, story_payload, topic_json
from broadsheet.serialize import (
    article_json,
    article_summary_json,
    entity_json,
    feed_json,
    search_hit_json,
    source_json,
    story_json,
)
from broadsheet.store import Store
from broadsheet.store.personal import Personal
from broadsheet.store.users import MAX_FOLLOW_WEIGHT, Accounts
from broadsheet.web.auth import ApiAuthRequired, user_dependencies
from broadsheet.web.views import check_follow_target, find_entity, find_source

__all__ = ["router"]


class ErrorBody(BaseModel):
    """The one error shape of the API."""

    ok: bool = False
    status: int
    error: str
    code: str
    errors: list[Any] = Field(default_factory=list)


class Page(BaseModel):
    """One page of a list: the items, where it starts, and the URL of the next page."""

    items: list[dict[str, Any]]
    limit: int
    offset: int
    next: str | None


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No valid token or session"},
    404: {"model": ErrorBody, "description": "No such object"},
    422: {"model": ErrorBody, "description": "Invalid parameters"},
}


# Read endpoints: anyone when public_read is on; writes and /me: a user (token or session).
api_reader, api_user = user_dependencies(ApiAuthRequired)


router = APIRouter(prefix="/api/v1", responses=_ERRORS, dependencies=[Depends(api_reader)])

# SQLite integers are 64-bit: a larger id is a 422, not an overflow deep in the driver.
RowId = Annotated[int, PathParam(ge=1, le=2**63 - 1, description="Numeric id.")]
Limit = Annotated[int, Query(ge=1, le=200, description="Items per page (1-200).")]
# An id inside a JSON body: the same range as ``RowId`` (SQLite's integers), so a huge number is a
# 422, not a 500 from the database.
RowIdValue = Annotated[int, Field(ge=1, le=2**63 - 1)]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _page(request: Request, rows: list[dict[str, Any]], limit: int, offset: int) -> Page:
    """``rows`` holds up to ``limit + 1`` items: one more than asked tells that a next page
    exists without counting the whole table."""
    more = len(rows) > limit
    next_url = None
    if more:
        next_url = str(request.url.include_query_params(limit=limit, offset=offset + limit))
    return Page(items=rows[:limit], limit=limit, offset=offset, next=next_url)


@router.get("/stories", response_model=Page, summary="Stories, most recently active first")
def list_stories(request: Request, limit: Limit = 20, offset: Offset = 0) -> Page:
    rows = _store(request).stories(limit=limit + 1, offset=offset)
    return _page(request, [story_json(s) for s in rows], limit, offset)


@router.get("/stories/{story_id}", summary="One story: the same JSON as `broadsheet story ID`")
def get_story(request: Request, story_id: RowId) -> dict[str, Any]:
    return story_payload(_store(request), story_id)


@router.get("/articles", response_model=Page, summary="Articles, newest first")
def list_articles(
    request: Request,
    limit: Limit = 20,
    offset: Offset = 0,
    source: Annotated[str | None, Query(max_length=200)] = None,
) -> Page:
    rows = _store(request).articles(limit=limit + 1, offset=offset, source=source)
    return _page(request, [article_summary_json(a) for a in rows], limit, offset)


@router.get("/articles/{article_id}", summary="One article: the same JSON as `broadsheet article`")
def get_article(request: Request, article_id: RowId) -> dict[str, Any]:
    store = _store(request)
    found = store.article(article_id)
    return article_json(
        found,
        duplicates=store.duplicates_of(article_id),
        mentions=store.mentions(article_id),
        quotes=[(q.quote, q.speaker_entity_id) for q in store.quotes(article_id)],
        figures=store.figures(article_id),
        dates=store.dates(article_id),
    )


@router.get("/entities", response_model=Page, summary="Entities, most articles first")
def list_entities(
    request: Request,
    limit: Limit = 20,
    offset: Offset = 0,
    type: EntityType | None = None,
) -> Page:
    rows = _store(request).entities(type_=type, limit=limit + 1, offset=offset)
    return _page(request, [entity_json(e) for e in rows], limit, offset)


@router.get("/entities/{entity_id}", summary="One entity with the articles that name it")
def get_entity(request: Request, entity_id: RowId, limit: Limit = 50) -> dict[str, Any]:
    store = _store(request)
    entity = find_entity(store, entity_id)
    return {
        **entity_json(entity),
        "article_ids": [int(i) for i in store.entity_articles(entity_id, limit=limit)],
        "related": [
            {**entity_json(other), "shared_articles": shared}
            for other, shared in store.cooccurring(entity_id)
        ],
    }


@router.get("/sources", summary="Outlets with their article counts")
def list_sources(request: Request) -> list[dict[str, Any]]:
    return [source_json(s) for s in _store(request).sources()]


@router.get("/sources/{source_id}", summary="One outlet")
def get_source(request: Request, source_id: RowId) -> dict[str, Any]:
    return source_json(find_source(_store(request), source_id))


@router.get("/search", summary="Full-text search (FTS5); snippets mark matches with [ ]")
def search_articles(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=500, description="Words, all must match")],
    limit: Limit = 20,
) -> dict[str, Any]:
    hits = _store(request).search(q, limit=limit)
    return {"query": q, "items": [search_hit_json(h) for h in hits]}


@router.get("/feeds", summary="Feed subscriptions (needs a user)")
def list_feeds(request: Request, _user: Annotated[User, Depends(api_user)]) -> list[dict[str, Any]]:
    return [feed_json(f) for f in _store(request).feeds()]


@router.get("/me", summary="The user this token or session belongs to")
def me(user: Annotated[User, Depends(api_user)]) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "created_at": user.created_at.isoformat()}


# --- follows -------------------------------------------------------------------------------------


def api_token_user(request: Request) -> User:
    """Writes need a bearer token: a browser never sends one by itself, so a page on another
    site cannot make a logged-in browser change anything through the API (no CSRF)."""
    if not request.headers.get("authorization", "").lower().startswith("bearer "):
        raise ApiAuthRequired("changes through the API need an API token (Authorization: Bearer)")
    return api_user(request)


class FollowIn(BaseModel):
    """Something to follow: an entity, source or story by id, or keyword words."""

    kind: FollowKind
    target: str = Field(min_length=1, max_length=100)
    weight: float = Field(default=1.0, gt=0, le=MAX_FOLLOW_WEIGHT)


@router.get("/follows", summary="What the user follows (only their own)")
def list_follows(
    request: Request, user: Annotated[User, Depends(api_user)]
) -> list[dict[str, Any]]:
    accounts: Accounts = request.app.state.accounts
    return [follow_json(f) for f in accounts.follows(user.id)]


@router.post("/follows", status_code=201, summary="Follow an entity, source, story or keyword")
def add_follow(
    request: Request, body: FollowIn, user: Annotated[User, Depends(api_token_user)]
) -> dict[str, Any]:
    if body.kind is not FollowKind.KEYWORD:
        check_follow_target(_store(request), body.kind, body.target, user_id=user.id)
    accounts: Accounts = request.app.state.accounts
    found = accounts.follow(
        user.id, body.kind, body.target, now=datetime.now(UTC), weight=body.weight
    )
    return follow_json(found)


@router.delete("/follows/{follow_id}", status_code=204, summary="Stop following")
def remove_follow(
    request: Request, follow_id: RowId, user: Annotated[User, Depends(api_token_user)]
) -> Response:
    accounts: Accounts = request.app.state.accounts
    accounts.unfollow(user.id, follow_id)
    return Response(status_code=204)


# --- mutes, topics and feedback (#11) ------------------------------------------------------------


class MuteIn(BaseModel):
    """Something never to see in the feed: an entity, source, story or topic by id, or keywords."""

    kind: FollowKind
    target: str = Field(min_length=1, max_length=100)


@router.get("/mutes", summary="What the user muted (only their own)")
def list_mutes(request: Request, user: Annotated[User, Depends(api_user)]) -> list[dict[str, Any]]:
    return [mute_json(m) for m in _personal(request).mutes(user.id)]


@router.post("/mutes", status_code=201, summary="Mute an entity, source, story, topic or keyword")
def add_mute(
    request: Request, body: MuteIn, user: Annotated[User, Depends(api_token_user)]
) -> dict[str, Any]:
    check_follow_target(_store(request), body.kind, body.target, user_id=user.id, verb="mute")
    return mute_json(_personal(request).mute(user.id, body.kind, body.target, now=_now()))


@router.delete("/mutes/{mute_id}", status_code=204, summary="Unmute")
def remove_mute(
    request: Request, mute_id: RowId, user: Annotated[User, Depends(api_token_user)]
) -> Response:
    _personal(request).unmute(user.id, mute_id)
    return Response(status_code=204)


class TopicIn(BaseModel):
    """A topic: stories naming every one of ``entity_ids`` and, if given, one of ``keywords``."""

    name: str = Field(min_length=1, max_length=100)
    entity_ids: list[RowIdValue] = Field(default_factory=list, max_length=20)
    keywords: list[str] = Field(default_factory=list, max_length=20)


def _visible_topic(request: Request, topic_id: int, user: User) -> Topic:
    topic = _personal(request).topic(topic_id)
    if topic.user_id is not None and topic.user_id != user.id:
        raise NotFound(f"no topic {topic_id}")  # another user's own topic is not there
    return topic


@router.get("/topics", summary="The instance's topics and the user's own")
def list_topics(request: Request, user: Annotated[User, Depends(api_user)]) -> list[dict[str, Any]]:
    return [topic_json(t) for t in _personal(request).topics(user.id)]


@router.get("/topics/{topic_id}", summary="One topic")
def get_topic(
    request: Request, topic_id: RowId, user: Annotated[User, Depends(api_user)]
) -> dict[str, Any]:
    return topic_json(_visible_topic(request, topic_id, user))


@router.post("/topics", status_code=201, summary="Create a topic of the user's own")
def add_topic(
    request: Request, body: TopicIn, user: Annotated[User, Depends(api_token_user)]
) -> dict[str, Any]:
    topic = _personal(request).create_topic(
        user.id, body.name, body.entity_ids, body.keywords, now=_now()
    )
    return topic_json(topic)


@router.put("/topics/{topic_id}", summary="Edit one of the user's own topics")
def edit_topic(
    request: Request,
    topic_id: RowId,
    body: TopicIn,
    user: Annotated[User, Depends(api_token_user)],
) -> dict[str, Any]:
    topic = _personal(request).update_topic(
        user.id, topic_id, body.name, body.entity_ids, body.keywords, now=_now()
    )
    return topic_json(topic)


class FeedbackIn(BaseModel):
    """What the reader did with a story; ``opened`` also marks it read as it is now."""

    story_id: RowIdValue
    kind: FeedbackKind


@router.post(
    "/feedback", status_code=204, summary="Record that the user opened, hid or liked a story"
)
def add_feedback(
    request: Request, body: FeedbackIn, user: Annotated[User, Depends(api_token_user)]
) -> Response:
    _personal(request).record(user.id, body.story_id, body.kind, now=_now())
    return Response(status_code=204)


def _now() -> datetime:
    return datetime.now(UTC)


def _personal(request: Request) -> Personal:
    personal: Personal = request.app.state.personal
    return personal


@router.get("/me/feed", summary="The user's front page, ranked, each story with its reason")
def my_feed(
    request: Request, user: Annotated[User, Depends(api_user)], limit: Limit = 30
) -> dict[str, Any]:
    """Stories ranked for the user (interest, importance, freshness, novelty; mutes win), each
    with ``reason`` (the "why you see this" line) and the ``terms`` of its score."""
    half_life: float = request.app.state.settings.feed_half_life_hours
    ranked = _personal(request).feed(
        user.id, now=datetime.now(UTC), half_life_hours=half_life, limit=limit
    )
    return {"items": ranked_json(_store(request), ranked)}


@router.get("/following", summary="The personal feed: stories matching the user's follows")
def personal_feed(request: Request, user: Annotated[User, Depends(api_user)]) -> dict[str, Any]:
    half_life: float = request.app.state.settings.feed_half_life_hours
    ranked = _personal(request).feed(
        user.id, now=datetime.now(UTC), half_life_hours=half_life, limit=50, followed_only=True
    )
    return {"items": ranked_json(_store(request), ranked)}
