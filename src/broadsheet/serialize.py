"""Records as JSON-ready dicts, in the shapes DESIGN's CLI/JSON contract fixes.

The CLI's ``--json`` output and (later) the REST API share these functions, so a key is named
once. Keys may be added, never renamed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from broadsheet.model import (
    Article,
    ArticleVersion,
    CitedText,
    DateDraft,
    DocumentOutcome,
    Entity,
    Feed,
    FigureDraft,
    IngestReport,
    Mention,
    Quarantine,
    QuarantineDraft,
    QuoteDraft,
    Removal,
    SearchHit,
    SourceSummary,
    Story,
    StoryView,
)

if TYPE_CHECKING:  # polling imports the pipeline; the serializer needs only its record type
    from broadsheet.polling import PollReport
    from broadsheet.store.stories import StoryArticle

__all__ = [
    "article_entities_json",
    "article_json",
    "article_summary_json",
    "date_json",
    "entity_json",
    "feed_json",
    "figure_json",
    "iso",
    "mention_json",
    "poll_json",
    "quarantine_json",
    "quote_json",
    "removal_json",
    "report_json",
    "search_hit_json",
    "source_json",
    "story_detail_json",
    "story_json",
    "story_view_json",
    "version_json",
]


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with an explicit offset, or None."""
    return value.isoformat() if value else None


def article_summary_json(article: Article) -> dict[str, Any]:
    """The short form used in lists."""
    return {
        "id": article.id,
        "source": article.source,
        "title": article.title,
        "url": article.url,
        "published_at": iso(article.published_at),
        "published_at_guessed": article.published_at_guessed,
        "language": article.language,
        "duplicate_of": article.duplicate_of,
        "story_id": article.story_id,
    }


def removal_json(removal: Removal) -> dict[str, Any]:
    return {
        "text": removal.text,
        "reason": removal.reason,
        "start": removal.start,
        "end": removal.end,
        "score": removal.score,
    }


def mention_json(mention: Mention) -> dict[str, Any]:
    return {
        "text": mention.text,
        "start": mention.start,
        "end": mention.end,
        "role": mention.role,
    }


def article_entities_json(mentions: Sequence[Mention]) -> list[dict[str, Any]]:
    """An article's entities in order of first mention, each with its mentions."""
    grouped: dict[int, list[Mention]] = {}
    for mention in sorted(mentions, key=lambda m: m.start):
        grouped.setdefault(mention.entity_id, []).append(mention)
    return [
        {
            "entity_id": entity_id,
            "name": group[0].name,
            "type": group[0].type.value,
            "mentions": [mention_json(m) for m in group],
        }
        for entity_id, group in grouped.items()
    ]


def entity_json(entity: Entity) -> dict[str, Any]:
    """``entities --json`` items: name, type, aliases, article count."""
    return {
        "id": entity.id,
        "name": entity.name,
        "type": entity.type.value,
        "aliases": list(entity.aliases),
        "article_count": entity.article_count,
    }


def quote_json(quote: QuoteDraft, speaker_entity_id: int | None = None) -> dict[str, Any]:
    """A quote: ``start``/``end`` are offsets of the quoted words in the article body."""
    return {
        "speaker": quote.speaker,
        "speaker_entity_id": speaker_entity_id,
        "text": quote.text,
        "cue": quote.cue,
        "direct": quote.direct,
        "start": quote.start,
        "end": quote.end,
    }


def figure_json(figure: FigureDraft) -> dict[str, Any]:
    """An amount. ``normalized`` reads "4200000000000 JPY (28000000000 USD)"."""
    normalized = f"{figure.value:.15g} {figure.unit}"
    if figure.alt_value is not None and figure.alt_unit:
        normalized += f" ({figure.alt_value:.15g} {figure.alt_unit})"
    return {
        "text": figure.text,
        "value": figure.value,
        "unit": figure.unit,
        "normalized": normalized,
        "quantity": figure.quantity,
        "change": figure.change,
        "alt_value": figure.alt_value,
        "alt_unit": figure.alt_unit,
        "sentence": figure.sentence,
        "offsets": [figure.start, figure.end],
    }


def date_json(found: DateDraft) -> dict[str, Any]:
    """A date or period: ``start``/``end`` are its first and last day (DESIGN's contract),
    ``offsets`` where it is written in the body."""
    return {
        "text": found.text,
        "start": found.first.isoformat(),
        "end": found.last.isoformat(),
        "granularity": found.granularity,
        "guessed": found.guessed,
        "offsets": [found.start, found.end],
    }


def article_json(
    article: Article,
    *,
    duplicates: Sequence[int] = (),
    mentions: Sequence[Mention] = (),
    quotes: Sequence[tuple[QuoteDraft, int | None]] = (),
    figures: Sequence[FigureDraft] = (),
    dates: Sequence[DateDraft] = (),
) -> dict[str, Any]:
    """``article ID --json``: metadata, text, and what enrichment read in it."""
    return {
        **article_summary_json(article),
        "canonical_url": article.canonical_url,
        "authors": list(article.authors),
        "paragraphs": list(article.paragraphs),
        "content_hash": article.content_hash,
        "is_partial": article.is_partial,
        "version": article.version,
        "raw_id": article.raw_id,
        "duplicates": list(duplicates),
        "removed": [removal_json(r) for r in article.removed],
        "ingested_at": iso(article.ingested_at),
        "updated_at": iso(article.updated_at),
        "language_confidence": article.language_confidence,
        "standfirst": article.standfirst,
        "entities": article_entities_json(mentions),
        "quotes": [quote_json(q, speaker) for q, speaker in quotes],
        "figures": [figure_json(f) for f in figures],
        "dates": [date_json(d) for d in dates],
    }


def version_json(version: ArticleVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "raw_id": version.raw_id,
        "title": version.title,
        "content_hash": version.content_hash,
        "created_at": iso(version.created_at),
        "paragraphs": list(version.paragraphs),
    }


def _draft_json(problem: QuarantineDraft) -> dict[str, Any]:
    return {
        "stage": problem.stage.value,
        "code": problem.code,
        "error_class": problem.error_class,
        "message": problem.message,
        "locator": problem.locator,
    }


def quarantine_json(record: Quarantine) -> dict[str, Any]:
    return {
        "id": record.id,
        "raw_id": record.raw_id,
        "origin": record.origin,
        **_draft_json(
            QuarantineDraft(
                record.stage, record.code, record.error_class, record.message, record.locator
            )
        ),
        "created_at": iso(record.created_at),
        "resolved_at": iso(record.resolved_at),
    }


def _outcome_json(outcome: DocumentOutcome) -> dict[str, Any]:
    return {
        "origin": outcome.origin,
        "raw_id": outcome.raw_id,
        "format": outcome.format.value if outcome.format else None,
        "status": outcome.status,
        "articles_new": list(outcome.articles_new),
        "articles_updated": list(outcome.articles_updated),
        "articles_unchanged": list(outcome.articles_unchanged),
        "feeds_new": outcome.feeds_new,
        "quarantined": [_draft_json(p) for p in outcome.quarantined],
    }


REPORT_TOTALS = (
    "documents",
    "new",
    "unchanged",
    "reprocessed",
    "articles_new",
    "articles_updated",
    "articles_unchanged",
    "feeds_new",
    "quarantined",
)


def report_json(report: IngestReport, *, skipped: Sequence[str] = ()) -> dict[str, Any]:
    """``ingest --json`` / ``reprocess --json``: totals, then one entry per document."""
    totals = {name: report.count(name) for name in REPORT_TOTALS}
    totals["duplicates_in_store"] = report.duplicates
    totals["skipped"] = len(skipped)
    return {
        "totals": totals,
        "documents": [_outcome_json(o) for o in report.documents],
        "skipped": list(skipped),
    }


def search_hit_json(hit: SearchHit) -> dict[str, Any]:
    return {
        "id": hit.article_id,
        "title": hit.title,
        "source": hit.source,
        "published_at": iso(hit.published_at),
        "snippet": hit.snippet,
        "rank": hit.rank,
    }


def source_json(source: SourceSummary) -> dict[str, Any]:
    return {
        "id": source.id,
        "name": source.name,
        "site_url": source.site_url,
        "articles": source.articles,
    }


def feed_json(feed: Feed) -> dict[str, Any]:
    return {
        "id": feed.id,
        "xml_url": feed.xml_url,
        "title": feed.title,
        "html_url": feed.html_url,
        "categories": list(feed.categories),
        "created_at": iso(feed.created_at),
        "status": feed.status.value,
        "last_polled_at": iso(feed.last_polled_at),
        "last_success_at": iso(feed.last_success_at),
        "last_changed_at": iso(feed.last_changed_at),
        "last_error": feed.last_error,
        "last_error_code": feed.last_error_code,
        "error_count": feed.error_count,
        "next_due_at": iso(feed.next_due_at),
        "interval_s": feed.interval_s,
    }


def poll_json(report: PollReport) -> dict[str, Any]:
    """``fetch --json``: one entry per feed polled, and totals."""
    names = ("new", "unchanged", "not_modified", "failed", "gone")
    totals = {"feeds": report.count("feeds"), **{name: report.count(name) for name in names}}
    for name in ("articles_new", "articles_updated", "pages_fetched", "pages_failed"):
        totals[name] = report.count(name)
    totals["quarantined"] = report.count("quarantined")
    return {
        "feeds": [
            {
                "id": poll.feed_id,
                "url": poll.url,
                "outcome": poll.outcome,
                "status": poll.status.value,
                "articles_new": list(poll.articles_new),
                "articles_updated": list(poll.articles_updated),
                "pages_fetched": poll.pages_fetched,
                "pages_failed": poll.pages_failed,
                "quarantined": poll.quarantined,
                "error": poll.error,
                "error_code": poll.error_code,
                "next_due_at": iso(poll.next_due_at),
                "moved_to": poll.moved_to,
                "note": poll.note,
            }
            for poll in report.feeds
        ],
        "totals": totals,
    }


def story_json(story: Story) -> dict[str, Any]:
    """``stories --json``: one story in the list."""
    return {
        "id": story.id,
        "title": story.title,
        "article_ids": list(story.article_ids),
        "sources": list(story.sources),
        "first_seen": iso(story.first_seen),
        "last_seen": iso(story.last_seen),
        "language": story.language,
        "article_count": story.article_count,
        "source_count": story.source_count,
    }


def story_view_json(view: StoryView) -> dict[str, Any]:
    """The story view's part of ``story ID --json`` (#8): ``summary``, ``coverage``, ``quotes``,
    ``timeline`` and ``outlets``. Citations are article ids; ``sources`` outlet names. It is also
    the form the store keeps (``store.storyviews`` reads it back)."""

    def cited(c: CitedText) -> dict[str, Any]:
        return {
            "text": c.text,
            "citations": list(c.citations),
            "sources": list(c.sources),
            "outlets": c.outlets,
        }

    return {
        "summary": [cited(c) for c in view.summary],
        "coverage": {
            "agreed": [cited(c) for c in view.agreed],
            "unique": [
                {**cited(c), "source": c.sources[0] if c.sources else None} for c in view.unique
            ],
            "conflicts": [
                {
                    "about": conflict.about,
                    "kind": conflict.kind,
                    "variants": [
                        {
                            "value": v.value,
                            "text": v.text,
                            "citations": list(v.citations),
                            "sources": list(v.sources),
                        }
                        for v in conflict.variants
                    ],
                }
                for conflict in view.conflicts
            ],
        },
        "quotes": [
            {
                "speaker": row.speaker,
                "speaker_entity_id": row.speaker_entity_id,
                "quotes": [cited(q) for q in row.quotes],
            }
            for row in view.quotes
        ],
        "timeline": [
            {
                "date": entry.date,
                "end": entry.end,
                "kind": entry.kind,
                "text": entry.text,
                "citations": list(entry.citations),
            }
            for entry in view.timeline
        ],
        "outlets": list(view.outlets),
    }


def story_detail_json(
    story: Story,
    members: Sequence[StoryArticle],
    top_entities: Sequence[Entity] = (),
    view: StoryView | None = None,
) -> dict[str, Any]:
    """``story ID --json``: the story, its members and (#8) its story view. Without a view the
    summary, coverage and quotes are empty and the timeline lists when each outlet reported."""
    detail = {
        **story_json(story),
        "articles": [
            {
                "id": m.id,
                "source": m.source,
                "title": m.title,
                "published_at": iso(m.published_at),
                "duplicate_of": m.duplicate_of,
            }
            for m in members
        ],
        "top_entities": [{"id": e.id, "name": e.name, "type": e.type.value} for e in top_entities],
        "summary": [],
        "coverage": {"agreed": [], "unique": [], "conflicts": []},
        "quotes": [],
        "timeline": [
            {"date": iso(m.published_at), "text": f"{m.source}: {m.title}", "citations": [m.id]}
            for m in members
        ],
    }
    if view is not None:
        detail.update(story_view_json(view))
    return detail
