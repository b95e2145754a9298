"""Entity recognition and canonicalisation, measured on real news and on the demo corpus.

The data are described in the shared evaluation README (sections 1b and 4). Four measures:

- **NER on GUM news** (``ner/gum_news.jsonl.gz``, 24 Wikinews articles; the official test pair,
  per the data's ``split`` field, is also reported alone). GUM annotates every referring
  expression, so the gold set is narrowed to *named mentions*: mentions of type person,
  organization or place whose syntactic head is a proper noun (``head_upos == "PROPN"``), plus
  those headed by a title noun and ending in a name ("team member Rodaba Noori"; the name's last
  word then serves as the head). The README's ``proper == true`` alone also admits common-noun
  phrases that merely contain a name ("critics of U.S. President Donald Trump's policies", head
  "critics"), which no NER scheme calls a name.

  *Nesting.* Named mentions nested in other named mentions stay in the gold set: in "U.S.
  President Donald Trump's" both the person and "U.S." are names a flat tagger can and should
  find. ``gold_nested`` counts gold mentions inside another gold mention; where the two cannot
  both be flat spans ("Daughters of the American Revolution" inside "the Daughters of the
  American Revolution Constitution Hall") a flat tagger loses recall, whichever system it is.

  *Matching.* GUM spans carry determiners, possessive clitics, titles and post-modifiers ("the
  United Nations headquarters in New York"); an NER span never does. The headline figures use
  **head matching**, as the CRAC coreference scorers do: a system span matches a gold mention of
  the same type when it lies inside the gold span and contains the gold head word. ``*_exact``
  figures require the same span after a leading article and a trailing possessive are trimmed
  from both sides; titles then count against every system.

  *Types.* person -> person, organization -> organization, place -> place. A nationality
  (spaCy NORP: "Afghan", "Muslims") is not a place and is not scored: such system mentions are
  left out of the prediction set, and GUM person mentions that name a group by nationality
  ("Afghans") stay in the gold set as misses for every system. Baseline ``spacy``: the raw
  ``doc.ents`` of the same pipeline, PERSON -> person, ORG -> organization, GPE/LOC/FAC -> place.
- **Within-article canonicalisation on GUM**: gold named mentions that share a coreference
  ``cluster`` or a ``wiki`` title form one gold entity. Each is aligned with one system mention
  (the same trimmed span first, then one holding the gold head word, then the largest overlap;
  types not required) and pairs of aligned mentions are scored: the system puts a pair together
  when both mentions carry the same (type, article-level name). Baseline ``exact-string``: the
  same aligned mentions grouped by their normalised surface text.
- **Cross-article canonicalisation on ECB+ test** (``clustering/ecbplus_test.jsonl.gz``, 210
  documents): gold ``HUMAN_PART_PER`` and ``HUMAN_PART_ORG`` mentions, grouped by ``chain`` (a
  null chain is a singleton). Token offsets are mapped to character offsets in ``text`` and
  checked against the mention text. One ``EntityCatalog`` is fed every document in file order;
  two aligned mentions are together when they resolve to one entity id. Most gold mentions are
  pronouns and common nouns ("he", "the jury") that no name finder aligns with; their number is
  reported as ``unmatched``. ECB+'s null chain means *not linked* rather than *someone else*, and
  ``intra:`` chains are linked within one document only, so ``*_linked`` figures also score only
  the mentions that carry a cross-document chain.
- **The labelled demo set** (``tests/data/demo_entities.json``), see ``load_demo_labels``.

Pairwise figures: over the aligned gold mentions, precision = pairs together in both / pairs
together in the system, recall = pairs together in both / pairs together in the gold. Pairs grow
with the square of an entity's mentions, so one much-named entity can dominate them; ``b3_*``
figures (B-cubed, averaged per mention) are given beside them.
"""

from __future__ import annotations

import gzip
import json
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from broadsheet.errors import InvalidField
from broadsheet.evaluation.demo import stored_demo_articles
from broadsheet.model import EntityType, MentionDraft

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = [
    "DemoArticle",
    "DemoLabel",
    "EcbDoc",
    "EntityReport",
    "GoldMention",
    "GumDoc",
    "PairCounts",
    "SpanCounts",
    "SysMention",
    "align",
    "bcubed",
    "char_offsets",
    "ecb_mentions",
    "head_span",
    "load_demo_labels",
    "load_ecb",
    "load_gum",
    "match_spans",
    "pair_counts",
    "run_entity_eval",
    "spacy_mentions",
    "trim_span",
]

GUM_FILE = "ner/gum_news.jsonl.gz"
ECB_TEST_FILE = "clustering/ecbplus_test.jsonl.gz"
GUM_DATASET = f"GUM news ({GUM_FILE}), all documents"
DEMO_LABELS = Path(__file__).resolve().parents[3] / "tests" / "data" / "demo_entities.json"

SCORED_TYPES = ("person", "organization", "place")
_GUM_TYPES = frozenset(SCORED_TYPES)
_ECB_TYPES = frozenset({"HUMAN_PART_PER", "HUMAN_PART_ORG"})
_SPACY_TYPES = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
}
_PLACES = 4
_LEADING = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_TRAILING = re.compile(r"(?:\s*(?:['\u2019]s|['\u2019])|[\s,;:!?\"“”)(\[\]-])+$")
_SPACE = re.compile(r"\s+")


# --- Spans and matching ---------------------------------------------------------------------


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``/``end`` without surrounding space, a leading article, a trailing possessive.

    "the United States" -> "United States"; "Scholz's" -> "Scholz". A full stop stays: it is
    part of "U.S." and "Washington D.C.".
    """
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    piece = piece.strip()
    start += lead
    end = start + len(piece)
    article = _LEADING.match(piece)
    if article and article.end() < len(piece):
        start += article.end()
        piece = piece[article.end() :]
    tail = _TRAILING.search(piece)
    if tail and tail.start() > 0:
        end = start + tail.start()
    return start, end


def _is_word(ch: str) -> bool:
    return ch.isalnum()


def head_span(text: str, start: int, end: int, head: str) -> tuple[int, int] | None:
    """Where the head word ``head`` first stands as a whole token inside ``text[start:end]``."""
    if not head:
        return None
    position = text.find(head, start, end)
    while position >= 0:
        stop = position + len(head)
        before = text[position - 1] if position > 0 else " "
        after = text[stop] if stop < len(text) else " "
        if not (_is_word(before) and _is_word(head[0])) and not (
            _is_word(after) and _is_word(head[-1])
        ):
            return position, stop
        position = text.find(head, position + 1, end)
    return None


@dataclass(frozen=True, slots=True)
class GoldMention:
    """A gold mention: character span, type, head word span, gold entity label, surface."""

    start: int
    end: int
    type: str
    entity: str
    text: str = ""
    head: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class SysMention:
    """A system mention: character span, type, and the label it gives the entity."""

    start: int
    end: int
    type: str
    label: Hashable = None


def _exact(text: str, gold: GoldMention, system: SysMention) -> bool:
    return trim_span(text, gold.start, gold.end) == trim_span(text, system.start, system.end)


def _inside_with_head(gold: GoldMention, system: SysMention) -> bool:
    if not (gold.start <= system.start and system.end <= gold.end):
        return False
    if gold.head is None:
        return True
    return system.start <= gold.head[0] and gold.head[1] <= system.end


def match_spans(
    text: str,
    gold: Sequence[GoldMention],
    system: Sequence[SysMention],
    *,
    mode: str = "head",
    typed: bool = True,
) -> list[tuple[int, int]]:
    """One-to-one matches ``(gold index, system index)`` between one text's mentions.

    ``mode="exact"``: the same span once both are trimmed (``trim_span``). ``mode="head"``: the
    system span lies inside the gold span and holds the gold head word (any span inside when the
    head is unknown). ``typed`` also requires the same type. The innermost gold mentions choose
    first, so "U.S." in "U.S. President Donald Trump's" takes the system's "U.S." and the person
    takes "Donald Trump".
    """
    if mode not in ("exact", "head"):
        raise ValueError(f"unknown match mode {mode!r}")
    order = sorted(range(len(gold)), key=lambda i: (gold[i].end - gold[i].start, gold[i].start))
    used: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for g in order:
        for s, candidate in enumerate(system):
            if s in used or (typed and candidate.type != gold[g].type):
                continue
            if mode == "exact":
                ok = _exact(text, gold[g], candidate)
            else:
                ok = _inside_with_head(gold[g], candidate)
            if ok:
                used.add(s)
                pairs.append((g, s))
                break
    return sorted(pairs)


def align(text: str, gold: Sequence[GoldMention], system: Sequence[SysMention]) -> list[int | None]:
    """For each gold mention, the index of the system mention it is aligned with, or None.

    Candidates overlap the gold span; the same trimmed span ranks first, then a span holding the
    gold head word, then the longer overlap. Each system mention serves one gold mention.
    """
    candidates: list[tuple[tuple[bool, bool, int], int, int]] = []
    for g, gm in enumerate(gold):
        for s, sm in enumerate(system):
            overlap = min(gm.end, sm.end) - max(gm.start, sm.start)
            if overlap <= 0:
                continue
            holds_head = gm.head is not None and sm.start <= gm.head[0] and gm.head[1] <= sm.end
            candidates.append(((_exact(text, gm, sm), holds_head, overlap), g, s))
    candidates.sort(key=lambda item: (item[0], -item[1], -item[2]), reverse=True)
    result: list[int | None] = [None] * len(gold)
    used: set[int] = set()
    for _, g, s in candidates:
        if result[g] is None and s not in used:
            result[g] = s
            used.add(s)
    return result


# --- Counts ---------------------------------------------------------------------------------


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass(frozen=True, slots=True)
class SpanCounts:
    """Matched (tp), spurious (fp) and missed (fn) mentions; they add up across documents."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: SpanCounts) -> SpanCounts:
        return SpanCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)


@dataclass(frozen=True, slots=True)
class PairCounts:
    """Mention pairs together in both groupings (tp), in the gold one, in the system one."""

    tp: int = 0
    gold: int = 0
    system: int = 0

    def __add__(self, other: PairCounts) -> PairCounts:
        return PairCounts(self.tp + other.tp, self.gold + other.gold, self.system + other.system)

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.system)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.gold)

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pair_counts(gold: Sequence[Hashable], system: Sequence[Hashable]) -> PairCounts:
    """Pairwise counts of two groupings of the same mentions (one label per mention each).

    Counted from the contingency table, so 10,000 mentions cost no 50 million pairs.
    """
    if len(gold) != len(system):
        raise ValueError("both groupings must label the same mentions")
    both = Counter(zip(gold, system, strict=True))
    return PairCounts(
        tp=sum(_pairs(n) for n in both.values()),
        gold=sum(_pairs(n) for n in Counter(gold).values()),
        system=sum(_pairs(n) for n in Counter(system).values()),
    )


def bcubed(gold: Sequence[Hashable], system: Sequence[Hashable]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of two groupings of the same mentions.

    Per mention: precision = share of its system entity that shares its gold entity, recall =
    share of its gold entity that shares its system entity; both averaged over mentions. Unlike
    pair counts, a mention weighs the same whether its entity is large or small. (0, 0, 0) when
    there are no mentions.
    """
    if len(gold) != len(system):
        raise ValueError("both groupings must label the same mentions")
    if not gold:
        return 0.0, 0.0, 0.0
    both = Counter(zip(gold, system, strict=True))
    gold_sizes = Counter(gold)
    system_sizes = Counter(system)
    precision = sum(both[(g, s)] / system_sizes[s] for g, s in zip(gold, system, strict=True))
    recall = sum(both[(g, s)] / gold_sizes[g] for g, s in zip(gold, system, strict=True))
    precision /= len(gold)
    recall /= len(gold)
    return precision, recall, _f1(precision, recall)


def surface_key(text: str) -> str:
    """The exact-string baseline's entity: the surface, case-folded, article and 's trimmed."""
    start, end = trim_span(text, 0, len(text))
    folded = unicodedata.normalize("NFKC", text[start:end]).casefold()
    return _SPACE.sub(" ", folded.replace("\u2019", "'")).strip()


# --- Data -----------------------------------------------------------------------------------


def _records(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if not path.is_file():
        raise FileNotFoundError(f"evaluation data not found: {path} (see the eval README)")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate((line for line in handle if line.strip()), start=1):
            record: object = json.loads(line)
            if not isinstance(record, dict):
                raise InvalidField(f"{path.name} record {number}: not a JSON object")
            yield f"{path.name} record {number}", record


@dataclass(frozen=True, slots=True)
class GumDoc:
    """A GUM news document and its gold named mentions (see the module docstring)."""

    id: str
    split: str
    text: str
    mentions: tuple[GoldMention, ...]


def _union_labels(mentions: Sequence[Mapping[str, Any]]) -> list[str]:
    """One entity label per mention: mentions sharing a cluster or a wiki title are one."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for mention in mentions:
        cluster = f"cluster:{mention['cluster']}"
        find(cluster)
        if mention.get("wiki"):
            parent[find(cluster)] = find(f"wiki:{mention['wiki']}")
    return [find(f"cluster:{mention['cluster']}") for mention in mentions]


def load_gum(eval_dir: Path) -> list[GumDoc]:
    """GUM's news documents with their named person, organisation and place mentions."""
    docs: list[GumDoc] = []
    for where, record in _records(eval_dir / GUM_FILE):
        text = record.get("text")
        raw = record.get("mentions")
        if not isinstance(text, str) or not isinstance(raw, list):
            raise InvalidField(f"{where}: no text or mentions")
        named: list[tuple[Mapping[str, Any], tuple[int, int] | None]] = []
        for m in raw:
            if m.get("type") not in _GUM_TYPES or not m.get("proper"):
                continue
            start, end = int(m["start"]), int(m["end"])
            if text[start:end] != m["text"]:
                raise InvalidField(f"{where}: mention offsets do not give {m['text']!r}")
            head = head_span(text, start, end, str(m.get("head") or ""))
            if m.get("head_upos") == "PROPN":
                named.append((m, head))
            elif head is not None and (name := _titled_name(text, head[1], end)) is not None:
                named.append((m, name))
        labels = _union_labels([m for m, _ in named])
        mentions = [
            GoldMention(
                start=int(m["start"]),
                end=int(m["end"]),
                type=str(m["type"]),
                entity=label,
                text=str(m["text"]),
                head=head,
            )
            for (m, head), label in zip(named, labels, strict=True)
        ]
        docs.append(
            GumDoc(
                id=str(record["id"]),
                split=str(record.get("split")),
                text=text,
                mentions=tuple(mentions),
            )
        )
    return docs


# Lower-case particles inside personal names ("Suleiman al-Amr", "Luiz Inácio Lula da Silva").
_NAME_PARTICLES = frozenset(
    {"al", "bin", "da", "de", "del", "der", "di", "du", "la", "le", "van", "von"}
)
_WORD = re.compile(r"\S+")


def _titled_name(text: str, after_head: int, end: int) -> tuple[int, int] | None:
    """The span of the last word of a name that follows a common-noun head to the end of a
    mention ("team member Rodaba Noori": head "member", name "Rodaba Noori"), or None.

    GUM heads such a mention by its title noun; it is still a named mention, and the name is
    what a tagger should find, so the name's last word serves as the head to match.
    """
    words = list(_WORD.finditer(text, after_head, end))
    if not words:
        return None
    for word in words:
        token = word.group().strip(".,'\u2019")
        first = token.split("-")[0].casefold()
        if not any(ch.isupper() for ch in token) and first not in _NAME_PARTICLES:
            return None
    return words[-1].start(), words[-1].end()


def _nested(doc: GumDoc) -> int:
    """Gold mentions overlapping another gold mention without sharing its head word."""
    count = 0
    for i, inner in enumerate(doc.mentions):
        for j, outer in enumerate(doc.mentions):
            inside = outer.start <= inner.start and inner.end <= outer.end
            if i != j and inside and (outer.start, outer.end) != (inner.start, inner.end):
                count += 1
                break
    return count


@dataclass(frozen=True, slots=True)
class EcbDoc:
    """An ECB+ document with its person and organisation mentions in character offsets."""

    id: str
    text: str
    mentions: tuple[GoldMention, ...]
    offset_errors: int


def _squeeze(text: str) -> str:
    return "".join(text.split())


# How the detokeniser may have written a PTB-style token.
_TOKEN_FORMS = {
    "``": ("``", "“", '"'),
    "''": ("''", "”", '"'),
    "-LRB-": ("(",),
    "-RRB-": (")",),
    "-LSB-": ("[",),
    "-RSB-": ("]",),
}


def _spell(line: str, cursor: int, token: str) -> int | None:
    """Where ``token`` ends if its characters come next in ``line`` from ``cursor`` (spaces in
    the line between its characters allowed), else None."""
    position = cursor
    for ch in token:
        if ch.isspace():
            continue
        while position > cursor and position < len(line) and line[position].isspace():
            position += 1
        if position >= len(line) or line[position] != ch:
            return None
        position += 1
    return position


def char_offsets(line: str, tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Character offsets of each token in ``line``, its detokenised text.

    Tokens are consumed left to right; spaces between them may or may not be in the line, and
    PTB quote and bracket tokens may be written as the characters they stand for. Raises
    ``InvalidField`` when a token's characters are not next in the line.
    """
    spans: list[tuple[int, int]] = []
    cursor = 0
    for token in tokens:
        while cursor < len(line) and line[cursor].isspace():
            cursor += 1
        for form in _TOKEN_FORMS.get(token, (token,)):
            end = _spell(line, cursor, form)
            if end is not None:
                break
        else:
            raise InvalidField(f"token {token!r} not found at {cursor} in {line[:80]!r}")
        spans.append((cursor, end))
        cursor = end
    return spans


def _dropped_tokens(record: Mapping[str, Any], flat: Sequence[str]) -> int:
    """How many tokens of the original file precede ``sentences`` (the dropped URL sentence).

    ``sentence_offset == 0``: none. Otherwise the count that makes the most mention offsets
    spell their mention text (ties: the smallest).
    """
    if not record.get("sentence_offset"):
        return 0
    mentions = record["mentions"]
    best, best_hits = 0, -1
    lowest = min((int(m["start"]) for m in mentions), default=0)
    for shift in range(lowest + 1):
        hits = sum(
            _squeeze(" ".join(flat[int(m["start"]) - shift : int(m["end"]) - shift]))
            == _squeeze(str(m["text"]))
            for m in mentions
        )
        if hits > best_hits:
            best, best_hits = shift, hits
    return best


def ecb_mentions(record: Mapping[str, Any]) -> tuple[str, list[GoldMention], int]:
    """One ECB+ record's text, its person/org mentions in character offsets, offset errors.

    ``start``/``end`` count tokens of the original file, the dropped URL sentence included;
    ``text`` joins the kept sentences with "\\n". A mention whose mapped characters do not spell
    its text (spaces aside) is left out and counted as an offset error.
    """
    text = str(record["text"])
    sentences: list[list[str]] = record["sentences"]
    lines = text.split("\n")
    if len(lines) != len(sentences):
        raise InvalidField(f"{record.get('id')}: {len(lines)} lines for {len(sentences)} sentences")
    spans: list[tuple[int, int]] = []
    base = 0
    for line, tokens in zip(lines, sentences, strict=True):
        spans.extend((base + a, base + b) for a, b in char_offsets(line, tokens))
        base += len(line) + 1
    flat = [token for sentence in sentences for token in sentence]
    shift = _dropped_tokens(record, flat)
    doc_id = str(record["id"])
    mentions: list[GoldMention] = []
    errors = 0
    for m in record["mentions"]:
        if m.get("type") not in _ECB_TYPES:
            continue
        first, last = int(m["start"]) - shift, int(m["end"]) - shift - 1
        if first < 0 or last >= len(spans) or last < first:
            errors += 1
            continue
        start, end = spans[first][0], spans[last][1]
        if _squeeze(text[start:end]) != _squeeze(str(m["text"])):
            errors += 1
            continue
        chain = m.get("chain") or f"single:{doc_id}:{m['m_id']}"
        kind = "person" if m["type"] == "HUMAN_PART_PER" else "organization"
        mentions.append(
            GoldMention(start=start, end=end, type=kind, entity=str(chain), text=text[start:end])
        )
    return text, mentions, errors


def load_ecb(eval_dir: Path) -> list[EcbDoc]:
    """ECB+ test documents in file order, person and organisation mentions mapped to chars."""
    docs = []
    for _, record in _records(eval_dir / ECB_TEST_FILE):
        text, mentions, errors = ecb_mentions(record)
        docs.append(EcbDoc(str(record["id"]), text, tuple(mentions), errors))
    return docs


# --- The labelled demo set ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoLabel:
    """One hand-labelled mention: the name as written (no title, no possessive), its type and
    the fullest name of the entity it refers to."""

    text: str
    type: str
    name: str
    entity: str = ""

    @property
    def identity(self) -> str:
        """Who or what the mention is across articles: ``entity`` if given, else ``name``."""
        return self.entity or self.name


@dataclass(frozen=True, slots=True)
class DemoArticle:
    """A labelled demo article, found in the store by source and title."""

    source: str
    title: str
    mentions: tuple[DemoLabel, ...]


def load_demo_labels(path: Path = DEMO_LABELS) -> list[DemoArticle]:
    """The labelled demo set: every person, organisation and place name in each listed article,
    in reading order. Nationalities are not labelled (and not scored)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    articles = []
    for item in data["articles"]:
        labels = tuple(
            DemoLabel(m["text"], m["type"], m["name"], m.get("entity", ""))
            for m in item["mentions"]
        )
        for label in labels:
            if label.type not in _GUM_TYPES:
                raise InvalidField(f"{path.name}: unknown type {label.type!r}")
        articles.append(DemoArticle(item["source"], item["title"], labels))
    return articles


def locate_labels(body: str, labels: Sequence[DemoLabel]) -> list[GoldMention]:
    """Character spans of ``labels`` in ``body``: each is the next whole-word occurrence of its
    text after the previous label. Raises ``InvalidField`` when one is not found."""
    cursor = 0
    mentions = []
    for label in labels:
        found = head_span(body, cursor, len(body), label.text)
        if found is None:
            raise InvalidField(f"demo label {label.text!r} not found after offset {cursor}")
        # ``entity`` carries the canonical name; the cross-article identity is kept apart.
        mentions.append(GoldMention(found[0], found[1], label.type, label.name, label.identity))
        cursor = found[1]
    return mentions


@dataclass(frozen=True, slots=True)
class _DemoDoc:
    source: str
    title: str
    body: str


def demo_articles() -> list[_DemoDoc]:
    """Every article of the bundled demo corpus as Broadsheet stores it (ingested into a
    temporary SQLite store), oldest first."""
    return [_DemoDoc(a.source, a.title, a.body) for a in stored_demo_articles()]


# --- Systems --------------------------------------------------------------------------------


def spacy_mentions(nlp: Language, texts: Sequence[str]) -> list[list[SysMention]]:
    """The baseline: spaCy's own entities, mapped to our three scored types, nothing else."""
    return [
        [
            SysMention(ent.start_char, ent.end_char, _SPACY_TYPES[ent.label_], ent.text)
            for ent in doc.ents
            if ent.label_ in _SPACY_TYPES
        ]
        for doc in nlp.pipe(texts)
    ]


def _scored(drafts: Sequence[MentionDraft]) -> list[MentionDraft]:
    return [d for d in drafts if d.type is not EntityType.NATIONALITY]


def _as_system(drafts: Sequence[MentionDraft]) -> list[SysMention]:
    return [SysMention(d.start, d.end, d.type.value, (d.type.value, d.name)) for d in drafts]


# --- Runs -----------------------------------------------------------------------------------


class EntityReport(TypedDict):
    """The evaluation's result, in the shape shared by every ``bench/`` task."""

    task: str
    dataset: str
    n: int
    metric: str
    gold_mentions: int
    gold_nested: int
    systems: dict[str, dict[str, float | int]]
    also: list[dict[str, Any]]
    notes: list[str]
    seconds: float


def _r(value: float) -> float:
    return round(value, _PLACES)


def _ner_scores(
    docs: Sequence[tuple[str, Sequence[GoldMention]]],
    predictions: Sequence[Sequence[SysMention]],
) -> dict[str, float | int]:
    head = SpanCounts()
    exact = SpanCounts()
    untyped = SpanCounts()
    per_type: dict[str, SpanCounts] = defaultdict(SpanCounts)
    for (text, gold), system in zip(docs, predictions, strict=True):
        for mode, typed in (("head", True), ("exact", True), ("head", False)):
            pairs = match_spans(text, gold, system, mode=mode, typed=typed)
            counts = SpanCounts(len(pairs), len(system) - len(pairs), len(gold) - len(pairs))
            if mode == "exact":
                exact += counts
            elif typed:
                head += counts
                gold_hit = {g for g, _ in pairs}
                sys_hit = {s for _, s in pairs}
                for kind in SCORED_TYPES:
                    per_type[kind] += SpanCounts(
                        sum(1 for g, _ in pairs if gold[g].type == kind),
                        sum(1 for s, m in enumerate(system) if m.type == kind and s not in sys_hit),
                        sum(1 for g, m in enumerate(gold) if m.type == kind and g not in gold_hit),
                    )
            else:
                untyped += counts
    scores: dict[str, float | int] = {
        "f1": _r(head.f1),
        "precision": _r(head.precision),
        "recall": _r(head.recall),
        "tp": head.tp,
        "fp": head.fp,
        "fn": head.fn,
    }
    for kind in SCORED_TYPES:
        scores[f"{kind}_f1"] = _r(per_type[kind].f1)
        scores[f"{kind}_precision"] = _r(per_type[kind].precision)
        scores[f"{kind}_recall"] = _r(per_type[kind].recall)
    scores |= {
        "f1_exact": _r(exact.f1),
        "precision_exact": _r(exact.precision),
        "recall_exact": _r(exact.recall),
        "f1_untyped": _r(untyped.f1),
    }
    return scores


def _pair_scores(gold: Sequence[Hashable], system: Sequence[Hashable]) -> dict[str, float | int]:
    counts = pair_counts(gold, system)
    b3_precision, b3_recall, b3_f1 = bcubed(gold, system)
    return {
        "f1": _r(counts.f1),
        "precision": _r(counts.precision),
        "recall": _r(counts.recall),
        "pairs_gold": counts.gold,
        "pairs_system": counts.system,
        "pairs_both": counts.tp,
        "b3_f1": _r(b3_f1),
        "b3_precision": _r(b3_precision),
        "b3_recall": _r(b3_recall),
    }


@dataclass(frozen=True, slots=True)
class _Aligned:
    gold: list[Hashable]
    system: list[Hashable]
    surface: list[Hashable]
    unmatched: int
    total: int


def _aligned_labels(
    docs: Sequence[tuple[str, Sequence[GoldMention]]],
    drafts: Sequence[Sequence[MentionDraft]],
    label: Callable[[int, MentionDraft], Hashable],
    *,
    within_docs: bool,
) -> _Aligned:
    gold: list[Hashable] = []
    system: list[Hashable] = []
    surface: list[Hashable] = []
    unmatched = total = 0
    for number, ((text, mentions), found) in enumerate(zip(docs, drafts, strict=True)):
        scored = _scored(found)
        links = align(text, mentions, _as_system(scored))
        for mention, link in zip(mentions, links, strict=True):
            total += 1
            if link is None:
                unmatched += 1
                continue
            gold.append(mention.entity)
            system.append(label(number, scored[link]))
            key = surface_key(text[scored[link].start : scored[link].end])
            # Within articles the baseline groups equal strings of one article only.
            surface.append((number, key) if within_docs else key)
    return _Aligned(gold, system, surface, unmatched, total)


def _canonical_section(
    dataset: str,
    metric: str,
    n: int,
    aligned: _Aligned,
    *,
    linked: Callable[[Hashable], bool] | None = None,
) -> dict[str, Any]:
    """Pairwise scores of both groupings; with ``linked``, also ``*_linked`` scores over only
    the mentions whose gold label passes it (those the annotators linked across documents)."""
    systems: dict[str, dict[str, float | int]] = {}
    for name, labels in (("broadsheet", aligned.system), ("exact-string", aligned.surface)):
        scores = _pair_scores(aligned.gold, labels)
        if linked is not None:
            keep = [i for i, label in enumerate(aligned.gold) if linked(label)]
            sub = pair_counts([aligned.gold[i] for i in keep], [labels[i] for i in keep])
            scores |= {
                "f1_linked": _r(sub.f1),
                "precision_linked": _r(sub.precision),
                "recall_linked": _r(sub.recall),
                "mentions_linked": len(keep),
            }
        systems[name] = scores
    return {
        "dataset": dataset,
        "metric": metric,
        "n": n,
        "gold_mentions": aligned.total,
        "aligned": aligned.total - aligned.unmatched,
        "unmatched": aligned.unmatched,
        "systems": systems,
    }


def _cross_document_chain(label: Hashable) -> bool:
    return isinstance(label, str) and not label.startswith(("single:", "intra:"))


def _ner_section(
    dataset: str,
    docs: Sequence[tuple[str, Sequence[GoldMention]]],
    ours: Sequence[Sequence[MentionDraft]],
    baseline: Sequence[Sequence[SysMention]],
) -> dict[str, Any]:
    return {
        "dataset": dataset,
        "metric": "NER: typed head match, micro over person/organization/place",
        "n": len(docs),
        "gold_mentions": sum(len(gold) for _, gold in docs),
        "systems": {
            "broadsheet": _ner_scores(docs, [_as_system(_scored(d)) for d in ours]),
            "spacy": _ner_scores(docs, baseline),
        },
    }


def _demo_sections(nlp: Language, labels_path: Path) -> list[dict[str, Any]]:
    from broadsheet.pipeline.enrich.entities import find_mentions
    from broadsheet.pipeline.enrich.resolve import EntityCatalog

    labelled = load_demo_labels(labels_path)
    articles = demo_articles()
    index = {(a.source, a.title): i for i, a in enumerate(articles)}
    missing = [(a.source, a.title) for a in labelled if (a.source, a.title) not in index]
    if missing:
        raise InvalidField(f"labelled demo articles not in the demo corpus: {missing}")
    found = find_mentions([a.body for a in articles], nlp=nlp)
    catalog = EntityCatalog()
    ids = [catalog.resolve(mentions) for mentions in found]
    baseline_all = spacy_mentions(nlp, [a.body for a in articles])

    docs: list[tuple[str, Sequence[GoldMention]]] = []
    ours: list[Sequence[MentionDraft]] = []
    baseline: list[Sequence[SysMention]] = []
    numbers: list[int] = []
    for item in labelled:
        number = index[(item.source, item.title)]
        body = articles[number].body
        docs.append((body, locate_labels(body, item.mentions)))
        ours.append(found[number])
        baseline.append(baseline_all[number])
        numbers.append(number)
    dataset = f"demo corpus, hand-labelled ({labels_path.name})"
    ner = {
        "dataset": dataset,
        "metric": "NER: typed exact span (labels are names without title or possessive)",
        "n": len(docs),
        "gold_mentions": sum(len(gold) for _, gold in docs),
        "systems": {
            name: {
                key.removesuffix("_exact"): value
                for key, value in _ner_scores(docs, system).items()
                if key.endswith("_exact")
            }
            for name, system in (
                ("broadsheet", [_as_system(_scored(d)) for d in ours]),
                ("spacy", baseline),
            )
        },
    }

    # Canonical names: over gold mentions aligned with a system mention, the share whose
    # article-level name equals the gold name (case, accents and punctuation aside).
    from broadsheet.pipeline.enrich.entities import name_key

    right = right_surface = aligned = 0
    gold_ids: list[Hashable] = []
    sys_ids: list[Hashable] = []
    surface_ids: list[Hashable] = []
    for (body, gold), drafts, number in zip(docs, ours, numbers, strict=True):
        scored = _scored(drafts)
        links = align(body, gold, _as_system(scored))
        for mention, link in zip(gold, links, strict=True):
            if link is None:
                continue
            draft = scored[link]
            aligned += 1
            right += name_key(draft.name) == name_key(mention.entity)
            right_surface += name_key(draft.text) == name_key(mention.entity)
            gold_ids.append((mention.type, mention.text))
            sys_ids.append(ids[number][(draft.type, draft.name)])
            surface_ids.append(surface_key(draft.text))
    total = sum(len(gold) for _, gold in docs)
    names = {
        "dataset": dataset,
        "metric": "canonical name accuracy over aligned gold mentions",
        "n": len(docs),
        "gold_mentions": total,
        "aligned": aligned,
        "unmatched": total - aligned,
        "systems": {
            "broadsheet": {"accuracy": _r(_ratio(right, aligned)), "correct": right},
            "exact-string": {
                "accuracy": _r(_ratio(right_surface, aligned)),
                "correct": right_surface,
            },
        },
    }
    across = {
        "dataset": dataset,
        "metric": (
            "cross-article canonicalisation, pairwise over aligned gold mentions "
            f"(EntityCatalog fed all {len(articles)} demo articles, oldest first)"
        ),
        "n": len(docs),
        "gold_mentions": total,
        "aligned": aligned,
        "unmatched": total - aligned,
        "systems": {
            "broadsheet": _pair_scores(gold_ids, sys_ids),
            "exact-string": _pair_scores(gold_ids, surface_ids),
        },
    }
    return [ner, names, across]


def run_entity_eval(
    eval_dir: Path, *, model: str | None = None, demo_labels: Path | None = DEMO_LABELS
) -> EntityReport:
    """Every entity measure in one run (see the module docstring); ``demo_labels=None`` skips
    the demo set. Raises ``FileNotFoundError`` when a data file is missing, ``InvalidField`` for
    a malformed one and ``ConfigError`` when no spaCy pipeline loads."""
    from broadsheet.pipeline.enrich.entities import find_mentions, load_pipeline
    from broadsheet.pipeline.enrich.resolve import EntityCatalog

    started = time.perf_counter()
    nlp = load_pipeline(model)
    gum = load_gum(eval_dir)
    texts = [doc.text for doc in gum]
    ours = find_mentions(texts, nlp=nlp)
    baseline = spacy_mentions(nlp, texts)
    docs = [(doc.text, doc.mentions) for doc in gum]
    main = _ner_section(GUM_DATASET, docs, ours, baseline)
    test = [i for i, doc in enumerate(gum) if doc.split == "test"]
    also: list[dict[str, Any]] = [
        _ner_section(
            f"GUM news ({GUM_FILE}), official test split: " + ", ".join(gum[i].id for i in test),
            [docs[i] for i in test],
            [ours[i] for i in test],
            [baseline[i] for i in test],
        )
    ]

    within = _aligned_labels(
        docs, ours, lambda number, d: (number, d.type, d.name), within_docs=True
    )
    also.append(
        _canonical_section(
            GUM_DATASET,
            "within-article canonicalisation: pairwise over aligned gold named mentions "
            "(gold entity = shared cluster or wiki title)",
            len(gum),
            within,
        )
    )

    ecb = load_ecb(eval_dir)
    ecb_found = find_mentions([doc.text for doc in ecb], nlp=nlp)
    catalog = EntityCatalog()
    ecb_ids = [catalog.resolve(mentions) for mentions in ecb_found]
    across = _aligned_labels(
        [(doc.text, doc.mentions) for doc in ecb],
        ecb_found,
        lambda number, d: ecb_ids[number][(d.type, d.name)],
        within_docs=False,
    )
    section = _canonical_section(
        f"ECB+ test ({ECB_TEST_FILE})",
        "cross-article canonicalisation: pairwise over aligned HUMAN_PART_PER/ORG mentions "
        "(gold entity = chain, a null chain a singleton; *_linked: only mentions with a "
        "cross-document chain), EntityCatalog fed all documents in file order",
        len(ecb),
        across,
        linked=_cross_document_chain,
    )
    section["offset_errors"] = sum(doc.offset_errors for doc in ecb)
    also.append(section)

    notes: list[str] = []
    if demo_labels is not None and demo_labels.is_file():
        also.extend(_demo_sections(nlp, demo_labels))
    elif demo_labels is not None:
        # An installed package has no tests/ folder: the other measures still run.
        notes.append(f"demo set skipped: {demo_labels} not found")

    return EntityReport(
        task="entities",
        dataset=main["dataset"],
        n=main["n"],
        metric=main["metric"],
        gold_mentions=main["gold_mentions"],
        gold_nested=sum(_nested(doc) for doc in gum),
        systems=main["systems"],
        also=also,
        notes=notes,
        seconds=round(time.perf_counter() - started, 1),
    )
