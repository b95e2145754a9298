"""Main-content extraction, scored the way its two public benchmarks score it.

The data and both metrics are defined in the shared evaluation README, section 2:

- **Zyte** (``extraction/``, 181 pages with a hand-made gold article body): the shingle metric of
  the article-extraction-benchmark. Texts become ``\\w+`` tokens, then multisets of 4-token
  shingles; each page's matched / extra / missed shingles are normalised to sum to 1 so a long
  page weighs no more than a short one; precision and recall are averaged over pages and F1 is
  taken of those means. Accuracy is the share of pages whose token list equals the gold one.
- **trafilatura** (``extraction-trafilatura/``, 990 multilingual pages with must-keep and
  must-drop snippets): whitespace-normalised substring containment, counts pooled over pages,
  a crash scored as empty output.

Systems compared on Zyte: ``keep-everything`` (the whole rendered page: the recall ceiling and
precision floor of the text genre), ``trafilatura`` alone, ``broadsheet-html`` (the ingest path,
``html_body``) and ``broadsheet-text`` (the line classifier over the rendered page). On the
trafilatura corpus the text path is not run: that corpus is its training data.

Before any of that is trusted, ``check_scorer`` re-scores the outputs the Zyte benchmark
published for trafilatura and compares them with its published figures.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TypedDict, TypeVar

import trafilatura

from broadsheet.errors import InvalidField
from broadsheet.pipeline.decode import decode_text
from broadsheet.pipeline.extract import html_body
from broadsheet.pipeline.render import render_lines

__all__ = [
    "PUBLISHED_TRAFILATURA",
    "DatasetReport",
    "ExtractionReport",
    "Extractor",
    "LineCleaner",
    "ReferenceOutput",
    "ScorerCheck",
    "ShingleCounts",
    "ShingleScore",
    "SnippetCounts",
    "SnippetPage",
    "SystemScores",
    "Unavailable",
    "ZytePage",
    "check_scorer",
    "load_reference_outputs",
    "load_snippet_pages",
    "load_zyte_pages",
    "run_extraction_eval",
    "score_shingles",
    "shingle_counts",
    "snippet_counts",
    "tokenize",
]

logger = logging.getLogger(__name__)

Extractor = Callable[[str], str]
"""A system under test: a page's HTML in, its main text out."""
LineCleaner = Callable[[Sequence[str]], list[str]]
"""The text path's classifier: scraped-text lines in, the kept lines out."""

ZYTE_ARTICLES = "extraction/articles.jsonl.gz"
ZYTE_REFERENCE_OUTPUTS = "extraction/reference_outputs.jsonl.gz"
SNIPPET_DOCUMENTS = "extraction-trafilatura/documents.jsonl.gz"

ZYTE_DATASET = f"zyte article-extraction-benchmark ({ZYTE_ARTICLES})"
SNIPPET_DATASET = f"trafilatura evaluation corpus ({SNIPPET_DOCUMENTS})"

# 4: ``ngram_n`` in the benchmark's evaluate.py, the value behind every published figure.
SHINGLE_TOKENS = 4
_TOKEN = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")

# The benchmark README's row for trafilatura 2.0.0, as quoted in the eval README, section 2a.
PUBLISHED_TRAFILATURA: Mapping[str, float] = {
    "f1": 0.958,
    "precision": 0.938,
    "recall": 0.978,
    "accuracy": 0.293,
}
_CHECKED_SYSTEM = "trafilatura"

# 4 places: the published tables give 3, so a fourth shows which way a difference rounds.
_PLACES = 4

# Every system is called once on this page before it is timed: a model loaded or a cache filled
# on first use is a cost per process, not per page, and a system that cannot run at all is
# reported as unavailable instead of being scored as 181 empty outputs.
_WARM_UP_PAGE = (
    "<html><head><title>Council approves budget</title></head><body>"
    "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>Council approves "
    "budget</h1><p>The city council approved next year's budget on Tuesday after a long debate "
    "about road repairs, school funding and the cost of the new library.</p><p>The mayor said "
    "the plan keeps taxes flat while paying for the repairs residents asked for.</p></article>"
    "<footer>Copyright 2026</footer></body></html>"
)

_Page = TypeVar("_Page")


# --- Records and loaders --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ZytePage:
    """One Zyte benchmark page: the HTML as fetched and its gold article body."""

    id: str
    url: str
    html: str
    article_body: str


@dataclass(frozen=True, slots=True)
class ReferenceOutput:
    """The article body one published system extracted from one Zyte page."""

    id: str
    system: str
    version: str
    article_body: str


@dataclass(frozen=True, slots=True)
class SnippetPage:
    """One trafilatura corpus page and the snippets its main text must and must not contain.

    ``html`` is ``bytes`` for the pages that are not valid UTF-8: those are the exact original
    bytes, so an extractor meets the same encoding problem it would meet on the web.
    """

    id: str
    url: str
    html: str | bytes
    with_snippets: tuple[str, ...]
    without_snippets: tuple[str, ...]


def _records(path: Path, limit: int | None) -> Iterator[tuple[str, Mapping[str, object]]]:
    """Yield ``(location, record)`` for each JSON object of a gzipped JSON Lines file."""
    if not path.is_file():
        raise FileNotFoundError(
            f"evaluation data not found: {path} (see the eval README, section 2)"
        )
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = (line for line in handle if line.strip())
        for number, line in enumerate(islice(lines, limit), start=1):
            record: object = json.loads(line)
            where = f"{path.name} record {number}"
            if not isinstance(record, dict):
                raise InvalidField(f"{where}: not a JSON object")
            yield where, record


def _text(record: Mapping[str, object], name: str, where: str) -> str:
    value = record.get(name)
    if not isinstance(value, str):
        raise InvalidField(f"{where}: field {name!r} is not a string")
    return value


def _texts(record: Mapping[str, object], name: str, where: str) -> tuple[str, ...]:
    value = record.get(name)
    items = (
        tuple(item for item in value if isinstance(item, str)) if isinstance(value, list) else ()
    )
    if not isinstance(value, list) or len(items) != len(value):
        raise InvalidField(f"{where}: field {name!r} is not a list of strings")
    return items


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of pages, not {limit}")


def load_zyte_pages(eval_dir: Path, *, limit: int | None = None) -> list[ZytePage]:
    """The Zyte benchmark pages in file order (the first ``limit`` of them if given).

    Raises ``FileNotFoundError`` when the file is missing and ``InvalidField`` for a malformed
    record.
    """
    _check_limit(limit)
    return [
        ZytePage(
            id=_text(record, "id", where),
            url=_text(record, "url", where),
            html=_text(record, "html", where),
            article_body=_text(record, "article_body", where),
        )
        for where, record in _records(eval_dir / ZYTE_ARTICLES, limit)
    ]


def load_reference_outputs(eval_dir: Path, *, system: str | None = None) -> list[ReferenceOutput]:
    """The published outputs on the Zyte pages, all 16 systems or only ``system``.

    Raises ``FileNotFoundError`` when the file is missing and ``InvalidField`` for a malformed
    record.
    """
    outputs = (
        ReferenceOutput(
            id=_text(record, "id", where),
            system=_text(record, "system", where),
            version=_text(record, "version", where),
            article_body=_text(record, "article_body", where),
        )
        for where, record in _records(eval_dir / ZYTE_REFERENCE_OUTPUTS, None)
    )
    return [output for output in outputs if system is None or output.system == system]


def load_snippet_pages(eval_dir: Path, *, limit: int | None = None) -> list[SnippetPage]:
    """The trafilatura corpus pages in file order (the first ``limit`` of them if given).

    A page stored with ``html_encoding == "latin-1-bytes"`` comes back as its original bytes
    (``html.encode("latin-1")``, as the README prescribes); every other page as text. Raises
    ``FileNotFoundError`` when the file is missing and ``InvalidField`` for a malformed record.
    """
    _check_limit(limit)
    pages: list[SnippetPage] = []
    for where, record in _records(eval_dir / SNIPPET_DOCUMENTS, limit):
        html = _text(record, "html", where)
        encoding = _text(record, "html_encoding", where)
        if encoding not in ("utf-8", "latin-1-bytes"):
            raise InvalidField(f"{where}: unknown html_encoding {encoding!r}")
        pages.append(
            SnippetPage(
                id=_text(record, "id", where),
                url=_text(record, "url", where),
                html=html.encode("latin-1") if encoding == "latin-1-bytes" else html,
                with_snippets=_texts(record, "with", where),
                without_snippets=_texts(record, "without", where),
            )
        )
    return pages


# --- Zyte shingle metric --------------------------------------------------------------------


def tokenize(text: str) -> list[str]:
    """The benchmark's tokens: maximal runs of Unicode word characters, case kept."""
    return _TOKEN.findall(text)


def _shingles(tokens: Sequence[str]) -> Counter[tuple[str, ...]]:
    # A text shorter than one shingle still counts, as one shorter shingle, as in the benchmark's
    # evaluate.py: otherwise a three-word gold body could never be matched, nor a three-word
    # prediction be penalised.
    if len(tokens) < SHINGLE_TOKENS:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(
        tuple(tokens[start : start + SHINGLE_TOKENS])
        for start in range(len(tokens) - SHINGLE_TOKENS + 1)
    )


@dataclass(frozen=True, slots=True)
class ShingleCounts:
    """One page's matched (tp), extra (fp) and missed (fn) shingles as shares of their sum.

    The shares make every page weigh the same whatever its length. ``is_exact`` says whether the
    predicted token list equals the gold one.
    """

    tp: float
    fp: float
    fn: float
    is_exact: bool

    @property
    def precision(self) -> float | None:
        """None when nothing was predicted: the page is left out of the precision mean."""
        predicted = self.tp + self.fp
        return self.tp / predicted if predicted else None

    @property
    def recall(self) -> float | None:
        """None when the gold body is empty: the page is left out of the recall mean."""
        gold = self.tp + self.fn
        return self.tp / gold if gold else None


def shingle_counts(gold: str, predicted: str) -> ShingleCounts:
    """Compare one prediction with its gold body, shingles counted as multisets.

    A shingle that occurs twice in the gold body is matched twice only if it is predicted twice.
    """
    gold_tokens = tokenize(gold)
    predicted_tokens = tokenize(predicted)
    gold_shingles = _shingles(gold_tokens)
    predicted_shingles = _shingles(predicted_tokens)
    tp = sum((gold_shingles & predicted_shingles).values())
    fp = sum((predicted_shingles - gold_shingles).values())
    fn = sum((gold_shingles - predicted_shingles).values())
    total = tp + fp + fn
    scale = 1 / total if total else 0.0
    return ShingleCounts(
        tp=tp * scale,
        fp=fp * scale,
        fn=fn * scale,
        is_exact=gold_tokens == predicted_tokens,
    )


@dataclass(frozen=True, slots=True)
class ShingleScore:
    """Benchmark scores over ``n`` pages: mean precision and recall, F1 of those means."""

    n: int
    precision: float
    recall: float
    f1: float
    accuracy: float


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score_shingles(pairs: Iterable[tuple[str, str]]) -> ShingleScore:
    """Score ``(gold, predicted)`` pairs, one per page, with the Zyte benchmark's metric.

    A page with an empty prediction counts in recall (as 0) but not in precision, and a page
    with an empty gold body counts in precision but not in recall, as in the benchmark; a page
    where both are empty counts only in accuracy. Precision or recall with no page to average
    is 0, and so is F1 when both are.
    """
    pages = [shingle_counts(gold, predicted) for gold, predicted in pairs]
    precision = _mean([p for page in pages if (p := page.precision) is not None])
    recall = _mean([r for page in pages if (r := page.recall) is not None])
    return ShingleScore(
        n=len(pages),
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        accuracy=_mean([1.0 if page.is_exact else 0.0 for page in pages]),
    )


# --- trafilatura snippet metric -------------------------------------------------------------


def _collapse_space(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True, slots=True)
class SnippetCounts:
    """Snippet counts: must-keep found (tp) or missing (fn), must-drop found (fp) or absent (tn).

    Counts add up across pages (``a + b``): the corpus metric pools them before dividing.
    Each ratio is 0 when its denominator is.
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def __add__(self, other: SnippetCounts) -> SnippetCounts:
        return SnippetCounts(
            tp=self.tp + other.tp,
            fp=self.fp + other.fp,
            fn=self.fn + other.fn,
            tn=self.tn + other.tn,
        )

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def accuracy(self) -> float:
        total = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / total if total else 0.0

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)


def snippet_counts(
    output: str, with_snippets: Sequence[str], without_snippets: Sequence[str]
) -> SnippetCounts:
    """Count which snippets occur in ``output``, whitespace runs collapsed on both sides.

    Collapsing whitespace means a snippet annotated across a line break is still found in an
    output that puts the break elsewhere; an empty output (a crash) finds nothing.
    """
    text = _collapse_space(output)
    kept = sum(1 for snippet in with_snippets if _collapse_space(snippet) in text)
    leaked = sum(1 for snippet in without_snippets if _collapse_space(snippet) in text)
    return SnippetCounts(
        tp=kept,
        fp=leaked,
        fn=len(with_snippets) - kept,
        tn=len(without_snippets) - leaked,
    )


# --- Systems --------------------------------------------------------------------------------


def _keep_everything(html: str) -> str:
    return "\n".join(line.text for line in render_lines(html))


def _trafilatura(html: str | bytes) -> str:
    # Comments are not article text in either benchmark's gold; every other option is left at
    # trafilatura's default, which is how both benchmarks ran it.
    result = trafilatura.extract(html, include_comments=False)
    return result if isinstance(result, str) else ""


def _broadsheet_html(html: str) -> str:
    return html_body(html)


def _default_line_cleaner() -> LineCleaner:
    # Imported on use: the text path is built and trained apart from this module, and the other
    # systems and the scorer must keep working while it is missing or half-built.
    from broadsheet.pipeline.clean import clean_lines

    return clean_lines


def _text_path(line_cleaner: LineCleaner | None) -> Extractor:
    def extract(html: str) -> str:
        cleaner = line_cleaner or _default_line_cleaner()
        return "\n".join(cleaner([line.text for line in render_lines(html)]))

    return extract


def _on_decoded(system: Extractor) -> Callable[[str | bytes], str]:
    """Let a text-in system read a page kept as bytes, decoded the way ingest decodes it.

    The decoding is inside the system's call, so it is timed, and a page that cannot be decoded
    is that system's crash.
    """

    def run(html: str | bytes) -> str:
        return system(html if isinstance(html, str) else decode_text(html).text)

    return run


# --- Runs -----------------------------------------------------------------------------------


class SystemScores(TypedDict):
    """One system on one dataset; ``crashes`` pages raised and were scored as empty output."""

    f1: float
    precision: float
    recall: float
    accuracy: float
    pages_per_s: float
    crashes: int


class Unavailable(TypedDict):
    """A system that failed on the warm-up page, so was not scored; ``error`` says why."""

    error: str


class DatasetReport(TypedDict):
    """A further dataset's results (the ``also`` entries of the report)."""

    dataset: str
    metric: str
    n: int
    systems: dict[str, SystemScores | Unavailable]


class ScorerCheck(TypedDict):
    """Our scorer on a published system's published outputs, beside its published figures."""

    system: str
    version: str
    n: int
    f1: float
    precision: float
    recall: float
    accuracy: float
    published: dict[str, float]
    max_abs_diff: float


class ExtractionReport(TypedDict):
    """The evaluation's result, in the shape shared by every ``bench/`` task."""

    task: str
    dataset: str
    n: int
    systems: dict[str, SystemScores | Unavailable]
    also: list[DatasetReport]
    scorer_check: ScorerCheck


def _warm_up(name: str, system: Callable[[str], str]) -> Unavailable | None:
    try:
        system(_WARM_UP_PAGE)
    except Exception as exc:  # any failure: report the system, keep scoring the others
        logger.warning("extraction_eval_unavailable", extra={"system": name, "error": repr(exc)})
        return Unavailable(error=f"{type(exc).__name__}: {exc}")
    return None


def _outputs(
    name: str, system: Callable[[_Page], str], inputs: Sequence[tuple[str, _Page]]
) -> tuple[list[str], float, int]:
    """Run ``system`` on every input: outputs, seconds spent inside its calls, crashes."""
    outputs: list[str] = []
    seconds = 0.0
    crashes = 0
    for page_id, page in inputs:
        started = time.perf_counter()
        try:
            output = system(page)
        except Exception as exc:  # README 2b: a crash counts as empty output; the run goes on
            output = ""
            crashes += 1
            logger.warning(
                "extraction_eval_crash",
                extra={"system": name, "page_id": page_id, "error": type(exc).__name__},
            )
        seconds += time.perf_counter() - started
        outputs.append(output)
    logger.info(
        "extraction_eval_system",
        extra={"system": name, "pages": len(inputs), "duration_ms": round(seconds * 1000)},
    )
    return outputs, seconds, crashes


def _scores(
    f1: float,
    precision: float,
    recall: float,
    accuracy: float,
    pages: int,
    seconds: float,
    crashes: int,
) -> SystemScores:
    return SystemScores(
        f1=round(f1, _PLACES),
        precision=round(precision, _PLACES),
        recall=round(recall, _PLACES),
        accuracy=round(accuracy, _PLACES),
        pages_per_s=round(pages / seconds, 1) if seconds else 0.0,
        crashes=crashes,
    )


def _run_zyte(
    pages: Sequence[ZytePage], systems: Mapping[str, Extractor]
) -> dict[str, SystemScores | Unavailable]:
    inputs = [(page.id, page.html) for page in pages]
    results: dict[str, SystemScores | Unavailable] = {}
    for name, system in systems.items():
        unavailable = _warm_up(name, system)
        if unavailable is not None:
            results[name] = unavailable
            continue
        outputs, seconds, crashes = _outputs(name, system, inputs)
        score = score_shingles(
            (page.article_body, output) for page, output in zip(pages, outputs, strict=True)
        )
        results[name] = _scores(
            score.f1, score.precision, score.recall, score.accuracy, len(pages), seconds, crashes
        )
    return results


def _run_snippets(
    pages: Sequence[SnippetPage], systems: Mapping[str, Callable[[str | bytes], str]]
) -> dict[str, SystemScores | Unavailable]:
    inputs = [(page.id, page.html) for page in pages]
    results: dict[str, SystemScores | Unavailable] = {}
    for name, system in systems.items():
        unavailable = _warm_up(name, system)
        if unavailable is not None:
            results[name] = unavailable
            continue
        outputs, seconds, crashes = _outputs(name, system, inputs)
        pooled = sum(
            (
                snippet_counts(output, page.with_snippets, page.without_snippets)
                for page, output in zip(pages, outputs, strict=True)
            ),
            SnippetCounts(),
        )
        results[name] = _scores(
            pooled.f1,
            pooled.precision,
            pooled.recall,
            pooled.accuracy,
            len(pages),
            seconds,
            crashes,
        )
    return results


def check_scorer(eval_dir: Path) -> ScorerCheck:
    """Re-score the Zyte benchmark's published trafilatura outputs with ``score_shingles``.

    The published figures are rounded to 3 places, so a correct scorer lands within 0.0005 of
    each; ``max_abs_diff`` is the largest gap. Raises ``InvalidField`` when a page has no
    published output (the benchmark refuses such a run too) or ``FileNotFoundError``.
    """
    pages = load_zyte_pages(eval_dir)
    outputs = {
        output.id: output for output in load_reference_outputs(eval_dir, system=_CHECKED_SYSTEM)
    }
    missing = [page.id for page in pages if page.id not in outputs]
    if missing:
        raise InvalidField(
            f"{ZYTE_REFERENCE_OUTPUTS}: no {_CHECKED_SYSTEM} output for {len(missing)} pages "
            f"(first: {missing[0]})"
        )
    score = score_shingles((page.article_body, outputs[page.id].article_body) for page in pages)
    ours = {
        "f1": score.f1,
        "precision": score.precision,
        "recall": score.recall,
        "accuracy": score.accuracy,
    }
    versions = sorted({outputs[page.id].version for page in pages})
    return ScorerCheck(
        system=_CHECKED_SYSTEM,
        version=", ".join(versions),
        n=score.n,
        f1=round(score.f1, _PLACES),
        precision=round(score.precision, _PLACES),
        recall=round(score.recall, _PLACES),
        accuracy=round(score.accuracy, _PLACES),
        published=dict(PUBLISHED_TRAFILATURA),
        max_abs_diff=round(
            max(abs(ours[key] - value) for key, value in PUBLISHED_TRAFILATURA.items()), _PLACES
        ),
    )


def run_extraction_eval(
    eval_dir: Path,
    *,
    systems: Mapping[str, Extractor] | None = None,
    limit: int | None = None,
    line_cleaner: LineCleaner | None = None,
) -> ExtractionReport:
    """Score every system on both datasets in one run, plus the scorer check.

    ``systems`` adds systems (HTML text in, main text out) to both datasets; on the trafilatura
    corpus a page kept as bytes is decoded for them first. ``limit`` scores only the first pages
    of each dataset (the scorer check always uses all 181). ``line_cleaner`` replaces
    ``broadsheet.pipeline.clean.clean_lines`` in the text path. A system that fails on a small
    warm-up page is reported as ``Unavailable``; one that raises on a page scores that page as
    empty output and counts a crash. ``pages_per_s`` counts only time inside the system's calls.

    Raises ``ValueError`` when an added system reuses a built-in name or ``limit`` is below 1,
    ``FileNotFoundError`` when a data file is missing and ``InvalidField`` for a malformed one.
    """
    extra = dict(systems or {})
    builtin: dict[str, Extractor] = {
        "keep-everything": _keep_everything,
        "trafilatura": _trafilatura,
        "broadsheet-html": _broadsheet_html,
        "broadsheet-text": _text_path(line_cleaner),
    }
    clashes = sorted(extra.keys() & builtin.keys())
    if clashes:
        raise ValueError(f"systems already built in: {', '.join(clashes)}")
    _check_limit(limit)

    zyte_pages = load_zyte_pages(eval_dir, limit=limit)
    zyte = _run_zyte(zyte_pages, {**builtin, **extra})

    snippet_pages = load_snippet_pages(eval_dir, limit=limit)
    snippet_systems: dict[str, Callable[[str | bytes], str]] = {
        "keep-everything": _on_decoded(_keep_everything),
        # trafilatura is given the original bytes, as the corpus README prescribes.
        "trafilatura": _trafilatura,
        "broadsheet-html": _on_decoded(_broadsheet_html),
        **{name: _on_decoded(system) for name, system in extra.items()},
    }
    snippets = _run_snippets(snippet_pages, snippet_systems)

    return ExtractionReport(
        task="extraction",
        dataset=ZYTE_DATASET,
        n=len(zyte_pages),
        systems=zyte,
        also=[
            DatasetReport(
                dataset=SNIPPET_DATASET,
                metric="snippets",
                n=len(snippet_pages),
                systems=snippets,
            )
        ],
        scorer_check=check_scorer(eval_dir),
    )
