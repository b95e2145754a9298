"""Dates named in an article, resolved against its publication time.

``find_dates`` reads a parsed body (a spaCy ``Doc`` from ``entities.load_pipeline()``) and
returns one ``DateDraft`` per date expression: its text and character offsets in ``doc.text``,
the first and last calendar day it means, and its granularity.

**Time zone.** Publication times are stored in UTC and the outlet's time zone is not known, so
every relative expression is resolved on the *UTC calendar date* of the publication time. A
story published at 23:30 in New York (04:30 UTC the next day) therefore resolves "yesterday" one
day late; nothing better can be done without knowing where the outlet is.

**What is found** (English; spans are found by rules over the text, resolution is ours):

- full dates ("July 21, 2017", "21 July 2017", "Tuesday, March 8, 2011", "2017-07-21"), dates
  without a year ("September 14", "21 July", "Nov 10"), months with a year ("September 2010",
  "May last year"), months alone ("in February", "late October"), years ("2008"), decades
  ("the 1960s", "the sixties"), centuries ("the 20th century"), quarters ("the third quarter"),
  seasons ("last summer", "until spring");
- relative days ("today", "tonight", "yesterday", "tomorrow"), weekdays ("on Thursday",
  "Sunday's", "next Monday"), relative periods ("this/last/next/past/coming week, weekend, month,
  year", "this past week", "earlier this month", "later this year", "early next year", "the end of
  the month", "the end of 2027", "year end"), counted periods ("two years ago", "a decade ago",
  "the past 30 days", "the next ten years"), fixed holidays ("Christmas"), dates counted from the
  date found just before them ("the next day", "the following Tuesday", "the year before"), and
  "N years into ..." in a present or present-perfect clause (the time of writing);
- open ranges: "until (at least) 2030" runs from the publication day to the end of 2030,
  "since 2021" from the start of 2021 to the publication day.

**Which one?** An expression without a year or direction ("on Thursday", "in February",
"September 14") is placed by the tense of its clause, read from the tagger and the parse: the
verb that governs the expression (walking up its heads) and its auxiliaries. Past tense
(VBD/VBN, a past auxiliary) picks the most recent such day or month on or before the
publication date; future (a modal such as "will"/"would"/"could", an infinitive under a
present-tense clause as in "is due to end on Thursday", "due", a noun with "next": "at its next
review in February") picks the next one on or after it. A present-tense clause ("talks resume on
Monday") reads a weekday as coming and a month as the nearest one; with no verb at all a weekday
is taken as past, as in most news. A day of a month takes the nearest such day, with the tense's
side favoured by half a year.

**Ranges.** Weeks run Monday to Sunday (ISO); a weekend is Saturday and Sunday; seasons are the
northern meteorological ones (spring = March-May, ..., winter = December-February, named by the
year of its December); "early/mid/late" keep the whole unit; "the end of X" is X's last day;
"earlier this month" runs from the first of the month to the day before publication (never before
the first), "later this month" from the day after to the month's end.

**Granularity** is the unit the expression is precise to: "day" (also for a weekend and
day-counted ranges), "week", "month" (also for a season), "quarter", "year", "decade" (also for a
century, a range of ten decades).

Not resolved (left out): clock times, durations ("for eight years", "a 48-hour strike"), rates
("a year"), fiscal years, sports seasons, generic mentions ("a Sunday roast", "every Monday"),
dates anchored to an event ("day five of the World Cup"), and "N years into" in a past or future
clause (its anchor event is not a date we know).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING

from broadsheet.model import DateDraft

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

__all__ = ["Tense", "anchor_day", "find_dates"]


class Tense(Enum):
    """The time of a date's clause relative to publication, as far as the grammar tells."""

    PAST = "past"
    FUTURE = "future"
    PRESENT = "present"
    NONE = "none"


# --- Vocabulary ------------------------------------------------------------------------------

_MONTH_NAMES = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTH_ABBR = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTHS = _MONTH_NAMES | _MONTH_ABBR
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "hundred": 100,
}
_DECADE_WORDS = {
    "twenties": 20,
    "thirties": 30,
    "forties": 40,
    "fifties": 50,
    "sixties": 60,
    "seventies": 70,
    "eighties": 80,
    "nineties": 90,
}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "twenty-first": 21,
    "twenty-second": 22,
}
# Fixed-date holidays (month, day); movable feasts such as Easter are not resolved.
_HOLIDAYS = {
    "Christmas Eve": (12, 24),
    "Christmas Day": (12, 25),
    "Christmas": (12, 25),
    "Boxing Day": (12, 26),
    "New Year's Eve": (12, 31),
    "New Year's Day": (1, 1),
    "Valentine's Day": (2, 14),
    "Halloween": (10, 31),
}
# Northern meteorological seasons: (first month, offset of its year from the season's year).
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}

_MONTH_FULL_RE = "|".join(name.capitalize() for name in _MONTH_NAMES)
_MONTH_RE = rf"(?:{_MONTH_FULL_RE}|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)"
_WEEKDAY_RE = "(?:" + "|".join(calendar.day_name) + ")"
_DAY_RE = r"(?:3[01]|[12][0-9]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR_RE = r"(?:1[5-9][0-9]{2}|2[01][0-9]{2})"
_NUMBER_RE = r"(?:\d{1,3}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + ")"
_UNIT_RE = r"(?:day|week|month|year|decade|century|centurie)s?"
_MOD_RE = r"(?:(?P<mod>early|mid|late)[-\s]+)?"
_REL_RE = r"(?P<rel>this\s+past|this|last|next|past|coming|previous)"
_PERIOD_RE = r"(?P<period>week|weekend|month|year|quarter|decade|century)"
_SEASON_RE = r"(?P<season>spring|summer|autumn|fall|winter)"

# Each rule: a compiled pattern and the name of its resolver. Case-insensitive unless the pattern
# holds month or weekday names, which news always capitalises ("may" and "march" are verbs).
_FLAGS = re.IGNORECASE


def _rx(pattern: str, *, ignore_case: bool = True) -> re.Pattern[str]:
    return re.compile(pattern, _FLAGS if ignore_case else 0)


_B = r"(?<![\w$£€¥.,-])"  # not inside a number, word or amount
_E = r"(?![\w-]|[.,]\d)"

_RULES: list[tuple[re.Pattern[str], str]] = [
    (_rx(rf"{_B}(?P<y>\d{{4}})-(?P<m>\d{{2}})-(?P<d>\d{{2}}){_E}"), "iso"),
    (
        _rx(
            rf"\b(?:{_WEEKDAY_RE},?\s+)?(?:the\s+)?(?P<mon>{_MONTH_RE})\s+(?P<d>{_DAY_RE}),?\s+"
            rf"(?P<y>{_YEAR_RE}){_E}",
            ignore_case=False,
        ),
        "full",
    ),
    (
        _rx(
            rf"\b(?:{_WEEKDAY_RE},?\s+)?(?:the\s+)?(?P<d>{_DAY_RE})(?:\s+of)?\s+(?P<mon>{_MONTH_RE})"
            rf",?\s+(?P<y>{_YEAR_RE}){_E}",
            ignore_case=False,
        ),
        "full",
    ),
    (
        _rx(
            rf"\b(?:{_WEEKDAY_RE},?\s+)?(?P<mon>{_MONTH_RE})\s+(?P<d>{_DAY_RE}){_E}",
            ignore_case=False,
        ),
        "month_day",
    ),
    (
        _rx(
            rf"\b(?:{_WEEKDAY_RE},?\s+)?(?:the\s+)?(?P<d>{_DAY_RE})(?:\s+of)?\s+(?P<mon>{_MONTH_RE})\b",
            ignore_case=False,
        ),
        "month_day",
    ),
    (
        _rx(
            rf"\b{_MOD_RE}(?P<mon>{_MONTH_RE})(?:\s+of)?,?\s+(?:(?P<y>{_YEAR_RE})|"
            rf"(?P<yrel>this|last|next)\s+year){_E}",
        ),
        "month_year",
    ),
    (_rx(rf"\b{_MOD_RE}(?P<mon>{_MONTH_FULL_RE}|Sept)\b", ignore_case=False), "month"),
    (
        _rx(
            rf"\b(?:(?:the\s+)?(?P<season1>spring|summer|autumn|fall|winter)(?:\s+of)?\s+"
            rf"(?P<y>{_YEAR_RE}){_E}|(?P<srel>this|last|next|this\s+past|past|coming)\s+"
            rf"(?P<season2>spring|summer|autumn|fall|winter)\b)"
        ),
        "season",
    ),
    (
        _rx(
            r"(?:(?<=\bin\s)|(?<=\buntil\s)|(?<=\bby\s)|(?<=\bover\s)|(?<=\bduring\s)|"
            r"(?<=\bthrough\s)|(?<=\bsince\s)|(?<=\bfrom\s))"
            rf"(?:the\s+)?{_SEASON_RE}\b(?!\s+(?:of|{_YEAR_RE}))"
        ),
        "season_bare",
    ),
    (_rx(r"\b(?:today|tonight|this\s+morning|this\s+afternoon|this\s+evening)\b"), "today"),
    (
        _rx(
            r"\b(?P<holiday>"
            + "|".join(re.escape(name).replace("'", "['\u2019]") for name in _HOLIDAYS)
            + r")\b",
            ignore_case=False,
        ),
        "holiday",
    ),
    (
        _rx(
            rf"\b(?:the\s+)?(?P<rel>next|coming)\s+(?P<n>{_NUMBER_RE})\s+(?P<unit>{_UNIT_RE})\b"
            r"(?!\s+of\b)"
        ),
        "next_n",
    ),
    (_rx(r"\b(?:yesterday|last\s+night)\b"), "yesterday"),
    (_rx(r"\btomorrow\b"), "tomorrow"),
    (
        _rx(rf"\b(?P<rel>this|last|next|this\s+coming|coming)\s+(?P<wd>{_WEEKDAY_RE})\b"),
        "weekday",
    ),
    (_rx(rf"\b(?P<wd>{_WEEKDAY_RE})\b", ignore_case=False), "weekday"),
    (
        _rx(r"\b(?P<edge>earlier|later)\s+(?:this|in\s+the)\s+(?P<period>week|month|year)\b"),
        "edge",
    ),
    (
        _rx(
            r"\b(?:the\s+)?end\s+of\s+(?:(?P<rel>the|this|next|last)\s+(?P<period>week|month|"
            rf"year)|(?P<y>{_YEAR_RE}){_E}|(?P<mon>{_MONTH_FULL_RE}))",
        ),
        "end",
    ),
    (
        _rx(
            r"\bthe\s+(?:(?P<dir>next|following|previous)\s+(?P<unit>day|week|month|year|"
            rf"{_WEEKDAY_RE})|(?P<unit2>day|week|month|year)\s+(?P<dir2>before|after))\b"
        ),
        "anaphor",
    ),
    (_rx(r"\b(?P<period>year|month)[-\s]end\b"), "period_end"),
    (_rx(rf"\bthe\s+(?P<rel>past|coming)\s+{_PERIOD_RE}\b"), "relative"),
    (_rx(rf"\b{_MOD_RE}{_REL_RE}\s+{_PERIOD_RE}\b"), "relative"),
    (_rx(r"\bthe\s+weekend\b"), "weekend"),
    (
        _rx(
            rf"\b(?:the\s+)?(?P<rel>past|last)\s+(?P<n>{_NUMBER_RE})\s+(?P<unit>{_UNIT_RE})\b"
            r"(?!\s+of\b)"
        ),
        "past_n",
    ),
    (_rx(rf"\b(?P<n>{_NUMBER_RE})\s+(?P<unit>{_UNIT_RE})\s+ago\b"), "ago"),
    (_rx(rf"\b(?P<n>{_NUMBER_RE})\s+(?P<unit>{_UNIT_RE})\s+into\b"), "into"),
    (
        _rx(
            r"\b(?:the\s+)?(?P<q>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter"
            rf"(?:\s+of\s+(?P<y>{_YEAR_RE}))?\b|\bQ(?P<qn>[1-4])(?:\s+(?P<y2>{_YEAR_RE}))?\b"
        ),
        "quarter",
    ),
    (
        _rx(
            r"\b(?:the\s+)?(?:(?P<mod>early|mid|late)[-\s]+)?(?:(?P<dec>(?:1[5-9]|20)[0-9]0)['\u2019]?s"
            r"|['\u2019](?P<dec2>[0-9]0)s)(?!\w)"
        ),
        "decade",
    ),
    (
        _rx(
            r"\bthe\s+(?:(?P<mod>early|mid|late)[-\s]+)?(?P<decw>"
            + "|".join(_DECADE_WORDS)
            + r")\b"
        ),
        "decade",
    ),
    (
        _rx(
            r"\bthe\s+(?:(?P<mod>early|mid|late)[-\s]+)?(?:(?P<cn>\d{1,2})(?:st|nd|rd|th)|"
            r"(?P<cw>" + "|".join(sorted(_ORDINALS, key=len, reverse=True)) + r"))[-\s]+century\b"
        ),
        "century",
    ),
    (_rx(rf"{_B}{_MOD_RE}(?P<y>{_YEAR_RE}){_E}"), "year"),
]

_OPEN_BEFORE = re.compile(r"\b(?P<word>until|till|through|since)\s+(?:at\s+least\s+)?$", _FLAGS)
_YEAR_PREP = re.compile(
    r"\b(?:in|since|until|till|by|before|after|during|through|early|mid|late|year|season|"
    r"summer|winter|spring|autumn|fall|census)(?:\s+(?:at\s+)?(?:least|the\s+latest))?[\s-]+$",
    _FLAGS,
)
_YEAR_WEAK_PREP = re.compile(r"\b(?:from|to|of|between|and|or|the)\s+$", _FLAGS)
_AMOUNT_AFTER = re.compile(r"^(?:\s*(?:%|per\s*cent|percent)|[\s-]+years?[\s-]+old\b)", _FLAGS)
_GENERIC_BEFORE = re.compile(r"\b(?:a|an|every|each|any)\s+(?:[a-z]+\s+)?$", _FLAGS)
_AHEAD_WORDS = frozenset({"next", "upcoming", "coming", "forthcoming"})
_FUTURE_WORDS = frozenset({"due", "upcoming", "scheduled", "planned", "set"})


# --- Calendar arithmetic -----------------------------------------------------------------------


def anchor_day(published_at: datetime) -> date:
    """The calendar day relative dates count from: the UTC date of the publication time (the
    outlet's own time zone is not known). A naive time is taken as UTC."""
    if published_at.tzinfo is None:
        return published_at.date()
    return published_at.astimezone(UTC).date()


def _month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _week_range(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _year_range(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _season_range(season: str, year: int) -> tuple[date, date]:
    first_month = _SEASONS[season]
    start = date(year, first_month, 1)
    end_year, end_month = _add_months(year, first_month, 2)
    return start, _month_range(end_year, end_month)[1]


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _number(word: str) -> int | None:
    word = word.lower()
    if word.isdigit():
        return int(word)
    return _NUMBERS.get(word)


def _shift(anchor: date, n: int, unit: str) -> tuple[date, date, str] | None:
    """The ``unit`` that lies ``n`` units before ``anchor`` (negative ``n``: after)."""
    unit = unit.lower().rstrip("s").replace("centurie", "century")
    if unit == "day":
        day = anchor - timedelta(days=n)
        return day, day, "day"
    if unit == "week":
        return (*_week_range(anchor - timedelta(weeks=n)), "week")
    if unit == "month":
        year, month = _add_months(anchor.year, anchor.month, -n)
        return (*_month_range(year, month), "month")
    if unit == "year":
        return (*_year_range(anchor.year - n), "year")
    if unit == "decade":
        return (*_year_range(anchor.year - 10 * n), "year")
    return None


def _back(anchor: date, n: int, unit: str) -> date | None:
    unit = unit.lower().rstrip("s")
    if unit == "day":
        return anchor - timedelta(days=n)
    if unit == "week":
        return anchor - timedelta(weeks=n)
    if unit in ("month", "year", "decade"):
        months = n * {"month": 1, "year": 12, "decade": 120}[unit]
        year, month = _add_months(anchor.year, anchor.month, -months)
        return _safe_date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))
    return None


def _pick_year(candidates: Callable[[int], date | None], anchor: date, tense: Tense) -> int:
    """The year to give a month or a day of a month named without one.

    ``candidates(year)`` is the first day of the thing in ``year`` (None if it does not exist
    that year). Past: the latest that starts on or before the anchor's period; future: the
    earliest that ends on or after it; otherwise the nearest."""
    options = [(y, candidates(y)) for y in (anchor.year - 1, anchor.year, anchor.year + 1)]
    present = [(y, d) for y, d in options if d is not None]
    if tense is Tense.PAST:
        past = [y for y, d in present if d <= anchor]
        if past:
            return max(past)
    elif tense is Tense.FUTURE:
        future = [y for y, d in present if d >= anchor]
        if future:
            return min(future)
    return min(present, key=lambda item: (abs((item[1] - anchor).days), -item[0]))[0]


def _pick_day_year(month: int, day: int, anchor: date, tense: Tense) -> int:
    """The year of a day named without one: the nearest, with the tense's side favoured by half
    a year ("is to run from January 23", written on 28 January, is the January 23 just gone)."""
    bias = {Tense.PAST: -1, Tense.FUTURE: 1}.get(tense, 0)
    best: tuple[int, int] | None = None
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        candidate = _safe_date(year, month, day)
        if candidate is None:
            continue
        distance = (candidate - anchor).days
        cost = abs(distance) + (183 if bias and distance * bias < 0 else 0)
        if best is None or cost < best[0]:
            best = (cost, year)
    return anchor.year if best is None else best[1]


# --- Tense ---------------------------------------------------------------------------------------

_PAST_TAGS = frozenset({"VBD", "VBN"})
_PRESENT_TAGS = frozenset({"VBZ", "VBP"})


def _clause_tense(verb: Token) -> Tense:
    aux = [child for child in verb.children if child.dep_ in ("aux", "auxpass")]
    if any(child.tag_ == "MD" for child in aux):
        return Tense.FUTURE
    if any(child.tag_ == "TO" for child in aux):
        # "is due to end on Thursday": later than its governing clause; under a past one
        # ("was willing to skip class Thursday") the grammar says no more than past.
        governing = verb.head
        if governing.pos_ not in ("VERB", "AUX"):
            governing = governing.head  # "was willing to skip": the copula
        if governing is not verb and governing.tag_ in _PAST_TAGS:
            governing_aux = [c for c in governing.children if c.dep_ in ("aux", "auxpass")]
            if not any(c.tag_ in _PRESENT_TAGS or c.tag_ == "MD" for c in governing_aux):
                return Tense.PAST
        return Tense.FUTURE
    if any(child.lower_ in ("going",) for child in aux):
        return Tense.FUTURE
    if any(child.tag_ == "VBD" for child in aux):
        return Tense.PAST
    has_present_aux = any(child.tag_ in _PRESENT_TAGS for child in aux)
    if verb.tag_ == "VBN" and has_present_aux:
        # "has fallen" is past; "is expected" (present passive) describes now.
        if any(child.lower_ in ("has", "have", "'ve", "'s") for child in aux):
            return Tense.PAST
        return Tense.PRESENT
    if verb.tag_ in _PAST_TAGS:
        return Tense.PAST
    if verb.tag_ in _PRESENT_TAGS or has_present_aux:
        return Tense.PRESENT
    return Tense.NONE


def _perfect(span: Span) -> bool:
    """Whether the clause holding ``span`` is in the present perfect ("has moved")."""
    token = span.root
    for _ in range(12):
        if token.pos_ in ("VERB", "AUX") and token.i not in range(span.start, span.end):
            return token.tag_ == "VBN" and any(
                c.dep_ == "aux" and c.lower_ in ("has", "have", "'ve", "'s") for c in token.children
            )
        if token.head is token:
            return False
        token = token.head
    return False


def _tense(span: Span) -> Tense:
    """The tense of the clause that holds ``span``: from the verb its head hangs from, else from
    the verbs of the sentence (the majority of past against future)."""
    token = span.root
    for _ in range(12):
        if token.pos_ in ("NOUN", "PROPN") and any(
            child.lower_ in _AHEAD_WORDS and child.dep_ == "amod" for child in token.children
        ):
            return Tense.FUTURE  # "at its next review in February"
        if (
            token.lower_ in _FUTURE_WORDS
            and token.pos_ in ("ADJ", "VERB")
            and (token.lower_ == "due" or token.tag_ == "VBN")
        ):
            return Tense.FUTURE
        if token.pos_ in ("VERB", "AUX") and token.i not in range(span.start, span.end):
            tense = _clause_tense(token)
            if tense is not Tense.NONE:
                return tense
        if token.head is token:
            break
        token = token.head
    past = future = 0
    for word in span.sent:
        if word.tag_ == "MD":
            future += 1
        elif word.tag_ in _PAST_TAGS:
            past += 1
    if past > future:
        return Tense.PAST
    if future > past:
        return Tense.FUTURE
    return Tense.NONE


# --- Resolution ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Found:
    start: int
    end: int
    first: date
    last: date
    granularity: str


_Resolved = tuple[date, date, str]
_SCALE = ("day", "week", "month", "quarter", "year", "decade")


def _weekday(target: int, anchor: date, rel: str, tense: Tense) -> _Resolved:
    rel = " ".join(rel.lower().split())
    if rel == "next":
        day = _week_range(anchor)[0] + timedelta(days=7 + target)
    elif rel == "last":
        back = (anchor.weekday() - target) % 7 or 7
        day = anchor - timedelta(days=back)
    elif rel == "this":
        day = _week_range(anchor)[0] + timedelta(days=target)
    elif rel in ("this coming", "coming") or tense in (Tense.FUTURE, Tense.PRESENT):
        day = anchor + timedelta(days=(target - anchor.weekday()) % 7)
    else:
        day = anchor - timedelta(days=(anchor.weekday() - target) % 7)
    return day, day, "day"


def _weekend(anchor: date, rel: str, tense: Tense) -> _Resolved:
    saturday = _week_range(anchor)[0] + timedelta(days=5)
    rel = " ".join(rel.lower().split())
    if anchor.weekday() >= 5 and rel in ("this", "the"):
        pass  # the weekend we are in
    elif rel in ("last", "past", "this past", "previous") or (
        rel in ("this", "the") and tense in (Tense.PAST, Tense.NONE)
    ):
        saturday -= timedelta(days=7)
    elif rel == "next" and anchor.weekday() >= 5:
        saturday += timedelta(days=7)
    return saturday, saturday + timedelta(days=1), "day"


def _relative(anchor: date, rel: str, period: str, tense: Tense) -> _Resolved | None:
    rel = " ".join(rel.lower().split())
    period = period.lower()
    step = {"this": 0, "coming": 1, "next": 1, "last": -1, "previous": -1, "this past": -1}
    if rel == "past":
        # "the past week" counts back from today; "past year" likewise.
        if period == "weekend":
            return _weekend(anchor, "past", tense)
        if period == "week":
            return anchor - timedelta(days=7), anchor, "day"
        if period == "month":
            return (anchor - timedelta(days=30)).replace(day=1), anchor, "month"
        if period in ("year", "decade"):
            back = 10 if period == "decade" else 1
            return date(anchor.year - back, 1, 1), date(anchor.year, 12, 31), "year"
        rel = "last"
    if period == "weekend":
        return _weekend(anchor, rel, tense)
    n = step[rel]
    if period == "week":
        return (*_week_range(anchor + timedelta(weeks=n)), "week")
    if period == "month":
        year, month = _add_months(anchor.year, anchor.month, n)
        return (*_month_range(year, month), "month")
    if period == "quarter":
        q = (anchor.month - 1) // 3
        year, month = _add_months(anchor.year, q * 3 + 1, 3 * n)
        return date(year, month, 1), _month_range(*_add_months(year, month, 2))[1], "quarter"
    if period == "year":
        return (*_year_range(anchor.year + n), "year")
    if period == "decade":
        start = anchor.year // 10 * 10 + 10 * n
        return date(start, 1, 1), date(start + 9, 12, 31), "decade"
    if period == "century":
        start = (anchor.year - 1) // 100 * 100 + 1 + 100 * n
        return date(start, 1, 1), date(start + 99, 12, 31), "decade"
    return None


def _month_alone(month: int, anchor: date, tense: Tense) -> _Resolved:
    def first(year: int) -> date:
        return date(year, month, 1)

    # Compare months, not days: "in November" written on 18 November is this November.
    month_anchor = date(anchor.year, anchor.month, 1)
    year = _pick_year(first, month_anchor, tense)
    return (*_month_range(year, month), "month")


def _anaphor(g: dict[str, str | None], previous: _Resolved) -> _Resolved | None:
    """Dates such as "the next day", "the following Tuesday", "the year before": counted from
    the date found just before it in the text (the publication day when there is none)."""
    unit = (g["unit"] or g["unit2"] or "").lower()
    direction = (g["dir"] or g["dir2"] or "").lower()
    scale = "day" if unit in _WEEKDAYS else unit
    if _SCALE.index(previous[2]) > _SCALE.index(scale):
        return None  # "the next day" after "in 2015": which day is not known
    step = -1 if direction in ("previous", "before") else 1
    base = previous[1] if step > 0 else previous[0]
    if unit in _WEEKDAYS:
        target = _WEEKDAYS[unit]
        if step > 0:
            day = base + timedelta(days=(target - base.weekday() - 1) % 7 + 1)
        else:
            day = base - timedelta(days=(base.weekday() - target - 1) % 7 + 1)
        return day, day, "day"
    if unit == "day":
        day = base + timedelta(days=step)
        return day, day, "day"
    if unit == "week":
        return (*_week_range(base + timedelta(weeks=step)), "week")
    if unit == "month":
        return (*_month_range(*_add_months(base.year, base.month, step)), "month")
    return (*_year_range(base.year + step), "year")


def _resolve(
    rule: str,
    m: re.Match[str],
    anchor: date,
    tense: Tense,
    previous: _Resolved | None = None,
) -> _Resolved | None:
    g = m.groupdict()
    if rule == "iso":
        day = _safe_date(int(g["y"]), int(g["m"]), int(g["d"]))
        return None if day is None else (day, day, "day")
    if rule == "full":
        month = _MONTHS[g["mon"].rstrip(".").lower()]
        day = _safe_date(int(g["y"]), month, int(re.sub(r"\D", "", g["d"])))
        return None if day is None else (day, day, "day")
    if rule == "month_day":
        month = _MONTHS[g["mon"].rstrip(".").lower()]
        number = int(re.sub(r"\D", "", g["d"]))
        if _safe_date(2000, month, number) is None:
            return None
        year = _pick_day_year(month, number, anchor, tense)
        day = date(year, month, number)
        return day, day, "day"
    if rule == "month_year":
        month = _MONTHS[g["mon"].rstrip(".").lower()]
        if g["y"]:
            year = int(g["y"])
        else:
            year = anchor.year + {"this": 0, "last": -1, "next": 1}[g["yrel"].lower()]
        return (*_month_range(year, month), "month")
    if rule == "month":
        return _month_alone(_MONTHS[g["mon"].lower()], anchor, tense)
    if rule == "season":
        season = (g["season1"] or g["season2"]).lower()
        if g["y"]:
            return (*_season_range(season, int(g["y"])), "month")
        rel = " ".join(g["srel"].lower().split())
        return _season(season, anchor, rel, tense)
    if rule == "season_bare":
        return _season(g["season"].lower(), anchor, "", tense)
    if rule == "today":
        return anchor, anchor, "day"
    if rule == "holiday":
        month, number = _HOLIDAYS[g["holiday"].replace("\u2019", "'")]
        day = date(_pick_day_year(month, number, anchor, tense), month, number)
        return day, day, "day"
    if rule == "next_n":
        n = _number(g["n"])
        unit = g["unit"].lower().rstrip("s")
        if n is None or unit not in ("day", "week", "month", "year", "decade"):
            return None
        if unit in ("year", "decade"):
            years = n * (10 if unit == "decade" else 1)
            return date(anchor.year, 1, 1), date(anchor.year + years, 12, 31), "year"
        if unit == "month":
            end = _month_range(*_add_months(anchor.year, anchor.month, n))[1]
            return anchor.replace(day=1), end, "month"
        days = n * (7 if unit == "week" else 1)
        return anchor, anchor + timedelta(days=days), "day"
    if rule == "yesterday":
        day = anchor - timedelta(days=1)
        return day, day, "day"
    if rule == "tomorrow":
        day = anchor + timedelta(days=1)
        return day, day, "day"
    if rule == "weekday":
        return _weekday(_WEEKDAYS[g["wd"].lower()], anchor, g.get("rel") or "", tense)
    if rule == "edge":
        return _edge(g["edge"].lower(), g["period"].lower(), anchor)
    if rule == "end":
        return _end(g, anchor)
    if rule == "relative":
        return _relative(anchor, g["rel"], g["period"], tense)
    if rule == "period_end":
        if g["period"].lower() == "year":
            last = date(anchor.year, 12, 31)
        else:
            last = _month_range(anchor.year, anchor.month)[1]
        return last, last, "day"
    if rule == "anaphor":
        return _anaphor(g, previous or (anchor, anchor, "day"))

    if rule == "weekend":
        return _weekend(anchor, "the", tense)
    if rule == "past_n":
        n = _number(g["n"])
        back = None if n is None else _back(anchor, n, g["unit"])
        if back is None:
            return None
        unit = g["unit"].lower().rstrip("s")
        if unit in ("year", "decade"):
            return date(back.year, 1, 1), date(anchor.year, 12, 31), "year"
        if unit == "month":
            return back.replace(day=1), _month_range(anchor.year, anchor.month)[1], "month"
        return back, anchor, "day"
    if rule == "ago":
        n = _number(g["n"])
        return None if n is None else _shift(anchor, n, g["unit"])
    if rule == "into":
        # "Two years into the war, ..." in a present-tense clause: the time of writing.
        if tense not in (Tense.PRESENT, Tense.NONE):
            return None
        return _shift(anchor, 0, g["unit"])
    if rule == "quarter":
        q = _ORDINALS.get((g["q"] or "").lower()) or int(re.sub(r"\D", "", g["q"] or "") or g["qn"])
        year_text = g["y"] or g["y2"]
        if year_text:
            year = int(year_text)
        else:
            year = _pick_year(lambda y: date(y, 3 * q - 2, 1), anchor, tense)
        return date(year, 3 * q - 2, 1), _month_range(year, 3 * q)[1], "quarter"
    if rule == "decade":
        if g.get("dec"):
            first_year = int(g["dec"])
        elif g.get("dec2"):
            first_year = 1900 + int(g["dec2"])
        else:
            first_year = 1900 + _DECADE_WORDS[g["decw"].lower()]
        return date(first_year, 1, 1), date(first_year + 9, 12, 31), "decade"
    if rule == "century":
        number = int(g["cn"]) if g["cn"] else _ORDINALS[g["cw"].lower()]
        first_year = (number - 1) * 100
        return date(max(first_year, 1), 1, 1), date(first_year + 99, 12, 31), "decade"
    if rule == "year":
        year = int(g["y"])
        return (*_year_range(year), "year")
    return None


def _season(season: str, anchor: date, rel: str, tense: Tense) -> _Resolved:
    def first(year: int) -> date:
        return date(year, _SEASONS[season], 1)

    this_year = anchor.year - (1 if season == "winter" and anchor.month <= 2 else 0)
    current = _season_range(season, this_year)
    if rel == "this":
        year = this_year
    elif rel in ("last", "past", "this past"):
        year = this_year if current[1] < anchor else this_year - 1
    elif rel in ("next", "coming"):
        year = this_year if current[0] > anchor else this_year + 1
    elif current[0] <= anchor <= current[1]:
        year = this_year
    elif tense is Tense.PAST:
        year = this_year if current[1] < anchor else this_year - 1
    elif tense in (Tense.FUTURE, Tense.PRESENT):
        year = this_year if current[0] > anchor else this_year + 1
    else:
        year = _pick_year(first, anchor, tense)
    return (*_season_range(season, year), "month")


def _edge(edge: str, period: str, anchor: date) -> _Resolved:
    if period == "week":
        first, last = _week_range(anchor)
    elif period == "month":
        first, last = _month_range(anchor.year, anchor.month)
    else:
        first, last = _year_range(anchor.year)
    if edge == "earlier":
        return first, max(first, anchor - timedelta(days=1)), period
    return min(last, anchor + timedelta(days=1)), last, period


def _end(g: dict[str, str | None], anchor: date) -> _Resolved | None:
    if g.get("y"):
        last = date(int(g["y"] or 0), 12, 31)
    elif g.get("mon"):
        month = _MONTHS[(g["mon"] or "").lower()]
        year = anchor.year if month >= anchor.month - 1 else anchor.year + 1
        last = _month_range(year, month)[1]
    else:
        rel = (g.get("rel") or "the").lower()
        n = {"the": 0, "this": 0, "next": 1, "last": -1}[rel]
        period = (g.get("period") or "").lower()
        found = _relative(
            anchor, "this" if n == 0 else ("next" if n > 0 else "last"), period, Tense.NONE
        )
        if found is None:
            return None
        last = found[1]
    return last, last, "day"


# --- Finding ---------------------------------------------------------------------------------


def _candidates(text: str) -> Iterator[tuple[int, int, str, re.Match[str]]]:
    for pattern, rule in _RULES:
        for m in pattern.finditer(text):
            yield m.start(), m.end(), rule, m


def _keep_year(text: str, m: re.Match[str], doc: Doc) -> bool:
    """A bare four-digit number is a year when the words around it say so: a time preposition
    before it ("in 1999", "by 2050") or a DATE entity over it; not an amount ("1709
    schoolchildren", "2000 per cent") nor an age ("a 2000 year old tradition")."""
    if m.group("mod"):
        return True
    after = text[m.end() : m.end() + 24]
    if _AMOUNT_AFTER.match(after):
        return False
    span = doc.char_span(m.start("y"), m.end("y"), alignment_mode="expand")
    if span is None:
        return False
    token = span[-1]
    before = text[max(0, m.start() - 20) : m.start()]
    if _YEAR_PREP.search(before):
        return True
    counted = token.dep_ == "nummod" and token.head.tag_ == "NNS" and token.head.i > token.i
    if counted and not re.search(r"\b(?:the|its|their|his|her|this|that)\s+$", before, _FLAGS):
        return False  # "1999 euros", "1709 schoolchildren" (but "the 2014 protests")
    if token.ent_type_ == "DATE":
        return True
    if token.ent_type_ in ("CARDINAL", "QUANTITY", "MONEY", "PERCENT"):
        return False
    following = token.nbor(1) if token.i + 1 < len(doc) else None
    if _YEAR_WEAK_PREP.search(before) and (following is None or following.tag_ != "NNS"):
        return True
    # "the 2014 protests": a year modifying a noun, unless the noun counts things.
    return following is not None and following.tag_ in ("NN", "NNP") and token.dep_ != "nummod"


def _plausible(rule: str, m: re.Match[str], doc: Doc) -> bool:
    text = doc.text
    if rule == "year":
        return _keep_year(text, m, doc)
    if rule in ("weekday", "month") and _GENERIC_BEFORE.search(
        text[max(0, m.start() - 24) : m.start()]
    ):
        return False  # "a Sunday roast", "a wet Tuesday in January", "every Monday"
    if rule == "month":
        # "May" and "March" are also verbs; a month is a proper noun or a DATE entity.
        span = doc.char_span(m.start("mon"), m.end("mon"), alignment_mode="expand")
        if span is None:
            return False
        token = span[0]
        if token.lower_ in ("may", "march") and (
            token.tag_ not in ("NNP", "NNPS") and token.ent_type_ != "DATE"
        ):
            return False
        return token.tag_ != "MD"
    return True


def _expression_span(doc: Doc, start: int, end: int) -> Span | None:
    return doc.char_span(start, end, alignment_mode="expand")


def _widen_open_range(text: str, found: _Found, anchor: date) -> _Found:
    """Open ranges: "until 2030" runs from the publication day to the end of 2030, "since 2021"
    from 2021 to the publication day. The preposition joins the span."""
    before = _OPEN_BEFORE.search(text[max(0, found.start - 20) : found.start])
    if before is None:
        return found
    start = found.start - (len(before.group(0)))
    word = before.group("word").lower()
    if word == "since" and found.first <= anchor:
        return _Found(start, found.end, found.first, anchor, found.granularity)
    if word != "since" and found.last >= anchor:
        return _Found(start, found.end, min(anchor, found.first), found.last, found.granularity)
    return found


def find_dates(doc: Doc, published_at: datetime, *, guessed: bool = False) -> tuple[DateDraft, ...]:
    """Every date expression in ``doc`` resolved against ``published_at`` (see the module
    docstring), in text order; ``guessed`` (a guessed publication time) is passed to each."""
    anchor = anchor_day(published_at)
    text = doc.text
    hits = sorted(_candidates(text), key=lambda h: (h[0], -(h[1] - h[0])))
    taken: list[tuple[int, int]] = []
    found: list[_Found] = []
    for start, end, rule, m in hits:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        if not _plausible(rule, m, doc):
            continue
        span = _expression_span(doc, start, end)
        tense = _tense(span) if span is not None else Tense.NONE
        if rule == "into" and span is not None and _perfect(span):
            tense = Tense.PRESENT  # "two years into the war, the front has barely moved"
        previous = (found[-1].first, found[-1].last, found[-1].granularity) if found else None
        try:
            resolved = _resolve(rule, m, anchor, tense, previous)
        except (ValueError, OverflowError):
            resolved = None  # outside the calendar: "999 decades ago"
        if resolved is None:
            continue
        taken.append((start, end))
        found.append(_Found(start, end, *resolved))
    drafts = []
    for item in sorted(found, key=lambda f: f.start):
        item = _widen_open_range(text, item, anchor)
        drafts.append(
            DateDraft(
                text=text[item.start : item.end],
                start=item.start,
                end=item.end,
                first=item.first,
                last=item.last,
                granularity=item.granularity,
                guessed=guessed,
            )
        )
    return tuple(drafts)
