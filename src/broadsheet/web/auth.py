"""Who is asking: session cookies, API tokens, CSRF tokens and login rate limiting.

- Sessions: a random id in an HttpOnly, SameSite=Lax cookie (Secure when the request came over
  HTTPS, directly or through a proxy uvicorn trusts); the store keeps only its hash.
- API tokens: ``Authorization: Bearer bst_...``; the store keeps only their hashes. Feed readers
  mostly cannot send a bearer token but all send HTTP Basic credentials, so a token also works
  as the password of ``Authorization: Basic`` with the user's name (``https://NAME:TOKEN@host/
  feeds/following.atom``). An account's login password is never accepted that way: it would
  then sit in every feed reader's settings, and Basic has no rate limit here.
- CSRF: every form carries the value of the ``bs_csrf`` cookie (double submit). A page on another
  site can make the browser send the cookie but cannot read it, so it cannot put it in the form;
  SameSite=Strict on that cookie and the Origin check below are two more locks on the same door.
- Login rate limit: failures are counted per client address and per user name in a sliding window
  held in memory (one process serves the embedded setup; replicas each keep their own count).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from fastapi import Request

from broadsheet.model import User
from broadsheet.store.users import Accounts

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "SESSION_COOKIE",
    "SESSION_LIFETIME",
    "ApiAuthRequired",
    "CsrfFailed",
    "FeedAuthRequired",
    "LoginLimiter",
    "LoginRequired",
    "check_csrf",
    "csrf_token",
    "current_user",
    "is_https",
    "user_dependencies",
]

SESSION_COOKIE = "bs_session"
CSRF_COOKIE = "bs_csrf"
CSRF_FIELD = "csrf_token"
# 14 days: long enough that a daily reader is not asked to log in every week.
SESSION_LIFETIME = timedelta(days=14)


class LoginRequired(Exception):
    """A page needs a logged-in user; the handler redirects to the login page."""


class ApiAuthRequired(Exception):
    """An API call needs a token or a session; the handler answers 401 in the JSON error shape."""


class FeedAuthRequired(Exception):
    """A private Atom feed needs credentials; the handler answers 401 with a Basic challenge,
    which feed readers answer with the user's name and an API token."""


class CsrfFailed(Exception):
    """A form came without the right CSRF token or from another origin."""


def _now() -> datetime:
    return datetime.now(UTC)


def is_https(request: Request) -> bool:
    """Whether the client reached us over HTTPS (uvicorn applies trusted X-Forwarded-Proto)."""
    return request.url.scheme == "https"


def current_user(request: Request) -> User | None:
    """The user behind this request's bearer token or session cookie, looked up once."""
    if hasattr(request.state, "user"):
        user: User | None = request.state.user
        return user
    accounts: Accounts = request.app.state.accounts
    user = None
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        user = accounts.token_user(credential.strip(), now=_now())
    elif scheme.lower() == "basic" and credential.strip():
        user = _basic_user(accounts, credential.strip())
    else:
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            user = accounts.session_user(session, now=_now())
    request.state.user = user
    return user


def user_dependencies(
    challenge: type[Exception],
) -> tuple[Callable[[Request], User | None], Callable[[Request], User]]:
    """Two request dependencies that raise ``challenge`` (whose handler decides what the client
    sees: a login redirect for pages, a 401 for the API and for feeds) when nobody is behind the
    request: a *reader* (anyone when ``public_read`` is on) and a *member* (always a user)."""

    def reader(request: Request) -> User | None:
        user = current_user(request)
        if user is None and not request.app.state.settings.public_read:
            raise challenge()
        return user

    def member(request: Request) -> User:
        user = current_user(request)
        if user is None:
            raise challenge()
        return user

    return reader, member


def _basic_user(accounts: Accounts, credential: str) -> User | None:
    """The user of ``NAME:TOKEN`` in Basic credentials: the token's owner, when NAME is theirs."""
    try:
        name, sep, secret = base64.b64decode(credential, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if not sep or not secret:
        return None
    user = accounts.token_user(secret, now=_now())
    if user is None or not hmac.compare_digest(user.name.encode(), name.encode()):
        return None
    return user


def csrf_token(request: Request) -> str:
    """This client's CSRF token: the cookie's, or a new one the response middleware will set."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and len(existing) >= 32:
        return existing
    if not getattr(request.state, "new_csrf", None):
        request.state.new_csrf = secrets.token_urlsafe(32)
    token: str = request.state.new_csrf
    return token


def check_csrf(request: Request, form: Mapping[str, object]) -> None:
    """Raise ``CsrfFailed`` unless the form's token equals the cookie and the Origin (when the
    browser sent one) is this site."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get(CSRF_FIELD)
    if not cookie or not isinstance(sent, str) or not hmac.compare_digest(cookie, sent):
        raise CsrfFailed("missing or wrong CSRF token")
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if urlsplit(origin).netloc != host:
            raise CsrfFailed(f"form posted from another origin: {origin}")


@dataclass
class LoginLimiter:
    """At most ``max_failures`` failed logins per key within ``window_s``; keys are the client
    address and the user name, so neither one attacker nor a spread-out attack on one account
    gets unlimited guesses."""

    # 5 per 15 minutes: OWASP's suggestion for interactive logins; a person who forgot a password
    # gets five tries, a guesser gets 480 a day per address.
    max_failures: int = 5
    window_s: float = 900.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def retry_after_s(self, keys: tuple[str, ...]) -> int:
        """Seconds until another attempt is allowed for these keys; 0 when allowed now."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if len(times) >= self.max_failures:
                    wait = max(wait, self.window_s - (now - times[0]))
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, keys: tuple[str, ...]) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, keys: tuple[str, ...]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
