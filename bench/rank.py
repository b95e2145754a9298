"""Personal feed latency (#11): one user with 50 follows over a store of 100,000 stories.

Stories are inserted directly (clustering's cost is measured by ``bench/cluster_scale.py``):
2,000 a day over 50 days ending now, each with 1-4 articles from 40 outlets, two entities of its
own, one of 300 common ones (a country, a league) and 12 of a long tail of 20,000 (people and
places named in passing), and 30 index words drawn from a Zipf-like vocabulary, stored in
``stories``, ``story_terms`` and ``articles`` exactly as clustering stores them. That is 45
postings per story, as the demo corpus's stories have (30 words, 15 entities on average); the
first version of this benchmark had 13, which flattered every read of a story's postings.
Article bodies are 3,000 characters long (the first version had one), so rows overflow their
page as real articles' do.

The user follows 25 common entities, 5 outlets, 10 keywords, 5 topics (pairs of common
entities) and 5 stories, mutes 2 outlets and 3 entities, and has 200 feedback events (opened,
liked, hidden) and read marks. Timed: ``Personal.feed`` (profile, candidate retrieval, features,
ranking) as a request would call it: once in a fresh ``Personal`` (the first request of a
process, before its caches of what feedback taught), then 200 times after 10 warm-up calls,
both wall-clock and CPU time of the process (a busy machine moves the first, not the second).
Writes ``bench/results/rank.json`` in the eval/bench shape.

    python bench/rank.py               # 100,000 stories
    python bench/rank.py -n 20000      # quicker
    python bench/rank.py --keep /tmp/rank.db   # keep the store; run again to time it only
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from broadsheet.evaluation.report import machine_info, write_report
from broadsheet.evaluation.synthetic import placeholder_raw, placeholder_sources
from broadsheet.model import FeedbackKind, FollowKind
from broadsheet.pipeline.cluster import INDEX_TERMS
from broadsheet.store import Store
from broadsheet.store.personal import Personal
from broadsheet.store.schema import (
    articles,
    entities,
    stories,
    story_terms,
)
from broadsheet.store.users import Accounts

RESULTS = Path(__file__).resolve().parent / "results"
SEED = 20261123
PER_DAY = 2000
OUTLETS = 40
COMMON_ENTITIES = 300
VOCABULARY = 20_000
TERMS_PER_STORY = INDEX_TERMS
TAIL_ENTITIES = 20_000
TAIL_PER_STORY = 12
REQUESTS = 200
WARM_UP = 10
BATCH = 5000
HALF_LIFE_HOURS = 24.0
# An article body of 3,000 characters, a news article's length, so that rows overflow their page
# as real ones do (columns after the body then cost overflow reads). Punctuation only: the full-
# text index has nothing to tokenise, and indexing text is ingest's cost, not the feed's.
BODY = " \u00b7" * 1500


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(4))


def _fill(store: Store, total: int, rng: random.Random, now: datetime) -> dict[str, Any]:
    vocabulary = list(dict.fromkeys(_word(rng) for _ in range(VOCABULARY * 2)))[:VOCABULARY]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    with store.engine.begin() as conn:
        raw_id = placeholder_raw(conn, now)
        source_ids = placeholder_sources(conn, [f"Outlet {i}" for i in range(OUTLETS)], now)
        conn.execute(
            entities.insert(),
            [
                {"name": f"Common {i}", "type": "place", "type_votes": {}, "created_at": now}
                for i in range(COMMON_ENTITIES)
            ],
        )
        common = list(conn.execute(sa.select(entities.c.id).order_by(entities.c.id)).scalars())
    # The long tail and each story's own entities are numbered past the common ones; they need
    # no row of their own in ``entities`` (story_terms keys are what ranking reads).
    tail = range(max(common) + 1, max(common) + 1 + TAIL_ENTITIES)
    tail_weights = [1 / (rank + 1) for rank in range(TAIL_ENTITIES)]
    next_entity = tail.stop
    start = now - timedelta(days=total / PER_DAY)
    story_rows: list[dict[str, Any]] = []
    term_rows: list[dict[str, Any]] = []
    article_rows: list[dict[str, Any]] = []

    def flush(conn: sa.Connection) -> None:
        if story_rows:
            conn.execute(stories.insert(), story_rows)
            conn.execute(story_terms.insert(), term_rows)
            conn.execute(articles.insert(), article_rows)
        story_rows.clear()
        term_rows.clear()
        article_rows.clear()

    with store.engine.connect() as conn:
        transaction = conn.begin()
        for n in range(total):
            story_id = n + 1
            last_seen = start + timedelta(days=(n + 1) / PER_DAY)
            n_articles = rng.choice((1, 1, 2, 2, 3, 4))
            outlets = rng.sample(source_ids, n_articles)
            first_seen = last_seen - timedelta(hours=rng.uniform(0, 12) if n_articles > 1 else 0)
            own = [next_entity, next_entity + 1]
            next_entity += 2
            shares = {
                e: rng.choice((0.25, 0.34, 0.5))
                for e in rng.choices(tail, tail_weights, k=TAIL_PER_STORY)
            }
            shares.update(
                {own[0]: 1.0, own[1]: 0.5, rng.choice(common): rng.choice((0.34, 0.5, 1.0))}
            )
            words = set(rng.choices(vocabulary, weights, k=TERMS_PER_STORY * 3))
            words_list = sorted(words)[:TERMS_PER_STORY]
            story_rows.append(
                {
                    "id": story_id,
                    "language": "en",
                    "title": " ".join(words_list[:6]),
                    "title_score": 0.0,
                    "first_seen": first_seen,
                    "last_seen": last_seen,
                    "article_count": n_articles,
                    "source_count": n_articles,
                    "size": n_articles,
                    "centroid": {},
                    "entity_centroid": {},
                    "entities": {str(e): 1 for e in shares},
                    "created_at": now,
                    "updated_at": now,
                }
            )
            term_rows.extend(
                {"story_id": story_id, "term": w, "weight": 0.3, "last_seen": last_seen}
                for w in words_list
            )
            term_rows.extend(
                {"story_id": story_id, "term": f"e:{e}", "weight": s, "last_seen": last_seen}
                for e, s in shares.items()
            )
            for k, outlet in enumerate(outlets):
                published = first_seen + (last_seen - first_seen) * (k / max(n_articles - 1, 1))
                article_rows.append(
                    {
                        "identity": f"synthetic:{story_id}:{k}",
                        "raw_id": raw_id,
                        "source_id": outlet,
                        "title": "t",
                        "authors": [],
                        "published_at": published,
                        "published_at_guessed": False,
                        "language": "en",
                        "body": BODY,
                        "content_hash": f"{story_id}:{k}",
                        "is_partial": False,
                        "story_id": story_id,
                        "version": 1,
                        "ingested_at": now,
                        "updated_at": now,
                    }
                )
            if len(story_rows) >= BATCH:
                flush(conn)
                transaction.commit()
                transaction = conn.begin()
        flush(conn)
        transaction.commit()
    return {"common": common, "sources": source_ids, "vocabulary": vocabulary}


def _user(store: Store, world: dict[str, Any], rng: random.Random, now: datetime) -> int:
    accounts = Accounts(store)
    personal = Personal(store)
    user = accounts.add_user("bench", "bench-password-1", now=now)
    common, outlets, vocabulary = world["common"], world["sources"], world["vocabulary"]
    picked = rng.sample(common, 25 + 10 + 3)
    for entity_id in picked[:25]:
        accounts.follow(user.id, FollowKind.ENTITY, str(entity_id), now=now, weight=1.0)
    for source_id in outlets[:5]:
        accounts.follow(user.id, FollowKind.SOURCE, str(source_id), now=now, weight=0.5)
    # Keywords of middling frequency: among the 200th to 2,000th commonest words.
    for word in rng.sample(vocabulary[200:2000], 10):
        accounts.follow(user.id, FollowKind.KEYWORD, word, now=now, weight=2.0)
    for i in range(5):
        pair = picked[25 + 2 * i : 27 + 2 * i]
        topic = personal.create_topic(user.id, f"Topic {i}", pair, [], now=now)
        accounts.follow(user.id, FollowKind.TOPIC, str(topic.id), now=now, weight=3.0)
    with store.engine.connect() as conn:
        newest = conn.execute(sa.select(sa.func.max(stories.c.id))).scalar_one()
    for story_id in rng.sample(range(max(1, newest - 5000), newest + 1), 5):
        accounts.follow(user.id, FollowKind.STORY, str(story_id), now=now, weight=1.0)
    for source_id in outlets[-2:]:
        personal.mute(user.id, FollowKind.SOURCE, str(source_id), now=now)
    for entity_id in picked[35:38]:
        personal.mute(user.id, FollowKind.ENTITY, str(entity_id), now=now)
    kinds = [FeedbackKind.OPENED] * 8 + [FeedbackKind.LIKED, FeedbackKind.HIDDEN]
    recent = range(max(1, newest - 10_000), newest + 1)
    for story_id in rng.sample(recent, min(200, len(recent))):
        personal.record(user.id, story_id, rng.choice(kinds), now=now)
    return int(user.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("-n", "--stories", type=int, default=100_000)
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="PATH",
        help="Fill the store at PATH and keep it; when it exists, time it again without filling.",
    )
    args = parser.parse_args()
    rng = random.Random(SEED)
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="broadsheet-rank-") as tmp:
        path = args.keep or Path(tmp) / "rank.db"
        reuse = path.exists()
        store = Store.open(f"sqlite:///{path}")
        try:
            if reuse:
                # The stream ended at the fill's "now": the newest story's last activity.
                with store.engine.connect() as conn:
                    now = conn.execute(sa.select(sa.func.max(stories.c.last_seen))).scalar_one()
                    count = sa.select(sa.func.count()).select_from(stories)
                    args.stories = conn.execute(count).scalar_one()
                user_id = int(Accounts(store).user("bench").id)
                print(f"reusing {path} ({args.stories} stories)", flush=True)
            else:
                world = _fill(store, args.stories, rng, now)
                fill_s = time.perf_counter() - started
                print(f"filled {args.stories} stories in {fill_s:.1f} s", flush=True)
                user_id = _user(store, world, rng, now)
            personal = Personal(store)
            follows = len(Accounts(store).follows(user_id))
            tick = time.perf_counter()
            personal.feed(user_id, now=now, half_life_hours=HALF_LIFE_HOURS)
            first = time.perf_counter() - tick
            for _ in range(WARM_UP):
                personal.feed(user_id, now=now, half_life_hours=HALF_LIFE_HOURS)
            seconds: list[float] = []
            cpu: list[float] = []
            for _ in range(REQUESTS):
                tick, tock = time.perf_counter(), time.process_time()
                feed = personal.feed(user_id, now=now, half_life_hours=HALF_LIFE_HOURS)
                seconds.append(time.perf_counter() - tick)
                cpu.append(time.process_time() - tock)
            # Where the time goes, once: profile, candidate ids, features, ranking.
            tick = time.perf_counter()
            profile = personal.profile(user_id, now=now)
            t_profile = time.perf_counter() - tick
            ids = personal.candidate_ids(profile, now=now)
            t_ids = time.perf_counter() - tick - t_profile
            candidates = personal.candidates_by_id(
                ids, now=now, read=profile.read, keys=personal.relevant_keys(profile)
            )
            t_features = time.perf_counter() - tick - t_profile - t_ids
        finally:
            store.close()

    def pct(q: float, values: list[float] = seconds) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000, 2)

    report = {
        "task": "rank",
        "dataset": (
            f"synthetic: {args.stories} stories, {PER_DAY} a day, {OUTLETS} outlets, "
            f"seed {SEED}; one user with {follows} follows, 5 mutes, 200 feedback events"
        ),
        "n": REQUESTS,
        "systems": {
            "broadsheet": {
                "p50_ms": pct(0.50),
                "p95_ms": pct(0.95),
                "p99_ms": pct(0.99),
                "mean_ms": round(statistics.fmean(seconds) * 1000, 2),
                "cpu_p50_ms": pct(0.50, cpu),
                "cpu_p95_ms": pct(0.95, cpu),
                "first_request_ms": round(first * 1000, 2),
                "candidates": len(candidates),
                "feed_items": len(feed),
                "profile_ms": round(t_profile * 1000, 2),
                "candidate_ids_ms": round(t_ids * 1000, 2),
                "features_ms": round(t_features * 1000, 2),
            }
        },
        "notes": (
            "Times Personal.feed (SQLite file, one process, warm cache) as one request calls it;"
            " target p95 < 30 ms."
        ),
        "machine": machine_info(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_report(RESULTS / "rank.json", report)


if __name__ == "__main__":
    main()
