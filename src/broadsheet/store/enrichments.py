"""Quotes, figures and dates of articles in the store.

They are derived from one article's current text and nothing else, so they are replaced whole
whenever that text is (re)written; a quote's speaker is tied to the entity the article's
mentions resolved to (``store.entities`` writes those first).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from broadsheet.model import (
    ArticleDraft,
    ArticleId,
    DateDraft,
    EntityId,
    EntityType,
    FigureDraft,
    QuoteDraft,
)
from broadsheet.store.schema import dates, figures, mentions, quotes

__all__ = ["StoredQuote", "read_dates", "read_figures", "read_quotes", "write_enrichments"]


@dataclass(frozen=True, slots=True)
class StoredQuote:
    """A stored quote: the draft and, when the speaker is a named entity, its entity id."""

    quote: QuoteDraft
    speaker_entity_id: EntityId | None


def _speaker_ids(conn: Connection, article_id: ArticleId) -> dict[str, int]:
    rows = conn.execute(
        sa.select(mentions.c.name, mentions.c.entity_id)
        .where(mentions.c.article_id == article_id)
        .distinct()
    ).all()
    return {row.name: row.entity_id for row in rows}


def write_enrichments(conn: Connection, article_id: ArticleId, draft: ArticleDraft) -> None:
    """Replace the article's quotes, figures and dates with the draft's."""
    for table in (quotes, figures, dates):
        conn.execute(table.delete().where(table.c.article_id == article_id))
    if draft.quotes:
        speakers = _speaker_ids(conn, article_id)
        conn.execute(
            quotes.insert(),
            [
                {
                    "article_id": article_id,
                    "start": q.start,
                    "end": q.end,
                    "text": q.text,
                    "direct": q.direct,
                    "speaker": q.speaker,
                    "speaker_entity_id": speakers.get(q.speaker)
                    if q.speaker and q.speaker_type
                    else None,
                    "cue": q.cue,
                }
                for q in draft.quotes
            ],
        )
    if draft.figures:
        conn.execute(
            figures.insert(),
            [
                {
                    "article_id": article_id,
                    "start": f.start,
                    "end": f.end,
                    "text": f.text,
                    "value": f.value,
                    "unit": f.unit,
                    "quantity": f.quantity,
                    "change": f.change,
                    "alt_value": f.alt_value,
                    "alt_unit": f.alt_unit,
                    "sentence": f.sentence,
                }
                for f in draft.figures
            ],
        )
    if draft.dates:
        conn.execute(
            dates.insert(),
            [
                {
                    "article_id": article_id,
                    "start": d.start,
                    "end": d.end,
                    "text": d.text,
                    "first": d.first,
                    "last": d.last,
                    "granularity": d.granularity,
                    "guessed": d.guessed,
                }
                for d in draft.dates
            ],
        )


def read_quotes(conn: Connection, article_id: int) -> list[StoredQuote]:
    rows = conn.execute(
        sa.select(quotes, mentions.c.type.label("speaker_type"))
        .outerjoin(
            mentions,
            sa.and_(
                mentions.c.article_id == quotes.c.article_id,
                mentions.c.entity_id == quotes.c.speaker_entity_id,
                mentions.c.name == quotes.c.speaker,
            ),
        )
        .where(quotes.c.article_id == article_id)
        .order_by(quotes.c.start, quotes.c.id)
    ).all()
    found: dict[int, StoredQuote] = {}
    for r in rows:
        found.setdefault(
            r.id,
            StoredQuote(
                QuoteDraft(
                    text=r.text,
                    start=r.start,
                    end=r.end,
                    direct=r.direct,
                    speaker=r.speaker,
                    speaker_type=EntityType(r.speaker_type) if r.speaker_type else None,
                    cue=r.cue,
                ),
                EntityId(r.speaker_entity_id) if r.speaker_entity_id is not None else None,
            ),
        )
    return list(found.values())


def read_figures(conn: Connection, article_id: int) -> list[FigureDraft]:
    rows = conn.execute(
        sa.select(figures).where(figures.c.article_id == article_id).order_by(figures.c.start)
    ).all()
    return [
        FigureDraft(
            text=r.text,
            start=r.start,
            end=r.end,
            value=r.value,
            unit=r.unit,
            sentence=r.sentence,
            quantity=r.quantity,
            change=r.change,
            alt_value=r.alt_value,
            alt_unit=r.alt_unit,
        )
        for r in rows
    ]


def read_dates(conn: Connection, article_id: int) -> list[DateDraft]:
    rows = conn.execute(
        sa.select(dates).where(dates.c.article_id == article_id).order_by(dates.c.start)
    ).all()
    return [
        DateDraft(
            text=r.text,
            start=r.start,
            end=r.end,
            first=r.first,
            last=r.last,
            granularity=r.granularity,
            guessed=r.guessed,
        )
        for r in rows
    ]
