"""Clustering cost per article as the store grows: a synthetic stream into a fresh SQLite store.

Articles about synthetic events (each with its own rare words, over a Zipf-like background
vocabulary) arrive in time order, about ``PER_DAY`` a day, so old stories leave the time window
as they would in production. Each article row is inserted directly (the pipeline's cost does not
depend on the store's size and is measured by ``bench/ingest.py`` and ``bench/enrich.py``), then
``store.stories.assign`` clusters it exactly as ``write_batch`` does; only ``assign`` is timed.
Each event names two entities of its own and one of 200 common ones (a country, a league),
with mention counts, so the entity keys of the index and the entity vectors are exercised too.
Writes ``bench/results/cluster_scale.json`` in the eval/bench shape.

    python bench/cluster_scale.py              # 100,000 articles
    python bench/cluster_scale.py -n 20000     # quicker
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from broadsheet.evaluation.report import machine_info, write_report
from broadsheet.evaluation.synthetic import (
    insert_article,
    placeholder_raw,
    placeholder_sources,
)
from broadsheet.store import Store
from broadsheet.store import stories as story_store
from broadsheet.store.schema import article_entities, entities

RESULTS = Path(__file__).resolve().parent / "results"
SEED = 20261123
PER_DAY = 2000
ARTICLES_PER_EVENT = 5
COMMON_ENTITIES = 200
WINDOW_FULL = 20_000  # checkpoint past the 7-day window (14,000 articles at PER_DAY)
BATCH = 500
START = datetime(2026, 1, 1, tzinfo=UTC)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(4))


@dataclass
class _Run:
    rng: random.Random
    background: list[str]
    weights: list[float]
    checkpoints: list[int]
    seconds: list[float] = field(default_factory=list)
    figures: dict[str, dict[str, float]] = field(default_factory=dict)


def _setup(store: Store, now: datetime) -> tuple[int, list[int]]:
    with store.engine.begin() as conn:
        return placeholder_raw(conn, now), placeholder_sources(
            conn, [f"Outlet {i}" for i in range(20)], now
        )


def _stream(store: Store, total: int, run: _Run) -> None:
    now = datetime.now(UTC)
    raw_id, source_ids = _setup(store, now)
    rng = run.rng
    events: list[list[str]] = []
    event_entities: list[list[int]] = []
    with store.engine.connect() as conn:
        transaction = conn.begin()

        def new_entity(name: str) -> int:
            return int(
                conn.execute(
                    entities.insert().values(
                        name=name, type="person", type_votes={}, created_at=now
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )

        common = [new_entity(f"Common {i}") for i in range(COMMON_ENTITIES)]
        for n in range(total):
            if n % ARTICLES_PER_EVENT == 0:
                events.append([_word(rng) for _ in range(10)])
                event_entities.append(
                    [new_entity(f"Event {len(events)} {k}") for k in range(2)]
                    + [rng.choice(common)]
                )
            # Mostly the newest events, sometimes an older one still in the window.
            back = min(len(events) - 1, int(rng.expovariate(1 / 3)))
            own = events[-1 - back]
            title = " ".join(rng.sample(own, 4) + rng.choices(run.background, run.weights, k=4))
            body = " ".join(
                rng.choices(own, k=25) + rng.choices(run.background, run.weights, k=150)
            )
            article_id = insert_article(
                conn,
                identity=f"synthetic:{n}",
                raw_and_source=(raw_id, rng.choice(source_ids)),
                title=title,
                body=body,
                published_at=START + timedelta(days=n / PER_DAY),
                now=now,
            )
            conn.execute(
                article_entities.insert(),
                [
                    {"article_id": article_id, "entity_id": e, "mentions": rng.randint(1, 4)}
                    for e in event_entities[-1 - back]
                ],
            )
            tick = time.perf_counter()
            story_store.assign(conn, [article_id], now=now)
            run.seconds.append(time.perf_counter() - tick)
            if (n + 1) % BATCH == 0:
                transaction.commit()
                transaction = conn.begin()
            if n + 1 in run.checkpoints:
                recent = sorted(run.seconds[-1000:])
                run.figures[f"at_{n + 1}"] = {
                    "ms_per_article_last_1000": round(statistics.fmean(recent) * 1000, 3),
                    # The median shrugs off pauses from other work on the machine.
                    "median_ms_last_1000": round(statistics.median(recent) * 1000, 3),
                    "p95_ms_last_1000": round(recent[int(len(recent) * 0.95)] * 1000, 3),
                }
                print(n + 1, run.figures[f"at_{n + 1}"], flush=True)
        transaction.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("-n", "--articles", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(SEED)
    background = [_word(rng) for _ in range(5000)]
    checkpoints = sorted(
        {c for c in (1000, 10_000, 20_000, 50_000, 100_000) if c <= args.articles} | {args.articles}
    )
    run = _Run(rng, background, [1 / (rank + 1) for rank in range(len(background))], checkpoints)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="broadsheet-cluster-scale-") as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'scale.db'}")
        try:
            _stream(store, args.articles, run)
            stories = store.counts()["stories"]
        finally:
            store.close()
    first, last = run.figures[f"at_{checkpoints[0]}"], run.figures[f"at_{checkpoints[-1]}"]
    report = {
        "task": "cluster_scale",
        "dataset": (
            f"synthetic stream: {args.articles} articles, {ARTICLES_PER_EVENT} per event, "
            f"{PER_DAY} a day, seed {SEED}"
        ),
        "n": args.articles,
        "systems": {
            "broadsheet": {
                **{f"{k}_{m}": v for k, vals in run.figures.items() for m, v in vals.items()},
                "growth_last_over_first": round(
                    last["ms_per_article_last_1000"] / first["ms_per_article_last_1000"], 3
                ),
                # Once the 7-day window is full (2000 a day: 14,000 articles) the candidate set
                # stops growing; from then on the cost per article must stay flat.
                "growth_last_over_window_full": round(
                    last["ms_per_article_last_1000"]
                    / run.figures.get(f"at_{WINDOW_FULL}", first)["ms_per_article_last_1000"],
                    3,
                ),
                "stories": stories,
                "events": -(-args.articles // ARTICLES_PER_EVENT),
                "articles_per_second": round(args.articles / sum(run.seconds), 1),
            }
        },
        "notes": "Times store.stories.assign only (SQLite, one transaction per 500 articles).",
        "machine": machine_info(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_report(RESULTS / "cluster_scale.json", report)


if __name__ == "__main__":
    main()
