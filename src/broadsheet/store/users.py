"""Accounts in the store: users with argon2 password hashes, login sessions and API tokens.

Session ids and API tokens are random 32-byte secrets handed to the client once; the store keeps
only their SHA-256, so reading the database does not let anyone log in. SHA-256 (not argon2) is
right for them: they carry 256 bits of entropy, so there is nothing to brute-force, and a lookup
by hash stays one indexed query per request.

``Accounts`` wraps a ``Store``'s engine; every write is one short ``BEGIN IMMEDIATE`` transaction,
like the store's own writes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection, CursorResult, Row

from broadsheet.errors import Conflict, InputError, NotFound, StoreError
from broadsheet.model import ApiToken, Follow, FollowKind, User, UserId
from broadsheet.store.schema import api_tokens, follows, sessions, users
from broadsheet.store.sql import Store

__all__ = ["MAX_FOLLOW_WEIGHT", "MIN_PASSWORD_CHARS", "TOKEN_PREFIX", "Accounts", "hash_secret"]

# A prefix makes a leaked token recognisable to secret scanners and to people.
TOKEN_PREFIX = "bst_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
# 8 characters: the NIST SP 800-63B floor for passwords a user chooses.
MIN_PASSWORD_CHARS = 8
_HASHER = PasswordHasher()
# A valid hash of a random password, checked when the name is unknown so that a login for a
# missing user takes as long as one with a wrong password (no user enumeration by timing).
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest under which a session id or API token is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _user(row: Row[Any]) -> User:
    return User(id=UserId(row.id), name=row.name, created_at=row.created_at)


def _token(row: Row[Any]) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_id=UserId(row.user_id),
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
    )


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every INSERT here has an integer primary key
        raise StoreError("insert returned no id")
    return int(key[0])


class Accounts:
    """Users, sessions and API tokens of one store."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    # --- users -----------------------------------------------------------------------------------

    def add_user(self, name: str, password: str, *, now: datetime) -> User:
        """Create a user. Raises ``InputError`` for a bad name or a short password, ``Conflict``
        when the name is taken."""
        if not _NAME.match(name):
            raise InputError(
                f"user name {name!r}: 1 to 64 letters, digits or _ . @ -, starting with a "
                "letter or digit"
            )
        if len(password) < MIN_PASSWORD_CHARS:
            raise InputError(f"password for {name!r}: at least {MIN_PASSWORD_CHARS} characters")
        digest = _HASHER.hash(password)
        with self._write() as conn:
            taken = conn.execute(sa.select(users.c.id).where(users.c.name == name)).first()
            if taken is not None:
                raise Conflict(f"user {name!r} exists already")
            user_id = _new_id(
                conn.execute(users.insert().values(name=name, password_hash=digest, created_at=now))
            )
        return User(id=UserId(int(user_id)), name=name, created_at=now)

    def users(self) -> list[User]:
        """Every user, in the order they were added."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(users).order_by(users.c.id)).all()
        return [_user(row) for row in rows]

    def user(self, name: str) -> User:
        """One user by name. Raises ``NotFound``."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.name == name)).first()
        if row is None:
            raise NotFound(f"no user {name!r}")
        return _user(row)

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when ``password`` is theirs, else ``None`` (same work either way)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.name == name)).first()
        digest = row.password_hash if row is not None else _DUMMY_HASH
        try:
            _HASHER.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if _HASHER.check_needs_rehash(digest):
            with self._write() as conn:
                conn.execute(
                    users.update()
                    .where(users.c.id == row.id)
                    .values(password_hash=_HASHER.hash(password))
                )
        return _user(row)

    def change_password(self, user_id: int, old: str, new: str, *, keep_session: str) -> None:
        """Set a new password when ``old`` is right, and end every other session of the user
        (a stolen session dies with the old password). Raises ``InputError`` for a wrong old or
        a short new password."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.id == user_id)).one()
        try:
            _HASHER.verify(row.password_hash, old)
        except (VerificationError, InvalidHashError):
            raise InputError("the current password is wrong") from None
        if len(new) < MIN_PASSWORD_CHARS:
            raise InputError(f"the new password needs at least {MIN_PASSWORD_CHARS} characters")
        with self._write() as conn:
            conn.execute(
                users.update().where(users.c.id == user_id).values(password_hash=_HASHER.hash(new))
            )
            conn.execute(
                sessions.delete().where(
                    sessions.c.user_id == user_id,
                    sessions.c.token_hash != hash_secret(keep_session),
                )
            )

    # --- sessions --------------------------------------------------------------------------------

    def open_session(self, user_id: int, *, now: datetime, lifetime: timedelta) -> str:
        """Start a login session; returns the secret session id for the cookie."""
        secret = secrets.token_urlsafe(32)
        with self._write() as conn:
            conn.execute(sessions.delete().where(sessions.c.expires_at < now))
            conn.execute(
                sessions.insert().values(
                    user_id=user_id,
                    token_hash=hash_secret(secret),
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
        return secret

    def session_user(self, secret: str, *, now: datetime) -> User | None:
        """The user a live session id belongs to, or ``None``."""
        query = (
            sa.select(users)
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(sessions.c.token_hash == hash_secret(secret), sessions.c.expires_at > now)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return _user(row) if row is not None else None

    def close_session(self, secret: str) -> None:
        """End a session (logout); unknown ids are ignored."""
        with self._write() as conn:
            conn.execute(sessions.delete().where(sessions.c.token_hash == hash_secret(secret)))

    # --- API tokens ------------------------------------------------------------------------------

    def create_token(self, user_id: int, name: str, *, now: datetime) -> tuple[ApiToken, str]:
        """A new API token for ``user_id``: the record, and the secret shown to the user once."""
        label = name.strip()[:100] or "token"
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._write() as conn:
            token_id = _new_id(
                conn.execute(
                    api_tokens.insert().values(
                        user_id=user_id, name=label, token_hash=hash_secret(secret), created_at=now
                    )
                )
            )
        return ApiToken(int(token_id), UserId(user_id), label, now), secret

    def tokens(self, user_id: int) -> list[ApiToken]:
        """The API tokens of one user (never another's), oldest first."""
        query = sa.select(api_tokens).where(api_tokens.c.user_id == user_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(api_tokens.c.id)).all()
        return [_token(row) for row in rows]

    def revoke_token(self, user_id: int, token_id: int) -> None:
        """Delete one of ``user_id``'s tokens. Raises ``NotFound`` for a token that is not
        theirs, exactly as for one that does not exist."""
        with self._write() as conn:
            result = conn.execute(
                api_tokens.delete().where(
                    api_tokens.c.id == token_id, api_tokens.c.user_id == user_id
                )
            )
            if not result.rowcount:
                raise NotFound(f"no API token {token_id}")

    def token_user(self, secret: str, *, now: datetime) -> User | None:
        """The owner of an API token, or ``None``; records when the token was last used."""
        digest = hash_secret(secret)
        query = (
            sa.select(users, api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == digest)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        # Written at most once a minute per token: a busy client does not queue a write per call.
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            with self._write() as conn:
                conn.execute(
                    api_tokens.update()
                    .where(api_tokens.c.id == row.token_id)
                    .values(last_used_at=now)
                )
        return _user(row)

    # --- follows ---------------------------------------------------------------------------------

    def follow(
        self, user_id: int, kind: FollowKind, target: str, *, now: datetime, weight: float = 1.0
    ) -> Follow:
        """Follow ``target`` (an id for entities, sources and stories, words for a keyword);
        following again updates the weight. Raises ``InputError`` for an empty keyword or a
        weight outside 0 < w <= 10."""
        target = kind.normalise(target, verb="follow")
        if not 0 < weight <= MAX_FOLLOW_WEIGHT:
            raise InputError(f"follow weight {weight}: must be above 0 and at most 10")
        with self._write() as conn:
            where = (
                follows.c.user_id == user_id,
                follows.c.kind == kind.value,
                follows.c.target == target,
            )
            row = conn.execute(sa.select(follows).where(*where)).first()
            if row is None:
                conn.execute(
                    follows.insert().values(
                        user_id=user_id,
                        kind=kind.value,
                        target=target,
                        weight=weight,
                        created_at=now,
                    )
                )
            else:
                conn.execute(follows.update().where(follows.c.id == row.id).values(weight=weight))
            found = conn.execute(sa.select(follows).where(*where)).one()
        return _follow(found)

    def follows(self, user_id: int) -> list[Follow]:
        """What one user follows (never another's), oldest first."""
        query = sa.select(follows).where(follows.c.user_id == user_id).order_by(follows.c.id)
        with self.engine.connect() as conn:
            return [_follow(row) for row in conn.execute(query)]

    def unfollow(self, user_id: int, follow_id: int) -> None:
        """Stop following. Raises ``NotFound`` for a follow that is not ``user_id``'s."""
        with self._write() as conn:
            result = conn.execute(
                follows.delete().where(follows.c.id == follow_id, follows.c.user_id == user_id)
            )
            if not result.rowcount:
                raise NotFound(f"no follow {follow_id}")


# A follow counts at most ten times an ordinary one in the personal feed.
MAX_FOLLOW_WEIGHT = 10.0


def _follow(row: Row[Any]) -> Follow:
    return Follow(
        id=row.id,
        user_id=UserId(row.user_id),
        kind=FollowKind(row.kind),
        target=row.target,
        weight=float(row.weight),
        created_at=row.created_at,
    )
