"""Web latency benchmark: `broadsheet serve` over a SQLite store of 50,000 generated articles.

The store is filled directly (sources, articles with their FTS rows through the store's own
triggers, and stories of about five articles from several outlets, ~2,000 articles a day): the
pipeline's own cost is measured by ``bench/ingest.py``, and this benchmark is about reading.
Then ``broadsheet serve --public-read`` runs as a child process on a free loopback port and this
process, the load loop, requests each URL one after another on one keep-alive connection:
``/``, a story page (a different story each time), ``/search?q=`` (a term of one event, and a
common word matching most articles) and ``/api/v1/stories``. Per URL it reports p50/p95/p99
latency in ms and requests per second (one client, so rps = 1 / mean latency). Writes
``bench/results/web.json`` in the bench shape.

    python bench/web.py                 # 50,000 articles, 300 timed requests per URL
    python bench/web.py -n 5000 -r 100  # quicker
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from broadsheet.evaluation.report import machine_info, write_report
from broadsheet.evaluation.synthetic import placeholder_raw, placeholder_sources
from broadsheet.store import Store
from broadsheet.store.schema import articles, stories

RESULTS = Path(__file__).resolve().parent / "results"
SEED = 20261123
PER_DAY = 2000
PER_STORY = 5
OUTLETS = 12
START = datetime(2026, 1, 1, tzinfo=UTC)
TARGET_P95_MS = 50.0
WORDS = (
    "government minister talks trade tariff port strike union wage vote election council bank "
    "rate inflation market shares deal company chip probe launch mission rescue quake village "
    "governor official agreed warned expected city region country capital workers families "
    "schools hospital river bridge road storm harbour court ruling budget energy prices"
).split()


def _sentence(rng: random.Random, topic: list[str]) -> str:
    words = [rng.choice(topic if rng.random() < 0.3 else WORDS) for _ in range(rng.randint(12, 24))]
    return " ".join(words).capitalize() + "."


def _story_fillers(conn: sa.Connection) -> dict[str, Any]:
    """Empty values for required story columns this script does not know (the story schema grows
    with the clusterer and the story view; the benchmark reads stories, it does not score them)."""
    known = {
        "id",
        "language",
        "title",
        "title_article_id",
        "title_score",
        "first_seen",
        "last_seen",
        "article_count",
        "source_count",
        "size",
        "centroid",
        "entities",
        "created_at",
        "updated_at",
    }
    values: dict[str, Any] = {}
    for column in sa.inspect(conn).get_columns("stories"):
        if column["name"] in known or column["nullable"] or column.get("default") is not None:
            continue
        kind = str(column["type"]).upper()
        # Insert through SQL text types: a JSON column takes "{}", a number 0, text "".
        values[column["name"]] = (
            {} if "JSON" in kind else 0 if ("INT" in kind or "FLOAT" in kind) else ""
        )
    return values


def fill(db: Path, n: int) -> dict[str, int]:
    """Write ``n`` articles in stories of ``PER_STORY`` into a new store at ``db``."""
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    store = Store.open(f"sqlite:///{db}")
    with store.engine.begin() as conn:
        raw_id = placeholder_raw(conn, now)
        outlet_ids = placeholder_sources(
            conn, [f"Outlet {i}" for i in range(OUTLETS)], now, with_sites=True
        )
    n_stories = 0
    with store.engine.begin() as conn:
        extra = _story_fillers(conn)
        for first in range(0, n, PER_STORY):
            size = min(PER_STORY, n - first)
            topic = [f"{rng.choice(WORDS)}{first}", f"event{first}x"]
            title = f"{_sentence(rng, topic)[:70]} ({first})"
            when = [START + timedelta(days=(first + i) / PER_DAY) for i in range(size)]
            outlets = rng.sample(outlet_ids, size)
            story_id = int(
                conn.execute(
                    stories.insert().values(
                        language="en",
                        title=title,
                        title_article_id=None,
                        title_score=1.0,
                        first_seen=when[0],
                        last_seen=when[-1],
                        article_count=size,
                        source_count=size,
                        size=size,
                        centroid={},
                        entities={},
                        created_at=now,
                        updated_at=now,
                        **extra,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            n_stories += 1
            rows = []
            for i in range(size):
                body = "\n\n".join(
                    " ".join(_sentence(rng, topic) for _ in range(3)) for _ in range(6)
                )
                rows.append(
                    {
                        "identity": f"synthetic:{first + i}",
                        "raw_id": raw_id,
                        "source_id": outlets[i],
                        "url": f"https://outlet.example/{first + i}",
                        "title": f"{title} [{i}]",
                        "authors": [],
                        "published_at": when[i],
                        "published_at_guessed": False,
                        "language": "en",
                        "body": body,
                        "content_hash": hashlib.sha256(body.encode()).hexdigest(),
                        "is_partial": False,
                        "story_id": story_id,
                        "version": 1,
                        "ingested_at": now,
                        "updated_at": now,
                    }
                )
            conn.execute(articles.insert(), rows)
    with store.engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(articles)).scalar_one()
    store.close()
    return {"articles": int(count), "stories": n_stories, "sources": OUTLETS}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


def measure(base: str, urls: dict[str, list[str]], requests: int, warmup: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=30) as http:
        for name, choices in urls.items():
            for i in range(warmup):
                http.get(choices[i % len(choices)]).raise_for_status()
            times_ms: list[float] = []
            started = time.perf_counter()
            for i in range(requests):
                tick = time.perf_counter()
                response = http.get(choices[i % len(choices)])
                times_ms.append((time.perf_counter() - tick) * 1000)
                response.raise_for_status()
            total_s = time.perf_counter() - started
            figures[name] = {
                "p50_ms": round(statistics.median(times_ms), 2),
                "p95_ms": round(_percentile(times_ms, 95), 2),
                "p99_ms": round(_percentile(times_ms, 99), 2),
                "requests_per_s": round(requests / total_s, 1),
                "requests": requests,
            }
            print(name, figures[name], file=sys.stderr)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--articles", type=int, default=50_000)
    parser.add_argument("-r", "--requests", type=int, default=300, help="Timed requests per URL.")
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="broadsheet-web-bench-") as folder:
        db = Path(folder) / "web.db"
        tick = time.perf_counter()
        counts = fill(db, args.articles)
        fill_s = time.perf_counter() - tick
        print(f"filled {counts} in {fill_s:.1f} s", file=sys.stderr)
        rng = random.Random(SEED)
        story_ids = rng.sample(range(1, counts["stories"] + 1), min(200, counts["stories"]))
        urls = {
            "/": ["/"],
            "/stories/{id}": [f"/stories/{i}" for i in story_ids],
            # A term of one event (matches its ~5 articles), as a reader looking for a story
            # types; and a common word that matches most of the 50,000 (bm25 ranks them all).
            "/search?q= (event term)": [
                f"/search?q=event{(i - 1) * PER_STORY}x" for i in story_ids
            ],
            "/search?q= (common word)": [f"/search?q={w}" for w in rng.sample(WORDS, len(WORDS))],
            "/api/v1/stories": ["/api/v1/stories"],
        }
        port = _free_port()
        command = [sys.executable, "-m", "broadsheet", "--db", str(db), "serve"]
        server = subprocess.Popen(
            [*command, "--port", str(port), "--public-read"],
            env={**os.environ, "BROADSHEET_LOG_LEVEL": "warning"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("broadsheet serve did not start")
                time.sleep(0.2)
            figures = measure(base, urls, args.requests, args.warmup)
        finally:
            server.terminate()
            server.wait(timeout=10)
    systems = {
        "broadsheet": {
            f"{url} {metric}": value
            for url, values in figures.items()
            for metric, value in values.items()
            if metric != "requests"
        }
    }
    worst = max(v["p95_ms"] for v in figures.values())
    write_report(
        RESULTS / "web.json",
        {
            "task": "web",
            "dataset": (
                f"generated: {counts['articles']} articles, {counts['stories']} stories of "
                f"{PER_STORY}, {counts['sources']} outlets, {PER_DAY} articles a day, seed {SEED}"
            ),
            "n": counts["articles"],
            "systems": systems,
            "urls": figures,
            "target_p95_ms": TARGET_P95_MS,
            "meets_target": worst < TARGET_P95_MS,
            "notes": (
                "broadsheet serve --public-read (one uvicorn process) as a child process; one "
                "client in this process, sequential requests on a keep-alive connection over "
                "loopback, after warm-up. The machine's 2 cores were shared with other work."
            ),
            "fill_seconds": round(fill_s, 1),
            "machine": machine_info(),
        },
    )


if __name__ == "__main__":
    main()
