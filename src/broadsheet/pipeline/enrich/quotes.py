"""Who said what: direct and reported quotes in one article, each with its speaker.

Three steps over one spaCy parse of the body (the same ``Doc`` the entity stage reads):

1. **Quotation marks.** The outermost quoted spans, in any style: straight or curly, double or
   single, or guillemets; a quote nested inside another (single inside double, or double
   inside single) stays part of the outer quote. A quote left open at the end of a paragraph
   continues when the next paragraph opens with a quotation mark (the newspaper convention for
   speech running over paragraphs); left open with no such continuation, it ends with its
   paragraph. An apostrophe (in "Scholz's",
   "the dockers' union", "'90s", straight or curly) is not a quotation mark.
2. **Attribution.** For each quoted span the reporting verb ("said", "told", "added",
   "according to", ...) is looked for outside quotation marks in its own sentence: before the
   quote when the quote sits inside the sentence ("X said the plan was “unaffordable”"), else
   after it ("“...,” X said"). The speaker is the verb's subject in the dependency parse
   (``nsubj``; for "according to" the object of "to"), climbing from a participle ("adding",
   "saying") to the verb it hangs on. A subject that is
   - a name resolves to its article-level canonical name (``MentionDraft.name``);
   - "he"/"she" resolves to the most recent person named before it outside quotation marks;
     "it" to the most recent organisation;
   - a definite role ("the spokesman", "the Rovers manager") resolves to the most recent person
     whose role (written before the name, or in an apposition) holds that word, else to the
     last person quoted; a definite organisation noun ("the company", "the bank") to the most
     recent organisation whose name holds it, or for generic nouns the most recent one;
   - anything else is kept as written ("a spokesman", "Economists").
   Quoted pieces of one speaker separated only by the attribution ("“A,” she said, “B.”", or
   "“A,” she said. “B.”") are one quote, from the first quoted word to the last. A quote that
   opens a paragraph with no attribution of its own continues the previous paragraph's speaker.
   A short quoted phrase with no attribution anywhere in its sentence (a title, a nickname, a
   scare quote) is not a quote.
3. **Reported speech.** A reporting verb outside quotation marks with a clausal complement
   ("X said (that) ...", "X told reporters ...", "..., X said"), "according to X", or
   "X described it as ..." gives an indirect quote (``direct=False``) whose text is the
   complement. Where the complement holds a quoted fragment, the fragment is the quote (direct,
   with the reporting speaker) and no separate indirect quote is made.

Everything is plain Python over token attributes; there is no model of its own.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from broadsheet.model import EntityType, MentionDraft, QuoteDraft

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

__all__ = ["CUE_WORDS", "QuotedSpan", "find_quotes", "quoted_spans"]

# Reporting verbs, in the forms news text uses them (the pipeline runs without a lemmatizer).
# Generic English; "according to" is handled on its own.
_REPORTING = """
say says said saying tell tells told telling add adds added adding warn warns warned warning
insist insists insisted insisting argue argues argued arguing claim claims claimed claiming
stress stresses stressed stressing note notes noted noting explain explains explained
explaining acknowledge acknowledges acknowledged acknowledging admit admits admitted admitting
announce announces announced state states stated declare declares declared assert asserts
asserted maintain maintains maintained confirm confirms confirmed deny denies denied
write writes wrote tweet tweets tweeted reply replies replied respond responds responded
comment comments commented remark remarks remarked continue continues continued conclude
concludes concluded recall recalls recalled concede concedes conceded complain complains
complained predict predicts predicted promise promises promised suggest suggests suggested
report reports reported signal signals signaled signalled signaling signalling
ask asks asked urge urges urged emphasise emphasised emphasize
emphasized reiterate reiterated describe describes described describing call calls called
""".split()
# Verbs that take a quote but too many other meanings to make reported speech on their own.
_QUOTE_ONLY = frozenset(
    "ask asks asked urge urges urged call calls called continue continues continued "
    "report reports reported predict predicts predicted promise promises promised "
    "suggest suggests suggested state states".split()
)
CUE_WORDS = frozenset(_REPORTING)
_DESCRIBE = frozenset({"describe", "describes", "described", "describing"})

_PERSON_PRONOUNS = frozenset({"he", "she", "him", "her"})
_THING_PRONOUNS = frozenset({"it"})
_OTHER_PRONOUNS = frozenset({"they", "we", "i", "you", "them", "us", "me", "this", "that", "who"})
_DEFINITE = frozenset({"the", "this", "that", "its", "his", "her", "their", "our"})
# Nouns that name a person by position; a definite one as a speaker is someone named earlier.
_ROLE_NOUNS = frozenset(
    """
    spokesman spokeswoman spokesperson minister president chancellor premier secretary senator
    governor mayor king queen prince princess pope bishop general colonel captain commander
    chief judge chairman chairwoman chair ceo executive coach manager director deputy leader
    speaker officer detective inspector prosecutor attorney lawmaker ambassador envoy
    commissioner councillor dean scientist economist analyst negotiator coordinator founder
    owner boss head official diplomat researcher professor lawyer teacher librarian striker
    captain defender midfielder goalkeeper forward player striker author editor adviser advisor
    strategist chancellor governor-general director-general secretary-general
    """.split()
)
# Organisation nouns that, made definite, may name the most recent organisation of any name.
_GENERIC_ORG_NOUNS = frozenset({"company", "firm", "group", "operator", "club", "carrier"})
# Nouns for a written source: the speaker is whoever is named in their phrase.
_SOURCE_NOUNS = frozenset(
    """
    estimate estimates figure figures data statement statements report reports calculation
    calculations analysis forecast forecasts poll survey filing document documents release
    """.split()
)
# Words that make a name an organisation's even when the model typed it a person's.
_ORG_WORDS = frozenset(
    """
    bank services ministry network group association union council agency authority
    company corporation inc ltd committee commission party consortium alliance station
    university institute fund securities capital insights advisory partners
    """.split()
)
_SPEECH_WORDS = 4  # an unattributed quoted span shorter than this is a title or scare quote

_DOUBLE_OPEN = '"\u201c\u201e\u00ab'
_DOUBLE_CLOSE = '"\u201d\u00bb'
_SINGLE_OPEN = "'\u2018\u201a"
_SINGLE_CLOSE = "'\u2019"
_BEFORE_OPEN = ' \t\n([{\u2014\u2013-/\u201c"\u00ab'
# A full stop after one of these does not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st gen sen rep gov lt col capt sgt jr sr no vs fig inc ltd co corp "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_SENTENCE_END = re.compile(r"[.!?](?=[\"'\u201d\u2019)\]]*\s)")


@dataclass(frozen=True, slots=True)
class QuotedSpan:
    """One outermost quoted span: where its marks are and the quoted words between them.

    ``pieces`` are the quoted words per paragraph (one piece unless the quote runs over
    paragraphs); ``open``/``close`` are the offsets of the opening mark and just past the
    closing mark (the paragraph end when the quote is left open).
    """

    open: int
    close: int
    pieces: tuple[tuple[int, int], ...]

    @property
    def start(self) -> int:
        return self.pieces[0][0]

    @property
    def end(self) -> int:
        return self.pieces[-1][1]


# --- Step 1: quotation marks ------------------------------------------------------------------


def _opens(text: str, i: int) -> str | None:
    """ "double" or "single" when ``text[i]`` opens a quotation here, else None."""
    ch = text[i]
    before = text[i - 1] if i > 0 else "\n"
    after = text[i + 1] if i + 1 < len(text) else "\n"
    if after.isspace():
        return None
    if ch in _DOUBLE_OPEN:
        if ch == '"' and (before not in _BEFORE_OPEN or after in ".,;:!?)]"):
            return None  # 12" vinyl, or a closing mark left over from a missed opening one
        return "double"
    if ch in _SINGLE_OPEN:
        if ch != "\u2018" and before not in _BEFORE_OPEN:
            return None  # an apostrophe inside a word: "don't", "Scholz's"
        if after.isdigit():
            return None  # '90s
        return "single"
    return None


def _closes(text: str, i: int, kind: str, opener: str) -> bool:
    ch = text[i]
    if kind == "double":
        if ch in _DOUBLE_CLOSE:
            return True
        return opener == "\u201e" and ch == "\u201c"
    if ch not in _SINGLE_CLOSE or i == 0 or text[i - 1].isspace():
        return False
    after = text[i + 1] if i + 1 < len(text) else " "
    return not after.isalnum()


def _possessive_plural(text: str, i: int) -> bool:
    """ "the dockers' union": an apostrophe after a plural -s followed by a lower-case word."""
    return (
        text[i - 1] in "sS" and i + 2 < len(text) and text[i + 1] == " " and text[i + 2].islower()
    )


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _close_single(text: str, start: int, stop: int, opener: str) -> int | None:
    """Where a single quote opened before ``start`` closes within ``text[start:stop]``."""
    candidates = [i for i in range(start, stop) if _closes(text, i, "single", opener)]
    if not candidates:
        return None
    plain = [i for i in candidates if not _possessive_plural(text, i)]
    return plain[0] if plain else candidates[-1]


def _paragraph_end(text: str, i: int) -> int:
    stop = text.find("\n", i)
    return len(text) if stop < 0 else stop


def _next_paragraph(text: str, i: int) -> int:
    """Offset of the first non-space character after the line break at ``i``."""
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def quoted_spans(text: str) -> list[QuotedSpan]:
    """The outermost quoted spans of ``text``, in order (see the module docstring)."""
    spans: list[QuotedSpan] = []
    i = 0
    while i < len(text):
        kind = _opens(text, i)
        if kind is None:
            i += 1
            continue
        opener = text[i]
        pieces: list[tuple[int, int]] = []
        piece_start = i + 1
        cursor = i + 1
        close: int | None = None
        while True:
            stop = _paragraph_end(text, cursor)
            if kind == "double":
                found = next(
                    (k for k in range(cursor, stop) if _closes(text, k, kind, opener)), None
                )
            else:
                found = _close_single(text, cursor, stop, opener)
            if found is not None:
                pieces.append(_strip(text, piece_start, found))
                close = found + 1
                break
            pieces.append(_strip(text, piece_start, stop))
            following = _next_paragraph(text, stop)
            if following < len(text) and _opens(text, following) == kind:
                # Speech running over paragraphs: the next one reopens the quote.
                piece_start = cursor = following + 1
                continue
            if kind == "single":
                pieces = []  # an unmatched apostrophe, not a quotation
            close = stop
            break
        pieces = [p for p in pieces if p[1] > p[0]]
        if pieces:
            spans.append(QuotedSpan(open=i, close=close, pieces=tuple(pieces)))
            i = close
        else:
            i += 1
    return spans


# --- Sentences and segments -------------------------------------------------------------------


def _paragraph_start(text: str, i: int) -> int:
    return text.rfind("\n", 0, i) + 1


def _sentence_ends(text: str, spans: Sequence[QuotedSpan]) -> list[int]:
    """Offsets just past sentence-final punctuation outside quotation marks."""
    ends: list[int] = []
    inside = [(s.open, s.close) for s in spans]
    for match in _SENTENCE_END.finditer(text):
        at = match.start()
        if any(a <= at < b for a, b in inside):
            continue
        if text[at] == ".":
            word = re.search(r"(\w+)$", text[max(0, at - 12) : at])
            if word and (
                word.group(1).lower() in _ABBREVIATIONS
                or (len(word.group(1)) == 1 and word.group(1).isupper())
            ):
                continue
        ends.append(match.end())
    return ends


# --- Speakers ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Context:
    doc: Doc
    mentions: Sequence[MentionDraft]
    spans: Sequence[QuotedSpan]
    roles: dict[int, set[str]] = field(default_factory=dict)  # mention index -> role words
    subjects: dict[int, bool] = field(default_factory=dict)  # mention index -> is a subject
    speakers: list[tuple[int, str, EntityType | None]] = field(default_factory=list)

    def in_quote(self, offset: int) -> bool:
        return any(s.open <= offset < s.close for s in self.spans)

    def mention_at(self, token: Token) -> MentionDraft | None:
        for mention in self.mentions:
            if mention.start <= token.idx < mention.end:
                return mention
        return None

    def before(self, offset: int, kind: EntityType) -> list[int]:
        """Indices of mentions of ``kind`` ending before ``offset``, outside quotes, nearest
        first."""
        found = [
            i
            for i, m in enumerate(self.mentions)
            if m.type is kind and m.end <= offset and not self.in_quote(m.start)
        ]
        return sorted(found, key=lambda i: self.mentions[i].start, reverse=True)


def _role_words(doc: Doc, mentions: Sequence[MentionDraft]) -> dict[int, set[str]]:
    """Role words per person mention: its ``role`` and the nouns of an apposition either way
    ("Ruud Brinkhorst, the union's chief negotiator"; "a spokesman for X, Julien Castagne")."""
    roles: dict[int, set[str]] = {}
    by_token: dict[int, int] = {}
    for index, mention in enumerate(mentions):
        if mention.type is not EntityType.PERSON:
            continue
        words = {w.casefold() for w in re.findall(r"[\w-]+", mention.role or "")}
        roles[index] = words
        span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
        if span is None:
            continue
        for token in span:
            by_token[token.i] = index
    for token in doc:
        if token.dep_ != "appos":
            continue
        head = token.head
        if token.i in by_token and head.pos_ == "NOUN":
            roles[by_token[token.i]] |= _noun_words(head)
        elif head.i in by_token and token.pos_ in ("NOUN", "ADJ"):
            roles[by_token[head.i]] |= _noun_words(token)
    return roles


def _noun_words(token: Token) -> set[str]:
    words = {token.lower_}
    for child in token.children:
        if child.dep_ in ("compound", "amod") and child.pos_ in ("NOUN", "ADJ", "PROPN"):
            words.add(child.lower_)
    if "-" in token.text:
        words.update(token.lower_.split("-"))
    # "director-general" is parsed as "director", "-", "general".
    if token.i >= 2 and token.doc[token.i - 1].text == "-":
        words.add(f"{token.doc[token.i - 2].lower_}-{token.lower_}")
        words.add(token.doc[token.i - 2].lower_)
    return words


def _as_written(token: Token) -> str:
    """The noun phrase up to its head ("a spokesman", "Turkish officials"), no clauses."""
    start = token.left_edge.i
    while start < token.i and (token.doc[start].is_punct or token.doc[start].is_space):
        start += 1
    return token.doc[start : token.i + 1].text


def _resolve(ctx: _Context, token: Token, limit: int) -> tuple[str | None, EntityType | None]:
    """Who ``token`` (a verb's subject, or the object of "according to") is."""
    lower = token.lower_
    mention = ctx.mention_at(token)
    if mention is not None and mention.type is not EntityType.NATIONALITY:
        mention = _fullest(ctx, mention)
        return mention.name, mention.type
    if lower in _PERSON_PRONOUNS:
        found_person = _antecedent(ctx, min(limit, token.idx))
        if found_person is not None:
            found_person = _fullest(ctx, found_person)
            return found_person.name, found_person.type
        return None, None
    if lower in _THING_PRONOUNS:
        orgs = ctx.before(min(limit, token.idx), EntityType.ORGANIZATION)
        if orgs:
            found = ctx.mentions[orgs[0]]
            return found.name, found.type
        return None, None
    if lower in _OTHER_PRONOUNS or token.pos_ == "PRON":
        return None, None
    # A name inside the subject: "a spokesman for the company, Julien Castagne".
    inner = _name_inside(ctx, token)
    if inner is not None:
        return inner.name, inner.type
    common = token.pos_ == "NOUN" or (token.pos_ == "PROPN" and token.is_lower)
    if not common and token.pos_ == "PROPN":
        same = [m for m in ctx.mentions if lower in m.name.casefold().split()]
        if same:
            return same[-1].name, same[-1].type
        return _as_written(token), None
    if lower in _SOURCE_NOUNS:
        # "according to Commission estimates", "figures cited by the broadcaster", "a
        # statement released by the ministry": whoever made the document speaks.
        for part in token.subtree:
            if part.dep_ == "pobj" and part.head.lower_ in ("by", "from"):
                return _resolve(ctx, part, limit)
        for child in token.children:
            source = ctx.mention_at(child) if child.dep_ in ("compound", "poss") else None
            if source is not None and source.type is not EntityType.NATIONALITY:
                return source.name, source.type
    definite = any(c.dep_ in ("det", "poss") and c.lower_ in _DEFINITE for c in token.children)
    if definite and common:  # the tagger may call a lower-case "minister" a proper noun
        found_role = _by_role(ctx, token, min(limit, token.left_edge.idx))
        if found_role is not None:
            return found_role
    return _as_written(token), None


def _fullest(ctx: _Context, mention: MentionDraft) -> MentionDraft:
    """A one-word name as the surname of a longer one named earlier ("Scholz" after "Olaf
    Scholz"), where the entity stage left them apart (the small model may type the two
    differently)."""
    words = mention.name.split()
    if len(words) != 1:
        return mention
    key = words[0].casefold()
    longer = [
        m
        for m in ctx.mentions
        if m.start < mention.start
        and len(m.name.split()) >= 2
        and m.name.split()[-1].casefold() == key
        and m.type in (EntityType.PERSON, EntityType.ORGANIZATION)
    ]
    if not longer:
        return mention
    best = max(longer, key=lambda m: m.start)
    kind = EntityType.PERSON if EntityType.PERSON in (best.type, mention.type) else best.type
    return MentionDraft(
        text=mention.text,
        start=mention.start,
        end=mention.end,
        type=kind,
        name=best.name,
        role=mention.role,
    )


def _antecedent(ctx: _Context, offset: int) -> MentionDraft | None:
    """Whom "he" or "she" at ``offset`` means: the most recent person named outside quotation
    marks, preferring one who is the subject of a clause in the same paragraph (the person
    the passage is about); gender is not guessed."""
    candidates = [
        i
        for i, m in enumerate(ctx.mentions)
        if m.end <= offset and not ctx.in_quote(m.start) and _person_like(ctx, i)
    ]
    candidates.sort(key=lambda i: ctx.mentions[i].start, reverse=True)
    if not candidates:
        return None
    text = ctx.doc.text
    window = _paragraph_start(text, offset)
    for index in candidates:
        mention = ctx.mentions[index]
        if mention.start < window:
            break
        if ctx.subjects.get(index, False):
            return mention
    return ctx.mentions[candidates[0]]


def _person_like(ctx: _Context, index: int) -> bool:
    """A person, or a name typed otherwise that speaks like one: the subject of a reporting
    verb, two or more capitalised words, none of them an organisation word."""
    mention = ctx.mentions[index]
    if mention.type is EntityType.PERSON:
        return True
    if mention.type is not EntityType.ORGANIZATION or not ctx.subjects.get(index, False):
        return False
    words = mention.name.split()
    return (
        len(words) >= 2
        and all(w[:1].isupper() for w in words)
        and not any(w.casefold().strip(".,") in _ORG_WORDS for w in words)
    )


def _subject_mentions(doc: Doc, mentions: Sequence[MentionDraft]) -> dict[int, bool]:
    """Mention index -> whether the name is a clause's subject (itself, or through a title
    or an apposition: "Governor Selim Aksoy said", "Ruud Brinkhorst, the negotiator, said")."""
    subjects: dict[int, bool] = {}
    for index, mention in enumerate(mentions):
        span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
        if span is None:
            continue
        root = span.root
        while root.dep_ in ("compound", "appos", "flat") and root.head.i != root.i:
            root = root.head
        subjects[index] = root.dep_ in ("nsubj", "nsubjpass")
    return subjects


def _name_inside(ctx: _Context, token: Token) -> MentionDraft | None:
    """A person named in the subject's own phrase (an apposition, a "for"-phrase: "a
    spokesman for the company, Julien Castagne"), not in a relative clause of it."""
    for part in token.subtree:
        if part.i == token.i or part.dep_ not in ("appos", "conj") or _in_clause(part, token):
            continue
        mention = ctx.mention_at(part)
        if mention is not None and mention.type is EntityType.PERSON:
            return mention
    for child in token.children:
        # "Turkey's disaster management agency, AFAD"
        mention = ctx.mention_at(child) if child.dep_ == "appos" else None
        if mention is not None and mention.type is not EntityType.NATIONALITY:
            return mention
    return None


def _in_clause(part: Token, top: Token) -> bool:
    """Whether ``part`` sits in a relative or participle clause below ``top``."""
    node = part
    while node.i != top.i and node.head.i != node.i:
        if node.dep_ in ("relcl", "acl"):
            return True
        node = node.head
    return False


def _by_role(
    ctx: _Context, token: Token, offset: int
) -> tuple[str | None, EntityType | None] | None:
    noun = token.lower_
    words = _noun_words(token) | {noun}
    for index in ctx.before(offset, EntityType.PERSON):
        if noun in ctx.roles.get(index, set()) or (
            noun.startswith("spokes") and any(w.startswith("spokes") for w in ctx.roles[index])
        ):
            found = ctx.mentions[index]
            return found.name, found.type
    text = ctx.doc.text
    for index in ctx.before(offset, EntityType.ORGANIZATION):
        found = ctx.mentions[index]
        following = text[found.end : found.end + 40].split()[:1]
        if noun in found.name.casefold().split() or [w.casefold() for w in following] == [noun]:
            # "the Reserve Bank of Corvania ... the bank"; "the Havenbond union ... the union"
            return found.name, found.type
    if noun in _ROLE_NOUNS or words & _ROLE_NOUNS:
        people = [s for s in ctx.speakers if s[0] < offset and s[2] is EntityType.PERSON]
        if people:
            return people[-1][1], people[-1][2]
    if noun in _GENERIC_ORG_NOUNS:
        orgs = ctx.before(offset, EntityType.ORGANIZATION)
        if orgs:
            found = ctx.mentions[orgs[0]]
            return found.name, found.type
    return None


def _subject(token: Token) -> Token | None:
    """The speaker token of a reporting verb (or of "according")."""
    if token.lower_ == "according":
        for child in token.children:
            if child.lower_ == "to":
                objects = [c for c in child.children if c.dep_ == "pobj"]
                return objects[0] if objects else None
        return None
    own = _own_subject(token)
    if own is not None and token.tag_ != "VBG":
        return own
    # A participle ("..., adding that", "saying only") reports for the main clause's subject:
    # the highest verb above it that has one.
    found = own
    if token.tag_ == "VBG":
        # Skip clauses the participle may hang on by a parsing slip: reported or
        # subordinate ones ("declined to say whether X would go, saying ...").
        for ancestor in token.ancestors:
            subordinate = ancestor.dep_ in ("ccomp", "relcl") or any(
                c.dep_ == "mark" for c in ancestor.children
            )
            subject = None if subordinate else _own_subject(ancestor)
            if subject is not None:
                return subject
        return found
    verb = token
    for _ in range(6):
        if (
            verb.dep_ not in ("advcl", "xcomp", "conj", "pcomp", "acl", "ccomp")
            or verb.head == verb
        ):
            break
        verb = verb.head
        subject = _own_subject(verb)
        if subject is not None:
            return subject
    return found


def _own_subject(verb: Token) -> Token | None:
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
    if not subjects:
        return None
    subject = min(subjects, key=lambda c: abs(c.i - verb.i))  # the nearest, when the parse
    # gives two ("An earthquake killed 14, officials said")
    if subject.lower_ in ("who", "which", "that") and verb.dep_ == "relcl":
        return verb.head  # "AFAD, which said ...": the noun the clause hangs on
    return subject


def _is_cue(token: Token, *, quote: bool) -> bool:
    lower = token.lower_
    if lower == "according":
        return any(c.lower_ == "to" for c in token.children) or (
            token.i + 1 < len(token.doc) and token.doc[token.i + 1].lower_ == "to"
        )
    if lower not in CUE_WORDS or token.pos_ not in ("VERB", "AUX"):
        return False
    return quote or lower not in _QUOTE_ONLY


def _cue_text(token: Token) -> str:
    return "according to" if token.lower_ == "according" else token.text


# --- Step 2: direct quotes ----------------------------------------------------------------------


@dataclass(slots=True)
class _Found:
    span: QuotedSpan
    cue: Token | None = None
    after: bool = False  # the attribution follows the quote
    attribution_end: int = 0  # where the attribution after the quote ends
    speaker: str | None = None
    speaker_type: EntityType | None = None
    group: int = -1

    @property
    def cue_index(self) -> int:
        return self.cue.i if self.cue is not None else -1


def _tokens_in(doc: Doc, start: int, end: int) -> Iterable[Token]:
    span = doc.char_span(start, end, alignment_mode="contract")
    return span if span is not None else ()


def _attribute(ctx: _Context, found: _Found, ends: Sequence[int], index: int) -> None:
    doc, text = ctx.doc, ctx.doc.text
    span = found.span
    para = _paragraph_start(text, span.open)
    previous = ctx.spans[index - 1].close if index > 0 else 0
    # Cues are looked for back to the sentence start (a fragment may follow another quote of
    # the same report: 'X said it was "sincere" but would "defend" ...'); text inside quotes
    # never holds one.
    before_start = max([para, *[e for e in ends if e <= span.open]])
    next_open = ctx.spans[index + 1].open if index + 1 < len(ctx.spans) else len(text)
    after_end = min(
        [_paragraph_end(text, span.close), next_open, *[e for e in ends if e > span.close]]
    )
    before = [
        t
        for t in _tokens_in(doc, before_start, span.open)
        if _is_cue(t, quote=True) and not ctx.in_quote(t.idx)
    ]
    after = [
        t
        for t in _tokens_in(doc, span.close, after_end)
        if _is_cue(t, quote=True) and not ctx.in_quote(t.idx)
    ]
    lead = text[max(before_start, previous) : span.open]
    mid_sentence = any(ch.isalnum() for ch in lead)
    quoted = text[span.start : span.end].rstrip()
    if after and quoted.endswith(".") and not mid_sentence:
        # "“... today.” Rathke also asked ...": a new sentence, unless the cue comes at once.
        near = [t for t in after if len(text[span.close : t.idx].split()) <= 3]
        after = near
    if mid_sentence and before:
        found.cue = before[-1]
    elif after:
        found.cue, found.after = after[0], True
        found.attribution_end = after_end
    elif before:
        found.cue = before[-1]
    if found.cue is None:
        return
    subject = _subject(found.cue)
    if subject is None:
        subject = _nearest_name(ctx, found)
    if subject is not None:
        found.speaker, found.speaker_type = _resolve(ctx, subject, span.open)


def _nearest_name(ctx: _Context, found: _Found) -> Token | None:
    """When the parse gives the cue no subject: the nearest named person or organisation in
    the attribution, on the side of the quote the cue is on."""
    assert found.cue is not None
    cue = found.cue
    sent = cue.sent
    tokens = [t for t in sent if not ctx.in_quote(t.idx) and ctx.mention_at(t) is not None]
    wanted = [
        t
        for t in tokens
        if ctx.mention_at(t).type in (EntityType.PERSON, EntityType.ORGANIZATION)  # type: ignore[union-attr]
    ]
    if not wanted:
        return None
    return min(wanted, key=lambda t: abs(t.i - cue.i))


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def _direct(ctx: _Context) -> list[_Found]:
    text = ctx.doc.text
    ends = _sentence_ends(text, ctx.spans)
    found = [_Found(span) for span in ctx.spans]
    for index, item in enumerate(found):
        _attribute(ctx, item, ends, index)
        if item.speaker is not None and item.cue is not None:
            ctx.speakers.append((item.cue.idx, item.speaker, item.speaker_type))
    # Group the pieces of one quote: "“A,” she said, “B.”", "“A,” she said. “B.”", "“A.” “B,”
    # she said."
    group = 0
    for index, item in enumerate(found):
        if index > 0:
            prev = found[index - 1]
            same_para = "\n" not in text[prev.span.close : item.span.open]
            between = text[prev.span.close : item.span.open]
            lead = text[_paragraph_start(text, item.span.open) : item.span.open]
            fresh = not any(ch.isalnum() for ch in _after_last_end(lead, ends, item.span.open))
            if same_para:
                continues = prev.after and not text[prev.attribution_end : item.span.open].strip()
                if continues and (item.cue is None or item.cue.i == prev.cue_index):
                    # "“A,” she said, “B.”": the second piece's only cue is the first's.
                    item.group = prev.group  # continues after the attribution
                    continue
                if fresh and item.cue is None and not between.strip() and prev.cue is not None:
                    item.group = prev.group  # "“A.” “B.”" after "X said:"
                    continue
                if fresh and prev.cue is None and not between.strip() and item.cue is not None:
                    prev.group = group  # "“A.” “B,” she said."
                    item.group = group
                    group += 1
                    continue
        item.group = group
        group += 1
    return found


def _after_last_end(lead: str, ends: Sequence[int], open_at: int) -> str:
    start = open_at - len(lead)
    last = max([start, *[e for e in ends if start <= e <= open_at]])
    return lead[last - start :]


def _direct_quotes(ctx: _Context, found: list[_Found]) -> list[QuoteDraft]:
    text = ctx.doc.text
    groups: dict[int, list[_Found]] = {}
    for item in found:
        groups.setdefault(item.group, []).append(item)
    quotes: list[tuple[QuoteDraft, int]] = []
    last_by_para: dict[int, QuoteDraft] = {}
    for number in sorted(groups):
        members = groups[number]
        head = next((m for m in members if m.cue is not None), members[0])
        pieces = [p for m in members for p in m.span.pieces]
        words = sum(_words(text[a:b]) for a, b in pieces)
        para = _paragraph_start(text, members[0].span.open)
        speaker, speaker_type = head.speaker, head.speaker_type
        cue = _cue_text(head.cue) if head.cue is not None else None
        if head.cue is None:
            if words < _SPEECH_WORDS:
                continue  # a title, a nickname, a scare quote
            lead = text[para : members[0].span.open]
            carried = _previous_paragraph_quote(text, para, last_by_para)
            if not lead.strip() and carried is not None:
                speaker, speaker_type = carried.speaker, carried.speaker_type
        parts: list[str] = [text[pieces[0][0] : pieces[0][1]]]
        for (_, prev_end), (a, b) in itertools.pairwise(pieces):
            parts.append("\n\n" if "\n" in text[prev_end:a] else " ")
            parts.append(text[a:b])
        quote = QuoteDraft(
            text="".join(parts),
            start=pieces[0][0],
            end=pieces[-1][1],
            direct=True,
            speaker=speaker,
            speaker_type=speaker_type,
            cue=cue,
        )
        quotes.append((quote, para))
        last_by_para[_paragraph_start(text, pieces[-1][0])] = quote
    return [q for q, _ in quotes]


def _previous_paragraph_quote(
    text: str, para: int, last_by_para: dict[int, QuoteDraft]
) -> QuoteDraft | None:
    if para < 2:
        return None
    end = para - 1
    while end > 0 and text[end - 1].isspace():
        end -= 1
    previous = _paragraph_start(text, end)
    quote = last_by_para.get(previous)
    if quote is None or quote.speaker is None:
        return None
    return quote


# --- Step 3: reported speech --------------------------------------------------------------------


def _content(token: Token, subject: Token) -> tuple[int, int] | None:
    """Token range of what a reporting verb reports, or None."""
    doc = token.doc
    if token.lower_ == "according":
        sent = token.sent
        inner = [t.i for t in token.subtree]
        before = (sent.start, min(inner))
        # "CLAUSE, according to X" reports the clause before; "According to X, CLAUSE" after.
        return before if before[1] - before[0] >= 3 else (max(inner) + 1, sent.end)
    complements = [c for c in token.children if c.dep_ == "ccomp"]
    after = [c for c in complements if c.i > token.i]
    if after:
        return min(c.left_edge.i for c in after), max(c.right_edge.i for c in after) + 1
    # "CLAUSE, X said" / "CLAUSE, said X": the clause ends in a comma or dash right before the
    # attribution, whatever the parse made of it.
    attribution = min(subject.left_edge.i, token.i)
    trailing = [
        c
        for c in token.children
        if c.i > token.i
        and c.dep_ not in ("punct", "advmod", "npadvmod", "prep", "advcl", "nsubj")
        and not (c.dep_ in ("dobj", "dative") and token.lower_.startswith("tel"))
    ]
    modal = any(c.dep_ == "aux" and c.tag_ == "MD" for c in token.children)  # "will add"
    if (
        not trailing
        and not modal
        and attribution > 0
        and doc[attribution - 1].text in (",", "\u2014", "\u2013", "-")
        and subject.i != token.i
        and all(t.i >= attribution for t in (subject, token))
    ):
        first = min([c.left_edge.i for c in complements] or [token.sent.start])
        if attribution - 1 - first >= 3:
            return first, attribution - 1
    if complements:
        return None
    for child in token.children:
        # "said in a statement that ...": the clause hangs on the noun
        if child.dep_ != "prep":
            continue
        for part in child.subtree:
            if part.dep_ in ("acl", "ccomp") and any(
                c.dep_ == "mark" and c.lower_ == "that" for c in part.children
            ):
                return part.left_edge.i, part.right_edge.i + 1
    if token.lower_ in _DESCRIBE:
        objects = [c for c in token.children if c.dep_ == "dobj"]
        preps = [c for c in token.children if c.dep_ == "prep" and c.lower_ == "as"]
        if objects and (preps or any(t.lower_ == "as" for t in objects[0].subtree)):
            end = max([objects[0].right_edge.i, *[p.right_edge.i for p in preps]])
            return objects[0].left_edge.i, end + 1
    if token.dep_ == "parataxis" and token.i > token.head.i:
        head = token.head
        return head.left_edge.i, token.left_edge.i
    return None


_DATELINE = re.compile(
    r"^[A-Z][A-Z .'/-]+(?:,[^\n\u2013\u2014-]{0,40})?(?:\([^)\n]*\))?\s*[-\u2013\u2014]\s+"
)


_EDGE_PUNCT = frozenset(
    {",", ".", ";", ":", "-", "\u2013", "\u2014", '"', "'", "\u201c", "\u201d", "\u2018", "\u2019"}
)


def _trim_tokens(doc: Doc, start: int, end: int) -> tuple[int, int]:
    # Within one paragraph: the part after the last line break.
    for i in range(end - 1, start - 1, -1):
        if "\n" in doc[i].text_with_ws and i < end - 1:
            start = i + 1
            break
    dateline = _DATELINE.match(doc[start:end].text) if end > start else None
    if dateline:
        cut = doc[start].idx + dateline.end()
        while start < end and doc[start].idx < cut:
            start += 1
    while start < end and (
        doc[start].text in _EDGE_PUNCT or doc[start].is_space or doc[start].lower_ == "that"
    ):
        if doc[start].lower_ == "that" and doc[start].dep_ != "mark":
            break
        start += 1
    while end > start and (
        doc[end - 1].text in _EDGE_PUNCT or doc[end - 1].is_space or doc[end - 1].dep_ == "cc"
    ):
        end -= 1
    for i in range(start, end):
        if "\n" in doc[i].text_with_ws and i < end - 1:
            end = i + 1
            break
    return start, end


def _indirect(ctx: _Context, used: set[int]) -> list[QuoteDraft]:
    doc = ctx.doc
    quotes: list[QuoteDraft] = []
    for token in doc:
        if token.i in used or ctx.in_quote(token.idx) or not _is_cue(token, quote=False):
            continue
        subject = _subject(token)
        if subject is None:
            continue
        bounds = _content(token, subject)
        if bounds is None:
            continue
        start, end = _trim_tokens(doc, *bounds)
        if end - start < 3 or start <= subject.i < end:
            continue
        piece: Span = doc[start:end]
        if any(s.open < piece.end_char and piece.start_char < s.close for s in ctx.spans):
            continue  # a quoted fragment in the report: the fragment is the quote
        speaker, speaker_type = _resolve(ctx, subject, subject.idx)
        quotes.append(
            QuoteDraft(
                text=piece.text,
                start=piece.start_char,
                end=piece.end_char,
                direct=False,
                speaker=speaker,
                speaker_type=speaker_type,
                cue=_cue_text(token),
            )
        )
    return quotes


def _with_untagged_speakers(doc: Doc, mentions: Sequence[MentionDraft]) -> list[MentionDraft]:
    """``mentions`` plus the proper-noun subjects of reporting verbs the model did not tag
    ("Tomasz Wilk said ..."), as people, so "he said" later can find them."""
    covered = [(m.start, m.end) for m in mentions]
    extra: list[MentionDraft] = []
    for token in doc:
        if token.dep_ != "nsubj" or token.pos_ != "PROPN" or not _is_cue(token.head, quote=True):
            continue
        if any(a <= token.idx < b for a, b in covered):
            continue
        start = token.i
        while start > 0 and doc[start - 1].dep_ == "compound" and doc[start - 1].pos_ == "PROPN":
            start -= 1
        name = doc[start : token.i + 1]
        if not all(t.is_title for t in name) or any(t.lower_ in _ROLE_NOUNS for t in name):
            continue
        extra.append(
            MentionDraft(
                text=name.text,
                start=name.start_char,
                end=name.end_char,
                type=EntityType.PERSON,
                name=name.text,
            )
        )
    return sorted([*mentions, *extra], key=lambda m: (m.start, m.end))


def find_quotes(doc: Doc, mentions: Sequence[MentionDraft]) -> tuple[QuoteDraft, ...]:
    """The direct and reported quotes of one parsed article body, in text order.

    ``doc`` is the body parsed by ``entities.load_pipeline()`` (the dependency parse is used);
    ``mentions`` are ``entities.mentions_of(doc)``. Offsets are into ``doc.text``.
    """
    spans = quoted_spans(doc.text)
    ctx = _Context(doc=doc, mentions=_with_untagged_speakers(doc, mentions), spans=spans)
    ctx.roles = _role_words(doc, ctx.mentions)
    ctx.subjects = _subject_mentions(doc, ctx.mentions)
    found = _direct(ctx)
    direct = _direct_quotes(ctx, found)
    used = {item.cue.i for item in found if item.cue is not None}
    reported = _indirect(ctx, used)
    return tuple(sorted([*direct, *reported], key=lambda q: (q.start, q.end)))
