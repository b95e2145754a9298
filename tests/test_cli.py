"""The CLI in-process (click runner) against a real store, plus one real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import LONG_PARAGRAPHS, article_html


def _good_inputs(inputs: Callable[..., Path]) -> Path:
    inputs(
        "wire.jsonl",
        json.dumps(
            {
                "title": "Wire headline",
                "text": "\n\n".join(LONG_PARAGRAPHS),
                "url": "https://meridianwire.example/a",
                "published_at": "2026-11-10T08:00:00Z",
                "source": "Meridian Wire",
            }
        )
        + "\n",
    )
    inputs("page.html", article_html("Ledger headline on the talks", LONG_PARAGRAPHS))
    return inputs("scraped.txt", "Lantern headline on the talks\nFirst paragraph.\n")


def test_ingest_json_report_and_exit_codes(run, inputs) -> None:
    _good_inputs(inputs)
    root = inputs("x.txt", "Another headline for the record\nBody.\n").parent
    result = run("ingest", root, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["totals"]["articles_new"] == 4
    assert report["totals"]["quarantined"] == 0
    assert {d["format"] for d in report["documents"]} == {"jsonl", "html", "text"}

    inputs("empty.txt", b"")
    result = run("ingest", root, "--json")
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["totals"]["unchanged"] == 4
    (bad,) = [d for d in report["documents"] if d["quarantined"]]
    assert bad["quarantined"][0]["code"] == "input_empty"
    # The warning went to stderr as a JSON log line; stdout stayed one JSON document.
    (line,) = [json.loads(x) for x in result.stderr.splitlines() if x.startswith("{")]
    assert (line["event"], line["code"], line["stage"]) == ("quarantined", "input_empty", "decode")


def test_ingest_flags_apply_to_text(run, inputs) -> None:
    path = inputs("s.txt", "A headline long enough\nBody line.\n")
    result = run(
        "ingest",
        path,
        "--source",
        "Daily Lantern",
        "--url",
        "https://dailylantern.example/x",
        "--published-at",
        "2026-11-12T09:30:00+01:00",
        "--language",
        "en",
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    assert result.output == ""
    article = json.loads(run("article", "1", "--json").stdout)
    assert article["source"] == "Daily Lantern"
    assert article["published_at"] == "2026-11-12T08:30:00+00:00"
    assert article["published_at_guessed"] is False
    assert article["language"] == "en"
    assert article["url"] == "https://dailylantern.example/x"


def test_bad_published_at_is_a_usage_error(run, inputs) -> None:
    path = inputs("s.txt", "Headline\nBody.\n")
    result = run("ingest", path, "--published-at", "next tuesday")
    assert result.exit_code == 2
    assert "cannot read 'next tuesday'" in result.output


def test_article_json_contract(run, inputs) -> None:
    _good_inputs(inputs)
    run("ingest", inputs("n.txt", "Headline for n\nx\n").parent, "--quiet")
    listing = json.loads(run("articles", "--json").stdout)
    assert {"id", "source", "title", "published_at", "duplicate_of", "story_id"} <= set(listing[0])
    article = json.loads(run("article", str(listing[0]["id"]), "--json", "--versions").stdout)
    for key in (
        "id",
        "source",
        "url",
        "title",
        "published_at",
        "language",
        "paragraphs",
        "duplicate_of",
        "story_id",
        "entities",
        "quotes",
        "figures",
        "dates",
        "versions",
    ):
        assert key in article
    assert article["versions"][0]["version"] == 1


def test_article_not_found_is_exit_1(run) -> None:
    result = run("article", "42")
    assert result.exit_code == 1
    assert "no article 42" in result.output


def test_a_merged_story_names_the_story_that_holds_its_articles(run, db_path) -> None:
    """Clustering may merge a story into another (#7); its old id says where its articles went."""
    from datetime import UTC, datetime

    from broadsheet.store import Store
    from broadsheet.store.schema import story_merges

    with Store.open(f"sqlite:///{db_path}") as store, store.engine.begin() as conn:
        conn.execute(
            story_merges.insert().values(
                story_id=41, into_id=7, merged_at=datetime(2026, 11, 20, tzinfo=UTC)
            )
        )
    result = run("story", "41")
    assert result.exit_code == 1
    assert "no story 41: it was merged into story 7" in result.output
    assert "merged" not in run("story", "42").output


def test_readable_outputs(run, inputs) -> None:
    _good_inputs(inputs)
    run("ingest", inputs("n.txt", "Headline for n\nx\n").parent, "--quiet")
    assert "Ledger headline" in run("articles").output
    listing = json.loads(run("articles", "--json").stdout)
    wire_id = next(a["id"] for a in listing if a["source"] == "Meridian Wire")
    shown = run("article", str(wire_id)).output
    assert "Wire headline" in shown and "Brussels" in shown
    assert "Meridian Wire" in run("sources").output
    assert "nothing quarantined" in run("quarantine").output
    hits = json.loads(run("search", "commissioner", "--json").stdout)
    assert {h["title"] for h in hits} == {"Wire headline", "Ledger headline on the talks"}
    assert "[commissioner]" in hits[0]["snippet"]


def test_quarantine_and_reprocess_commands(run, inputs) -> None:
    root = inputs("bad.html", b"\x89PNG\r\n\x1a\nxxxx").parent
    assert run("ingest", root, "--quiet").exit_code == 3
    records = json.loads(run("quarantine", "--json").stdout)
    assert records[0]["code"] == "input_binary" and records[0]["stage"] == "decode"
    result = run("reprocess", "--quarantined", "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["totals"]["documents"] == 1


def test_config_json_lists_every_setting(run, monkeypatch) -> None:
    monkeypatch.setenv("BROADSHEET_MAX_INPUT_BYTES", "5_000")
    data = json.loads(run("config", "--json").stdout)
    assert data["max_input_bytes"] == 5000
    assert data["db_url"].startswith("sqlite:///")


def test_bad_setting_is_a_clear_error(run, monkeypatch) -> None:
    monkeypatch.setenv("BROADSHEET_INGEST_BATCH_SIZE", "zero")
    result = run("config")
    assert result.exit_code == 1
    assert "BROADSHEET_INGEST_BATCH_SIZE" in result.output


def test_demo_json_in_fresh_store(run, tmp_path) -> None:
    result = run("demo", "--db", tmp_path / "demo.db", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"]["quarantined"] == 0
    assert data["counts"]["articles"] >= 40
    assert len(data["sources"]) >= 6


def test_real_process_json_stdout_is_pure(tmp_path, inputs) -> None:
    """As a user runs it: a subprocess whose stdout must be exactly one JSON document."""
    path = _good_inputs(inputs)
    env = {**os.environ, "BROADSHEET_DB": str(tmp_path / "p.db")}
    done = subprocess.run(
        [sys.executable, "-m", "broadsheet", "ingest", str(path.parent), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["totals"]["articles_new"] == 3
    listed = subprocess.run(
        [sys.executable, "-m", "broadsheet", "articles", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    assert len(json.loads(listed.stdout)) == 3


def test_url_with_a_directory_is_a_usage_error(run, inputs) -> None:
    root = inputs("a.txt", "Headline one two three\nBody.\n").parent
    result = run("ingest", root, "--url", "https://x.example/a")
    assert result.exit_code == 2
    assert "--url names one article" in result.output


def test_quarantine_resolve(run, inputs) -> None:
    root = inputs("bad.txt", b"").parent
    run("ingest", root, "--quiet")
    (record,) = json.loads(run("quarantine", "--json").stdout)
    assert run("quarantine", "--resolve", "999").exit_code == 1
    result = run("quarantine", "--resolve", str(record["id"]), "--json")
    assert json.loads(result.stdout) == []
    listed = run("quarantine", "--all").output
    assert "resolved" in listed and "input_empty" in listed


def test_config_hides_database_password(run) -> None:
    data = json.loads(
        run("--db", "postgresql://broadsheet:s3cret@db.internal/news", "config", "--json").stdout
    )
    assert "s3cret" not in json.dumps(data)
    assert data["db_url"] == "postgresql://broadsheet:***@db.internal/news"


def test_missing_database_driver_is_a_clear_error(run) -> None:
    result = run("--db", "postgresql+nosuchdriver://u:pw@127.0.0.1/x", "articles")
    assert result.exit_code == 1
    assert "cannot open database" in result.output
    assert "pw" not in result.output
