"""Log output for the shells. The library only logs to named loggers and never adds handlers.

Events are short snake_case names (``process_failed``) with the same ``extra`` keys everywhere
(``raw_id``, ``article_id``, ``stage``, ``url``, ``duration_ms``). On a terminal they print as
text; otherwise (or with ``--log-format json``) as one JSON object per line on stderr.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

__all__ = ["configure_logging"]

_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        data.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(
            f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD and v is not None
        )
        line = f"{record.levelname.lower()}: {record.name}: {record.getMessage()}"
        line = f"{line} {extras}" if extras else line
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(level: str = "warning", fmt: str = "auto") -> None:
    """Send Broadsheet's logs to stderr as text (terminal) or JSON lines (``fmt``)."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if use_json else _TextFormatter())
    root = logging.getLogger("broadsheet")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    # Extraction libraries log every page they find hard at WARNING; that is their business, and
    # our quarantine records already say what matters. Show them only when debugging.
    for name in ("trafilatura", "htmldate", "courlan", "charset_normalizer"):
        logging.getLogger(name).setLevel(
            logging.DEBUG if level.lower() == "debug" else logging.CRITICAL
        )
