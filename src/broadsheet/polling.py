"""Keeping up with subscriptions: subscribe (with autodiscovery), poll due feeds, schedule.

``poll_feeds`` is the shell around the fetcher and the pipeline, as ``pipeline.ingest`` is for
files: it fetches due feeds concurrently (``pipeline/fetch.py`` enforces the limits), turns
every body into a ``RawDocument`` and ingests it through the same pipeline as a file, fetches the
article page of each new entry that carried only a summary, and records each feed's state
(validators, status, readable error, next due time). The store is written from the calling
thread only; fetching happens in a thread pool.

The schedule adapts to each feed: a poll that found new or changed articles halves the interval,
one that found nothing (a 304, or known bytes) makes it 1.5 times longer, within
``[fetch_min_interval_s, fetch_max_interval_s]``. A failing feed backs off exponentially from the
minimum interval, or waits as long as its ``Retry-After`` asked; a 410 Gone feed is not polled
again until it is re-added. A body that arrives but is quarantined as a whole (malformed XML,
not a feed, hostile XML) fails the feed the same way, with the quarantine's reason as its error.

A permanent redirect (301/308 on every hop) moves the subscription to the new URL, keeping its
id (``store/feeds.py`` does it, or notes why not); a temporary one (302/307) does not.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import TypeVar

from broadsheet.config import Settings
from broadsheet.errors import (
    BroadsheetError,
    FetchError,
    HTTPStatusError,
    InputError,
    UnsupportedFormat,
)
from broadsheet.model import (
    ArticleId,
    DocumentOutcome,
    Feed,
    FeedStatus,
    IngestOptions,
    InputFormat,
    QuarantineDraft,
    RawDocument,
    Stage,
    Subscription,
)
from broadsheet.pipeline import ingest
from broadsheet.pipeline.decode import decode_text
from broadsheet.pipeline.feeds import discover_feeds, feed_kind, feed_metadata
from broadsheet.pipeline.fetch import Fetcher, FetchResponse
from broadsheet.store import Store
from broadsheet.store.feeds import MOVE_CODES, PollRecord

__all__ = [
    "FEED_ACCEPT",
    "FeedPoll",
    "PollReport",
    "Subscribed",
    "failure_delay_s",
    "next_interval_s",
    "poll_feeds",
    "subscribe",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.7, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
# A first poll schedules the next one four minimum intervals later (an hour by default): most
# news feeds change several times a day, and the adaptation reaches the right pace in a few polls.
_FIRST_INTERVAL_FACTOR = 4.0
_FASTER = 0.5
_SLOWER = 1.5
# Article pages fetched per feed and poll for summary-only entries: a feed's first poll can list
# a hundred entries, and a polite fetcher does not pull a whole site at once.
MAX_PAGES_PER_FEED = 20


def next_interval_s(
    previous_s: float | None, *, changed: bool, min_s: float, max_s: float
) -> float:
    """The adaptive interval after a successful poll (see module docstring)."""
    if previous_s is None:
        base = min_s * _FIRST_INTERVAL_FACTOR
    else:
        base = previous_s * (_FASTER if changed else _SLOWER)
    return min(max(base, min_s), max_s)


def failure_delay_s(
    failures: int, *, min_s: float, max_s: float, retry_after_s: float | None = None
) -> float:
    """Back-off after ``failures`` failed polls in a row (1 = the first failure)."""
    delay = min(min_s * 2.0 ** max(failures - 1, 0), max_s)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, max_s))
    return delay


@dataclass(frozen=True, slots=True)
class FeedPoll:
    """What one poll did to one feed.

    ``outcome`` is ``new`` (new or changed articles), ``unchanged`` (200 with nothing new),
    ``not_modified`` (304: nothing downloaded or processed), ``failed`` (including a body that
    was quarantined as a whole) or ``gone`` (410). ``moved_to`` is the feed's new URL when a
    permanent redirect moved it; ``note`` says so in words (or why it was not moved).
    """

    feed_id: int
    url: str
    outcome: str
    status: FeedStatus
    articles_new: tuple[ArticleId, ...] = ()
    articles_updated: tuple[ArticleId, ...] = ()
    pages_fetched: int = 0
    pages_failed: int = 0
    quarantined: int = 0
    error: str | None = None
    error_code: str | None = None
    next_due_at: datetime | None = None
    moved_to: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PollReport:
    """Every feed polled in one run, in the order they were due."""

    feeds: tuple[FeedPoll, ...] = ()

    def count(self, what: str) -> int:
        """``feeds``, an outcome name (``new``, ``not_modified``…), or an article/page total."""
        if what == "feeds":
            return len(self.feeds)
        if what in ("articles_new", "articles_updated"):
            return sum(len(getattr(p, what)) for p in self.feeds)
        if what in ("pages_fetched", "pages_failed", "quarantined"):
            return sum(int(getattr(p, what)) for p in self.feeds)
        return sum(1 for p in self.feeds if p.outcome == what)

    @property
    def has_problems(self) -> bool:
        return any(p.outcome in ("failed", "gone") or p.quarantined for p in self.feeds)


@dataclass(frozen=True, slots=True)
class Subscribed:
    """The result of ``subscribe``: the feed, whether it is new, and the page it was found on."""

    feed: Feed
    created: bool
    discovered_from: str | None = None


def _decoded(response: FetchResponse) -> str:
    return decode_text(response.data, declared=response.charset).text


def subscribe(
    store: Store,
    fetcher: Fetcher,
    url: str,
    *,
    now: datetime,
    title: str | None = None,
    categories: Sequence[str] = (),
) -> Subscribed:
    """Subscribe to the feed at ``url``, or to the feed a web page at ``url`` announces.

    The URL is fetched once to check that it is a feed (RSS, Atom or JSON Feed) and to learn its
    title and site; a page is searched for ``<link rel="alternate">`` feeds and the best one is
    fetched. Raises ``FetchError`` when a URL cannot be fetched, ``InputError`` when neither the
    URL nor a feed it announces is a feed, ``InvalidField`` for a malformed URL.
    """
    response = fetcher.fetch(url, accept=FEED_ACCEPT)
    text = _decoded(response)
    discovered_from: str | None = None
    if feed_kind(text) is InputFormat.HTML:
        candidates = discover_feeds(text, response.url)
        if not candidates:
            raise InputError(
                f'{url} is a web page that announces no feed (no <link rel="alternate"> of '
                "an RSS, Atom or JSON Feed type); give the feed's own URL"
            )
        discovered_from = url
        url = candidates[0]
        response = fetcher.fetch(url, accept=FEED_ACCEPT)
        text = _decoded(response)
    if feed_kind(text) is not InputFormat.FEED:
        raise UnsupportedFormat(f"{response.url} is not an RSS, Atom or JSON feed")
    meta = feed_metadata(text)
    subscription = Subscription(
        xml_url=response.permanent_url or url,
        title=title or meta.title,
        html_url=meta.site_url,
        categories=tuple(categories),
    )
    feed, created = store.add_feed(subscription, now=now)
    logger.info("feed_added", extra={"feed_id": feed.id, "url": feed.xml_url, "new": created})
    return Subscribed(feed, created, discovered_from)


# --- polling -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Fetched:
    feed: Feed
    response: FetchResponse | None = None
    error: BroadsheetError | None = None
    raw_index: int | None = None  # position of its body in the batch's raws
    pages: list[tuple[ArticleId, str]] = field(default_factory=list)
    pages_fetched: int = 0
    pages_failed: int = 0
    quarantined: int = 0
    outcome: DocumentOutcome | None = None
    body_error: tuple[str, str] | None = None  # (code, message) when the body was quarantined


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def poll_feeds(
    store: Store,
    fetcher: Fetcher,
    *,
    settings: Settings,
    clock: Callable[[], datetime],
    feeds: Sequence[Feed] | None = None,
    fetch_pages: bool = True,
    progress: Callable[[int], None] | None = None,
) -> PollReport:
    """Poll ``feeds`` (default: those due now), ingest what is new, and reschedule each.

    Never raises for a failing feed or page: a feed's failure is recorded on it (readable
    ``last_error``, back-off) and in the report; a page that fails leaves the feed's summary in
    place. Raises ``StoreError`` only when the database itself fails.
    """
    due = list(feeds) if feeds is not None else store.due_feeds(now=clock())
    polls: list[FeedPoll] = []
    batch_size = max(1, min(settings.ingest_batch_size, 4 * fetcher.policy.concurrency))
    with ThreadPoolExecutor(max_workers=fetcher.policy.concurrency) as pool:
        for chunk in _batches(due, batch_size):
            fetched = list(pool.map(lambda feed: _fetch_feed(fetcher, feed), chunk))
            raws: list[RawDocument] = []
            now = clock()
            for item in fetched:
                response = item.response
                if response is not None and not response.not_modified:
                    item.raw_index = len(raws)
                    raws.append(
                        RawDocument(
                            data=response.data,
                            fetched_at=now,
                            format=InputFormat.FEED,
                            origin=response.url,
                            options=IngestOptions(charset=response.charset),
                        )
                    )
            if raws:
                report = ingest(store, raws, settings=settings, clock=clock)
                for item in fetched:
                    if item.raw_index is not None:
                        item.outcome = report.documents[item.raw_index]
                        item.quarantined = len(item.outcome.quarantined)
                        item.body_error = _body_error(store, item)
                        if fetch_pages and item.body_error is None:
                            item.pages = _summary_only(store, item.outcome.articles_new)
            if fetch_pages:
                _fetch_pages(store, fetcher, pool, fetched, settings=settings, clock=clock)
            now = clock()
            outcomes = [_outcome(item, settings=settings, now=now) for item in fetched]
            # One transaction for the chunk: a commit per feed would make 304s cost a disk sync.
            recorded = store.record_polls(
                [
                    (item.feed.id, record)
                    for item, (record, _) in zip(fetched, outcomes, strict=True)
                ]
            )
            for (record, poll), feed in zip(outcomes, recorded, strict=True):
                if record.moved_to and feed.last_error_code in MOVE_CODES:
                    moved = feed.xml_url if feed.xml_url != poll.url else None
                    poll = dataclasses.replace(poll, moved_to=moved, note=feed.last_error)
                    logger.warning(
                        "feed_moved" if moved else "feed_not_moved",
                        extra={"feed_id": feed.id, "url": poll.url, "to": record.moved_to},
                    )
                polls.append(poll)
            if progress:
                progress(len(chunk))
    return PollReport(tuple(polls))


def _fetch_feed(fetcher: Fetcher, feed: Feed) -> _Fetched:
    try:
        response = fetcher.fetch(
            feed.xml_url, etag=feed.etag, last_modified=feed.last_modified, accept=FEED_ACCEPT
        )
    except BroadsheetError as exc:
        return _Fetched(feed, error=exc)
    except Exception as exc:  # a bug must not stop the other feeds; keep it visible
        logger.exception("fetch_failed", extra={"feed_id": feed.id, "url": feed.xml_url})
        return _Fetched(feed, error=FetchError(f"unexpected {type(exc).__name__}: {exc}"))
    return _Fetched(feed, response=response)


# A feed with no entries (yet) is quarantined as empty, but it is not broken.
_NOT_A_FAILURE = {(Stage.EXTRACT, "input_empty")}


def _body_error(store: Store, item: _Fetched) -> tuple[str, str] | None:
    """(code, readable message) when a feed's body was quarantined as a whole, else None.

    A body is broken when a problem concerns the whole document (no locator: not a feed,
    hostile XML, an empty body) or when problems left it with no article at all (a truncated
    feed). One bad entry among good ones is not a feed failure. The same bytes again
    (``unchanged``: not processed twice) keep a feed failing while their quarantine is open.
    """
    outcome, feed = item.outcome, item.feed
    assert outcome is not None
    problems = [q for q in outcome.quarantined if (q.stage, q.code) not in _NOT_A_FAILURE]
    if outcome.status == "unchanged":
        broken_before = (
            feed.status is FeedStatus.FAILING
            and feed.last_error_code is not None
            and not feed.last_error_code.startswith("fetch_")
        )
        if (
            broken_before
            and feed.last_error
            and outcome.raw_id is not None
            and any(q.raw_id == outcome.raw_id for q in store.quarantine())
        ):
            return feed.last_error_code or "parse_failed", feed.last_error
        return None
    whole: QuarantineDraft | None = next((q for q in problems if q.locator is None), None)
    if whole is None and problems:
        found = outcome.articles_new or outcome.articles_updated or outcome.articles_unchanged
        if not found:
            whole = problems[0]
    if whole is None:
        return None
    url = item.response.url if item.response else feed.xml_url
    return whole.code, (
        f"{url}: the feed's body was quarantined ({whole.message}); see `broadsheet quarantine`"
    )


def _summary_only(store: Store, article_ids: Sequence[ArticleId]) -> list[tuple[ArticleId, str]]:
    pages: list[tuple[ArticleId, str]] = []
    for article_id in article_ids:
        article = store.article(article_id)
        if article.is_partial and article.url and len(pages) < MAX_PAGES_PER_FEED:
            pages.append((article_id, article.url))
    return pages


def _fetch_pages(
    store: Store,
    fetcher: Fetcher,
    pool: ThreadPoolExecutor,
    fetched: Sequence[_Fetched],
    *,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    """Fetch the article page of each summary-only entry and ingest it as HTML."""
    jobs = [(item, article_id, url) for item in fetched for article_id, url in item.pages]
    if not jobs:
        return

    def get(url: str) -> FetchResponse | BroadsheetError:
        try:
            return fetcher.fetch(url, accept=PAGE_ACCEPT)
        except BroadsheetError as exc:
            return exc

    answers = list(pool.map(get, [url for _, _, url in jobs]))
    raws: list[RawDocument] = []
    owners: list[_Fetched] = []
    now = clock()
    for (item, article_id, url), answer in zip(jobs, answers, strict=True):
        if isinstance(answer, BroadsheetError):
            item.pages_failed += 1
            logger.warning(
                "page_fetch_failed",
                extra={"feed_id": item.feed.id, "url": url, "code": answer.code},
            )
            continue
        article = store.article(article_id)
        raws.append(
            RawDocument(
                data=answer.data,
                fetched_at=now,
                format=InputFormat.HTML,
                origin=answer.url,
                options=IngestOptions(
                    source=article.source,
                    url=article.url,
                    published_at=article.published_at,
                    language=article.language,
                    charset=answer.charset,
                ),
            )
        )
        owners.append(item)
    if raws:
        report = ingest(store, raws, settings=settings, clock=clock)
        for item, outcome in zip(owners, report.documents, strict=True):
            item.pages_fetched += 1
            item.quarantined += len(outcome.quarantined)


def _outcome(item: _Fetched, *, settings: Settings, now: datetime) -> tuple[PollRecord, FeedPoll]:
    """What to store for one polled feed, and what to report."""
    feed = item.feed
    min_s, max_s = settings.fetch_min_interval_s, settings.fetch_max_interval_s
    failure: tuple[str, str, bool, float | None] | None = None  # code, message, gone, retry
    if item.error is not None:
        error = item.error
        gone = isinstance(error, HTTPStatusError) and error.status == 410
        retry_after = error.retry_after_s if isinstance(error, HTTPStatusError) else None
        message = error.message
        if gone:
            message += "; no longer polled (add the feed again to resume)"
        failure = (error.code, message, gone, retry_after)
    elif item.body_error is not None:
        failure = (*item.body_error, False, None)
    if failure is not None:
        code, message, gone, retry_after = failure
        delay = failure_delay_s(
            feed.error_count + 1, min_s=min_s, max_s=max_s, retry_after_s=retry_after
        )
        status = FeedStatus.GONE if gone else FeedStatus.FAILING
        next_due = None if gone else now + timedelta(seconds=delay)
        record = PollRecord(
            status=status,
            polled_at=now,
            next_due_at=next_due,
            interval_s=feed.interval_s,
            error=message,
            error_code=code,
        )
        logger.warning("feed_failed", extra={"feed_id": feed.id, "url": feed.xml_url, "code": code})
        return record, FeedPoll(
            feed.id,
            feed.xml_url,
            "gone" if gone else "failed",
            status,
            articles_new=item.outcome.articles_new if item.outcome else (),
            articles_updated=item.outcome.articles_updated if item.outcome else (),
            quarantined=item.quarantined,
            error=message,
            error_code=code,
            next_due_at=next_due,
        )
    response = item.response
    assert response is not None
    outcome = item.outcome
    changed = bool(outcome and (outcome.articles_new or outcome.articles_updated))
    interval = next_interval_s(feed.interval_s, changed=changed, min_s=min_s, max_s=max_s)
    title = html_url = None
    if not response.not_modified and not (feed.title and feed.html_url):
        try:
            meta = feed_metadata(_decoded(response))
            title, html_url = meta.title, meta.site_url
        except BroadsheetError:
            pass  # the pipeline has already quarantined a body it cannot read
    record = PollRecord(
        status=FeedStatus.OK,
        polled_at=now,
        next_due_at=now + timedelta(seconds=interval),
        interval_s=interval,
        etag=response.etag or (feed.etag if response.not_modified else None),
        last_modified=response.last_modified
        or (feed.last_modified if response.not_modified else None),
        changed=changed,
        title=title,
        html_url=html_url,
        moved_to=response.permanent_url,
    )
    label = "not_modified" if response.not_modified else "new" if changed else "unchanged"
    return record, FeedPoll(
        feed.id,
        feed.xml_url,
        label,
        FeedStatus.OK,
        articles_new=outcome.articles_new if outcome else (),
        articles_updated=outcome.articles_updated if outcome else (),
        pages_fetched=item.pages_fetched,
        pages_failed=item.pages_failed,
        quarantined=item.quarantined,
        next_due_at=record.next_due_at,
    )
