"""Personal ranking, measured with simulated readers (``broadsheet eval ranking``, #11).

The pool: every ECB+ document (train, dev and test: 982 articles in 43 topics) is one story of
one outlet. ECB+ has no times or outlet counts, so each story gets a last activity within the
last 72 hours and an outlet count (1 to 10, most stories small) from a seeded generator,
independent of its topic: neither says anything about what a reader likes. Its features are what
the store would give ranking: the salient words (the 30 heaviest tf-idf terms of title and text,
normalised as clustering does), its outlet, and its entities. The entities are the ECB+ person,
organisation and place mentions that carry a capitalised word (``Warren Jeffs``, ``Utah``),
keyed by their lower-cased text: the annotated spans stand in for our NER, and neither the
cross-document chain ids nor the topic or event labels are used.

A simulated reader is interested in three ECB+ test topics (seeded) and sees the pool with its
own seeded times and outlet counts. Their feed is ranked at read time;
they scan its top 10 from the top and open each story of their topics with probability 0.7 until
they open one (a cascade click model); when none of the ten is for them, they find one of their
topics' stories elsewhere (a search, a link) and open it. Every open is feedback (``opened``) and
marks the story read. Ranking learns only from these opens (``pipeline.rank.learn``), never from
the topic labels, which serve only to simulate the clicks and to score.

Scored: NDCG@10 of the feed after 0, 10 and 50 opens, with gain 1 for each unread story of the
reader's topics (read ones are no news), the ideal being ten such stories. Baseline in the same
run, facing the same reader: the recency-only feed (newest first; read stories also sink).
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import math
import random
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from broadsheet.model import FeedbackKind
from broadsheet.pipeline import rank as ranking
from broadsheet.pipeline.cluster import term_counts

__all__ = ["CHECKPOINTS", "USERS", "run_ranking_eval"]

ECB_FILE = "clustering/ecbplus_{split}.jsonl.gz"
SEED = 20261123
USERS = 40
TOPICS_PER_USER = 3
# Stories of a reader's topics: 50 opens must leave at least 20 unread to rank.
MIN_LIKED = 70
# Readers' topics come from the ECB+ test topics; the constants of ``pipeline/rank.py`` were set
# with readers of the train topics only.
TEST_TOPICS = frozenset(range(36, 46))
CHECKPOINTS = (0, 10, 50)
K = 10
CLICK_PROBABILITY = 0.7
HALF_LIFE_HOURS = 24.0
TERMS_PER_STORY = 30  # as the store's inverted index keeps (cluster.INDEX_TERMS)
OUTLETS = 20  # outlets for ECB documents without a URL
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
_ENTITY_TYPES = ("HUMAN_PART_PER", "HUMAN_PART_ORG", "LOC_GEO", "LOC_FAC")
_LEADING = re.compile(r"^(?:(?:in|at|on|of|from|to|the|a|an)\s+)+", re.IGNORECASE)
_CAPITAL = re.compile(r"\b[A-Z][a-zA-Z]")


@dataclass(frozen=True, slots=True)
class _Item:
    candidate: ranking.Candidate
    topic: int


def _entity_key(text: str) -> str | None:
    text = _LEADING.sub("", " ".join(text.split()))
    if not _CAPITAL.search(text):
        return None
    return text.casefold()


def _load(eval_dir: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for split in ("train", "dev", "test"):
        with gzip.open(eval_dir / ECB_FILE.format(split=split), "rt", encoding="utf-8") as handle:
            docs.extend(json.loads(line) for line in handle)
    return sorted(docs, key=lambda d: str(d["id"]))


def build_pool(eval_dir: Path, *, seed: int = SEED) -> list[_Item]:
    """The stories of the eval, with seeded times and outlet counts (see the module docstring)."""
    docs = _load(eval_dir)
    rng = random.Random(seed)
    counts = [term_counts(f"{d['title']} {d['title']} {d['text']}") for d in docs]
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    entity_ids: dict[str, int] = {}
    outlet_ids: dict[str, int] = {}
    items: list[_Item] = []
    for n, (doc, tf) in enumerate(zip(docs, counts, strict=True)):
        weights = {
            t: (1 + math.log(v)) * math.log((len(docs) + 1) / (df[t] + 1)) for t, v in tf.items()
        }
        top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:TERMS_PER_STORY]
        mentions: Counter[int] = Counter()
        for mention in doc.get("mentions", []):
            if mention.get("type") in _ENTITY_TYPES:
                key = _entity_key(str(mention.get("text", "")))
                if key:
                    mentions[entity_ids.setdefault(key, len(entity_ids) + 1)] += 1
        peak = max(mentions.values(), default=1)
        host = urlsplit(doc["url"]).hostname if doc.get("url") else None
        outlet = host or f"outlet-{rng.randrange(OUTLETS)}"
        candidate = ranking.Candidate(
            story_id=n + 1,
            title=str(doc["title"]),
            last_seen=NOW,
            source_count=1,
            entity_shares={e: c / peak for e, c in mentions.items()},
            source_ids=frozenset({outlet_ids.setdefault(outlet, len(outlet_ids) + 1)}),
            terms=frozenset(t for t, _ in top),
        )
        items.append(_Item(candidate, int(doc["topic"])))
    return reshuffle(items, rng)


def reshuffle(items: Sequence[_Item], rng: random.Random) -> list[_Item]:
    """The same stories with new seeded times (within 72 hours) and outlet counts (most small:
    about 1/k of the stories have k outlets or more, at most 10)."""
    found = []
    for item in items:
        source_count = min(10, int(1 / (1 - rng.random() * 0.9)))
        candidate = dataclasses.replace(
            item.candidate,
            last_seen=NOW - timedelta(hours=rng.uniform(0, 72)),
            source_count=source_count,
            article_count=source_count,
        )
        found.append(_Item(candidate, item.topic))
    return found


def ndcg_at_k(ranked: Sequence[int], relevant: set[int], k: int = K) -> float:
    """NDCG@k with binary gains; 0 when nothing is relevant."""
    dcg = sum(1 / math.log2(i + 2) for i, s in enumerate(ranked[:k]) if s in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


Feed = Callable[[Sequence[_Item], ranking.Profile], list[int]]


def broadsheet_feed(items: Sequence[_Item], profile: ranking.Profile) -> list[int]:
    ranked = ranking.rank(
        (i.candidate for i in items),
        profile,
        now=NOW,
        half_life_hours=HALF_LIFE_HOURS,
        limit=len(items),
    )
    return [r.story_id for r in ranked]


def recency_feed(items: Sequence[_Item], profile: ranking.Profile) -> list[int]:
    """Newest first, read stories after unread ones (no learning)."""
    order = sorted(
        items,
        key=lambda i: (
            i.candidate.story_id not in profile.read,
            i.candidate.last_seen,
            i.candidate.story_id,
        ),
        reverse=True,
    )
    return [i.candidate.story_id for i in order]


def simulate(
    items: Sequence[_Item], topics: set[int], feed: Feed, rng: random.Random
) -> dict[int, float]:
    """One reader: NDCG@10 of ``feed`` at each of ``CHECKPOINTS`` opens."""
    by_id = {i.candidate.story_id: i for i in items}
    liked = {i.candidate.story_id for i in items if i.topic in topics}
    events: list[tuple[FeedbackKind, ranking.Candidate]] = []
    read: dict[int, ranking.ReadMark] = {}
    scores: dict[int, float] = {}
    for clicks in range(max(CHECKPOINTS) + 1):
        profile = ranking.Profile(
            read=read, feedback=[(k, ranking.story_keys(c)) for k, c in events]
        )
        shown = feed(items, profile)
        if clicks in CHECKPOINTS:
            scores[clicks] = ndcg_at_k(shown, liked - set(read))
        if clicks == max(CHECKPOINTS):
            break
        opened = None
        for story_id in shown[:K]:
            if story_id in liked and story_id not in read and rng.random() < CLICK_PROBABILITY:
                opened = story_id
                break
        if opened is None:
            unread = sorted(liked - set(read))
            if not unread:
                break
            opened = rng.choice(unread)
        candidate = by_id[opened].candidate
        events.append((FeedbackKind.OPENED, candidate))
        read[opened] = ranking.ReadMark(opened, NOW, candidate.source_count)
    return scores


def reader_topics(sizes: Counter[int], allowed: Sequence[int], rng: random.Random) -> set[int]:
    """``TOPICS_PER_USER`` topics of ``allowed`` with ``MIN_LIKED`` stories or more between them,
    so that 50 opens leave stories to find."""
    while True:
        topics = set(rng.sample(sorted(allowed), TOPICS_PER_USER))
        if sum(sizes[t] for t in topics) >= MIN_LIKED:
            return topics


def run_ranking_eval(eval_dir: Path, *, users: int = USERS, seed: int = SEED) -> dict[str, Any]:
    """The report of ``broadsheet eval ranking`` (shape: task, dataset, n, systems)."""
    items = build_pool(eval_dir, seed=seed)
    all_topics = sorted({i.topic for i in items})
    test_topics = [t for t in all_topics if t in TEST_TOPICS]
    systems: dict[str, Feed] = {"broadsheet": broadsheet_feed, "recency": recency_feed}
    results: dict[str, dict[int, list[float]]] = {
        name: {c: [] for c in CHECKPOINTS} for name in systems
    }
    pick = random.Random(seed)
    sizes = Counter(i.topic for i in items)
    for user in range(users):
        topics = reader_topics(sizes, test_topics, pick)
        # Each reader sees the pool with its own times and outlet counts: a non-personal feed's
        # top 10 would otherwise be the same ten stories for every reader.
        pool = reshuffle(items, random.Random(seed + 1 + user))
        for name, feed in systems.items():
            # The same reader (same click draws) faces each system.
            scores = simulate(pool, topics, feed, random.Random(seed * 1000 + user))
            for clicks, value in scores.items():
                results[name][clicks].append(value)
    return {
        "task": "ranking",
        "dataset": (
            f"ECB+ train+dev+test as one story pool ({len(items)} stories, "
            f"{len(all_topics)} topics); {users} simulated readers of {TOPICS_PER_USER} test "
            f"topics each ({MIN_LIKED}+ stories), cascade clicks (p={CLICK_PROBABILITY}), "
            f"seed {seed}"
        ),
        "n": users,
        "metric": "NDCG@10 of unread stories of the reader's topics",
        "systems": {
            name: {
                f"ndcg@10_after_{c}_clicks": round(statistics.fmean(values), 4)
                for c, values in by_clicks.items()
            }
            for name, by_clicks in results.items()
        },
        "notes": (
            "Times and outlet counts are seeded and independent of topics; the ranking learns "
            "only from the simulated opens, never from topic labels."
        ),
    }
