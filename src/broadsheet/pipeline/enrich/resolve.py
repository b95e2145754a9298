"""Across articles: which stored entity each article-level name is.

An article's mentions arrive already grouped by ``entities.find_mentions`` (every "Scholz" of the
article carries the name "Olaf Scholz"). Here each group is matched to the entity catalog:

1. **Full names** (two words or more) match an entity that has gone by exactly that name, else one
   whose name contains it or is contained in it with the surname shared ("Lula da Silva" and
   "Luiz Inácio Lula da Silva").
2. **Single words** ("Scholz", "Lula", "ECB", "Berlin") match an entity that has gone by exactly
   that word. For a person that is not enough: two people share a surname far too often, so a
   lone surname joins an entity only with evidence, an entity of this article that was named
   alongside it before. Without it the surname becomes an entity of its own, which is a missed
   merge, not a wrong one.
3. When several entities fit, the one sharing the most co-occurring entities with this article
   wins, then the one in most articles; none fits: a new entity.

The algorithm is written once, over a small storage interface: ``EntityCatalog`` keeps the
catalog in memory (evaluation, tests); the store implements the same methods over its tables.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from broadsheet.model import EntityType, MentionDraft
from broadsheet.pipeline.enrich.entities import name_key, name_tokens

__all__ = [
    "ArticleEntity",
    "Candidate",
    "CatalogBase",
    "EntityCatalog",
    "derived_keys",
    "group_mentions",
]

# Types the small NER model confuses with each other for the same name.
_COMPATIBLE = {
    EntityType.PERSON: (EntityType.PERSON, EntityType.ORGANIZATION),
    EntityType.ORGANIZATION: (EntityType.ORGANIZATION, EntityType.PERSON),
    EntityType.PLACE: (EntityType.PLACE,),
    EntityType.NATIONALITY: (EntityType.NATIONALITY,),
}


@dataclass(frozen=True, slots=True)
class ArticleEntity:
    """One name of one article with every way the article wrote it."""

    type: EntityType
    name: str
    aliases: frozenset[str]
    roles: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        return name_key(self.name)

    @property
    def tokens(self) -> tuple[str, ...]:
        return name_tokens(self.name)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A catalog entity as matching needs it."""

    id: int
    name: str
    type: EntityType
    keys: frozenset[str]
    articles: int = 0

    @property
    def tokens(self) -> tuple[str, ...]:
        return name_tokens(self.name)


def group_mentions(mentions: Iterable[MentionDraft]) -> list[ArticleEntity]:
    """The article's entities: mentions sharing (type, name), with their spellings and roles."""
    texts: dict[tuple[EntityType, str], set[str]] = {}
    roles: dict[tuple[EntityType, str], set[str]] = {}
    for mention in mentions:
        key = (mention.type, mention.name)
        texts.setdefault(key, {mention.name}).add(mention.text)
        if mention.role:
            roles.setdefault(key, set()).add(mention.role)
    return [
        ArticleEntity(kind, name, frozenset(aliases), frozenset(roles.get((kind, name), ())))
        for (kind, name), aliases in texts.items()
    ]


def _is_acronym_of(key: str, group: ArticleEntity) -> bool:
    """An alias that the article wrote as the initials of its full name ("ECB")."""
    return len(key.split()) == 1 and key in derived_keys(group.name, group.type)


def _contains(long: Sequence[str], short: Sequence[str]) -> bool:
    n = len(short)
    return any(tuple(long[i : i + n]) == tuple(short) for i in range(len(long) - n + 1))


def _name_fits(group: ArticleEntity, candidate: Candidate) -> bool:
    """Two full names of one person or organisation: one within the other, surname shared."""
    mine, theirs = group.tokens, candidate.tokens
    if len(mine) < 2 or len(theirs) < 2:
        return False
    if mine[-1] != theirs[-1]:
        return False
    return _contains(theirs, mine) or _contains(mine, theirs)


# Company-form words that do not change which organisation is meant ("Intel Corp." is Intel).
_DESIGNATORS = frozenset(
    "corp corporation inc incorporated co company ltd limited plc llc lp ag sa nv se gmbh "
    "group holdings holding".split()
)
_NOT_INITIAL = frozenset({"of", "the", "and", "for", "de", "du", "des", "la", "le"})


def derived_keys(name: str, kind: EntityType) -> set[str]:
    """Other keys an organisation or place is known by: its name without company-form words
    ("intel" for "Intel Corp."), and its initials when they make a real acronym ("amd" for
    "Advanced Micro Devices"; at least three letters, so "US" and "PM" stay ambiguous)."""
    if kind not in (EntityType.ORGANIZATION, EntityType.PLACE):
        return set()
    words = list(name_tokens(name))
    keys: set[str] = set()
    if kind is EntityType.ORGANIZATION:
        core = list(words)
        while len(core) > 1 and core[-1] in _DESIGNATORS:
            core.pop()
        if core != words:
            keys.add(" ".join(core))
        words = core
    initials = [w[0] for w in words if w not in _NOT_INITIAL]
    if len(words) >= 2 and len(initials) >= 3:
        keys.add("".join(initials))
    return keys


class CatalogBase(ABC):
    """The matching algorithm; subclasses say where entities live."""

    # --- storage ---------------------------------------------------------------------------------

    @abstractmethod
    def by_keys(self, types: Collection[EntityType], keys: Collection[str]) -> list[Candidate]:
        """Entities of these types that have gone by any of these name keys."""

    @abstractmethod
    def by_token(self, types: Collection[EntityType], token: str) -> list[Candidate]:
        """Entities of these types with a multi-word name containing this word."""

    @abstractmethod
    def neighbours(self, entity_ids: Collection[int]) -> Mapping[int, frozenset[int]]:
        """For each entity, the entities named in the same articles before."""

    @abstractmethod
    def create(self, group: ArticleEntity) -> int:
        """Store a new entity for ``group``; return its id."""

    @abstractmethod
    def extend(self, entity_id: int, group: ArticleEntity) -> None:
        """Record that ``group``'s spellings and roles belong to this entity."""

    @abstractmethod
    def link(self, entity_ids: Collection[int]) -> None:
        """Record that these entities were named in one article (``resolve``'s last call)."""

    @abstractmethod
    def prepare(self, groups: Sequence[ArticleEntity]) -> None:
        """Called once per article with all its names, before any lookup: a catalog over a
        database reads here what the lookups will ask for."""

    # --- matching --------------------------------------------------------------------------------

    def resolve(self, mentions: Sequence[MentionDraft]) -> dict[tuple[EntityType, str], int]:
        """Map each (type, article-level name) of one article to an entity id, creating
        entities as needed. Call once per article, in the order articles arrive."""
        groups = group_mentions(mentions)
        self.prepare(groups)
        # Full names first: they are safe to match and give context to lone surnames.
        groups.sort(key=lambda g: (len(g.tokens) < 2, g.type.value, g.name))
        found = {(g.type, g.name): self._candidates(g) for g in groups}
        # Every candidate's neighbourhood in one read: the candidates are all known now (an
        # entity this article creates is never one), and neighbourhoods only grow at ``link``.
        every = sorted({c.id for candidates in found.values() for c in candidates})
        near = self.neighbours(every) if every else {}
        resolved: dict[tuple[EntityType, str], int] = {}
        for group in groups:
            key = (group.type, group.name)
            # Context: what this article's other names are, or may be.
            context = set(resolved.values())
            for other, candidates in found.items():
                if other != key and other not in resolved:
                    context.update(c.id for c in candidates)
            need = len(group.tokens) < 2 and (
                group.type is EntityType.PERSON
                or any(c.type is EntityType.PERSON for c in found[key])
            )
            entity_id = self._best(group, found[key], context, near, need_evidence=need)
            if entity_id is None:
                entity_id = self.create(group)
            else:
                self.extend(entity_id, group)
            resolved[key] = entity_id
        self.link(set(resolved.values()))
        return resolved

    def _candidates(self, group: ArticleEntity) -> list[Candidate]:
        types = _COMPATIBLE[group.type]
        keys = {name_key(alias) for alias in group.aliases} | {group.key}
        derived = set().union(*(derived_keys(a, group.type) for a in group.aliases | {group.name}))
        if len(group.tokens) < 2:
            # A lone word matches an entity that went by exactly that word; a person's also one
            # whose full name has it ("Macron"), which then needs evidence (see ``resolve``).
            found = self.by_keys(types, keys)
            if group.type is EntityType.PLACE and not found and group.tokens:
                # No place of that name yet: perhaps a surname the model took for a place
                # ("Scholz told reporters"); matched only with evidence, as any lone surname.
                return [
                    c
                    for c in self.by_token((EntityType.PERSON,), group.tokens[0])
                    if c.tokens[-1] == group.tokens[0]
                ]
            if group.type is EntityType.PERSON and group.tokens:
                known = {c.id for c in found}
                found += [
                    c
                    for c in self.by_token(types, group.tokens[0])
                    if c.id not in known and c.type is EntityType.PERSON
                ]
            return found
        strong = {key for key in keys if len(key.split()) >= 2} | derived
        strong |= {key for key in keys if key in derived or _is_acronym_of(key, group)}
        candidates = self.by_keys(types, strong)
        if not candidates and group.type in (EntityType.PERSON, EntityType.ORGANIZATION):
            candidates = [c for c in self.by_token(types, group.tokens[-1]) if _name_fits(group, c)]
        return candidates

    def _best(
        self,
        group: ArticleEntity,
        candidates: list[Candidate],
        context: set[int],
        near: Mapping[int, frozenset[int]],
        *,
        need_evidence: bool,
    ) -> int | None:
        if not candidates:
            return None
        unique = {c.id: c for c in candidates}
        overlap: Counter[int] = Counter()
        if context:
            for entity_id in unique:
                overlap[entity_id] = len(near.get(entity_id, frozenset()) & context)
        if need_evidence:
            unique = {i: c for i, c in unique.items() if overlap[i] > 0}
            if not unique:
                return None
        best = max(
            unique.values(),
            key=lambda c: (overlap[c.id], c.type is group.type, c.articles, -c.id),
        )
        return best.id


@dataclass(slots=True)
class _Stored:
    id: int
    name: str
    type_votes: Counter[EntityType]
    keys: set[str]
    aliases: set[str]
    roles: set[str]
    articles: int = 0
    near: set[int] = field(default_factory=set)

    @property
    def type(self) -> EntityType:
        return max(self.type_votes.items(), key=lambda item: item[1])[0]


class EntityCatalog(CatalogBase):
    """The catalog in memory: for evaluation runs and tests."""

    def __init__(self) -> None:
        self._entities: dict[int, _Stored] = {}
        self._by_key: dict[str, set[int]] = {}
        self._by_token: dict[str, set[int]] = {}

    def __len__(self) -> int:
        return len(self._entities)

    def entity(self, entity_id: int) -> tuple[str, EntityType, frozenset[str]]:
        """(name, type, aliases) of one entity."""
        stored = self._entities[entity_id]
        return stored.name, stored.type, frozenset(stored.aliases)

    def _candidate(self, stored: _Stored) -> Candidate:
        return Candidate(
            stored.id, stored.name, stored.type, frozenset(stored.keys), stored.articles
        )

    def prepare(self, groups: Sequence[ArticleEntity]) -> None:
        """Nothing to read ahead: the catalog is in memory."""

    def by_keys(self, types: Collection[EntityType], keys: Collection[str]) -> list[Candidate]:
        ids = {i for key in keys for i in self._by_key.get(key, ())}
        return [
            self._candidate(self._entities[i])
            for i in sorted(ids)
            if self._entities[i].type in types
        ]

    def by_token(self, types: Collection[EntityType], token: str) -> list[Candidate]:
        return [
            self._candidate(self._entities[i])
            for i in sorted(self._by_token.get(token, ()))
            if self._entities[i].type in types
        ]

    def neighbours(self, entity_ids: Collection[int]) -> Mapping[int, frozenset[int]]:
        return {i: frozenset(self._entities[i].near) for i in entity_ids}

    def create(self, group: ArticleEntity) -> int:
        entity_id = len(self._entities) + 1
        self._entities[entity_id] = _Stored(entity_id, group.name, Counter(), set(), set(), set())
        self.extend(entity_id, group)
        return entity_id

    def extend(self, entity_id: int, group: ArticleEntity) -> None:
        stored = self._entities[entity_id]
        if len(group.tokens) >= 2 or not stored.type_votes:
            # Lone words are where the model mistypes most ("Scholz" as a place): they do not
            # vote on the type of an entity that has a full name.
            stored.type_votes[group.type] += 1
        stored.articles += 1
        stored.roles |= group.roles
        if len(group.tokens) > len(name_tokens(stored.name)):
            stored.name = group.name
        for alias in group.aliases | {group.name}:
            stored.aliases.add(alias)
            key = name_key(alias)
            for other in {key} | derived_keys(alias, group.type):
                stored.keys.add(other)
                self._by_key.setdefault(other, set()).add(entity_id)
            words = key.split()
            if len(words) >= 2:
                for word in words:
                    self._by_token.setdefault(word, set()).add(entity_id)

    def link(self, entity_ids: Collection[int]) -> None:
        for entity_id in entity_ids:
            self._entities[entity_id].near |= set(entity_ids) - {entity_id}
