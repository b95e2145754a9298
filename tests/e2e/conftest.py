"""Browser tests: Playwright (Python) driving Debian's chromium against `broadsheet serve`.

Playwright's own browser download does not work on these machines, so the tests launch the
system chromium (``apt-get install chromium``; `.ci/run` installs it). Under CI (``CI=true``) a
missing chromium fails the run; on a developer machine the tests are skipped.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.fixtures import build_demo_db, serve_process

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    path = os.environ.get("BROADSHEET_CHROMIUM") or shutil.which("chromium") or ""
    if path:
        return path
    message = "Debian chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + ": browser tests must run under CI")
    pytest.skip(message)


@pytest.fixture(scope="session")
def e2e_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store the browser tests' server reads (tests may add users to it)."""
    db = tmp_path_factory.mktemp("e2e") / "demo.db"
    build_demo_db(db)
    return db


@pytest.fixture(scope="session")
def base_url(e2e_db: Path) -> Iterator[str]:
    with serve_process(e2e_db) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the playwright package is missing: pip install -e '.[dev]'")
        pytest.skip("the playwright package is missing")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
