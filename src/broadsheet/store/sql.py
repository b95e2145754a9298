"""The store on SQLAlchemy Core: SQLite by default (WAL, FTS5), PostgreSQL later.

All writes of one ingest batch happen in one transaction (``write_batch``): raw documents, articles,
their versions, quarantine records and feeds land together or not at all. On SQLite the write
transaction starts with ``BEGIN IMMEDIATE``, so two processes ingesting at once queue on the
database lock instead of failing half-way when a reader tries to become a writer.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.pool import StaticPool

from broadsheet.config import redact_url
from broadsheet.errors import NotFound, StoreError, StoryMerged
from broadsheet.model import (
    Article,
    ArticleDraft,
    ArticleId,
    ArticleVersion,
    DateDraft,
    DocumentOutcome,
    Entity,
    EntityType,
    Feed,
    FigureDraft,
    IngestOptions,
    InputFormat,
    Mention,
    ProcessResult,
    Quarantine,
    QuarantineDraft,
    QuarantineId,
    RawDocument,
    RawId,
    Removal,
    SearchHit,
    SourceId,
    SourceSummary,
    Stage,
    Story,
    StoryId,
    StoryView,
    Subscription,
)
from broadsheet.serialize import removal_json
from broadsheet.store import dedupe
from broadsheet.store import enrichments as enrichment_store
from broadsheet.store import entities as entity_store
from broadsheet.store import feeds as feed_store
from broadsheet.store import stories as story_store
from broadsheet.store import storyviews as story_view_store
from broadsheet.store.enrichments import StoredQuote
from broadsheet.store.schema import (
    UTCDateTime,
    article_entities,
    article_versions,
    articles,
    feeds,
    mentions,
    quarantine,
    raw_documents,
    source_lines,
    sources,
    stories,
)
from broadsheet.urls import canonical_url

__all__ = ["KnownRaw", "Store"]

logger = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).parent / "migrations"
_FTS_TOKEN = re.compile(r"\w+\*?")
# zlib level 6: within a few per cent of level 9 on HTML and text, at a third of the CPU time.
_ZLIB_LEVEL = 6
_WAL_RETRY_SECONDS = 30.0  # as long as the busy timeout every other lock waits for
# Search ranks (bm25) at most this many matches: the most recently stored ones. bm25 scores
# every match it ranks, so a word in most of a large store cost 100 ms and more; a query with
# fewer matches than this is ranked over all of them, as before.
SEARCH_WINDOW = 5000


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _set_wal(cursor: Any) -> None:
    """Put the database in WAL mode. Switching a new file's journal mode takes an exclusive lock
    for which SQLite does not wait (the busy timeout does not apply), so two processes opening a
    new store at once made one fail with "database is locked" (7 times in 40 on a busy
    machine); the switch is tried again for up to ``_WAL_RETRY_SECONDS``."""
    deadline = time.monotonic() + _WAL_RETRY_SECONDS
    delay = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def _create_engine(url: str) -> Engine:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    database = parsed.database or ""
    in_memory = database in ("", ":memory:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        connect_args={"timeout": 30},
        poolclass=StaticPool if in_memory else None,
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            _set_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _fts_query(text: str) -> str:
    """User words as an FTS5 query: each word quoted (no syntax errors), all must match."""
    terms = []
    for token in _FTS_TOKEN.findall(text):
        word, star = (token[:-1], "*") if token.endswith("*") else (token, "")
        if word:
            terms.append(f'"{word}"{star}')
    return " ".join(terms)


@dataclass(frozen=True, slots=True)
class KnownRaw:
    """A stored raw document as ingest needs to see it."""

    id: RawId
    options: IngestOptions
    fetched_at: datetime


@dataclass(slots=True)
class _BatchState:
    """Bookkeeping inside one write transaction."""

    now: datetime
    source_ids: dict[str, SourceId] = field(default_factory=dict)
    touched_hashes: set[str] = field(default_factory=set)
    # Articles this batch wrote or met, in arrival order: each gets a story if it has none.
    arrivals: list[ArticleId] = field(default_factory=list)


class Store:
    """Broadsheet's one storage interface. Open with ``Store.open(url)``; close when done."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- lifecycle -------------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Connect to ``url`` and bring its schema to the newest migration.

        Raises ``StoreError`` when the database cannot be opened or migrated.
        """
        try:
            engine = _create_engine(url)
            store = cls(engine)
            if migrate:
                store.migrate()
        except (sa.exc.SQLAlchemyError, OSError, ImportError) as exc:
            # ImportError: a URL whose database driver is not installed (e.g. psycopg).
            raise StoreError(f"cannot open database {redact_url(url)}: {exc}") from exc
        return store

    def migrate(self) -> None:
        """Run pending Alembic migrations (cheap when the schema is current)."""
        script = ScriptDirectory(str(_MIGRATIONS))
        head = script.get_current_head()
        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return
        logger.info("store_migrate", extra={"from": current, "to": head})
        try:
            with self.engine.connect() as conn:
                # Take the write lock first: two processes opening a new database at once then
                # migrate one after the other, and the second finds nothing left to do.
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                command.upgrade(_alembic_config(conn), "head")
                conn.commit()
        except sa.exc.OperationalError:
            # Another process opening the same new database can still win the race ("table
            # ... already exists", about once in forty on a busy machine): what counts is that
            # the schema is now the newest one, whoever migrated it.
            with self.engine.connect() as conn:
                if MigrationContext.configure(conn).get_current_revision() != head:
                    raise

    def schema_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    # --- raw documents ---------------------------------------------------------------------------

    def known_raws(self, sha256s: Iterable[str]) -> dict[str, KnownRaw]:
        """Which of these content hashes are already stored: id, options and when read."""
        wanted = list(set(sha256s))
        found: dict[str, KnownRaw] = {}
        columns = (
            raw_documents.c.sha256,
            raw_documents.c.id,
            raw_documents.c.options,
            raw_documents.c.fetched_at,
        )
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = conn.execute(sa.select(*columns).where(raw_documents.c.sha256.in_(chunk)))
                found.update(
                    {
                        row.sha256: KnownRaw(
                            RawId(row.id), IngestOptions.from_json(row.options), row.fetched_at
                        )
                        for row in rows
                    }
                )
        return found

    def template_line_counts(
        self,
        source_names: Iterable[str],
        keys: Iterable[str],
        *,
        exclude_raw_ids: Iterable[int] = (),
    ) -> dict[tuple[str, str], int]:
        """On how many stored pages each (source, line key) occurs, leaving out some raws."""
        names = sorted(set(source_names))
        wanted = sorted(set(keys))
        excluded = sorted(set(exclude_raw_ids))
        counts: dict[tuple[str, str], int] = {}
        if not names or not wanted:
            return counts
        pages = sa.func.count(source_lines.c.raw_id)
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                query = (
                    sa.select(source_lines.c.source_name, source_lines.c.line_key, pages)
                    .where(
                        source_lines.c.source_name.in_(names),
                        source_lines.c.line_key.in_(wanted[start : start + 500]),
                    )
                    .group_by(source_lines.c.source_name, source_lines.c.line_key)
                )
                if excluded:
                    query = query.where(source_lines.c.raw_id.not_in(excluded))
                for name, key, count in conn.execute(query):
                    counts[(name, key)] = int(count)
        return counts

    def raw_ids(self, *, quarantined_only: bool = False) -> list[RawId]:
        """Every raw document id in ingest order (or only those with open quarantine records)."""
        query = sa.select(raw_documents.c.id).order_by(raw_documents.c.id)
        if quarantined_only:
            open_ids = sa.select(quarantine.c.raw_id).where(quarantine.c.resolved_at.is_(None))
            query = query.where(raw_documents.c.id.in_(open_ids))
        with self.engine.connect() as conn:
            return [RawId(row.id) for row in conn.execute(query)]

    def load_raw(self, raw_id: int) -> RawDocument:
        """The raw document with its original bytes. Raises ``NotFound``."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(raw_documents).where(raw_documents.c.id == raw_id)
            ).one_or_none()
        if row is None:
            raise NotFound(f"no raw document {raw_id}")
        data = zlib.decompress(row.data) if row.compression == "zlib" else bytes(row.data)
        return RawDocument(
            data=data,
            fetched_at=row.fetched_at,
            format=InputFormat(row.format) if row.format else None,
            origin=row.origin,
            options=IngestOptions.from_json(row.options),
            size_bytes=row.size_bytes,
            truncated=row.truncated,
            id=RawId(row.id),
            sha256=row.sha256,
        )

    # --- the batch write -------------------------------------------------------------------------

    def write_batch(
        self, results: Sequence[ProcessResult], *, now: datetime
    ) -> list[DocumentOutcome]:
        """Store everything learned from ``results`` in one transaction.

        A result whose raw document has no id is new and its bytes are inserted. One whose raw
        has an id was re-derived from the stored bytes (reprocess, or new options): what was
        derived from it before is replaced in place and the raw's options are updated. Raises
        ``StoreError`` after rolling the whole batch back.
        """
        try:
            with self._write() as conn:
                state = _BatchState(now=now)
                outcomes = [self._write_one(conn, state, result) for result in results]
                # Copy groups (exact and near duplicates) around everything this batch wrote.
                dedupe.relink(conn, content_hashes=state.touched_hashes)
                # Then stories, in arrival order (a duplicate joins its original's story).
                story_store.assign(conn, dict.fromkeys(state.arrivals), now=state.now)
                return outcomes
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"batch of {len(results)} documents rolled back: {exc}") from exc

    def _write_one(
        self, conn: Connection, state: _BatchState, result: ProcessResult
    ) -> DocumentOutcome:
        raw = result.raw
        reprocess = raw.id is not None
        if raw.id is not None:
            raw_id = raw.id
            conn.execute(
                raw_documents.update()
                .where(raw_documents.c.id == raw_id)
                .values(processed_at=state.now, format=result.format, options=raw.options.to_json())
            )
        else:
            existing = conn.execute(
                sa.select(raw_documents.c.id).where(raw_documents.c.sha256 == raw.sha256)
            ).scalar_one_or_none()
            if existing is not None:
                # Another process stored these bytes since we looked: nothing left to do.
                return DocumentOutcome(raw.origin, RawId(existing), result.format, "unchanged")
            raw_id = RawId(
                conn.execute(
                    raw_documents.insert().values(
                        sha256=raw.sha256,
                        format=result.format,
                        origin=raw.origin,
                        options=raw.options.to_json(),
                        size_bytes=raw.size_bytes,
                        truncated=raw.truncated,
                        compression="zlib",
                        data=zlib.compress(raw.data, _ZLIB_LEVEL),
                        fetched_at=raw.fetched_at,
                        processed_at=state.now,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )

        open_problems = _write_quarantine(
            conn, raw_id, raw.origin, result.quarantines, state.now, reprocess
        )
        if not result.quarantines and raw.origin and not reprocess:
            # The same file, fixed and ingested again, settles what its earlier copies raised.
            conn.execute(
                quarantine.update()
                .where(
                    quarantine.c.origin == raw.origin,
                    quarantine.c.resolved_at.is_(None),
                    sa.or_(quarantine.c.raw_id.is_(None), quarantine.c.raw_id != raw_id),
                )
                .values(resolved_at=state.now)
            )
        _write_template_keys(conn, raw_id, result.articles, reprocess)
        feeds_new = _write_feeds(conn, raw_id, result, state.now)
        new: list[ArticleId] = []
        updated: list[ArticleId] = []
        unchanged: list[ArticleId] = []
        for draft in result.articles:
            status, article_id = _write_article(conn, state, raw_id, draft, reprocess)
            if status != "unchanged":
                dedupe.index_article(
                    conn,
                    article_id,
                    draft.paragraphs,
                    is_partial=draft.is_partial,
                    signature=draft.minhash,
                    shingle_count=draft.shingle_count,
                )
            if _holds_text_of(conn, article_id, raw_id):
                entity_store.write_mentions(conn, article_id, draft.mentions, state.now)
                enrichment_store.write_enrichments(conn, article_id, draft)
            {"new": new, "updated": updated, "unchanged": unchanged}[status].append(article_id)
            state.arrivals.append(article_id)
        return DocumentOutcome(
            origin=raw.origin,
            raw_id=raw_id,
            format=result.format,
            status="reprocessed" if reprocess else "new",
            articles_new=tuple(new),
            articles_updated=tuple(updated),
            articles_unchanged=tuple(unchanged),
            feeds_new=feeds_new,
            quarantined=open_problems,
        )

    # --- reads -----------------------------------------------------------------------------------

    def article(self, article_id: int) -> Article:
        """One article. Raises ``NotFound``."""
        with self.engine.connect() as conn:
            row = conn.execute(_article_select().where(articles.c.id == article_id)).one_or_none()
        if row is None:
            raise NotFound(f"no article {article_id}")
        return _article(row)

    def articles(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        source: str | None = None,
        include_duplicates: bool = True,
    ) -> list[Article]:
        """Articles, newest publication first."""
        query = _article_select()
        if source:
            query = query.where(sources.c.name == source)
        if not include_duplicates:
            # "+ 0" keeps SQLite off the duplicate_of index, where "IS NULL" matches nearly every
            # row: it then walks ix_articles_published_at and stops at the page's end instead of
            # reading and sorting every original in the store.
            query = query.where((articles.c.duplicate_of + 0).is_(None))
        query = query.order_by(articles.c.published_at.desc(), articles.c.id.desc())
        with self.engine.connect() as conn:
            rows = conn.execute(query.limit(limit).offset(offset)).all()
        return [_article(row) for row in rows]

    def article_versions(self, article_id: int) -> list[ArticleVersion]:
        """Every version of an article, oldest first."""
        with self.engine.connect() as conn:
            current = conn.execute(
                sa.select(articles.c.body).where(articles.c.id == article_id)
            ).scalar_one_or_none()
            rows = conn.execute(
                sa.select(article_versions)
                .where(article_versions.c.article_id == article_id)
                .order_by(article_versions.c.version)
            ).all()
        return [
            ArticleVersion(
                article_id=ArticleId(row.article_id),
                version=row.version,
                raw_id=RawId(row.raw_id),
                title=row.title,
                paragraphs=_paragraphs(row.body if row.body is not None else current),
                content_hash=row.content_hash,
                created_at=row.created_at,
            )
            for row in rows
        ]

    def duplicates_of(self, article_id: int) -> list[ArticleId]:
        """Ids of the articles that are copies (exact or near) of ``article_id``."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(articles.c.id)
                .where(articles.c.duplicate_of == article_id)
                .order_by(articles.c.id)
            )
            return [ArticleId(row.id) for row in rows]

    def search(self, text: str, *, limit: int = 20) -> list[SearchHit]:
        """Full-text search over titles and bodies, best match first (FTS5 bm25) among the
        ``SEARCH_WINDOW`` most recently stored matches."""
        query = _fts_query(text)
        if not query:
            return []
        if self.engine.dialect.name != "sqlite":
            raise StoreError("full-text search needs SQLite FTS5 (PostgreSQL search comes later)")
        # Rank first, over the FTS index alone, and keep the best ``limit`` rows; only those are
        # joined to their articles and get a snippet. Joining and snippeting every match before
        # the sort made a common word (matching most of a large store) several times slower.
        # The limit is written into the SQL as a number (it is an int): bound as a parameter, it
        # hides the LIMIT from FTS5's planner and the same query takes 2.5 times as long.
        top = max(1, int(limit))
        # CROSS JOIN keeps the top rows the outer loop (SQLite does not reorder it): each then
        # reads its FTS row by rowid for the snippet. As a plain JOIN the planner scanned every
        # match of the query again and looked the top rows up in it (57 ms instead of 8 for a
        # common word and 50 results).
        # The oldest of the newest SEARCH_WINDOW matches (rowids grow as articles are stored, and
        # FTS5 walks a term's rows backwards cheaply); ranking then starts from there.
        window_start = sa.text(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :query "
            f"ORDER BY rowid DESC LIMIT 1 OFFSET {SEARCH_WINDOW - 1}"
        )
        with self.engine.connect() as conn:
            floor = conn.execute(window_start, {"query": query}).scalar()
            since = f"AND rowid >= {int(floor)}" if floor is not None else ""
            sql = sa.text(
                f"""
                SELECT a.id, a.title, s.name AS source, a.published_at,
                       snippet(articles_fts, 1, '[', ']', '…', 16) AS snippet,
                       top.rank AS rank
                FROM (
                    SELECT rowid AS id, bm25(articles_fts, 5.0, 1.0) AS rank
                    FROM articles_fts
                    WHERE articles_fts MATCH :query {since}
                    ORDER BY rank
                    LIMIT {top}
                ) AS top
                CROSS JOIN articles_fts ON articles_fts.rowid = top.id
                JOIN articles a ON a.id = top.id
                JOIN sources s ON s.id = a.source_id
                WHERE articles_fts MATCH :query
                ORDER BY top.rank, a.id
                """
            ).columns(
                sa.column("id", sa.Integer),
                sa.column("title", sa.Text),
                sa.column("source", sa.Text),
                sa.column("published_at", UTCDateTime()),
                sa.column("snippet", sa.Text),
                sa.column("rank", sa.Float),
            )
            rows = conn.execute(sql, {"query": query}).all()
        return [
            SearchHit(
                article_id=ArticleId(row.id),
                title=row.title,
                source=row.source,
                published_at=row.published_at,
                snippet=" ".join(row.snippet.split()),
                rank=float(row.rank),
            )
            for row in rows
        ]

    def quarantine(self, *, include_resolved: bool = False) -> list[Quarantine]:
        """Quarantine records, oldest first; resolved ones only when asked."""
        query = sa.select(quarantine).order_by(quarantine.c.id)
        if not include_resolved:
            query = query.where(quarantine.c.resolved_at.is_(None))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            Quarantine(
                id=QuarantineId(row.id),
                raw_id=RawId(row.raw_id) if row.raw_id is not None else None,
                origin=row.origin,
                stage=Stage(row.stage),
                code=row.code,
                error_class=row.error_class,
                message=row.message,
                locator=row.locator,
                created_at=row.created_at,
                resolved_at=row.resolved_at,
            )
            for row in rows
        ]

    def resolve_quarantine(self, ids: Iterable[int], *, now: datetime) -> int:
        """Mark quarantine records as dealt with; returns how many were open. Raises
        ``NotFound`` for an id that does not exist (and then changes nothing)."""
        wanted = sorted(set(ids))
        with self._write() as conn:
            found = set(
                conn.execute(sa.select(quarantine.c.id).where(quarantine.c.id.in_(wanted)))
                .scalars()
                .all()
            )
            missing = [i for i in wanted if i not in found]
            if missing:
                raise NotFound(f"no quarantine record {', '.join(map(str, missing))}")
            result = conn.execute(
                quarantine.update()
                .where(quarantine.c.id.in_(wanted), quarantine.c.resolved_at.is_(None))
                .values(resolved_at=now)
            )
            return int(result.rowcount)

    def record_unreadable(self, origin: str, problem: QuarantineDraft, *, now: datetime) -> None:
        """Quarantine an input that could not even be read (no raw bytes to keep)."""
        with self._write() as conn:
            _insert_quarantine(conn, None, origin, problem, now)

    def sources(self) -> list[SourceSummary]:
        """Every source with its article count, most articles first."""
        count = sa.func.count(articles.c.id)
        query = (
            sa.select(sources.c.id, sources.c.name, sources.c.site_url, count.label("n"))
            .select_from(sources.outerjoin(articles, articles.c.source_id == sources.c.id))
            .group_by(sources.c.id)
            .order_by(count.desc(), sources.c.name)
        )
        with self.engine.connect() as conn:
            return [
                SourceSummary(SourceId(r.id), r.name, r.site_url, r.n) for r in conn.execute(query)
            ]

    # --- feeds (store/feeds.py, #9) ---------------------------------------------------------------

    def feeds(self) -> list[Feed]:
        """Stored subscriptions with their polling state, in the order they were added."""
        with self.engine.connect() as conn:
            return feed_store.list_feeds(conn)

    def feed(self, feed_id: int) -> Feed:
        """One subscription; raises ``NotFound``."""
        with self.engine.connect() as conn:
            return feed_store.get_feed(conn, feed_id)

    def add_feed(self, subscription: Subscription, *, now: datetime) -> tuple[Feed, bool]:
        """Subscribe (due at once); returns the feed and whether it is new."""
        with self._write() as conn:
            return feed_store.add_feed(conn, subscription, now=now)

    def remove_feed(self, feed_id: int) -> Feed:
        """Unsubscribe (fetched articles stay); raises ``NotFound``."""
        with self._write() as conn:
            return feed_store.remove_feed(conn, feed_id)

    def due_feeds(self, *, now: datetime, limit: int | None = None) -> list[Feed]:
        """Feeds due for a poll by ``now``, most overdue first."""
        with self.engine.connect() as conn:
            return feed_store.due_feeds(conn, now=now, limit=limit)

    def record_poll(self, feed_id: int, record: feed_store.PollRecord) -> Feed:
        """Store the outcome of one poll of a feed."""
        with self._write() as conn:
            return feed_store.record_poll(conn, feed_id, record)

    def record_polls(self, records: Sequence[tuple[int, feed_store.PollRecord]]) -> list[Feed]:
        """Store the outcomes of several polls in one transaction; returns the updated feeds."""
        with self._write() as conn:
            return [feed_store.record_poll(conn, feed_id, record) for feed_id, record in records]

    # --- entities --------------------------------------------------------------------------------

    def entities(
        self, *, type_: EntityType | None = None, limit: int = 100, offset: int = 0
    ) -> list[Entity]:
        """Entities named in at least one article, most articles first."""
        with self.engine.connect() as conn:
            return entity_store.entity_rows(conn, type_=type_, limit=limit, offset=offset)

    def entities_by_id(self, entity_ids: Sequence[int]) -> list[Entity]:
        """The entities with these ids, in the order given; unknown ids are left out."""
        with self.engine.connect() as conn:
            return entity_store.entities_by_id(conn, entity_ids)

    def find_entities(self, name_or_id: str) -> list[Entity]:
        """Entities with this id or going by this name (any spelling); several when the same
        name is two different entities (two people called Biden). Most articles first."""
        with self.engine.connect() as conn:
            return entity_store.load_entity(conn, name_or_id)

    def mentions(self, article_id: int) -> list[Mention]:
        """The entity mentions of one article, in text order."""
        with self.engine.connect() as conn:
            return entity_store.mentions_of_article(conn, article_id)

    def quotes(self, article_id: int) -> list[StoredQuote]:
        """The quotes of one article, in text order, with their speakers' entity ids."""
        with self.engine.connect() as conn:
            return enrichment_store.read_quotes(conn, article_id)

    def figures(self, article_id: int) -> list[FigureDraft]:
        """The figures (amounts) of one article, in text order."""
        with self.engine.connect() as conn:
            return enrichment_store.read_figures(conn, article_id)

    def dates(self, article_id: int) -> list[DateDraft]:
        """The dates and periods one article names, resolved, in text order."""
        with self.engine.connect() as conn:
            return enrichment_store.read_dates(conn, article_id)

    def entity_articles(self, entity_id: int, *, limit: int = 50) -> list[ArticleId]:
        """Articles naming the entity, newest publication first."""
        query = (
            sa.select(articles.c.id)
            .join(article_entities, article_entities.c.article_id == articles.c.id)
            .where(article_entities.c.entity_id == entity_id)
            .order_by(articles.c.published_at.desc(), articles.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [ArticleId(i) for i in conn.execute(query).scalars()]

    def cooccurring(self, entity_id: int, *, limit: int = 10) -> list[tuple[Entity, int]]:
        """Entities most often named in the same articles, with how many articles they share."""
        mine = article_entities.alias("mine")
        other = article_entities.alias("other")
        shared = sa.func.count(other.c.article_id).label("shared")
        query = (
            sa.select(other.c.entity_id, shared)
            .join(mine, mine.c.article_id == other.c.article_id)
            .where(mine.c.entity_id == entity_id, other.c.entity_id != entity_id)
            .group_by(other.c.entity_id)
            .order_by(sa.desc("shared"), other.c.entity_id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            found = []
            for row in rows:
                (entity,) = entity_store.load_entity(conn, str(row.entity_id))[:1] or (None,)
                if entity is not None and entity.id == row.entity_id:
                    found.append((entity, int(row.shared)))
            return found

    def stories(self, *, limit: int = 50, offset: int = 0) -> list[Story]:
        """Stories, most recently active first."""
        with self.engine.connect() as conn:
            return story_store.list_stories(conn, limit=limit, offset=offset)

    def story(self, story_id: int) -> tuple[Story, list[story_store.StoryArticle]]:
        """One story and its members, oldest first. Raises ``NotFound`` (``StoryMerged`` for a
        story merged into another)."""
        with self.engine.connect() as conn:
            found = story_store.load_story(conn, story_id)
            if found is None:
                _raise_missing_story(conn, story_id)
        return found

    def story_view(self, story_id: int, *, now: datetime | None = None) -> StoryView:
        """The story's view (#8): the stored one when fresh, else computed now and stored.

        Raises ``NotFound`` for an unknown story (``StoryMerged`` for a merged one).
        """
        with self.engine.connect() as conn:
            if story_store.load_story(conn, story_id) is None:
                _raise_missing_story(conn, story_id)
            stored = story_view_store.load_view(conn, story_id)
        if stored is not None:
            return stored
        self.refresh_story_views([story_id], now=now)
        with self.engine.connect() as conn:
            fresh = story_view_store.load_view(conn, story_id)
            if fresh is None:  # the story changed again meanwhile: serve what it is now
                ((_id, view, _at),) = story_view_store.refresh_views(conn, [story_id])
                return view
            return fresh

    def refresh_story_views(
        self, story_ids: Sequence[int] | None = None, *, now: datetime | None = None
    ) -> int:
        """Recompute the views of stories that changed since their view was computed (all
        stale stories, or the stale ones among ``story_ids``); returns how many were. Views are
        built outside the write transaction and each is saved only if its story did not change
        in between. Called once at the end of ``ingest``/``reprocess``, not per document."""
        when = now or datetime.now(UTC)
        with self.engine.connect() as conn:
            stale = story_view_store.stale_story_ids(conn, story_ids)
            built = story_view_store.refresh_views(conn, stale)
        if not built:
            return 0
        saved = 0
        with self._write() as conn:
            for story_id, view, updated_at in built:
                current = conn.execute(
                    sa.select(stories.c.updated_at).where(stories.c.id == story_id)
                ).scalar_one_or_none()
                if current != updated_at:
                    continue
                story_view_store.save_view(
                    conn, story_id, view, story_updated_at=updated_at, now=when
                )
                saved += 1
        return saved

    def counts(self) -> dict[str, int]:
        """Row counts for a status line: raw documents, articles, duplicates, sources, …"""
        queries = {
            "raw_documents": sa.select(sa.func.count()).select_from(raw_documents),
            "articles": sa.select(sa.func.count()).select_from(articles),
            "duplicates": sa.select(sa.func.count())
            .select_from(articles)
            .where(articles.c.duplicate_of.is_not(None)),
            "article_versions": sa.select(sa.func.count()).select_from(article_versions),
            "sources": sa.select(sa.func.count()).select_from(sources),
            "feeds": sa.select(sa.func.count()).select_from(feeds),
            "entities": sa.select(sa.func.count(sa.distinct(article_entities.c.entity_id))),
            "mentions": sa.select(sa.func.count()).select_from(mentions),
            "stories": sa.select(sa.func.count()).select_from(stories),
            "quarantined": sa.select(sa.func.count())
            .select_from(quarantine)
            .where(quarantine.c.resolved_at.is_(None)),
        }
        with self.engine.connect() as conn:
            return {name: int(conn.execute(q).scalar_one()) for name, q in queries.items()}


# --- write helpers (all run inside write_batch's transaction) ------------------------------------


def _insert_quarantine(
    conn: Connection,
    raw_id: RawId | None,
    origin: str | None,
    problem: QuarantineDraft,
    now: datetime,
) -> None:
    conn.execute(
        quarantine.insert().values(
            raw_id=raw_id,
            origin=origin,
            locator=problem.locator,
            stage=problem.stage,
            code=problem.code,
            error_class=problem.error_class,
            message=problem.message,
            created_at=now,
        )
    )


def _write_quarantine(
    conn: Connection,
    raw_id: RawId,
    origin: str | None,
    problems: Sequence[QuarantineDraft],
    now: datetime,
    reprocess: bool,
) -> tuple[QuarantineDraft, ...]:
    """Record ``problems``; returns those that are open afterwards (not dismissed before).

    On reprocess a problem already on record for this raw keeps its record, open or resolved
    (a record someone dismissed stays dismissed); an open one whose problem went away is
    resolved.
    """

    def key(stage: str, code: str, locator: str | None, message: str) -> tuple[str, ...]:
        return (stage, code, locator or "", message)

    known: dict[tuple[str, ...], bool] = {}
    if reprocess:
        current = {key(p.stage.value, p.code, p.locator, p.message) for p in problems}
        rows = conn.execute(sa.select(quarantine).where(quarantine.c.raw_id == raw_id)).all()
        for row in rows:
            row_key = key(row.stage, row.code, row.locator, row.message)
            is_open = row.resolved_at is None
            known[row_key] = known.get(row_key, False) or is_open
            if is_open and row_key not in current:
                conn.execute(
                    quarantine.update().where(quarantine.c.id == row.id).values(resolved_at=now)
                )
    still_open: list[QuarantineDraft] = []
    for problem in problems:
        problem_key = key(problem.stage.value, problem.code, problem.locator, problem.message)
        if problem_key not in known:
            _insert_quarantine(conn, raw_id, origin, problem, now)
            still_open.append(problem)
        elif known[problem_key]:
            still_open.append(problem)
    return tuple(still_open)


def _write_template_keys(
    conn: Connection, raw_id: RawId, drafts: Sequence[ArticleDraft], reprocess: bool
) -> None:
    if reprocess:
        conn.execute(source_lines.delete().where(source_lines.c.raw_id == raw_id))
    rows = {(draft.source_name, key) for draft in drafts for key in draft.template_keys}
    if rows:
        conn.execute(
            source_lines.insert(),
            [{"source_name": name, "line_key": key, "raw_id": raw_id} for name, key in rows],
        )


def _write_feeds(conn: Connection, raw_id: RawId, result: ProcessResult, now: datetime) -> int:
    added = 0
    for subscription in result.subscriptions:
        key = canonical_url(subscription.xml_url)
        exists = conn.execute(
            sa.select(feeds.c.id).where(feeds.c.xml_url == key)
        ).scalar_one_or_none()
        if exists is not None:
            continue
        conn.execute(
            feeds.insert().values(
                xml_url=key,
                title=subscription.title,
                html_url=subscription.html_url,
                categories=list(subscription.categories),
                raw_id=raw_id,
                created_at=now,
            )
        )
        added += 1
    return added


def _source_id(conn: Connection, state: _BatchState, name: str, site_url: str | None) -> SourceId:
    cached = state.source_ids.get(name)
    if cached is not None:
        return cached
    row = conn.execute(
        sa.select(sources.c.id, sources.c.site_url).where(sources.c.name == name)
    ).one_or_none()
    if row is None:
        source_id = SourceId(
            conn.execute(
                sources.insert().values(name=name, site_url=site_url, created_at=state.now)
            ).inserted_primary_key[0]  # type: ignore[index]
        )
    else:
        source_id = SourceId(row.id)
        if row.site_url is None and site_url:
            conn.execute(sources.update().where(sources.c.id == row.id).values(site_url=site_url))
    state.source_ids[name] = source_id
    return source_id


def _article_values(draft: ArticleDraft) -> dict[str, Any]:
    return {
        "url": draft.url,
        "canonical_url": draft.canonical_url,
        "title": draft.title,
        "authors": list(draft.authors),
        "published_at": draft.published_at,
        "published_at_guessed": draft.published_at_guessed,
        "language": draft.language,
        "body": draft.body,
        "content_hash": draft.content_hash,
        "is_partial": draft.is_partial,
        "locator": draft.locator,
        "removed": [removal_json(r) for r in draft.removed] or None,
        "language_confidence": draft.language_confidence,
        "standfirst": draft.standfirst,
    }


def _holds_text_of(conn: Connection, article_id: ArticleId, raw_id: RawId) -> bool:
    """Whether the article's current text came from this raw document (so its mentions do)."""
    current = conn.execute(
        sa.select(articles.c.raw_id).where(articles.c.id == article_id)
    ).scalar_one()
    return bool(current == raw_id)


def _write_article(
    conn: Connection, state: _BatchState, raw_id: RawId, draft: ArticleDraft, reprocess: bool
) -> tuple[str, ArticleId]:
    """Insert, version, refresh or leave alone one article; returns (status, id)."""
    source_id = _source_id(conn, state, draft.source_name, draft.site_url)
    identity = (
        f"url:{draft.canonical_url}"
        if draft.canonical_url
        else f"text:{source_id}:{draft.content_hash}"
    )
    existing = conn.execute(sa.select(articles).where(articles.c.identity == identity)).first()
    if existing is None and reprocess:
        # The text changed under a content-derived identity: find what this raw made before.
        same_item = (
            articles.c.locator.is_(None)
            if draft.locator is None
            else articles.c.locator == draft.locator
        )
        existing = conn.execute(
            sa.select(articles).where(articles.c.raw_id == raw_id, same_item)
        ).first()
    values = {**_article_values(draft), "identity": identity, "source_id": source_id}
    state.touched_hashes.add(draft.content_hash)

    if existing is None:
        article_id = ArticleId(
            conn.execute(
                articles.insert().values(
                    raw_id=raw_id, version=1, ingested_at=state.now, updated_at=state.now, **values
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        _insert_version(conn, article_id, 1, raw_id, draft, state.now)
        return "new", article_id

    article_id = ArticleId(existing.id)
    state.touched_hashes.add(existing.content_hash)
    same_content = existing.content_hash == draft.content_hash and existing.title == draft.title
    # Re-derived from the same raw (our pipeline changed, not the publisher), or the full text
    # arriving for what was only a feed teaser: the current version is refreshed in place.
    if (reprocess and existing.raw_id == raw_id) or (existing.is_partial and not draft.is_partial):
        changes = {k: v for k, v in values.items() if getattr(existing, k) != v}
        if existing.raw_id != raw_id:
            changes["raw_id"] = raw_id
        if not changes:
            return "unchanged", article_id
        conn.execute(
            articles.update()
            .where(articles.c.id == article_id)
            .values(updated_at=state.now, **changes)
        )
        conn.execute(
            article_versions.update()
            .where(
                article_versions.c.article_id == article_id,
                article_versions.c.version == existing.version,
            )
            .values(raw_id=raw_id, title=draft.title, content_hash=draft.content_hash)
        )
        return "updated", article_id
    if same_content or draft.is_partial:
        # Nothing new, or only a feed teaser of a text we already hold in full.
        return "unchanged", article_id
    if reprocess:
        older = conn.execute(
            sa.select(article_versions.c.id).where(
                article_versions.c.article_id == article_id,
                article_versions.c.raw_id == raw_id,
            )
        ).first()
        if older is not None:
            # An older version re-derived: refresh its record, the current text stays.
            conn.execute(
                article_versions.update()
                .where(article_versions.c.id == older.id)
                .values(title=draft.title, body=draft.body, content_hash=draft.content_hash)
            )
            return "unchanged", article_id
    version = existing.version + 1
    # The version being superseded keeps its text in its own row from now on.
    conn.execute(
        article_versions.update()
        .where(
            article_versions.c.article_id == article_id,
            article_versions.c.version == existing.version,
        )
        .values(body=existing.body)
    )
    conn.execute(
        articles.update()
        .where(articles.c.id == article_id)
        .values(raw_id=raw_id, version=version, updated_at=state.now, **values)
    )
    _insert_version(conn, article_id, version, raw_id, draft, state.now)
    return "updated", article_id


def _insert_version(
    conn: Connection,
    article_id: ArticleId,
    version: int,
    raw_id: RawId,
    draft: ArticleDraft,
    now: datetime,
) -> None:
    conn.execute(
        article_versions.insert().values(
            article_id=article_id,
            version=version,
            raw_id=raw_id,
            title=draft.title,
            body=None,
            content_hash=draft.content_hash,
            created_at=now,
        )
    )


def _paragraphs(body: str | None) -> tuple[str, ...]:
    return tuple(body.split("\n\n")) if body else ()


def _article_select() -> sa.Select[Any]:
    return sa.select(articles, sources.c.name.label("source_name")).join(
        sources, sources.c.id == articles.c.source_id
    )


def _article(row: Row[Any]) -> Article:
    return Article(
        id=ArticleId(row.id),
        raw_id=RawId(row.raw_id),
        source_id=SourceId(row.source_id),
        source=row.source_name,
        title=row.title,
        paragraphs=_paragraphs(row.body),
        published_at=row.published_at,
        published_at_guessed=row.published_at_guessed,
        url=row.url,
        canonical_url=row.canonical_url,
        authors=tuple(row.authors),
        language=row.language,
        content_hash=row.content_hash,
        is_partial=row.is_partial,
        duplicate_of=ArticleId(row.duplicate_of) if row.duplicate_of is not None else None,
        story_id=StoryId(row.story_id) if row.story_id is not None else None,
        version=row.version,
        ingested_at=row.ingested_at,
        updated_at=row.updated_at,
        removed=tuple(Removal(**item) for item in row.removed or ()),
        language_confidence=row.language_confidence,
        standfirst=row.standfirst,
    )


def _raise_missing_story(conn: Connection, story_id: int) -> NoReturn:
    into = story_store.merged_into(conn, story_id)
    if into is not None:
        raise StoryMerged(story_id, into)
    raise NotFound(f"no story {story_id}")
