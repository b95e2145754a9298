from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from broadsheet.config import Settings
from broadsheet.store import Store
from broadsheet.web import create_app
from tests.web.fixtures import USERS, build_demo_db

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_demo_db(tmp_path_factory.mktemp("web") / "demo.db")


@pytest.fixture(scope="session")
def demo_store(demo_settings: Settings) -> Iterator[Store]:
    store = Store.open(demo_settings.db_url)
    yield store
    store.close()


def make_client(settings: Settings, store: Store) -> TestClient:
    return TestClient(create_app(settings, store=store), follow_redirects=False)


@pytest.fixture
def client(demo_settings: Settings, demo_store: Store) -> TestClient:
    """An anonymous browser on a private instance (public_read off)."""
    return make_client(demo_settings, demo_store)


@pytest.fixture
def public_client(demo_settings: Settings, demo_store: Store) -> TestClient:
    return make_client(demo_settings.replace(public_read=True), demo_store)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "page has no CSRF field"
    return found.group(1)


def log_in(client: TestClient, name: str = "alice") -> TestClient:
    """Log in through the real form, as a browser would."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"name": name, "password": USERS[name], "csrf_token": csrf_of(page.text), "next": "/"},
    )
    assert response.status_code == 303, response.text
    assert "bs_session" in client.cookies
    return client


@pytest.fixture
def alice(client: TestClient) -> TestClient:
    return log_in(client, "alice")
