"""Publication timestamps from the many shapes inputs give them in.

Accepted: ISO 8601 (``2026-11-10T08:15:00+01:00``, ``…Z``, a bare date), RFC 822/2822 as in RSS
(``Tue, 10 Nov 2026 08:15:00 GMT``), and Unix epoch seconds or milliseconds as numbers. A value
without a zone is taken as UTC. Anything else raises ``InvalidField`` naming the field.
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime

from broadsheet.errors import InvalidField
from broadsheet.model import ensure_utc

__all__ = ["from_struct_time", "parse_timestamp"]

# Years outside this range are typos or attacks on date arithmetic, not news.
_MIN_YEAR = 1800
_MAX_YEAR = 2200
# Epoch numbers above this are milliseconds (1e11 s is the year 5138).
_MS_THRESHOLD = 1e11


def _in_range(value: datetime, field: str, shown: object) -> datetime:
    if not _MIN_YEAR <= value.year <= _MAX_YEAR:
        raise InvalidField(f"{field}: {shown!r} is outside {_MIN_YEAR}-{_MAX_YEAR}")
    return ensure_utc(value)


def parse_timestamp(value: object, *, field: str = "published_at") -> datetime:
    """Parse ``value`` (str or number) to a UTC datetime, or raise ``InvalidField``."""
    if isinstance(value, bool) or value is None:
        raise InvalidField(f"{field}: expected a date and time, got {value!r}")
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) > _MS_THRESHOLD else value
        try:
            stamp = datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise InvalidField(f"{field}: epoch value {value!r} is out of range") from exc
        return _in_range(stamp, field, value)
    if not isinstance(value, str):
        raise InvalidField(f"{field}: expected a string or number, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise InvalidField(f"{field}: empty date")
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        return _in_range(datetime.fromisoformat(iso), field, value)
    except ValueError:
        pass
    parsed: datetime | None
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        raise InvalidField(
            f"{field}: cannot read {text[:60]!r} as a date and time "
            "(use ISO 8601, e.g. 2026-11-10T08:15:00+00:00)"
        )
    return _in_range(parsed, field, value)


def from_struct_time(value: time.struct_time | None) -> datetime | None:
    """A UTC datetime from feedparser's ``*_parsed`` fields (which are UTC), or None."""
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None
