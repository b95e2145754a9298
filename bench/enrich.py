"""Enrichment benchmark: articles per second through the enrich stage, beside spaCy alone.

On real article texts (ECB+ train/dev/test and GUM news from the shared evaluation data, plus
the bodies of the bundled demo corpus) it times, in one process and one run:

- ``broadsheet``: ``pipeline.enrich.enrich`` over the texts (language, spaCy, trimmed entity
  mentions with within-article canonical names, quotes with speakers, figures, and dates) and
  one ``EntityCatalog.resolve`` per article (cross-article canonicalisation): everything the
  enrich stage does;
- ``spacy``: ``nlp.pipe`` over the same texts with the same loaded pipeline (the same
  components, the same batch size) and nothing else.

After a warm-up the two take turns on chunks of 64 articles (order swapped every chunk, so a
change in the machine's load weighs on both alike), ``--rounds`` times over all articles; the
best round of each counts. ``overhead_ratio`` = spaCy's articles/s divided by
ours (target <= 1.3). ``peak_rss_mb`` is the process's peak resident memory. Writes
``bench/results/enrich.json`` in the eval/bench shape (task, dataset, n, systems).

    python bench/enrich.py              # about 1,060 articles, 2 rounds, a few minutes
    python bench/enrich.py --rounds 1
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from broadsheet.evaluation.entities import demo_articles
from broadsheet.evaluation.report import machine_info, write_report
from broadsheet.model import ArticleDraft
from broadsheet.pipeline.enrich import SPACY_BATCH, enrich
from broadsheet.pipeline.enrich.entities import load_pipeline
from broadsheet.pipeline.enrich.resolve import EntityCatalog

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
DEFAULT_EVAL_DIR = REPO.parent / "shared" / "eval"
ECB_FILES = tuple(f"clustering/ecbplus_{split}.jsonl.gz" for split in ("train", "dev", "test"))
GUM_FILE = "ner/gum_news.jsonl.gz"
BATCH_SIZE = SPACY_BATCH  # the same batch size as the pipeline's
CHUNK = 64


def _texts(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [str(json.loads(line)["text"]) for line in handle if line.strip()]


def load_texts(eval_dir: Path) -> dict[str, list[str]]:
    """Article texts by corpus, in file order."""
    corpora = {
        "ecbplus": [text for name in ECB_FILES for text in _texts(eval_dir / name)],
        "gum_news": _texts(eval_dir / GUM_FILE),
        "demo": [article.body for article in demo_articles()],
    }
    return corpora


# Relative dates need an anchor; the texts come from many years, one fixed time will do.
PUBLISHED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class Broadsheet:
    """The whole enrich stage (``pipeline.enrich.enrich``: language, entities, quotes, figures,
    dates) plus cross-article entity matching, with one catalog that grows across calls."""

    def __init__(self) -> None:
        self.catalog = EntityCatalog()

    def __call__(self, texts: Sequence[str]) -> int:
        drafts = [
            ArticleDraft(source_name="bench", title="", paragraphs=(t,), published_at=PUBLISHED)
            for t in texts
        ]
        done = enrich(drafts)
        for draft in done:
            self.catalog.resolve(draft.mentions)
        return sum(len(d.mentions) for d in done)


def run_spacy(texts: Sequence[str]) -> int:
    nlp = load_pipeline()
    return sum(len(doc.ents) for doc in nlp.pipe(texts, batch_size=BATCH_SIZE))


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds per system")
    parser.add_argument("--out", type=Path, default=RESULTS / "enrich.json")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not args.eval_dir.is_dir():
        sys.exit(f"evaluation data not found: {args.eval_dir} (pass --eval-dir)")

    corpora = load_texts(args.eval_dir)
    texts = [text for corpus in corpora.values() for text in corpus]
    nlp = load_pipeline()
    for system in (Broadsheet(), run_spacy):
        system(texts[:20])  # warm-up: first calls fill caches and allocate

    # The two systems take turns on chunks of CHUNK articles, the order swapped every chunk, so
    # a change in the machine's load (other processes) weighs on both alike.
    seconds: dict[str, list[float]] = {"broadsheet": [], "spacy": []}
    counts: dict[str, int] = {}
    for _ in range(args.rounds):
        systems: dict[str, Callable[[Sequence[str]], int]] = {
            "broadsheet": Broadsheet(),
            "spacy": run_spacy,
        }
        spent = dict.fromkeys(systems, 0.0)
        found = dict.fromkeys(systems, 0)
        for number, first in enumerate(range(0, len(texts), CHUNK)):
            chunk = texts[first : first + CHUNK]
            names = list(systems) if number % 2 == 0 else list(reversed(systems))
            for name in names:
                started = time.perf_counter()
                found[name] += systems[name](chunk)
                spent[name] += time.perf_counter() - started
        for name in systems:
            seconds[name].append(spent[name])
        counts = found

    n = len(texts)
    chars = sum(len(text) for text in texts)
    best = {name: min(values) for name, values in seconds.items()}
    results: dict[str, dict[str, object]] = {
        name: {
            "articles_per_s": round(n / best[name], 1),
            "chars_per_s": round(chars / best[name]),
            "seconds_best": round(best[name], 2),
            "seconds_all": [round(value, 2) for value in seconds[name]],
            "entities": counts[name],
        }
        for name in seconds
    }
    results["broadsheet"]["overhead_ratio"] = round(best["broadsheet"] / best["spacy"], 3)
    results["broadsheet"]["overhead_ratio_per_round"] = [
        round(ours / theirs, 3)
        for ours, theirs in zip(seconds["broadsheet"], seconds["spacy"], strict=True)
    ]
    report = {
        "task": "enrich",
        "dataset": "ECB+ train/dev/test, GUM news and the demo corpus: "
        + ", ".join(f"{name} {len(corpus)}" for name, corpus in corpora.items()),
        "n": n,
        "systems": results,
        "chars_per_article": round(chars / n),
        "model": nlp.meta.get("name", "") + " " + nlp.meta.get("version", ""),
        "pipes": list(nlp.pipe_names),
        "batch_size": BATCH_SIZE,
        "chunk": CHUNK,
        "rounds": args.rounds,
        "peak_rss_mb": _peak_rss_mb(),
        "machine": machine_info(),
    }
    write_report(args.out, report)


if __name__ == "__main__":
    main()
