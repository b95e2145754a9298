"""The story view measured (``broadsheet eval storyview``, ``bench/storyview.py``), issue #8.

Two datasets, one report:

* **ECB+ test split, the 20 gold events** (shared eval README §1b). Each event's documents run once
  through the real pipeline (``evaluation.clustering.process_docs``) and are put together as one
  story directly, not via the clusterer, so this measures the view, not the clustering. ECB+ has
  no syndicated copies and each document is its own outlet. Metrics, per summary sentence and
  averaged over events:

  - ``citation_precision``: the share of cited articles that really carry the sentence;
  - ``citation_recall``: the share of the event's articles that carry it and are cited;
  - ``redundancy``: mean highest word-overlap (content-token Jaccard) of a summary sentence
    with another sentence of the same summary;
  - ``participant_coverage``: of the event's 3 most-mentioned annotated participants (gold
    ``HUMAN_PART_*`` chains), the share the summary names (any gold mention string of the chain
    is in a summary sentence).

  "Carries" is judged by ``carries``, a scorer independent of the aligner: other tokens (plain
  lower-cased words, no stems, no idf), and it looks at the article's best sentence and its
  numbers and capitalised names, which the aligner weighs differently or not at all.
  Baselines in the same run: ``lead`` (the first sentence of each of the first articles) and
  ``centroid`` (the sentences closest to the event's tf-idf centroid, with redundancy control);
  each cites only the article it took the sentence from, as a plain summariser would.

* **The bundled demo corpus** (its planted conflicts in ``tests/data/demo_truth/*.json``, plus the
  real disagreements the corpus authors did not plant, labelled in
  ``tests/data/demo_storyview.json``). Ingested through the real pipeline and clusterer into a
  temporary store; each view is read as ``story ID --json`` would give it. Conflict precision
  and recall (a found conflict matches a labelled one when two of its variants carry two of the
  labelled values, in a story holding the event's articles), whether any conflict lies wholly
  inside one copy group (must be 0), and agreed/unique precision and recall judged by
  ``carries``: an agreed claim is right when articles of two or more independent outlets carry it,
  a unique claim when only its own outlet's articles do; recall is over the original articles'
  sentences that two or more outlets (agreed) or only one outlet (unique) carry.

``stories_per_s`` is how many story views per second ``build_view`` computes on these inputs.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from broadsheet.model import ArticleId, StoryView, ViewArticle, ViewMention

__all__ = [
    "carries",
    "run_demo_eval",
    "run_ecb_eval",
    "run_storyview_eval",
]

TRUTH_DIR = Path(__file__).resolve().parents[3] / "tests" / "data"
_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_NAME = re.compile(r"(?<=\s)[A-Z][a-zA-Z]+")
_SPLIT = re.compile(r"(?<=[.!?])[\"\u201d\u2019)]*\s+(?=[\"\u201c\u2018(]?[A-Z0-9])")
_FUNCTION_WORDS = frozenset(
    """a an the of to in on at for by with from and or but as is was were are be been has have
    had it its this that these those he she they his her their said says will would which who
    after before over into than more about""".split()
)
_SCALES = {
    "thousand": 1e3,
    "million": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}
SUMMARY_SIZE = 5  # sentences of a baseline summary when ours is empty
PARTICIPANTS = 3


# --- the independent scorer ----------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t not in _FUNCTION_WORDS]


def sentences(text: str) -> list[str]:
    """Plain sentence split (not the view's splitter)."""
    return [s.strip() for line in text.split("\n") for s in _SPLIT.split(line) if s.strip()]


def carries(sentence: str, article_text: str) -> bool:
    """Does the article state the sentence's claim? Its best-matching sentence must hold at
    least half the claim's words, every number the claim gives must be in the article, and at
    least half the claim's capitalised names (beyond the first word) too."""
    claim = set(_tokens(sentence))
    if not claim:
        return False
    best = max(
        (len(claim & set(_tokens(s))) / len(claim) for s in sentences(article_text)), default=0.0
    )
    if best < 0.5:
        return False
    lowered = article_text.lower()
    numbers = {n.rstrip(",.") for n in _NUMBER.findall(sentence)}
    if any(n not in article_text for n in numbers):
        return False
    names = set(_NAME.findall(sentence))
    return not names or sum(n.lower() in lowered for n in names) >= len(names) / 2


def _jaccard(a: str, b: str) -> float:
    x, y = set(_tokens(a)), set(_tokens(b))
    return len(x & y) / len(x | y) if x | y else 0.0


def _redundancy(texts: Sequence[str]) -> float:
    if len(texts) < 2:
        return 0.0
    return statistics.fmean(
        max(_jaccard(t, o) for j, o in enumerate(texts) if j != i) for i, t in enumerate(texts)
    )


# --- ECB+ ---------------------------------------------------------------------------------------


def _view_articles(docs: Sequence[Any], results: Sequence[Any]) -> list[ViewArticle]:
    """ViewArticles from pipeline drafts; entity ids are canonical names numbered per event."""
    from broadsheet.model import AttributedQuote

    ids: dict[str, int] = {}
    found = []
    for n, (doc, result) in enumerate(zip(docs, results, strict=True)):
        if not result.articles:
            continue
        draft = result.articles[0]
        mentions = tuple(
            ViewMention(ids.setdefault(m.name, len(ids) + 1), m.name, m.type, m.start, m.end)
            for m in draft.mentions
        )
        quotes = tuple(
            AttributedQuote(
                q, ids.setdefault(q.speaker, len(ids) + 1) if q.speaker and q.speaker_type else None
            )
            for q in draft.quotes
        )
        found.append(
            ViewArticle(
                id=ArticleId(n + 1),
                source=f"outlet-{doc.id}",
                title=draft.title,
                published_at=draft.published_at,
                paragraphs=draft.paragraphs,
                mentions=mentions,
                quotes=quotes,
                figures=draft.figures,
                dates=draft.dates,
            )
        )
    return found


def _lead(articles: Sequence[ViewArticle], size: int) -> list[tuple[str, list[int]]]:
    from broadsheet.pipeline.storyview import split_claims

    picked = []
    for article in articles[:size]:
        spans = split_claims(article)
        if spans:
            start, end, _shown = spans[0]
            picked.append((article.body[start:end], [int(article.id)]))
    return picked


def _centroid(articles: Sequence[ViewArticle], size: int) -> list[tuple[str, list[int]]]:
    import numpy as np

    from broadsheet.pipeline.storyview import content_stems, split_claims

    items = [(a.body[s:e], int(a.id)) for a in articles for s, e, _shown in split_claims(a)]
    items = [(t, i) for t, i in items if len(t.split()) >= 6]
    if not items:
        return []
    vocab: dict[str, int] = {}
    rows = [Counter(content_stems(t)) for t, _i in items]
    for row in rows:
        for s in row:
            vocab.setdefault(s, len(vocab))
    df = Counter(s for row in rows for s in row)
    matrix = np.zeros((len(rows), len(vocab)))
    for r, row in enumerate(rows):
        for s, c in row.items():
            matrix[r, vocab[s]] = c * np.log((1 + len(rows)) / (1 + df[s]))
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    centroid = matrix.mean(axis=0)
    order = np.argsort(-(matrix @ centroid), kind="stable")
    picked: list[int] = []
    for r in order.tolist():
        if len(picked) >= size:
            break
        if any(float(matrix[r] @ matrix[p]) > 0.5 for p in picked):
            continue
        picked.append(r)
    return [(items[r][0], [items[r][1]]) for r in picked]


def _participants(docs: Sequence[Any], raw: Mapping[str, Mapping[str, Any]]) -> list[set[str]]:
    """The event's most-mentioned gold participant chains, each as its set of mention strings."""
    counts: Counter[str] = Counter()
    strings: dict[str, set[str]] = {}
    for doc in docs:
        for m in raw[doc.id]["mentions"]:
            if m["type"].startswith("HUMAN_PART") and m["chain"]:
                counts[m["chain"]] += 1
                strings.setdefault(m["chain"], set()).add(m["text"].lower())
    return [strings[c] for c, _n in counts.most_common(PARTICIPANTS)]


def _score_summary(
    picked: Sequence[tuple[str, Sequence[int]]],
    texts: Mapping[int, str],
    participants: Sequence[set[str]],
) -> dict[str, float]:
    precisions, recalls = [], []
    for sentence, cited in picked:
        carrying = {i for i, text in texts.items() if carries(sentence, text)}
        cited_set = set(cited)
        precisions.append(len(cited_set & carrying) / len(cited_set) if cited_set else 0.0)
        recalls.append(len(cited_set & carrying) / len(carrying) if carrying else 1.0)
    joined = " ".join(s for s, _c in picked).lower()
    named = sum(any(m in joined for m in chain) for chain in participants)
    return {
        "citation_precision": statistics.fmean(precisions) if precisions else 0.0,
        "citation_recall": statistics.fmean(recalls) if recalls else 0.0,
        "redundancy": _redundancy([s for s, _c in picked]),
        "participant_coverage": named / len(participants) if participants else 0.0,
        "sentences": float(len(picked)),
    }


@dataclass(frozen=True, slots=True)
class EcbEvent:
    """One gold event put together as a story: its articles, their texts and its participants."""

    articles: list[ViewArticle]
    texts: dict[int, str]
    participants: list[set[str]]


def ecb_events(eval_dir: Path, split: str, *, spacy_model: str | None = None) -> list[EcbEvent]:
    """The split's gold events with two or more documents, each run through the pipeline."""
    import gzip

    from broadsheet.evaluation.clustering import load_ecbplus, process_docs

    docs = load_ecbplus(eval_dir, split)
    raw: dict[str, dict[str, Any]] = {}
    path = eval_dir / "clustering" / f"ecbplus_{split}.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            raw[item["id"]] = item
    results = process_docs(docs, spacy_model)
    by_event: dict[str, list[int]] = {}
    for n, doc in enumerate(docs):
        by_event.setdefault(doc.gold, []).append(n)
    events = []
    for _event, members in sorted(by_event.items()):
        event_docs = [docs[n] for n in members]
        articles = _view_articles(event_docs, [results[n] for n in members])
        if len(articles) < 2:
            continue
        texts = {int(a.id): "\n".join(a.paragraphs) for a in articles}
        events.append(EcbEvent(articles, texts, _participants(event_docs, raw)))
    return events


def score_ecb(events: Sequence[EcbEvent]) -> dict[str, dict[str, float]]:
    """Our view and the two baselines on these events; baselines pick as many sentences as our
    summary has for the same event, so no system wins by length."""
    from broadsheet.pipeline.storyview import build_view

    systems: dict[str, list[dict[str, float]]] = {"broadsheet": [], "lead": [], "centroid": []}
    seconds = 0.0
    for event in events:
        started = time.perf_counter()
        view = build_view(event.articles)
        seconds += time.perf_counter() - started
        size = len(view.summary) or SUMMARY_SIZE
        ours = [(c.text, [int(i) for i in c.citations]) for c in view.summary]
        systems["broadsheet"].append(_score_summary(ours, event.texts, event.participants))
        systems["lead"].append(
            _score_summary(_lead(event.articles, size), event.texts, event.participants)
        )
        systems["centroid"].append(
            _score_summary(_centroid(event.articles, size), event.texts, event.participants)
        )
    report = {
        name: {k: round(statistics.fmean(r[k] for r in runs), 4) for k in runs[0]}
        for name, runs in systems.items()
        if runs
    }
    if seconds and "broadsheet" in report:
        report["broadsheet"]["stories_per_s"] = round(len(events) / seconds, 2)
    return report


def run_ecb_eval(
    eval_dir: Path, *, split: str = "test", spacy_model: str | None = None
) -> dict[str, Any]:
    """The split's gold events (test: the 20 events), each put together as one story."""
    events = ecb_events(eval_dir, split, spacy_model=spacy_model)
    return {
        "task": "storyview",
        "dataset": f"ecbplus-{split}-gold-events",
        "n": len(events),
        "systems": score_ecb(events),
    }


# --- demo corpus ---------------------------------------------------------------------------------


def _numbers(value: str) -> list[float]:
    found = []
    for match in re.finditer(r"(\d[\d,]*(?:\.\d+)?)\s*([a-z]+)?", value.lower()):
        number = float(match.group(1).replace(",", ""))
        found.append(number * _SCALES.get(match.group(2) or "", 1.0))
    return found


def _value_matches(label: str, found: str) -> bool:
    wanted, got = _numbers(label), _numbers(found)
    if wanted and got:
        return abs(wanted[0] - got[0]) <= 0.005 * max(abs(wanted[0]), 1e-9)
    if wanted or got:
        return False
    return label.split()[-1].lower() in found.lower()


def _labels() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    conflicts: list[dict[str, Any]] = []
    for path in sorted((TRUTH_DIR / "demo_truth").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        events += data["events"]
        conflicts += data.get("conflicts", []) + data.get("quote_attribution_conflicts", [])
    extra = json.loads((TRUTH_DIR / "demo_storyview.json").read_text(encoding="utf-8"))
    for item in extra["unplanted_conflicts"]:
        conflicts.append({**item, "unplanted": True})
    return events, conflicts


def _conflict_matches(conflict: Mapping[str, Any], label: Mapping[str, Any], ids: set[int]) -> bool:
    cited = {i for v in conflict["variants"] for i in v["citations"]}
    if not cited & ids:
        return False
    hit = set()
    for n, wanted in enumerate(label["variants"]):
        for m, variant in enumerate(conflict["variants"]):
            if _value_matches(wanted["value"], variant["value"]):
                hit.add((n, m))
    labels_hit = {n for n, _m in hit}
    variants_hit = {m for _n, m in hit}
    return len(labels_hit) >= 2 and len(variants_hit) >= 2


def _f(p: float, r: float) -> float:
    return round(2 * p * r / (p + r), 4) if p + r else 0.0


def _conflict_scores(
    found: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
    labels: Sequence[Mapping[str, Any]],
    event_ids: Mapping[str, set[int]],
) -> dict[str, Any]:
    planted = [lab for lab in labels if not lab.get("unplanted")]

    def matches(conflict: Mapping[str, Any], pool: Sequence[Mapping[str, Any]]) -> bool:
        return any(_conflict_matches(conflict, lab, event_ids[lab["event"]]) for lab in pool)

    recalled = [lab for lab in planted if any(matches(c, [lab]) for _p, c in found)]
    true_found = [c for _p, c in found if matches(c, labels)]
    planted_found = [c for _p, c in found if matches(c, planted)]
    p = len(true_found) / len(found) if found else 0.0
    r = len(recalled) / len(planted) if planted else 0.0
    return {
        "conflict_precision": round(p, 4),
        "conflict_recall": round(r, 4),
        "conflict_f1": _f(p, r),
        "conflict_precision_planted_only": round(len(planted_found) / len(found), 4)
        if found
        else 0.0,
        "conflicts_found": len(found),
        "conflicts_planted": len(planted),
        "conflicts_within_copies": sum(_inside_one_copy_group(c, p) for p, c in found),
        "missed": [lab["about"] for lab in planted if lab not in recalled],
        "unmatched": [c["about"] for _p, c in found if c not in true_found],
    }


def run_demo_eval() -> dict[str, Any]:
    """The demo corpus ingested into a temporary store; views of its labelled events (their
    articles put together directly: this measures the view) and, as ``broadsheet-clustered``,
    of the stories the clusterer made (what ``story ID`` shows: view and clustering together)."""
    from broadsheet.evaluation.demo import demo_store
    from broadsheet.pipeline.storyview import build_view
    from broadsheet.queries import story_payload
    from broadsheet.serialize import story_view_json
    from broadsheet.store.storyviews import view_articles
    from broadsheet.urls import canonical_url

    events, labels = _labels()
    with demo_store() as store:
        url_to_id = {canonical_url(a.url or ""): int(a.id) for a in store.articles(limit=10_000)}
        event_ids = {
            e["id"]: {url_to_id.get(canonical_url(a["url"]), -1) for a in e["articles"]}
            for e in events
        }
        payloads = [story_payload(store, s.id) for s in store.stories(limit=10_000)]
        with store.engine.connect() as conn:
            inputs = [
                view_articles(conn, sorted(ids - {-1}))
                for ids in event_ids.values()
                if len(ids - {-1}) >= 2
            ]
    started = time.perf_counter()
    rounds = 5
    views: list[StoryView] = []
    for _round in range(rounds):
        views = [build_view(arts) for arts in inputs]
    per_s = len(inputs) * rounds / (time.perf_counter() - started)
    gold_found = []
    for arts, view in zip(inputs, views, strict=True):
        pseudo = {
            "articles": [{"id": a.id, "duplicate_of": a.duplicate_of} for a in arts],
            **story_view_json(view),
        }
        gold_found += [(pseudo, c) for c in pseudo["coverage"]["conflicts"]]
    gold = _conflict_scores(gold_found, labels, event_ids)
    clustered = _conflict_scores(
        [(p, c) for p in payloads for c in p["coverage"]["conflicts"]], labels, event_ids
    )
    return {
        "task": "storyview",
        "dataset": "demo-corpus",
        "n": len(inputs),
        "systems": {
            "broadsheet": {
                **{k: v for k, v in gold.items() if k not in ("missed", "unmatched")},
                **_coverage_scores(inputs, views),
                "stories_per_s": round(per_s, 2),
            },
            "broadsheet-clustered": {
                "stories": len(payloads),
                **{k: v for k, v in clustered.items() if k not in ("missed", "unmatched")},
            },
        },
        "missed": gold["missed"],
        "unmatched": gold["unmatched"],
        "missed_clustered": clustered["missed"],
    }


def _inside_one_copy_group(conflict: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    root = {a["id"]: a.get("duplicate_of") or a["id"] for a in payload["articles"]}
    roots = {root.get(i, i) for v in conflict["variants"] for i in v["citations"]}
    return len(roots) < 2


def _coverage_scores(
    inputs: Sequence[Sequence[ViewArticle]], views: Sequence[StoryView]
) -> dict[str, float]:
    """Agreed/unique precision and recall, judged by ``carries`` over each story's articles."""
    from broadsheet.pipeline.storyview import ViewSettings, build_view

    counts = Counter[str]()
    unlimited = ViewSettings(max_unique_per_outlet=10_000, max_agreed=10_000)
    for articles, _view in zip(inputs, views, strict=True):
        if len(articles) < 2:
            continue
        view = build_view(articles, settings=unlimited)
        by_id = {a.id: a for a in articles}
        outlet = {
            a.id: by_id[a.duplicate_of].source if a.duplicate_of in by_id else a.source
            for a in articles
        }
        texts = {a.id: "\n".join(a.paragraphs) for a in articles}

        def outlets_carrying(sentence: str) -> set[str]:
            return {outlet[i] for i, t in texts.items() if carries(sentence, t)}  # noqa: B023

        for claim in view.agreed:
            counts["agreed_n"] += 1
            counts["agreed_ok"] += len(outlets_carrying(claim.text)) >= 2
        for claim in view.unique:
            counts["unique_n"] += 1
            counts["unique_ok"] += len(outlets_carrying(claim.text)) == 1
        for article in articles:
            if article.duplicate_of is not None:
                continue
            for sentence in sentences("\n".join(article.paragraphs)):
                if len(sentence.split()) < 6:
                    continue
                n = len(outlets_carrying(sentence))
                kind = "agreed" if n >= 2 else "unique"
                pool = view.agreed if kind == "agreed" else view.unique
                counts[f"{kind}_gold"] += 1
                counts[f"{kind}_hit"] += any(
                    carries(sentence, c.text) and carries(c.text, sentence) for c in pool
                )
    result: dict[str, float] = {}
    for kind in ("agreed", "unique"):
        p = counts[f"{kind}_ok"] / counts[f"{kind}_n"] if counts[f"{kind}_n"] else 0.0
        r = counts[f"{kind}_hit"] / counts[f"{kind}_gold"] if counts[f"{kind}_gold"] else 0.0
        result[f"{kind}_precision"] = round(p, 4)
        result[f"{kind}_recall"] = round(r, 4)
    return result


def run_storyview_eval(eval_dir: Path | None, *, spacy_model: str | None = None) -> dict[str, Any]:
    """Both parts: the ECB+ report with the demo report under ``also`` (the CLI's section form)."""
    demo = run_demo_eval()
    if eval_dir is None:
        return demo
    ecb = run_ecb_eval(eval_dir, spacy_model=spacy_model)
    return {**ecb, "also": [demo]}
