"""Near-duplicate index and ``duplicate_of`` links, inside the store's write transaction.

Every full-text article has its MinHash signature in ``article_signatures`` and its ``BANDS`` LSH
keys in ``lsh_bands`` (see ``pipeline/fingerprint.py``). Two articles are *copies* when they have
the same ``content_hash`` or when they share a band key and ``is_near_duplicate`` confirms it.
Copies form groups (connected components of that relation): every member points at the earliest
published one (ties by id), which itself points nowhere. Feed teasers (``is_partial``) are neither
indexed nor grouped.

``index_article`` keeps one article's rows current; ``relink`` recomputes the groups around the
articles a batch touched. Both take a Connection inside an open transaction and use SQLAlchemy
Core only, so they run the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from broadsheet.pipeline.fingerprint import (
    band_keys,
    decode_signature,
    minhash_signature,
    near_duplicate_mask,
)
from broadsheet.store.schema import article_signatures, articles, lsh_bands

__all__ = ["MAX_GROUP_SEARCH", "find_copies", "index_article", "relink"]

logger = logging.getLogger(__name__)

# A relink explores at most this many articles; beyond it the groups are left as they are
# (a runaway chain means the corpus is full of one boilerplate text, and is logged).
MAX_GROUP_SEARCH = 5000
_CHUNK = 500


def index_article(
    conn: Connection,
    article_id: int,
    paragraphs: Sequence[str],
    *,
    is_partial: bool,
    signature: bytes = b"",
    shingle_count: int = 0,
) -> bool:
    """Store the article's signature and band keys, replacing older ones; True if they changed.

    ``signature``/``shingle_count`` are the draft's (``fingerprint``); when empty they are computed
    from ``paragraphs``. A feed teaser or an empty body is removed from the index.
    """
    if not is_partial and not signature:
        signature, shingle_count = minhash_signature(paragraphs)
    old = conn.execute(
        sa.select(article_signatures.c.signature, article_signatures.c.shingle_count).where(
            article_signatures.c.article_id == article_id
        )
    ).first()
    if is_partial or not signature:
        if old is None:
            return False
        _unindex(conn, article_id)
        return True
    if old is not None and bytes(old.signature) == signature and old.shingle_count == shingle_count:
        return False
    if old is not None:
        _unindex(conn, article_id)
    conn.execute(
        article_signatures.insert().values(
            article_id=article_id, signature=signature, shingle_count=shingle_count
        )
    )
    conn.execute(
        lsh_bands.insert(),
        [
            {"key": key, "article_id": article_id}
            for key in sorted(set(band_keys(decode_signature(signature))))
        ],
    )
    return True


def _unindex(conn: Connection, article_id: int) -> None:
    conn.execute(lsh_bands.delete().where(lsh_bands.c.article_id == article_id))
    conn.execute(article_signatures.delete().where(article_signatures.c.article_id == article_id))


def find_copies(
    conn: Connection, signature: bytes, shingle_count: int, *, exclude: int | None = None
) -> list[int]:
    """Ids of indexed articles that are near copies of a body with this signature, by id."""
    if not signature:
        return []
    keys = sorted(set(band_keys(decode_signature(signature))))
    query = sa.select(lsh_bands.c.article_id).where(lsh_bands.c.key.in_(keys)).distinct()
    if exclude is not None:
        query = query.where(lsh_bands.c.article_id != exclude)
    candidates = list(conn.execute(query).scalars())
    return _verified(conn, signature, shingle_count, candidates)


def _verified(
    conn: Connection, signature: bytes, shingle_count: int, candidates: Sequence[int]
) -> list[int]:
    found: list[int] = []
    for start in range(0, len(candidates), _CHUNK):
        rows = conn.execute(
            sa.select(
                article_signatures.c.article_id,
                article_signatures.c.signature,
                article_signatures.c.shingle_count,
            ).where(article_signatures.c.article_id.in_(candidates[start : start + _CHUNK]))
        ).all()
        found.extend(_confirmed(signature, shingle_count, rows))
    return sorted(found)


def _confirmed(signature: bytes, shingle_count: int, rows: Sequence[Any]) -> list[int]:
    """Ids of the rows (article_id, signature, shingle_count) that are copies of this body."""
    if not rows:
        return []
    others = np.stack([decode_signature(bytes(row.signature)) for row in rows])
    counts = np.array([row.shingle_count for row in rows], dtype=np.int64)
    mask = near_duplicate_mask(decode_signature(signature), shingle_count, others, counts)
    return sorted(row.article_id for row, keep in zip(rows, mask, strict=True) if keep)


@dataclass(frozen=True, slots=True)
class _Node:
    id: int
    published_at: datetime
    is_partial: bool
    duplicate_of: int | None
    content_hash: str
    signature: bytes | None
    shingle_count: int


def _load(conn: Connection, ids: Iterable[int]) -> dict[int, _Node]:
    wanted = sorted(set(ids))
    nodes: dict[int, _Node] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = conn.execute(
            sa.select(
                articles.c.id,
                articles.c.published_at,
                articles.c.is_partial,
                articles.c.duplicate_of,
                articles.c.content_hash,
                article_signatures.c.signature,
                article_signatures.c.shingle_count,
            )
            .select_from(
                articles.outerjoin(
                    article_signatures, article_signatures.c.article_id == articles.c.id
                )
            )
            .where(articles.c.id.in_(wanted[start : start + _CHUNK]))
        )
        for row in rows:
            nodes[row.id] = _Node(
                row.id,
                row.published_at,
                bool(row.is_partial),
                row.duplicate_of,
                row.content_hash,
                bytes(row.signature) if row.signature is not None else None,
                row.shingle_count or 0,
            )
    return nodes


def _ids_in(conn: Connection, column: sa.ColumnElement[Any], values: Iterable[Any]) -> set[int]:
    wanted = sorted(set(values), key=str)
    found: set[int] = set()
    for start in range(0, len(wanted), _CHUNK):
        query = sa.select(articles.c.id).where(column.in_(wanted[start : start + _CHUNK]))
        found.update(conn.execute(query).scalars())
    return found


_MINE = lsh_bands.alias("mine")
_OTHER = lsh_bands.alias("other")


def _near_copies(
    conn: Connection, article_id: int, signature: bytes, shingle_count: int
) -> list[int]:
    """Indexed articles sharing a band key with ``article_id`` that are confirmed copies of it."""
    sharing = (
        sa.select(_OTHER.c.article_id)
        .select_from(_MINE.join(_OTHER, _OTHER.c.key == _MINE.c.key))
        .where(_MINE.c.article_id == article_id, _OTHER.c.article_id != article_id)
    )
    rows = conn.execute(
        sa.select(
            article_signatures.c.article_id,
            article_signatures.c.signature,
            article_signatures.c.shingle_count,
        ).where(article_signatures.c.article_id.in_(sharing))
    ).all()
    return _confirmed(signature, shingle_count, rows)


def relink(
    conn: Connection, *, article_ids: Iterable[int] = (), content_hashes: Iterable[str] = ()
) -> int:
    """Recompute the copy groups around these articles (and those with these hashes).

    Everything reachable from them through copy edges, and every member of a group any of them
    was in before, is regrouped: a group that lost its bridge splits, an earlier copy that
    arrived late becomes the original. Returns how many ``duplicate_of`` values changed.
    """
    seeds = set(article_ids) | _ids_in(conn, articles.c.content_hash, content_hashes)
    nodes: dict[int, _Node] = {}
    edges: dict[int, set[int]] = {}
    queue = sorted(seeds)
    seen = set(seeds)
    truncated = False

    def visit(found: Iterable[int]) -> None:
        nonlocal truncated
        for other in found:
            if other in seen:
                continue
            if len(seen) >= MAX_GROUP_SEARCH:
                truncated = True
                return
            seen.add(other)
            queue.append(other)

    while queue:
        batch, queue[:] = queue[:_CHUNK], queue[_CHUNK:]
        loaded = _load(conn, batch)
        nodes.update(loaded)
        # Members of the groups these articles were in, so old groups are recomputed whole.
        roots = {node.duplicate_of or node.id for node in loaded.values()}
        visit(sorted(roots | _ids_in(conn, articles.c.duplicate_of, roots)))
        full = [node for node in loaded.values() if not node.is_partial]
        same_text = _ids_in(conn, articles.c.content_hash, {node.content_hash for node in full})
        by_hash: dict[str, list[int]] = {}
        for other_id, other in _load(conn, same_text).items():
            if not other.is_partial:
                by_hash.setdefault(other.content_hash, []).append(other_id)
        for node in full:
            linked = set(by_hash.get(node.content_hash, ()))
            if node.signature:
                linked.update(_near_copies(conn, node.id, node.signature, node.shingle_count))
            linked.discard(node.id)
            edges.setdefault(node.id, set()).update(linked)
            for other_id in linked:
                edges.setdefault(other_id, set()).add(node.id)
            visit(sorted(linked))
    if truncated:
        logger.warning("dedupe_group_search_truncated", extra={"limit": MAX_GROUP_SEARCH})
    return _write_groups(conn, nodes, edges)


def _write_groups(conn: Connection, nodes: dict[int, _Node], edges: dict[int, set[int]]) -> int:
    parent = {node_id: node_id for node_id in nodes}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for node_id, linked in edges.items():
        for other_id in linked:
            if node_id in parent and other_id in parent:
                a, b = find(node_id), find(other_id)
                if a != b:
                    parent[b] = a
    groups: dict[int, list[_Node]] = {}
    for node in nodes.values():
        if not node.is_partial:
            groups.setdefault(find(node.id), []).append(node)
    target: dict[int, int | None] = dict.fromkeys(nodes)
    for members in groups.values():
        original = min(members, key=lambda n: (n.published_at, n.id)).id
        for member in members:
            target[member.id] = None if member.id == original else original
    changed = 0
    for node_id, node in nodes.items():
        if node.duplicate_of != target[node_id]:
            conn.execute(
                articles.update()
                .where(articles.c.id == node_id)
                .values(duplicate_of=target[node_id])
            )
            changed += 1
    return changed
