"""Figures (money, percentages, counts), measured on a hand-labelled set from the demo corpus.

The labels (``tests/data/demo_figures.json``, see its ``description``) list every amount written
with numerals in 29 demo articles, in reading order, each with its value, unit, counted noun,
change flag and, for a conversion in brackets, the second value and unit. The demo corpus is
ingested into a temporary store first, so the text is what Broadsheet stores.

Scoring, the same for every system:

- **Matching.** Each gold figure is paired with at most one system figure whose span overlaps
  it (the same span first, then the largest overlap), in reading order. ``precision``,
  ``recall`` and ``f1`` count these pairs; ``*_exact`` figures require the same span.
- **Value accuracy** (``accuracy``, the headline): over matched pairs, the share whose value is
  within 0.5% of the gold value in the same unit, and, for a conversion, whose second value and
  unit are right too (a system that adds a second value the gold lacks is wrong).
  ``accuracy_all`` divides the same correct pairs by all gold figures.
- ``change_accuracy``: matched pairs whose change/level flag agrees; ``quantity_accuracy``:
  matched counts whose counted noun has the gold head word (the last word, plural or not).

Systems: ``broadsheet`` (``find_figures`` over the pipeline's parse); ``quantulum3`` (its
``parser.parse`` over the body; currency units by their ISO code, "percentage" as percent,
dimensionless numbers as counts, other units dropped as outside the task; its unit classifier is
switched off because the pickled model it ships does not load with the installed scikit-learn,
so it runs its documented no-classifier path); ``spacy+price-parser`` (spaCy's MONEY entities
read by ``price_parser.Price`` with its currency mapped to an ISO code, PERCENT entities as
percentages; price-parser reads a given string and finds nothing in running text by itself).
A baseline library that is not installed is reported in ``notes`` and skipped.
"""

from __future__ import annotations

import json
import re
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadsheet.errors import ConfigError, InvalidField

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = [
    "DEMO_FIGURES",
    "FigureArticle",
    "FigureScores",
    "GoldFigure",
    "SysFigure",
    "load_figure_labels",
    "locate_figures",
    "match_figures",
    "run_figure_eval",
    "same_value",
    "score_figures",
]

DEMO_FIGURES = Path(__file__).resolve().parents[3] / "tests" / "data" / "demo_figures.json"
UNITS = frozenset({"percent", "percentage_point", "count"})
TOLERANCE = 0.005
_PLACES = 4


@dataclass(frozen=True, slots=True)
class GoldFigure:
    """One hand-labelled figure; ``start``/``end`` are filled in by ``locate_figures``."""

    text: str
    value: float
    unit: str
    quantity: str | None = None
    change: bool = False
    alt_value: float | None = None
    alt_unit: str | None = None
    start: int = -1
    end: int = -1


@dataclass(frozen=True, slots=True)
class SysFigure:
    """What a system found: a span and its reading."""

    start: int
    end: int
    value: float
    unit: str
    quantity: str | None = None
    change: bool = False
    alt_value: float | None = None
    alt_unit: str | None = None


@dataclass(frozen=True, slots=True)
class FigureArticle:
    """A labelled demo article, found in the store by source and title."""

    source: str
    title: str
    figures: tuple[GoldFigure, ...]


def _unit_ok(unit: str) -> bool:
    return unit in UNITS or bool(re.fullmatch(r"[A-Z]{3}", unit))


def load_figure_labels(path: Path = DEMO_FIGURES) -> list[FigureArticle]:
    """The labelled set; raises ``InvalidField`` for a unit outside the contract."""
    data = json.loads(path.read_text(encoding="utf-8"))
    articles = []
    for item in data["articles"]:
        figures = []
        for raw in item["figures"]:
            figure = GoldFigure(
                text=raw["text"],
                value=float(raw["value"]),
                unit=raw["unit"],
                quantity=raw.get("quantity"),
                change=bool(raw.get("change", False)),
                alt_value=None if raw.get("alt_value") is None else float(raw["alt_value"]),
                alt_unit=raw.get("alt_unit"),
            )
            if not _unit_ok(figure.unit) or (figure.alt_unit and not _unit_ok(figure.alt_unit)):
                raise InvalidField(f"{path.name}: unknown unit in {figure.text!r}")
            figures.append(figure)
        articles.append(FigureArticle(item["source"], item["title"], tuple(figures)))
    return articles


def locate_figures(body: str, figures: Sequence[GoldFigure]) -> list[GoldFigure]:
    """``figures`` with their spans in ``body``: each is the next occurrence of its text after
    the previous one, not inside a longer number or word. Raises ``InvalidField`` when one is
    not found."""
    cursor = 0
    located = []
    for figure in figures:
        pattern = re.compile(r"(?<![\w.,])" + re.escape(figure.text) + r"(?![\w]|[.,]\d)")
        found = pattern.search(body, cursor)
        if found is None:
            raise InvalidField(f"demo figure {figure.text!r} not found after offset {cursor}")
        located.append(_with_span(figure, found.start(), found.end()))
        cursor = found.end()
    return located


def _with_span(figure: GoldFigure, start: int, end: int) -> GoldFigure:
    return GoldFigure(
        figure.text,
        figure.value,
        figure.unit,
        figure.quantity,
        figure.change,
        figure.alt_value,
        figure.alt_unit,
        start,
        end,
    )


# --- Scoring ---------------------------------------------------------------------------------


def same_value(gold: float, system: float) -> bool:
    """Within 0.5% of the gold value (exactly equal when the gold value is 0)."""
    if gold == 0:
        return system == 0
    return abs(system - gold) <= TOLERANCE * abs(gold)


def _correct(gold: GoldFigure, system: SysFigure) -> bool:
    if gold.unit != system.unit or not same_value(gold.value, system.value):
        return False
    if gold.alt_value is None or gold.alt_unit is None:
        return system.alt_value is None
    return (
        system.alt_value is not None
        and system.alt_unit == gold.alt_unit
        and same_value(gold.alt_value, system.alt_value)
    )


def _head(quantity: str | None) -> str:
    if not quantity:
        return ""
    word = quantity.lower().split()[-1]
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _overlap(gold: GoldFigure, system: SysFigure) -> int:
    return min(gold.end, system.end) - max(gold.start, system.start)


def match_figures(gold: Sequence[GoldFigure], system: Sequence[SysFigure]) -> list[int | None]:
    """For each gold figure, the index of the system figure paired with it, or ``None``: the
    same span first, then the largest overlap; each system figure is used once."""
    pairs: list[int | None] = [None] * len(gold)
    used: set[int] = set()
    for i, g in enumerate(gold):
        for j, s in enumerate(system):
            if j not in used and (s.start, s.end) == (g.start, g.end):
                pairs[i] = j
                used.add(j)
                break
    for i, g in enumerate(gold):
        if pairs[i] is not None:
            continue
        best = max(
            (j for j, s in enumerate(system) if j not in used and _overlap(g, s) > 0),
            key=lambda j: _overlap(g, system[j]),
            default=None,
        )
        if best is not None:
            pairs[i] = best
            used.add(best)
    return pairs


@dataclass
class FigureScores:
    """Counts over one or more documents; add them up, then read the ratios."""

    gold: int = 0
    system: int = 0
    matched: int = 0
    exact: int = 0
    correct: int = 0
    change_ok: int = 0
    counts_matched: int = 0
    quantity_ok: int = 0
    conversions: int = 0
    conversions_ok: int = 0

    def __add__(self, other: FigureScores) -> FigureScores:
        return FigureScores(
            *(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__)
        )

    def as_dict(self) -> dict[str, float | int]:
        precision = _ratio(self.matched, self.system)
        recall = _ratio(self.matched, self.gold)
        precision_exact = _ratio(self.exact, self.system)
        recall_exact = _ratio(self.exact, self.gold)
        return {
            "accuracy": _r(_ratio(self.correct, self.matched)),
            "accuracy_all": _r(_ratio(self.correct, self.gold)),
            "f1": _r(_f1(precision, recall)),
            "precision": _r(precision),
            "recall": _r(recall),
            "f1_exact": _r(_f1(precision_exact, recall_exact)),
            "change_accuracy": _r(_ratio(self.change_ok, self.matched)),
            "quantity_accuracy": _r(_ratio(self.quantity_ok, self.counts_matched)),
            "conversion_accuracy": _r(_ratio(self.conversions_ok, self.conversions)),
            "gold": self.gold,
            "found": self.system,
            "matched": self.matched,
            "correct": self.correct,
        }


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _r(value: float) -> float:
    return round(value, _PLACES)


def score_figures(gold: Sequence[GoldFigure], system: Sequence[SysFigure]) -> FigureScores:
    """The counts for one document (see the module docstring)."""
    pairs = match_figures(gold, system)
    scores = FigureScores(gold=len(gold), system=len(system))
    for g, j in zip(gold, pairs, strict=True):
        if g.alt_value is not None:
            scores.conversions += 1
        if j is None:
            continue
        s = system[j]
        scores.matched += 1
        scores.exact += (s.start, s.end) == (g.start, g.end)
        ok = _correct(g, s)
        scores.correct += ok
        scores.change_ok += s.change == g.change
        if g.unit == "count":
            scores.counts_matched += 1
            scores.quantity_ok += _head(s.quantity) == _head(g.quantity)
        if g.alt_value is not None:
            scores.conversions_ok += ok
    return scores


def _kind(unit: str) -> str:
    if unit == "count":
        return "count"
    if unit in {"percent", "percentage_point"}:
        return "percent"
    return "money"


# --- Systems ---------------------------------------------------------------------------------

System = Callable[["Doc"], list[SysFigure]]


def _broadsheet(doc: Doc) -> list[SysFigure]:
    from broadsheet.pipeline.enrich.figures import find_figures

    return [
        SysFigure(f.start, f.end, f.value, f.unit, f.quantity, f.change, f.alt_value, f.alt_unit)
        for f in find_figures(doc)
    ]


def _quantulum() -> System | None:
    try:
        from quantulum3 import classifier, parser
    except ImportError:
        return None
    # The classifier pickle it ships fails to load with newer scikit-learn; its no-classifier
    # path is what an install without scikit-learn runs.
    classifier.USE_CLF = False

    def run(doc: Doc) -> list[SysFigure]:
        found = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantities = parser.parse(doc.text)
        for q in quantities:
            entity = q.unit.entity.name
            code = getattr(q.unit, "currency_code", None)
            if entity == "currency" and code:
                unit = str(code)
            elif q.unit.name in {"percentage", "per cent", "percent"}:
                unit = "percent"
            elif entity == "dimensionless":
                unit = "count"
            else:
                continue
            start, end = q.span
            found.append(SysFigure(start, end, abs(float(q.value)), unit))
        return found

    return run


def _price_parser() -> System | None:
    try:
        from price_parser import Price
    except ImportError:
        return None
    from broadsheet.pipeline.enrich.figures import CURRENCY_CODES

    symbols = {
        "$": "USD",
        "US$": "USD",
        "£": "GBP",
        "€": "EUR",
        "¥": "JPY",
        "euro": "EUR",
        "euros": "EUR",
        "yen": "JPY",
        "yuan": "CNY",
        "dollars": "USD",
    }

    def run(doc: Doc) -> list[SysFigure]:
        found = []
        for ent in doc.ents:
            if ent.label_ == "MONEY":
                price = Price.fromstring(ent.text)
                if price.amount is None:
                    continue
                currency = (price.currency or "").strip()
                unit = symbols.get(currency, symbols.get(currency.lower(), currency.upper()))
                if unit not in CURRENCY_CODES and not re.fullmatch(r"[A-Z]{3}", unit):
                    unit = "?"
                found.append(SysFigure(ent.start_char, ent.end_char, float(price.amount), unit))
            elif ent.label_ == "PERCENT":
                number = re.search(r"\d+(?:\.\d+)?", ent.text.replace(",", ""))
                if number:
                    found.append(
                        SysFigure(ent.start_char, ent.end_char, float(number.group(0)), "percent")
                    )
        return found

    return run


# --- The run ---------------------------------------------------------------------------------


def _section(
    dataset: str,
    metric: str,
    n: int,
    scores: dict[str, FigureScores],
) -> dict[str, Any]:
    return {
        "dataset": dataset,
        "metric": metric,
        "n": n,
        "systems": {name: score.as_dict() for name, score in scores.items()},
    }


def run_figure_eval(labels: Path = DEMO_FIGURES, *, model: str | None = None) -> dict[str, Any]:
    """Every system on the labelled demo set, overall and per kind (money, percent, count).

    Raises ``ConfigError`` when the labels are missing (an installed package has no ``tests/``
    folder) or no spaCy pipeline loads, and ``InvalidField`` for a malformed label."""
    from broadsheet.evaluation.entities import demo_articles
    from broadsheet.pipeline.enrich.entities import load_pipeline

    started = time.perf_counter()
    if not labels.is_file():
        raise ConfigError(f"figure labels not found: {labels} (they ship with the source tree)")
    labelled = load_figure_labels(labels)
    nlp: Language = load_pipeline(model)
    bodies = {(a.source, a.title): a.body for a in demo_articles()}
    missing = [a.title for a in labelled if (a.source, a.title) not in bodies]
    if missing:
        raise InvalidField(f"labelled demo articles not in the demo corpus: {missing}")

    systems: dict[str, System] = {"broadsheet": _broadsheet}
    notes: list[str] = []
    for name, factory in (("quantulum3", _quantulum), ("spacy+price-parser", _price_parser)):
        system = factory()
        if system is None:
            notes.append(f"{name} is not installed: skipped")
        else:
            systems[name] = system

    kinds = ("money", "percent", "count")
    overall = {name: FigureScores() for name in systems}
    by_kind = {kind: {name: FigureScores() for name in systems} for kind in kinds}
    gold_total = 0
    for article in labelled:
        body = bodies[(article.source, article.title)]
        gold = locate_figures(body, article.figures)
        gold_total += len(gold)
        doc = nlp(body)
        for name, system in systems.items():
            found = system(doc)
            overall[name] += score_figures(gold, found)
            for kind in kinds:
                by_kind[kind][name] += score_figures(
                    [g for g in gold if _kind(g.unit) == kind],
                    [s for s in found if _kind(s.unit) == kind],
                )

    dataset = f"demo corpus, hand-labelled ({labels.name}): {len(labelled)} articles"
    metric = (
        "accuracy = value within 0.5% in the same unit (both values for a conversion) over "
        "matched figures; precision/recall/f1 over spans that overlap the gold span"
    )
    main = _section(dataset, metric, gold_total, overall)
    also = [
        _section(
            dataset,
            f"{kind} only (a system figure counts where its unit is of this kind)",
            sum(1 for a in labelled for g in a.figures if _kind(g.unit) == kind),
            by_kind[kind],
        )
        for kind in kinds
    ]
    return {
        "task": "figures",
        "dataset": main["dataset"],
        "n": main["n"],
        "metric": main["metric"],
        "systems": main["systems"],
        "also": also,
        "notes": notes,
        "seconds": round(time.perf_counter() - started, 1),
    }
