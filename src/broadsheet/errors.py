"""Broadsheet's exceptions.

Every error the library raises on purpose is a ``BroadsheetError``. Callers catch at the grain they
need; the pipeline turns any of them raised while processing one document into a ``Quarantine``
record, keyed by the error's stable ``code``.

```
BroadsheetError
 ├── ConfigError                  a setting is missing or malformed
 ├── InputError                   the input itself is unusable
 │    ├── EmptyInput              zero bytes, only whitespace, or no article text at all
 │    ├── BinaryInput             an image, archive, executable or other non-text bytes
 │    ├── TooLarge                over the configured size cap
 │    ├── UnsupportedFormat       not a format Broadsheet ingests
 │    ├── HostileInput            entity-expansion XML and similar attacks
 │    └── InvalidField            a record field has the wrong type or an unparseable value
 ├── ParseError                   the bytes are text but cannot be understood
 │    ├── EncodingError           the text encoding is broken or contradicts its byte-order mark
 │    └── ExtractError            HTML/XML/JSON that yields no article
 ├── FetchError                   a URL could not be fetched (pipeline/fetch.py)
 │    ├── BlockedAddress          private/loopback/reserved address or a non-http(s) URL
 │    ├── ResponseTooLarge        body (or its decompressed size) over the cap
 │    ├── FetchTimeout            connect, read or total deadline passed
 │    ├── HTTPStatusError         4xx/5xx answer; ``code`` is ``fetch_http_<status>``
 │    ├── TooManyRedirects        more redirects than allowed, or a redirect loop
 │    └── RobotsDisallowed        the site's robots.txt forbids the URL for our User-Agent
 └── StoreError                   the database refused or lacks something
      ├── NotFound
      └── Conflict
```
"""

from __future__ import annotations

__all__ = [
    "BinaryInput",
    "BlockedAddress",
    "BroadsheetError",
    "ConfigError",
    "Conflict",
    "EmptyInput",
    "EncodingError",
    "ExtractError",
    "FetchError",
    "FetchTimeout",
    "HTTPStatusError",
    "HostileInput",
    "InputError",
    "InvalidField",
    "NotFound",
    "ParseError",
    "ResponseTooLarge",
    "RobotsDisallowed",
    "StoreError",
    "TooLarge",
    "TooManyRedirects",
    "UnsupportedFormat",
]


class BroadsheetError(Exception):
    """Base of every error Broadsheet raises on purpose.

    ``code`` is a stable, machine-readable key (used in quarantine records and JSON errors); the
    message is for people and names the input it concerns.
    """

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(BroadsheetError):
    code = "config_invalid"


class InputError(BroadsheetError):
    code = "input_invalid"


class EmptyInput(InputError):
    code = "input_empty"


class BinaryInput(InputError):
    code = "input_binary"


class TooLarge(InputError):
    code = "input_too_large"


class UnsupportedFormat(InputError):
    code = "input_unsupported_format"


class HostileInput(InputError):
    code = "input_hostile"


class InvalidField(InputError):
    code = "input_invalid_field"


class ParseError(BroadsheetError):
    code = "parse_failed"


class EncodingError(ParseError):
    code = "parse_encoding"


class ExtractError(ParseError):
    code = "parse_no_article"


class FetchError(BroadsheetError):
    code = "fetch_failed"


class BlockedAddress(FetchError):
    code = "fetch_blocked_address"


class ResponseTooLarge(FetchError):
    code = "fetch_too_large"


class FetchTimeout(FetchError):
    code = "fetch_timeout"


class HTTPStatusError(FetchError):
    """An error status; ``retry_after_s`` is what the server asked us to wait, when it said."""

    code = "fetch_http_error"

    def __init__(self, message: str, *, status: int, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s
        self.code = f"fetch_http_{status}"


class TooManyRedirects(FetchError):
    code = "fetch_too_many_redirects"


class RobotsDisallowed(FetchError):
    code = "fetch_robots_disallowed"


class StoreError(BroadsheetError):
    code = "store_failed"


class NotFound(StoreError):
    code = "store_not_found"


class StoryMerged(NotFound):
    """The story was merged into another (clustering found the two were one event): it is gone,
    and ``into`` is the story that holds its articles now. The web app and API redirect."""

    code = "story_merged"

    def __init__(self, story_id: int, into: int) -> None:
        super().__init__(f"no story {story_id}: it was merged into story {into}")
        self.story_id = story_id
        self.into = into


class Conflict(StoreError):
    code = "store_conflict"
