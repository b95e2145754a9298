"""Quote detection and attribution, measured on real news and on the demo corpus.

Two data sets (the shared evaluation README, sections 4 and 5b):

- **Quote spans on GUM news** (``ner/gum_news.jsonl.gz``): the 92 TEI ``<q>`` (inline or scare
  quotes) and ``<quote>`` (quoted speech) spans of 24 Wikinews articles. GUM gives no speaker,
  so this is detection only, and GUM marks only quoted text, so only our *direct* quotes are
  scored against it. GUM's spans include the quotation marks; ours do not (``QuoteDraft``
  offsets are the quoted words). Both sides are compared after ``quote_core``: surrounding
  space, quotation marks and punctuation stripped.

  *Exact*: the same core span, one to one. *Overlap*: a gold span is found when some system
  quote overlaps it, and a system quote is right when it overlaps some gold span. Overlap is
  not one to one on purpose: GUM marks each piece of a quote split by an attribution ("“A,” he
  said, “B”") or spread over paragraphs as its own ``<quote>``, where Broadsheet gives one quote
  from the first quoted word to the last. Recall is also given per GUM kind (``q``/``quote``):
  a short quoted phrase with no attribution (a title, a nickname, a scare quote) is by design
  not a quote for Broadsheet, and most ``q`` spans are such phrases.
- **The labelled demo set** (``tests/data/demo_quotes.json``): every quote, direct or
  reported, in 31 articles of the bundled demo corpus, labelled by hand with its speaker (the
  article's fullest name for a named speaker, else the phrase as written), the direct flag and
  the cue. See ``load_demo_quotes`` for the labelling rules. A gold quote is located by its
  first and last words (``from``/``to``) in the article body as Broadsheet stores it. Scores:

  - span precision/recall/F1 with *overlap* matching (one to one, largest overlap first: the
    exact edges of reported speech are a judgement call) and with *exact* matching (``*_exact``,
    the same core span);
  - ``speaker_accuracy``: over overlap-matched pairs, the share whose speaker is right
    (``speaker_key``: case, accents, punctuation and a leading article aside; an unknown
    speaker is wrong);
  - ``direct_accuracy``: over the same pairs, the share with the right direct/indirect flag.

  Baseline ``nearest-person``: our quote spans, each given the nearest person named before it
  (outside quotation marks), the usual fallback of quote attributors. Baseline ``quote-marks``:
  every span between double quotation marks as a direct quote with that nearest person; it
  shows what the attribution rules and reported speech add.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadsheet.errors import InvalidField
from broadsheet.evaluation.entities import GUM_FILE, _records, demo_articles
from broadsheet.model import EntityType, MentionDraft, QuoteDraft

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = [
    "DEMO_QUOTES",
    "DemoQuote",
    "GoldQuote",
    "QuoteScores",
    "load_demo_quotes",
    "load_gum_quotes",
    "locate_quotes",
    "match_overlap",
    "nearest_person",
    "quote_core",
    "quote_mark_baseline",
    "run_quote_eval",
    "score_quotes",
    "speaker_key",
]

DEMO_QUOTES = Path(__file__).resolve().parents[3] / "tests" / "data" / "demo_quotes.json"
_PLACES = 4
_MARKS = "\"'\u201c\u201d\u2018\u2019\u201e\u00ab\u00bb"
_EDGE = set(_MARKS) | set(" \t\n.,;:!?\u2014\u2013-")
_LEADING = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_DROP = re.compile(r"[^\w\s]")


def quote_core(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``/``end`` without surrounding space, quotation marks and punctuation."""
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    return start, end


def speaker_key(name: str | None) -> str:
    """A speaker for comparison: accents, case, punctuation, a leading article aside."""
    if not name:
        return ""
    plain = unicodedata.normalize("NFKD", name.replace("\u2019", "'"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold().strip()
    plain = _LEADING.sub("", plain)
    return " ".join(_DROP.sub(" ", plain.replace("'s ", " ")).split())


@dataclass(frozen=True, slots=True)
class GoldQuote:
    """A gold quote span in one text; speaker and direct flag when labelled."""

    start: int
    end: int
    speaker: str | None = None
    direct: bool | None = None
    kind: str = ""
    cases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QuoteScores:
    """Span counts under one matching, and attribution counts over the matched pairs."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    speaker_right: int = 0
    direct_right: int = 0

    def __add__(self, other: QuoteScores) -> QuoteScores:
        return QuoteScores(
            self.tp + other.tp,
            self.fp + other.fp,
            self.fn + other.fn,
            self.speaker_right + other.speaker_right,
            self.direct_right + other.direct_right,
        )

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _r(value: float) -> float:
    return round(value, _PLACES)


# --- Matching -----------------------------------------------------------------------------------


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return min(a[1], b[1]) - max(a[0], b[0])


def match_overlap(
    gold: Sequence[tuple[int, int]], system: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """One-to-one pairs ``(gold index, system index)`` of overlapping spans, the largest
    overlaps first."""
    candidates = sorted(
        (
            (_overlap(g, s), gi, si)
            for gi, g in enumerate(gold)
            for si, s in enumerate(system)
            if _overlap(g, s) > 0
        ),
        key=lambda item: (-item[0], item[1], item[2]),
    )
    used_gold: set[int] = set()
    used_system: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, gi, si in candidates:
        if gi in used_gold or si in used_system:
            continue
        used_gold.add(gi)
        used_system.add(si)
        pairs.append((gi, si))
    return sorted(pairs)


def score_quotes(
    text: str, gold: Sequence[GoldQuote], system: Sequence[QuoteDraft], *, exact: bool = False
) -> QuoteScores:
    """Span and attribution counts for one text (see the module docstring)."""
    gold_spans = [quote_core(text, g.start, g.end) for g in gold]
    system_spans = [quote_core(text, q.start, q.end) for q in system]
    if exact:
        index = {span: i for i, span in reversed(list(enumerate(system_spans)))}
        pairs = []
        taken: set[int] = set()
        for gi, span in enumerate(gold_spans):
            si = index.get(span)
            if si is not None and si not in taken:
                taken.add(si)
                pairs.append((gi, si))
    else:
        pairs = match_overlap(gold_spans, system_spans)
    speaker_right = sum(
        1
        for gi, si in pairs
        if speaker_key(gold[gi].speaker)
        and speaker_key(gold[gi].speaker) == speaker_key(system[si].speaker)
    )
    direct_right = sum(1 for gi, si in pairs if gold[gi].direct is system[si].direct)
    return QuoteScores(
        tp=len(pairs),
        fp=len(system) - len(pairs),
        fn=len(gold) - len(pairs),
        speaker_right=speaker_right,
        direct_right=direct_right,
    )


def _detection_any(
    text: str, gold: Sequence[GoldQuote], system: Sequence[QuoteDraft]
) -> tuple[list[bool], int]:
    """For each gold span whether any system quote overlaps it, and how many system quotes
    overlap some gold span (overlap detection, not one to one)."""
    gold_spans = [quote_core(text, g.start, g.end) for g in gold]
    system_spans = [quote_core(text, q.start, q.end) for q in system]
    found = [any(_overlap(g, s) > 0 for s in system_spans) for g in gold_spans]
    right = sum(1 for s in system_spans if any(_overlap(g, s) > 0 for g in gold_spans))
    return found, right


# --- Baselines ----------------------------------------------------------------------------------


def nearest_person(
    text: str, mentions: Sequence[MentionDraft], start: int
) -> tuple[str | None, EntityType | None]:
    """The person named last before ``start`` outside quotation marks (the baseline)."""
    inside = _quoted_ranges(text)
    best: MentionDraft | None = None
    for mention in mentions:
        if mention.type is not EntityType.PERSON or mention.end > start:
            continue
        if any(a <= mention.start < b for a, b in inside):
            continue
        if best is None or mention.start > best.start:
            best = mention
    return (best.name, best.type) if best is not None else (None, None)


_DOUBLE = re.compile('["\u201c]([^"\u201c\u201d\n]+)["\u201d]')


def _quoted_ranges(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _DOUBLE.finditer(text)]


def quote_mark_baseline(text: str, mentions: Sequence[MentionDraft]) -> list[QuoteDraft]:
    """Every span between double quotation marks, as a direct quote of the nearest person."""
    quotes = []
    for match in _DOUBLE.finditer(text):
        speaker, kind = nearest_person(text, mentions, match.start())
        quotes.append(
            QuoteDraft(
                text=match.group(1),
                start=match.start(1),
                end=match.end(1),
                direct=True,
                speaker=speaker,
                speaker_type=kind,
            )
        )
    return quotes


def _with_nearest(
    text: str, quotes: Sequence[QuoteDraft], mentions: Sequence[MentionDraft]
) -> list[QuoteDraft]:
    out = []
    for quote in quotes:
        speaker, kind = nearest_person(text, mentions, quote.start)
        out.append(
            QuoteDraft(
                text=quote.text,
                start=quote.start,
                end=quote.end,
                direct=quote.direct,
                speaker=speaker,
                speaker_type=kind,
                cue=quote.cue,
            )
        )
    return out


# --- Data ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _GumText:
    id: str
    text: str
    quotes: tuple[GoldQuote, ...]


def load_gum_quotes(eval_dir: Path) -> list[_GumText]:
    """GUM news documents with their ``quotes`` spans (``kind`` q or quote)."""
    docs = []
    for where, record in _records(eval_dir / GUM_FILE):
        text = record.get("text")
        raw = record.get("quotes")
        if not isinstance(text, str) or not isinstance(raw, list):
            raise InvalidField(f"{where}: no text or quotes")
        quotes = []
        for item in raw:
            start, end = int(item["start"]), int(item["end"])
            if text[start:end] != item["text"]:
                raise InvalidField(f"{where}: quote offsets do not give {item['text'][:40]!r}")
            quotes.append(GoldQuote(start, end, kind=str(item.get("kind", ""))))
        docs.append(_GumText(str(record["id"]), text, tuple(quotes)))
    return docs


@dataclass(frozen=True, slots=True)
class DemoQuote:
    """One hand-labelled quote: its first and last words as written, speaker, flags."""

    first: str
    last: str
    speaker: str | None
    direct: bool
    cue: str | None = None
    cases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _DemoLabelled:
    source: str
    title: str
    quotes: tuple[DemoQuote, ...]


def load_demo_quotes(path: Path = DEMO_QUOTES) -> list[_DemoLabelled]:
    """The labelled demo set. Every quote of each listed article is labelled:

    - a direct quote is the quoted words without the marks; pieces of one speaker separated
      only by the attribution ("“A,” she said, “B.”", "“A,” she said. “B.”") are one quote from
      the first word to the last;
    - a quoted fragment inside a report ("X said the plan was “unaffordable”") is a direct quote
      of the reporting speaker, and the report around it is not a quote of its own;
    - reported speech is the reported clause: "X said (that) CLAUSE", "CLAUSE, X said",
      "according to X", "X described Y as Z";
    - a title, a nickname or a scare quote nobody is said to have said is not a quote;
    - the speaker is the fullest name the article gives a named speaker, else the phrase as
      written without its clauses ("two freight forwarders", "the agency").
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    articles = []
    for item in data["articles"]:
        quotes = []
        for q in item["quotes"]:
            if not isinstance(q.get("direct"), bool) or not q.get("from") or not q.get("to"):
                raise InvalidField(f"{path.name}: quote without from/to/direct: {q}")
            quotes.append(
                DemoQuote(
                    first=q["from"],
                    last=q["to"],
                    speaker=q.get("speaker"),
                    direct=q["direct"],
                    cue=q.get("cue"),
                    cases=tuple(q.get("cases", ())),
                )
            )
        articles.append(_DemoLabelled(item["source"], item["title"], tuple(quotes)))
    return articles


def locate_quotes(body: str, quotes: Sequence[DemoQuote]) -> list[GoldQuote]:
    """Gold spans in ``body``: each quote runs from the next occurrence of its first words
    (after the previous quote's start) to the end of the next occurrence of its last words.
    Raises ``InvalidField`` when either is not found."""
    cursor = 0
    located = []
    for quote in quotes:
        start = body.find(quote.first, cursor)
        if start < 0:
            raise InvalidField(f"demo quote {quote.first!r} not found after offset {cursor}")
        stop = body.find(quote.last, start)
        if stop < 0:
            raise InvalidField(f"demo quote end {quote.last!r} not found after {start}")
        located.append(
            GoldQuote(
                start,
                stop + len(quote.last),
                speaker=quote.speaker,
                direct=quote.direct,
                cases=quote.cases,
            )
        )
        cursor = start + 1
    return located


# --- Runs ---------------------------------------------------------------------------------------


def _span_scores(counts: QuoteScores, exact: QuoteScores) -> dict[str, float | int]:
    return {
        "f1": _r(counts.f1),
        "precision": _r(counts.precision),
        "recall": _r(counts.recall),
        "tp": counts.tp,
        "fp": counts.fp,
        "fn": counts.fn,
        "speaker_accuracy": _r(_ratio(counts.speaker_right, counts.tp)),
        "direct_accuracy": _r(_ratio(counts.direct_right, counts.tp)),
        "f1_exact": _r(exact.f1),
        "precision_exact": _r(exact.precision),
        "recall_exact": _r(exact.recall),
    }


def _gum_section(nlp: Language, eval_dir: Path) -> tuple[dict[str, Any], float]:
    from broadsheet.pipeline.enrich.entities import mentions_of
    from broadsheet.pipeline.enrich.quotes import find_quotes

    docs = load_gum_quotes(eval_dir)
    systems: dict[str, dict[str, float | int]] = {}
    parsed = list(nlp.pipe([d.text for d in docs]))
    started = time.perf_counter()
    ours = [[q for q in find_quotes(doc, mentions_of(doc)) if q.direct] for doc in parsed]
    quote_seconds = time.perf_counter() - started
    baseline = [quote_mark_baseline(d.text, ()) for d in docs]
    for name, found in (("broadsheet", ours), ("quote-marks", baseline)):
        exact = QuoteScores()
        any_found: list[tuple[str, bool]] = []
        right = total = 0
        for doc, system in zip(docs, found, strict=True):
            exact += score_quotes(doc.text, doc.quotes, system, exact=True)
            hits, correct = _detection_any(doc.text, doc.quotes, system)
            any_found.extend((g.kind, hit) for g, hit in zip(doc.quotes, hits, strict=True))
            right += correct
            total += len(system)
        gold_total = len(any_found)
        recall = _ratio(sum(hit for _, hit in any_found), gold_total)
        precision = _ratio(right, total)
        scores: dict[str, float | int] = {
            "f1": _r(2 * precision * recall / (precision + recall) if precision + recall else 0),
            "precision": _r(precision),
            "recall": _r(recall),
            "system_quotes": total,
            "f1_exact": _r(exact.f1),
            "precision_exact": _r(exact.precision),
            "recall_exact": _r(exact.recall),
        }
        for kind in ("quote", "q"):
            of_kind = [hit for k, hit in any_found if k == kind]
            scores[f"recall_{kind}"] = _r(_ratio(sum(of_kind), len(of_kind)))
        systems[name] = scores
    section = {
        "dataset": f"GUM news ({GUM_FILE}), quotes field",
        "metric": (
            "direct quote span detection: overlap P/R/F1 (any overlap, not one to one); "
            "*_exact: same span without quotation marks and edge punctuation, one to one"
        ),
        "n": len(docs),
        "gold_quotes": sum(len(d.quotes) for d in docs),
        "systems": systems,
    }
    return section, quote_seconds


def _demo_section(nlp: Language, labels: Path) -> dict[str, Any]:
    from broadsheet.pipeline.enrich.entities import mentions_of
    from broadsheet.pipeline.enrich.quotes import find_quotes

    labelled = load_demo_quotes(labels)
    articles = demo_articles()
    index = {(a.source, a.title): a for a in articles}
    missing = [(a.source, a.title) for a in labelled if (a.source, a.title) not in index]
    if missing:
        raise InvalidField(f"labelled demo articles not in the demo corpus: {missing}")
    bodies = [index[(a.source, a.title)].body for a in labelled]
    totals: dict[str, tuple[QuoteScores, QuoteScores]] = {}
    per_case: dict[str, list[bool]] = {}
    for item, body, doc in zip(labelled, bodies, nlp.pipe(bodies), strict=True):
        gold = locate_quotes(body, item.quotes)
        mentions = mentions_of(doc)
        ours = list(find_quotes(doc, mentions))
        systems = {
            "broadsheet": ours,
            "nearest-person": _with_nearest(body, ours, mentions),
            "quote-marks": quote_mark_baseline(body, mentions),
        }
        for name, system in systems.items():
            overlap = score_quotes(body, gold, system)
            exact = score_quotes(body, gold, system, exact=True)
            before = totals.get(name, (QuoteScores(), QuoteScores()))
            totals[name] = (before[0] + overlap, before[1] + exact)
        pairs = dict(
            match_overlap(
                [quote_core(body, g.start, g.end) for g in gold],
                [quote_core(body, q.start, q.end) for q in ours],
            )
        )
        for gi, g in enumerate(gold):
            si = pairs.get(gi)
            right = si is not None and speaker_key(g.speaker) == speaker_key(ours[si].speaker)
            for case in g.cases:
                per_case.setdefault(case, []).append(right)
    return {
        "dataset": f"demo corpus, hand-labelled ({labels.name})",
        "metric": (
            "quote spans (overlap, one to one; *_exact: same span) and, over matched pairs, "
            "speaker and direct/indirect accuracy"
        ),
        "n": len(labelled),
        "gold_quotes": sum(len(a.quotes) for a in labelled),
        "systems": {name: _span_scores(*counts) for name, counts in totals.items()},
        "per_case": {
            case: {"n": len(hits), "found_with_right_speaker": _r(_ratio(sum(hits), len(hits)))}
            for case, hits in sorted(per_case.items())
        },
    }


def run_quote_eval(
    eval_dir: Path, *, model: str | None = None, demo_labels: Path | None = DEMO_QUOTES
) -> dict[str, Any]:
    """Both quote measures in one run (see the module docstring). The top level is the demo
    set (the one with speakers); ``also`` holds GUM span detection. ``demo_labels=None`` skips
    the demo set. Raises ``FileNotFoundError`` when GUM is missing, ``InvalidField`` for a
    malformed file and ``ConfigError`` when no spaCy pipeline loads."""
    from broadsheet.pipeline.enrich.entities import load_pipeline

    started = time.perf_counter()
    nlp = load_pipeline(model)
    gum, quote_seconds = _gum_section(nlp, eval_dir)
    notes = [
        "GUM has no speakers: its figures are direct-quote span detection only.",
        f"find_quotes itself (after parsing) took {quote_seconds:.2f} s on the GUM documents.",
    ]
    if demo_labels is not None and demo_labels.is_file():
        main = _demo_section(nlp, demo_labels)
        also = [gum]
    else:
        if demo_labels is not None:
            notes.append(f"demo set skipped: {demo_labels} not found")
        main, also = gum, []
    report: dict[str, Any] = {
        "task": "quotes",
        "dataset": main["dataset"],
        "n": main["n"],
        "metric": main["metric"],
        "gold_quotes": main["gold_quotes"],
        "systems": main["systems"],
    }
    if "per_case" in main:
        report["per_case"] = main["per_case"]
    report |= {
        "also": also,
        "notes": notes,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return report
