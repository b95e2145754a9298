"""The in-process feed scheduler of ``broadsheet serve``: the embedded setup needs no worker.

One daemon thread polls the feeds that are due (``polling.poll_feeds``, the same code as
``broadsheet fetch``), then sleeps until the next feed falls due, at most one minimum interval so
feeds added meanwhile are picked up. Stopping sets an event the sleep waits on, so shutdown does not
wait out a sleep. A cluster deployment runs the Celery workers instead and serves with
``--no-fetch``.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from broadsheet.config import Settings
from broadsheet.errors import BroadsheetError
from broadsheet.model import FeedStatus
from broadsheet.pipeline.fetch import Fetcher, FetchPolicy
from broadsheet.polling import poll_feeds
from broadsheet.store import Store

__all__ = ["FeedScheduler"]

logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class FeedScheduler:
    """Polls due feeds in a background thread until ``stop()``."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.rounds = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="broadsheet-feeds", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    def _seconds_to_next_due(self) -> float:
        now = _now()
        due = [f.next_due_at for f in self.store.feeds() if f.status is not FeedStatus.GONE]
        waits = [(d - now).total_seconds() if d else 0.0 for d in due]
        # At least 1 s (never spin on a feed that stays due), at most one minimum interval.
        return max(1.0, min([*waits, self.settings.fetch_min_interval_s]))

    def _run(self) -> None:
        with Fetcher(FetchPolicy.from_settings(self.settings)) as fetcher:
            while not self._stop.is_set():
                wait_s = self.settings.fetch_min_interval_s
                try:
                    report = poll_feeds(self.store, fetcher, settings=self.settings, clock=_now)
                    self.rounds += 1
                    if report.feeds:
                        logger.info(
                            "scheduler_polled",
                            extra={"feeds": len(report.feeds), "new": report.count("new")},
                        )
                    wait_s = self._seconds_to_next_due()
                except BroadsheetError as exc:
                    logger.error("scheduler_failed", extra={"code": exc.code, "error": exc.message})
                except Exception:  # a bug must not kill the thread: log it and try again later
                    logger.exception("scheduler_crashed")
                self._stop.wait(wait_s)
