"""Table definitions (SQLAlchemy Core) shared by the store and its queries.

The migrations in ``migrations/versions`` create these tables; this module mirrors the latest
migration so queries are typed against it. ``tests/store/test_schema.py`` checks that the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = [
    "UTCDateTime",
    "article_entities",
    "article_signatures",
    "article_versions",
    "articles",
    "dates",
    "entities",
    "entity_names",
    "feeds",
    "figures",
    "lsh_bands",
    "mentions",
    "metadata",
    "quarantine",
    "quotes",
    "raw_documents",
    "source_lines",
    "sources",
    "stories",
    "story_terms",
    "term_df",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (SQLite has no time zones); always hands back tz-aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; all times must be tz-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

sources = sa.Table(
    "sources",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("site_url", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

raw_documents = sa.Table(
    "raw_documents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("format", sa.String(16)),
    sa.Column("origin", sa.Text),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("truncated", sa.Boolean, nullable=False),
    sa.Column("compression", sa.String(16), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("fetched_at", UTCDateTime, nullable=False),
    sa.Column("processed_at", UTCDateTime),
)

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("identity", sa.Text, nullable=False, unique=True),
    sa.Column("raw_id", sa.Integer, sa.ForeignKey("raw_documents.id"), nullable=False),
    sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id"), nullable=False),
    sa.Column("locator", sa.Text),
    sa.Column("url", sa.Text),
    sa.Column("canonical_url", sa.Text, index=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("authors", sa.JSON, nullable=False),
    sa.Column("published_at", UTCDateTime, nullable=False, index=True),
    sa.Column("published_at_guessed", sa.Boolean, nullable=False),
    sa.Column("language", sa.String(16)),
    # Paragraphs joined by a blank line (no paragraph contains one); FTS5 indexes this column.
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False, index=True),
    sa.Column("is_partial", sa.Boolean, nullable=False),
    sa.Column("duplicate_of", sa.Integer, sa.ForeignKey("articles.id"), index=True),
    # Indexed by ix_articles_story_sources below (migration 0012), story_id first.
    sa.Column("story_id", sa.Integer),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("ingested_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # What the cleaner dropped: [{text, reason, start, end, score}] (migration 0002).
    sa.Column("removed", sa.JSON),
    # Probability the language detector gave ``language`` (migration 0005); NULL if not detected.
    sa.Column("language_confidence", sa.Float),
    # The summary or bullets that open the article, also its first paragraphs (migration 0007).
    sa.Column("standfirst", sa.Text),
)

article_versions = sa.Table(
    "article_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("raw_id", sa.Integer, sa.ForeignKey("raw_documents.id"), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    # The text of a superseded version; NULL for the current one, whose text is in articles.
    sa.Column("body", sa.Text),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("article_id", "version", name="uq_article_versions_article_version"),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("raw_id", sa.Integer, sa.ForeignKey("raw_documents.id"), index=True),
    sa.Column("origin", sa.Text),
    sa.Column("locator", sa.Text),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("error_class", sa.String(64), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime),
)

feeds = sa.Table(
    "feeds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("xml_url", sa.Text, nullable=False, unique=True),
    sa.Column("title", sa.Text),
    sa.Column("html_url", sa.Text),
    sa.Column("categories", sa.JSON, nullable=False),
    sa.Column("raw_id", sa.Integer, sa.ForeignKey("raw_documents.id")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Polling state (migration 0006, store/feeds.py): validators for conditional GET, the last
    # outcome, failures in a row, and the adaptive schedule.
    sa.Column("status", sa.String(16), nullable=False, server_default="new"),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("last_polled_at", UTCDateTime),
    sa.Column("last_success_at", UTCDateTime),
    sa.Column("last_changed_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("last_error_code", sa.String(64)),
    sa.Column("error_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_due_at", UTCDateTime, index=True),
    sa.Column("interval_s", sa.Float),
)

# Which short lines each source prints on which scraped page (migration 0003): a line on many
# pages of one source is its template.
source_lines = sa.Table(
    "source_lines",
    metadata,
    sa.Column("source_name", sa.Text, primary_key=True),
    sa.Column("line_key", sa.String(16), primary_key=True),
    sa.Column("raw_id", sa.Integer, sa.ForeignKey("raw_documents.id"), primary_key=True),
)

# Near-duplicate index (migration 0004): each full-text article's MinHash signature
# (pipeline/fingerprint.py) and its LSH band keys; feed teasers are not indexed. The primary key
# (key, article_id) is the index candidate lookups use.
article_signatures = sa.Table(
    "article_signatures",
    metadata,
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), primary_key=True),
    sa.Column("signature", sa.LargeBinary, nullable=False),
    sa.Column("shingle_count", sa.Integer, nullable=False),
)

lsh_bands = sa.Table(
    "lsh_bands",
    metadata,
    sa.Column("key", sa.BigInteger, nullable=False),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False, index=True),
    sa.PrimaryKeyConstraint("key", "article_id"),
)

# Entities across articles (migration 0005). ``type_votes`` counts the types articles gave the
# entity ({"person": 3, "organization": 1}); ``type`` is the leading one.
entities = sa.Table(
    "entities",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, index=True),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("type_votes", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Every name key an entity has gone by (kind "alias", with the spelling in ``text``) and the words
# of its multi-word names (kind "token"), for matching a new article's names.
entity_names = sa.Table(
    "entity_names",
    metadata,
    sa.Column("entity_id", sa.Integer, sa.ForeignKey("entities.id"), primary_key=True),
    sa.Column("kind", sa.String(8), primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Index("ix_entity_names_key", "key", "kind"),
)

# Which entities each article names, and how often: co-occurrence evidence and article counts.
article_entities = sa.Table(
    "article_entities",
    metadata,
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), primary_key=True),
    sa.Column("entity_id", sa.Integer, sa.ForeignKey("entities.id"), primary_key=True, index=True),
    sa.Column("mentions", sa.Integer, nullable=False),
)

mentions = sa.Table(
    "mentions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False, index=True),
    sa.Column("entity_id", sa.Integer, sa.ForeignKey("entities.id"), nullable=False, index=True),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("role", sa.Text),
    # Person mentions with a role, for a topic entity's officials (migration 0012).
    sa.Index(
        "ix_mentions_role",
        "role",
        "type",
        "entity_id",
        sqlite_where=sa.text("role IS NOT NULL"),
        postgresql_where=sa.text("role IS NOT NULL"),
    ),
)

# What the enrichment stage read in each article (migration 0007). Offsets (``start``/``end``)
# are character offsets in the article body, like ``mentions``.
quotes = sa.Table(
    "quotes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False, index=True),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("direct", sa.Boolean, nullable=False),
    # The speaker as the article names it (canonical within the article) or describes it.
    sa.Column("speaker", sa.Text),
    sa.Column("speaker_entity_id", sa.Integer, sa.ForeignKey("entities.id"), index=True),
    sa.Column("cue", sa.Text),
)

figures = sa.Table(
    "figures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False, index=True),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("unit", sa.String(24), nullable=False),
    sa.Column("quantity", sa.Text),
    sa.Column("change", sa.Boolean, nullable=False),
    sa.Column("alt_value", sa.Float),
    sa.Column("alt_unit", sa.String(24)),
    sa.Column("sentence", sa.Text, nullable=False),
)

dates = sa.Table(
    "dates",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False, index=True),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("first", sa.Date, nullable=False, index=True),
    sa.Column("last", sa.Date, nullable=False),
    sa.Column("granularity", sa.String(16), nullable=False),
    sa.Column("guessed", sa.Boolean, nullable=False),
)

# Stories (migration 0008): online clusters of articles about one event (store/stories.py).
# ``centroid`` is the sum of the members' unit tf-idf vectors (top terms only), ``entities`` how
# many members name each entity id, ``size`` how many members (duplicates left out) they count.
stories = sa.Table(
    "stories",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("language", sa.String(16)),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("title_article_id", sa.Integer),
    sa.Column("title_score", sa.Float, nullable=False),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    sa.Column("last_seen", UTCDateTime, nullable=False),
    sa.Column("article_count", sa.Integer, nullable=False),
    sa.Column("source_count", sa.Integer, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("centroid", sa.JSON, nullable=False),
    sa.Column("entity_centroid", sa.JSON, nullable=False),
    sa.Column("entities", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_stories_last_seen", "last_seen"),
)

# The inverted index for candidate retrieval: a story's salient terms and entities ("e:<id>"),
# with the story's last_seen copied in so a lookup reads only the postings inside the time window.
story_terms = sa.Table(
    "story_terms",
    metadata,
    sa.Column("story_id", sa.Integer, sa.ForeignKey("stories.id"), primary_key=True),
    sa.Column("term", sa.Text, primary_key=True),
    sa.Column("weight", sa.Float, nullable=False),
    sa.Column("last_seen", UTCDateTime, nullable=False),
    # story_id too (migration 0012): lookups by term read the index alone.
    sa.Index("ix_story_terms_term", "term", "last_seen", "story_id"),
)

# Stories merged into others (migration 0013): when clustering finds two stories are one event
# (store/stories.py ``_merge``), the smaller is deleted and its id kept here, so links to it (a
# bookmark, an Atom entry a feed reader holds) lead to the story that now holds its articles.
# ``into_id`` always names a story that exists: a later merge of that story rewrites the rows.
story_merges = sa.Table(
    "story_merges",
    metadata,
    sa.Column("story_id", sa.Integer, primary_key=True),
    sa.Column("into_id", sa.Integer, nullable=False, index=True),
    sa.Column("merged_at", UTCDateTime, nullable=False),
)

# Document frequencies of terms over the clustered articles; the row with term "" holds the count.
term_df = sa.Table(
    "term_df",
    metadata,
    sa.Column("term", sa.Text, primary_key=True),
    sa.Column("df", sa.Integer, nullable=False),
)

# Accounts (migration 0010, #10): people who log in to the web app, their sessions and API tokens.
# Session ids and API tokens are stored only as SHA-256 hashes: a copy of the database does not
# let anyone log in. Passwords are argon2 hashes (store/users.py).
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime),
)

# Story views (migration 0009): the derived page of a story (#8, ``store/storyviews.py``), as the
# JSON of ``StoryView``, with the story's ``updated_at`` it was computed from and the version of
# the algorithm that computed it; either differing makes the view stale.
story_views = sa.Table(
    "story_views",
    metadata,
    sa.Column("story_id", sa.Integer, sa.ForeignKey("stories.id"), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("story_updated_at", UTCDateTime, nullable=False),
    sa.Column("computed_at", UTCDateTime, nullable=False),
    sa.Column("view", sa.JSON, nullable=False),
)

# What a user follows (#10): an entity, source or story (target = its id) or a keyword (target =
# the lower-cased words), with a weight for ranking the personal feed. One row per user and target.
follows = sa.Table(
    "follows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("weight", sa.Float, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("user_id", "kind", "target", name="uq_follows_user_kind_target"),
)

# Personal front page (migration 0011, #11, store/personal.py): what a user mutes (same kinds and
# targets as follows; a mute wins over every follow), topics (a name over entity ids and keywords;
# ``user_id`` NULL for the instance's own), feedback on stories, and the story as the user last
# read it (outlets and conflicts then), which decides whether it may come back to the top.
mutes = sa.Table(
    "mutes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("user_id", "kind", "target", name="uq_mutes_user_kind_target"),
)

topics = sa.Table(
    "topics",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("entity_ids", sa.JSON, nullable=False),
    sa.Column("keywords", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("story_id", sa.Integer, sa.ForeignKey("stories.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_feedback_user_created", "user_id", "created_at"),
)

read_marks = sa.Table(
    "read_marks",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("story_id", sa.Integer, sa.ForeignKey("stories.id"), primary_key=True),
    sa.Column("read_at", UTCDateTime, nullable=False),
    sa.Column("source_count", sa.Integer, nullable=False),
    sa.Column("conflict_count", sa.Integer, nullable=False),
)

# A story's articles by outlet, covering what the feed reads of them (migration 0012): the
# columns after ``body`` sit in overflow pages when the text is long, and the feed reads
# ``duplicate_of`` for every candidate's articles.
sa.Index(
    "ix_articles_story_sources",
    articles.c.story_id,
    articles.c.source_id,
    articles.c.published_at,
    articles.c.duplicate_of,
)

# Candidate stories of a followed outlet are found through its recent articles.
sa.Index(
    "ix_articles_source_published",
    articles.c.source_id,
    articles.c.published_at,
    articles.c.story_id,  # covering since migration 0012
)
