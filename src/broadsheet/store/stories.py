"""Stories in the store: online assignment of articles, inside the ingest batch's transaction.

``assign`` runs at the end of ``write_batch`` (after ``dedupe.relink``) over the batch's new and
changed full-text articles in arrival order. An article that already belongs to a story keeps it
(so reprocess never renumbers stories). A duplicate joins its original's story without touching
the centroid or counting as another outlet. Any other article is turned into a ``Signal`` with
document frequencies read for its own terms only (``term_df``), candidate stories of its language
active within the model's time window are looked up in the inverted index (``story_terms``), and
``pipeline.cluster.ranked`` scores them. When the article clears the threshold for a second
story too, both stories' members are read back and the two are merged if they are one event
(``pipeline.cluster.merge_members``; the smaller story is deleted, its id recorded in
``story_merges``). When the article joins a story of ``SPLIT_MIN_SIZE`` to ``SPLIT_MAX_SIZE``
members, that story's members (and only they) are read back and, if they form two events
(``pipeline.cluster.split_members``), one half moves to a new story with its duplicates; the
article may move with it. The batch's write transaction (``BEGIN IMMEDIATE``
on SQLite) serialises clustering between processes, so two ingests never open two stories for
one event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from broadsheet.model import ArticleId, FollowKind, Story, StoryId
from broadsheet.store.schema import (
    article_entities,
    articles,
    entities,
    feedback,
    follows,
    mutes,
    read_marks,
    sources,
    stories,
    story_merges,
    story_terms,
    story_views,
)
from broadsheet.store.schema import term_df as term_df_table

if TYPE_CHECKING:
    from broadsheet.pipeline import cluster

__all__ = [
    "StoryArticle",
    "assign",
    "list_stories",
    "load_story",
    "open_story",
    "story_articles",
]

_CHUNK = 500
_DOCS = ""  # the term_df row that counts the articles clustered so far


@dataclass(frozen=True, slots=True)
class StoryArticle:
    """A member of a story as the story page lists it."""

    id: ArticleId
    source: str
    title: str
    published_at: datetime
    duplicate_of: ArticleId | None


# Statements built once (expanding IN lists): clustering runs them for every article, and
# building and compiling a fresh statement each time cost more than running it.
_DF_QUERY = sa.select(term_df_table.c.term, term_df_table.c.df).where(
    term_df_table.c.term.in_(sa.bindparam("terms", expanding=True))
)
_HITS = sa.func.count(story_terms.c.term).label("hits")
_CANDIDATE_QUERY = (
    sa.select(story_terms.c.story_id, _HITS)
    .join(stories, stories.c.id == story_terms.c.story_id)
    .where(
        story_terms.c.term.in_(sa.bindparam("keys", expanding=True)),
        story_terms.c.last_seen >= sa.bindparam("since"),
        sa.func.coalesce(stories.c.language, "") == sa.bindparam("language"),
        stories.c.first_seen <= sa.bindparam("until"),
    )
    .group_by(story_terms.c.story_id)
    .order_by(sa.desc("hits"), story_terms.c.story_id)
    .limit(sa.bindparam("limit"))
)
_STORIES_QUERY = sa.select(stories).where(stories.c.id.in_(sa.bindparam("ids", expanding=True)))
# A story's members. Duplicates are left out in Python, not in SQL: with "duplicate_of IS NULL"
# in the WHERE clause SQLite chose the duplicate_of index and read every original in the store,
# so the split and merge checks grew with the store (29 ms a check at 50,000 articles).
_SIGNAL_COLUMNS = (  # what an article's clustering signal is built from (``_signals``)
    articles.c.id,
    articles.c.title,
    articles.c.body,
    articles.c.published_at,
    articles.c.language,
    articles.c.duplicate_of,
)
_MEMBERS_QUERY = (
    sa.select(*_SIGNAL_COLUMNS)
    .where(articles.c.story_id == sa.bindparam("story_id"))
    .order_by(articles.c.id)
)
_ARTICLE_QUERY = sa.select(*_SIGNAL_COLUMNS, articles.c.is_partial, articles.c.story_id).where(
    articles.c.id == sa.bindparam("article_id")
)
_UPSERTS: dict[str, Any] = {}


def _doc_freqs(conn: Connection, terms: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(terms), _CHUNK):
        rows = conn.execute(_DF_QUERY, {"terms": list(terms[start : start + _CHUNK])})
        found.update({row.term: int(row.df) for row in rows})
    return found


def _count_terms(conn: Connection, terms: Iterable[str]) -> None:
    rows = [{"term": t, "df": 1} for t in sorted(set(terms) | {_DOCS})]
    dialect = conn.dialect.name
    statement = _UPSERTS.get(dialect)
    if statement is None:
        insert: Any = (postgresql if dialect == "postgresql" else sqlite).insert(term_df_table)
        statement = _UPSERTS[dialect] = insert.on_conflict_do_update(
            index_elements=[term_df_table.c.term], set_={"df": term_df_table.c.df + 1}
        )
    for start in range(0, len(rows), _CHUNK):
        conn.execute(statement, rows[start : start + _CHUNK])


def _state(row: Any) -> cluster.StoryState:
    from broadsheet.pipeline import cluster  # here: the pipeline imports the store

    return cluster.StoryState(
        key=int(row.id),
        centroid={str(k): float(v) for k, v in row.centroid.items()},
        entity_centroid={int(k): float(v) for k, v in row.entity_centroid.items()},
        entities={int(k): int(v) for k, v in row.entities.items()},
        size=int(row.size),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        title=row.title,
        title_score=float(row.title_score),
    )


def _candidates(
    conn: Connection, signal: cluster.Signal, model: cluster.ClusterModel
) -> list[cluster.StoryState]:
    from broadsheet.pipeline import cluster  # here: the pipeline imports the store

    keys = signal.query_terms()
    if not keys:
        return []
    window = timedelta(days=model.window_days)
    params = {
        "keys": keys,
        "since": signal.published_at - window,
        "until": signal.published_at + window,
        "language": signal.language or "",
        "limit": cluster.MAX_CANDIDATES,
    }
    ids = [int(row.story_id) for row in conn.execute(_CANDIDATE_QUERY, params)]
    if not ids:
        return []
    rows = conn.execute(_STORIES_QUERY, {"ids": ids}).all()
    by_id = {int(row.id): _state(row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def _save(
    conn: Connection, story: cluster.StoryState, title_article: int | None, now: datetime
) -> None:
    from broadsheet.pipeline import cluster  # here: the pipeline imports the store

    values = {
        "title": story.title,
        "title_score": story.title_score,
        "first_seen": story.first_seen,
        "last_seen": story.last_seen,
        "size": story.size,
        "centroid": {k: round(v, 5) for k, v in story.centroid.items()},
        "entity_centroid": {str(k): round(v, 5) for k, v in story.entity_centroid.items()},
        "entities": {str(k): v for k, v in story.entities.items()},
        "updated_at": now,
    }
    if title_article is not None:
        values["title_article_id"] = title_article
    conn.execute(stories.update().where(stories.c.id == story.key).values(**values))
    conn.execute(story_terms.delete().where(story_terms.c.story_id == story.key))
    terms = cluster.index_terms(story)
    if terms:
        conn.execute(
            story_terms.insert(),
            [
                {"story_id": story.key, "term": t, "weight": w, "last_seen": story.last_seen}
                for t, w in terms.items()
            ],
        )


def _recount(conn: Connection, story_id: int) -> None:
    """Members (duplicates included) and distinct outlets (duplicates left out)."""
    members = sa.select(sa.func.count()).where(articles.c.story_id == story_id).scalar_subquery()
    outlets = (
        sa.select(sa.func.count(sa.distinct(articles.c.source_id)))
        .where(articles.c.story_id == story_id, articles.c.duplicate_of.is_(None))
        .scalar_subquery()
    )
    conn.execute(
        stories.update()
        .where(stories.c.id == story_id)
        .values(article_count=members, source_count=outlets)
    )


def _open(conn: Connection, signal: cluster.Signal, article_id: int, now: datetime) -> StoryId:
    return open_story(
        conn,
        title=signal.title,
        language=signal.language,
        title_article_id=article_id,
        at=signal.published_at,
        now=now,
    )


def open_story(
    conn: Connection,
    *,
    title: str,
    language: str | None,
    title_article_id: int | None,
    at: datetime,
    now: datetime,
) -> StoryId:
    """A new, empty story first and last seen ``at`` (its members and statistics come after)."""
    story_id = conn.execute(
        stories.insert().values(
            language=language,
            title=title,
            title_article_id=title_article_id,
            title_score=-1.0,
            first_seen=at,
            last_seen=at,
            article_count=0,
            source_count=0,
            size=0,
            centroid={},
            entity_centroid={},
            entities={},
            created_at=now,
            updated_at=now,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    return StoryId(int(story_id))


def subject_entities(conn: Connection, named: dict[int, int]) -> dict[int, int]:
    """``named`` (entity id -> mentions) without the entities that are outlets the store reads
    ("(Meridian Wire) --", "told the Harbour Ledger"): a credit says who reported, not what
    happened, and two wire stories about different events would share it."""
    if not named:
        return named
    outlets = {
        int(row.id)
        for row in conn.execute(
            sa.select(entities.c.id)
            .join(sources, sources.c.name == entities.c.name)
            .where(entities.c.id.in_(sorted(named)))
        )
    }
    return {e: n for e, n in named.items() if e not in outlets} if outlets else named


def _named(conn: Connection, article_ids: Sequence[int]) -> dict[int, dict[int, int]]:
    """Each article's subject entities (entity id -> mentions; ``subject_entities``)."""
    named: dict[int, dict[int, int]] = {i: {} for i in article_ids}
    for e in conn.execute(
        sa.select(
            article_entities.c.article_id, article_entities.c.entity_id, article_entities.c.mentions
        ).where(article_entities.c.article_id.in_(article_ids))
    ):
        named[int(e.article_id)][int(e.entity_id)] = int(e.mentions)
    every = subject_entities(conn, {e: 1 for found in named.values() for e in found})
    return {i: {e: n for e, n in found.items() if e in every} for i, found in named.items()}


# The split and merge checks read a story's members back and build their signals again (the
# store keeps no per-article vectors, and document frequencies move); the members' words do not
# change, so their term counts are kept for the last articles seen. 256 covers the members of
# the few stories a batch checks (at most 40 each); the counts are shared, never mutated.
@lru_cache(maxsize=256)
def _terms(title: str, body: str) -> tuple[Counter[str], Counter[str]]:
    """``cluster.signal_terms`` of an article, cached by its text."""
    from broadsheet.pipeline import cluster  # here: the pipeline imports the store

    return cluster.signal_terms(title, body)


def _signals(
    conn: Connection, rows: Sequence[Any], named: dict[int, dict[int, int]]
) -> tuple[list[cluster.Signal], list[str]]:
    """Signals of these article rows (id, title, body, published_at, language) with the current
    document frequencies, and the terms they hold (words and entity keys), sorted."""
    from broadsheet.pipeline import cluster  # here: the pipeline imports the store

    found: set[str] = set()
    counted = [_terms(row.title, row.body) for row in rows]
    for row, (_, counts) in zip(rows, counted, strict=True):
        found |= set(counts)
        found |= {cluster.entity_key(e) for e in named[int(row.id)]}
    terms = sorted(found)
    freqs = _doc_freqs(conn, [*terms, _DOCS])
    signals = [
        cluster.make_signal(
            row.title,
            row.body,
            named[int(row.id)],
            row.published_at,
            freqs,
            freqs.get(_DOCS, 0),
            language=row.language,
            terms=terms,
        )
        for row, terms in zip(rows, counted, strict=True)
    ]
    return signals, terms


def _assign_one(
    conn: Connection, article_id: int, model: cluster.ClusterModel, now: datetime, depth: int = 0
) -> StoryId | None:
    from broadsheet.pipeline import cluster  # here: the pipeline imports the store

    row = conn.execute(_ARTICLE_QUERY, {"article_id": article_id}).one_or_none()
    if row is None or row.is_partial:
        return None
    if row.story_id is not None:
        return StoryId(row.story_id)
    if row.duplicate_of is not None and depth < 3:
        story_id = _assign_one(conn, row.duplicate_of, model, now, depth + 1)
        if story_id is not None:
            conn.execute(
                articles.update().where(articles.c.id == article_id).values(story_id=story_id)
            )
            conn.execute(stories.update().where(stories.c.id == story_id).values(updated_at=now))
            _recount(conn, story_id)
            return story_id
    (signal,), terms = _signals(conn, [row], _named(conn, [article_id]))
    _count_terms(conn, terms)
    scored = cluster.ranked(signal, _candidates(conn, signal, model), model)
    joined = bool(scored) and scored[0][0] >= model.threshold
    story = scored[0][1] if joined else None
    if story is None:
        story = cluster.new_story(_open(conn, signal, article_id, now), signal)
        title_article: int | None = article_id
    else:
        before = story.title
        cluster.add_member(story, signal)
        title_article = article_id if story.title is not before else None
    _save(conn, story, title_article, now)
    story_id = StoryId(story.key)
    conn.execute(articles.update().where(articles.c.id == article_id).values(story_id=story_id))
    _recount(conn, story_id)
    size = story.size
    merged = False
    for score, other in scored[1:]:
        if score < model.threshold:
            break
        if other.key != story_id:
            kept = _merge(conn, story_id, other.key, now)
            if kept is not None:
                story_id, size = kept
                merged = True
    if (joined and size in cluster.SPLIT_SIZES) or (merged and size >= cluster.SPLIT_MIN_SIZE):
        moved = _split(conn, story_id, now)
        if article_id in moved:
            return moved[article_id]
    return story_id


def _member_signals(
    conn: Connection, story_id: int
) -> tuple[list[int], list[str], list[cluster.Signal]]:
    """The story's members (duplicates left out), oldest first, as signals built again with the
    current document frequencies (the store keeps no per-article vectors): ids, titles, signals."""
    rows = [
        row
        for row in conn.execute(_MEMBERS_QUERY, {"story_id": story_id})
        if row.duplicate_of is None
    ]
    ids = [int(row.id) for row in rows]
    signals, _terms = _signals(conn, rows, _named(conn, ids))
    return ids, [row.title for row in rows], signals


def _merge(conn: Connection, first: int, second: int, now: datetime) -> tuple[StoryId, int] | None:
    """Merge two stories that one article joins when ``cluster.merge_members`` says they are
    one event: the one with more members keeps its id (on a tie, the older), the other's
    articles (duplicates included) and readers' feedback move to it, and the other is deleted
    with its index rows, read marks and cached view. Reads only the two stories' members, and
    only when together they are within ``SPLIT_MAX_SIZE``. Returns (the id kept, its size)."""
    from broadsheet.pipeline import cluster  # here: the pipeline imports the store

    sizes = {
        int(row.id): int(row.size)
        for row in conn.execute(
            sa.select(stories.c.id, stories.c.size).where(stories.c.id.in_([first, second]))
        )
    }
    if len(sizes) < 2 or sizes[first] + sizes[second] > cluster.SPLIT_MAX_SIZE:
        return None
    ids_first, titles_first, signals_first = _member_signals(conn, first)
    ids_second, titles_second, signals_second = _member_signals(conn, second)
    if not cluster.merge_members(signals_first, signals_second):
        return None
    keep, gone = sorted((first, second), key=lambda k: (-sizes[k], k))
    conn.execute(articles.update().where(articles.c.story_id == gone).values(story_id=keep))
    conn.execute(feedback.update().where(feedback.c.story_id == gone).values(story_id=keep))
    for table in (follows, mutes):  # a follow or mute of the story goes with its articles
        of_story = table.c.kind == FollowKind.STORY.value
        has_keep = sa.select(table.c.user_id).where(of_story, table.c.target == str(keep))
        conn.execute(
            table.update()
            .where(of_story, table.c.target == str(gone), table.c.user_id.not_in(has_keep))
            .values(target=str(keep))
        )
        conn.execute(table.delete().where(of_story, table.c.target == str(gone)))
    for table in (read_marks, story_views, story_terms):
        conn.execute(table.delete().where(table.c.story_id == gone))
    conn.execute(stories.delete().where(stories.c.id == gone))
    # Links to the deleted story lead to this one (and so do links to stories merged into it).
    conn.execute(story_merges.update().where(story_merges.c.into_id == gone).values(into_id=keep))
    # SQLite may give a deleted story's id to a new story; its own merge then replaces the row.
    conn.execute(story_merges.delete().where(story_merges.c.story_id == gone))
    conn.execute(story_merges.insert().values(story_id=gone, into_id=keep, merged_at=now))
    members = sorted(
        zip(
            ids_first + ids_second,
            titles_first + titles_second,
            signals_first + signals_second,
            strict=True,
        ),
        key=lambda member: member[0],
    )
    state = cluster.rebuild(keep, [signal for _, _, signal in members])
    _save(conn, state, next(i for i, title, _ in members if title == state.title), now)
    _recount(conn, keep)
    return StoryId(keep), state.size


def _split(conn: Connection, story_id: int, now: datetime) -> dict[int, StoryId]:
    """Cut the story in two when its members form two events (``cluster.split_members``):
    the half that leaves becomes a new story, with the duplicates of its articles. Reads only
    this story's members (at most ``SPLIT_MAX_SIZE``). Returns the articles moved."""
    from broadsheet.pipeline import cluster  # here: the pipeline imports the store

    ids, titles, signals = _member_signals(conn, story_id)
    cut = cluster.split_members(signals)
    if cut is None:
        return {}
    keep, leave = cut
    new_id = _open(conn, signals[leave[0]], ids[leave[0]], now)
    moved_ids = [ids[k] for k in leave]
    for key, half in ((story_id, keep), (new_id, leave)):
        state = cluster.rebuild(key, [signals[k] for k in half])
        title_article = next(ids[k] for k in half if titles[k] == state.title)
        _save(conn, state, title_article, now)
    conn.execute(
        articles.update()
        .where(
            articles.c.story_id == story_id,
            sa.or_(articles.c.id.in_(moved_ids), articles.c.duplicate_of.in_(moved_ids)),
        )
        .values(story_id=new_id)
    )
    _recount(conn, story_id)
    _recount(conn, new_id)
    moved = dict.fromkeys(moved_ids, new_id)
    return moved


def assign(
    conn: Connection,
    article_ids: Iterable[int],
    *,
    now: datetime,
    model: cluster.ClusterModel | None = None,
) -> dict[int, StoryId]:
    """Give each article (in the order given) a story; returns the stories assigned."""
    from broadsheet.pipeline import cluster  # here: the pipeline imports the store

    model = model or cluster.load_model()
    assigned: dict[int, StoryId] = {}
    for article_id in article_ids:
        story_id = _assign_one(conn, article_id, model, now)
        if story_id is not None:
            assigned[article_id] = story_id
    return assigned


# --- reads ---------------------------------------------------------------------------------------


def story_articles(conn: Connection, story_ids: Sequence[int]) -> dict[int, list[StoryArticle]]:
    """The members of these stories, oldest publication first."""
    found: dict[int, list[StoryArticle]] = {i: [] for i in story_ids}
    for start in range(0, len(story_ids), _CHUNK):
        query = (
            sa.select(
                articles.c.id,
                articles.c.story_id,
                articles.c.title,
                articles.c.published_at,
                articles.c.duplicate_of,
                sources.c.name.label("source"),
            )
            .join(sources, sources.c.id == articles.c.source_id)
            .where(articles.c.story_id.in_(story_ids[start : start + _CHUNK]))
            .order_by(articles.c.published_at, articles.c.id)
        )
        for row in conn.execute(query):
            found[int(row.story_id)].append(
                StoryArticle(
                    id=ArticleId(row.id),
                    source=row.source,
                    title=row.title,
                    published_at=row.published_at,
                    duplicate_of=ArticleId(row.duplicate_of) if row.duplicate_of else None,
                )
            )
    return found


def _story(row: Any, members: list[StoryArticle]) -> Story:
    top = sorted(row.entities.items(), key=lambda kv: (-int(kv[1]), int(kv[0])))[:10]
    return Story(
        id=StoryId(row.id),
        title=row.title,
        language=row.language,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        article_ids=tuple(m.id for m in members),
        sources=tuple(dict.fromkeys(m.source for m in members if m.duplicate_of is None)),
        article_count=int(row.article_count),
        source_count=int(row.source_count),
        top_entity_ids=tuple(int(k) for k, _ in top),
    )


def list_stories(conn: Connection, *, limit: int = 50, offset: int = 0) -> list[Story]:
    """Stories, most recently active first (ties: the bigger, then the newer)."""
    rows = conn.execute(
        sa.select(stories)
        .order_by(stories.c.last_seen.desc(), stories.c.article_count.desc(), stories.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    members = story_articles(conn, [int(r.id) for r in rows])
    return [_story(row, members[int(row.id)]) for row in rows]


def merged_into(conn: Connection, story_id: int) -> StoryId | None:
    """The story that holds a merged (deleted) story's articles now, or None."""
    into = conn.execute(
        sa.select(story_merges.c.into_id).where(story_merges.c.story_id == story_id)
    ).scalar()
    return None if into is None else StoryId(into)


def load_story(conn: Connection, story_id: int) -> tuple[Story, list[StoryArticle]] | None:
    row = conn.execute(sa.select(stories).where(stories.c.id == story_id)).one_or_none()
    if row is None:
        return None
    members = story_articles(conn, [int(row.id)])[int(row.id)]
    return _story(row, members), members
