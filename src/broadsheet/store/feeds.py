"""Subscriptions and their polling state (table ``feeds``, migration 0006).

Functions over a ``Connection`` that ``Store`` wraps; the caller owns the transaction. Feed URLs
are stored in canonical form (``urls.canonical_url``), so one feed is never subscribed twice
under two spellings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from broadsheet.errors import InvalidField, NotFound
from broadsheet.model import Feed, FeedId, FeedStatus, Subscription
from broadsheet.store.schema import feeds
from broadsheet.urls import canonical_url

__all__ = [
    "MOVE_CODES",
    "PollRecord",
    "add_feed",
    "due_feeds",
    "get_feed",
    "list_feeds",
    "record_poll",
    "remove_feed",
]


@dataclass(frozen=True, slots=True)
class PollRecord:
    """What one poll of a feed found, as the store keeps it.

    On ``OK`` the validators are replaced (a 304 passes the old ones back), the error count is
    reset and ``last_success_at`` set; ``changed`` also sets ``last_changed_at``. On ``FAILING``
    or ``GONE`` the error count goes up and the validators stay. ``title``/``html_url`` fill
    only fields the feed does not have yet (a name the user gave is kept).

    ``moved_to`` (on ``OK`` only) is where a permanent redirect (301/308 on every hop) led: the
    subscription moves there, keeping its id, with its validators reset and a note in
    ``last_error`` (code ``feed_moved``); when another feed already has that URL the feed stays
    and the note says so (``feed_move_duplicate``).
    """

    status: FeedStatus
    polled_at: datetime
    next_due_at: datetime | None
    interval_s: float | None
    etag: str | None = None
    last_modified: str | None = None
    changed: bool = False
    error: str | None = None
    error_code: str | None = None
    title: str | None = None
    html_url: str | None = None
    moved_to: str | None = None


# Codes of the notes an OK poll can leave in ``last_error`` (a permanent redirect).
MOVE_CODES = ("feed_moved", "feed_move_duplicate", "feed_move_invalid")


def _feed(row: Row[Any]) -> Feed:
    return Feed(
        id=FeedId(row.id),
        xml_url=row.xml_url,
        title=row.title,
        html_url=row.html_url,
        categories=tuple(row.categories or ()),
        created_at=row.created_at,
        status=FeedStatus(row.status),
        etag=row.etag,
        last_modified=row.last_modified,
        last_polled_at=row.last_polled_at,
        last_success_at=row.last_success_at,
        last_changed_at=row.last_changed_at,
        last_error=row.last_error,
        last_error_code=row.last_error_code,
        error_count=row.error_count,
        next_due_at=row.next_due_at,
        interval_s=row.interval_s,
    )


def list_feeds(conn: Connection) -> list[Feed]:
    """Every subscription, in the order they were added."""
    return [_feed(r) for r in conn.execute(sa.select(feeds).order_by(feeds.c.id))]


def get_feed(conn: Connection, feed_id: int) -> Feed:
    """One subscription; raises ``NotFound``."""
    row = conn.execute(sa.select(feeds).where(feeds.c.id == feed_id)).one_or_none()
    if row is None:
        raise NotFound(f"no feed with id {feed_id} (see `broadsheet feeds list`)")
    return _feed(row)


def add_feed(conn: Connection, subscription: Subscription, *, now: datetime) -> tuple[Feed, bool]:
    """Subscribe (due at once); returns the feed and whether it is new.

    An existing subscription to the same canonical URL is returned unchanged, except that
    categories it lacks are added and a gone feed is due again. Raises ``InvalidField`` for a
    URL that is not http(s).
    """
    key = canonical_url(subscription.xml_url, field="feed URL")
    row = conn.execute(sa.select(feeds).where(feeds.c.xml_url == key)).one_or_none()
    if row is not None:
        known = tuple(row.categories or ())
        merged = tuple(dict.fromkeys([*known, *subscription.categories]))
        changes: dict[str, Any] = {}
        if merged != known:
            changes["categories"] = list(merged)
        if row.status == FeedStatus.GONE.value:
            # Adding a gone feed again is how a user says it is back: poll it now.
            changes.update(status=FeedStatus.NEW.value, next_due_at=now, error_count=0)
        if changes:
            conn.execute(feeds.update().where(feeds.c.id == row.id).values(**changes))
        return get_feed(conn, row.id), False
    feed_id = conn.execute(
        feeds.insert().values(
            xml_url=key,
            title=subscription.title,
            html_url=subscription.html_url,
            categories=list(subscription.categories),
            created_at=now,
            status=FeedStatus.NEW.value,
            error_count=0,
            next_due_at=now,
        )
    ).inserted_primary_key
    assert feed_id is not None
    return get_feed(conn, feed_id[0]), True


def remove_feed(conn: Connection, feed_id: int) -> Feed:
    """Unsubscribe; the articles already fetched stay. Raises ``NotFound``."""
    feed = get_feed(conn, feed_id)
    conn.execute(feeds.delete().where(feeds.c.id == feed_id))
    return feed


def due_feeds(conn: Connection, *, now: datetime, limit: int | None = None) -> list[Feed]:
    """Feeds whose next poll is due by ``now``, most overdue first (gone feeds never are).

    A feed without a due time (imported by ``broadsheet ingest`` of an OPML file) is due now.
    """
    query = (
        sa.select(feeds)
        .where(sa.or_(feeds.c.next_due_at.is_(None), feeds.c.next_due_at <= now))
        .where(feeds.c.status != FeedStatus.GONE.value)
        .order_by(feeds.c.next_due_at.is_not(None), feeds.c.next_due_at, feeds.c.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [_feed(r) for r in conn.execute(query)]


def record_poll(conn: Connection, feed_id: int, record: PollRecord) -> Feed:
    """Store the outcome of one poll (see ``PollRecord``); raises ``NotFound``."""
    feed = get_feed(conn, feed_id)
    values: dict[str, Any] = {
        "status": record.status.value,
        "last_polled_at": record.polled_at,
        "next_due_at": record.next_due_at,
        "interval_s": record.interval_s,
    }
    if record.status is FeedStatus.OK:
        values.update(
            etag=record.etag,
            last_modified=record.last_modified,
            last_success_at=record.polled_at,
            last_error=None,
            last_error_code=None,
            error_count=0,
        )
        if record.changed:
            values["last_changed_at"] = record.polled_at
        if record.moved_to:
            values.update(_move(conn, feed, record.moved_to))
    else:
        values.update(
            last_error=record.error,
            last_error_code=record.error_code,
            error_count=feed.error_count + 1,
        )
    if record.title and not feed.title:
        values["title"] = record.title
    if record.html_url and not feed.html_url:
        values["html_url"] = record.html_url
    conn.execute(feeds.update().where(feeds.c.id == feed_id).values(**values))
    return get_feed(conn, feed_id)


def _move(conn: Connection, feed: Feed, target: str) -> dict[str, Any]:
    """The changes that move ``feed`` to ``target`` after a permanent redirect, or the note that
    says why it stays (see ``PollRecord``)."""
    try:
        key = canonical_url(target, field="feed URL")
    except InvalidField as exc:
        return {
            "last_error": f"{feed.xml_url} redirects permanently to {target}, which cannot be "
            f"subscribed to ({exc.message}); not moved",
            "last_error_code": "feed_move_invalid",
        }
    if key == feed.xml_url:
        return {}
    other = conn.execute(
        sa.select(feeds.c.id).where(feeds.c.xml_url == key).where(feeds.c.id != feed.id)
    ).scalar_one_or_none()
    if other is not None:
        return {
            "last_error": f"{feed.xml_url} redirects permanently to {key}, which feed {other} "
            "already subscribes to; not moved (remove one of the two with "
            "`broadsheet feeds remove ID`)",
            "last_error_code": "feed_move_duplicate",
        }
    return {
        "xml_url": key,
        "etag": None,
        "last_modified": None,
        "last_error": f"moved permanently from {feed.xml_url} to {key}; the subscription now "
        "uses the new URL",
        "last_error_code": "feed_moved",
    }
