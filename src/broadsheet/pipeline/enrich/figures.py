"""Figures in an article: amounts of money, percentages and counts, each with its value and unit.

A figure is found from its surface, then read with the help of the parse:

* **numbers** are written with numerals ("4,000", "12.5"); a scale word multiplies them
  ("2.7 trillion", "£22bn", "USD 5m", "¥4.2tn"); the short scales ("bn", "m", "tn", "k") count
  only on money, where "5m" cannot be five metres;
* **money** has a currency before the number (a symbol: "$", "US$", "£", "€", "¥"; an ISO 4217
  code: "USD 5m") or after it ("16.4 billion yuan", "1.9 billion euros", "0.64 U.S. dollars");
  a three-letter code the module does not know counts as a currency in an article that converts
  an amount in it ("AKR 2.9 trillion (€255 billion)");
* **percentages** ("12.5 per cent", "4%", "percent") and **percentage points** ("0.25 percentage
  points"; "25 basis points" is 0.25 points);
* **counts**: a whole number with the noun it counts, taken from the dependency parse ("4,000
  jobs", "300 additional drivers" -> "drivers", "1,200 rescue workers"), a casualty word ("17
  dead", "158 injured"), the verb whose object it is ("injuring 120" -> "injured"), the subject of
  the verb it rose to ("the death toll rose to 17" -> "death toll"), or the noun it is "of" ("a
  crowd of 61,412"). Years, clock times, dates, ages, ordinals, scores ("3-2"), ranges ("2-3 per
  cent"), hyphenated modifiers ("48-hour") and physical measures ("10 km", "45 minutes") are
  not figures;
* a **conversion in brackets** right after an amount of money is part of it: "4.2 trillion yen
  (US$28 billion)" is one figure with ``alt_value``/``alt_unit``;
* a figure is a **change** rather than a level when a verb or word of change governs it ("rose
  3.8 per cent", "up 4.1% from a year earlier", "fell 3%", "raised ... by 0.25 percentage
  points") or it measures a rise ("a 6% pay increase"); "rose to 4.5%" and "from 3.4%" are levels.

The module needs the parser's sentences and dependencies (``entities.load_pipeline()`` keeps
them), and spaCy's DATE/TIME entities to skip dates; the lemmatizer is not used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from broadsheet.model import FigureDraft

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

__all__ = ["CURRENCY_CODES", "find_figures", "parse_number"]

# ISO 4217 codes a news text writes before or after an amount ("USD 5m", "5m USD").
CURRENCY_CODES = frozenset(
    "USD EUR GBP JPY CNY CHF CAD AUD NZD HKD SGD INR KRW BRL MXN RUB ZAR SEK NOK DKK PLN TRY "
    "SAR AED ILS THB IDR MYR PHP TWD VND CZK HUF RON EGP NGN KES ARS CLP COP PEN PKR BDT UAH "
    "QAR KWD".split()
)
_CODE_ALIASES = {"RMB": "CNY"}

# Symbols, longest first so "US$" wins over "$".
_SYMBOLS = {
    "US$": "USD",
    "U.S.$": "USD",
    "A$": "AUD",
    "AU$": "AUD",
    "C$": "CAD",
    "CA$": "CAD",
    "HK$": "HKD",
    "NZ$": "NZD",
    "NT$": "TWD",
    "S$": "SGD",
    "R$": "BRL",
    "CN¥": "CNY",
    "Rs.": "INR",
    "Rs": "INR",
    "$": "USD",
    "£": "GBP",
    "€": "EUR",
    "¥": "JPY",
    "₹": "INR",
    "₩": "KRW",
    "₽": "RUB",
    "₺": "TRY",
}
# Currency words after the number; a dollar is the US dollar unless a country is named.
_WORDS = {
    "u.s. dollars": "USD",
    "u.s. dollar": "USD",
    "us dollars": "USD",
    "us dollar": "USD",
    "australian dollars": "AUD",
    "canadian dollars": "CAD",
    "hong kong dollars": "HKD",
    "new zealand dollars": "NZD",
    "singapore dollars": "SGD",
    "taiwan dollars": "TWD",
    "dollars": "USD",
    "dollar": "USD",
    "euros": "EUR",
    "euro": "EUR",
    "pounds sterling": "GBP",
    "pounds": "GBP",
    "pound": "GBP",
    "sterling": "GBP",
    "yen": "JPY",
    "yuan": "CNY",
    "renminbi": "CNY",
    "swiss francs": "CHF",
    "rupees": "INR",
    "rupee": "INR",
    "won": "KRW",
    "roubles": "RUB",
    "rubles": "RUB",
    "rand": "ZAR",
    "lira": "TRY",
    "reais": "BRL",
    "pesos": "MXN",
}
_SCALES = {
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "k": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "mln": 1e6,
    "bn": 1e9,
    "bln": 1e9,
    "b": 1e9,
    "tn": 1e12,
    "trn": 1e12,
}
_LONG_SCALES = frozenset({"thousand", "million", "billion", "trillion"})

_NUMBER = re.compile(
    # Not inside a word, a time ("4:17"), a range or score ("2-3", "3-2") or a name ("Tessaly-2").
    r"(?<![\w.,:/\-\u2013#])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d:]|[.,]\d|[-\u2013]\w)"
)
_SCALE_AFTER = re.compile(
    r"(?:\s?(?P<long>thousand|million|billion|trillion)|(?P<short>k|mn|mln|m|bn|bln|b|tn|trn))"
    r"(?![\w-])",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"\s?(?:%|per\s?cent\b|per-cent\b|percent\b|pct\b)", re.IGNORECASE)
_POINTS = re.compile(
    r"\s(?:(?P<pp>percentage[\s-]points?|pp\b)|(?P<bp>basis[\s-]points?|bps?\b))", re.IGNORECASE
)
_SYMBOL_BEFORE = re.compile(
    # Symbols led by letters ("US$", "Rs") must not continue a word; "$" and "£" may follow one.
    "(?:(?<![A-Za-z.])(?:"
    + "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True) if s[0].isalpha())
    + ")|"
    + "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True) if not s[0].isalpha())
    + r")\s?$"
)
# Some texts space the country letters from the dollar sign: "NZ $ 26 million".
_SPACED_DOLLAR = re.compile(r"(?<![\w$])([A-Z]{1,2}) \$\s?$")
_CODE_BEFORE = re.compile(r"(?<![\w$])([A-Z]{3})\s?$")
_CODE_AFTER = re.compile(r"\s?([A-Z]{3})(?!\w)")
_WORD_AFTER = re.compile(
    r"\s(" + "|".join(re.escape(w) for w in sorted(_WORDS, key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE,
)
# "(US$28 billion)", "(roughly €55)", "(about 1.2 billion yuan)" right after an amount.
_BRACKET = re.compile(
    r"\s*\(\s*(?:(?:about|around|roughly|approximately|approx\.|some|nearly|almost|or|c\.)\s+)*"
)
# Three capital letters before an amount converted in brackets: a currency this article uses.
_LEARN_CODE = re.compile(
    r"(?<![\w$])([A-Z]{3})\s?\d[\d,.]*(?:\s?(?:thousand|million|billion|trillion|k|m|bn|tn))?"
    r"\s*\(\s*(?:(?:about|around|roughly|approximately|some|nearly|almost)\s+)*"
    r"(?:US\$|\$|£|€|¥)"
)

# Nouns that measure rather than count: a figure in them is not a count of things.
_MEASURES = frozenset(
    """
    second seconds minute minutes min mins hour hours day days week weeks month months year years
    decade decades century centuries night nights morning mornings time times
    km kilometre kilometres kilometer kilometers mile miles metre metres meter meters m cm mm
    foot feet ft inch inches yard yards kg kilogram kilograms g gram grams tonne tonnes ton tons
    pound pounds lb lbs ounce ounces litre litres liter liters ml gallon gallons barrel barrels
    degree degrees celsius fahrenheit c f mph kph knots percent per cent point points
    magnitude age a.m. p.m. am pm gmt utc bst cet
    """.split()
)
_CASUALTIES = frozenset(
    {"dead", "injured", "wounded", "missing", "killed", "hurt", "displaced", "homeless"}
)
_CASUALTY_VERBS = {
    "kill": "killed",
    "killed": "killed",
    "killing": "killed",
    "kills": "killed",
    "injure": "injured",
    "injured": "injured",
    "injuring": "injured",
    "injures": "injured",
    "wound": "wounded",
    "wounded": "wounded",
    "wounding": "wounded",
    "evacuate": "evacuated",
    "evacuated": "evacuated",
    "evacuating": "evacuated",
    "arrest": "arrested",
    "arrested": "arrested",
    "arresting": "arrested",
    "rescue": "rescued",
    "rescued": "rescued",
    "rescuing": "rescued",
    "hurt": "hurt",
    "hurting": "hurt",
}
# Verbs of change, every form (the pipeline runs without a lemmatizer).
_CHANGE_VERBS = frozenset(
    """
    rise rises rose risen rising fall falls fell fallen falling jump jumps jumped jumping
    gain gains gained gaining lose loses lost losing drop drops dropped dropping
    climb climbs climbed climbing slide slides slid sliding slip slips slipped slipping
    grow grows grew grown growing increase increases increased increasing
    decrease decreases decreased decreasing decline declines declined declining
    edge edges edged edging plunge plunges plunged plunging soar soars soared soaring
    surge surges surged surging strengthen strengthens strengthened strengthening
    weaken weakens weakened weakening tumble tumbles tumbled tumbling sink sinks sank sunk
    sinking rally rallies rallied rallying advance advances advanced advancing shed sheds
    shedding raise raises raised raising cut cuts cutting lower lowers lowered lowering
    trim trims trimmed trimming hike hikes hiked hiking expand expands expanded expanding
    contract contracts contracted contracting shrink shrinks shrank shrunk shrinking
    widen widens widened widening narrow narrows narrowed narrowing add adds added adding
    lift lifts lifted lifting slump slumps slumped slumping dip dips dipped dipping
    tick ticks ticked ticking slash slashes slashed slashing boost boosts boosted boosting
    reduce reduces reduced reducing
    """.split()
)
# Nouns naming a change, after the figure: "a 6% pay increase", "a 7.5 per cent pay rise".
_CHANGE_NOUNS = frozenset(
    """
    rise rises increase increases raise raises hike hikes cut cuts drop drops fall falls
    gain gains decline declines jump jumps reduction reductions growth increment increments
    """.split()
)
# Words that may stand between a verb of change and its amount: "rose about 3%".
_HEDGES = frozenset(
    """
    about around roughly nearly almost some approximately just over under more less than
    at least most another further a an only fully either
    """.split()
)
_LEVEL_BEFORE = frozenset({"to", "from", "at", "of", "than"})
_YEAR_ON_YEAR = re.compile(
    r"^\s*,?\s*(?:(?:from|on|over|compared with|versus|vs\.?)\s+)?"
    r"(?:a\s+year\s+(?:earlier|ago|before)|(?:the\s+)?(?:previous|last|prior)\s+year|"
    r"year[\s-]on[\s-]year|year[\s-]over[\s-]year|y/y|yoy)",
    re.IGNORECASE,
)


def parse_number(text: str) -> float:
    """ "4,000" -> 4000.0, "12.5" -> 12.5."""
    return float(text.replace(",", ""))


def _clean(value: float) -> float:
    """``value`` without binary noise from scaling: 2.05 * 1e9 -> 2050000000.0."""
    return float(f"{value:.12g}")


@dataclass(frozen=True, slots=True)
class _Amount:
    start: int
    end: int
    value: float
    unit: str


def _scaled(text: str, start: int, end: int, money: bool) -> tuple[float, int] | None:
    """The number at ``start:end`` times a scale written after it, and where the scale ends.

    ``None`` when the number runs into letters that are not a scale ("200C", "100g", "5m"
    without a currency)."""
    value = parse_number(text[start:end])
    scale = _SCALE_AFTER.match(text, end)
    if scale is not None:
        long = scale.group("long")
        if long is not None:
            return _clean(value * _SCALES[long.lower()]), scale.end()
        short = scale.group("short")
        if money and short is not None:
            return _clean(value * _SCALES[short.lower()]), scale.end()
    if end < len(text) and text[end].isalpha():
        return None
    return value, end


def _currency_before(text: str, start: int, codes: frozenset[str]) -> tuple[str, int] | None:
    window = text[max(0, start - 6) : start]
    spaced = _SPACED_DOLLAR.search(window)
    if spaced is not None and spaced.group(1) + "$" in _SYMBOLS:
        return _SYMBOLS[spaced.group(1) + "$"], start - len(window) + spaced.start()
    symbol = _SYMBOL_BEFORE.search(window)
    if symbol is not None:
        sign = symbol.group(0).strip()
        return _SYMBOLS[sign], start - len(window) + symbol.start()
    code = _CODE_BEFORE.search(window)
    if code is not None:
        name = _CODE_ALIASES.get(code.group(1), code.group(1))
        if name in codes or name in CURRENCY_CODES:
            return name, start - len(window) + code.start()
    return None


def _currency_after(text: str, end: int) -> tuple[str, int] | None:
    word = _WORD_AFTER.match(text, end)
    if word is not None:
        name = word.group(1).lower()
        if name in {"pounds", "pound"} and re.match(r"\s+of\b", text[word.end() :]):
            return None  # "5 pounds of potatoes" is a weight
        return _WORDS[name], word.end()
    code = _CODE_AFTER.match(text, end)
    if code is not None:
        name = _CODE_ALIASES.get(code.group(1), code.group(1))
        if name in CURRENCY_CODES:
            return name, code.end()
    return None


def _money_at(text: str, match: re.Match[str], codes: frozenset[str]) -> _Amount | None:
    before = _currency_before(text, match.start(), codes)
    scaled = _scaled(text, match.start(), match.end(), money=True)
    if scaled is None:
        return None
    value, end = scaled
    if before is not None:
        unit, start = before
        return _Amount(start, end, value, unit)
    after = _currency_after(text, end)
    if after is not None:
        unit, stop = after
        return _Amount(match.start(), stop, value, unit)
    return None


def _percent_at(text: str, match: re.Match[str]) -> _Amount | None:
    # "5 per cent" after "2-" is a range, which the number pattern already refuses.
    end = match.end()
    percent = _PERCENT.match(text, end)
    if percent is not None:
        value = parse_number(match.group(0))
        return _Amount(match.start(), percent.end(), value, "percent")
    points = _POINTS.match(text, end)
    if points is not None:
        value = parse_number(match.group(0))
        if points.group("bp"):
            value /= 100
        return _Amount(match.start(), points.end(), value, "percentage_point")
    return None


def _learned_codes(text: str) -> frozenset[str]:
    return frozenset(m.group(1) for m in _LEARN_CODE.finditer(text))


# --- The parse -------------------------------------------------------------------------------


def _tokens(doc: Doc, start: int, end: int) -> Span | None:
    return doc.char_span(start, end, alignment_mode="expand")


def _compound_phrase(noun: Token) -> tuple[int, str]:
    """The noun with the compound nouns written right before it: "rescue workers"."""
    first = noun.i
    doc = noun.doc
    while first > 0 and doc[first - 1].dep_ == "compound" and doc[first - 1].head.i >= noun.i:
        if doc[first - 1].pos_ not in {"NOUN", "PROPN"}:
            break
        first -= 1
    return doc[first].idx, doc[first : noun.i + 1].text.lower()


def _is_measure(token: Token) -> bool:
    return token.lower_ in _MEASURES


@dataclass(frozen=True, slots=True)
class _Count:
    end: int
    quantity: str


def _count_for(doc: Doc, last: Token, number_end: int, value: float) -> _Count | None:
    """What a bare whole number counts, from the parse (see the module docstring)."""
    if value != int(value):
        return None
    head = last.head
    # "14 of 22 economists": the first number hangs on the second, which counts the noun.
    while head.like_num and head.i > last.i and head.head.i != head.i:
        head = head.head
    nxt = doc[last.i + 1] if last.i + 1 < len(doc) else None
    # "17 dead", "158 injured"
    if nxt is not None and nxt.lower_ in _CASUALTIES:
        return _Count(nxt.idx + len(nxt), nxt.lower_)
    # "4,000 jobs", "300 additional drivers", "14 of 22 economists" (the noun is after another
    # number: the figure is the number alone).
    if (
        last.dep_ in {"nummod", "quantmod", "compound", "amod", "nmod"}
        and head.pos_ == "NOUN"
        and head.i > last.i
        and head.i - last.i <= 5
        and not _is_measure(head)
    ):
        between = doc[last.i + 1 : head.i]
        if any(t.is_punct and t.text not in {"-"} for t in between):
            return None
        _, quantity = _compound_phrase(head)
        # Another number written in figures ends the span; "twenty-foot" is a modifier.
        if any(t.like_num and t.text[0].isdigit() for t in between):
            return _Count(number_end, quantity)
        return _Count(head.idx + len(head), quantity)
    # "64 of the 151 seats"
    for child in last.children:
        if child.dep_ == "prep" and child.lower_ == "of":
            objects = [t for t in child.children if t.dep_ == "pobj" and t.pos_ == "NOUN"]
            if objects and not _is_measure(objects[0]):
                return _Count(number_end, _compound_phrase(objects[0])[1])
    # "injuring 120", "killed 14"
    if last.dep_ in {"dobj", "nsubj", "nsubjpass"} and head.lower_ in _CASUALTY_VERBS:
        return _Count(number_end, _CASUALTY_VERBS[head.lower_])
    if last.dep_ == "pobj":
        prep = head
        # "the death toll rose to 17"
        if prep.lower_ == "to" and prep.head.lower_ in _CHANGE_VERBS | {"reached", "hit"}:
            subjects = [
                t
                for t in prep.head.children
                if t.dep_ in {"nsubj", "nsubjpass"} and t.pos_ == "NOUN"
            ]
            if subjects and not _is_measure(subjects[0]):
                return _Count(number_end, _compound_phrase(subjects[0])[1])
        # "a crowd of 61,412"
        if (
            prep.lower_ == "of"
            and prep.head.pos_ == "NOUN"
            and prep.head.i < prep.i
            and not _is_measure(prep.head)
        ):
            return _Count(number_end, _compound_phrase(prep.head)[1])
    return None


def _change(doc: Doc, span: Span, end_char: int) -> bool:
    """Whether the figure at ``span`` is an amount of change (see the module docstring)."""
    i = span.start - 1
    while i >= 0 and doc[i].lower_ in _HEDGES:
        i -= 1
    if i >= 0:
        word = doc[i]
        if word.lower_ in {"up", "down"}:
            return True
        if word.lower_ == "by":
            # "increase by either 49 percent or by 27 percent": the second "by" hangs on the
            # first.
            governor = word.head
            while governor.lower_ == "by" and governor.head != governor:
                governor = governor.head
            return governor.lower_ in _CHANGE_VERBS or governor.lower_ in _CHANGE_NOUNS
        if word.lower_ in _CHANGE_VERBS and word.pos_ in {"VERB", "AUX"}:
            return True
        if word.lower_ in _LEVEL_BEFORE:
            return False
    after = doc.text[end_char : end_char + 60]
    if _YEAR_ON_YEAR.match(after):
        return True
    j = span.end
    steps = 0
    while j < len(doc) and steps < 3:
        token = doc[j]
        if token.lower_ in _CHANGE_NOUNS and token.pos_ == "NOUN":
            return True
        if token.pos_ not in {"NOUN", "ADJ", "PROPN"} and token.text != "-":
            break
        j += 1
        steps += 1
    return False


def _skipped(doc: Doc, span: Span) -> bool:
    """Dates, times, ages and ordinals the entity recogniser marks, and appositions ("Ferris,
    22,")."""
    for token in span:
        if token.ent_type_ in {"DATE", "TIME", "ORDINAL"}:
            return True
        if token.like_num and token.dep_ == "appos" and token.head.pos_ == "PROPN":
            return True
    return False


def _year_like(text: str) -> bool:
    return len(text) == 4 and text.isdigit() and 1800 <= int(text) <= 2100


def _sentence(doc: Doc, start: int) -> str:
    span = _tokens(doc, start, start + 1)
    if span is None:
        return ""
    # The parser may carry a paragraph break at the end of a sentence; a sentence is one line.
    return " ".join(span[0].sent.text.split())


# --- Finding -----------------------------------------------------------------------------------


def _amount_at(text: str, match: re.Match[str], codes: frozenset[str]) -> _Amount | None:
    return _money_at(text, match, codes) or _percent_at(text, match)


def _conversion(text: str, amount: _Amount, codes: frozenset[str]) -> tuple[_Amount, int] | None:
    """A money amount in brackets right after ``amount``: the amount and the bracket's end."""
    bracket = _BRACKET.match(text, amount.end)
    if bracket is None:
        return None
    number = _NUMBER.search(text, bracket.end(), min(len(text), bracket.end() + 8))
    if number is None:
        return None
    inner = _money_at(text, number, codes)
    if inner is None or inner.start != bracket.end():
        return None
    close = re.match(r"\s*\)", text[inner.end :])
    if close is None:
        return None
    return inner, inner.end + close.end()


def find_figures(doc: Doc) -> tuple[FigureDraft, ...]:
    """Every figure in ``doc`` in reading order; offsets are into ``doc.text``."""
    text = doc.text
    codes = _learned_codes(text)
    figures: list[FigureDraft] = []
    taken_until = 0
    for match in _NUMBER.finditer(text):
        if match.start() < taken_until:
            continue
        amount = _amount_at(text, match, codes)
        if amount is not None and amount.start < taken_until:
            amount = None
        if amount is not None:
            figure = _amount_figure(doc, amount, codes)
            if figure is None:
                continue
            figures.append(figure)
            taken_until = figure.end
            continue
        count = _count_figure(doc, match)
        if count is not None:
            figures.append(count)
            taken_until = count.end
    return tuple(figures)


def _amount_figure(doc: Doc, amount: _Amount, codes: frozenset[str]) -> FigureDraft | None:
    text = doc.text
    span = _tokens(doc, amount.start, amount.end)
    if span is None:
        return None
    alt_value: float | None = None
    alt_unit: str | None = None
    end = amount.end
    if amount.unit not in {"percent", "percentage_point"}:
        converted = _conversion(text, amount, codes)
        if converted is not None:
            inner, end = converted
            alt_value, alt_unit = inner.value, inner.unit
    return FigureDraft(
        text=text[amount.start : end],
        start=amount.start,
        end=end,
        value=amount.value,
        unit=amount.unit,
        sentence=_sentence(doc, amount.start),
        change=_change(doc, span, amount.end),
        alt_value=alt_value,
        alt_unit=alt_unit,
    )


def _count_figure(doc: Doc, match: re.Match[str]) -> FigureDraft | None:
    text = doc.text
    if _year_like(match.group(0)):
        return None
    scaled = _scaled(text, match.start(), match.end(), money=False)
    if scaled is None:
        return None
    value, number_end = scaled
    span = _tokens(doc, match.start(), number_end)
    if span is None or _skipped(doc, span):
        return None
    count = _count_for(doc, span[-1], number_end, value)
    if count is None:
        return None
    return FigureDraft(
        text=text[match.start() : count.end],
        start=match.start(),
        end=count.end,
        value=value,
        unit="count",
        sentence=_sentence(doc, match.start()),
        quantity=count.quantity,
        change=_change(doc, span, number_end),
    )
