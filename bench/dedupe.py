"""Near-duplicate benchmark: precision and recall of ``duplicate_of`` on real news articles.

Positives are copies of real articles (ECB+, GUM news) made by a seeded edit generator that does
what outlets do to wire copy: a new headline, page furniture, a dateline ("CITY (Agency) —") or a
byline, the last paragraph trimmed, a few words edited, and combinations. Negatives are different
articles about the same gold event (ECB+ ``cluster_id``), which must not be linked. Every document
goes through the real path: scraped text -> ``broadsheet.pipeline.ingest`` (decode, extract, the
line cleaner, fingerprint) -> ``Store.write_batch`` on a fresh SQLite store, in shuffled order so
copies often arrive before their original. A pair counts as linked when both articles end in one
copy group (same ``duplicate_of`` root).

``--fit`` ingests ECB+ train only and grid-searches the verification thresholds of
``pipeline/fingerprint.py`` on the stored signatures (highest recall with precision >= 0.995 on
train); the shipped constants come from it. The report uses the shipped constants: ECB+ test
(and train, dev for reference) and all of GUM news. It also times candidate lookups with 100,000
signatures in the real ``lsh_bands``/``article_signatures`` tables, and records peak memory.
Writes ``bench/results/dedupe.json`` (task, dataset, n, systems).

    python bench/dedupe.py                  # full run, a few minutes
    python bench/dedupe.py --fit            # threshold search on ECB+ train
    python bench/dedupe.py --index-size 20000 --splits test   # quicker
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import itertools
import json
import multiprocessing
import random
import resource
import string
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from broadsheet import pipeline
from broadsheet.config import Settings
from broadsheet.evaluation.report import machine_info, write_report
from broadsheet.evaluation.synthetic import placeholder_raw, placeholder_sources
from broadsheet.model import IngestOptions, InputFormat, RawDocument
from broadsheet.pipeline import ingest
from broadsheet.pipeline.fingerprint import (
    BANDS,
    MIN_CONTAINMENT,
    NUM_PERM,
    ROWS,
    SHINGLE,
    band_keys,
    containment,
    decode_signature,
    estimate_jaccard,
    minhash_signature,
    normalized_words,
)
from broadsheet.store import Store, dedupe
from broadsheet.store.schema import article_signatures, articles, lsh_bands

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
# The shared evaluation data lives beside the repository, never in it (eval README).
DEFAULT_EVAL_DIR = REPO.parent / "shared" / "eval"
START = datetime(2026, 11, 1, tzinfo=UTC)
# A same-event pair is a copy in the corpus when half the shorter article's sentences (of at least
# six words) appear in the other word for word or nearly (difflib ratio of the word sequences).
CORPUS_COPY_SHARE = 0.5
CORPUS_COPY_MIN_WORDS = 6
CORPUS_COPY_SENTENCE_RATIO = 0.8
# Threshold fit: recall this close to the best counts as equal (about 5 of 4,600 train pairs).
RECALL_SLACK = 0.001

# --- the edit generator -------------------------------------------------------------------------

CITIES = (
    "LONDON",
    "WASHINGTON",
    "PARIS",
    "NEW DELHI",
    "SYDNEY",
    "NAIROBI",
    "BRUSSELS",
    "TOKYO",
    "SAO PAULO",
    "JOHANNESBURG",
)
AGENCIES = ("Reuters", "AP", "AFP", "PA", "dpa", "Bloomberg")
NAMES = (
    "Jane Doe",
    "Rahul Mehta",
    "Amara Okafor",
    "Tomas Lindqvist",
    "Mei Chen",
    "Carlos Ruiz",
    "Sarah O'Neill",
)
FURNITURE = (
    "Advertisement",
    "Share this article",
    "Sign up to our morning newsletter",
    "Subscribe",
    "Share",
    "Loading...",
    "02:13",
    "27",
    "Related:",
    "Most read",
    "Skip to main content",
)
# Words an editor swaps in: house style, tense, a corrected figure.
SWAPS = ("says", "said", "told", "about", "nearly", "more", "than", "the", "a", "new", "local")

RECIPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("headline", ("headline",)),
    ("furniture", ("furniture",)),
    ("dateline", ("dateline",)),
    ("byline", ("byline",)),
    ("trim", ("trim",)),
    ("words", ("words",)),
    ("headline+dateline+trim", ("headline", "dateline", "trim")),
    ("all", ("headline", "furniture", "byline", "dateline", "trim", "words")),
)


@dataclass(frozen=True, slots=True)
class Doc:
    """A real article: ``lines[0]`` is its headline, the rest its paragraphs."""

    id: str
    cluster: str
    lines: tuple[str, ...]


def _new_headline(rng: random.Random, doc: Doc) -> str:
    words = " ".join(doc.lines[1:]).split()
    if len(words) < 6:
        return "UPDATE 1-" + doc.lines[0]
    start = rng.randrange(0, max(1, min(len(words) - 6, 40)))
    span = words[start : start + rng.randint(6, 10)]
    return string.capwords(" ".join(w.strip(",.;:\"'") for w in span))


def _edit_words(rng: random.Random, line: str, edits: int) -> str:
    words = line.split()
    for _ in range(edits):
        if not words:
            break
        i = rng.randrange(len(words))
        action = rng.choice(("replace", "delete", "insert"))
        if action == "replace":
            words[i] = rng.choice(SWAPS)
        elif action == "delete" and len(words) > 1:
            del words[i]
        else:
            words.insert(i, rng.choice(SWAPS))
    return " ".join(words)


def make_copy(doc: Doc, edits: Sequence[str], rng: random.Random, other_title: str) -> list[str]:
    """The scraped text of a copy of ``doc`` with these edits (one block per line)."""
    headline, body = doc.lines[0], list(doc.lines[1:])
    if "trim" in edits and len(body) >= 2:
        body = body[:-1]
    if "words" in edits:
        for _ in range(3):
            i = rng.randrange(len(body))
            body[i] = _edit_words(rng, body[i], 1)
    if "dateline" in edits and body:
        body[0] = f"{rng.choice(CITIES)} ({rng.choice(AGENCIES)}) — {body[0]}"
    if "headline" in edits:
        headline = _new_headline(rng, doc)
    lines = [headline, *body]
    if "byline" in edits:
        lines.insert(1, f"By {rng.choice(NAMES)}")
        if rng.random() < 0.5:
            lines.append(f"Reporting by {rng.choice(NAMES)}; Editing by {rng.choice(NAMES)}")
    if "furniture" in edits:
        extra = [*rng.sample(FURNITURE, 3), f"READ MORE: {other_title}"]
        for line in extra:
            lines.insert(rng.randint(1, len(lines)), line)
        lines.insert(0, "Home > News > World")
    return lines


# --- data -----------------------------------------------------------------------------------------


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_ecb(eval_dir: Path, split: str) -> list[Doc]:
    docs = []
    for record in _read_jsonl(eval_dir / "clustering" / f"ecbplus_{split}.jsonl.gz"):
        lines = tuple(line.strip() for line in record["text"].split("\n") if line.strip())
        if len(lines) >= 2:
            docs.append(Doc(record["id"], record["cluster_id"], lines))
    return docs


def load_gum(eval_dir: Path) -> list[Doc]:
    docs = []
    for record in _read_jsonl(eval_dir / "ner" / "gum_news.jsonl.gz"):
        lines = tuple(line.strip() for line in record["text"].split("\n") if line.strip())
        # Every GUM document is its own event: no two are copies or same-event write-ups.
        docs.append(Doc(record["id"], record["id"], lines))
    return docs


# --- running the store path -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    doc: Doc
    recipe: str | None  # None: the original
    url: str


def _raw(item: Item, lines: Sequence[str], published: datetime, source: str) -> RawDocument:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    options = IngestOptions(source=source, url=item.url, published_at=published, language="en")
    return RawDocument(
        data=data,
        fetched_at=published,
        format=InputFormat.TEXT,
        origin=item.url,
        options=options,
    )


def build_items(docs: Sequence[Doc], seed: int) -> tuple[list[Item], list[RawDocument]]:
    """Originals and their copies as raw documents, in a shuffled arrival order."""
    rng = random.Random(seed)
    pairs: list[tuple[Item, RawDocument]] = []
    titles = [doc.lines[0] for doc in docs]
    for n, doc in enumerate(docs):
        published = START + timedelta(minutes=10 * n)
        original = Item(doc, None, f"https://wire.example/{doc.id}")
        pairs.append((original, _raw(original, doc.lines, published, "Wire")))
        for r, (name, edits) in enumerate(RECIPES):
            item = Item(doc, name, f"https://outlet{r}.example/{doc.id}")
            lines = make_copy(doc, edits, rng, rng.choice(titles))
            later = published + timedelta(hours=1 + r)
            pairs.append((item, _raw(item, lines, later, f"Outlet {r}")))
    rng.shuffle(pairs)
    return [item for item, _ in pairs], [raw for _, raw in pairs]


@dataclass(slots=True)
class Ingested:
    items: list[Item]
    article: dict[str, int]  # url -> article id
    root: dict[int, int]
    signature: dict[int, tuple[bytes, int]]
    seconds: float
    quarantined: int


@contextmanager
def _stages(with_enrich: bool) -> Iterator[None]:
    """Language and entity enrichment plays no part in finding copies and is the slowest
    stage (spaCy); unless asked for, the run skips it and keeps every other stage."""
    if with_enrich:
        yield
        return
    saved = pipeline._enrich
    pipeline._enrich = lambda results, settings: results
    try:
        yield
    finally:
        pipeline._enrich = saved


def run_store(
    docs: Sequence[Doc], seed: int, tmp: Path, name: str, *, with_enrich: bool = False
) -> Ingested:
    items, raws = build_items(docs, seed)
    db = tmp / f"{name}.db"
    settings = Settings(db=str(db))
    clock_at = [START]

    def clock() -> datetime:
        clock_at[0] += timedelta(seconds=1)
        return clock_at[0]

    with Store.open(f"sqlite:///{db}") as store, _stages(with_enrich):
        started = time.perf_counter()
        report = ingest(store, raws, settings=settings, clock=clock)
        seconds = time.perf_counter() - started
        with store.engine.connect() as conn:
            rows = conn.execute(sa.select(articles.c.id, articles.c.url, articles.c.duplicate_of))
            article, root = {}, {}
            for row in rows:
                article[row.url] = row.id
                root[row.id] = row.duplicate_of or row.id
            signature = {
                row.article_id: (bytes(row.signature), row.shingle_count)
                for row in conn.execute(sa.select(article_signatures))
            }
    quarantined = sum(1 for d in report.documents if d.quarantined)
    return Ingested(items, article, root, signature, seconds, quarantined)


def _sentences(doc: Doc) -> list[tuple[str, ...]]:
    return [
        tuple(words)
        for line in doc.lines[1:]
        if len(words := normalized_words(line)) >= CORPUS_COPY_MIN_WORDS
    ]


def _found(sentence: tuple[str, ...], others: Sequence[tuple[str, ...]]) -> bool:
    words = set(sentence)
    for other in others:
        if other == sentence:
            return True
        if len(words & set(other)) >= 0.5 * len(words) and (
            difflib.SequenceMatcher(None, sentence, other, autojunk=False).ratio()
            >= CORPUS_COPY_SENTENCE_RATIO
        ):
            return True
    return False


def corpus_copy(a: Doc, b: Doc) -> bool:
    """Whether the corpus itself holds these two as one copy: at least half the sentences of the
    shorter appear in the other word for word or with a few words edited (difflib ratio >= 0.8).
    ECB+ has the same wire story from several sites, sometimes lightly edited."""
    sa_, sb = _sentences(a), _sentences(b)
    if len(sa_) > len(sb):
        sa_, sb = sb, sa_
    if not sa_:
        return False
    found = sum(_found(sentence, sb) for sentence in sa_)
    return found >= CORPUS_COPY_SHARE * len(sa_)


@dataclass(frozen=True, slots=True)
class Pairs:
    positives: list[tuple[str, str, str]]  # (original url, copy url, edit recipe)
    negatives: list[tuple[str, str]]  # different write-ups of one event
    corpus_copies: list[tuple[str, str]]  # same-event pairs that are copies in the corpus


def labelled_pairs(docs: Sequence[Doc]) -> Pairs:
    positives = [
        (f"https://wire.example/{doc.id}", f"https://outlet{r}.example/{doc.id}", name)
        for doc in docs
        for r, (name, _edits) in enumerate(RECIPES)
    ]
    by_cluster: dict[str, list[Doc]] = {}
    for doc in docs:
        by_cluster.setdefault(doc.cluster, []).append(doc)
    negatives: list[tuple[str, str]] = []
    copies: list[tuple[str, str]] = []
    for members in by_cluster.values():
        for a, b in itertools.combinations(members, 2):
            pair = (f"https://wire.example/{a.id}", f"https://wire.example/{b.id}")
            (copies if corpus_copy(a, b) else negatives).append(pair)
    return Pairs(positives, negatives, copies)


def _short(url: str) -> str:
    return url.rsplit("/", 1)[1]


def score(run: Ingested, docs: Sequence[Doc]) -> dict[str, Any]:
    pairs = labelled_pairs(docs)
    positives, negatives = pairs.positives, pairs.negatives

    def linked(a: str, b: str) -> bool:
        ia, ib = run.article.get(a), run.article.get(b)
        return ia is not None and ib is not None and run.root[ia] == run.root[ib]

    def stored(url: str) -> bool:
        return url in run.article

    tp = sum(linked(a, b) for a, b, _ in positives)
    fp_pairs = [(a, b) for a, b in negatives if linked(a, b)]
    fp = len(fp_pairs)
    fn = len(positives) - tp
    copies_linked = sum(linked(a, b) for a, b in pairs.corpus_copies)
    # Copies the cleaner threw away whole (quarantined as empty) cannot be linked by anyone.
    kept = [(a, b) for a, b, _ in positives if stored(a) and stored(b)]
    # Groups holding copies of two different originals (across events too): ECB+'s own copies.
    root_family: dict[int, set[str]] = {}
    for url, article_id in run.article.items():
        root_family.setdefault(run.root[article_id], set()).add(_short(url))
    mixed_groups = sum(1 for families in root_family.values() if len(families) > 1)
    # Where a group holds one original and its copies only, the original must be its root
    # (copies arrive in shuffled order, often before the original).
    single = [
        (a, b)
        for a, b, _ in positives
        if linked(a, b) and len(root_family[run.root[run.article[a]]]) == 1
    ]
    to_original = sum(run.root[run.article[b]] == run.article[a] for a, b in single)
    by_recipe = {
        name: round(
            sum(linked(a, b) for a, b, r in positives if r == name)
            / max(1, sum(1 for *_, r in positives if r == name)),
            4,
        )
        for name, _ in RECIPES
    }
    raw_fp = fp + copies_linked
    return {
        "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 4) if positives else 0.0,
        "recall_of_stored_copies": round(sum(linked(a, b) for a, b in kept) / max(1, len(kept)), 4),
        "positives": len(positives),
        "negatives": len(negatives),
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "copies_not_stored": len(positives) - len(kept),
        "root_is_original": round(to_original / max(1, len(single)), 4),
        "groups_mixing_two_originals": mixed_groups,
        "recall_by_edit": by_recipe,
        # Same-event pairs the corpus itself holds as copies, left out of the negatives above.
        "corpus_copy_pairs": len(pairs.corpus_copies),
        "corpus_copy_pairs_linked": copies_linked,
        "precision_counting_corpus_copies_as_negatives": round(tp / (tp + raw_fp), 4)
        if tp + raw_fp
        else 0.0,
        "articles": len(run.article),
        "quarantined_documents": run.quarantined,
        "documents_per_s": round(len(run.items) / run.seconds, 1),
        "false_positive_pairs": [[_short(a), _short(b)] for a, b in fp_pairs[:20]],
        "corpus_copy_examples": [[_short(a), _short(b)] for a, b in pairs.corpus_copies[:10]],
    }


# --- threshold fit (ECB+ train only) --------------------------------------------------------------


def pair_features(run: Ingested, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """Estimated Jaccard and containment of each pair's stored signatures (NaN if missing)."""
    out = np.full((len(pairs), 2), np.nan)
    for i, (a, b) in enumerate(pairs):
        ia, ib = run.article.get(a), run.article.get(b)
        if ia is None or ib is None or ia not in run.signature or ib not in run.signature:
            continue
        (sa_, na), (sb, nb) = run.signature[ia], run.signature[ib]
        j = estimate_jaccard(decode_signature(sa_), decode_signature(sb))
        out[i] = (j, containment(j, na, nb))
    return out


def fit(run: Ingested, docs: Sequence[Doc], min_precision: float) -> dict[str, Any]:
    pairs = labelled_pairs(docs)
    positives, negatives = pairs.positives, pairs.negatives
    pos = pair_features(run, [(a, b) for a, b, _ in positives])
    neg = pair_features(run, negatives)
    pos = np.nan_to_num(pos, nan=-1.0)
    neg = np.nan_to_num(neg, nan=-1.0)
    grid = []
    for tj in [*np.arange(0.30, 0.951, 0.05), 1.01]:
        for tc in [*np.arange(0.30, 1.001, 0.05), 1.01]:
            tp = int(((pos[:, 0] >= tj) | (pos[:, 1] >= tc)).sum())
            fpos = int(((neg[:, 0] >= tj) | (neg[:, 1] >= tc)).sum())
            precision = tp / (tp + fpos) if tp + fpos else 0.0
            grid.append((round(float(tj), 2), round(float(tc), 2), precision, tp / len(pos)))
    feasible = [g for g in grid if g[2] >= min_precision]
    top = max((g[3] for g in feasible), default=0.0)
    # The most cautious thresholds (highest) whose recall is within RECALL_SLACK of the best:
    # the train data cannot tell those apart, and higher thresholds keep a margin from the
    # different write-ups.
    near_top = [g for g in feasible if g[3] >= top - RECALL_SLACK]
    best = max(near_top, key=lambda g: (g[0] + g[1], g[0])) if near_top else None
    quantiles = [0.5, 0.9, 0.99, 1.0]
    return {
        "containment_only": [(g[1], round(g[2], 4), round(g[3], 4)) for g in grid if g[0] > 1.0],
        "grid_near_best": sorted(near_top, key=lambda g: -(g[0] + g[1]))[:15],
        "chosen": {
            "min_jaccard": best[0] if best else None,
            "min_containment": best[1] if best else None,
            "train_pair_precision": round(best[2], 4) if best else None,
            "train_pair_recall": round(best[3], 4) if best else None,
        },
        "negatives_jaccard_quantiles": dict(
            zip(
                map(str, quantiles),
                np.quantile(neg[:, 0], quantiles).round(3).tolist(),
                strict=True,
            )
        ),
        "negatives_containment_quantiles": dict(
            zip(
                map(str, quantiles),
                np.quantile(neg[:, 1], quantiles).round(3).tolist(),
                strict=True,
            )
        ),
        "positives_jaccard_quantiles": dict(
            zip(
                map(str, [0.0, 0.01, 0.05, 0.5]),
                np.quantile(pos[:, 0], [0.0, 0.01, 0.05, 0.5]).round(3).tolist(),
                strict=True,
            )
        ),
        "top_negatives": sorted(
            (
                (round(float(neg[i, 0]), 3), round(float(neg[i, 1]), 3), *negatives[i])
                for i in np.argsort(-neg[:, 1])[:10]
            ),
            reverse=True,
        ),
    }


# --- lookups at scale -----------------------------------------------------------------------------


def _bodies(pool: Sequence[str], rng: random.Random) -> list[str]:
    # About the size of a news article: 5 to 12 paragraphs of 1 to 3 real sentences.
    return [" ".join(rng.sample(pool, rng.randint(1, 3))) for _ in range(rng.randint(5, 12))]


def _timed_lookups(
    db: str, queries: list[tuple[tuple[bytes, int], int | None]]
) -> tuple[float, list[list[int]], int]:
    """In a fresh process: open the store, run the lookups; seconds, answers, peak RSS (KiB)."""
    with Store.open(f"sqlite:///{db}") as store, store.engine.connect() as conn:
        started = time.perf_counter()
        answers = [dedupe.find_copies(conn, sig, count) for (sig, count), _ in queries]
        seconds = time.perf_counter() - started
    return seconds, answers, _peak_rss_kib()


def _peak_rss_kib() -> int:
    """This process's peak resident memory. VmHWM is per address space: unlike ru_maxrss it
    does not carry the parent's size over into a spawned child."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _bench_rows(conn: sa.Connection) -> tuple[int, int]:
    (source_id,) = placeholder_sources(conn, ["Bench"], START)
    return placeholder_raw(conn, START), source_id


def lookup_bench(
    pool: Sequence[str], size: int, queries: int, seed: int, tmp: Path
) -> dict[str, Any]:
    """Index ``size`` signatures of bodies made from real sentences in the store's own tables,
    then time ``find_copies`` (band-key query + signature check) in a fresh process."""
    rng = random.Random(seed)
    db = tmp / "lookups.db"
    # Half the queries are edited copies of indexed bodies, half are new bodies.
    copies = set(rng.sample(range(size), queries // 2))
    kept: dict[int, list[str]] = {}
    signing = indexing = 0.0
    with Store.open(f"sqlite:///{db}") as store, store.engine.begin() as conn:
        raw_id, source_id = _bench_rows(conn)
        for start in range(0, size, 5000):
            chunk = range(start, min(size, start + 5000))
            started = time.perf_counter()
            bodies = {i: _bodies(pool, rng) for i in chunk}
            signatures = {i: minhash_signature(body) for i, body in bodies.items()}
            signing += time.perf_counter() - started
            kept.update((i, bodies[i]) for i in chunk if i in copies)
            started = time.perf_counter()
            conn.execute(
                articles.insert(),
                [
                    {
                        "id": i + 1,
                        "identity": f"bench:{i}",
                        "raw_id": raw_id,
                        "source_id": source_id,
                        "title": f"Bench {i}",
                        "authors": [],
                        "published_at": START,
                        "published_at_guessed": False,
                        "body": "",
                        "content_hash": f"{i:064x}",
                        "is_partial": False,
                        "version": 1,
                        "ingested_at": START,
                        "updated_at": START,
                    }
                    for i in chunk
                ],
            )
            conn.execute(
                article_signatures.insert(),
                [
                    {
                        "article_id": i + 1,
                        "signature": signatures[i][0],
                        "shingle_count": signatures[i][1],
                    }
                    for i in chunk
                ],
            )
            conn.execute(
                lsh_bands.insert(),
                [
                    {"key": key, "article_id": i + 1}
                    for i in chunk
                    for key in set(band_keys(decode_signature(signatures[i][0])))
                ],
            )
            indexing += time.perf_counter() - started
    db_bytes = sum(p.stat().st_size for p in tmp.glob("lookups.db*"))
    query_bodies: list[tuple[list[str], int | None]] = []
    for i in sorted(copies):
        doc = Doc(str(i), str(i), ("Headline", *kept[i]))
        lines = make_copy(doc, rng.choice(RECIPES)[1], rng, "Other headline")
        query_bodies.append((lines[1:], i + 1))
    query_bodies += [(_bodies(pool, rng), None) for _ in range(queries - len(copies))]
    query_signatures = [(minhash_signature(body), want) for body, want in query_bodies]
    with multiprocessing.get_context("spawn").Pool(1) as child:
        seconds, answers, child_rss_kib = child.apply(_timed_lookups, (str(db), query_signatures))
    found = wrong = 0
    for answer, (_sig, want) in zip(answers, query_signatures, strict=True):
        if want is not None and want in answer:
            found += 1
        wrong += sum(1 for hit in answer if hit != want)
    return {
        "indexed_signatures": size,
        "lookups": queries,
        "lookups_per_s": round(queries / seconds, 1),
        "ms_per_lookup": round(1000 * seconds / queries, 3),
        "lookup_process_peak_rss_mb": round(child_rss_kib / 1024, 1),
        "signatures_per_s": round(size / signing, 1),
        "indexed_per_s": round(size / indexing, 1),
        "store_mb": round(db_bytes / 1e6, 1),
        "band_rows": size * BANDS,
        "copies_found": round(found / max(1, len(copies)), 4),
        "other_hits": wrong,
    }


# --- main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--fit", action="store_true", help="threshold search on ECB+ train")
    parser.add_argument("--min-precision", type=float, default=0.995)
    parser.add_argument(
        "--splits", default="train,dev,test", help="ECB+ splits to report (test always)"
    )
    parser.add_argument("--index-size", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=RESULTS / "dedupe.json")
    args = parser.parse_args()
    if not (args.eval_dir / "clustering").is_dir():
        sys.exit(f"no evaluation data in {args.eval_dir} (see --eval-dir)")

    with tempfile.TemporaryDirectory(prefix="broadsheet-dedupe-") as name:
        tmp = Path(name)
        if args.fit:
            docs = load_ecb(args.eval_dir, "train")
            run = run_store(docs, args.seed, tmp, "fit")
            print(json.dumps(fit(run, docs, args.min_precision), indent=2))
            return
        splits = sorted({*args.splits.split(","), "test"}, key=("train", "dev", "test").index)
        systems: dict[str, dict[str, Any]] = {}
        sets: dict[str, list[Doc]] = {f"ecbplus-{s}": load_ecb(args.eval_dir, s) for s in splits}
        sets["gum-news"] = load_gum(args.eval_dir)
        for set_name, docs in sets.items():
            run = run_store(docs, args.seed, tmp, set_name)
            systems[f"broadsheet-{set_name}"] = score(run, docs)
            print(set_name, json.dumps(systems[f"broadsheet-{set_name}"]), file=sys.stderr)
        pool = [
            line
            for docs in sets.values()
            for doc in docs
            for line in doc.lines[1:]
            # Sentences, not GUM's whole paragraphs, which would make bodies share long passages.
            if 6 <= len(line.split()) <= 60
        ]
        systems["broadsheet-lookups"] = lookup_bench(
            pool, args.index_size, args.lookups, args.seed, tmp
        )
    peak_rss_kib = _peak_rss_kib()
    systems["broadsheet-lookups"]["bench_process_peak_rss_mb"] = round(peak_rss_kib / 1024, 1)
    main_system = systems["broadsheet-ecbplus-test"]
    result = {
        "task": "dedupe",
        "dataset": (
            "ECB+ (clustering/ecbplus_*.jsonl.gz) and GUM news (ner/gum_news.jsonl.gz): each "
            f"article plus {len(RECIPES)} edited copies ({', '.join(n for n, _ in RECIPES)}), "
            f"seed {args.seed}; negatives = pairs of different articles of one ECB+ event"
        ),
        "n": main_system["positives"] + main_system["negatives"],
        "systems": {
            "broadsheet": {
                "precision": main_system["precision"],
                "recall": main_system["recall"],
                "lookups_per_s": systems["broadsheet-lookups"]["lookups_per_s"],
                "lookup_peak_rss_mb": systems["broadsheet-lookups"]["lookup_process_peak_rss_mb"],
            },
            **systems,
        },
        "settings": {
            "shingle_words": SHINGLE,
            "num_perm": NUM_PERM,
            "bands": BANDS,
            "rows": ROWS,
            "min_containment": MIN_CONTAINMENT,
        },
        "command": "python bench/dedupe.py " + " ".join(sys.argv[1:]),
        "machine": machine_info(),
    }
    write_report(args.out, result)


if __name__ == "__main__":
    main()
