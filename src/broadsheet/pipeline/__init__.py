"""The pipeline: ``process`` turns one raw document into records; ``ingest`` stores batches of them.

``process`` is pure (no clock, no database): decode -> extract -> clean -> fingerprint. Any failure
in one document, expected (``BroadsheetError``) or not, becomes a quarantine record for that
document or item, and processing of the rest goes on. ``ingest`` skips bytes the store has already
seen, processes the rest and writes each batch in one transaction.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import TypeVar

from broadsheet.config import Settings
from broadsheet.errors import BroadsheetError, ConfigError, InvalidField, TooLarge
from broadsheet.model import (
    ArticleDraft,
    DocumentOutcome,
    IngestReport,
    InputFormat,
    ProcessResult,
    QuarantineDraft,
    RawDocument,
    Rejected,
    Stage,
)
from broadsheet.pipeline.clean import RECURRING_MIN_PAGES, clean, template_candidates
from broadsheet.pipeline.decode import decode_text
from broadsheet.pipeline.enrich import enrich
from broadsheet.pipeline.extract import Extracted, detect_format, extract, format_for_path
from broadsheet.pipeline.fingerprint import fingerprint
from broadsheet.store import Store

__all__ = ["ingest", "process", "reprocess"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Progress = Callable[[int], None]


def _problem(stage: Stage, exc: Exception, locator: str | None = None) -> QuarantineDraft:
    if isinstance(exc, BroadsheetError):
        code, message = exc.code, exc.message
    else:
        # Unexpected: keep the class name so the bug can be found, and log the traceback.
        code, message = "internal_error", f"unexpected {type(exc).__name__}: {exc}"
    return QuarantineDraft(
        stage=stage,
        code=code,
        error_class=type(exc).__name__,
        message=message,
        locator=locator,
    )


@dataclass(frozen=True, slots=True)
class _Extraction:
    """A raw document after decode and extract: drafts to clean, or the reason it stopped."""

    raw: RawDocument
    format: InputFormat | None
    extracted: Extracted | None = None
    problem: QuarantineDraft | None = None


def _extract(raw: RawDocument, *, now: datetime, settings: Settings) -> _Extraction:
    stage = Stage.READ
    fmt: InputFormat | None = raw.format or format_for_path(raw.origin)
    try:
        if raw.options.problem:
            raise InvalidField(raw.options.problem)
        if raw.truncated:
            # Worded from the raw alone so the message stays the same on every reprocess.
            raise TooLarge(
                f"{raw.size_bytes:,} bytes was over the size limit when read; only the first "
                f"{len(raw.data):,} bytes were kept. Raise BROADSHEET_MAX_INPUT_BYTES and "
                "ingest the file again"
            )
        if len(raw.data) > settings.max_input_bytes:
            raise TooLarge(
                f"{len(raw.data):,} bytes is over the limit of {settings.max_input_bytes:,} "
                "(BROADSHEET_MAX_INPUT_BYTES)"
            )
        stage = Stage.DECODE
        decoded = decode_text(raw.data, declared=raw.options.charset)
        stage = Stage.EXTRACT
        fmt = detect_format(decoded.text, fmt)
        extracted = extract(
            decoded.text,
            fmt,
            options=raw.options,
            now=now,
            default_language=settings.default_language,
        )
    except Exception as exc:
        if not isinstance(exc, BroadsheetError):
            logger.exception(
                "process_failed", extra={"raw_id": raw.id, "origin": raw.origin, "stage": stage}
            )
        return _Extraction(raw, fmt, problem=_problem(stage, exc))
    return _Extraction(raw, fmt, extracted=extracted)


def _finish(item: _Extraction, recurring: Mapping[str, frozenset[str]]) -> ProcessResult:
    if item.extracted is None:
        problems = (item.problem,) if item.problem else ()
        return ProcessResult(raw=item.raw, format=item.format, quarantines=problems)
    drafts: list[ArticleDraft] = []
    problems_: list[QuarantineDraft] = list(item.extracted.item_quarantines)
    for draft in item.extracted.articles:
        stage = Stage.CLEAN
        try:
            cleaned = clean(draft, recurring=recurring.get(draft.source_name, frozenset()))
            stage = Stage.FINGERPRINT
            drafts.append(fingerprint(cleaned))
        except Exception as exc:
            if not isinstance(exc, BroadsheetError):
                logger.exception(
                    "process_failed",
                    extra={"raw_id": item.raw.id, "origin": item.raw.origin, "stage": stage},
                )
            problems_.append(_problem(stage, exc, draft.locator))
    return ProcessResult(
        raw=item.raw,
        format=item.format,
        articles=tuple(drafts),
        subscriptions=item.extracted.subscriptions,
        quarantines=tuple(problems_),
    )


def process(
    raw: RawDocument,
    *,
    now: datetime,
    settings: Settings,
    recurring: Mapping[str, frozenset[str]] | None = None,
) -> ProcessResult:
    """Run one raw document through decode, extract, clean and fingerprint.

    Never raises for bad input: every problem is in ``result.quarantines`` with the stage where
    it happened. ``now`` stands in for the publication time of inputs that give none.
    ``recurring`` maps a source name to the keys (``line_key``) of lines that recur across its
    pages, which the cleaner drops from scraped text as page template.
    """
    result = _finish(_extract(raw, now=now, settings=settings), recurring or {})
    return _enrich([result], settings)[0]


def _enrich(results: list[ProcessResult], settings: Settings) -> list[ProcessResult]:
    """Language and entities for every article of a batch, in one spaCy pass.

    If the pass fails, each document is retried alone; one that still fails keeps its articles
    unenriched (they are readable, just without entities) and gets a quarantine record at the
    ``enrich`` stage, which ``reprocess --quarantined`` retries. A model that cannot be loaded
    is a configuration error and stops the run (``ConfigError``).
    """
    if not any(result.articles for result in results):
        return results
    try:
        return _enrich_all(results, settings)
    except ConfigError:
        raise
    except Exception:
        logger.warning("enrich_batch_failed", extra={"documents": len(results)})
    return [_enrich_one(result, settings) for result in results]


def _enrich_all(results: list[ProcessResult], settings: Settings) -> list[ProcessResult]:
    drafts = [draft for result in results for draft in result.articles]
    forced = [result.raw.options.language for result in results for _ in result.articles]
    done = iter(enrich(drafts, spacy_model=settings.spacy_model, forced_languages=forced))
    return [
        dataclasses.replace(result, articles=tuple(next(done) for _ in result.articles))
        for result in results
    ]


def _enrich_one(result: ProcessResult, settings: Settings) -> ProcessResult:
    if not result.articles:
        return result
    try:
        return _enrich_all([result], settings)[0]
    except ConfigError:
        raise
    except Exception as exc:
        if not isinstance(exc, BroadsheetError):
            logger.exception(
                "process_failed",
                extra={"raw_id": result.raw.id, "origin": result.raw.origin, "stage": "enrich"},
            )
        problem = _problem(Stage.ENRICH, exc)
        return dataclasses.replace(result, quarantines=(*result.quarantines, problem))


def _process_batch(
    store: Store, raws: Sequence[RawDocument], settings: Settings
) -> list[ProcessResult]:
    """Process a batch, with the template lines each source shows across its pages.

    A line counts as template when its source prints it on ``RECURRING_MIN_PAGES`` pages,
    counting those already stored and those in this batch; so the first pages of a new source
    are judged together rather than one by one.
    """
    items = [_extract(raw, now=raw.fetched_at, settings=settings) for raw in raws]
    page_keys: list[tuple[str, frozenset[str]]] = []
    for item in items:
        for draft in item.extracted.articles if item.extracted else ():
            if draft.lines:
                page_keys.append((draft.source_name, template_candidates(draft.lines)))
    recurring: dict[str, frozenset[str]] = {}
    if page_keys:
        in_batch = Counter((source, key) for source, keys in page_keys for key in keys)
        raw_ids = {raw.id for raw in raws if raw.id is not None}
        stored = store.template_line_counts(
            {source for source, _ in page_keys},
            {key for _, keys in page_keys for key in keys},
            exclude_raw_ids=raw_ids,
        )
        found: dict[str, set[str]] = {}
        for (source, key), count in in_batch.items():
            if count + stored.get((source, key), 0) >= RECURRING_MIN_PAGES:
                found.setdefault(source, set()).add(key)
        recurring = {source: frozenset(keys) for source, keys in found.items()}
    return _enrich([_finish(item, recurring) for item in items], settings)


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def ingest(
    store: Store,
    raws: Iterable[RawDocument | Rejected],
    *,
    settings: Settings,
    clock: Callable[[], datetime],
    progress: Progress | None = None,
) -> IngestReport:
    """Process and store ``raws`` in batches of ``settings.ingest_batch_size``.

    Bytes already in the store with the same options are not processed again (``unchanged``);
    identical inputs within one run are stored once. Known bytes ingested with new options (a
    corrected sidecar, another ``--source``) re-run the pipeline on the stored raw document, which
    takes the new options (``reprocessed``): article ids stay, no duplicate is made. A ``Rejected``
    input is quarantined as it is. Raises ``StoreError`` only when the database itself fails.
    """
    outcomes: list[DocumentOutcome] = []
    started = clock()
    for batch in _batches(raws, settings.ingest_batch_size):
        known = store.known_raws(item.sha256 for item in batch if isinstance(item, RawDocument))
        to_process: list[RawDocument] = []
        # One slot per input, in input order; None marks those the batch write will answer.
        slots: list[DocumentOutcome | None] = []
        seen: set[str] = set()
        now = clock()
        for item in batch:
            if isinstance(item, Rejected):
                store.record_unreadable(item.origin, item.problem, now=now)
                slots.append(
                    DocumentOutcome(
                        item.origin, None, None, "unreadable", quarantined=(item.problem,)
                    )
                )
                continue
            raw = item
            stored = known.get(raw.sha256)
            if raw.sha256 in seen or (stored and stored.options == raw.options):
                # Already stored (or earlier in this batch): no work, and no second copy.
                raw_id = stored.id if stored else None
                slots.append(DocumentOutcome(raw.origin, raw_id, raw.format, "unchanged"))
                continue
            seen.add(raw.sha256)
            if stored:
                raw = dataclasses.replace(raw, id=stored.id, fetched_at=stored.fetched_at)
            slots.append(None)
            to_process.append(raw)
        results = _process_batch(store, to_process, settings)
        written = iter(store.write_batch(results, now=now))
        done = [slot if slot is not None else next(written) for slot in slots]
        _log_batch(done, started=started, clock=clock)
        outcomes.extend(done)
        started = clock()
        if progress:
            progress(len(batch))
    # Once per run, not per batch: a story that gained ten articles is summarised once (#8).
    store.refresh_story_views(now=clock())
    return IngestReport(tuple(outcomes), duplicates=store.counts()["duplicates"])


def _log_batch(
    outcomes: Iterable[DocumentOutcome], *, started: datetime, clock: Callable[[], datetime]
) -> None:
    count = 0
    for outcome in outcomes:
        count += 1
        for problem in outcome.quarantined:
            logger.warning(
                "quarantined",
                extra={
                    "raw_id": outcome.raw_id,
                    "origin": outcome.origin,
                    "stage": problem.stage.value,
                    "code": problem.code,
                    "locator": problem.locator,
                },
            )
    duration_ms = round((clock() - started).total_seconds() * 1000)
    logger.info("ingest_batch", extra={"documents": count, "duration_ms": duration_ms})


def reprocess(
    store: Store,
    *,
    settings: Settings,
    clock: Callable[[], datetime],
    quarantined_only: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Re-run the pipeline on stored raw documents, replacing what was derived from them.

    Article ids stay stable; quarantine records whose problem is gone are marked resolved.
    Publication times that were guessed keep the original ingest time, not the time of reprocess.
    """
    outcomes: list[DocumentOutcome] = []
    ids = store.raw_ids(quarantined_only=quarantined_only)
    for batch in _batches(ids, settings.ingest_batch_size):
        now = clock()
        results = _process_batch(store, [store.load_raw(raw_id) for raw_id in batch], settings)
        done = store.write_batch(results, now=now)
        _log_batch(done, started=now, clock=clock)
        outcomes.extend(done)
        if progress:
            progress(len(batch))
    store.refresh_story_views(now=clock())
    return IngestReport(tuple(outcomes), duplicates=store.counts()["duplicates"])
