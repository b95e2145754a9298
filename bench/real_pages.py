"""Ingest benchmark on real web pages: every HTML page of both extraction sets in one store.

The 181 news pages of the Zyte benchmark and the 990 pages of trafilatura's set (blogs, news,
forums, shops and wikis in two dozen languages, some in legacy encodings, one with stray NUL
bytes) are written to a temporary folder as ``.html`` files, as a user's saved pages would be,
and go through the real command (``python -m broadsheet ingest DIR``) into a fresh SQLite store.
Nothing is copied into the repository; the pages are read from ``../shared/eval``.

What it shows: that a batch of real, messy pages goes through without a crash, which inputs are
quarantined and why, the speed and memory of the whole pipeline (trafilatura, spaCy, dedupe,
clustering) on real pages, and what clustering makes of them (the Zyte pages are news of a few
days in November 2019, several outlets to an event). Writes ``bench/results/real_pages.json``.

    python bench/real_pages.py
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys
import tempfile
from collections import Counter
from pathlib import Path

from broadsheet.evaluation.extraction import load_snippet_pages, load_zyte_pages
from broadsheet.evaluation.report import machine_info, write_report
from ingest import RESULTS, run_figures, run_ingest

EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval"


def write_pages(eval_dir: Path, root: Path) -> dict[str, int]:
    """Every page of both sets as a file under ``root`` (bytes as stored); pages per set."""
    root.mkdir(parents=True)
    counts = {"zyte": 0, "trafilatura": 0}
    for zyte in load_zyte_pages(eval_dir):
        (root / f"zyte-{zyte.id[:16]}.html").write_bytes(zyte.html.encode("utf-8"))
        counts["zyte"] += 1
    for page in load_snippet_pages(eval_dir):
        data = page.html if isinstance(page.html, bytes) else page.html.encode("utf-8")
        name = hashlib.sha256(page.id.encode("utf-8")).hexdigest()[:16]
        (root / f"trafilatura-{name}.html").write_bytes(data)
        counts["trafilatura"] += 1
    return counts


def store_figures(db: Path) -> dict[str, object]:
    """What the store holds after the run: quarantines by code, articles, stories."""
    with sqlite3.connect(db) as conn:
        codes = Counter(code for (code,) in conn.execute("SELECT code FROM quarantine"))
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        sizes = [
            n
            for (n,) in conn.execute(
                "SELECT count(DISTINCT source_id) FROM articles WHERE story_id IS NOT NULL "
                "GROUP BY story_id"
            )
        ]
        languages = Counter(
            lang or "unknown" for (lang,) in conn.execute("SELECT language FROM articles")
        )
    return {
        "articles": articles,
        "quarantined_by_code": dict(codes.most_common()),
        "stories": len(sizes),
        "stories_with_2_or_more_outlets": sum(1 for n in sizes if n >= 2),
        "largest_story_outlets": max(sizes, default=0),
        "languages": dict(languages.most_common(8)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--out", type=Path, default=RESULTS / "real_pages.json")
    args = parser.parse_args()
    if not args.eval_dir.is_dir():
        sys.exit(f"evaluation data not found: {args.eval_dir} (../shared/eval beside the repo)")

    with tempfile.TemporaryDirectory(prefix="broadsheet-bench-") as tmp:
        root = Path(tmp) / "pages"
        counts = write_pages(args.eval_dir, root)
        pages = sum(counts.values())
        input_bytes = sum(p.stat().st_size for p in root.iterdir())
        db = Path(tmp) / "bench.db"
        seconds, totals, peak_rss_kib = run_ingest(root, db)
        figures = store_figures(db)

    result = {
        "task": "ingest-real-pages",
        "dataset": (
            f"{counts['zyte']} Zyte benchmark pages (extraction/articles.jsonl.gz) and "
            f"{counts['trafilatura']} pages of trafilatura's set "
            "(extraction-trafilatura/documents.jsonl.gz), one .html file each"
        ),
        "n": pages,
        "systems": {
            "broadsheet": {
                "pages_per_s": round(pages / seconds, 1),
                **run_figures(seconds, totals, peak_rss_kib, input_bytes),
                **figures,
            }
        },
        "machine": machine_info(),
    }
    write_report(args.out, result)


if __name__ == "__main__":
    main()
