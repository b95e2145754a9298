"""Two real processes ingesting the same inputs into one new SQLite file at the same time."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def test_two_processes_never_duplicate(tmp_path: Path) -> None:
    root = tmp_path / "in"
    root.mkdir()
    for i in range(60):
        (root / f"s{i:03}.txt").write_text(f"Headline number {i} of the run\nBody of story {i}.\n")
    lines = [
        json.dumps(
            {"title": f"Wire {i}", "text": f"Wire body {i}.", "url": f"https://w.example/{i}"}
        )
        for i in range(200)
    ]
    (root / "wire.jsonl").write_text("\n".join(lines) + "\n")
    db = tmp_path / "shared.db"
    env = {**os.environ, "BROADSHEET_DB": str(db), "BROADSHEET_INGEST_BATCH_SIZE": "5"}
    command = [sys.executable, "-m", "broadsheet", "ingest", str(root), "--json"]
    procs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert json.loads(out)["totals"]["quarantined"] == 0
    new_docs = sum(json.loads(out)["totals"]["new"] for out, _ in outputs)
    assert new_docs == 61  # every file stored by exactly one of the two
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM raw_documents").fetchone()[0] == 61
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 260
    assert conn.execute("SELECT count(DISTINCT identity) FROM articles").fetchone()[0] == 260
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


EVENTS = [
    ("Harwick", "fire", "Colbrook paper mill", "Anna Brecht", "crews fought the blaze"),
    ("Tolvern", "flood", "Marrow river", "Piet Ruys", "residents left their homes"),
    ("Ostreva", "strike", "Ostreva tram depot", "Lena Vask", "drivers walked out over pay"),
    ("Brannock", "election", "Brannock town council", "Omar Keddie", "voters chose a new mayor"),
    ("Quillan", "launch", "Quillan space centre", "Ines Marlo", "the rocket lifted off"),
    ("Marrowby", "merger", "Marrowby Foods", "Tomas Greel", "shareholders backed the deal"),
]


def _write_up(outlet: int, place: str, kind: str, site: str, person: str, what: str) -> str:
    first, second = (
        (f"The {kind} at the {site} in {place}", f"{person} said")
        if outlet == 0
        else (f"{person} said the {kind} at {place}'s {site}", "Officials in " + place + " said")
    )
    return (
        f"{first} dominated the day on Tuesday as {what}.\n\n"
        f"{second} the {kind} was the biggest the {site} had seen, and that {what} by noon.\n\n"
        f"In {place}, people watched as {what}; {person} promised an update on the {kind}."
    )


def test_two_processes_clustering_at_once_open_one_story_per_event(tmp_path: Path) -> None:
    """Outlet A and outlet B cover the same six events; each process ingests one outlet's
    write-ups, one article per batch, at the same time. Clustering is serialised by the batch's
    write transaction, so each event ends as one story holding both outlets' articles."""
    dirs = []
    for outlet in (0, 1):
        folder = tmp_path / f"outlet{outlet}"
        folder.mkdir()
        rows = [
            {
                "title": f"{place} {kind}: {what}",
                "text": _write_up(outlet, place, kind, site, person, what),
                "url": f"https://outlet{outlet}.example/{place.lower()}-{kind}",
                "source": f"Outlet {outlet}",
                "published_at": "2026-11-17T09:00:00+00:00",
            }
            for place, kind, site, person, what in EVENTS
        ]
        (folder / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        dirs.append(folder)
    db = tmp_path / "stories.db"
    env = {**os.environ, "BROADSHEET_DB": str(db), "BROADSHEET_INGEST_BATCH_SIZE": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "broadsheet", "ingest", str(folder), "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for folder in dirs
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    conn = sqlite3.connect(db)
    found = conn.execute(
        "SELECT s.id, count(a.id), count(DISTINCT a.source_id) FROM stories s "
        "JOIN articles a ON a.story_id = s.id GROUP BY s.id"
    ).fetchall()
    conn.close()
    assert len(found) == len(EVENTS), found
    # Each story: two articles, from two outlets.
    assert sorted((int(row[1]), int(row[2])) for row in found) == [(2, 2)] * len(EVENTS), found


def _open_store(path: str) -> None:
    from broadsheet.store import Store

    Store.open(f"sqlite:///{path}").close()


def test_two_processes_opening_a_new_store_at_once_both_succeed(tmp_path: Path) -> None:
    """Two processes opening one new SQLite file race to switch it to WAL and to migrate it;
    neither may fail (before: "database is locked" or "table ... already exists", up to 7
    times in 40 on a busy machine)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    for round_ in range(8):
        path = str(tmp_path / f"new{round_}.db")
        procs = [context.Process(target=_open_store, args=(path,)) for _ in range(2)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=120)
        assert [proc.exitcode for proc in procs] == [0, 0], f"round {round_}"
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()
