"""Broadsheet's records: frozen, slotted dataclasses; every datetime is tz-aware UTC.

Pipeline stages take and return these; the store reads and writes them. Records that come out of
the pipeline before the store has seen them (``ArticleDraft``, ``QuarantineDraft``,
``Subscription``) carry no ids; stored records (``Article``, ``Quarantine``, ``Source``) do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, NewType

from broadsheet.digits import row_id
from broadsheet.errors import InputError

__all__ = [
    "Article",
    "ArticleDraft",
    "ArticleId",
    "ArticleVersion",
    "DateDraft",
    "DocumentOutcome",
    "Entity",
    "EntityId",
    "EntityType",
    "Feed",
    "FeedId",
    "FeedStatus",
    "FigureDraft",
    "IngestOptions",
    "IngestReport",
    "InputFormat",
    "Mention",
    "MentionDraft",
    "ProcessResult",
    "Quarantine",
    "QuarantineDraft",
    "QuarantineId",
    "QuoteDraft",
    "RawDocument",
    "RawId",
    "Rejected",
    "Removal",
    "SearchHit",
    "Source",
    "SourceId",
    "SourceLine",
    "SourceSummary",
    "Stage",
    "Story",
    "StoryId",
    "Subscription",
    "ensure_utc",
]

SourceId = NewType("SourceId", int)
ArticleId = NewType("ArticleId", int)
RawId = NewType("RawId", int)
QuarantineId = NewType("QuarantineId", int)
FeedId = NewType("FeedId", int)
EntityId = NewType("EntityId", int)
StoryId = NewType("StoryId", int)


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class InputFormat(StrEnum):
    """The kinds of input Broadsheet ingests."""

    TEXT = "text"  # scraped text, one block per line
    HTML = "html"  # a whole web page
    JSONL = "jsonl"  # one article per line
    FEED = "feed"  # RSS 0.9x/1.0/2.0 or Atom
    OPML = "opml"  # subscription list


class Stage(StrEnum):
    """Where in the pipeline a document was stopped (for quarantine records)."""

    READ = "read"
    DECODE = "decode"
    EXTRACT = "extract"
    CLEAN = "clean"
    FINGERPRINT = "fingerprint"
    ENRICH = "enrich"
    STORE = "store"


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """What the user said about an input (CLI flags or a ``.meta.json`` sidecar).

    ``source`` and ``language`` override what the document says. ``url`` names the article of a
    single-article input (text or HTML) and is ignored for JSONL and feeds. ``published_at``
    overrides the date of a single-article input and is the fallback for JSONL lines and feed
    entries that carry none. ``problem`` says why the options themselves could not be read (a
    broken sidecar): the document is then quarantined for it, and stays so on reprocess.
    """

    source: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    problem: str | None = None
    # The charset an HTTP Content-Type header declared for fetched bytes (pipeline/fetch.py);
    # decode weighs it like an in-document declaration. Kept out of the JSON when unset, so
    # options stored before it existed compare equal.
    charset: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": self.source,
            "url": self.url,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "language": self.language,
            "problem": self.problem,
        }
        if self.charset:
            data["charset"] = self.charset
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IngestOptions:
        published = data.get("published_at")
        return cls(
            source=data.get("source"),
            url=data.get("url"),
            published_at=ensure_utc(datetime.fromisoformat(published)) if published else None,
            language=data.get("language"),
            problem=data.get("problem"),
            charset=data.get("charset"),
        )

    def merged_over(self, fallback: IngestOptions) -> IngestOptions:
        """These options, with unset fields taken from ``fallback``."""
        return IngestOptions(
            source=self.source or fallback.source,
            url=self.url or fallback.url,
            published_at=self.published_at or fallback.published_at,
            language=self.language or fallback.language,
            problem=self.problem or fallback.problem,
            charset=self.charset or fallback.charset,
        )


@dataclass(frozen=True, slots=True)
class RawDocument:
    """Input bytes exactly as received, kept compressed forever so everything can be re-processed.

    ``size_bytes`` is the size of the original; when it exceeded the cap only the first bytes are
    in ``data`` and ``truncated`` is true.
    """

    data: bytes
    fetched_at: datetime
    format: InputFormat | None = None
    origin: str | None = None  # file path or URL the bytes came from
    options: IngestOptions = field(default_factory=IngestOptions)
    size_bytes: int | None = None
    truncated: bool = False
    id: RawId | None = None
    sha256: str = ""

    def __post_init__(self) -> None:
        if not self.sha256:
            object.__setattr__(self, "sha256", hashlib.sha256(self.data).hexdigest())
        if self.size_bytes is None:
            object.__setattr__(self, "size_bytes", len(self.data))


@dataclass(frozen=True, slots=True)
class Source:
    """An outlet: a newspaper, agency or site."""

    id: SourceId
    name: str
    site_url: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One line of scraped text with its character offsets in the decoded input."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Removal:
    """A line the cleaner dropped, where it was in the input, and why.

    ``reason`` is ``furniture`` (the line classifier; ``score`` is its probability that the line
    was article text), ``repeat`` (the same text earlier in the article, or a short line the
    page prints twice), ``link-label`` ("READ MORE: ..."-shaped), ``dateline`` (a date-and-time
    line outside the story), ``caption`` (the caption under a photo credit), ``template`` (a line
    the source prints on many pages), ``headline`` (became the title), ``related-link`` (a
    paragraph of an HTML page that is only a link to another story, "Read more: ..."), or
    ``not-main-content`` (a block of an HTML page the extractor left out).
    ``start``/``end`` are character offsets in the decoded input for text, or the source line
    of the block (``start`` only) for HTML.
    """

    text: str
    reason: str
    start: int | None = None
    end: int | None = None
    score: float | None = None


class EntityType(StrEnum):
    """The kinds of named entity Broadsheet keeps (spaCy's PERSON, ORG, GPE/LOC/FAC, NORP)."""

    PERSON = "person"
    ORGANIZATION = "organization"
    PLACE = "place"
    NATIONALITY = "nationality"  # nationalities, religious and political groups ("German")


@dataclass(frozen=True, slots=True)
class MentionDraft:
    """One name in an article's body, resolved to the article's fullest form of that name.

    ``start``/``end`` are character offsets in ``ArticleDraft.body`` (paragraphs joined by a blank
    line); ``text`` is the name as written without title or possessive ("Scholz"); ``name`` is
    the canonical name within the article ("Olaf Scholz"); ``role`` is the title or role phrase
    written with it ("German Chancellor", "government spokeswoman"), if any.
    """

    text: str
    start: int
    end: int
    type: EntityType
    name: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class QuoteDraft:
    """Who said what in one article (``pipeline/enrich/quotes.py``).

    ``start``/``end`` are character offsets of the quoted words (without quotation marks) in
    ``ArticleDraft.body``; a quote split by an attribution or running over paragraphs spans from
    its first to its last word. ``speaker`` is the article-level canonical name of the speaker
    (``MentionDraft.name``) when the speaker is a named entity, with ``speaker_type`` set; else
    the speaker as written ("a spokesman") with ``speaker_type`` None; None when unknown.
    ``cue`` is the reporting verb or phrase ("said", "according to"); ``direct`` is False for
    reported speech ("X said that ...").
    """

    text: str
    start: int
    end: int
    direct: bool
    speaker: str | None = None
    speaker_type: EntityType | None = None
    cue: str | None = None


@dataclass(frozen=True, slots=True)
class FigureDraft:
    """An amount in one article (``pipeline/enrich/figures.py``).

    ``value`` is the number as meant ("2.7 trillion" -> 2.7e12, "12.5 per cent" -> 12.5) in
    ``unit``: an ISO 4217 code ("JPY"), "percent", "percentage_point", or "count" (with the
    counted noun in ``quantity``: "dead", "jobs"). ``change`` marks a change rather than a level
    ("up 4% year on year"). A conversion in brackets ("4.2 trillion yen (US$28 billion)") is one
    figure with ``alt_value``/``alt_unit``. ``sentence`` is the sentence it is in; offsets are in
    ``ArticleDraft.body``.
    """

    text: str
    start: int
    end: int
    value: float
    unit: str
    sentence: str
    quantity: str | None = None
    change: bool = False
    alt_value: float | None = None
    alt_unit: str | None = None


@dataclass(frozen=True, slots=True)
class DateDraft:
    """A date or period named in one article, resolved against its publication time
    (``pipeline/enrich/dates.py``).

    ``first``/``last`` are the first and last calendar day meant (equal for a single day; a
    week, month or year is a range); ``granularity`` is "day", "week", "month", "quarter",
    "year" or "decade". ``guessed`` is True when the article's publication time was itself a
    guess, so every relative date derived from it is too. Offsets are in ``ArticleDraft.body``.
    """

    text: str
    start: int
    end: int
    first: date
    last: date
    granularity: str
    guessed: bool = False


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    """An article as the pipeline produced it, before the store gives it an id.

    ``locator`` says where in its raw document it came from ("line 3", "entry 2") for inputs that
    hold several articles. ``is_partial`` marks a feed summary, which never replaces a full text.
    """

    source_name: str
    title: str
    paragraphs: tuple[str, ...]
    published_at: datetime
    published_at_guessed: bool = False
    url: str | None = None
    canonical_url: str | None = None
    site_url: str | None = None
    authors: tuple[str, ...] = ()
    language: str | None = None
    content_hash: str = ""
    is_partial: bool = False
    locator: str | None = None
    # Scraped text still to be judged line by line by the cleaner (empty for extracted text).
    lines: tuple[SourceLine, ...] = ()
    removed: tuple[Removal, ...] = ()
    # Keys of this scraped page's short lines, stored per source to find its template.
    template_keys: frozenset[str] = frozenset()
    # Near-duplicate signature of the body (fingerprint.minhash_signature) and its shingle count.
    minhash: bytes = b""
    shingle_count: int = 0
    # Detected language's confidence (0..1); None when the body was too short to judge.
    language_confidence: float | None = None
    mentions: tuple[MentionDraft, ...] = ()
    quotes: tuple[QuoteDraft, ...] = ()
    figures: tuple[FigureDraft, ...] = ()
    dates: tuple[DateDraft, ...] = ()
    # The standfirst (summary or bullets before the body) when one was found: also paragraphs[0:k].
    standfirst: str | None = None

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article. ``version`` counts changes the publisher made at the same URL."""

    id: ArticleId
    raw_id: RawId
    source_id: SourceId
    source: str
    title: str
    paragraphs: tuple[str, ...]
    published_at: datetime
    published_at_guessed: bool
    url: str | None
    canonical_url: str | None
    authors: tuple[str, ...]
    language: str | None
    content_hash: str
    is_partial: bool
    duplicate_of: ArticleId | None
    story_id: StoryId | None
    version: int
    ingested_at: datetime
    updated_at: datetime
    removed: tuple[Removal, ...] = ()
    language_confidence: float | None = None
    standfirst: str | None = None

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True, slots=True)
class Mention:
    """A stored mention: a ``MentionDraft`` tied to its article and cross-article entity."""

    article_id: ArticleId
    entity_id: EntityId
    text: str
    start: int
    end: int
    type: EntityType
    name: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    """One person, organisation, place or nationality across the store, with every name it goes by.

    ``aliases`` are the name forms seen in articles (the canonical ``name`` among them);
    ``roles`` the titles and role phrases written with it; ``article_count`` in how many
    articles it is mentioned.
    """

    id: EntityId
    name: str
    type: EntityType
    aliases: tuple[str, ...]
    roles: tuple[str, ...] = ()
    article_count: int = 0


@dataclass(frozen=True, slots=True)
class ArticleVersion:
    """One state of an article as its publisher changed it."""

    article_id: ArticleId
    version: int
    raw_id: RawId
    title: str
    paragraphs: tuple[str, ...]
    content_hash: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Subscription:
    """A feed named in an OPML file (fetching it is the fetcher's job)."""

    xml_url: str
    title: str | None = None
    html_url: str | None = None
    categories: tuple[str, ...] = ()


class FeedStatus(StrEnum):
    """Where a subscription stands after its last poll."""

    NEW = "new"  # never polled
    OK = "ok"  # the last poll worked (new entries, none, or 304 Not Modified)
    FAILING = "failing"  # the last poll failed; retried later with back-off
    GONE = "gone"  # the server said 410 Gone: no longer polled


@dataclass(frozen=True, slots=True)
class Feed:
    """A stored subscription and its polling state (``store/feeds.py``).

    ``etag`` and ``last_modified`` are the validators of the last good answer, sent back for a
    conditional GET. ``last_error`` is readable text; ``error_count`` counts failures in a row.
    ``next_due_at`` is None for a feed that is not polled any more (gone).
    """

    id: FeedId
    xml_url: str
    title: str | None
    html_url: str | None
    categories: tuple[str, ...]
    created_at: datetime
    status: FeedStatus = FeedStatus.NEW
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    last_changed_at: datetime | None = None
    last_error: str | None = None
    last_error_code: str | None = None
    error_count: int = 0
    next_due_at: datetime | None = None
    interval_s: float | None = None


@dataclass(frozen=True, slots=True)
class QuarantineDraft:
    """Why one document (or one item of it) was set aside."""

    stage: Stage
    code: str
    error_class: str
    message: str
    locator: str | None = None


@dataclass(frozen=True, slots=True)
class Quarantine:
    """A stored quarantine record. The raw input stays in the store under ``raw_id``."""

    id: QuarantineId
    raw_id: RawId | None
    origin: str | None
    stage: Stage
    code: str
    error_class: str
    message: str
    locator: str | None
    created_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """Everything the pipeline learned from one raw document."""

    raw: RawDocument
    format: InputFormat | None
    articles: tuple[ArticleDraft, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    quarantines: tuple[QuarantineDraft, ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentOutcome:
    """What happened to one raw document in an ingest or reprocess run.

    ``status`` is ``new`` (first time seen), ``unchanged`` (these exact bytes were ingested before
    with the same options; nothing was processed), ``reprocessed`` (a stored raw document ran
    through the pipeline again, by ``reprocess`` or because it was ingested with new options), or
    ``unreadable`` (the file could not be read; nothing is stored but the quarantine record).
    """

    origin: str | None
    raw_id: RawId | None
    format: InputFormat | None
    status: str
    articles_new: tuple[ArticleId, ...] = ()
    articles_updated: tuple[ArticleId, ...] = ()
    articles_unchanged: tuple[ArticleId, ...] = ()
    feeds_new: int = 0
    quarantined: tuple[QuarantineDraft, ...] = ()


@dataclass(frozen=True, slots=True)
class IngestReport:
    """Totals of an ingest run plus one outcome per document."""

    documents: tuple[DocumentOutcome, ...]
    duplicates: int = 0  # articles that are exact copies of an earlier one, after this run

    def count(self, what: str) -> int:
        """Totals by name: ``documents``, ``new``, ``unchanged``, ``articles_new``, … ."""
        if what == "documents":
            return len(self.documents)
        if what in ("new", "unchanged", "reprocessed"):
            return sum(1 for d in self.documents if d.status == what)
        if what == "quarantined":
            return sum(len(d.quarantined) for d in self.documents)
        if what == "feeds_new":
            return sum(d.feeds_new for d in self.documents)
        return sum(len(getattr(d, what)) for d in self.documents)

    @property
    def has_quarantined(self) -> bool:
        return any(d.quarantined for d in self.documents)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One full-text search result with a highlighted snippet (``[`` and ``]`` around matches)."""

    article_id: ArticleId
    title: str
    source: str
    published_at: datetime
    snippet: str
    rank: float


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """A source with how many articles it has in the store."""

    id: SourceId
    name: str
    site_url: str | None
    articles: int


@dataclass(frozen=True, slots=True)
class Rejected:
    """An input that could not even be read: there are no bytes to keep, only the reason."""

    origin: str
    problem: QuarantineDraft


@dataclass(frozen=True, slots=True)
class Story:
    """Articles from any outlets about one event, as online clustering grouped them (#7).

    ``article_ids`` lists every member, oldest publication first, duplicates included;
    ``sources`` the distinct outlets of the originals (a duplicate is not another outlet).
    """

    id: StoryId
    title: str
    language: str | None
    first_seen: datetime
    last_seen: datetime
    article_ids: tuple[ArticleId, ...]
    sources: tuple[str, ...]
    article_count: int
    source_count: int
    top_entity_ids: tuple[int, ...] = ()


# --- accounts (#10) ------------------------------------------------------------------------------

UserId = NewType("UserId", int)


@dataclass(frozen=True, slots=True)
class User:
    """Someone who logs in to the web app or calls the API; the password hash never leaves the
    store (store/users.py)."""

    id: UserId
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An API token as its owner sees it in a list: never the secret itself, only its name."""

    id: int
    user_id: UserId
    name: str
    created_at: datetime
    last_used_at: datetime | None = None


class FollowKind(StrEnum):
    """What a user can follow (or mute): an entity, source, story or topic by id, or a keyword."""

    ENTITY = "entity"
    SOURCE = "source"
    STORY = "story"
    KEYWORD = "keyword"
    TOPIC = "topic"

    def normalise(self, target: str, *, verb: str) -> str:
        """``target`` as the store keeps it: a keyword lower-cased with its blanks collapsed
        (1 to 100 characters), any other kind's id as plain digits. Follows and mutes store the
        same form, so a mute matches the follow it silences. ``verb`` ("follow", "mute") names
        the action in the ``InputError`` raised for a target that is neither."""
        text = " ".join(target.split())
        if self is FollowKind.KEYWORD:
            if not text or len(text) > MAX_KEYWORD_CHARS:
                raise InputError(
                    f"{verb} keyword: a keyword needs 1 to {MAX_KEYWORD_CHARS} characters"
                )
            return text.lower()
        number = row_id(text)
        if number is None:
            raise InputError(f"{verb} {self.value} {target!r}: not an id")
        return str(number)


# The longest keyword a user can follow or mute (and a topic keyword's limit).
MAX_KEYWORD_CHARS = 100


@dataclass(frozen=True, slots=True)
class Follow:
    """One thing a user follows, with its weight in their personal feed."""

    id: int
    user_id: UserId
    kind: FollowKind
    target: str
    weight: float
    created_at: datetime


__all__ += ["MAX_KEYWORD_CHARS", "ApiToken", "Follow", "FollowKind", "User", "UserId"]


# --- story views (#8) ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ViewMention:
    """An entity mention as the story view reads it: offsets in the article body, the
    cross-article entity id (any id that is equal for the same entity within one story)."""

    entity_id: int
    name: str
    type: EntityType
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class AttributedQuote:
    """A quote with its speaker's entity id when the speaker is a named entity."""

    quote: QuoteDraft
    speaker_entity_id: int | None = None


@dataclass(frozen=True, slots=True)
class ViewArticle:
    """One member of a story with everything the story view needs, and nothing it must fetch.

    ``duplicate_of`` marks a syndicated copy: its outlet is its original's, so it never counts as
    another outlet and never conflicts with its original or the original's other copies.
    """

    id: ArticleId
    source: str
    title: str
    published_at: datetime
    paragraphs: tuple[str, ...]
    duplicate_of: ArticleId | None = None
    mentions: tuple[ViewMention, ...] = ()
    quotes: tuple[AttributedQuote, ...] = ()
    figures: tuple[FigureDraft, ...] = ()
    dates: tuple[DateDraft, ...] = ()

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True, slots=True)
class CitedText:
    """A sentence (or quote) exactly as an outlet wrote it, with every article that carries it.

    ``sources`` are the outlets of those articles (a syndicated copy names its own outlet here;
    ``outlets`` counts independent outlets, copies folded into their original's).
    """

    text: str
    citations: tuple[ArticleId, ...]
    sources: tuple[str, ...]
    outlets: int = 1


@dataclass(frozen=True, slots=True)
class ConflictVariant:
    """One side of a disagreement: the value (a figure, date or speaker as written), a source
    sentence that states it, and the articles that do."""

    value: str
    text: str
    citations: tuple[ArticleId, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Conflict:
    """Aligned claims that differ. ``kind`` is ``figure``, ``date``, ``quote_speaker``,
    ``quote_wording`` or ``who`` (a different person in the same role)."""

    kind: str
    about: str
    variants: tuple[ConflictVariant, ...]


@dataclass(frozen=True, slots=True)
class SpeakerQuotes:
    """The quotes table row of one speaker: each quote once, citing every article carrying it."""

    speaker: str
    speaker_entity_id: int | None
    quotes: tuple[CitedText, ...]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """A dated event the articles name (``kind`` ``event``: ``date``/``end`` are its first and
    last day) or the moment an outlet reported (``kind`` ``reported``: ``date`` is the
    publication time)."""

    kind: str
    date: str
    end: str | None
    text: str
    citations: tuple[ArticleId, ...]


@dataclass(frozen=True, slots=True)
class StoryView:
    """The derived page of a story (#8): an extractive summary in which every sentence cites
    its sources, the coverage comparison (agreed / unique by outlet / conflicts), the quotes
    table and the timeline. Recomputed only when its story changes (``store.storyviews``)."""

    summary: tuple[CitedText, ...]
    agreed: tuple[CitedText, ...]
    unique: tuple[CitedText, ...]
    conflicts: tuple[Conflict, ...]
    quotes: tuple[SpeakerQuotes, ...]
    timeline: tuple[TimelineEntry, ...]
    outlets: tuple[str, ...] = ()


__all__ += [
    "AttributedQuote",
    "CitedText",
    "Conflict",
    "ConflictVariant",
    "SpeakerQuotes",
    "StoryView",
    "TimelineEntry",
    "ViewArticle",
    "ViewMention",
]


# --- personal front page (#11) -------------------------------------------------------------------


class FeedbackKind(StrEnum):
    """What a reader did with a story: opened it, hid it from their feed, or liked it."""

    OPENED = "opened"
    HIDDEN = "hidden"
    LIKED = "liked"


@dataclass(frozen=True, slots=True)
class Mute:
    """Something a user never wants in their feed; a mute wins over every follow."""

    id: int
    user_id: UserId
    kind: FollowKind
    target: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Topic:
    """A named, followable definition: stories naming every one of ``entity_ids`` and, when
    ``keywords`` is not empty, one of the keywords. ``user_id`` is the owner; ``None`` for a topic
    of the instance (made from a suggestion)."""

    id: int
    name: str
    entity_ids: tuple[int, ...]
    keywords: tuple[str, ...]
    user_id: UserId | None
    created_at: datetime
    updated_at: datetime


__all__ += ["FeedbackKind", "Mute", "Topic"]
