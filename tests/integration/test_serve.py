"""`broadsheet serve` as a real process on loopback: pages, API with a CLI-made token, Atom."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.loopback import server  # noqa: F401 - fixture
from tests.web.fixtures import USERS, build_demo_db, serve_process

pytestmark = pytest.mark.slow


def test_serve_answers_pages_api_and_atom(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    build_demo_db(db)
    made = subprocess.run(
        [sys.executable, "-m", "broadsheet", "--db", str(db), "users", "token", "alice", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    token = json.loads(made.stdout)["token"]
    with serve_process(db) as base, httpx.Client(base_url=base, timeout=10) as http:
        assert http.get("/").status_code == 303  # private by default
        assert http.get("/api/v1/stories").status_code == 401
        auth = {"Authorization": f"Bearer {token}"}
        stories = http.get("/api/v1/stories", headers=auth).json()["items"]
        assert stories
        story = http.get(f"/api/v1/stories/{stories[0]['id']}", headers=auth).json()
        assert story["title"] == stories[0]["title"]
        login = http.get("/login")
        csrf = login.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = http.post(
            "/login", data={"name": "alice", "password": USERS["alice"], "csrf_token": csrf}
        )
        assert response.status_code == 303
        front = http.get("/")
        assert front.status_code == 200 and f'href="/stories/{stories[0]["id"]}"' in front.text
        assert "default-src 'self'" in front.headers["content-security-policy"]
        atom = http.get("/feeds/stories.atom")
        assert atom.headers["content-type"].startswith("application/atom+xml")


def test_serve_public_read_flag(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    with serve_process(db, "--public-read") as base:
        response = httpx.get(f"{base}/", timeout=10)
        assert response.status_code == 200 and "No stories yet" in response.text


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Loopback Ledger</title>
<id>urn:x:loopback</id><updated>2026-11-20T10:00:00Z</updated>
<entry><title>Harbour cranes idle as dockers walk out</title><id>urn:x:cranes</id>
<updated>2026-11-20T10:00:00Z</updated><link href="https://ledger.example/cranes"/>
<content type="html">&lt;p&gt;Cranes at the harbour stood idle on Friday after dockers walked
out over pay, leaving ships waiting at anchor outside the port.&lt;/p&gt;&lt;p&gt;The union said
the strike would last until the port authority made a better offer, and that talks were
planned for Monday morning at the town hall.&lt;/p&gt;</content></entry></feed>"""


def test_serve_polls_feeds_in_the_background(tmp_path: Path, server) -> None:  # noqa: F811
    server.serve("/feed.xml", ATOM, content_type="application/atom+xml")
    db = tmp_path / "fetch.db"
    env = {"BROADSHEET_FETCH_ALLOW_HOSTS": "127.0.0.1"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "broadsheet",
            "--db",
            str(db),
            "feeds",
            "add",
            server.url("/feed.xml"),
        ],
        env={**os.environ, **env},
        capture_output=True,
        check=True,
    )
    with serve_process(db, "--public-read", env=env) as base:
        deadline = time.monotonic() + 60
        titles: list[str] = []
        while time.monotonic() < deadline and not titles:
            items = httpx.get(f"{base}/api/v1/articles", timeout=10).json()["items"]
            titles = [a["title"] for a in items]
            time.sleep(0.3)
        assert titles == ["Harbour cranes idle as dockers walk out"]
        assert server.paths().count("/feed.xml") >= 2  # once to subscribe, then polled
