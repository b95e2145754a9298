"""Docs that a test keeps honest stay honest: every command and setting is documented."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from broadsheet.cli import cli
from broadsheet.config import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import cli_docs  # noqa: E402


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_a_page_with_current_help(name: str) -> None:
    page = ROOT / "docs" / "cli" / f"{name}.md"
    assert page.exists(), f"docs/cli/{name}.md is missing"
    text = page.read_text(encoding="utf-8")
    assert text.startswith(f"# broadsheet {name}")
    assert cli_docs.expected_block(name) in text, "stale help: run python scripts/cli_docs.py"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_help_has_an_example(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert re.search(r"Examples?:\n\s+broadsheet ", result.output), result.output


def test_index_lists_every_command() -> None:
    text = (ROOT / "docs" / "cli" / "index.md").read_text(encoding="utf-8")
    assert cli_docs.expected_block(None) in text
    for name in cli.commands:
        assert f"({name}.md)" in text, name


def test_every_setting_is_in_configuration_md() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"## {setting.env}" in text, setting.env


def test_readme_gives_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.strip().splitlines()[-1] == "make test"


def test_changelog_has_unreleased_section() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
