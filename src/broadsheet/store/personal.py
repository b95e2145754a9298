"""The personal front page in the store (#11): mutes, topics, feedback and read marks, and the
candidate stories a user's feed is ranked from.

Ranking itself is pure (``pipeline/rank.py``); this module makes it cheap. A feed never scores the
whole store: candidates are the stories active inside ``CANDIDATE_WINDOW`` that touch a follow
(through the indexed ``story_terms`` postings for entities and words, the
``ix_articles_source_published`` index for outlets), the keys feedback taught most, plus the
``IMPORTANT_CANDIDATES`` most-covered and ``LATEST_CANDIDATES`` newest stories of the window. Their
features are then read in three set-based queries.

``Personal`` wraps a ``Store``'s engine like ``Accounts``: every write is one short
``BEGIN IMMEDIATE`` transaction, and every read and write filters by the user.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from broadsheet.digits import is_ascii_digits
from broadsheet.errors import InputError, NotFound
from broadsheet.model import (
    MAX_KEYWORD_CHARS,
    FeedbackKind,
    Follow,
    FollowKind,
    Mute,
    Topic,
    UserId,
)
from broadsheet.pipeline import rank as ranking
from broadsheet.pipeline.cluster import term_counts
from broadsheet.store import storyviews as story_view_store
from broadsheet.store.schema import (
    UTCDateTime,
    articles,
    entities,
    entity_names,
    feedback,
    follows,
    mentions,
    mutes,
    read_marks,
    sources,
    stories,
    story_terms,
    topics,
)
from broadsheet.store.sql import Store

__all__ = [
    "CANDIDATE_WINDOW",
    "IMPORTANT_CANDIDATES",
    "LATEST_CANDIDATES",
    "MATCHED_CANDIDATES",
    "PER_KEY_CANDIDATES",
    "Personal",
    "TopicSuggestion",
]

# A week: the clustering window (stories older than that get no new articles), and a story a
# week old has decayed by 2^-7 at the default one-day half-life.
CANDIDATE_WINDOW = timedelta(days=7)
# The general part of every feed: enough for a front page of 30 after mutes and read stories.
IMPORTANT_CANDIDATES = 60
LATEST_CANDIDATES = 30
# The most-covered stories are taken from the last day (one half-life at the default): sorting
# a whole week by outlets cost 7 ms at 2,000 stories a day, and an older big story has lost
# half its score or more to freshness.
IMPORTANT_WINDOW = timedelta(days=1)
# Stories matching follows that are scored in full: the heaviest-matched, newest first among
# equals. Over three times the front page, so mutes and read stories cannot empty it (the
# most-covered and newest of the window come on top).
MATCHED_CANDIDATES = 100
# Per followed key or outlet, its latest stories of the window: a follow of a big outlet or a
# common entity must not pull thousands of candidates (the feed shows 30).
PER_KEY_CANDIDATES = 30
# Feedback events that teach the profile: the newest 500 (older tastes fade out of it).
FEEDBACK_EVENTS = 500
# Learned keys that also fetch candidates: the heaviest 20 positive ones.
LEARNED_LOOKUPS = 20
# Learned keys kept in a profile (by absolute weight).
LEARNED_KEYS = 100
# Users whose learned weights a process keeps (oldest dropped first).
_LEARNED_CACHE_USERS = 1000
# What a user's feedback taught: key weights for lookups, and each event's story keys.
_Learned = tuple[dict[str, float], tuple[tuple[FeedbackKind, frozenset[str]], ...]]
# An entity named by a third or more of a story's articles is central to it (topic suggestions):
# half or more left only single-story pairs on the demo corpus, which suggest nothing.
_CENTRAL_SHARE = 0.3
_CHUNK = 500  # ids per IN (...) list, under SQLite's bound-parameter limit
# A topic entity's officials (people whose roles name it) are looked up again after this long:
# finding them scans the roles of every person mention, and new ones appear only as news does.
OFFICIALS_TTL_SECONDS = 600.0
# At most this many officials stand in for one entity (the most often mentioned).
MAX_OFFICIALS = 50


@dataclass(frozen=True, slots=True)
class TopicSuggestion:
    """Two entities central together to ``story_count`` recent stories: a topic to create."""

    name: str
    entity_ids: tuple[int, ...]
    story_count: int


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def _topic(row: Row[Any]) -> Topic:
    return Topic(
        id=int(row.id),
        name=row.name,
        entity_ids=tuple(int(e) for e in row.entity_ids),
        keywords=tuple(str(k) for k in row.keywords),
        user_id=UserId(row.user_id) if row.user_id is not None else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _mute(row: Row[Any]) -> Mute:
    return Mute(
        id=int(row.id),
        user_id=UserId(row.user_id),
        kind=FollowKind(row.kind),
        target=row.target,
        created_at=row.created_at,
    )


def _keywords(values: Iterable[str]) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        text = " ".join(value.split()).lower()
        if text and text not in found:
            if len(text) > MAX_KEYWORD_CHARS:
                raise InputError(f"a topic keyword has at most {MAX_KEYWORD_CHARS} characters")
            found.append(text)
    return tuple(found)


class Personal:
    """Mutes, topics, feedback, read marks and feed candidates of one store."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine
        # Learned key weights per user, with the feedback events they were learned from: reused
        # until the user gives new feedback (learning reads every event's story).
        self._learned: dict[int, tuple[tuple[tuple[FeedbackKind, int], ...], _Learned]] = {}
        # Officials per entity, with the monotonic time they were found (``officials``).
        self._officials: dict[int, tuple[float, frozenset[int]]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def _connect(self, conn: Connection | None) -> Iterator[Connection]:
        """``conn`` when given (a feed request reads everything through one connection: each
        new one costs a pool checkout and a transaction), else a new connection."""
        if conn is not None:
            yield conn
        else:
            with self.engine.connect() as new:
                yield new

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    # --- mutes -----------------------------------------------------------------------------------

    def mute(self, user_id: int, kind: FollowKind, target: str, *, now: datetime) -> Mute:
        """Mute an entity, source, story, topic (ids) or keyword; muting again is a no-op.
        Raises ``InputError`` for a target that is not an id (or an empty keyword)."""
        target = kind.normalise(target, verb="mute")
        where = (mutes.c.user_id == user_id, mutes.c.kind == kind.value, mutes.c.target == target)
        with self._write() as conn:
            if conn.execute(sa.select(mutes.c.id).where(*where)).first() is None:
                conn.execute(
                    mutes.insert().values(
                        user_id=user_id, kind=kind.value, target=target, created_at=now
                    )
                )
            return _mute(conn.execute(sa.select(mutes).where(*where)).one())

    def mutes(self, user_id: int, *, conn: Connection | None = None) -> list[Mute]:
        """One user's mutes (never another's), oldest first."""
        query = sa.select(mutes).where(mutes.c.user_id == user_id).order_by(mutes.c.id)
        with self._connect(conn) as conn:
            return [_mute(row) for row in conn.execute(query)]

    def unmute(self, user_id: int, mute_id: int) -> None:
        """Raises ``NotFound`` for a mute that is not ``user_id``'s."""
        with self._write() as conn:
            result = conn.execute(
                mutes.delete().where(mutes.c.id == mute_id, mutes.c.user_id == user_id)
            )
            if not result.rowcount:
                raise NotFound(f"no mute {mute_id}")

    # --- topics ----------------------------------------------------------------------------------

    def create_topic(
        self,
        user_id: int | None,
        name: str,
        entity_ids: Sequence[int],
        keywords: Sequence[str],
        *,
        now: datetime,
    ) -> Topic:
        """A new topic owned by ``user_id`` (``None``: the instance's). Raises ``InputError``
        without a name, or without any entity and keyword, or for an unknown entity id."""
        name, entity_list, keyword_list = self._check_topic(name, entity_ids, keywords)
        with self._write() as conn:
            topic_id = conn.execute(
                topics.insert().values(
                    user_id=user_id,
                    name=name,
                    entity_ids=entity_list,
                    keywords=keyword_list,
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key
            assert topic_id is not None
            row = conn.execute(sa.select(topics).where(topics.c.id == int(topic_id[0]))).one()
        return _topic(row)

    def update_topic(
        self,
        user_id: int | None,
        topic_id: int,
        name: str,
        entity_ids: Sequence[int],
        keywords: Sequence[str],
        *,
        now: datetime,
    ) -> Topic:
        """Edit one of ``user_id``'s topics, or with ``None`` one of the instance's (only the
        operator's CLI does: in the web app and the API the instance's topics are nobody's to
        edit). Raises ``NotFound`` for a topic that is not theirs, ``InputError`` as above."""
        name, entity_list, keyword_list = self._check_topic(name, entity_ids, keywords)
        owner = topics.c.user_id.is_(None) if user_id is None else topics.c.user_id == user_id
        with self._write() as conn:
            result = conn.execute(
                topics.update()
                .where(topics.c.id == topic_id, owner)
                .values(name=name, entity_ids=entity_list, keywords=keyword_list, updated_at=now)
            )
            if not result.rowcount:
                raise NotFound(f"no topic {topic_id} of yours")
            row = conn.execute(sa.select(topics).where(topics.c.id == topic_id)).one()
        return _topic(row)

    def _check_topic(
        self, name: str, entity_ids: Sequence[int], keywords: Sequence[str]
    ) -> tuple[str, list[int], list[str]]:
        name = " ".join(name.split())
        if not name or len(name) > 100:
            raise InputError("a topic needs a name of 1 to 100 characters")
        entity_list = sorted({int(e) for e in entity_ids})
        keyword_list = list(_keywords(keywords))
        if not entity_list and not keyword_list:
            raise InputError(f"topic {name!r}: name at least one entity or keyword")
        if entity_list:
            with self.engine.connect() as conn:
                known = set(
                    conn.execute(
                        sa.select(entities.c.id).where(entities.c.id.in_(entity_list))
                    ).scalars()
                )
            missing = [e for e in entity_list if e not in known]
            if missing:
                raise InputError(f"topic {name!r}: no entity {missing[0]}")
        return name, entity_list, keyword_list

    def topic(self, topic_id: int) -> Topic:
        """Raises ``NotFound``."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(topics).where(topics.c.id == topic_id)).one_or_none()
        if row is None:
            raise NotFound(f"no topic {topic_id}")
        return _topic(row)

    def topics(self, user_id: int | None = None) -> list[Topic]:
        """The instance's topics and, with ``user_id``, that user's own (never another's)."""
        where: sa.ColumnElement[bool] = topics.c.user_id.is_(None)
        if user_id is not None:
            where = sa.or_(where, topics.c.user_id == user_id)
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(topics).where(where).order_by(topics.c.id)).all()
        return [_topic(row) for row in rows]

    def entity_names(
        self, entity_ids: Iterable[int], *, conn: Connection | None = None
    ) -> dict[int, str]:
        ids = sorted(set(entity_ids))
        found: dict[int, str] = {}
        with self._connect(conn) as conn:
            for chunk in _chunks(ids):
                query = sa.select(entities.c.id, entities.c.name).where(entities.c.id.in_(chunk))
                found.update({int(r.id): r.name for r in conn.execute(query)})
        return found

    def officials(
        self, entity_ids: Iterable[int], *, conn: Connection | None = None
    ) -> dict[int, frozenset[int]]:
        """For each entity, the people whose roles make them its officials
        (``ranking.names_in_role``: "Chinese Commerce Minister" for China, "EU trade
        commissioner" for the EU), the ``MAX_OFFICIALS`` most mentioned; a topic over the entity
        also takes stories that name only one of them. Entities without officials are left out.
        Kept for ``OFFICIALS_TTL_SECONDS`` per process."""
        wanted = sorted(set(entity_ids))
        clock = time.monotonic()
        found: dict[int, frozenset[int]] = {}
        missing: list[int] = []
        for entity_id in wanted:
            cached = self._officials.get(entity_id)
            if cached is not None and clock - cached[0] < OFFICIALS_TTL_SECONDS:
                if cached[1]:
                    found[entity_id] = cached[1]
            else:
                missing.append(entity_id)
        if not missing:
            return found
        with self._connect(conn) as conn:
            names: dict[int, set[str]] = defaultdict(set)
            for chunk in _chunks(missing):
                for r in conn.execute(
                    sa.select(entities.c.id, entities.c.name).where(entities.c.id.in_(chunk))
                ):
                    names[int(r.id)].add(r.name)
                for r in conn.execute(
                    sa.select(entity_names.c.entity_id, entity_names.c.text).where(
                        entity_names.c.entity_id.in_(chunk), entity_names.c.kind == "alias"
                    )
                ):
                    names[int(r.entity_id)].add(r.text)
            for entity_id in missing:
                people = self._officials_of(conn, entity_id, names.get(entity_id, set()))
                with self._lock:
                    self._officials[entity_id] = (clock, people)
                if people:
                    found[entity_id] = people
        return found

    @staticmethod
    def _officials_of(conn: Connection, entity_id: int, names: set[str]) -> frozenset[int]:
        # SQL narrows person mentions with a role to those containing a name or the start of
        # a one-word name (the adjective's letters); ``names_in_role`` decides on each role.
        patterns: set[str] = set()
        for name in names:
            patterns.add(name)
            if " " not in name and len(name) >= 4:
                patterns.add(name[: max(4, len(name) - 2)])
        if not patterns:
            return frozenset()
        escaped = [
            p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for p in patterns
        ]
        rows = conn.execute(
            sa.select(mentions.c.entity_id, mentions.c.role, sa.func.count().label("n"))
            .where(
                mentions.c.role.is_not(None),
                mentions.c.type == "person",
                mentions.c.entity_id != entity_id,
                sa.or_(*(mentions.c.role.ilike(f"%{p}%", escape="\\") for p in escaped)),
            )
            .group_by(mentions.c.entity_id, mentions.c.role)
        ).all()
        counts: Counter[int] = Counter()
        for row in rows:
            if ranking.names_in_role(row.role, names):
                counts[int(row.entity_id)] += int(row.n)
        return frozenset(e for e, _ in counts.most_common(MAX_OFFICIALS))

    def suggest_topics(self, *, now: datetime, limit: int = 8) -> list[TopicSuggestion]:
        """Pairs of entities central together (each named by a third or more of the articles) to
        two or more of the window's most-covered stories, most stories first; pairs that are
        already a topic of the instance are left out."""
        with self.engine.connect() as conn:
            cutoff = _anchor(conn, now) - CANDIDATE_WINDOW
            story_ids = list(
                conn.execute(
                    sa.select(stories.c.id)
                    .where(stories.c.last_seen >= cutoff)
                    .order_by(stories.c.source_count.desc(), stories.c.last_seen.desc())
                    .limit(300)
                ).scalars()
            )
            central: dict[int, list[tuple[float, int]]] = defaultdict(list)
            for chunk in _chunks(story_ids):
                rows = conn.execute(
                    sa.select(
                        story_terms.c.story_id, story_terms.c.term, story_terms.c.weight
                    ).where(
                        story_terms.c.story_id.in_(chunk),
                        story_terms.c.term.like("e:%"),
                        story_terms.c.weight >= _CENTRAL_SHARE,
                    )
                )
                for row in rows:
                    central[int(row.story_id)].append((-float(row.weight), int(row.term[2:])))
        pairs: Counter[tuple[int, int]] = Counter()
        for weighted in central.values():
            # The 30 most central entities of a story (435 pairs): the demo corpus's stories name
            # up to 29; the cap keeps a story naming hundreds from a combinatorial blow-up.
            ids = sorted(e for _, e in sorted(weighted)[:30])
            for pair in itertools.combinations(ids, 2):
                pairs[pair] += 1
        existing = {tuple(sorted(t.entity_ids)) for t in self.topics() if not t.keywords}
        best = [(pair, n) for pair, n in pairs.most_common() if n >= 2 and pair not in existing][
            :limit
        ]
        names = self.entity_names(e for pair, _ in best for e in pair)
        return [
            TopicSuggestion(" - ".join(names.get(e, f"entity {e}") for e in pair), tuple(pair), n)
            for pair, n in best
        ]

    # --- feedback and read marks ------------------------------------------------------------------

    def record(
        self,
        user_id: int,
        story_id: int,
        kind: FeedbackKind,
        *,
        now: datetime,
        conflict_count: int | None = None,
    ) -> None:
        """Record feedback. ``opened`` also marks the story read as it is now (its outlets, and
        ``conflict_count`` conflicting figures when the caller knows them), so it does not come
        back to the top of the feed unless it changes. Raises ``NotFound`` for an unknown story."""
        with self._write() as conn:
            row = conn.execute(
                sa.select(stories.c.source_count).where(stories.c.id == story_id)
            ).one_or_none()
            if row is None:
                raise NotFound(f"no story {story_id}")
            conn.execute(
                feedback.insert().values(
                    user_id=user_id, story_id=story_id, kind=kind.value, created_at=now
                )
            )
            if kind is not FeedbackKind.OPENED:
                return
            where = (read_marks.c.user_id == user_id, read_marks.c.story_id == story_id)
            old = conn.execute(sa.select(read_marks).where(*where)).one_or_none()
            conflicts = conflict_count
            if conflicts is None:
                conflicts = int(old.conflict_count) if old is not None else 0
            values = {"read_at": now, "source_count": int(row.source_count)}
            if old is None:
                conn.execute(
                    read_marks.insert().values(
                        user_id=user_id, story_id=story_id, conflict_count=conflicts, **values
                    )
                )
            else:
                conn.execute(
                    read_marks.update().where(*where).values(conflict_count=conflicts, **values)
                )

    def feedback(
        self, user_id: int, *, limit: int = FEEDBACK_EVENTS, conn: Connection | None = None
    ) -> list[tuple[FeedbackKind, int]]:
        """The user's newest feedback events as (kind, story id), oldest of them first."""
        query = (
            sa.select(feedback.c.kind, feedback.c.story_id)
            .where(feedback.c.user_id == user_id)
            .order_by(feedback.c.created_at.desc(), feedback.c.id.desc())
            .limit(limit)
        )
        with self._connect(conn) as conn:
            rows = conn.execute(query).all()
        return [(FeedbackKind(r.kind), int(r.story_id)) for r in reversed(rows)]

    # --- the profile and the feed -----------------------------------------------------------------

    def interests(
        self, follow_rows: Sequence[Follow] | Sequence[Mute], *, conn: Connection | None = None
    ) -> list[ranking.Interest]:
        """Follows or mutes resolved for ranking: labels, and topics' entities and keywords."""
        by_kind: dict[FollowKind, list[int]] = defaultdict(list)
        for f in follow_rows:
            if f.kind is not FollowKind.KEYWORD and is_ascii_digits(f.target):
                by_kind[f.kind].append(int(f.target))
        with self._connect(conn) as conn:
            topic_rows = {
                int(r.id): _topic(r)
                for chunk in _chunks(by_kind[FollowKind.TOPIC])
                for r in conn.execute(sa.select(topics).where(topics.c.id.in_(chunk)))
            }
            source_names = {
                int(r.id): r.name
                for chunk in _chunks(by_kind[FollowKind.SOURCE])
                for r in conn.execute(
                    sa.select(sources.c.id, sources.c.name).where(sources.c.id.in_(chunk))
                )
            }
            titles = {
                int(r.id): r.title
                for chunk in _chunks(by_kind[FollowKind.STORY])
                for r in conn.execute(
                    sa.select(stories.c.id, stories.c.title).where(stories.c.id.in_(chunk))
                )
            }
            names = self.entity_names(by_kind[FollowKind.ENTITY], conn=conn)
            officials = self.officials(
                (e for t in topic_rows.values() for e in t.entity_ids), conn=conn
            )
        found: list[ranking.Interest] = []
        for f in follow_rows:
            weight = float(getattr(f, "weight", 1.0))
            key = int(f.target) if is_ascii_digits(f.target) else 0
            if f.kind is FollowKind.KEYWORD:
                words = ranking.keyword_terms(f.target)
                found.append(
                    ranking.Interest(f.kind, f.target, weight, f"“{f.target}”", keywords=(words,))
                )
            elif f.kind is FollowKind.TOPIC:
                topic = topic_rows.get(key)
                if topic is None:
                    continue
                found.append(
                    ranking.Interest(
                        f.kind,
                        f.target,
                        weight,
                        topic.name,
                        entity_ids=frozenset(topic.entity_ids),
                        keywords=tuple(ranking.keyword_terms(k) for k in topic.keywords),
                        officials={e: officials[e] for e in topic.entity_ids if e in officials},
                    )
                )
            else:
                label = {
                    FollowKind.ENTITY: names,
                    FollowKind.SOURCE: source_names,
                    FollowKind.STORY: titles,
                }[f.kind].get(key, f"{f.kind.value} {f.target}")
                found.append(ranking.Interest(f.kind, f.target, weight, label))
        return found

    def profile(
        self,
        user_id: int,
        *,
        now: datetime,
        story_ids: Collection[int] | None = None,
        conn: Connection | None = None,
    ) -> ranking.Profile:
        """Everything ranking needs to know of one user (only their own rows are read); read
        marks only of ``story_ids`` when given (the feed's candidates), else of the last two
        weeks."""
        with self._connect(conn) as conn:
            follow_rows = [
                Follow(
                    id=int(r.id),
                    user_id=UserId(r.user_id),
                    kind=FollowKind(r.kind),
                    target=r.target,
                    weight=float(r.weight),
                    created_at=r.created_at,
                )
                for r in conn.execute(sa.select(follows).where(follows.c.user_id == user_id))
            ]
            marks = self._read_marks(conn, user_id, now=now, story_ids=story_ids)
            events = self.feedback(user_id, conn=conn)
            follow_interests = self.interests(follow_rows, conn=conn)
            mute_interests = self.interests(self.mutes(user_id, conn=conn), conn=conn)
            hidden = frozenset(s for k, s in events if k is FeedbackKind.HIDDEN)
            learned: dict[str, float] = {}
            keyed: tuple[tuple[FeedbackKind, frozenset[str]], ...] = ()
            cached = self._learned.get(user_id)
            if cached is not None and cached[0] == tuple(events):
                learned, keyed = cached[1]
            elif events:
                read_ids = {s for _, s in events}
                known = {c.story_id: c for c in self.candidates_by_id(read_ids, now=now, conn=conn)}
                pairs = [(k, known[s]) for k, s in events if s in known]
                learned = ranking.learn(pairs)
                # The strongest LEARNED_KEYS only look up candidates: the rest cost reads.
                learned = dict(sorted(learned.items(), key=lambda kv: -abs(kv[1]))[:LEARNED_KEYS])
                keyed = tuple((k, ranking.story_keys(c)) for k, c in pairs)
                with self._lock:  # requests run in a thread pool
                    if len(self._learned) >= _LEARNED_CACHE_USERS:
                        self._learned.pop(next(iter(self._learned)))
                    self._learned[user_id] = (tuple(events), (learned, keyed))
        return ranking.Profile(
            follows=follow_interests,
            mutes=mute_interests,
            learned=learned,
            read=marks,
            hidden=hidden,
            feedback=keyed,
        )

    @staticmethod
    def _read_marks(
        conn: Connection, user_id: int, *, now: datetime, story_ids: Collection[int] | None
    ) -> dict[int, ranking.ReadMark]:
        query = sa.select(read_marks).where(read_marks.c.user_id == user_id)
        if story_ids is None:
            rows = conn.execute(
                query.where(read_marks.c.read_at >= _anchor(conn, now) - 2 * CANDIDATE_WINDOW)
            ).all()
        else:
            ids = sorted(story_ids)
            rows = [
                r
                for chunk in _chunks(ids)
                for r in conn.execute(query.where(read_marks.c.story_id.in_(chunk)))
            ]
        return {
            int(r.story_id): ranking.ReadMark(
                int(r.story_id), r.read_at, int(r.source_count), int(r.conflict_count)
            )
            for r in rows
        }

    def candidate_ids(
        self, profile: ranking.Profile, *, now: datetime, conn: Connection | None = None
    ) -> set[int]:
        """Stories worth scoring for ``profile`` (see the module docstring): of the window's
        stories touching a follow or a learned key (the ``PER_KEY_CANDIDATES`` latest per key),
        the ``MATCHED_CANDIDATES`` with the heaviest matched follows, newest first among equals;
        followed stories; and the window's most-covered and newest. Each lookup is an indexed
        range scan, and all of them run as one statement."""
        weights: dict[str, float] = defaultdict(float)
        source_weights: dict[int, float] = defaultdict(float)
        found: set[int] = set()
        for interest in profile.follows:
            if interest.kind is FollowKind.ENTITY:
                weights[f"e:{interest.target}"] += interest.weight
            elif interest.kind is FollowKind.SOURCE and is_ascii_digits(interest.target):
                source_weights[int(interest.target)] += interest.weight
            elif interest.kind is FollowKind.STORY and is_ascii_digits(interest.target):
                found.add(int(interest.target))
            elif interest.entity_ids:
                # A topic needs every one of its entities (or an official of it): looking up one
                # of them and its officials finds it.
                for entity_id in interest.stand_ins(min(interest.entity_ids)):
                    weights[f"e:{entity_id}"] += interest.weight
            else:
                for words in interest.keywords:
                    # Every word must be there: the longest (usually rarest) one finds the story.
                    if words:
                        weights[min(words, key=lambda w: (-len(w), w))] += interest.weight
        positive = sorted(
            ((w, k) for k, w in profile.learned.items() if w > 0 and k[0] in "et"), reverse=True
        )
        for w, key in positive[:LEARNED_LOOKUPS]:
            weights[key if key.startswith("e:") else key[2:]] += w
        with self._connect(conn) as conn:
            anchor = _anchor(conn, now)
            cutoff = anchor - CANDIDATE_WINDOW
            # Built as SQL text: constructing the same union with SQLAlchemy Core objects cost
            # more than running it (about 10 ms for 50 follows). Keys and weights are bound.
            lookups: list[str] = []
            params: dict[str, Any] = {}
            for n, (key, w) in enumerate(sorted(weights.items())):
                params[f"k{n}"], params[f"w{n}"] = key, w
                lookups.append(
                    f"SELECT story_id, seen, CAST(:w{n} AS FLOAT) AS w FROM (SELECT story_id, "
                    f"last_seen AS seen FROM story_terms WHERE term = :k{n} AND last_seen >= "
                    f":cutoff ORDER BY last_seen DESC LIMIT {PER_KEY_CANDIDATES}) AS t{n}"
                )
            for n, (source_id, w) in enumerate(sorted(source_weights.items())):
                params[f"s{n}"], params[f"v{n}"] = source_id, w
                lookups.append(
                    f"SELECT story_id, seen, CAST(:v{n} AS FLOAT) AS w FROM (SELECT story_id, "
                    f"published_at AS seen FROM articles WHERE source_id = :s{n} AND "
                    f"published_at >= :cutoff ORDER BY published_at DESC "
                    f"LIMIT {PER_KEY_CANDIDATES}) AS a{n}"
                )
            # SQLite allows 500 terms in a compound SELECT; a profile with more lookups than
            # that (hundreds of follows) is pre-filtered in parts.
            for start in range(0, len(lookups), 400):
                union = " UNION ALL ".join(lookups[start : start + 400])
                # Newest first among equals, by the latest time a lookup saw (a story's
                # postings carry its last activity; an outlet's article, its own time): the
                # indexes cover every lookup, and no story row is read.
                statement = _text(
                    "SELECT story_id FROM (SELECT story_id, SUM(w) AS w, MAX(seen) AS seen "
                    f"FROM ({union}) AS u WHERE story_id IS NOT NULL GROUP BY story_id) AS m "
                    f"ORDER BY w DESC, seen DESC LIMIT {MATCHED_CANDIDATES}"
                )
                found.update(
                    int(i) for i in conn.execute(statement, {**params, "cutoff": cutoff}).scalars()
                )
            general = sa.union_all(
                sa.select(
                    sa.select(stories.c.id)
                    .where(stories.c.last_seen >= anchor - IMPORTANT_WINDOW)
                    .order_by(stories.c.source_count.desc(), stories.c.last_seen.desc())
                    .limit(IMPORTANT_CANDIDATES)
                    .subquery()
                    .c.id
                ),
                sa.select(
                    sa.select(stories.c.id)
                    .where(stories.c.last_seen >= cutoff)
                    .order_by(stories.c.last_seen.desc())
                    .limit(LATEST_CANDIDATES)
                    .subquery()
                    .c.id
                ),
            )
            found.update(conn.execute(general).scalars())
        return {int(i) for i in found}

    @staticmethod
    def relevant_keys(profile: ranking.Profile) -> set[str]:
        """The ``story_terms`` keys ranking can use for ``profile``: entities and words of its
        follows and mutes, and its learned keys. Reading only these keeps a candidate's
        features a handful of rows however many terms the story has."""
        keys: set[str] = set()
        for interest in (*profile.follows, *profile.mutes):
            if interest.kind is FollowKind.ENTITY:
                keys.add(f"e:{interest.target}")
            keys.update(f"e:{e}" for e in interest.entity_ids)
            keys.update(f"e:{e}" for people in interest.officials.values() for e in people)
            for words in interest.keywords:
                keys.update(words)
        keys.update(_feedback_keys(tuple(profile.feedback)))
        return keys

    def candidates_by_id(
        self,
        story_ids: Iterable[int],
        *,
        now: datetime,
        read: Mapping[int, ranking.ReadMark] | None = None,
        keys: Collection[str] | None = None,
        conn: Connection | None = None,
    ) -> list[ranking.Candidate]:
        """The ranking features of the given stories (unknown ids are skipped), with only the
        entity and word ``keys`` given (all of them with ``None``). Conflicts are counted in
        stored story views, and only for ``read`` stories (the only ones they change); without a
        fresh view a read story keeps the count it had when read."""
        ids = sorted(set(story_ids))
        read = read or {}
        wanted: AbstractSet[str] | None = (
            None if keys is None else keys if isinstance(keys, AbstractSet) else set(keys)
        )
        out: list[ranking.Candidate] = []
        with self._connect(conn) as conn:
            growth_since = _anchor(conn, now) - ranking.GROWTH_WINDOW
            for chunk in _chunks(ids):
                rows = conn.execute(
                    sa.select(
                        stories.c.id,
                        stories.c.title,
                        stories.c.last_seen,
                        stories.c.source_count,
                        stories.c.article_count,
                    ).where(stories.c.id.in_(chunk))
                ).all()
                shares: dict[int, dict[int, float]] = defaultdict(dict)
                words: dict[int, set[str]] = defaultdict(set)
                key_counts: dict[int, int] = {}
                # All of a story's postings (45 on average: one PK range each) as two strings
                # per story, filtered here. Slower, measured: a story_terms lookup per (story,
                # key) pair; a Python row per posting; filtering in SQL (an IN list of
                # thousands of bound keys, or the keys as JSON through json_each).
                postings = conn.execute(_POSTINGS, {"ids": chunk})
                for story_id, count, joined_words, entity_json in postings:
                    key_counts[story_id] = int(count)
                    if joined_words:
                        found = set(joined_words.split(_SEP))
                        words[story_id].update(found if wanted is None else found & wanted)
                    # Text from SQLite; a dict, or None for a story without entities, from
                    # PostgreSQL's driver.
                    weights: dict[str, float] = (
                        json.loads(entity_json)
                        if isinstance(entity_json, str)
                        else entity_json or {}
                    )
                    keys_here = weights.keys() if wanted is None else weights.keys() & wanted
                    shares[story_id].update({int(k[2:]): float(weights[k]) for k in keys_here})
                outlets: dict[int, set[int]] = defaultdict(set)
                recent: Counter[int] = Counter()
                # Duplicates are skipped here, not in SQL: "duplicate_of IS NULL" made SQLite read
                # every original in the store through the duplicate_of index.
                for row in conn.execute(
                    sa.select(
                        articles.c.story_id,
                        articles.c.source_id,
                        (sa.func.min(articles.c.published_at) >= growth_since).label("recent"),
                        sa.func.count().label("n"),
                        sa.func.count(articles.c.duplicate_of).label("copies"),
                    )
                    .where(articles.c.story_id.in_(chunk))
                    .group_by(articles.c.story_id, articles.c.source_id)
                ):
                    if row.copies == row.n:  # only syndicated copies from this outlet
                        continue
                    outlets[int(row.story_id)].add(int(row.source_id))
                    if row.recent:
                        recent[int(row.story_id)] += 1
                conflicts: dict[int, int] = {}
                for story_id in read.keys() & set(chunk):
                    view = story_view_store.load_view(conn, story_id)
                    conflicts[story_id] = (
                        len(view.conflicts) if view is not None else read[story_id].conflict_count
                    )
                for story_row in rows:
                    story_id = int(story_row.id)
                    terms = words[story_id] | _title_terms(story_row.title)
                    if wanted is not None:
                        terms &= wanted
                    out.append(
                        ranking.Candidate(
                            story_id=story_id,
                            title=story_row.title,
                            last_seen=story_row.last_seen,
                            source_count=int(story_row.source_count),
                            article_count=int(story_row.article_count),
                            entity_shares=shares[story_id],
                            source_ids=frozenset(outlets[story_id]),
                            terms=frozenset(terms),
                            recent_source_count=recent[story_id],
                            conflict_count=conflicts.get(story_id, 0),
                            # Its postings, its outlets and about 6 title words.
                            key_count=key_counts.get(story_id, 0) + len(outlets[story_id]) + 6,
                        )
                    )
        return out

    def feed(
        self,
        user_id: int,
        *,
        now: datetime,
        half_life_hours: float,
        limit: int = 30,
        followed_only: bool = False,
    ) -> list[ranking.RankedStory]:
        """The user's ranked feed, each story with its reason line."""
        with self.engine.connect() as conn:
            profile = self.profile(user_id, now=now, story_ids=(), conn=conn)
            ids = self.candidate_ids(profile, now=now, conn=conn)
            marks = self._read_marks(conn, user_id, now=now, story_ids=ids)
            profile = dataclasses.replace(profile, read=marks)
            candidates = self.candidates_by_id(
                ids, now=now, read=profile.read, keys=self.relevant_keys(profile), conn=conn
            )
        return ranking.rank(
            candidates,
            profile,
            now=now,
            half_life_hours=half_life_hours,
            limit=limit,
            followed_only=followed_only,
        )

    def topic_feed(
        self, topic: Topic, *, now: datetime, half_life_hours: float, limit: int = 50
    ) -> list[ranking.RankedStory]:
        """The stories of a topic's definition, ranked for nobody in particular."""
        interest = ranking.Interest(
            FollowKind.TOPIC,
            str(topic.id),
            1.0,
            topic.name,
            entity_ids=frozenset(topic.entity_ids),
            keywords=tuple(ranking.keyword_terms(k) for k in topic.keywords),
            officials=self.officials(topic.entity_ids),
        )
        profile = ranking.Profile(follows=(interest,))
        ids = self.candidate_ids(profile, now=now)
        candidates = self.candidates_by_id(ids, now=now, keys=self.relevant_keys(profile))
        return ranking.rank(
            candidates,
            profile,
            now=now,
            half_life_hours=half_life_hours,
            limit=limit,
            followed_only=True,
        )


_SEP = "\x1f"  # between a story's postings in ``_POSTINGS`` (no term contains it)
# Each story's postings: its words as one string, its entities as a JSON object of weights
# ({"e:12": 0.5}; json.loads and set operations do in C what a loop over the postings did in
# Python).
_IS_ENTITY = story_terms.c.term.like("e:%")


class _JsonObjectAgg(sa.sql.functions.GenericFunction[Any]):
    """An aggregate building a JSON object from (key, value) rows: SQLite's json_group_object,
    PostgreSQL's json_object_agg (whose driver hands back a dict rather than text)."""

    inherit_cache = True
    name = "json_object_agg"


@compiles(_JsonObjectAgg, "sqlite")
def _json_group_object(element: _JsonObjectAgg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_object({compiler.process(element.clauses, **kw)})"


_POSTINGS = (
    sa.select(
        story_terms.c.story_id,
        sa.func.count(),
        sa.func.aggregate_strings(sa.case((_IS_ENTITY, sa.null()), else_=story_terms.c.term), _SEP),
        _JsonObjectAgg(story_terms.c.term, story_terms.c.weight).filter(_IS_ENTITY),
    )
    .where(story_terms.c.story_id.in_(sa.bindparam("ids", expanding=True)))
    .group_by(story_terms.c.story_id)
)


@functools.lru_cache(maxsize=64)
def _feedback_keys(feedback: tuple[tuple[FeedbackKind, frozenset[str]], ...]) -> frozenset[str]:
    """The ``story_terms`` keys of a profile's feedback stories: entities as they are, words
    without their ``t:`` prefix. Cached: the same feedback (``Personal._learned``) comes back
    with every request until the reader gives more, and it is thousands of keys."""
    keys: set[str] = set()
    for _kind, story_keys in feedback:
        for key in story_keys:
            if key.startswith("e:"):
                keys.add(key)
            elif key.startswith("t:"):
                keys.add(key[2:])
    return frozenset(keys)


@functools.lru_cache(maxsize=256)
def _text(sql: str) -> sa.TextClause:
    """The candidate lookup as a statement, parsed once per shape (number of lookups): parsing
    the SQL text for its bind parameters cost as much as running it."""
    return sa.text(sql).bindparams(sa.bindparam("cutoff", type_=UTCDateTime))


@functools.lru_cache(maxsize=8192)
def _title_terms(title: str) -> frozenset[str]:
    """A headline's index words; cached, as the same candidates' headlines are read on every
    feed request."""
    return frozenset(term_counts(title))


def _anchor(conn: Connection, now: datetime) -> datetime:
    """The end of the candidate window: ``now``, or the newest story's last activity when that
    is earlier (an instance whose feeds went quiet, or an old corpus, still has a front page)."""
    latest: datetime | None = conn.execute(sa.select(sa.func.max(stories.c.last_seen))).scalar()
    if latest is None:
        return now
    if latest.tzinfo is None:
        latest = latest.replace(tzinfo=now.tzinfo)
    return min(now, latest)
