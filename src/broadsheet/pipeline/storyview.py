"""The story view (#8): what happened, who reports what, and where the outlets disagree.

``build_view`` is a pure function over the story's articles (``ViewArticle``: sentences come from
the paragraphs, entity ids, quotes, figures and dates from the enrich stage) to a ``StoryView``.
Nothing is generated: every sentence shown is a sentence (or a clause of a long sentence) one of
the outlets wrote, and it cites every article that carries the same claim.

How it works:

1. **Claims.** Each article is split into sentences (a long sentence into its ``;`` clauses); a
   dateline ("ANKARA, Nov 12 (Meridian Wire) - ") is left off the text shown. Each claim keeps
   the entities, figures, dates and quotes whose offsets fall inside it.
2. **Outlets.** A syndicated copy (``duplicate_of``) belongs to its original's *copy group*: the
   group counts as one outlet (its original's), and two members of one group never conflict.
3. **Alignment.** Claims of different articles are compared by tf-idf cosine over crude stems
   plus the overlap of their entities and of their exact figures; claims are grouped by
   average-linkage agglomeration that never puts two claims of one article in one group.
4. **Coverage.** A group carried by two or more independent outlets is *agreed*; one carried by a
   single outlet is *unique* to it.
5. **Summary.** Groups are ranked by how many independent outlets carry them, their centrality
   (cosine to the story's centroid) and how early they come in their articles; sentences too
   similar to one already chosen are skipped (redundancy control); 4-7 are kept.
6. **Conflicts.** Figures of one unit are matched across copy groups by the words around them
   (with a small table of synonyms: "killed"/"death toll", "crowd"/"attendance") and the
   similarity of their sentences; matched figures that differ are a conflict. Dates likewise.
   The same quote attributed to different named speakers, a speaker's quote in different
   wording, and aligned sentences that name a different person in the same role are conflicts
   too. Matches are joined across the story, so one conflict lists every variant with all its
   sources.
7. **Quotes table** (speaker -> quotes, each citing its articles) and **timeline** (resolved
   dates of events with a sentence naming them, and when each outlet reported).

The thresholds below were set by reading the bundled demo corpus and the ECB+ dev split; none
was fitted on the ECB+ test split, on which ``broadsheet eval storyview`` reports.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import numpy as np

from broadsheet.model import (
    ArticleId,
    AttributedQuote,
    CitedText,
    Conflict,
    ConflictVariant,
    DateDraft,
    EntityType,
    FigureDraft,
    SpeakerQuotes,
    StoryView,
    TimelineEntry,
    ViewArticle,
)

__all__ = [
    "Claim",
    "ViewSettings",
    "build_view",
    "content_stems",
    "split_claims",
]

# --- heuristics kept as data ---------------------------------------------------------------------

_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just least many me more most much my myself near nearly no nor not now of off on
    once only or other our ours out over own per said same says she should so some such than that
    the their theirs them then there these they this those through to too under until up upon us
    very was we were what when where which while who whom why will with would you your yours
    according told say saying around roughly approximately almost than""".split()
)
# Words that say nothing about which quantity a figure counts ("14 people", "about 300").
# Units and time words are left out too: "per cent" and "a year" are next to half the figures
# of an economics story whatever they count.
_GENERIC_CONTEXT = frozenset(
    """peopl person total figur numbe some abou cent perce point basis billi milli thous trill
    year month week day days today earli later time monda tuesd wedne thurs frida satur sunda
    janua febru march april may june july augus septe octob novem decem""".split()
)
# Stems that name the same slot of a news story in different words; the canonical form is the key.
_SLOT_SYNONYMS: Mapping[str, str] = {
    **dict.fromkeys(("kill", "dead", "death", "die", "died", "toll", "fatal", "victi"), "KILL"),
    **dict.fromkeys(("injur", "wound", "hurt"), "INJUR"),
    **dict.fromkeys(("crowd", "atten", "spect", "fans"), "CROWD"),
    **dict.fromkeys(("cost", "price", "value", "worth", "budge"), "COST"),
    **dict.fromkeys(("loss", "losse", "lose", "lost"), "LOSS"),
    **dict.fromkeys(("turno", "voter", "turne"), "TURNOUT"),
    **dict.fromkeys(("ship", "vesse", "boat"), "SHIP"),
    **dict.fromkeys(("gain", "rose", "rise", "climb", "jump", "firme", "stren"), "UP"),
}
# Date phrases whose resolution depends on when each article was published: two outlets
# writing "tonight" a day apart do not disagree.
_RELATIVE_DATES = re.compile(
    r"^(?:to(?:day|night|morrow)|yesterday|this (?:week|month|year|morning|evening)|"
    r"(?:last|next) (?:week|month|year)|earlier|later|recently|now)\b",
    re.IGNORECASE,
)
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr st mt ft jr sr gen gov sen rep lt col capt prof inc corp co ltd no vs u.s
    u.k a.m p.m jan feb mar apr jun jul aug sep sept oct nov dec approx est fig e.g i.e
    etc""".split()
)
_WORD = re.compile(r"[\w][\w'\u2019.-]*\w|\w")
_BOUNDARY = re.compile(r"[.!?][\"\u201d\u2019)\]]*\s+")
# "ANKARA, Nov 12 (Meridian Wire) - ", "VELGRAD, Estrava, Nov 16 (Meridian Wire) - ", "LONDON - "
_DATELINE = re.compile(
    r"^[A-ZÀ-Þ][A-ZÀ-Þ ./'\u2019-]{1,40}(?:,\s*[A-Z][a-z]+(?: [A-Z][a-z]+)?(?=,))?"
    r"(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2})?\s*(?:\([^)]{1,40}\))?\s*[-\u2013\u2014]+\s+"
)
# "(Reporting by ...; Editing by ...)": an aside in brackets is not a claim.
_ASIDE = re.compile(r"^\(.*\)\.?$")
_BRACKET = re.compile(r"\(([^)]*\d[^)]*)\)")
_PRONOUN_START = re.compile(r"^(?:he|she|it|they|this|that|these|those|his|her|their)\b", re.I)
# A sentence that is nothing but a quote: out of its article nobody knows who said it.
_BARE_QUOTE = re.compile(r"^[\"\u201c][^\"\u201c\u201d]*[\"\u201d]$")
# '"...," he said.': out of its article nobody knows who "he" is.
_PRONOUN_SPEAKER = re.compile(
    r"[\"\u201d\u2019],?\s+(?:he|she|they)\s+(?:said|says|added|told|wrote)\b", re.I
)
_QUOTE_CHARS = str.maketrans(
    dict.fromkeys("\"\u201c\u201d\u2018\u2019'\u00ab\u00bb,.;:!?()[]\u2014\u2013-", " ")
)

# Alignment: a claim pair is "the same fact" at this combined similarity (average linkage).
ALIGN_THRESHOLD = 0.5
# The summary aligns more strictly than the coverage lists: a citation there is a promise that
# the article says this, so recall is traded for precision. Both were chosen on the ECB+ dev
# split (citation precision 0.983, recall 0.74 there with REDUNDANCY below), never on test.
SUMMARY_ALIGN_THRESHOLD = 0.6
# A summary sentence cites an article whose claim is at least this close to it.
CITE_THRESHOLD = 0.7
# Matching figures/dates: context overlap (proximity-weighted) + sentence similarity.
SLOT_THRESHOLD = 1.0
# Two quotes are the same quote when this share of the shorter one's words is in the longer.
SAME_QUOTE = 0.8
# Different wording of one speaker's quote: similar sequences below SAME_QUOTE containment.
REWORDED_QUOTE = 0.6
# Sentences this alike state the same fact even when no word next to the figure is shared.
STRONG_ALIGNMENT = 0.6
# "Who" conflicts: aligned sentences naming different people, no person in common.
WHO_THRESHOLD = 0.4
# Summary sentences: more alike (tf-idf cosine) than this to one already chosen are redundant
# (chosen on the ECB+ dev split: 0.5 and 0.4 gave more overlap and lower citation recall).
REDUNDANCY = 0.35
MIN_CLAIM_WORDS = 6
MAX_CLAIM_WORDS = 70
LONG_SENTENCE_WORDS = 45
CONTEXT_WINDOW = 6


@dataclass(frozen=True, slots=True)
class ViewSettings:
    """The knobs of ``build_view`` in one object; defaults are the shipped values."""

    min_summary: int = 4
    max_summary: int = 7
    max_unique_per_outlet: int = 8
    max_agreed: int = 20


# --- claims --------------------------------------------------------------------------------------


def stem(word: str) -> str:
    """A crude stem: lower case, possessive and common suffixes off, first five letters."""
    w = word.lower().replace("\u2019", "'")
    if w.endswith("'s"):
        w = w[:-2]
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)]
            break
    return w[:5]


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def content_stems(text: str) -> list[str]:
    """The stems of the content words of ``text`` (stopwords out), in order."""
    return [stem(w) for w, _s, _e in _words(text) if w.lower() not in _STOPWORDS]


@dataclass(slots=True)
class Claim:
    """One sentence or clause of one article, with what the enrich stage found inside it."""

    article: ViewArticle
    root: int  # the copy group (the original's article id)
    outlet: str  # the copy group's outlet
    position: int  # index of the claim in its article
    text: str  # as shown: the source text, dateline left off
    start: int  # offsets of ``text`` in the article body
    end: int
    stems: Counter[str] = field(default_factory=Counter)
    entities: frozenset[int] = frozenset()
    persons: dict[int, str] = field(default_factory=dict)
    figures: list[FigureDraft] = field(default_factory=list)
    dates: list[DateDraft] = field(default_factory=list)
    quotes: list[AttributedQuote] = field(default_factory=list)
    dateline_end: int = 0

    @property
    def word_count(self) -> int:
        return len(_words(self.text))


def _sentence_spans(paragraph: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        end = match.end()
        nxt = paragraph[end : end + 2]
        if not nxt or not (nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in '"\u201c\u2018(['):
            continue
        before = paragraph[start : match.start() + 1].split()
        last = before[-1].rstrip(".").lower().lstrip('("“') if before else ""
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue
        spans.append((start, match.start() + len(match.group().rstrip())))
        start = end
    if paragraph[start:].strip():
        spans.append((start, len(paragraph.rstrip())))
    return spans


def _clauses(text: str, start: int) -> list[tuple[int, int]]:
    """A long sentence split at its semicolons, each clause long enough to stand alone."""
    if len(text.split()) <= LONG_SENTENCE_WORDS or ";" not in text:
        return [(start, start + len(text))]
    parts: list[tuple[int, int]] = []
    offset = 0
    for piece in text.split(";"):
        stripped = piece.strip()
        if stripped:
            lead = piece.index(stripped[0])
            parts.append((start + offset + lead, start + offset + lead + len(stripped)))
        offset += len(piece) + 1
    if any(len(text[s - start : e - start].split()) < MIN_CLAIM_WORDS for s, e in parts):
        return [(start, start + len(text))]
    return parts


def split_claims(article: ViewArticle) -> list[tuple[int, int, int]]:
    """``(start, end, dateline_end)`` of each claim of the article, offsets in its body."""
    found: list[tuple[int, int, int]] = []
    offset = 0
    for paragraph in article.paragraphs:
        for s, e in _sentence_spans(paragraph):
            sentence = paragraph[s:e]
            dateline = _DATELINE.match(sentence) if not found else None
            shown = dateline.end() if dateline else 0
            for cs, ce in _clauses(sentence[shown:], s + shown):
                found.append((offset + cs, offset + ce, offset + s + shown))
        offset += len(paragraph) + 2
    return found


def _roots(articles: Sequence[ViewArticle]) -> dict[int, int]:
    by_id = {a.id: a for a in articles}
    roots: dict[int, int] = {}
    for article in articles:
        current, seen = article, {article.id}
        while current.duplicate_of is not None:
            parent = by_id.get(current.duplicate_of)
            if parent is None:
                roots[article.id] = current.duplicate_of
                break
            if parent.id in seen:
                break
            seen.add(parent.id)
            current = parent
        roots.setdefault(article.id, current.id)
    return roots


def _claims(articles: Sequence[ViewArticle]) -> list[Claim]:
    roots = _roots(articles)
    by_id = {a.id: a for a in articles}
    claims: list[Claim] = []
    for article in articles:
        root = roots[article.id]
        outlet = by_id[ArticleId(root)].source if root in by_id else article.source
        body = article.body
        for position, (start, end, shown) in enumerate(split_claims(article)):
            text = body[start:end].strip()
            if not text:
                continue
            inside = [m for m in article.mentions if start <= m.start < end]
            claims.append(
                Claim(
                    article=article,
                    root=root,
                    outlet=outlet,
                    position=position,
                    text=text,
                    start=start,
                    end=end,
                    stems=Counter(content_stems(text)),
                    entities=frozenset(m.entity_id for m in inside),
                    persons={m.entity_id: m.name for m in inside if m.type is EntityType.PERSON},
                    figures=[f for f in article.figures if start <= f.start < end],
                    dates=[d for d in article.dates if start <= d.start < end and d.start >= shown],
                    quotes=[q for q in article.quotes if start <= q.quote.start < end],
                    dateline_end=shown,
                )
            )
    return claims


# --- similarity ----------------------------------------------------------------------------------


def _tfidf(claims: Sequence[Claim]) -> np.ndarray:
    """Unit tf-idf rows over the claims' stems (idf over the story's copy groups' claims)."""
    vocab: dict[str, int] = {}
    for claim in claims:
        for s in claim.stems:
            vocab.setdefault(s, len(vocab))
    matrix = np.zeros((len(claims), max(len(vocab), 1)), dtype=np.float64)
    df: Counter[str] = Counter()
    seen_roots: set[tuple[int, str]] = set()
    for claim in claims:
        for s in claim.stems:
            if (claim.root, s) not in seen_roots:
                seen_roots.add((claim.root, s))
                df[s] += 1
    n_groups = len({c.root for c in claims}) or 1
    for i, claim in enumerate(claims):
        for s, count in claim.stems.items():
            matrix[i, vocab[s]] = (1 + math.log(count)) * (
                1 + math.log((1 + n_groups) / (1 + df[s]))
            )
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: np.ndarray = matrix / norms
    return result


def _figure_key(f: FigureDraft) -> tuple[str, float]:
    return (f.unit, round(f.value, 6))


def _similarity(claims: Sequence[Claim], vectors: np.ndarray) -> np.ndarray:
    """Combined claim similarity: 0.75 tf-idf cosine + 0.25 entity Jaccard, +0.1 per shared
    exact figure (capped at 1). Claims of one article get 0 (they are never the same claim)."""
    sim: np.ndarray = np.asarray(vectors @ vectors.T, dtype=np.float64)
    n = len(claims)
    for i in range(n):
        for j in range(i + 1, n):
            base = float(sim[i, j])
            a, b = claims[i], claims[j]
            if a.article.id == b.article.id:
                sim[i, j] = sim[j, i] = 0.0
                continue
            if base < 0.15:
                continue
            if a.entities or b.entities:
                union = len(a.entities | b.entities)
                base = 0.75 * base + 0.25 * (len(a.entities & b.entities) / union)
            shared = {_figure_key(f) for f in a.figures} & {_figure_key(f) for f in b.figures}
            base = min(1.0, base + 0.1 * len(shared))
            sim[i, j] = sim[j, i] = base
    np.fill_diagonal(sim, 1.0)
    return sim


def _align(claims: Sequence[Claim], sim: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage groups of claims, at most one claim per article in a group."""
    parent = list(range(len(claims)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(claims))}
    articles: dict[int, set[int]] = {i: {claims[i].article.id} for i in range(len(claims))}
    rows, cols = np.nonzero(np.triu(sim, k=1) >= threshold)
    pairs = sorted(zip(rows.tolist(), cols.tolist(), strict=True), key=lambda p: -sim[p[0], p[1]])

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        gi, gj = find(i), find(j)
        if gi == gj or articles[gi] & articles[gj]:
            continue
        block = sim[np.ix_(members[gi], members[gj])]
        if float(block.mean()) < threshold:
            continue
        parent[gj] = gi
        members[gi] += members.pop(gj)
        articles[gi] |= articles.pop(gj)
    return list(members.values())


# --- summary and coverage ------------------------------------------------------------------------


def _cited(claims: Sequence[Claim], indices: Iterable[int], text: str) -> CitedText:
    # Originals first, so ``sources[0]`` is the outlet a unique claim belongs to.
    chosen = sorted(
        {claims[i].article.id: claims[i] for i in indices}.values(),
        key=lambda c: (c.article.duplicate_of is not None, c.article.published_at, c.article.id),
    )
    return CitedText(
        text=text,
        citations=tuple(c.article.id for c in chosen),
        sources=tuple(dict.fromkeys(c.article.source for c in chosen)),
        outlets=len({c.outlet for c in chosen}),
    )


def _representative(claims: Sequence[Claim], group: Sequence[int]) -> int:
    """The member from the earliest original (a copy only when no original carries it)."""
    return min(
        group,
        key=lambda i: (
            claims[i].article.duplicate_of is not None,
            claims[i].article.published_at,
            claims[i].article.id,
            claims[i].position,
        ),
    )


def _is_summary_candidate(claim: Claim) -> bool:
    words = claim.word_count
    return MIN_CLAIM_WORDS <= words <= MAX_CLAIM_WORDS and sum(claim.stems.values()) >= 4


def _summary(
    claims: Sequence[Claim],
    groups: Sequence[list[int]],
    sim: np.ndarray,
    vectors: np.ndarray,
    settings: ViewSettings,
    disputed: frozenset[str] = frozenset(),
) -> list[tuple[list[int], int]]:
    """The chosen groups (with their representative claim), in reading order. A sentence that
    states the minority side of a conflict (``disputed``) is shown under the conflicts and
    only as a last resort in the summary."""
    originals = [i for i, c in enumerate(claims) if c.article.duplicate_of is None] or list(
        range(len(claims))
    )
    centroid = vectors[originals].sum(axis=0)
    norm = float(np.linalg.norm(centroid)) or 1.0
    centroid = centroid / norm
    total_outlets = len({c.outlet for c in claims}) or 1
    scored: list[tuple[float, list[int], int]] = []
    for group in groups:
        rep = _representative(claims, group)
        if not _is_summary_candidate(claims[rep]):
            continue
        outlets = len({claims[i].outlet for i in group})
        centrality = float(vectors[group].mean(axis=0) @ centroid)
        position = min(claims[i].position for i in group)
        score = 0.5 * outlets / total_outlets + 0.35 * centrality + 0.15 / (1 + position)
        if any(claims[i].text in disputed for i in group):
            score *= 0.5
        if (
            _PRONOUN_START.match(claims[rep].text)
            or _PRONOUN_SPEAKER.search(claims[rep].text)
            or _BARE_QUOTE.match(claims[rep].text)
        ):
            score *= 0.6  # a dangling "He said" reads badly out of its article
        scored.append((score, group, rep))
    scored.sort(key=lambda item: -item[0])
    target = min(settings.max_summary, max(settings.min_summary, 3 + total_outlets // 2))
    chosen: list[tuple[list[int], int]] = []
    for _score, group, rep in scored:
        if len(chosen) >= target:
            break
        if any(float(vectors[rep] @ vectors[other]) > REDUNDANCY for _g, other in chosen):
            continue
        chosen.append((group, rep))
    chosen.sort(key=lambda item: (min(claims[i].position for i in item[0]), item[1]))
    return chosen


def _supports(rep: Claim, other: Claim) -> bool:
    """Does ``other``'s article back the specifics of ``rep``: every figure it gives, and at
    least half the entities it names? A paraphrase that lacks them states a vaguer claim, and
    citing it for the specific one would overstate what that outlet reported."""
    if other.article.id == rep.article.id:
        return True
    figures = {_figure_key(f) for f in other.article.figures}
    if any(_figure_key(f) not in figures for f in rep.figures):
        return False
    if rep.entities:
        named = {m.entity_id for m in other.article.mentions}
        if len(rep.entities & named) * 2 < len(rep.entities):
            return False
    return True


def _best_supported(claims: Sequence[Claim], group: Sequence[int]) -> int:
    """The member whose specifics most other members back (ties: the earliest original), so
    the sentence shown is one every cited article really carries."""
    first = _representative(claims, group)
    return max(
        group,
        key=lambda i: (
            sum(_supports(claims[i], claims[j]) for j in group),
            i == first,
        ),
    )


def _backed_groups(claims: Sequence[Claim], groups: Sequence[list[int]]) -> list[list[int]]:
    """Each aligned group split into the members that back its best-supported sentence and the
    rest (a paraphrase with another figure is not agreement with it), the rest split again."""
    found: list[list[int]] = []
    pending = [list(g) for g in groups]
    while pending:
        group = pending.pop()
        rep = _best_supported(claims, group)
        backed = [i for i in group if _supports(claims[rep], claims[i])]
        rest = [i for i in group if i not in backed]
        found.append(backed)
        if rest:
            pending.append(rest)
    return found


def _widen_citations(
    claims: Sequence[Claim], group: list[int], rep: int, sim: np.ndarray
) -> list[int]:
    """The group plus, for each article outside it, its best claim when that is close enough:
    an article carrying the claim must be cited even if alignment put its sentence elsewhere."""
    inside = {claims[i].article.id for i in group}
    best: dict[int, tuple[float, int]] = {}
    for j, claim in enumerate(claims):
        if claim.article.id in inside:
            continue
        score = float(sim[rep, j])
        if score >= CITE_THRESHOLD and score > best.get(claim.article.id, (0.0, -1))[0]:
            best[claim.article.id] = (score, j)
    return group + [j for _s, j in best.values()]


# --- conflicts -----------------------------------------------------------------------------------


def _slot_context(claim: Claim, start: int, end: int, extra: str | None) -> dict[str, float]:
    """Proximity-weighted stems around a span of the claim (1/distance in content words)."""
    words = [
        (stem(w), claim.start + s, claim.start + e)
        for w, s, e in _words(claim.text)
        if w.lower() not in _STOPWORDS and not any(ch.isdigit() for ch in w)
    ]
    # The window stops at the next number: the words past it belong to that figure.
    numbers = [claim.start + s for w, s, _e in _words(claim.text) if any(ch.isdigit() for ch in w)]
    left = max((n for n in numbers if n < start), default=-1)
    right = min((n for n in numbers if n >= end), default=claim.end + 1)
    before = [w for w in words if left < w[1] and w[2] <= start][::-1][:CONTEXT_WINDOW]
    after = [w for w in words if w[1] >= end and w[2] <= right][:CONTEXT_WINDOW]
    context: dict[str, float] = {}
    for side in (before, after):
        for distance, (s, _a, _b) in enumerate(side, start=1):
            key = _SLOT_SYNONYMS.get(s, s)
            if key in _GENERIC_CONTEXT:
                continue
            context[key] = max(context.get(key, 0.0), 1.0 / distance)
    if extra:  # the counted noun the figure extractor found ("158 injured"): strong evidence
        for s in content_stems(extra):
            key = _SLOT_SYNONYMS.get(s, s)
            if key not in _GENERIC_CONTEXT:
                context[key] = max(context.get(key, 0.0), 2.0)
    return context


def _context_overlap(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Shared context words, weighted by closeness; a shared slot word ("killed"/"death toll",
    "cost"/"budgeted") counts double, as it names what the figure measures."""
    return sum(a[k] * b[k] * (2.0 if k.isupper() else 1.0) for k in a.keys() & b.keys())


@dataclass(frozen=True, slots=True)
class _Slot:
    """A figure or date in a claim, ready to be matched with its counterparts elsewhere."""

    claim: int
    kind: str
    key: str  # unit (figures) or granularity (dates): only equal keys are compared
    value: str  # normalised value: equal values agree
    shown: str  # the value as written
    context: dict[str, float]
    change: bool = False
    low: float = 0.0
    high: float | None = None  # dates: the last day (figures: equal to low)


def _figure_slots(claims: Sequence[Claim]) -> list[_Slot]:
    """One slot per figure, and one more for a conversion in brackets: "4.2 trillion yen
    (US$28 billion)" agrees with "¥4.2tn" and disagrees with "¥4.2tn ($27.6bn)"."""
    slots = []
    for i, claim in enumerate(claims):
        for f in claim.figures:
            context = _slot_context(claim, f.start, f.end, f.quantity)
            slots.append(
                _Slot(i, "figure", f.unit, f"{f.value:.4g}", f.text, context, f.change, f.value)
            )
            if f.alt_value is not None and f.alt_unit:
                bracket = _BRACKET.search(f.text)
                shown = bracket.group(1) if bracket else f"{f.alt_value:g} {f.alt_unit}"
                slots.append(
                    _Slot(
                        i,
                        "figure",
                        f.alt_unit,
                        f"{f.alt_value:.4g}",
                        shown,
                        context,
                        f.change,
                        f.alt_value,
                    )
                )
    return slots


def _date_slots(claims: Sequence[Claim]) -> list[_Slot]:
    slots = []
    for i, claim in enumerate(claims):
        for d in claim.dates:
            if d.guessed or _RELATIVE_DATES.match(d.text) or d.granularity != "day":
                continue
            slots.append(
                _Slot(
                    claim=i,
                    kind="date",
                    key=d.granularity,
                    value=f"{d.first.isoformat()}/{d.last.isoformat()}",
                    shown=d.text,
                    context=_slot_context(claim, d.start, d.end, None),
                    low=d.first.toordinal(),
                    high=d.last.toordinal(),
                )
            )
    return slots


def _different_days(a: Claim, b: Claim) -> bool:
    days_a = {d.first for d in a.dates if d.granularity == "day" and not d.guessed}
    days_b = {d.first for d in b.dates if d.granularity == "day" and not d.guessed}
    return bool(days_a and days_b and not days_a & days_b)


def _values_differ(a: _Slot, b: _Slot) -> bool:
    if a.kind == "date":
        return (a.high or a.low) < b.low or (
            b.high or b.low
        ) < a.low  # overlapping periods do not disagree
    scale = max(abs(a.low), abs(b.low)) or 1.0
    return abs(a.low - b.low) / scale > 0.005  # rounding ("2.05bn" for 2,049m) is no conflict


class _Components:
    """Union-find over hashable nodes."""

    def __init__(self) -> None:
        self.parent: dict[object, object] = {}

    def find(self, x: object) -> object:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: object, b: object) -> None:
        self.parent[self.find(b)] = self.find(a)

    def groups(self) -> list[list[object]]:
        found: dict[object, list[object]] = defaultdict(list)
        for x in list(self.parent):
            found[self.find(x)].append(x)
        return list(found.values())


def _slot_conflicts(
    claims: Sequence[Claim], slots: Sequence[_Slot], sim: np.ndarray
) -> list[Conflict]:
    """Join slots across the story, best matches first, never two slots of one article in one
    joined slot (that would chain "14 killed" to "120 injured"); report the joined slots holding
    different values that two copy groups disagree on directly."""
    candidates: list[tuple[float, int, int]] = []
    for p, sa_ in enumerate(slots):
        a = claims[sa_.claim]
        for q in range(p + 1, len(slots)):
            sb_ = slots[q]
            b = claims[sb_.claim]
            if a.article.id == b.article.id or sa_.key != sb_.key or sa_.change != sb_.change:
                continue
            if _different_days(a, b):
                continue  # "fell 5.2% on Tuesday" is not "closed down 1.8% on Monday"
            overlap = _context_overlap(sa_.context, sb_.context)
            claim_sim = float(sim[sa_.claim, sb_.claim])
            if overlap == 0 and claim_sim < STRONG_ALIGNMENT:
                continue
            score = overlap + claim_sim
            if not _values_differ(sa_, sb_):
                score += 0.5  # equal values are most likely the same slot
            if score >= SLOT_THRESHOLD:
                candidates.append((score, p, q))
    components = _Components()
    articles: dict[object, set[int]] = {}
    for n, slot in enumerate(slots):
        articles[components.find(n)] = {claims[slot.claim].article.id}
    differing: set[frozenset[int]] = set()
    for _score, p, q in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        gp, gq = components.find(p), components.find(q)
        if gp == gq or articles[gp] & articles[gq]:
            continue
        components.union(gp, gq)
        articles[components.find(gp)] = articles.pop(gp) | articles.pop(gq)
        if claims[slots[p].claim].root != claims[slots[q].claim].root and _values_differ(
            slots[p], slots[q]
        ):
            differing.add(frozenset((p, q)))
    conflicts = []
    for component in components.groups():
        nodes = sorted(int(str(n)) for n in component)
        if not any(frozenset((p, q)) in differing for p in nodes for q in nodes if p < q):
            continue
        by_value: dict[str, list[int]] = defaultdict(list)
        for n in nodes:
            by_value[slots[n].value].append(n)
        if len(by_value) < 2:
            continue
        first = slots[nodes[0]]
        conflicts.append(
            Conflict(
                kind=first.kind,
                about=_about(first, [slots[n] for n in nodes], claims),
                variants=tuple(
                    _variant(claims, [slots[n].claim for n in group], slots[group[0]].shown)
                    for group in sorted(by_value.values(), key=lambda g: (-len(g), g[0]))
                ),
            )
        )
    return conflicts


def _about(first: _Slot, members: Sequence[_Slot], claims: Sequence[Claim]) -> str:
    """A short label: the unit and the context words most members share, as the outlets wrote
    them (the context holds stems: "raptur" is shown as "rapturous")."""
    shared: Counter[str] = Counter()
    for slot in members:
        shared.update(k.lower() for k, w in slot.context.items() if w >= 0.5)
    surface: dict[str, str] = {}
    for slot in members:
        for word, _start, _end in _words(claims[slot.claim].text):
            surface.setdefault(stem(word).lower(), word.lower())
    words = [surface.get(w, w) for w, n in shared.most_common(3) if n >= 2]
    label = "date" if first.kind == "date" else first.key.replace("_", " ")
    return f"{label}: {' '.join(words)}" if words else label


def _variant(claims: Sequence[Claim], indices: Sequence[int], value: str) -> ConflictVariant:
    rep = _representative(claims, list(indices))
    cited = _cited(claims, indices, claims[rep].text)
    return ConflictVariant(
        value=value, text=cited.text, citations=cited.citations, sources=cited.sources
    )


def _quote_words(text: str) -> list[str]:
    return [w for w in text.lower().translate(_QUOTE_CHARS).split() if w]


def _speaker_key(quote: AttributedQuote) -> str | None:
    """Who said it, comparable across articles; None for unnamed speakers ("a spokesman")."""
    if quote.quote.speaker is None or quote.quote.speaker_type is None:
        return None
    return quote.quote.speaker.split()[-1].lower()


@dataclass(frozen=True, slots=True)
class _QuoteNode:
    claim: int
    quote: AttributedQuote
    words: tuple[str, ...]


def _quote_nodes(claims: Sequence[Claim]) -> list[_QuoteNode]:
    nodes = []
    for i, claim in enumerate(claims):
        for q in claim.quotes:
            words = tuple(_quote_words(q.quote.text))
            if len(words) >= 4:
                nodes.append(_QuoteNode(i, q, words))
    return nodes


def _containment(a: Sequence[str], b: Sequence[str]) -> float:
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(set(short) & set(long_)) / max(len(set(short)), 1)


def _quote_conflicts(
    claims: Sequence[Claim], nodes: Sequence[_QuoteNode]
) -> tuple[list[Conflict], list[list[int]], set[frozenset[int]]]:
    """Speaker and wording conflicts, the same-quote groups (for the quotes table) and the claim
    pairs already explained by a speaker conflict."""
    same = _Components()
    reworded = _Components()
    for n in range(len(nodes)):
        same.find(n)
    for x, a in enumerate(nodes):
        for y in range(x + 1, len(nodes)):
            b = nodes[y]
            if claims[a.claim].article.id == claims[b.claim].article.id:
                continue
            short, long_ = sorted((" ".join(a.words), " ".join(b.words)), key=len)
            contained = _containment(a.words, b.words)
            if short in long_ or contained == 1.0:
                # The same words, one cut short or abridged ("...," he said. "..."): one quote.
                same.union(x, y)
                continue
            one_speaker_verbatim = (
                a.quote.quote.direct
                and b.quote.quote.direct
                and _speaker_key(a.quote) is not None
                and _speaker_key(a.quote) == _speaker_key(b.quote)
                and claims[a.claim].root != claims[b.claim].root
            )
            if one_speaker_verbatim and (
                contained >= SAME_QUOTE
                or SequenceMatcher(None, a.words, b.words).ratio() >= REWORDED_QUOTE
            ):
                reworded.union(x, y)  # one speaker's words, quoted with different words
            elif contained >= SAME_QUOTE:
                same.union(x, y)
    conflicts: list[Conflict] = []
    explained: set[frozenset[int]] = set()
    groups = [sorted(int(str(n)) for n in g) for g in same.groups()]
    for group in groups:
        by_speaker: dict[str, list[int]] = defaultdict(list)
        for n in group:
            key = _speaker_key(nodes[n].quote)
            if key is not None:
                by_speaker[key].append(n)
        if len(by_speaker) < 2:
            continue
        roots = {
            key: {claims[nodes[n].claim].root for n in members}
            for key, members in by_speaker.items()
        }
        if len(set().union(*roots.values())) < 2:
            continue  # every variant from one copy group: a syndicated copy cannot disagree
        for p in group:
            for q in group:
                explained.add(frozenset((nodes[p].claim, nodes[q].claim)))
        rep = min(group, key=lambda n: -len(nodes[n].words))
        conflicts.append(
            Conflict(
                kind="quote_speaker",
                about=f'speaker of "{nodes[rep].quote.quote.text.strip(" ,.")}"',
                variants=tuple(
                    _variant(
                        claims,
                        [nodes[n].claim for n in members],
                        max((nodes[n].quote.quote.speaker or "" for n in members), key=len),
                    )
                    for members in sorted(by_speaker.values(), key=lambda m: (-len(m), m[0]))
                ),
            )
        )
    for component in reworded.groups():
        members = sorted(int(str(n)) for n in component)
        if len(members) < 2:
            continue
        # Variants are the same-quote groups the reworded links join.
        by_group: dict[int, list[int]] = defaultdict(list)
        for n in members:
            by_group[int(str(same.find(n)))].append(n)
        if len(by_group) < 2:
            continue
        speaker = max((nodes[n].quote.quote.speaker or "" for n in members), key=len)
        conflicts.append(
            Conflict(
                kind="quote_wording",
                about=f"wording of a quote by {speaker}",
                variants=tuple(
                    _variant(
                        claims,
                        [nodes[n].claim for n in sub],
                        nodes[sub[0]].quote.quote.text,
                    )
                    for sub in sorted(by_group.values(), key=lambda m: (-len(m), m[0]))
                ),
            )
        )
    return conflicts, groups, explained


def _who_conflicts(
    claims: Sequence[Claim], sim: np.ndarray, explained: set[frozenset[int]]
) -> list[Conflict]:
    """Aligned sentences of different copy groups that name different people and none in
    common ("Ferris scored the winner" / "Okonjo's winner"), quotes and their speakers aside."""
    components = _Components()
    edges = 0
    for i, a in enumerate(claims):
        if not a.persons or a.quotes:
            continue
        for j in range(i + 1, len(claims)):
            b = claims[j]
            if (
                not b.persons
                or b.quotes
                or a.root == b.root
                or float(sim[i, j]) < WHO_THRESHOLD
                or frozenset((i, j)) in explained
            ):
                continue
            # People named on one side only (a person both name is context, not the claim).
            only_a = {n for n in a.persons.values() if n.split()[-1].lower() not in b.text.lower()}
            only_b = {n for n in b.persons.values() if n.split()[-1].lower() not in a.text.lower()}
            if not only_a or not only_b:
                continue
            components.union(("c", i), ("c", j))
            edges += 1
    if not edges:
        return []
    conflicts = []
    for component in components.groups():
        indices = sorted(int(str(node[1])) for node in component if isinstance(node, tuple))
        by_person: dict[str, list[int]] = defaultdict(list)
        named = [set(claims[i].persons.values()) for i in indices]
        shared = set.intersection(*named) if named else set()
        for i, names in zip(indices, named, strict=True):
            by_person[", ".join(sorted(names - shared)) or ", ".join(sorted(names))].append(i)
        if len(by_person) < 2:
            continue
        conflicts.append(
            Conflict(
                kind="who",
                about="who: " + " / ".join(sorted(by_person)),
                variants=tuple(
                    _variant(claims, members, person)
                    for person, members in sorted(by_person.items(), key=lambda kv: -len(kv[1]))
                ),
            )
        )
    return conflicts


# --- quotes table and timeline -------------------------------------------------------------------


def _quotes_table(
    claims: Sequence[Claim], nodes: Sequence[_QuoteNode], groups: Sequence[list[int]]
) -> list[SpeakerQuotes]:
    rows: dict[str, list[CitedText]] = defaultdict(list)
    entity_of: dict[str, int | None] = {}
    for group in groups:
        named = [n for n in group if nodes[n].quote.quote.speaker]
        shown = [n for n in named if nodes[n].quote.quote.direct or _speaker_key(nodes[n].quote)]
        if not shown:
            continue
        speakers = Counter(nodes[n].quote.quote.speaker or "" for n in shown)
        speaker = speakers.most_common(1)[0][0]
        rep = min(
            shown,
            key=lambda n: (
                claims[nodes[n].claim].article.duplicate_of is not None,
                claims[nodes[n].claim].article.published_at,
                -len(nodes[n].words),
            ),
        )
        cited = _cited(claims, [nodes[n].claim for n in shown], nodes[rep].quote.quote.text)
        rows[speaker].append(cited)
        entity_of.setdefault(speaker, nodes[rep].quote.speaker_entity_id)
    table = [
        SpeakerQuotes(
            speaker=speaker,
            speaker_entity_id=entity_of.get(speaker),
            quotes=tuple(sorted(quotes, key=lambda c: (-c.outlets, c.citations))),
        )
        for speaker, quotes in rows.items()
    ]
    table.sort(key=lambda row: (-sum(q.outlets for q in row.quotes), row.speaker))
    return table


def _timeline(claims: Sequence[Claim], articles: Sequence[ViewArticle]) -> list[TimelineEntry]:
    events: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, claim in enumerate(claims):
        for d in claim.dates:
            if d.guessed:
                continue
            events[(d.first.isoformat(), d.last.isoformat())].append(i)
    entries = []
    for (first, last), indices in events.items():
        rep = _representative(claims, indices)
        cited = _cited(claims, indices, claims[rep].text)
        entries.append(
            TimelineEntry(
                kind="event",
                date=first,
                end=last if last != first else None,
                text=cited.text,
                citations=cited.citations,
            )
        )
    for article in articles:
        entries.append(
            TimelineEntry(
                kind="reported",
                date=article.published_at.isoformat(),
                end=None,
                text=f"{article.source}: {article.title}",
                citations=(article.id,),
            )
        )
    entries.sort(key=lambda e: (e.date, e.kind, e.citations))
    return entries


# --- the view ------------------------------------------------------------------------------------


def build_view(
    articles: Sequence[ViewArticle], *, settings: ViewSettings | None = None
) -> StoryView:
    """The story view of these articles (a story's members, copies included).

    Guarantees: every text shown is a span of one article's body; every summary sentence, agreed
    and unique claim and conflict variant cites at least one article, and only articles whose
    claims were aligned with it; no conflict has all its variants inside one copy group.
    """
    settings = settings or ViewSettings()
    ordered = sorted(articles, key=lambda a: (a.published_at, a.id))
    claims = _claims(ordered)
    outlets = tuple(dict.fromkeys(c.outlet for c in claims)) or tuple(
        dict.fromkeys(a.source for a in ordered if a.duplicate_of is None)
    )
    if not claims:
        return StoryView((), (), (), (), (), tuple(_timeline(claims, ordered)), outlets)
    vectors = _tfidf(claims)
    sim = _similarity(claims, vectors)
    groups = _align(claims, sim, ALIGN_THRESHOLD)

    nodes = _quote_nodes(claims)
    quote_conflicts, quote_groups, explained = _quote_conflicts(claims, nodes)
    conflicts = (
        _slot_conflicts(claims, _figure_slots(claims), sim)
        + _slot_conflicts(claims, _date_slots(claims), sim)
        + quote_conflicts
        + _who_conflicts(claims, sim, explained)
    )
    disputed = frozenset(v.text for c in conflicts for v in c.variants[1:])

    summary = []
    strict = _align(claims, sim, SUMMARY_ALIGN_THRESHOLD)
    for group, _rep in _summary(claims, strict, sim, vectors, settings, disputed):
        rep = _best_supported(claims, group)
        widened = _widen_citations(claims, group, rep, sim)
        backed = [
            i
            for i in widened
            if (i == rep or float(sim[rep, i]) >= CITE_THRESHOLD)
            and _supports(claims[rep], claims[i])
        ]
        summary.append(_cited(claims, backed, claims[rep].text))

    agreed: list[tuple[float, CitedText]] = []
    unique: dict[str, list[tuple[int, CitedText]]] = defaultdict(list)
    for group in _backed_groups(claims, groups):
        rep = _representative(claims, group)
        if claims[rep].word_count < MIN_CLAIM_WORDS // 2 or _ASIDE.match(claims[rep].text):
            continue
        cited = _cited(claims, group, claims[rep].text)
        if cited.outlets >= 2:
            position = min(claims[i].position for i in group)
            agreed.append((cited.outlets + 1 / (2 + position), cited))
        else:
            unique[claims[rep].outlet].append((claims[rep].position, cited))
    agreed.sort(key=lambda item: -item[0])
    unique_rows = [
        cited
        for outlet in outlets
        for _position, cited in sorted(unique.get(outlet, []), key=lambda item: item[0])[
            : settings.max_unique_per_outlet
        ]
    ]

    return StoryView(
        summary=tuple(summary),
        agreed=tuple(c for _s, c in agreed[: settings.max_agreed]),
        unique=tuple(unique_rows),
        conflicts=tuple(conflicts),
        quotes=tuple(_quotes_table(claims, nodes, quote_groups)),
        timeline=tuple(_timeline(claims, ordered)),
        outlets=outlets,
    )
