"""Date finding and resolution, measured on real news and on the demo corpus.

Two data sets, each scored for our ``find_dates`` (system ``broadsheet``) and for dateparser
alone (system ``dateparser``) in the same run:

- **GUM news dates** (``dates/gum_news_dates.jsonl.gz``, shared evaluation README section 6):
  197 TEI ``<date>``/``<time>`` expressions in 24 Wikinews articles, each resolved against the
  article's ``dct``. Left out of scoring: the dateline (line 2 of the text, the anchor itself) and
  bare clock times without a date part ("15:11 GMT"); system spans over the dateline are dropped
  too.
- **The labelled demo set** (``tests/data/demo_dates.json``): every date expression of each listed
  demo article, with the first and last day and granularity a careful reader gives it.

**Gold values as first/last days.** A point ``value`` becomes the period it names: "2015" ->
2015-01-01..2015-12-31, "2015-09" -> the month, "2015-09-14" (or a date-time on that day) -> the
day. A range ``from``/``to`` -> first day of ``from`` .. last day of ``to``. A bounded value
``notBefore``/``notAfter`` -> first day of ``notBefore`` .. last day of ``notAfter``; a missing
bound is open and matches any system value on that side.

**Spans** (TempEval-3 style): a system span matches a gold span *strictly* when both have the same
offsets (surrounding spaces and a trailing possessive aside) and *relaxed* when they overlap; each
gold and system span is matched at most once (greedy, in text order). Precision, recall and F1 are
micro-averaged over all documents.

**Values.** ``value_accuracy``: over relaxed-matched pairs, the share whose (first, last) equals the
gold's; ``value_accuracy_strict`` the same over strict matches; ``value_recall`` = correct values /
gold expressions (end to end). On the demo set ``range_accuracy`` is ``value_accuracy`` and
``granularity_accuracy`` compares the granularity too (our system only: dateparser has none per
expression beyond its period guess).

**dateparser alone**: ``dateparser.search.search_dates`` over the text with ``RELATIVE_BASE`` = the
anchor day (noon) and ``PREFER_DATES_FROM = "past"`` (news mostly reports the past); each
returned substring is located in text order, and its period (day, week, month, year) is read with
``DateDataParser.get_date_data`` under the same settings, so "2008" counts as the whole year
rather than one day of it.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadsheet.errors import InvalidField
from broadsheet.evaluation.demo import stored_demo_articles

if TYPE_CHECKING:
    from spacy.language import Language

    from broadsheet.model import DateDraft

__all__ = [
    "DemoDateArticle",
    "DemoDateLabel",
    "GoldDate",
    "GumDateDoc",
    "SpanScores",
    "SysDate",
    "gold_range",
    "load_demo_dates",
    "load_gum_dates",
    "locate_dates",
    "match_dates",
    "period_range",
    "run_date_eval",
    "score_dates",
]

GUM_FILE = "dates/gum_news_dates.jsonl.gz"
DEMO_LABELS = Path(__file__).resolve().parents[3] / "tests" / "data" / "demo_dates.json"
GRANULARITIES = frozenset({"day", "week", "month", "quarter", "year", "decade"})
_PLACES = 4
_CLOCK = re.compile(r"^\d{2}:\d{2}(?::\d{2})?$")
_TRAIL = re.compile(r"(?:\s|['\u2019]s?)+$")


# --- Gold values ----------------------------------------------------------------------------------


def period_range(value: str) -> tuple[date, date] | None:
    """The first and last day of an ISO value: "2015", "2015-09", "2015-09-14" or a date-time
    ("2010-09-04T22:30:00", its day). A bare clock time has no date: None. Raises
    ``InvalidField`` for anything else."""
    value = value.strip()
    if _CLOCK.match(value):
        return None
    day_part = value.split("T", 1)[0]
    parts = day_part.split("-")
    try:
        if len(parts) == 1 and len(parts[0]) == 4:
            year = int(parts[0])
            return date(year, 1, 1), date(year, 12, 31)
        if len(parts) == 2:
            year, month = int(parts[0]), int(parts[1])
            following = date(year + month // 12, month % 12 + 1, 1)
            return date(year, month, 1), following - timedelta(days=1)
        if len(parts) == 3:
            day = date(int(parts[0]), int(parts[1]), int(parts[2]))
            return day, day
    except ValueError as exc:
        raise InvalidField(f"bad date value {value!r}") from exc
    raise InvalidField(f"bad date value {value!r}")


def gold_range(timex: Mapping[str, Any]) -> tuple[date | None, date | None] | None:
    """(first, last) of a GUM timex (see the module docstring); None when it names no date.
    A None inside the pair is an open bound."""
    if timex.get("value"):
        found = period_range(str(timex["value"]))
        return None if found is None else (found[0], found[1])
    if timex.get("from") or timex.get("to"):
        start = period_range(str(timex["from"])) if timex.get("from") else None
        end = period_range(str(timex["to"])) if timex.get("to") else None
        return (start[0] if start else None, end[1] if end else None)
    if timex.get("notBefore") or timex.get("notAfter"):
        low = period_range(str(timex["notBefore"])) if timex.get("notBefore") else None
        high = period_range(str(timex["notAfter"])) if timex.get("notAfter") else None
        return (low[0] if low else None, high[1] if high else None)
    return None


@dataclass(frozen=True, slots=True)
class GoldDate:
    """A gold expression: offsets, text, first/last day (None = open), granularity if known."""

    start: int
    end: int
    text: str
    first: date | None
    last: date | None
    granularity: str | None = None


@dataclass(frozen=True, slots=True)
class SysDate:
    """A system expression: offsets, first and last day, granularity (None if unknown)."""

    start: int
    end: int
    first: date
    last: date
    granularity: str | None = None


@dataclass(frozen=True, slots=True)
class GumDateDoc:
    id: str
    split: str
    text: str
    anchor: date
    dateline: tuple[int, int] | None
    gold: tuple[GoldDate, ...]
    clock_only: int


def _line_span(text: str, number: int) -> tuple[int, int]:
    start = 0
    for _ in range(number):
        start = text.index("\n", start) + 1
    end = text.find("\n", start)
    return start, len(text) if end < 0 else end


def _records(path: Path) -> Iterator[Mapping[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidField(f"{path.name} line {number}: {exc}") from exc


def load_gum_dates(eval_dir: Path) -> list[GumDateDoc]:
    """The GUM dates: every timex except the dateline (a date at the start of line 2) and bare
    clock times. Raises ``FileNotFoundError`` or ``InvalidField``."""
    path = eval_dir / GUM_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found (see the shared evaluation README)")
    docs = []
    for record in _records(path):
        text = str(record["text"])
        anchor = date.fromisoformat(str(record["dct"])[:10])
        line2 = _line_span(text, 1)
        dateline = None
        gold = []
        clock_only = 0
        for timex in record["timex"]:
            start, end = int(timex["start"]), int(timex["end"])
            if text[start:end] != timex["text"]:
                raise InvalidField(f"{record['id']}: timex {timex['text']!r} not at {start}")
            if start == line2[0]:
                dateline = (start, end)
                continue
            found = gold_range(timex)
            if found is None:
                clock_only += 1
                continue
            gold.append(GoldDate(start, end, str(timex["text"]), found[0], found[1]))
        docs.append(
            GumDateDoc(
                str(record["id"]),
                str(record.get("split", "")),
                text,
                anchor,
                dateline,
                tuple(gold),
                clock_only,
            )
        )
    return docs


# --- Matching and scores --------------------------------------------------------------------------


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    tail = _TRAIL.search(piece)
    stop = tail.start() if tail and tail.start() > lead else len(piece)
    return start + lead, start + stop


def match_dates(
    text: str, gold: Sequence[GoldDate], system: Sequence[SysDate], *, strict: bool
) -> list[tuple[int, int]]:
    """Pairs (gold index, system index), each side used once: the same trimmed offsets
    (``strict``) or any overlap, greedily in text order (for overlaps the largest first)."""
    used: set[int] = set()
    pairs = []
    for g, item in enumerate(gold):
        g_span = _trim(text, item.start, item.end)
        best: tuple[int, int] | None = None
        for s, found in enumerate(system):
            if s in used:
                continue
            s_span = _trim(text, found.start, found.end)
            if strict:
                if s_span == g_span:
                    best = (0, s)
                    break
                continue
            overlap = min(g_span[1], s_span[1]) - max(g_span[0], s_span[0])
            if overlap > 0 and (best is None or -overlap < best[0]):
                best = (-overlap, s)
        if best is not None:
            used.add(best[1])
            pairs.append((g, best[1]))
    return pairs


def value_correct(gold: GoldDate, system: SysDate) -> bool:
    """Whether the system's first and last day equal the gold's (an open gold bound matches)."""
    return (gold.first is None or gold.first == system.first) and (
        gold.last is None or gold.last == system.last
    )


@dataclass
class SpanScores:
    """Running counts for one system over several documents."""

    gold: int = 0
    system: int = 0
    strict: int = 0
    relaxed: int = 0
    value_relaxed: int = 0
    value_strict: int = 0
    granularity: int = 0
    granularity_known: int = 0

    def add(self, text: str, gold: Sequence[GoldDate], system: Sequence[SysDate]) -> None:
        self.gold += len(gold)
        self.system += len(system)
        strict = match_dates(text, gold, system, strict=True)
        relaxed = match_dates(text, gold, system, strict=False)
        self.strict += len(strict)
        self.relaxed += len(relaxed)
        self.value_strict += sum(value_correct(gold[g], system[s]) for g, s in strict)
        for g, s in relaxed:
            right = value_correct(gold[g], system[s])
            self.value_relaxed += right
            if gold[g].granularity is not None and system[s].granularity is not None:
                self.granularity_known += 1
                self.granularity += right and gold[g].granularity == system[s].granularity

    def as_dict(self) -> dict[str, float | int]:
        def ratio(a: int, b: int) -> float:
            return round(a / b, _PLACES) if b else 0.0

        def f1(p: float, r: float) -> float:
            return round(2 * p * r / (p + r), _PLACES) if p + r else 0.0

        sp, sr = ratio(self.strict, self.system), ratio(self.strict, self.gold)
        rp, rr = ratio(self.relaxed, self.system), ratio(self.relaxed, self.gold)
        out: dict[str, float | int] = {
            "f1": f1(rp, rr),
            "precision": rp,
            "recall": rr,
            "f1_strict": f1(sp, sr),
            "precision_strict": sp,
            "recall_strict": sr,
            "value_accuracy": ratio(self.value_relaxed, self.relaxed),
            "value_accuracy_strict": ratio(self.value_strict, self.strict),
            "value_recall": ratio(self.value_relaxed, self.gold),
            "gold": self.gold,
            "found": self.system,
            "matched": self.relaxed,
            "value_correct": self.value_relaxed,
        }
        if self.granularity_known:
            out["granularity_accuracy"] = ratio(self.granularity, self.granularity_known)
        return out


def score_dates(
    docs: Sequence[tuple[str, Sequence[GoldDate], Sequence[SysDate]]],
) -> dict[str, float | int]:
    """Span P/R/F1 (relaxed and strict) and value accuracy over (text, gold, system) triples."""
    scores = SpanScores()
    for text, gold, system in docs:
        scores.add(text, gold, system)
    return scores.as_dict()


# --- Systems --------------------------------------------------------------------------------------


def _as_system(drafts: Sequence[DateDraft]) -> list[SysDate]:
    return [SysDate(d.start, d.end, d.first, d.last, d.granularity) for d in drafts]


def _outside(span: tuple[int, int] | None, found: Sequence[SysDate]) -> list[SysDate]:
    if span is None:
        return list(found)
    return [f for f in found if f.end <= span[0] or f.start >= span[1]]


_PERIODS = {"day": "day", "week": "week", "month": "month", "year": "year", "time": "day"}


def dateparser_dates(text: str, anchor: date) -> list[SysDate]:
    """dateparser alone (see the module docstring)."""
    from dateparser.date import DateDataParser
    from dateparser.search import search_dates

    base = datetime(anchor.year, anchor.month, anchor.day, 12, 0)
    settings: dict[str, Any] = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"}
    found = search_dates(text, languages=["en"], settings=settings) or []
    parser = DateDataParser(languages=["en"], settings=settings)
    out = []
    cursor = 0
    for piece, moment in found:
        start = text.find(piece, cursor)
        if start < 0:
            continue
        cursor = start + len(piece)
        period = parser.get_date_data(piece).period or "day"
        day = moment.date()
        if period == "year":
            first, last = date(day.year, 1, 1), date(day.year, 12, 31)
        elif period == "month":
            following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
            first, last = date(day.year, day.month, 1), following - timedelta(days=1)
        elif period == "week":
            first = day - timedelta(days=day.weekday())
            last = first + timedelta(days=6)
        else:
            first = last = day
        out.append(SysDate(start, cursor, first, last, _PERIODS.get(period, "day")))
    return out


# --- Demo set -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoDateLabel:
    text: str
    first: date
    last: date
    granularity: str


@dataclass(frozen=True, slots=True)
class DemoDateArticle:
    source: str
    title: str
    dates: tuple[DemoDateLabel, ...]
    held_out: bool = False


def load_demo_dates(path: Path = DEMO_LABELS) -> list[DemoDateArticle]:
    """The labelled demo set; raises ``InvalidField`` for an unknown granularity or a first day
    after the last."""
    data = json.loads(path.read_text(encoding="utf-8"))
    articles = []
    for item in data["articles"]:
        labels = []
        for label in item["dates"]:
            entry = DemoDateLabel(
                str(label["text"]),
                date.fromisoformat(label["first"]),
                date.fromisoformat(label.get("last") or label["first"]),
                str(label["granularity"]),
            )
            if entry.granularity not in GRANULARITIES or entry.first > entry.last:
                raise InvalidField(f"{path.name}: bad label {label!r}")
            labels.append(entry)
        articles.append(
            DemoDateArticle(
                item["source"], item["title"], tuple(labels), bool(item.get("held_out", False))
            )
        )
    return articles


def locate_dates(body: str, labels: Sequence[DemoDateLabel]) -> list[GoldDate]:
    """Spans of ``labels`` in ``body``: each the next whole-word occurrence of its text after
    the previous label's start. Raises ``InvalidField`` when one is not found."""
    cursor = 0
    out = []
    for label in labels:
        pattern = re.compile(r"(?<!\w)" + re.escape(label.text) + r"(?!\w)")
        m = pattern.search(body, cursor)
        if m is None:
            raise InvalidField(f"demo date {label.text!r} not found after offset {cursor}")
        out.append(
            GoldDate(m.start(), m.end(), label.text, label.first, label.last, label.granularity)
        )
        cursor = m.start() + 1
    return out


@dataclass(frozen=True, slots=True)
class _DemoDoc:
    source: str
    title: str
    body: str
    published_at: datetime
    guessed: bool


def demo_documents() -> list[_DemoDoc]:
    """Every article of the bundled demo corpus as Broadsheet stores it (ingested into a
    temporary SQLite store), oldest first, with its publication time."""
    return [
        _DemoDoc(a.source, a.title, a.body, a.published_at, a.published_at_guessed)
        for a in stored_demo_articles()
    ]


def _demo_sections(nlp: Language, labels_path: Path) -> list[dict[str, Any]]:
    from broadsheet.pipeline.enrich.dates import anchor_day, find_dates

    labelled = load_demo_dates(labels_path)
    articles = {(a.source, a.title): a for a in demo_documents()}
    missing = [(a.source, a.title) for a in labelled if (a.source, a.title) not in articles]
    if missing:
        raise InvalidField(f"labelled demo articles not in the demo corpus: {missing}")
    ours: list[tuple[str, Sequence[GoldDate], Sequence[SysDate]]] = []
    baseline: list[tuple[str, Sequence[GoldDate], Sequence[SysDate]]] = []
    for item in labelled:
        article = articles[(item.source, item.title)]
        gold = locate_dates(article.body, item.dates)
        drafts = find_dates(nlp(article.body), article.published_at)
        ours.append((article.body, gold, _as_system(drafts)))
        anchor = anchor_day(article.published_at)
        baseline.append((article.body, gold, dateparser_dates(article.body, anchor)))

    def section(name: str, keep: Sequence[int]) -> dict[str, Any]:
        systems = {
            "broadsheet": score_dates([ours[i] for i in keep]),
            "dateparser": score_dates([baseline[i] for i in keep]),
        }
        for scores in systems.values():
            scores["range_accuracy"] = scores["value_accuracy"]
        return {
            "dataset": f"demo corpus, hand-labelled ({labels_path.name}), {name}",
            "metric": (
                "span P/R/F1 relaxed (overlap) and strict; range_accuracy = exact (first, last) "
                "over relaxed-matched spans"
            ),
            "n": len(keep),
            "gold_dates": sum(len(labelled[i].dates) for i in keep),
            "systems": systems,
        }

    every = list(range(len(labelled)))
    held = [i for i in every if labelled[i].held_out]
    out = [section("all articles", every)]
    if held:
        out.append(section("held-out articles only (labelled before the rules saw them)", held))
    return out


# --- Run ------------------------------------------------------------------------------------------


def _gum_section(
    dataset: str,
    docs: Sequence[GumDateDoc],
    ours: Sequence[Sequence[SysDate]],
    baseline: Sequence[Sequence[SysDate]],
) -> dict[str, Any]:
    return {
        "dataset": dataset,
        "metric": (
            "span P/R/F1 relaxed (overlap) and strict; value_accuracy = exact (first, last) over "
            "relaxed-matched spans; dateline and clock-only times excluded"
        ),
        "n": len(docs),
        "gold_dates": sum(len(doc.gold) for doc in docs),
        "systems": {
            "broadsheet": score_dates(
                [(d.text, d.gold, found) for d, found in zip(docs, ours, strict=True)]
            ),
            "dateparser": score_dates(
                [(d.text, d.gold, found) for d, found in zip(docs, baseline, strict=True)]
            ),
        },
    }


def run_date_eval(
    eval_dir: Path, *, model: str | None = None, demo_labels: Path | None = DEMO_LABELS
) -> dict[str, Any]:
    """Every date measure in one run (see the module docstring); ``demo_labels=None`` skips the
    demo set. Raises ``FileNotFoundError`` when a data file is missing, ``InvalidField`` for a
    malformed one and ``ConfigError`` when no spaCy pipeline loads."""
    from broadsheet.pipeline.enrich.dates import find_dates
    from broadsheet.pipeline.enrich.entities import load_pipeline

    started = time.perf_counter()
    nlp = load_pipeline(model)
    gum = load_gum_dates(eval_dir)
    ours = []
    baseline = []
    for doc, parsed in zip(gum, nlp.pipe(d.text for d in gum), strict=True):
        moment = datetime(doc.anchor.year, doc.anchor.month, doc.anchor.day, 12, tzinfo=UTC)
        ours.append(_outside(doc.dateline, _as_system(find_dates(parsed, moment))))
        baseline.append(_outside(doc.dateline, dateparser_dates(doc.text, doc.anchor)))
    dataset = f"GUM news dates ({GUM_FILE}), all documents"
    main = _gum_section(dataset, gum, ours, baseline)
    test = [i for i, doc in enumerate(gum) if doc.split == "test"]
    also: list[dict[str, Any]] = [
        _gum_section(
            f"GUM news dates ({GUM_FILE}), official test split: "
            + ", ".join(gum[i].id for i in test),
            [gum[i] for i in test],
            [ours[i] for i in test],
            [baseline[i] for i in test],
        )
    ]
    notes = [
        f"GUM: {sum(d.dateline is not None for d in gum)} datelines and "
        f"{sum(d.clock_only for d in gum)} clock-only times left out of the gold set"
    ]
    if demo_labels is not None and demo_labels.is_file():
        also.extend(_demo_sections(nlp, demo_labels))
    elif demo_labels is not None:
        # An installed package has no tests/ folder: the GUM measures still run.
        notes.append(f"demo set skipped: {demo_labels} not found")
    return {
        "task": "dates",
        "dataset": main["dataset"],
        "n": main["n"],
        "metric": main["metric"],
        "gold_dates": main["gold_dates"],
        "systems": main["systems"],
        "also": also,
        "notes": notes,
        "seconds": round(time.perf_counter() - started, 1),
    }
