"""`broadsheet users ...` and `broadsheet serve --help` through the real CLI."""

from __future__ import annotations

import json

from click.testing import CliRunner

from broadsheet.cli import cli
from broadsheet.store import Store
from broadsheet.store.users import Accounts


def test_users_add_list_and_token(tmp_path) -> None:
    db = str(tmp_path / "u.db")
    runner = CliRunner()
    added = runner.invoke(
        cli,
        ["--db", db, "users", "add", "carol", "--password-stdin", "--json"],
        input="carol-password\n",
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["name"] == "carol"
    again = runner.invoke(
        cli, ["--db", db, "users", "add", "carol", "--password-stdin"], input="x" * 9 + "\n"
    )
    assert again.exit_code == 1 and "exists already" in again.output
    short = runner.invoke(
        cli, ["--db", db, "users", "add", "dave", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    listed = runner.invoke(cli, ["--db", db, "users", "list", "--json"])
    assert [u["name"] for u in json.loads(listed.output)] == ["carol"]
    token = runner.invoke(cli, ["--db", db, "users", "token", "carol", "--name", "laptop"])
    assert token.exit_code == 0 and token.output.startswith("bst_")
    with Store.open(f"sqlite:///{db}") as store:
        accounts = Accounts(store)
        user = accounts.token_user(token.output.strip(), now=accounts.users()[0].created_at)
        assert user is not None and user.name == "carol"
        assert [t.name for t in accounts.tokens(user.id)] == ["laptop"]
        assert accounts.authenticate("carol", "carol-password") == user
    missing = runner.invoke(cli, ["--db", db, "users", "token", "nobody"])
    assert missing.exit_code == 1 and "no user 'nobody'" in missing.output


def test_users_add_prompts_for_the_password_twice(tmp_path) -> None:
    db = str(tmp_path / "u.db")
    result = CliRunner().invoke(
        cli, ["--db", db, "users", "add", "erin"], input="erin-password\nerin-password\n"
    )
    assert result.exit_code == 0 and "Added user 1: erin" in result.output


def test_serve_help_names_host_and_port() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output and "127.0.0.1" in result.output
