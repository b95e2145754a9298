from __future__ import annotations

from pathlib import Path

import pytest

from broadsheet.config import SETTINGS, Settings, db_url
from broadsheet.errors import ConfigError


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.max_input_bytes == 20_000_000
    assert settings.db is None
    assert settings.db_url.endswith("/broadsheet.db")


def test_every_setting_parses_from_env(tmp_path: Path) -> None:
    env = {
        "BROADSHEET_DB": str(tmp_path / "x.db"),
        "BROADSHEET_MAX_INPUT_BYTES": "1_000",
        "BROADSHEET_INGEST_BATCH_SIZE": "5",
        "BROADSHEET_DEFAULT_LANGUAGE": "EN",
        "BROADSHEET_EVAL_DIR": "/data/eval",
        "BROADSHEET_SPACY_MODEL": "en_core_web_md",
        "BROADSHEET_FETCH_ALLOW_HOSTS": " 127.0.0.1, Intranet.Example ,10.0.0.0/8,,",
        "BROADSHEET_FETCH_ALLOW_PRIVATE_NETWORKS": "yes",
        "BROADSHEET_FETCH_TIMEOUT_S": "12.5",
        "BROADSHEET_FETCH_READ_TIMEOUT_S": "3",
        "BROADSHEET_FETCH_MAX_BYTES": "1_000_000",
        "BROADSHEET_FETCH_USER_AGENT": "Tester/1.0",
        "BROADSHEET_FETCH_RETRIES": "0",
        "BROADSHEET_FETCH_CONCURRENCY": "4",
        "BROADSHEET_FETCH_HOST_CONCURRENCY": "1",
        "BROADSHEET_FETCH_HOST_DELAY_S": "0",
        "BROADSHEET_FETCH_MIN_INTERVAL_S": "60",
        "BROADSHEET_FETCH_MAX_INTERVAL_S": "3600",
        "BROADSHEET_PUBLIC_READ": "true",
        "BROADSHEET_FEED_HALF_LIFE_HOURS": "6.5",
    }
    assert {s.env for s in SETTINGS} == set(env)
    settings = Settings.from_env(env)
    assert settings.as_dict() == {
        "db": str(tmp_path / "x.db"),
        "max_input_bytes": 1000,
        "ingest_batch_size": 5,
        "default_language": "en",
        "eval_dir": "/data/eval",
        "spacy_model": "en_core_web_md",
        "fetch_allow_hosts": ("127.0.0.1", "intranet.example", "10.0.0.0/8"),
        "fetch_allow_private_networks": True,
        "fetch_timeout_s": 12.5,
        "fetch_read_timeout_s": 3.0,
        "fetch_max_bytes": 1_000_000,
        "fetch_user_agent": "Tester/1.0",
        "fetch_retries": 0,
        "fetch_concurrency": 4,
        "fetch_host_concurrency": 1,
        "fetch_host_delay_s": 0.0,
        "fetch_min_interval_s": 60.0,
        "fetch_max_interval_s": 3600.0,
        "public_read": True,
        "feed_half_life_hours": 6.5,
    }


def test_file_variant(tmp_path: Path) -> None:
    secret = tmp_path / "db.txt"
    secret.write_text("postgresql://u:p@localhost/x\n")
    assert (
        Settings.from_env({"BROADSHEET_DB_FILE": str(secret)}).db == "postgresql://u:p@localhost/x"
    )
    with pytest.raises(ConfigError, match="BROADSHEET_DB_FILE"):
        Settings.from_env({"BROADSHEET_DB_FILE": str(tmp_path / "missing")})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BROADSHEET_MAX_INPUT_BYTES", "-3"),
        ("BROADSHEET_MAX_INPUT_BYTES", "lots"),
        ("BROADSHEET_INGEST_BATCH_SIZE", "0"),
        ("BROADSHEET_DEFAULT_LANGUAGE", "en_GB!!"),
        ("BROADSHEET_FETCH_ALLOW_HOSTS", "good.example, bad host!"),
        ("BROADSHEET_FETCH_ALLOW_PRIVATE_NETWORKS", "maybe"),
        ("BROADSHEET_FETCH_TIMEOUT_S", "0"),
        ("BROADSHEET_FETCH_HOST_DELAY_S", "-1"),
        ("BROADSHEET_FETCH_RETRIES", "-1"),
        ("BROADSHEET_FETCH_MIN_INTERVAL_S", "nan"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_db_url_forms(tmp_path: Path) -> None:
    assert db_url("postgresql://x/y") == "postgresql://x/y"
    assert db_url(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path / 'a.db'}"
