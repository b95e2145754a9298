"""A demo-corpus store with two users, shared by the web, integration and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

from broadsheet import ingest_files
from broadsheet.cli import demo_corpus
from broadsheet.config import Settings
from broadsheet.store import Store
from broadsheet.store.users import Accounts

USERS = {"alice": "alice-password-1", "bob": "bob-password-22"}


def build_demo_db(path: Path) -> Settings:
    """Ingest the bundled demo corpus into a new SQLite file at ``path`` and add ``USERS``."""
    settings = Settings(db=str(path))
    store = Store.open(settings.db_url)
    try:
        with demo_corpus() as corpus:
            report = ingest_files(store, [corpus], settings=settings)
        assert not report.has_quarantined
        accounts = Accounts(store)
        for name, password in USERS.items():
            accounts.add_user(name, password, now=datetime.now(UTC))
    finally:
        store.close()
    return settings


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve_process(
    db: Path, *args: str, env: dict[str, str] | None = None, timeout_s: float = 60.0
) -> Iterator[str]:
    """Run ``broadsheet --db DB serve`` as a real process on a free loopback port; yields its
    base URL once ``/healthz`` answers, and stops the process afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "broadsheet", "--db", str(db), "serve", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                _out, err = proc.communicate()
                raise AssertionError(f"broadsheet serve exited with {proc.returncode}: {err}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("broadsheet serve did not start in time")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
