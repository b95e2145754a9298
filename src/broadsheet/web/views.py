"""What each page shows, as typed records built from the store (one builder per page).

The templates render these records and nothing else; the JSON API serialises the same store reads
through ``broadsheet.serialize`` and ``broadsheet.queries``, so a page and its API answer agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from broadsheet.errors import NotFound
from broadsheet.model import (
    Article,
    Entity,
    Follow,
    FollowKind,
    Mention,
    Mute,
    SearchHit,
    SourceSummary,
    Story,
)
from broadsheet.pipeline.rank import RankedStory
from broadsheet.queries import story_payload
from broadsheet.store import Store
from broadsheet.store.personal import Personal

__all__ = [
    "ArticlePage",
    "CoverageClaim",
    "CoverageColumn",
    "EntityPage",
    "FollowedStory",
    "FollowingPage",
    "FrontPage",
    "SearchPage",
    "SourcePage",
    "StoryPage",
    "article_page",
    "check_follow_target",
    "entity_page",
    "follow_label",
    "following_page",
    "front_page",
    "highlight",
    "lede",
    "personal_front_page",
    "search_page",
    "source_page",
    "story_page",
]

# FTS5 snippet() markers the store asks for (store/sql.py: snippet(..., '[', ']', ...)).
_MARKED = re.compile(r"\[([^\[\]]*)\]")


def highlight(snippet: str) -> Markup:
    """A search snippet with the store's ``[match]`` markers turned into ``<mark>`` (escaped)."""
    parts: list[str] = []
    last = 0
    for match in _MARKED.finditer(snippet):
        parts.append(str(escape(snippet[last : match.start()])))
        parts.append(f"<mark>{escape(match.group(1))}</mark>")
        last = match.end()
    parts.append(str(escape(snippet[last:])))
    return Markup("".join(parts))


@dataclass(frozen=True, slots=True)
class FrontPage:
    """The front page: stories, newest day first and most-covered first within a day, each
    with a one-line lede (``ledes[story.id]``)."""

    stories: list[Story]
    ledes: dict[int, str]
    offset: int
    limit: int
    has_more: bool
    # The personal front page (#11): the stories ranked for the reader, each with its reason.
    reasons: dict[int, str] = field(default_factory=dict)
    personal: bool = False


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"'])")
# 220 characters: about two lines of the card at the front page's width.
LEDE_MAX_CHARS = 220


def lede(article: Article) -> str:
    """One line to show under a story's title: the first sentence of its first article's
    standfirst or text, cut at a word near ``LEDE_MAX_CHARS``."""
    text = (article.standfirst or (article.paragraphs[0] if article.paragraphs else "")).strip()
    first = _SENTENCE_END.split(text, maxsplit=1)[0] if text else ""
    if len(first) > LEDE_MAX_CHARS:
        first = first[:LEDE_MAX_CHARS].rsplit(" ", 1)[0] + "…"
    return first


def front_page(store: Store, *, limit: int = 30, offset: int = 0) -> FrontPage:
    rows = store.stories(limit=limit + 1, offset=offset)
    has_more = len(rows) > limit
    rows = rows[:limit]
    # The store orders by last activity; a day's stories are then ranked by how many outlets
    # covered them, so the big story of the day is not pushed down by a late brief.
    rows.sort(key=lambda s: (s.last_seen.date(), s.source_count, s.last_seen), reverse=True)
    # The story view's summary would be the better line, but it is derived on read today
    # (tens of ms a story); the first article's lede costs one indexed read.
    return FrontPage(
        stories=rows, ledes=_ledes(store, rows), offset=offset, limit=limit, has_more=has_more
    )


def _ledes(store: Store, rows: list[Story]) -> dict[int, str]:
    ledes: dict[int, str] = {}
    for story in rows:
        if story.article_ids:
            try:
                ledes[story.id] = lede(store.article(story.article_ids[0]))
            except NotFound:  # the article went away between the two reads
                continue
    return ledes


def _ranked_stories(store: Store, ranked: list[RankedStory]) -> list[tuple[Story, RankedStory]]:
    found: list[tuple[Story, RankedStory]] = []
    for item in ranked:
        try:
            found.append((store.story(item.story_id)[0], item))
        except NotFound:  # the story went away between the two reads
            continue
    return found


def personal_front_page(
    store: Store, personal: Personal, user_id: int, *, now: datetime, half_life_hours: float
) -> FrontPage:
    """The reader's own front page (#11): stories ranked by ``pipeline.rank``, each with the
    one line that says why it is there."""
    pairs = _ranked_stories(
        store, personal.feed(user_id, now=now, half_life_hours=half_life_hours, limit=30)
    )
    rows = [story for story, _ in pairs]
    return FrontPage(
        stories=rows,
        ledes=_ledes(store, rows),
        offset=0,
        limit=30,
        has_more=False,
        reasons={story.id: item.reason for story, item in pairs},
        personal=True,
    )


@dataclass(frozen=True, slots=True)
class CoverageClaim:
    kind: str  # "agreed" | "unique" | "conflict"
    text: str
    about: str | None = None
    value: str | None = None
    citations: tuple[int, ...] = ()


def _citations(item: dict[str, Any]) -> tuple[int, ...]:
    return tuple(int(c) for c in item.get("citations") or () if isinstance(c, int))


@dataclass(frozen=True, slots=True)
class CoverageColumn:
    source: str
    claims: list[CoverageClaim]


@dataclass(frozen=True, slots=True)
class StoryPage:
    """A story: cited summary, coverage side by side, quotes by speaker, timeline, members.

    ``payload`` is exactly ``broadsheet story ID --json`` (``queries.story_payload``).
    """

    payload: dict[str, Any]
    columns: list[CoverageColumn]
    quotes_by_speaker: list[tuple[str, list[dict[str, Any]]]]
    articles_by_source: list[tuple[str, list[dict[str, Any]]]]

    @property
    def has_coverage(self) -> bool:
        return any(column.claims for column in self.columns)


def _coverage_columns(payload: dict[str, Any]) -> list[CoverageColumn]:
    coverage = payload.get("coverage") or {}
    outlets: list[str] = list(payload.get("sources") or [])
    for article in payload.get("articles", []):
        if article.get("source") and article["source"] not in outlets:
            outlets.append(article["source"])
    columns: dict[str, list[CoverageClaim]] = {name: [] for name in outlets}
    for claim in coverage.get("agreed", []):
        for source in claim.get("sources", []):
            columns.setdefault(source, []).append(
                CoverageClaim("agreed", str(claim["text"]), citations=_citations(claim))
            )
    for claim in coverage.get("unique", []):
        source = claim.get("source")
        if source:
            columns.setdefault(source, []).append(
                CoverageClaim("unique", str(claim["text"]), citations=_citations(claim))
            )
    for conflict in coverage.get("conflicts", []):
        about = str(conflict.get("about", ""))
        for variant in conflict.get("variants", []):
            value = variant.get("value")
            for source in variant.get("sources", []):
                columns.setdefault(source, []).append(
                    CoverageClaim(
                        "conflict",
                        str(variant["text"]),
                        about=about,
                        value=str(value) if value is not None else None,
                        citations=_citations(variant),
                    )
                )
    return [CoverageColumn(source, claims) for source, claims in columns.items()]


def story_page(store: Store, story_id: int) -> StoryPage:
    """Raises ``NotFound``."""
    payload = story_payload(store, story_id)
    # Quotes come grouped by speaker ({speaker, quotes[]}, #8); single quotes are grouped here.
    by_speaker: dict[str, list[dict[str, Any]]] = {}
    for quote in payload.get("quotes", []):
        if not isinstance(quote, dict):
            continue
        speaker = str(quote.get("speaker") or "Unattributed")
        group = quote.get("quotes")
        items = [q for q in group if isinstance(q, dict)] if isinstance(group, list) else [quote]
        by_speaker.setdefault(speaker, []).extend(items)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for article in payload.get("articles", []):
        by_source.setdefault(str(article.get("source")), []).append(article)
    return StoryPage(
        payload=payload,
        columns=_coverage_columns(payload),
        quotes_by_speaker=list(by_speaker.items()),
        articles_by_source=list(by_source.items()),
    )


@dataclass(frozen=True, slots=True)
class ArticlePage:
    article: Article
    entities: list[tuple[int, str, str]]  # entity id, name, type
    show_removed: bool
    duplicates: list[int] = field(default_factory=list)


def article_page(store: Store, article_id: int, *, show_removed: bool = False) -> ArticlePage:
    """Raises ``NotFound``."""
    found = store.article(article_id)
    seen: dict[int, tuple[int, str, str]] = {}
    mention: Mention
    for mention in store.mentions(article_id):
        seen.setdefault(mention.entity_id, (mention.entity_id, mention.name, mention.type.value))
    return ArticlePage(
        article=found,
        entities=list(seen.values()),
        show_removed=show_removed,
        duplicates=[int(i) for i in store.duplicates_of(article_id)],
    )


@dataclass(frozen=True, slots=True)
class EntityPage:
    entity: Entity
    articles: list[Article]
    related: list[tuple[Entity, int]]


def find_entity(store: Store, entity_id: int) -> Entity:
    """Raises ``NotFound``."""
    for entity in store.find_entities(str(entity_id)):
        if entity.id == entity_id:
            return entity
    raise NotFound(f"no entity {entity_id}")


def entity_page(store: Store, entity_id: int, *, limit: int = 50) -> EntityPage:
    """Raises ``NotFound``."""
    entity = find_entity(store, entity_id)
    found = [store.article(i) for i in store.entity_articles(entity_id, limit=limit)]
    return EntityPage(entity=entity, articles=found, related=store.cooccurring(entity_id))


@dataclass(frozen=True, slots=True)
class SourcePage:
    source: SourceSummary
    articles: list[Article]


def find_source(store: Store, source_id: int) -> SourceSummary:
    """Raises ``NotFound``."""
    for source in store.sources():
        if source.id == source_id:
            return source
    raise NotFound(f"no source {source_id}")


def source_page(store: Store, source_id: int, *, limit: int = 50) -> SourcePage:
    """Raises ``NotFound``."""
    source = find_source(store, source_id)
    return SourcePage(source=source, articles=store.articles(source=source.name, limit=limit))


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: str
    hits: list[SearchHit]


def search_page(store: Store, query: str, *, limit: int = 50) -> SearchPage:
    query = query.strip()
    return SearchPage(query=query, hits=store.search(query, limit=limit) if query else [])


def when(value: datetime | str | None) -> str:
    """A time as readers see it on the pages (UTC, minutes); ISO strings from payloads too."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return parsed.strftime("%Y-%m-%d %H:%M UTC")
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


@dataclass(frozen=True, slots=True)
class FollowedStory:
    story: Story
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class FollowingPage:
    """The stories that match what the user follows, ranked, each with why; and their mutes."""

    follows: list[Follow]
    labels: dict[int, str]
    stories: list[FollowedStory]
    mutes: list[Mute] = field(default_factory=list)
    mute_labels: dict[int, str] = field(default_factory=dict)


def follow_label(store: Store, follow: Follow | Mute) -> str:
    """What a follow or mute is about, for people: the entity's, outlet's or topic's name, the
    story's title, the keyword in quotes."""
    try:
        if follow.kind is FollowKind.ENTITY:
            return find_entity(store, int(follow.target)).name
        if follow.kind is FollowKind.SOURCE:
            return find_source(store, int(follow.target)).name
        if follow.kind is FollowKind.STORY:
            return store.story(int(follow.target))[0].title
        if follow.kind is FollowKind.TOPIC:
            return "topic " + Personal(store).topic(int(follow.target)).name
    except NotFound:
        return f"{follow.kind.value} {follow.target} (gone)"
    return f"“{follow.target}”"


def following_page(
    store: Store,
    personal: Personal,
    user_id: int,
    follows: list[Follow],
    *,
    now: datetime,
    half_life_hours: float,
    limit: int = 50,
) -> FollowingPage:
    """The stories matching ``follows``, ranked by ``pipeline.rank`` (interest, importance,
    freshness, novelty); mutes leave stories out whatever they match."""
    ranked = personal.feed(
        user_id, now=now, half_life_hours=half_life_hours, limit=limit, followed_only=True
    )
    mutes = personal.mutes(user_id)
    return FollowingPage(
        follows=follows,
        labels={f.id: follow_label(store, f) for f in follows},
        stories=[
            FollowedStory(story, item.score, item.reason)
            for story, item in _ranked_stories(store, ranked)
        ],
        mutes=mutes,
        mute_labels={m.id: follow_label(store, m) for m in mutes},
    )


def check_follow_target(
    store: Store,
    kind: FollowKind,
    target: str,
    *,
    user_id: int | None = None,
    verb: str = "follow",
) -> None:
    """Raises ``InputError`` (400) when an entity, source or story target is not an id, and
    ``NotFound`` (404) when no such object exists; keywords are checked by the store. ``verb``
    ("follow", "mute") names the action in the message, as the stores' own refusals do."""
    if kind is FollowKind.KEYWORD:
        return
    number = int(kind.normalise(target, verb=verb))
    if kind is FollowKind.TOPIC:
        topic = Personal(store).topic(number)
        # Another user's own topic is not there for anybody else (as on its page).
        if topic.user_id is not None and topic.user_id != user_id:
            raise NotFound(f"no topic {number}")
    elif kind is FollowKind.ENTITY:
        find_entity(store, number)
    elif kind is FollowKind.SOURCE:
        find_source(store, number)
    else:
        store.story(number)
