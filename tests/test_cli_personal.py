"""The personal front page from the command line (#11): `feed`, `follow`/`unfollow`, `follows`,
`mute`/`unmute`, `topics` and `topic create|show|edit`, run in-process through the real CLI on a
real SQLite store holding the demo corpus."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from broadsheet.cli import MAX_FOLLOW_WEIGHT as CLI_MAX_WEIGHT
from broadsheet.cli import cli
from broadsheet.store import Store

Run = Callable[..., Result]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo corpus ingested once by `broadsheet demo` (exit 3 is accepted: the demo's
    deliberately bad inputs, or a cleaner model being retrained, quarantine some files)."""
    path = tmp_path_factory.mktemp("personal") / "demo.db"
    result = CliRunner().invoke(cli, ["demo", "--db", str(path), "--json"])
    assert result.exit_code in (0, 3), result.output
    assert json.loads(result.stdout)["counts"]["stories"] >= 5
    return path


@pytest.fixture
def run(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.delenv("BROADSHEET_DB", raising=False)

    def invoke(*args: str | Path, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--db", str(demo_db), *map(str, args)], input=input)

    return invoke


@pytest.fixture
def store(demo_db: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{demo_db}") as opened:
        yield opened


@pytest.fixture
def user(run: Run) -> str:
    """A new account for each test: follows and mutes of one test never touch another's."""
    name = f"u{uuid.uuid4().hex[:10]}"
    result = run("users", "add", name, "--password-stdin", input="a long password\n")
    assert result.exit_code == 0, result.output
    return name


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _feed(run: Run, user: str, *args: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = _json(run("feed", user, "--json", *args))["items"]
    return items


def _entity_of_latest_story(store: Store) -> tuple[int, int, str]:
    """(story id, entity id, entity name) for the most recently active story and one of its top
    entities whose name finds only it, so following it by name is not ambiguous."""
    latest = store.stories(limit=1)[0]
    for entity_id in latest.top_entity_ids:
        name = next(e.name for e in store.find_entities(str(entity_id)) if e.id == entity_id)
        if [e.id for e in store.find_entities(name)] == [entity_id]:
            return latest.id, entity_id, name
    pytest.fail(f"story {latest.id} has no entity with a name of its own")


def test_follow_an_entity_by_name_and_the_feed_says_so(run, store, user, monkeypatch) -> None:
    story_id, entity_id, name = _entity_of_latest_story(store)
    followed = _json(run("follow", user, "entity", name, "--json"))
    assert (followed["kind"], followed["target"], followed["label"]) == (
        "entity",
        str(entity_id),
        name,
    )
    assert followed["weight"] == 1.0

    items = _feed(run, user)
    (item,) = [i for i in items if i["id"] == story_id]
    assert f"You follow {name}" in item["reason"]
    assert item["because"] == [item["reason"]]
    assert {"id", "title", "sources", "last_seen", "score", "reason", "terms"} <= item.keys()
    # Only stories matching a follow with --followed-only; this one is among them.
    assert story_id in [i["id"] for i in _feed(run, user, "--followed-only")]

    monkeypatch.setenv("COLUMNS", "200")  # rich's tables fold cells to the terminal's width
    text = run("feed", user)
    assert text.exit_code == 0, text.output
    assert "why you see this" in text.stdout and f"You follow {name}" in text.stdout

    listed = _json(run("follows", user, "--json"))
    assert [(f["kind"], f["target"], f["label"]) for f in listed["follows"]] == [
        ("entity", str(entity_id), name)
    ]
    assert listed["mutes"] == []
    # Following again sets the weight; the id stays.
    again = _json(run("follow", user, "entity", str(entity_id), "--weight", "3", "--json"))
    assert (again["id"], again["weight"]) == (followed["id"], 3.0)

    gone = run("unfollow", user, "entity", name)
    assert gone.exit_code == 0, gone.output
    assert _json(run("follows", user, "--json"))["follows"] == []
    assert _feed(run, user, "--followed-only") == []


def _stories_with_an_original_from(store: Store, source: str, story_ids: list[int]) -> set[int]:
    """Stories in which ``source`` published its own article (not only a syndicated copy): the
    ones a mute of the outlet takes off the front page."""
    return {
        s
        for s in story_ids
        if any(m.source == source and m.duplicate_of is None for m in store.story(s)[1])
    }


def test_mute_a_source_and_its_stories_leave_the_feed(run, store, user) -> None:
    before = [i["id"] for i in _feed(run, user, "--limit", "200")]
    outlet = store.sources()[0].name  # the outlet with the most articles
    covered = _stories_with_an_original_from(store, outlet, before)
    assert covered, f"{outlet} has no story on the front page"

    muted = _json(run("mute", user, "source", outlet.upper(), "--json"))  # names: any case
    assert (muted["kind"], muted["label"]) == ("source", outlet)
    after = [i["id"] for i in _feed(run, user, "--limit", "200")]
    assert after and not covered & set(after)
    assert set(after) == set(before) - covered

    listed = _json(run("follows", user, "--json"))
    assert [(m["kind"], m["target"], m["label"]) for m in listed["mutes"]] == [
        ("source", muted["target"], outlet)
    ]
    assert run("unmute", user, "source", muted["target"]).exit_code == 0
    assert {i["id"] for i in _feed(run, user, "--limit", "200")} == set(before)


def test_topic_create_show_list_and_edit(run, store, user) -> None:
    story_id, entity_id, name = _entity_of_latest_story(store)
    created = _json(run("topic", "create", f"About {name}", "--entity", name, "--json"))
    assert created["entity_ids"] == [entity_id] and created["keywords"] == []
    assert (created["mine"], created["owner"]) == (False, None)
    assert created["entities"] == [{"id": entity_id, "name": name}]

    shown = _json(run("topic", "show", str(created["id"]), "--json"))
    assert shown["name"] == f"About {name}"
    assert story_id in [i["id"] for i in shown["items"]]
    assert all("reason" in i and "score" in i for i in shown["items"])
    text = run("topic", "show", str(created["id"]))
    assert (
        text.exit_code == 0 and f"About {name}" in text.stdout and "instance topic" in text.stdout
    )

    own = _json(
        run(
            "topic",
            "create",
            "Mine",
            "--entity",
            str(entity_id),
            "--keyword",
            " Ports ",
            "--user",
            user,
            "--json",
        )
    )
    assert (own["mine"], own["owner"], own["keywords"]) == (True, user, ["ports"])
    everybody = {t["id"] for t in _json(run("topics", "--json"))}
    theirs = {t["id"] for t in _json(run("topics", "--user", user, "--json"))}
    assert created["id"] in everybody and own["id"] not in everybody
    assert {created["id"], own["id"]} <= theirs

    edited = _json(
        run("topic", "edit", str(own["id"]), "--no-keywords", "--name", "Renamed", "--json")
    )
    assert (edited["name"], edited["keywords"], edited["entity_ids"]) == (
        "Renamed",
        [],
        [entity_id],
    )
    # A topic needs an entity or a keyword: the store refuses, the CLI says so.
    empty = run("topic", "edit", str(own["id"]), "--no-entities")
    assert empty.exit_code == 1 and "at least one entity or keyword" in empty.stderr
    # The operator edits the instance's topics here (the web app and the API do not).
    instance = _json(run("topic", "edit", str(created["id"]), "--keyword", "x", "--json"))
    assert instance["keywords"] == ["x"] and instance["owner"] is None

    # A topic is followed and muted like anything else, by id or by name.
    followed = _json(run("follow", user, "topic", "Renamed", "--json"))
    assert followed["target"] == str(own["id"])
    assert story_id in [i["id"] for i in _feed(run, user, "--followed-only")]

    suggestions = _json(run("topics", "--suggest", "--json"))
    assert isinstance(suggestions, list)
    for s in suggestions:
        assert s.keys() == {"name", "entity_ids", "story_count"} and s["story_count"] >= 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("follow", "{user}", "entity", "Nobody Atall Xq"), "no entity named 'Nobody Atall Xq'"),
        (("follow", "{user}", "source", "The Nowhere Times"), "no source 'The Nowhere Times'"),
        (("follow", "{user}", "story", "999999"), "no story 999999"),
        (("follow", "{user}", "story", "latest"), "not an id"),
        (("follow", "{user}", "topic", "999999"), "no topic 999999"),
        (("mute", "{user}", "entity", "999999999"), "no entity 999999999"),
        (("follow", "nobody-here", "keyword", "tariffs"), "no user 'nobody-here'"),
        (("feed", "nobody-here"), "no user 'nobody-here'"),
        (("unfollow", "{user}", "keyword", "tariffs"), "does not follow keyword 'tariffs'"),
        (("unmute", "{user}", "source", "1"), "has not muted source '1'"),
        (("topic", "create", "Empty"), "at least one entity or keyword"),
        (("topic", "create", "Ghost", "--entity", "Nobody Atall Xq"), "no entity named"),
        (("topic", "show", "999999"), "no topic 999999"),
        # "²" is a digit to str.isdigit() and no number to int(): a name, not an id.
        (("follow", "{user}", "story", "\u00b2"), "not an id"),
        (("follow", "{user}", "source", "\u00b2"), "no source '\u00b2'"),
        (("follow", "{user}", "entity", "\u00b2"), "no entity named '\u00b2'"),
        # More than a 64-bit key holds: no row, not an OverflowError from the database.
        (("follow", "{user}", "topic", "9" * 25), "no topic " + "9" * 25),
        (("follow", "{user}", "story", "9" * 25), "not an id"),
        (("follow", "{user}", "entity", "9" * 25), "no entity " + "9" * 25),
    ],
)
def test_unknown_targets_are_a_clear_error_with_exit_code_1(run, user, args, message) -> None:
    result = run(*(a.format(user=user) for a in args), "--json")
    assert result.exit_code == 1, result.output
    assert result.stdout == ""  # no half a JSON document
    assert result.stderr.startswith("Error: ") and message in result.stderr


def test_a_keyword_that_looks_like_a_digit_keeps_the_feed_working(run, user) -> None:
    """A keyword is any text, "²" too, which str.isdigit() calls a digit and int() refuses: the
    feed once raised on it at every load, for as long as the follow stayed."""
    assert run("follow", user, "keyword", "\u00b2").exit_code == 0
    feed = run("feed", user, "--json")
    assert feed.exit_code == 0, feed.output
    assert [f["target"] for f in _json(run("follows", user, "--json"))["follows"]] == ["\u00b2"]


def test_usage_errors_exit_2(run, user) -> None:
    for args in (("story", "9" * 25), ("article", "9" * 25), ("stories", "--offset", "9" * 25)):
        huge = run(*args)
        assert huge.exit_code == 2 and "is not in the range" in huge.stderr, huge.output
    assert run("follow", user, "person", "x").exit_code == 2  # KIND is a choice
    assert run("follow", user, "keyword", "x", "--weight", "0").exit_code == 2
    assert run("follow", user, "keyword", "x", "--weight", "11").exit_code == 2
    assert run("feed", user, "--limit", "0").exit_code == 2
    both = run("topic", "edit", "1", "--keyword", "x", "--no-keywords")
    assert both.exit_code == 2 and "contradict" in both.stderr


def test_an_ambiguous_entity_name_is_refused_with_the_ids(run, store, user) -> None:
    """A word several entities' names contain finds them all: the CLI lists them instead of
    guessing which one to follow."""
    names = [e.name for e in store.entities(limit=1000)]
    words: dict[str, set[str]] = {}
    for full in names:
        for word in full.split():
            if len(word) > 3:
                words.setdefault(word, set()).add(full)
    shared = [w for w, owners in words.items() if len(owners) > 1 and w not in names]
    found = [w for w in shared if len(store.find_entities(w)) > 1]
    # The demo corpus has two Brandts (Luka, a defender; Oskar, a minister) among others.
    assert found, "the demo corpus should name two entities sharing a word"
    result = run("follow", user, "entity", found[0])
    assert result.exit_code == 1
    assert "ambiguous" in result.stderr and "give the id" in result.stderr


def test_json_shapes_are_the_apis(run, store, user, demo_db) -> None:
    """`feed --json` items, follows, mutes and topics have the API's shapes (the same script
    reads both), down to the feed's order and reasons."""
    from fastapi.testclient import TestClient

    from broadsheet.config import Settings
    from broadsheet.store.users import MAX_FOLLOW_WEIGHT
    from broadsheet.web import create_app

    assert CLI_MAX_WEIGHT == MAX_FOLLOW_WEIGHT
    _story_id, _entity_id, name = _entity_of_latest_story(store)
    follow = _json(run("follow", user, "entity", name, "--json"))
    mute = _json(run("mute", user, "keyword", "weather", "--json"))
    topic = _json(run("topic", "create", "Shapes", "--entity", name, "--user", user, "--json"))
    token = _json(run("users", "token", user, "--json"))["token"]
    client = TestClient(create_app(Settings(db=str(demo_db)), store=store))
    headers = {"Authorization": f"Bearer {token}"}

    api_feed = client.get("/api/v1/me/feed", headers=headers).json()["items"]
    cli_feed = _feed(run, user)
    assert [(i["id"], i["reason"]) for i in cli_feed] == [(i["id"], i["reason"]) for i in api_feed]
    assert [i.keys() for i in cli_feed] == [i.keys() for i in api_feed]
    (api_follow,) = client.get("/api/v1/follows", headers=headers).json()
    assert api_follow == {k: v for k, v in follow.items() if k != "label"}
    (api_mute,) = client.get("/api/v1/mutes", headers=headers).json()
    assert api_mute == {k: v for k, v in mute.items() if k != "label"}
    api_topic = client.get(f"/api/v1/topics/{topic['id']}", headers=headers).json()
    assert api_topic == {k: v for k, v in topic.items() if k not in ("owner", "entities")}
    assert datetime.fromisoformat(api_topic["created_at"]).tzinfo == UTC
