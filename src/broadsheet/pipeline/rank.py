"""Personal ranking at read time (#11): candidate stories and a user's profile in, ranked stories
with one "why you see this" line each out.

Pure: no clock, store or settings are read here; the store (``store/personal.py``) supplies the
candidates and the profile, the shells pass ``now`` and the half-life. A story's score is a sum of
log-scale terms, so every term multiplies the others and none can be drowned by a unit choice:

- **interest**: the follows it matches (weight x how central the entity is to the story) plus
  how much the story resembles the stories the reader opened and liked (mean cosine with the
  nearest ``LEARNED_NEIGHBOURS``, times ``LEARNED_SCALE``), as
  ``INTEREST_SCALE · ln(1 + interest)``;
- **importance**: ``ln(1 + independent outlets)`` (syndicated copies are not outlets), plus half
  of ``ln(1 + outlets that joined in the last GROWTH_WINDOW)`` for growth;
- **freshness**: ``-ln 2 · age / half_life``, an exponential decay of the last activity;
- **novelty**: ``ln READ_FACTOR`` for a story the user read that has not changed substantially
  since (no ``SUBSTANTIAL_NEW_OUTLETS`` new outlets, no new conflicting figure); such a story
  also ranks below every story that is new to the reader, whatever its score.

Mutes always win: a story that matches any mute, or that the user hid, is never returned.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from broadsheet.digits import is_ascii_digits
from broadsheet.model import FeedbackKind, FollowKind
from broadsheet.pipeline.cluster import term_counts

__all__ = [
    "GROWTH_WINDOW",
    "INTEREST_SCALE",
    "LEARNED_NEIGHBOURS",
    "LEARNED_SCALE",
    "OFFICE_WORDS",
    "READ_FACTOR",
    "SUBSTANTIAL_NEW_OUTLETS",
    "Candidate",
    "Interest",
    "Profile",
    "RankTerm",
    "RankedStory",
    "ReadMark",
    "keyword_terms",
    "learn",
    "matches",
    "names_in_role",
    "rank",
    "story_keys",
]

# A weight-1 follow adds 2·ln 2 ≈ 1.4 to the log-score: about one half-life of age, or the
# difference between 1 and 3 outlets. Set, not fitted; `broadsheet eval ranking` measures it.
INTEREST_SCALE = 2.0
# A read, unchanged story keeps 5% of its score: far enough down not to come back to the top,
# still reachable further down the feed.
READ_FACTOR = 0.05
# Two more outlets than when the user read it is a substantial change (one may be a late echo).
SUBSTANTIAL_NEW_OUTLETS = 2
# Outlets that joined within this window count as growth.
GROWTH_WINDOW = timedelta(hours=6)
# How much one feedback event of each kind counts: liking is a stronger signal than opening,
# hiding the opposite of liking.
_FEEDBACK_STEP = {FeedbackKind.OPENED: 1.0, FeedbackKind.LIKED: 1.5, FeedbackKind.HIDDEN: -1.0}
# What feedback adds to interest, in follow-weight units: LEARNED_SCALE times the mean cosine
# between the story and its LEARNED_NEIGHBOURS most similar opened or liked stories, less its
# cosine with the most similar hidden one. Gentle by construction: one open lifts even that
# very story by LEARNED_SCALE / LEARNED_NEIGHBOURS. Nearest neighbours rather than one profile
# vector, because a reader of three topics has three directions, and their sum resembles none.
# 5 and 3: with simulated readers of the ECB+ *train* topics, LEARNED_SCALE 2 and 3 gave lower
# NDCG@10 after 10 and 50 opens (see docs/ranking.md); the test topics were not used.
LEARNED_SCALE = 20.0
LEARNED_NEIGHBOURS = 3
# Words of a role that make its holder an official of what the role names (``names_in_role``):
# generic English offices, no one's names.
OFFICE_WORDS = frozenset(
    """
    president vice chancellor premier minister ministry secretary senator representative
    congressman congresswoman governor mayor king queen prince emperor sheikh general admiral
    chief chairman chairwoman chair spokesman spokeswoman spokesperson ambassador envoy
    commissioner director deputy leader speaker officer official prosecutor attorney lawmaker
    legislator mp mep councillor negotiator diplomat consul delegate representative head
    regulator commander
    """.split()
)
_ROLE_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


@dataclass(frozen=True, slots=True)
class Candidate:
    """What ranking needs to know of one story; ``entity_shares`` maps an entity id to the share
    of the story's articles that name it (1.0: every article), ``terms`` holds its salient words
    (normalised as ``pipeline.cluster.term_counts`` does), ``recent_source_count`` the outlets
    that joined within ``GROWTH_WINDOW`` of ``now``."""

    story_id: int
    title: str
    last_seen: datetime
    source_count: int
    article_count: int = 1
    entity_shares: Mapping[int, float] = field(default_factory=dict)
    source_ids: frozenset[int] = frozenset()
    terms: frozenset[str] = frozenset()
    recent_source_count: int = 0
    conflict_count: int = 0
    # How many keys the story has in all, when ``entity_shares`` and ``terms`` hold only those
    # a profile can use (the store reads no more); 0: as many as given.
    key_count: int = 0


@dataclass(frozen=True, slots=True)
class Interest:
    """A follow or a mute resolved for ranking: for a topic, its entities and keywords, and for
    each entity the people whose roles make them its officials (``officials``: "Chinese
    Commerce Minister Wen Guoliang" for China), who stand in for it; for a keyword, its words;
    ``label`` is what the reason line calls it."""

    kind: FollowKind
    target: str
    weight: float = 1.0
    label: str = ""
    entity_ids: frozenset[int] = frozenset()
    keywords: tuple[frozenset[str], ...] = ()
    officials: Mapping[int, frozenset[int]] = field(default_factory=dict)

    def stand_ins(self, entity_id: int) -> frozenset[int]:
        """``entity_id`` and its officials: a story naming any of them names the entity."""
        return self.officials.get(entity_id, frozenset()) | {entity_id}


@dataclass(frozen=True, slots=True)
class ReadMark:
    """The story as it was when the user last opened it."""

    story_id: int
    read_at: datetime
    source_count: int
    conflict_count: int = 0


@dataclass(frozen=True, slots=True)
class Profile:
    """One user's follows, mutes, feedback (and the key weights ``learn`` sums from it, which
    the store uses to look up candidates), read marks and hidden stories."""

    follows: Sequence[Interest] = ()
    mutes: Sequence[Interest] = ()
    learned: Mapping[str, float] = field(default_factory=dict)
    read: Mapping[int, ReadMark] = field(default_factory=dict)
    hidden: frozenset[int] = frozenset()
    # Each feedback event with the keys (``story_keys``) of its story, oldest first.
    feedback: Sequence[tuple[FeedbackKind, frozenset[str]]] = ()


@dataclass(frozen=True, slots=True)
class RankTerm:
    """One term of a story's score: ``kind`` is interest, importance, growth, freshness or
    novelty; ``value`` its contribution to the log-score; ``label`` its words in the reason."""

    kind: str
    value: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class RankedStory:
    story_id: int
    score: float
    reason: str
    terms: tuple[RankTerm, ...]
    interest: float = 0.0
    # Read and unchanged since: ranked below every story that is not (see ``rank``).
    is_stale: bool = False


def keyword_terms(text: str) -> frozenset[str]:
    """The normalised words of a keyword, as they appear in ``Candidate.terms``."""
    return frozenset(term_counts(text))


def story_keys(candidate: Candidate) -> frozenset[str]:
    """The keys feedback learns weights for: ``e:ID`` entities, ``s:ID`` outlets, ``t:word``."""
    keys = {f"e:{e}" for e in candidate.entity_shares}
    keys.update(f"s:{s}" for s in candidate.source_ids)
    keys.update(f"t:{t}" for t in candidate.terms)
    return frozenset(keys)


def _keyword_hit(words: frozenset[str], candidate: Candidate) -> bool:
    return bool(words) and words <= candidate.terms


def matches(interest: Interest, candidate: Candidate) -> float:
    """How strongly ``candidate`` matches ``interest``: 0 for no match, else in (0, 1] (how
    central the entity or entities are; 1 for an outlet, a story or a keyword)."""
    kind = interest.kind
    if kind is FollowKind.STORY:
        return 1.0 if interest.target == str(candidate.story_id) else 0.0
    if kind is FollowKind.SOURCE:
        return (
            1.0
            if is_ascii_digits(interest.target) and int(interest.target) in candidate.source_ids
            else 0.0
        )
    if kind is FollowKind.ENTITY:
        share = (
            candidate.entity_shares.get(int(interest.target), 0.0)
            if is_ascii_digits(interest.target)
            else 0.0
        )
        # An entity every article names counts fully; one named once in passing still counts half.
        return 0.5 + 0.5 * share if share > 0 else 0.0
    if kind is FollowKind.KEYWORD:
        return 1.0 if any(_keyword_hit(w, candidate) for w in interest.keywords) else 0.0
    # A topic: every one of its entities (or one of its officials) is in the story, and one of
    # its keywords when it has any.
    if not interest.entity_ids and not interest.keywords:
        return 0.0
    shares = [
        max(candidate.entity_shares.get(e, 0.0) for e in interest.stand_ins(entity))
        for entity in interest.entity_ids
    ]
    if any(s <= 0 for s in shares):
        return 0.0
    if interest.keywords and not any(_keyword_hit(w, candidate) for w in interest.keywords):
        return 0.0
    return 0.5 + 0.5 * min(shares) if shares else 1.0


def names_in_role(role: str, names: Iterable[str]) -> bool:
    """Whether a person's ``role`` makes them an official of the entity called ``names``: the
    role holds an office word ("minister", "spokesman", "commissioner") and names the entity,
    by one of its names as whole words ("EU trade commissioner" for the EU) or by an adjective
    formed from a one-word name ("Chinese Commerce Minister" for China, "German Chancellor" for
    Germany: ``_adjective_of``). A descriptor without an office ("Chinese dissident") is not
    one."""
    words = _ROLE_WORD.findall(role)
    if not any(w.casefold() in OFFICE_WORDS for w in words):
        return False
    folded = [w.casefold() for w in words]
    for name in names:
        parts = [w.casefold() for w in _ROLE_WORD.findall(name)]
        if not parts:
            continue
        if any(folded[i : i + len(parts)] == parts for i in range(len(folded))):
            return True
        if len(parts) == 1 and len(parts[0]) >= 4:
            stem = parts[0]
            for word, fold in zip(words, folded, strict=True):
                if word[0].isupper() and _adjective_of(fold, stem):
                    return True
    return False


# Endings that make an adjective of a place name: Russia-n, Kore-an, Ital-ian, Chil-ean,
# Chin-ese, Turk-ish, Israel-i, Arab-ic. "Indiana" is not one of India's.
_ADJECTIVE_ENDINGS = ("n", "an", "ian", "ean", "ese", "ish", "i", "ic")


def _adjective_of(word: str, name: str) -> bool:
    """Whether ``word`` is an adjective formed from the one-word ``name`` (both case-folded):
    the name with at most its last two letters dropped (at least four left), then one of
    ``_ADJECTIVE_ENDINGS``. Irregular ones (France/French, Spain/Spanish) are not found; and
    Niger's "Nigerian" cannot be told from Nigeria's without a list of places."""
    for drop in range(3):
        base = name[: len(name) - drop]
        if len(base) < 4 or not word.startswith(base):
            continue
        if word[len(base) :] in _ADJECTIVE_ENDINGS:
            return True
    return False


def learn(events: Iterable[tuple[FeedbackKind, Candidate]]) -> dict[str, float]:
    """Key weights summed from feedback: the feedback stories' unit key vectors (each key of a
    story with n keys weighs 1/sqrt(n)), each times its kind's step. The store looks up
    candidates by the heaviest of them; scoring compares stories one by one (``_Neighbours``)."""
    learned: dict[str, float] = {}
    for kind, candidate in events:
        keys = story_keys(candidate)
        if not keys:
            continue
        step = _FEEDBACK_STEP.get(kind, 0.0) / math.sqrt(len(keys))
        for key in keys:
            learned[key] = learned.get(key, 0.0) + step
    return learned


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class _Index:
    """A profile's follows or mutes by what they match on, so a candidate is checked against
    its own few entities, outlets and words rather than against every follow (the feed
    benchmark scores hundreds of candidates against 50 follows per request). Keywords and
    topics are filed under one word or entity each that any match must contain (a keyword's
    words must all be among the story's; a topic needs all its entities), then checked in
    full with ``matches``."""

    entities: dict[int, list[Interest]]
    sources: dict[int, list[Interest]]
    stories: dict[int, list[Interest]]
    # Keywords and topics by a word or an entity every match contains, with their place in
    # the profile (matches are reported in profile order, which orders tied reason labels).
    by_word: dict[str, list[tuple[int, Interest]]]
    by_entity: dict[int, list[tuple[int, Interest]]]

    @classmethod
    def of(cls, interests: Sequence[Interest]) -> _Index:
        index = cls({}, {}, {}, {}, {})
        for n, interest in enumerate(interests):
            by = {
                FollowKind.ENTITY: index.entities,
                FollowKind.SOURCE: index.sources,
                FollowKind.STORY: index.stories,
            }.get(interest.kind)
            if by is not None:
                if is_ascii_digits(interest.target):
                    by.setdefault(int(interest.target), []).append(interest)
            elif interest.entity_ids:
                for entity_id in interest.stand_ins(min(interest.entity_ids)):
                    index.by_entity.setdefault(entity_id, []).append((n, interest))
            else:
                # A keyword (or a topic of keywords only): one word of each alternative.
                for words in {w for w in interest.keywords if w}:
                    index.by_word.setdefault(min(words), []).append((n, interest))
        return index

    def matched(self, candidate: Candidate) -> list[tuple[Interest, float]]:
        """The interests ``candidate`` matches, each with its strength (see ``matches``)."""
        found: list[tuple[Interest, float]] = []
        for entity_id, share in candidate.entity_shares.items():
            for interest in self.entities.get(entity_id, ()):
                if share > 0:
                    found.append((interest, 0.5 + 0.5 * share))
        for source_id in candidate.source_ids:
            found.extend((interest, 1.0) for interest in self.sources.get(source_id, ()))
        found.extend((interest, 1.0) for interest in self.stories.get(candidate.story_id, ()))
        others: dict[int, Interest] = {}
        if self.by_word:
            for term in self.by_word.keys() & candidate.terms:
                others.update(self.by_word[term])
        if self.by_entity:
            for entity_id in self.by_entity.keys() & candidate.entity_shares.keys():
                others.update(self.by_entity[entity_id])
        for _, interest in sorted(others.items()):
            strength = matches(interest, candidate)
            if strength > 0:
                found.append((interest, strength))
        return found


class _Neighbours:
    """The feedback stories as a key-by-event matrix, so that every candidate's cosine with
    every feedback story is one matrix product per request rather than a Python loop per pair
    (200 feedback stories against 150 candidates is 30,000 pairs). Built once per distinct
    feedback (``_neighbours``): a reader's feedback changes far less often than they read."""

    def __init__(self, feedback: Sequence[tuple[FeedbackKind, frozenset[str]]]) -> None:
        # Rows of the matrix by key: entities by id and words by word, as candidates hold them.
        self.entity_rows: dict[int, int] = {}
        self.term_rows: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        norms: list[float] = []
        for n, (_kind, keys) in enumerate(feedback):
            # Entities and words only: an outlet is in nearly every story a reader opens, so it
            # would make every story a neighbour of every other (outlets are followed instead).
            about = [k for k in keys if k.startswith(("e:", "t:"))]
            norms.append(1 / math.sqrt(len(about)) if about else 0.0)
            for key in about:
                if key.startswith("e:") and is_ascii_digits(key[2:]):
                    by: dict[Any, int] = self.entity_rows
                    name: Any = int(key[2:])
                else:
                    by, name = self.term_rows, key[2:]
                row = by.get(name)
                if row is None:
                    row = by[name] = len(self.entity_rows) + len(self.term_rows)
                rows.append(row)
                cols.append(n)
        # matrix[key, event]: the event's unit-vector weight of the key (0 where it lacks it).
        self.matrix = np.zeros((len(self.entity_rows) + len(self.term_rows), len(feedback)))
        self.matrix[rows, cols] = np.asarray(norms)[cols]
        self.steps = np.array([_FEEDBACK_STEP.get(kind, 0.0) for kind, _ in feedback])

    def similarities(self, candidates: Sequence[Candidate]) -> list[float]:
        """For each candidate: the mean cosine with the ``LEARNED_NEIGHBOURS`` nearest liked or
        opened stories (each times its step, at most 1), less the cosine with the nearest
        hidden one."""
        if not candidates or not self.matrix.size:
            return [0.0] * len(candidates)
        starts: list[int] = []
        rows: list[int] = []
        scales = np.empty(len(candidates))
        entity_rows, term_rows = self.entity_rows, self.term_rows
        for i, candidate in enumerate(candidates):
            starts.append(len(rows))
            rows += [r for r in map(entity_rows.get, candidate.entity_shares) if r is not None]
            rows += [r for r in map(term_rows.get, candidate.terms) if r is not None]
            # The candidate's own unit norm: over all its keys bar its outlets, as far as known.
            own = len(candidate.entity_shares) + len(candidate.terms)
            scales[i] = 1 / math.sqrt(max(candidate.key_count - len(candidate.source_ids), own, 1))
        # candidates x events: the summed weights of the keys each shares with each event. The
        # candidates' rows of the matrix are gathered and summed per candidate (a dense product
        # with a candidates x keys incidence matrix would mostly multiply zeros).
        dots = np.zeros((len(candidates), self.matrix.shape[1]))
        ends = [*starts[1:], len(rows)]
        some = [i for i in range(len(candidates)) if ends[i] > starts[i]]
        if some:
            gathered = self.matrix[rows]
            dots[some] = np.add.reduceat(gathered, [starts[i] for i in some], axis=0)
        liked = np.where(self.steps > 0, dots * self.steps, 0.0)
        k = min(LEARNED_NEIGHBOURS, liked.shape[1])
        nearest = -np.partition(-liked, k - 1, axis=1)[:, :k]
        near = np.minimum(1.0, nearest * scales[:, None]).sum(axis=1) / LEARNED_NEIGHBOURS
        hidden = np.where(self.steps < 0, dots, 0.0).max(axis=1)
        return [float(v) for v in near - hidden * scales]


@functools.lru_cache(maxsize=64)
def _neighbours(feedback: tuple[tuple[FeedbackKind, frozenset[str]], ...]) -> _Neighbours:
    return _Neighbours(feedback)


def _score(
    candidate: Candidate,
    profile: Profile,
    follows: _Index,
    *,
    now: datetime,
    half_life_hours: float,
    similarity: float = 0.0,
) -> RankedStory:
    terms: list[RankTerm] = []
    interest = 0.0
    followed: list[tuple[float, str]] = []
    for follow, strength in follows.matched(candidate):
        interest += follow.weight * strength
        followed.append((follow.weight * strength, follow.label or follow.target))
    learned = LEARNED_SCALE * similarity
    interest += learned
    if interest >= 0:
        interest_value = INTEREST_SCALE * math.log1p(interest)
    else:
        interest_value = -INTEREST_SCALE * math.log1p(-interest)
    if followed:
        followed.sort(key=lambda wl: -wl[0])
        names = [label for _, label in followed[:2]]
        terms.append(RankTerm("interest", interest_value, "You follow " + " and ".join(names)))
    elif learned > 0.05:
        terms.append(RankTerm("interest", interest_value, "Like stories you read"))
    elif interest_value:
        terms.append(RankTerm("interest", interest_value))
    importance = math.log1p(max(candidate.source_count, 0))
    terms.append(
        RankTerm(
            "importance",
            importance,
            _plural(candidate.source_count, "outlet") if candidate.source_count > 1 else "",
        )
    )
    if candidate.recent_source_count > 0:
        growth = 0.5 * math.log1p(candidate.recent_source_count)
        label = ""
        if candidate.recent_source_count >= 2:
            hours = int(GROWTH_WINDOW.total_seconds() // 3600)
            label = f"+{candidate.recent_source_count} outlets in {hours} h"
        terms.append(RankTerm("growth", growth, label))
    age_h = max((now - candidate.last_seen).total_seconds() / 3600.0, 0.0)
    terms.append(RankTerm("freshness", -math.log(2) * age_h / half_life_hours))
    mark = profile.read.get(candidate.story_id)
    if mark is not None:
        new_outlets = candidate.source_count - mark.source_count
        new_conflict = candidate.conflict_count > mark.conflict_count
        if new_conflict:
            terms.append(RankTerm("novelty", 0.0, "new conflicting figure"))
        elif new_outlets >= SUBSTANTIAL_NEW_OUTLETS:
            terms.append(RankTerm("novelty", 0.0, f"{new_outlets} new outlets since you read it"))
        else:
            terms.append(RankTerm("novelty", math.log(READ_FACTOR), "read"))
    score = sum(t.value for t in terms)
    is_stale = any(t.kind == "novelty" and t.label == "read" for t in terms)
    shown = [t.label for t in terms if t.label and t.label != "read"]
    if is_stale:
        shown.append("you read it")
    # Nothing to name (one outlet, no follow): all it has going for it is that it is unread.
    reason = " · ".join(shown) if shown else "New to you"
    return RankedStory(candidate.story_id, score, reason, tuple(terms), interest, is_stale)


def rank(
    candidates: Iterable[Candidate],
    profile: Profile,
    *,
    now: datetime,
    half_life_hours: float,
    limit: int = 30,
    followed_only: bool = False,
) -> list[RankedStory]:
    """The best ``limit`` candidates for ``profile``, highest score first (ties: newer, then
    higher id) except that stories read and unchanged since come after all others; each with
    its reason line. Stories matching a mute or hidden by the user are left
    out whatever else they match; with ``followed_only`` so are those that match no follow.
    Raises ``ValueError`` for a half-life that is not positive."""
    if half_life_hours <= 0:
        raise ValueError(f"half-life {half_life_hours} h: must be positive")
    ranked: list[tuple[bool, float, datetime, int, RankedStory]] = []
    follows = _Index.of(profile.follows)
    mutes = _Index.of(profile.mutes)
    kept = [c for c in candidates if c.story_id not in profile.hidden and not mutes.matched(c)]
    similarities = (
        _neighbours(tuple(profile.feedback)).similarities(kept)
        if profile.feedback
        else [0.0] * len(kept)
    )
    for candidate, similarity in zip(kept, similarities, strict=True):
        scored = _score(
            candidate,
            profile,
            follows,
            now=now,
            half_life_hours=half_life_hours,
            similarity=similarity,
        )
        if followed_only and not any(
            t.kind == "interest" and t.label.startswith("You follow") for t in scored.terms
        ):
            continue
        ranked.append(
            (not scored.is_stale, scored.score, candidate.last_seen, candidate.story_id, scored)
        )
    # A story read and unchanged since never comes back above one that is new to the reader,
    # however well it scores: the score only orders stories within each of the two tiers.
    # Scores equal to 9 decimals are ties (newer first, then higher id): two stories whose terms
    # balance exactly (three outlets a day old, one outlet just in) would otherwise swap places
    # with the last bit of the float sum, i.e. with the second the feed is read at.
    ranked.sort(key=lambda r: (r[0], round(r[1], 9), r[2], r[3]), reverse=True)
    return [r[4] for r in ranked[:limit]]
