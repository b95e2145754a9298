"""Bad input never crashes a batch: each kind below is quarantined with a specific reason, its raw
bytes are kept, and the good files ingested in the same batch all land."""

from __future__ import annotations

import codecs
import gzip
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from broadsheet import ingest_files
from broadsheet.config import Settings
from broadsheet.model import IngestReport, Quarantine
from broadsheet.store import Store
from tests.conftest import LONG_PARAGRAPHS, article_html

CAP = 200_000

GOOD_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Northgate Courier</title><link>https://northgatecourier.example/</link>
<item><title>Good entry one</title><link>https://northgatecourier.example/one</link>
<pubDate>Thu, 12 Nov 2026 10:00:00 GMT</pubDate><description>&lt;p&gt;Entry one body.&lt;/p&gt;</description></item>
<item><title>Good entry two</title><link>https://northgatecourier.example/two</link>
<pubDate>Thu, 12 Nov 2026 11:00:00 GMT</pubDate><description>&lt;p&gt;Entry two body.&lt;/p&gt;</description></item>
"""

GOOD_JSON = {
    "title": "Wire story",
    "text": "Wire paragraph one.\n\nWire paragraph two.",
    "url": "https://meridianwire.example/w1",
    "published_at": "2026-11-10T08:00:00Z",
    "source": "Meridian Wire",
}


@dataclass(frozen=True)
class Case:
    name: str  # file name under the input dir
    content: bytes
    code: str
    reason: str  # substring of the quarantine message
    locator: str | None = None
    sidecar: bytes | None = None


def _jsonl(name: str, *records: object) -> bytes:
    """A JSONL file whose first line is good and whose next lines are ``records``."""
    lines = [json.dumps(GOOD_JSON | {"url": f"https://meridianwire.example/ok-{name}"})]
    lines += [r if isinstance(r, str) else json.dumps(r) for r in records]
    return ("\n".join(lines) + "\n").encode()


CASES = [
    Case("empty.txt", b"", "input_empty", "0 bytes"),
    Case("blank.txt", b"  \n\n\t \r\n", "input_empty", "whitespace only"),
    Case("junk.txt", bytes(range(1, 32)) * 40 + b"\xff\xfe\x80", "input_binary", "control bytes"),
    Case("nul.txt", b"Headline\x00body\x00more\x00", "input_binary", "NUL bytes"),
    Case("photo.html", b"\x89PNG\r\n\x1a\n" + os.urandom(64), "input_binary", "PNG image"),
    Case("feed.xml", gzip.compress(GOOD_RSS.encode()), "input_binary", "gzip"),
    Case("archive.jsonl", b"PK\x03\x04" + os.urandom(64), "input_binary", "ZIP archive"),
    Case(
        "huge.txt",
        b"Headline\n" + b"A long line of text.\n" * (CAP // 10),
        "input_too_large",
        "only the first 200,000 bytes were kept",
    ),
    Case(
        "nav-only.html",
        b"<html><body><nav><a href='/'>Home</a> <a href='/x'>World</a></nav></body></html>",
        "parse_no_article",
        "no article text",
    ),
    Case(
        "bomb.rss",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaaaaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><rss version="2.0"><channel><title>&c;</title></channel></rss>',
        "input_hostile",
        "entity-expansion",
    ),
    Case(
        "broken.rss",
        b"<rss version='2.0'><channel><title>x<<</title></channel></rss",
        "parse_failed",
        "malformed feed XML",
    ),
    Case(
        "drawing.xml",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>',
        "input_unsupported_format",
        "<svg>",
    ),
    Case("path.xml", b"/etc/passwd", "parse_failed", "not well-formed"),
    Case(
        "cut.rss",
        (GOOD_RSS + "<item><title>Half an en").encode(),
        "parse_failed",
        "truncated",
        "entry 3",
    ),
    Case(
        "bad-json.jsonl",
        _jsonl("bad-json", '{"title": "x", "text": '),
        "parse_failed",
        "line truncated",
        "line 2",
    ),
    Case(
        "not-object.jsonl",
        _jsonl("not-object", [1, 2, 3]),
        "input_invalid_field",
        "expected a JSON object, got list",
        "line 2",
    ),
    Case(
        "no-body.jsonl",
        _jsonl("no-body", {"title": "Only a title"}),
        "input_invalid_field",
        "neither a non-empty 'text' nor 'html'",
        "line 2",
    ),
    Case(
        "bad-date.jsonl",
        _jsonl("bad-date", GOOD_JSON | {"url": None, "published_at": "last Tuesday-ish"}),
        "input_invalid_field",
        "cannot read 'last Tuesday-ish'",
        "line 2",
    ),
    Case(
        "bad-type.jsonl",
        _jsonl("bad-type", {"title": 123, "text": "Body."}),
        "input_invalid_field",
        "title: expected a string, got int",
        "line 2",
    ),
    Case(
        "js-url.jsonl",
        _jsonl("js-url", GOOD_JSON | {"url": "javascript:alert(document.cookie)"}),
        "input_invalid_field",
        "scheme 'javascript' is not allowed",
        "line 2",
    ),
    Case(
        "deep.jsonl", _jsonl("deep", "[" * 100_000), "input_hostile", "nested too deeply", "line 2"
    ),
    Case(
        "broken.opml",
        b"<opml version='2.0'><body><outline xmlUrl='https://a.example/f'></body>",
        "parse_failed",
        "malformed OPML",
    ),
    Case(
        "hostile.opml",
        b"<opml version='2.0'><body><outline text='ok' xmlUrl='https://ok.example/feed'/><outline text='x' xmlUrl='file:///etc/passwd'/></body></opml>",
        "input_invalid_field",
        "scheme 'file' is not allowed",
        "outline 2",
    ),
    Case(
        "cut-utf16.txt",
        "Headline\nSome body text here.".encode("utf-16-le")[:-1],
        "parse_encoding",
        "odd number of bytes",
    ),
    Case(
        "lying-bom.txt",
        codecs.BOM_UTF8 + b"Headline\ncaf\xe9 \xff\xfe",
        "parse_encoding",
        "byte-order mark",
    ),
    Case(
        "bad-sidecar.txt",
        b"Headline here for the story\nBody line.\n",
        "input_invalid_field",
        "not valid UTF-8 JSON",
        sidecar=b"{oops",
    ),
    Case(
        "file-url.txt",
        b"Another headline for a story\nBody line.\n",
        "input_invalid_field",
        "scheme 'file' is not allowed",
        sidecar=json.dumps({"url": "file:///etc/shadow", "source": "Daily Lantern"}).encode(),
    ),
]


@dataclass
class Batch:
    root: Path
    report: IngestReport
    records: list[Quarantine]
    store: Store


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("bad") / "in"
    root.mkdir()
    # Good inputs, interleaved by name with the bad ones.
    (root / "good-a.txt").write_text("Good headline for text\nA paragraph of text.\n")
    (root / "good-b.html").write_text(article_html("A good page headline", LONG_PARAGRAPHS))
    (root / "good-c.rss").write_text(GOOD_RSS + "</channel></rss>")
    (root / "good-d.jsonl").write_text(json.dumps(GOOD_JSON) + "\n")
    for case in CASES:
        (root / case.name).write_bytes(case.content)
        if case.sidecar is not None:
            (root / (case.name.rsplit(".", 1)[0] + ".meta.json")).write_bytes(case.sidecar)
    (root / "dangling.txt").symlink_to(root / "no-such-target.txt")
    settings = Settings(db=str(root.parent / "store.db"), max_input_bytes=CAP, ingest_batch_size=7)
    store = Store.open(settings.db_url)
    report = ingest_files(store, [root], settings=settings)
    yield Batch(root, report, store.quarantine(), store)
    store.close()


def _records_for(batch: Batch, name: str) -> list[Quarantine]:
    return [r for r in batch.records if r.origin == str(batch.root / name)]


def test_there_are_at_least_twenty_kinds() -> None:
    assert len({c.code + c.reason for c in CASES}) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_quarantined_with_reason_and_raw_kept(batch: Batch, case: Case) -> None:
    (record,) = _records_for(batch, case.name)
    assert record.code == case.code
    assert case.reason in record.message
    assert record.locator == case.locator
    assert record.raw_id is not None
    kept = batch.store.load_raw(record.raw_id)
    if case.code == "input_too_large":
        assert kept.truncated and len(kept.data) == CAP and kept.size_bytes == len(case.content)
        assert case.content.startswith(kept.data)
    else:
        assert kept.data == case.content


def test_unreadable_file_is_quarantined_without_raw(batch: Batch) -> None:
    (record,) = _records_for(batch, "dangling.txt")
    assert record.code == "input_unreadable"
    assert record.raw_id is None
    assert "No such file" in record.message


def test_good_inputs_in_the_same_batch_all_landed(batch: Batch) -> None:
    titles = {a.title for a in batch.store.articles(limit=1000)}
    assert {
        "Good headline for text",
        "A good page headline",
        "Good entry one",
        "Good entry two",
        "Wire story",
    } <= titles
    # The good items inside partly bad files landed too: the first line of every bad JSONL file
    # and the whole entries of the truncated feed.
    jsonl_cases = [c for c in CASES if (c.locator or "").startswith("line")]
    assert sum(1 for a in batch.store.articles(limit=1000) if a.title == "Wire story") == 1 + len(
        jsonl_cases
    )
    subscriptions = [f.xml_url for f in batch.store.feeds()]
    assert subscriptions == ["https://ok.example/feed"]


def test_report_counts_every_problem(batch: Batch) -> None:
    assert batch.report.has_quarantined
    assert batch.report.count("quarantined") == len(CASES) + 1
    assert len(batch.records) == len(CASES) + 1


def test_store_is_intact_after_the_bad_batch(batch: Batch) -> None:
    db = batch.root.parent / "store.db"
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
