"""Story views in the store (#8): load a story's inputs, build the view, keep it, know if stale.

A view is derived from the story's members and their enrichments only, so it is stored with the
story's ``updated_at`` it was computed from (``stories.updated_at`` moves whenever the story gains
an article) and with ``VIEW_VERSION``; when either differs the view is stale and is computed again,
after an ingest (``Store.refresh_story_views``) or lazily when read (``Store.story_view``). The view
is kept as the JSON of ``serialize.story_view_json`` and read back into a ``StoryView`` here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from broadsheet.model import (
    ArticleId,
    AttributedQuote,
    CitedText,
    Conflict,
    ConflictVariant,
    EntityType,
    SpeakerQuotes,
    StoryView,
    TimelineEntry,
    ViewArticle,
    ViewMention,
)
from broadsheet.serialize import story_view_json
from broadsheet.store.enrichments import read_dates, read_figures, read_quotes
from broadsheet.store.schema import articles, mentions, sources, stories, story_views

__all__ = [
    "VIEW_MAX_COPIES",
    "VIEW_MAX_ORIGINALS",
    "VIEW_VERSION",
    "load_view",
    "refresh_views",
    "save_view",
    "stale_story_ids",
    "view_articles",
    "view_from_json",
    "view_inputs",
]

# Bump when build_view changes what it computes: every stored view then counts as stale.
VIEW_VERSION = 2


# The most articles a view is built from: originals, and copies of them. The view compares every
# claim with every other (pipeline/storyview.py), so its cost grows with the square of the
# story's size; a story that keeps drawing coverage for weeks (or a feed that repeats itself)
# would otherwise make one view cost gigabytes and stop the ingest that refreshes it.
VIEW_MAX_ORIGINALS = 40
VIEW_MAX_COPIES = 40


def view_inputs(conn: Connection, story_id: int) -> list[ViewArticle]:
    """The story's members (copies included) with their mentions, quotes, figures and dates.

    A story of more than ``VIEW_MAX_ORIGINALS`` originals is viewed through a sample of them:
    the newest article of each outlet first (so every outlet keeps its column while there is
    room), then the newest of the rest; with up to ``VIEW_MAX_COPIES`` copies of those, newest
    first."""
    rows = conn.execute(
        sa.select(
            articles.c.id, articles.c.source_id, articles.c.published_at, articles.c.duplicate_of
        ).where(articles.c.story_id == story_id)
    ).all()
    originals = [r for r in rows if r.duplicate_of is None]
    if len(originals) <= VIEW_MAX_ORIGINALS and len(rows) - len(originals) <= VIEW_MAX_COPIES:
        return view_articles(conn, [int(r.id) for r in rows])
    newest_first = sorted(originals, key=lambda r: (r.published_at, r.id), reverse=True)
    chosen: dict[int, None] = {}  # ordered: a dict as an insertion-ordered set
    outlets: set[int] = set()
    for row in newest_first:  # the newest article of each outlet
        if row.source_id not in outlets and len(chosen) < VIEW_MAX_ORIGINALS:
            outlets.add(row.source_id)
            chosen[int(row.id)] = None
    for row in newest_first:  # then the newest of the rest
        if len(chosen) >= VIEW_MAX_ORIGINALS:
            break
        chosen.setdefault(int(row.id), None)
    copies = sorted(
        (r for r in rows if r.duplicate_of is not None and int(r.duplicate_of) in chosen),
        key=lambda r: (r.published_at, r.id),
        reverse=True,
    )[:VIEW_MAX_COPIES]
    return view_articles(conn, [*chosen, *(int(r.id) for r in copies)])


def view_articles(conn: Connection, article_ids: Sequence[int]) -> list[ViewArticle]:
    """These articles as the story view reads them, oldest publication first (the evaluation
    builds views of labelled events with it, apart from the clusterer)."""
    rows = conn.execute(
        sa.select(
            articles.c.id,
            articles.c.title,
            articles.c.body,
            articles.c.published_at,
            articles.c.duplicate_of,
            sources.c.name.label("source"),
        )
        .join(sources, sources.c.id == articles.c.source_id)
        .where(articles.c.id.in_(list(article_ids)))
        .order_by(articles.c.published_at, articles.c.id)
    ).all()
    found = []
    for row in rows:
        mention_rows = conn.execute(
            sa.select(
                mentions.c.entity_id,
                mentions.c.name,
                mentions.c.type,
                mentions.c.start,
                mentions.c.end,
            )
            .where(mentions.c.article_id == row.id)
            .order_by(mentions.c.start)
        ).all()
        found.append(
            ViewArticle(
                id=ArticleId(row.id),
                source=row.source,
                title=row.title,
                published_at=row.published_at,
                paragraphs=tuple(p for p in (row.body or "").split("\n\n")),
                duplicate_of=ArticleId(row.duplicate_of) if row.duplicate_of else None,
                mentions=tuple(
                    ViewMention(int(m.entity_id), m.name, EntityType(m.type), m.start, m.end)
                    for m in mention_rows
                ),
                quotes=tuple(
                    AttributedQuote(q.quote, q.speaker_entity_id) for q in read_quotes(conn, row.id)
                ),
                figures=tuple(read_figures(conn, row.id)),
                dates=tuple(read_dates(conn, row.id)),
            )
        )
    return found


def stale_story_ids(conn: Connection, story_ids: Sequence[int] | None = None) -> list[int]:
    """Stories whose view is missing, older than the story, or from another VIEW_VERSION."""
    query = (
        sa.select(stories.c.id)
        .outerjoin(story_views, story_views.c.story_id == stories.c.id)
        .where(
            sa.or_(
                story_views.c.story_id.is_(None),
                story_views.c.version != VIEW_VERSION,
                story_views.c.story_updated_at != stories.c.updated_at,
            )
        )
        .order_by(stories.c.id)
    )
    if story_ids is not None:
        query = query.where(stories.c.id.in_(list(story_ids)))
    return [int(i) for i in conn.execute(query).scalars()]


def _updated_at(conn: Connection, story_id: int) -> datetime | None:
    value: datetime | None = conn.execute(
        sa.select(stories.c.updated_at).where(stories.c.id == story_id)
    ).scalar_one_or_none()
    return value


def load_view(conn: Connection, story_id: int) -> StoryView | None:
    """The stored view when it is fresh, else None."""
    row = conn.execute(
        sa.select(story_views.c.view, story_views.c.version, story_views.c.story_updated_at).where(
            story_views.c.story_id == story_id
        )
    ).one_or_none()
    if row is None or row.version != VIEW_VERSION:
        return None
    if row.story_updated_at != _updated_at(conn, story_id):
        return None
    return view_from_json(row.view)


def save_view(
    conn: Connection, story_id: int, view: StoryView, *, story_updated_at: datetime, now: datetime
) -> None:
    """Replace the story's stored view."""
    conn.execute(story_views.delete().where(story_views.c.story_id == story_id))
    conn.execute(
        story_views.insert().values(
            story_id=story_id,
            version=VIEW_VERSION,
            story_updated_at=story_updated_at,
            computed_at=now,
            view=story_view_json(view),
        )
    )


def refresh_views(
    read: Connection, story_ids: Sequence[int]
) -> list[tuple[int, StoryView, datetime]]:
    """Build the views of these stories; returns (story id, view, story updated_at) to save."""
    from broadsheet.pipeline.storyview import build_view  # here: the pipeline imports the store

    built = []
    for story_id in story_ids:
        updated_at = _updated_at(read, story_id)
        if updated_at is None:
            continue
        built.append((story_id, build_view(view_inputs(read, story_id)), updated_at))
    return built


def _cited(data: Mapping[str, Any]) -> CitedText:
    return CitedText(
        text=data["text"],
        citations=tuple(ArticleId(int(i)) for i in data["citations"]),
        sources=tuple(data["sources"]),
        outlets=int(data.get("outlets", 1)),
    )


def view_from_json(data: Mapping[str, Any]) -> StoryView:
    """A ``StoryView`` from the JSON ``serialize.story_view_json`` made of it."""
    coverage = data["coverage"]
    return StoryView(
        summary=tuple(_cited(c) for c in data["summary"]),
        agreed=tuple(_cited(c) for c in coverage["agreed"]),
        unique=tuple(_cited(c) for c in coverage["unique"]),
        conflicts=tuple(
            Conflict(
                kind=c["kind"],
                about=c["about"],
                variants=tuple(
                    ConflictVariant(
                        value=v["value"],
                        text=v["text"],
                        citations=tuple(ArticleId(int(i)) for i in v["citations"]),
                        sources=tuple(v["sources"]),
                    )
                    for v in c["variants"]
                ),
            )
            for c in coverage["conflicts"]
        ),
        quotes=tuple(
            SpeakerQuotes(
                speaker=row["speaker"],
                speaker_entity_id=row["speaker_entity_id"],
                quotes=tuple(_cited(q) for q in row["quotes"]),
            )
            for row in data["quotes"]
        ),
        timeline=tuple(
            TimelineEntry(
                kind=e["kind"],
                date=e["date"],
                end=e["end"],
                text=e["text"],
                citations=tuple(ArticleId(int(i)) for i in e["citations"]),
            )
            for e in data["timeline"]
        ),
        outlets=tuple(data.get("outlets", ())),
    )
