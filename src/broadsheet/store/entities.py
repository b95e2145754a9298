"""Entities in the store: the catalog the resolver matches against, and the mention rows.

``SqlCatalog`` implements ``pipeline.enrich.resolve.CatalogBase`` over the ``entities``,
``entity_names`` and ``article_entities`` tables, inside the ingest batch's transaction: the
entities an article creates are visible to the next article of the same batch, and roll back with
it. Everything is SQLAlchemy Core, so the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from broadsheet.model import (
    ArticleId,
    Entity,
    EntityId,
    EntityType,
    Mention,
    MentionDraft,
)
from broadsheet.pipeline.enrich.entities import name_key, name_tokens
from broadsheet.pipeline.enrich.resolve import ArticleEntity, Candidate, CatalogBase, derived_keys
from broadsheet.store.schema import article_entities, entities, entity_names, mentions

__all__ = [
    "SqlCatalog",
    "entity_rows",
    "load_entity",
    "mentions_of_article",
    "write_mentions",
]

# Rows per IN (...) list: well under SQLite's 32,766 bound parameters.
_CHUNK = 500


# The catalog's statements, built once with expanding IN parameters: resolving runs them for
# every entity group of every article, and building a statement (the count subquery, the
# aliased join) cost more than running it (ECB+ in the clustering eval: about half of the
# store's time per article went to entity resolution, most of it building statements).
_ARTICLES_NAMING = (
    sa.select(sa.func.count())
    .where(article_entities.c.entity_id == entities.c.id)
    .scalar_subquery()
)
_LOAD = sa.select(
    entities.c.id, entities.c.name, entities.c.type, _ARTICLES_NAMING.label("n")
).where(
    entities.c.id.in_(sa.bindparam("ids", expanding=True)),
    entities.c.type.in_(sa.bindparam("types", expanding=True)),
)
_BY_KEYS = (
    sa.select(entity_names.c.entity_id)
    .where(
        entity_names.c.kind == "alias",
        entity_names.c.key.in_(sa.bindparam("keys", expanding=True)),
    )
    .distinct()
)
_BY_TOKEN = sa.select(entity_names.c.entity_id).where(
    entity_names.c.kind == "token", entity_names.c.key == sa.bindparam("token")
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
_ENTITY_ROW = sa.select(entities.c.name, entities.c.type_votes).where(
    entities.c.id == sa.bindparam("entity")
)
_ENTITY_UPDATE = entities.update().where(entities.c.id == sa.bindparam("entity"))
_NAMES_OF = sa.select(entity_names.c.kind, entity_names.c.key).where(
    entity_names.c.entity_id == sa.bindparam("entity")
)


class SqlCatalog(CatalogBase):
    """The entity catalog over the store's tables, on one open connection."""

    def __init__(self, conn: Connection, now: datetime) -> None:
        self.conn = conn
        self.now = now

    def _load(self, ids: Collection[int], types: Collection[EntityType]) -> list[Candidate]:
        if not ids:
            return []
        found: list[Candidate] = []
        ordered = sorted(ids)
        kinds = [t.value for t in types]
        for start in range(0, len(ordered), _CHUNK):
            rows = self.conn.execute(
                _LOAD, {"ids": ordered[start : start + _CHUNK], "types": kinds}
            ).all()
            found += [Candidate(r.id, r.name, EntityType(r.type), frozenset(), r.n) for r in rows]
        return found

    def by_keys(self, types: Collection[EntityType], keys: Collection[str]) -> list[Candidate]:
        if not keys:
            return []
        ids = self.conn.execute(_BY_KEYS, {"keys": sorted(keys)}).scalars()
        return self._load(set(ids), types)

    def by_token(self, types: Collection[EntityType], token: str) -> list[Candidate]:
        ids = self.conn.execute(_BY_TOKEN, {"token": token}).scalars()
        return self._load(set(ids), types)

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
        entity_id = int(
            self.conn.execute(
                entities.insert().values(
                    name=group.name,
                    type=group.type.value,
                    type_votes={},
                    created_at=self.now,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        self.extend(entity_id, group)
        return entity_id

    def extend(self, entity_id: int, group: ArticleEntity) -> None:
        row = self.conn.execute(_ENTITY_ROW, {"entity": entity_id}).one()
        votes = Counter(row.type_votes or {})
        if len(group.tokens) >= 2 or not votes:
            # Lone words are where the model mistypes most; see resolve.EntityCatalog.extend.
            votes[group.type.value] += 1
        name = group.name if len(group.tokens) > len(name_tokens(row.name)) else row.name
        kind = max(votes.items(), key=lambda item: (item[1], item[0] == "person"))[0]
        self.conn.execute(
            _ENTITY_UPDATE,
            {"entity": entity_id, "name": name, "type": kind, "type_votes": dict(votes)},
        )
        wanted: dict[tuple[str, str], str] = {}
        for alias in group.aliases | {group.name}:
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
        have = {(r.kind, r.key) for r in self.conn.execute(_NAMES_OF, {"entity": entity_id})}
        rows = [
            {"entity_id": entity_id, "kind": kind_, "key": key, "text": text}
            for (kind_, key), text in wanted.items()
            if (kind_, key) not in have
        ]
        if rows:
            self.conn.execute(entity_names.insert(), rows)

    def link(self, entity_ids: Collection[int]) -> None:
        """Nothing to do: ``write_mentions`` records the article's entities."""


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
    resolved = SqlCatalog(conn, now).resolve(drafts)
    counts = Counter(resolved[(m.type, m.name)] for m in drafts)
    # A mention takes its entity's type: "Scholz" typed as a place here is still a person.
    kinds = dict(
        conn.execute(
            sa.select(entities.c.id, entities.c.type).where(entities.c.id.in_(list(counts)))
        ).all()
    )
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
    if name_or_id.isdigit():
        found = _entities_where(conn, entities.c.id == int(name_or_id))
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
