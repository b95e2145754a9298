"""Keep the ``--help`` text in ``docs/cli/<command>.md`` identical to the CLI's.

Each page holds the help between ``<!-- help:start -->`` and ``<!-- help:end -->``. Run
``python scripts/cli_docs.py`` to rewrite those blocks; ``--check`` exits 1 when one is stale
(``tests/test_docs.py`` runs the same check).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from broadsheet.cli import cli

DOCS = Path(__file__).resolve().parent.parent / "docs" / "cli"
START, END = "<!-- help:start -->", "<!-- help:end -->"
_BLOCK = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)


def command_names() -> list[str]:
    return sorted(cli.commands)


def _help(args: list[str]) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="broadsheet", terminal_width=88)
    if result.exit_code != 0:
        raise RuntimeError(f"broadsheet {' '.join(args)} --help failed: {result.output}")
    return result.output.rstrip() + "\n"


def render_help(name: str | None) -> str:
    """A command's help; for a group, followed by the help of each of its subcommands."""
    if name is None:
        return _help([])
    text = _help([name])
    command = cli.commands[name]
    if isinstance(command, click.Group):
        for sub in sorted(command.commands):
            text += f"\n$ broadsheet {name} {sub} --help\n" + _help([name, sub])
    return text


def expected_block(name: str | None) -> str:
    return f"{START}\n```text\n{render_help(name)}```\n{END}"


def page_for(name: str | None) -> Path:
    return DOCS / f"{name or 'index'}.md"


def update(check: bool) -> list[str]:
    stale = []
    for name in [None, *command_names()]:
        page = page_for(name)
        text = page.read_text(encoding="utf-8") if page.exists() else ""
        if not _BLOCK.search(text):
            stale.append(f"{page}: no {START} block")
            continue
        new = _BLOCK.sub(expected_block(name).replace("\\", "\\\\"), text, count=1)
        if new != text:
            stale.append(str(page))
            if not check:
                page.write_text(new, encoding="utf-8")
    return stale


if __name__ == "__main__":
    check = "--check" in sys.argv
    problems = update(check)
    for problem in problems:
        print(("stale: " if check else "updated: ") + problem)
    sys.exit(1 if check and problems else 0)
