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
