"""Ingest benchmark: N generated documents in mixed formats into a fresh SQLite store.

Runs the real command (``python -m broadsheet ingest DIR``) in a child process, so the figures
include start-up, file reading, extraction (trafilatura for HTML), the store and its FTS index.
Writes ``bench/results/ingest.json`` in the eval/bench shape (task, dataset, n, systems).

    python bench/ingest.py            # 5,000 documents
    python bench/ingest.py -n 500     # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from broadsheet.evaluation.report import machine_info, write_report

RESULTS = Path(__file__).resolve().parent / "results"

WORDS = (
    "government minister talks trade tariff port strike union wage vote election council bank "
    "rate inflation market shares deal company chip probe launch mission rescue quake village "
    "governor official said would could after before week month year percent billion million "
    "euros dollars yen agency report statement spokesman spokeswoman agreed warned expected "
    "city region country capital workers families schools hospital river bridge road storm"
).split()

# Mix by share of documents: (format, share). JSONL and feeds hold many documents per file.
MIX = (("text", 0.4), ("html", 0.3), ("jsonl", 0.2), ("feed", 0.1))
JSONL_PER_FILE = 100
FEED_PER_FILE = 20
# One in ten documents re-runs an earlier body word for word (syndicated wire copy).
DUPLICATE_SHARE = 0.1


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 28))]
    return " ".join(words).capitalize() + "."


def _body(rng: random.Random) -> list[str]:
    return [
        " ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))
        for _ in range(rng.randint(5, 10))
    ]


def generate(root: Path, n: int, seed: int) -> dict[str, int]:
    """Write about ``n`` documents under ``root``; returns documents per format."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    bodies: list[list[str]] = []
    counts = {fmt: round(n * share) for fmt, share in MIX}

    def body() -> list[str]:
        if bodies and rng.random() < DUPLICATE_SHARE:
            return rng.choice(bodies)
        new = _body(rng)
        bodies.append(new)
        return new

    def when(i: int) -> str:
        return (start + timedelta(minutes=7 * i)).isoformat()

    for i in range(counts["text"]):
        folder = root / "text" / f"{i // 500:03}"
        folder.mkdir(parents=True, exist_ok=True)
        lines = ["Home > News", f"Headline {i}: {_sentence(rng)}", "Advertisement", *body()]
        (folder / f"t{i:06}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        meta = {
            "source": f"Outlet {i % 12}",
            "url": f"https://outlet{i % 12}.example/t/{i}",
            "published_at": when(i),
        }
        (folder / f"t{i:06}.meta.json").write_text(json.dumps(meta), encoding="utf-8")
    for i in range(counts["html"]):
        folder = root / "html" / f"{i // 500:03}"
        folder.mkdir(parents=True, exist_ok=True)
        paragraphs = "\n".join(f"<p>{p}</p>" for p in body())
        page = (
            f"<!DOCTYPE html><html lang='en'><head><title>Story {i}</title>"
            f"<link rel='canonical' href='https://ledger.example/p/{i}'>"
            f"<meta property='og:site_name' content='Ledger {i % 5}'>"
            f"<meta property='article:published_time' content='{when(i)}'></head><body>"
            "<nav><a href='/'>Home</a><a href='/world'>World</a></nav><main><article>"
            f"<h1>Story {i}: {_sentence(rng)}</h1>{paragraphs}</article>"
            "<aside><ul><li><a href='/r'>Related story</a></li></ul></aside></main>"
            "<footer>Copyright 2026</footer></body></html>"
        )
        (folder / f"p{i:06}.html").write_text(page, encoding="utf-8")
    (root / "jsonl").mkdir()
    for f in range(0, counts["jsonl"], JSONL_PER_FILE):
        lines = []
        for i in range(f, min(f + JSONL_PER_FILE, counts["jsonl"])):
            record = {
                "title": f"Wire {i}",
                "text": "\n\n".join(body()),
                "url": f"https://wire.example/{i}",
                "published_at": when(i),
                "source": "Wire",
            }
            lines.append(json.dumps(record))
        (root / "jsonl" / f"w{f:06}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "feeds").mkdir()
    for f in range(0, counts["feed"], FEED_PER_FILE):
        items = []
        for i in range(f, min(f + FEED_PER_FILE, counts["feed"])):
            content = "".join(f"<p>{p}</p>" for p in body())
            pub_date = (start + timedelta(minutes=11 * i)).strftime("%a, %d %b %Y %H:%M:%S +0000")
            items.append(
                f"<item><title>Feed story {i}</title><link>https://courier.example/{i}</link>"
                f"<pubDate>{pub_date}</pubDate>"
                f"<description><![CDATA[{content}]]></description></item>"
            )
        feed = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Courier</title><link>https://courier.example/</link>{''.join(items)}</channel></rss>"
        )
        (root / "feeds" / f"f{f:06}.rss").write_text(feed, encoding="utf-8")
    return counts


def run_ingest(root: Path, db: Path) -> tuple[float, dict[str, int], int]:
    """``broadsheet ingest ROOT --json`` into the SQLite file ``db`` in a child process: its
    seconds, its totals and the peak RSS (KiB) of the children so far. Exit code 3 (some inputs
    quarantined) is a normal outcome; any other failure stops the benchmark."""
    env = {**os.environ, "BROADSHEET_DB": str(db)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "broadsheet", "ingest", str(root), "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 3):
        sys.exit(f"ingest failed ({done.returncode}): {done.stderr[-2000:]}")
    totals = json.loads(done.stdout)["totals"]
    return seconds, totals, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def run_figures(
    seconds: float, totals: dict[str, int], peak_rss_kib: int, input_bytes: int
) -> dict[str, float | int]:
    """The figures every ingest benchmark reports of one ``run_ingest``."""
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak_rss_kib / 1024, 1),
        "input_mb": round(input_bytes / 1e6, 1),
        "articles_new": totals["articles_new"],
        "duplicates_in_store": totals["duplicates_in_store"],
        "quarantined": totals["quarantined"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5000, help="documents to generate (default 5000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=RESULTS / "ingest.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="broadsheet-bench-") as tmp:
        root = Path(tmp) / "in"
        counts = generate(root, args.n, args.seed)
        documents = sum(counts.values())
        files = sum(1 for p in root.rglob("*") if p.is_file() and not p.name.endswith(".meta.json"))
        input_bytes = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        db = Path(tmp) / "bench.db"
        seconds, totals, peak_rss_kib = run_ingest(root, db)
        db_bytes = sum(p.stat().st_size for p in Path(tmp).glob("bench.db*"))

    result = {
        "task": "ingest",
        "dataset": f"generated: {documents} documents in {files} files "
        f"({', '.join(f'{v} {k}' for k, v in counts.items())}), seed {args.seed}",
        "n": documents,
        "systems": {
            "broadsheet": {
                "documents_per_s": round(documents / seconds, 1),
                "files_per_s": round(files / seconds, 1),
                "store_mb": round(db_bytes / 1e6, 1),
                **run_figures(seconds, totals, peak_rss_kib, input_bytes),
            }
        },
        "machine": machine_info(),
    }
    write_report(args.out, result)


if __name__ == "__main__":
    main()
