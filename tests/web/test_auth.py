"""Accounts: login, sessions, CSRF, rate limiting, tokens and per-user isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from broadsheet.errors import Conflict, InputError, NotFound
from broadsheet.store.schema import api_tokens, sessions, users
from broadsheet.store.users import Accounts, hash_secret
from tests.web.conftest import csrf_of, log_in, make_client
from tests.web.fixtures import USERS


def test_passwords_and_secrets_are_stored_hashed(demo_store, alice) -> None:
    with demo_store.engine.connect() as conn:
        rows = conn.execute(users.select()).all()
        stored = conn.execute(sessions.select()).all()
    for row in rows:
        assert row.password_hash.startswith("$argon2id$")
        assert USERS[row.name] not in row.password_hash
    cookie = alice.cookies["bs_session"]
    assert hash_secret(cookie) in {s.token_hash for s in stored}
    assert cookie not in {s.token_hash for s in stored}


def test_session_cookie_flags(client) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"name": "alice", "password": USERS["alice"], "csrf_token": csrf_of(page.text)},
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    https = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    page = https.get("/login")
    response = https.post(
        "/login",
        data={"name": "alice", "password": USERS["alice"], "csrf_token": csrf_of(page.text)},
    )
    assert "secure" in response.headers["set-cookie"].lower()
    assert response.headers["strict-transport-security"]


def test_login_rejects_a_wrong_password_and_redirects_only_locally(client) -> None:
    page = client.get("/login")
    token = csrf_of(page.text)
    wrong = client.post("/login", data={"name": "alice", "password": "nope", "csrf_token": token})
    assert wrong.status_code == 400 and "Wrong user name or password." in wrong.text
    assert "bs_session" not in client.cookies
    for target, expected in (
        ("/search?q=x", "/search?q=x"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
    ):
        response = client.post(
            "/login",
            data={"name": "alice", "password": USERS["alice"], "csrf_token": token, "next": target},
        )
        assert response.headers["location"] == expected


def test_every_form_needs_the_csrf_token(alice) -> None:
    token = csrf_of(alice.get("/settings").text)
    for url, data in (
        ("/settings/tokens", {"name": "x"}),
        ("/settings/feeds", {"url": "http://127.0.0.1:9/feed"}),
        ("/settings/feeds/1/remove", {}),
        ("/settings/tokens/1/revoke", {}),
        ("/logout", {}),
        ("/login", {"name": "alice", "password": USERS["alice"]}),
    ):
        missing = alice.post(url, data=data)
        assert missing.status_code == 403, url
        wrong = alice.post(url, data={**data, "csrf_token": "x" * 43})
        assert wrong.status_code == 403, url
    cross = alice.post(
        "/settings/tokens",
        data={"name": "x", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert alice.get("/settings").status_code == 200  # still logged in: nothing happened


def test_login_is_rate_limited(demo_settings, demo_store) -> None:
    browser = make_client(demo_settings, demo_store)
    token = csrf_of(browser.get("/login").text)
    statuses = [
        browser.post(
            "/login", data={"name": "bob", "password": "guess", "csrf_token": token}
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [400] * 5 + [429]
    # Even the right password is refused while the limit holds.
    right = browser.post(
        "/login", data={"name": "bob", "password": USERS["bob"], "csrf_token": token}
    )
    assert right.status_code == 429 and int(right.headers["retry-after"]) > 0


def test_logout_ends_the_session_on_the_server(client) -> None:
    log_in(client)
    old = client.cookies["bs_session"]
    token = csrf_of(client.get("/").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    stale = make_client(client.app.state.settings, client.app.state.store)
    stale.cookies.set("bs_session", old)
    assert stale.get("/").status_code == 303


def test_users_never_see_each_others_tokens(demo_settings, demo_store) -> None:
    alice = log_in(make_client(demo_settings, demo_store), "alice")
    bob = log_in(make_client(demo_settings, demo_store), "bob")
    token = csrf_of(alice.get("/settings").text)
    created = alice.post("/settings/tokens", data={"name": "alice-only-token", "csrf_token": token})
    assert "alice-only-token" in created.text
    assert "alice-only-token" not in bob.get("/settings").text
    accounts = Accounts(demo_store)
    alice_user = accounts.user("alice")
    token_id = next(t.id for t in accounts.tokens(alice_user.id) if t.name == "alice-only-token")
    bob_token = csrf_of(bob.get("/settings").text)
    response = bob.post(f"/settings/tokens/{token_id}/revoke", data={"csrf_token": bob_token})
    assert response.status_code == 404
    assert token_id in {t.id for t in accounts.tokens(alice_user.id)}
    response = alice.post(f"/settings/tokens/{token_id}/revoke", data={"csrf_token": token})
    assert response.status_code == 303
    assert token_id not in {t.id for t in accounts.tokens(alice_user.id)}


def test_revoked_token_stops_working(alice, demo_store) -> None:
    accounts = Accounts(demo_store)
    user = accounts.user("alice")
    record, secret = accounts.create_token(user.id, "short-lived", now=datetime.now(UTC))
    auth = {"Authorization": f"Bearer {secret}"}
    assert alice.get("/api/v1/me", headers=auth).status_code == 200
    with demo_store.engine.connect() as conn:
        row = conn.execute(api_tokens.select().where(api_tokens.c.id == record.id)).one()
    assert row.token_hash == hash_secret(secret) and row.last_used_at is not None
    accounts.revoke_token(user.id, record.id)
    anonymous = TestClient(alice.app)
    assert anonymous.get("/api/v1/me", headers=auth).status_code == 401


def test_accounts_validate_input(demo_store) -> None:
    accounts = Accounts(demo_store)
    now = datetime.now(UTC)
    with pytest.raises(Conflict):
        accounts.add_user("alice", "another-password", now=now)
    with pytest.raises(InputError):
        accounts.add_user("carol", "short", now=now)
    with pytest.raises(InputError):
        accounts.add_user("no spaces", "long-enough-password", now=now)
    with pytest.raises(NotFound):
        accounts.user("nobody")
    assert accounts.authenticate("nobody", "whatever-password") is None
    assert accounts.authenticate("alice", USERS["alice"]) is not None


def test_expired_session_is_refused(demo_store) -> None:
    accounts = Accounts(demo_store)
    user = accounts.user("bob")
    past = datetime.now(UTC) - timedelta(days=30)
    secret = accounts.open_session(user.id, now=past, lifetime=timedelta(days=1))
    assert accounts.session_user(secret, now=datetime.now(UTC)) is None
    fresh = accounts.open_session(user.id, now=datetime.now(UTC), lifetime=timedelta(days=1))
    assert accounts.session_user(fresh, now=datetime.now(UTC)) == user


def test_password_change_ends_other_sessions(tmp_path) -> None:
    from broadsheet.config import Settings
    from broadsheet.store import Store

    settings = Settings(db=str(tmp_path / "p.db"))
    store = Store.open(settings.db_url)
    Accounts(store).add_user("alice", USERS["alice"], now=datetime.now(UTC))
    here = log_in(make_client(settings, store))
    elsewhere = log_in(make_client(settings, store))
    token = csrf_of(here.get("/settings").text)
    wrong = here.post(
        "/settings/password", data={"current": "nope", "new": "n" * 12, "csrf_token": token}
    )
    assert wrong.status_code == 400 and "current password is wrong" in wrong.text
    short = here.post(
        "/settings/password", data={"current": USERS["alice"], "new": "short", "csrf_token": token}
    )
    assert short.status_code == 400 and "at least 8 characters" in short.text
    done = here.post(
        "/settings/password",
        data={"current": USERS["alice"], "new": "a-new-password", "csrf_token": token},
    )
    assert done.headers["location"] == "/settings?done=password_changed"
    assert here.get("/settings").status_code == 200
    assert elsewhere.get("/settings").status_code == 303
    accounts = Accounts(store)
    assert accounts.authenticate("alice", USERS["alice"]) is None
    assert accounts.authenticate("alice", "a-new-password") is not None
    store.close()
