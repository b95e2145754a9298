"""`broadsheet feeds ...` and `broadsheet fetch` end to end, against a loopback server."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.etree
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadsheet.model import Feed, FeedId, FeedStatus, IngestOptions, InputFormat
from broadsheet.pipeline.extract import extract
from broadsheet.pipeline.feeds import opml_document
from tests.loopback import server
from tests.test_polling import NOW, rss2

__all__ = ["server"]


@pytest.fixture(autouse=True)
def fetch_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROADSHEET_FETCH_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("BROADSHEET_FETCH_HOST_DELAY_S", "0")
    monkeypatch.setenv("BROADSHEET_FETCH_RETRIES", "0")


def test_add_list_fetch_remove(run, server) -> None:
    server.serve("/feed", rss2(server.url("")), etag='"1"', content_type="application/rss+xml")
    added = run("feeds", "add", server.url("/feed"), "--category", "World", "--json")
    assert added.exit_code == 0, added.output
    feed = json.loads(added.output)
    assert feed["created"] and feed["title"] == "Harbour Ledger" and feed["status"] == "new"
    fetched = run("fetch", "--once", "--json")
    assert fetched.exit_code == 0, fetched.output
    data = json.loads(fetched.output)
    assert data["totals"]["articles_new"] == 2 and data["feeds"][0]["outcome"] == "new"
    # Not due again for an hour: a second --once polls nothing; --feed polls it anyway (304).
    assert json.loads(run("fetch", "--once", "--json").output)["totals"]["feeds"] == 0
    again = json.loads(run("fetch", "--feed", str(feed["id"]), "--json").output)
    assert again["feeds"][0]["outcome"] == "not_modified"
    listed = json.loads(run("feeds", "list", "--json").output)
    assert listed[0]["status"] == "ok" and listed[0]["last_success_at"]
    assert "Harbour Ledger" in run("feeds", "list").output
    removed = run("feeds", "remove", str(feed["id"]))
    assert removed.exit_code == 0 and "Removed feed" in removed.output
    assert json.loads(run("feeds", "list", "--json").output) == []
    missing = run("feeds", "remove", "99")
    assert missing.exit_code == 1 and "no feed with id 99" in missing.output


def test_fetch_reports_a_failing_feed_with_exit_3(run, server) -> None:
    server.serve("/feed", rss2(server.url("")))
    assert run("feeds", "add", server.url("/feed")).exit_code == 0
    server.serve("/feed", status=410)
    result = run("fetch", "--once")
    assert result.exit_code == 3
    assert "1 gone" in result.output and "410 Gone" in result.output
    listed = run("feeds", "list")
    assert "gone" in listed.output and "never" in listed.output


def test_fetch_moves_a_permanently_redirected_feed(run, server) -> None:
    server.serve("/feed", rss2(server.url("")), content_type="application/rss+xml")
    added = json.loads(run("feeds", "add", server.url("/feed"), "--json").output)
    server.serve("/moved", rss2(server.url("")), content_type="application/rss+xml")
    server.redirect("/feed", "/moved", status=308)
    result = run("fetch", "--once")
    assert result.exit_code == 0, result.output
    note = f"moved permanently from {server.url('/feed')} to {server.url('/moved')}"
    assert f"feed {added['id']}: {note}" in result.output
    (listed,) = json.loads(run("feeds", "list", "--json").output)
    assert listed["id"] == added["id"] and listed["xml_url"] == server.url("/moved")
    assert listed["status"] == "ok" and listed["last_error_code"] == "feed_moved"


def test_fetch_fails_a_feed_whose_body_is_quarantined(run, server) -> None:
    server.serve("/feed", rss2(server.url("")), content_type="application/rss+xml")
    assert run("feeds", "add", server.url("/feed")).exit_code == 0
    server.serve("/feed", "<rss><channel><title>x</title><item><title>")
    result = run("fetch", "--once", "--json")
    assert result.exit_code == 3, result.output
    (polled,) = json.loads(result.stdout)["feeds"]
    assert polled["outcome"] == "failed" and polled["error_code"] == "parse_failed"
    (listed,) = json.loads(run("feeds", "list", "--json").output)
    assert listed["status"] == "failing" and listed["error_count"] == 1
    assert "body was quarantined" in listed["last_error"]


def test_fetch_without_once_loops_until_interrupted(run, server, monkeypatch) -> None:
    server.serve("/feed", rss2(server.url("")), etag='"1"')
    assert run("feeds", "add", server.url("/feed")).exit_code == 0
    waits: list[float] = []

    def interrupt_on_second_sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("broadsheet.cli.time.sleep", interrupt_on_second_sleep)
    monkeypatch.setenv("BROADSHEET_FETCH_MIN_INTERVAL_S", "1")  # due again after 4 s
    result = run("fetch", "--json")
    assert result.exit_code == 0, result.output
    rounds = [
        json.loads(line) for line in result.output.splitlines() if line.startswith('{"feeds"')
    ]
    assert [r["totals"]["feeds"] for r in rounds] == [1, 0]
    assert 1.0 <= waits[0] <= 4.0


def test_add_refuses_a_page_without_feed(run, server) -> None:
    server.serve(
        "/", "<html><head><title>x</title></head><body>hi</body></html>", content_type="text/html"
    )
    result = run("feeds", "add", server.url("/"))
    assert result.exit_code == 1 and "announces no feed" in result.output


def test_add_refuses_loopback_without_allowlist(run, server, monkeypatch) -> None:
    monkeypatch.delenv("BROADSHEET_FETCH_ALLOW_HOSTS")
    server.serve("/feed", rss2(server.url("")))
    result = run("feeds", "add", server.url("/feed"))
    assert result.exit_code == 1 and "loopback address: refused" in result.output
    assert server.paths() == []


def test_opml_export_import_round_trip(run, tmp_path: Path) -> None:
    opml = tmp_path / "in.opml"
    opml.write_text(
        """<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
<outline text="News"><outline text="Europe">
  <outline type="rss" text="Harbour Ledger" xmlUrl="https://harbour.example/feed.xml"
           htmlUrl="https://harbour.example/" category="/Ports,/Trade"/></outline>
  <outline type="rss" text="Wire" xmlUrl="https://wire.example/rss"/></outline>
<outline type="rss" text="Loose" title="Loose feed" xmlUrl="https://loose.example/atom"/>
</body></opml>""",
        encoding="utf-8",
    )
    imported = run("feeds", "import", str(opml), "--json")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.output)["feeds_new"] == 3
    before = json.loads(run("feeds", "list", "--json").output)
    out = tmp_path / "out.opml"
    assert run("feeds", "export", "-o", str(out)).exit_code == 0
    assert lxml.etree.fromstring(out.read_bytes()).get("version") == "2.0"
    assert run("--db", str(tmp_path / "other.db"), "feeds", "import", str(out)).exit_code == 0
    after = json.loads(run("--db", str(tmp_path / "other.db"), "feeds", "list", "--json").output)
    keys = ("xml_url", "title", "html_url", "categories")
    assert [{k: f[k] for k in keys} for f in after] == [{k: f[k] for k in keys} for f in before]
    assert before[0]["categories"] == ["News", "Europe", "Ports", "Trade"]
    printed = run("feeds", "export")
    assert printed.output.startswith('<?xml version="1.0" encoding="UTF-8"?>')


_category = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda c: c.strip() != "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.text(
                st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20
            ).filter(lambda t: t.strip() == t and t != ""),
            st.lists(_category, max_size=4, unique=True),
        ),
        max_size=5,
    )
)
def test_opml_round_trip_property(feeds: list[tuple[str, list[str]]]) -> None:
    records = [
        Feed(
            id=FeedId(i + 1),
            xml_url=f"https://feeds{i}.example/rss",
            title=title,
            html_url=None,
            categories=tuple(categories),
            created_at=NOW,
            status=FeedStatus.NEW,
        )
        for i, (title, categories) in enumerate(feeds)
    ]
    text = opml_document(records, title="t", created_at=NOW)
    if not records:
        return
    found = extract(text, InputFormat.OPML, options=IngestOptions(), now=NOW).subscriptions
    assert [(s.xml_url, s.title, s.categories) for s in found] == [
        (f.xml_url, f.title, f.categories) for f in records
    ]
