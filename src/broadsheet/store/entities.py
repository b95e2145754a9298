"""Entities in the store: the catalog the resolver matches against, and the mention rows.

``SqlCatalog`` implements ``pipeline.enrich.resolve.CatalogBase`` over the ``entities``,
``entity_names`` and ``article_entities`` tables, inside the ingest batch's transaction: the
entities an article creates are visible to the next article of the same batch, and roll back with
it. Everything is SQLAlchemy Core, so the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from broadsheet.digits import row_id
from broadsheet.model import (
    ArticleId,
    Entity,
    EntityId,
    EntityType,
    Mention,
    MentionDraft,
)
from broadsheet.pipeline.enrich.entities import name_key, name_tokens
from broadsheet.pipeline.enrich.resolve import (
    ArticleEntity,
    Candidate,
    CatalogBase,
    derived_keys,
)
from broadsheet.store.schema import article_entities, entities, entity_names, mentions

__all__ = [
    "SqlCatalog",
    "entity_rows",
    "load_entity",
    "mentions_of_article",
    "write_mentions",
]

_CHUNK = 500  # keys per IN (...) list: well under SQLite's 32,766 bound parameters


# The catalog's statements, built once with expanding IN parameters. Resolving an article reads
# the entities its names could be in one statement (``_BY_ALIASES``: every entity that has gone
# by any of the article's name keys) instead of once or twice per name: ECB+ in the clustering
# eval spent a third of the store's time per article in entity resolution, most of it in
# statements.
_ARTICLES_NAMING = (
    sa.select(sa.func.count())
    .where(article_entities.c.entity_id == entities.c.id)
    .scalar_subquery()
)
_CANDIDATE_COLUMNS = (
    entity_names.c.key,
    entities.c.id,
    entities.c.name,
    entities.c.type,
    entities.c.type_votes,
    _ARTICLES_NAMING.label("n"),
)
_BY_ALIASES = (
    sa.select(*_CANDIDATE_COLUMNS)
    .join(entities, entities.c.id == entity_names.c.entity_id)
    .where(
        entity_names.c.kind == "alias",
        entity_names.c.key.in_(sa.bindparam("keys", expanding=True)),
    )
)
_BY_TOKEN = (
    sa.select(*_CANDIDATE_COLUMNS)
    .join(entities, entities.c.id == entity_names.c.entity_id)
    .where(
        entity_names.c.kind == "token",
        entity_names.c.key == sa.bindparam("token"),
        entities.c.type.in_(sa.bindparam("types", expanding=True)),
    )
)
# Which of the names an article adds its entities already have (the primary key's index).
_NAMES_HELD = sa.select(entity_names.c.entity_id, entity_names.c.kind, entity_names.c.key).where(
    entity_names.c.entity_id.in_(sa.bindparam("ids", expanding=True)),
    entity_names.c.key.in_(sa.bindparam("keys", expanding=True)),
)
_MINE = article_entities.alias("mine")
_OTHER = article_entities.alias("other")
_NEIGHBOURS = (
    sa.select(_MINE.c.entity_id, _OTHER.c.entity_id.label("near"))
    .join(_OTHER, _OTHER.c.article_id == _MINE.c.article_id)
    .where(
        _MINE.c.entity_id.in_(sa.bindparam("ids", expanding=True)),
        _OTHER.c.entity_id != _MINE.c.entity_id,
    )
    .distinct()
)
_ENTITY_ROW = sa.select(entities.c.name, entities.c.type, entities.c.type_votes).where(
    entities.c.id == sa.bindparam("entity")
)
_ENTITY_UPDATE = entities.update().where(entities.c.id == sa.bindparam("entity"))


@dataclass(slots=True)
class _Known:
    """A catalog entity as one article's resolution sees and changes it."""

    name: str
    type: str
    votes: dict[str, int]
    articles: int


def _wanted_names(group: ArticleEntity) -> dict[tuple[str, str], str]:
    """The names an entity takes from ``group``: (kind, key) -> the spelling recorded. Alias
    keys for every spelling and its derived forms, token keys for the words of multi-word ones.
    Sorted: which spelling a shared key records must not depend on set order."""
    wanted: dict[tuple[str, str], str] = {}
    for alias in sorted(group.aliases | {group.name}):
        key = name_key(alias)
        if not key:
            continue
        wanted.setdefault(("alias", key), alias)
        for other in derived_keys(alias, group.type):
            wanted.setdefault(("alias", other), alias)
        words = key.split()
        if len(words) >= 2:
            for word in words:
                wanted.setdefault(("token", word), word)
    return wanted


class SqlCatalog(CatalogBase):
    """The entity catalog over the store's tables, on one open connection.

    ``prepare`` first reads every entity that has gone by any of the article's name keys, in one
    statement (``_BY_ALIASES``); ``by_keys`` answers from it, which is exact because the
    matching reads all candidates before it creates or extends anything. ``by_token`` (a lone
    surname, a fallback) reads as it is asked. The entities' type votes and new names are
    written together at the end (``link``), and ``types`` then holds each resolved entity's
    type. Each article's ``prepare`` reads afresh, so one catalog can serve many in turn."""

    def __init__(self, conn: Connection, now: datetime) -> None:
        self.conn = conn
        self.now = now
        self.types: dict[int, str] = {}
        self._known: dict[int, _Known] = {}
        self._aliases: dict[str, set[int]] = {}
        self._changed: set[int] = set()
        self._created: set[int] = set()
        self._names: dict[tuple[int, str, str], str] = {}  # (entity, kind, key) -> spelling
        # Each of the article's names' ``_wanted_names``, computed once in ``prepare``.
        self._wanted: dict[tuple[EntityType, str], dict[tuple[str, str], str]] = {}

    def prepare(self, groups: Sequence[ArticleEntity]) -> None:
        # What was read for another article is stale now: start from what the store holds.
        self.types, self._known, self._aliases = {}, {}, {}
        self._wanted = {(g.type, g.name): _wanted_names(g) for g in groups}
        self._read_aliases(
            {key for wanted in self._wanted.values() for kind, key in wanted if kind == "alias"}
        )

    def _remember(self, row: Any) -> Candidate:
        entity_id = int(row.id)
        if entity_id not in self._known:
            votes = dict(row.type_votes or {})
            self._known[entity_id] = _Known(row.name, row.type, votes, int(row.n))
        return Candidate(entity_id, row.name, EntityType(row.type), frozenset(), int(row.n))

    def _read_aliases(self, keys: set[str]) -> None:
        ordered = sorted(keys - self._aliases.keys())
        for key in ordered:
            self._aliases[key] = set()
        for start in range(0, len(ordered), _CHUNK):
            for row in self.conn.execute(_BY_ALIASES, {"keys": ordered[start : start + _CHUNK]}):
                self._remember(row)
                self._aliases[row.key].add(int(row.id))

    def by_keys(self, types: Collection[EntityType], keys: Collection[str]) -> list[Candidate]:
        self._read_aliases(set(keys))  # reads only keys not read yet (none, from ``resolve``)
        kinds = {t.value for t in types}
        ids = sorted({i for key in keys for i in self._aliases[key]})
        return [
            Candidate(i, known.name, EntityType(known.type), frozenset(), known.articles)
            for i in ids
            if (known := self._known[i]).type in kinds
        ]

    def by_token(self, types: Collection[EntityType], token: str) -> list[Candidate]:
        kinds = sorted(t.value for t in types)
        rows = self.conn.execute(_BY_TOKEN, {"token": token, "types": kinds})
        return sorted((self._remember(row) for row in rows), key=lambda c: c.id)

    def neighbours(self, entity_ids: Collection[int]) -> Mapping[int, frozenset[int]]:
        # Only neighbourhoods of the few candidates of one article are read; an entity named in
        # thousands of articles still costs one indexed join.
        near: dict[int, set[int]] = {i: set() for i in entity_ids}
        if not entity_ids:
            return {}
        for entity_id, near_id in self.conn.execute(_NEIGHBOURS, {"ids": sorted(entity_ids)}):
            near[entity_id].add(near_id)
        return {i: frozenset(s) for i, s in near.items()}

    def create(self, group: ArticleEntity) -> int:
        # What ``extend`` would make of an empty entity, written at once: its id is needed now.
        votes = {group.type.value: 1}
        entity_id = int(
            self.conn.execute(
                entities.insert().values(
                    name=group.name,
                    type=group.type.value,
                    type_votes=votes,
                    created_at=self.now,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        self._known[entity_id] = _Known(group.name, group.type.value, votes, 0)
        self._created.add(entity_id)
        self.types[entity_id] = group.type.value
        self._add_names(entity_id, group)
        return entity_id

    def extend(self, entity_id: int, group: ArticleEntity) -> None:
        known = self._known.get(entity_id) or self._load(entity_id)
        votes = Counter(known.votes)
        if len(group.tokens) >= 2 or not votes:
            # Lone words are where the model mistypes most; see resolve.EntityCatalog.extend.
            votes[group.type.value] += 1
        if len(group.tokens) > len(name_tokens(known.name)):
            known.name = group.name
        known.type = max(votes.items(), key=lambda item: (item[1], item[0] == "person"))[0]
        known.votes = dict(votes)
        self.types[entity_id] = known.type
        self._changed.add(entity_id)
        self._add_names(entity_id, group)

    def _load(self, entity_id: int) -> _Known:
        """An entity no name of the article led to (``extend`` is only called with candidates,
        so this is a safety net)."""
        row = self.conn.execute(_ENTITY_ROW, {"entity": entity_id}).one()
        known = _Known(row.name, row.type, dict(row.type_votes or {}), 0)
        self._known[entity_id] = known
        return known

    def _add_names(self, entity_id: int, group: ArticleEntity) -> None:
        """Queue the group's names for the entity (``_wanted_names``; the first spelling
        queued for a key wins); ``_write`` leaves out those it has."""
        wanted = self._wanted.get((group.type, group.name)) or _wanted_names(group)
        for (kind, key), text in wanted.items():
            self._names.setdefault((entity_id, kind, key), text)

    def _write(self) -> None:
        """The extended entities' names, types and votes, and the names they did not have,
        in three statements."""
        if self._changed:
            self.conn.execute(
                _ENTITY_UPDATE,
                [
                    {
                        "entity": i,
                        "name": self._known[i].name,
                        "type": self._known[i].type,
                        "type_votes": self._known[i].votes,
                    }
                    for i in sorted(self._changed)
                ],
            )
        held: set[tuple[int, str, str]] = set()
        stored = sorted({e for e, _, _ in self._names} - self._created)
        keys = sorted({key for _, _, key in self._names})
        for start in range(0, len(stored), _CHUNK):
            for start_keys in range(0, len(keys), _CHUNK):
                params = {
                    "ids": stored[start : start + _CHUNK],
                    "keys": keys[start_keys : start_keys + _CHUNK],
                }
                held.update(
                    (int(r.entity_id), r.kind, r.key)
                    for r in self.conn.execute(_NAMES_HELD, params)
                )
        rows = [
            {"entity_id": e, "kind": kind, "key": key, "text": text}
            for (e, kind, key), text in self._names.items()
            if (e, kind, key) not in held
        ]
        if rows:
            self.conn.execute(entity_names.insert(), rows)
        self._changed.clear()
        self._created.clear()
        self._names = {}

    def link(self, entity_ids: Collection[int]) -> None:
        """The article's names are resolved: write the votes and names gathered (``_write``).
        The article's own rows (which entities it names) are ``write_mentions``'s."""
        self._write()


def write_mentions(
    conn: Connection, article_id: ArticleId, drafts: Sequence[MentionDraft], now: datetime
) -> bool:
    """Replace an article's mentions with ``drafts``, resolving them to entities.

    Returns False, touching nothing, when the stored mentions are already these (a reprocess
    that changed nothing must not churn the entity tables).
    """
    stored = conn.execute(
        sa.select(
            mentions.c.start,
            mentions.c.end,
            mentions.c.text,
            mentions.c.name,
            mentions.c.role,
        )
        .where(mentions.c.article_id == article_id)
        .order_by(mentions.c.start, mentions.c.end)
    ).all()
    fresh = sorted((m.start, m.end, m.text, m.name, m.role) for m in drafts)
    if [tuple(row) for row in stored] == fresh:
        return False
    conn.execute(mentions.delete().where(mentions.c.article_id == article_id))
    conn.execute(article_entities.delete().where(article_entities.c.article_id == article_id))
    if not drafts:
        return True
    catalog = SqlCatalog(conn, now)
    resolved = catalog.resolve(drafts)
    counts = Counter(resolved[(m.type, m.name)] for m in drafts)
    # A mention takes its entity's type: "Scholz" typed as a place here is still a person.
    # Every resolved entity was created or extended just now, so the catalog knows its type.
    kinds = catalog.types
    conn.execute(
        article_entities.insert(),
        [{"article_id": article_id, "entity_id": e, "mentions": n} for e, n in counts.items()],
    )
    conn.execute(
        mentions.insert(),
        [
            {
                "article_id": article_id,
                "entity_id": resolved[(m.type, m.name)],
                "start": m.start,
                "end": m.end,
                "text": m.text,
                "name": m.name,
                "type": kinds[resolved[(m.type, m.name)]],
                "role": m.role,
            }
            for m in drafts
        ],
    )
    return True


def mentions_of_article(conn: Connection, article_id: int) -> list[Mention]:
    rows = conn.execute(
        sa.select(mentions).where(mentions.c.article_id == article_id).order_by(mentions.c.start)
    ).all()
    return [
        Mention(
            article_id=ArticleId(r.article_id),
            entity_id=EntityId(r.entity_id),
            text=r.text,
            start=r.start,
            end=r.end,
            type=EntityType(r.type),
            name=r.name,
            role=r.role,
        )
        for r in rows
    ]


def _distinct_roles(roles: Iterable[str | None]) -> tuple[str, ...]:
    """Roles without repeats that differ only in case ("Chief executive", "chief executive")."""
    seen: dict[str, str] = {}
    for role in roles:
        if role:
            seen.setdefault(role.casefold(), role)
    return tuple(seen.values())


def _entity(conn: Connection, row: Any) -> Entity:
    aliases = conn.execute(
        sa.select(entity_names.c.text)
        .where(entity_names.c.entity_id == row.id, entity_names.c.kind == "alias")
        .order_by(entity_names.c.text)
    ).scalars()
    roles = conn.execute(
        sa.select(mentions.c.role)
        .where(mentions.c.entity_id == row.id, mentions.c.role.is_not(None))
        .distinct()
        .order_by(mentions.c.role)
    ).scalars()
    return Entity(
        id=EntityId(row.id),
        name=row.name,
        type=EntityType(row.type),
        aliases=tuple(aliases),
        roles=_distinct_roles(roles),
        article_count=int(row.n),
    )


def _count() -> sa.Label[int]:
    return sa.func.count(article_entities.c.article_id).label("n")


def entity_rows(
    conn: Connection, *, type_: EntityType | None = None, limit: int = 100, offset: int = 0
) -> list[Entity]:
    """Entities named in at least one article, most articles first."""
    query = (
        sa.select(entities.c.id, entities.c.name, entities.c.type, _count())
        .join(article_entities, article_entities.c.entity_id == entities.c.id)
        .group_by(entities.c.id, entities.c.name, entities.c.type)
        .order_by(sa.desc("n"), entities.c.name, entities.c.id)
        .limit(limit)
        .offset(offset)
    )
    if type_ is not None:
        query = query.where(entities.c.type == type_.value)
    return [_entity(conn, row) for row in conn.execute(query).all()]


def load_entity(conn: Connection, name_or_id: str) -> list[Entity]:
    """Entities with this id, or going by this name (any spelling), most articles first.

    A single word no entity went by alone finds those whose full names contain it ("Morisaki"
    finds "Kenji Morisaki").
    """
    number = row_id(name_or_id)
    if number is not None:
        found = _entities_where(conn, entities.c.id == number)
        if found:
            return found
    key = name_key(name_or_id)
    found = _entities_where(conn, _named(key, "alias"))
    if not found and len(key.split()) == 1:
        found = _entities_where(conn, _named(key, "token"))
    return found


def entities_by_id(conn: Connection, entity_ids: Sequence[int]) -> list[Entity]:
    """The entities with these ids, in the order given (unknown ids, and entities no article
    names, left out): three queries in all, where ``load_entity`` per id takes three each (a
    story page shows ten)."""
    ids = sorted(set(entity_ids))
    if not ids:
        return []
    rows = conn.execute(
        sa.select(entities.c.id, entities.c.name, entities.c.type, _count())
        .outerjoin(article_entities, article_entities.c.entity_id == entities.c.id)
        .where(entities.c.id.in_(ids))
        .group_by(entities.c.id, entities.c.name, entities.c.type)
    ).all()
    aliases: dict[int, list[str]] = {}
    for entity_id, text in conn.execute(
        sa.select(entity_names.c.entity_id, entity_names.c.text)
        .where(entity_names.c.entity_id.in_(ids), entity_names.c.kind == "alias")
        .order_by(entity_names.c.text)
    ):
        aliases.setdefault(int(entity_id), []).append(text)
    roles: dict[int, list[str]] = {}
    for entity_id, role in conn.execute(
        sa.select(mentions.c.entity_id, mentions.c.role)
        .where(mentions.c.entity_id.in_(ids), mentions.c.role.is_not(None))
        .distinct()
        .order_by(mentions.c.role)
    ):
        roles.setdefault(int(entity_id), []).append(role)
    by_id = {
        int(row.id): Entity(
            id=EntityId(row.id),
            name=row.name,
            type=EntityType(row.type),
            aliases=tuple(aliases.get(int(row.id), ())),
            roles=_distinct_roles(roles.get(int(row.id), ())),
            article_count=int(row.n),
        )
        for row in rows
        if row.n > 0
    }
    return [by_id[e] for e in dict.fromkeys(entity_ids) if e in by_id]


def _named(key: str, kind: str) -> sa.ColumnElement[bool]:
    return entities.c.id.in_(
        sa.select(entity_names.c.entity_id).where(
            entity_names.c.kind == kind, entity_names.c.key == key
        )
    )


def _entities_where(conn: Connection, by: sa.ColumnElement[bool]) -> list[Entity]:
    query = (
        sa.select(entities.c.id, entities.c.name, entities.c.type, _count())
        .outerjoin(article_entities, article_entities.c.entity_id == entities.c.id)
        .where(by)
        .group_by(entities.c.id, entities.c.name, entities.c.type)
        .order_by(sa.desc("n"), entities.c.id)
    )
    return [_entity(conn, row) for row in conn.execute(query).all() if row.n > 0]
