"""URL checks and canonical forms.

A canonical URL is what makes "the same article" recognisable across fetches: scheme and host
lower-cased, default ports, fragments and tracking parameters dropped, the remaining query sorted.
Only ``http`` and ``https`` URLs are accepted: anything else in an input (``javascript:``,
``file:``, ``data:``) is hostile or meaningless for an article and is refused with ``InvalidField``.
"""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from broadsheet.errors import InvalidField

__all__ = ["MAX_URL_LENGTH", "canonical_url", "check_url", "hostname"]

# 2,048 characters: the de-facto limit browsers and most servers keep to; longer "URLs" in
# news inputs are data blobs or attacks, not article addresses.
MAX_URL_LENGTH = 2048

_ALLOWED_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that identify a campaign or a click, never the content.
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "mtm_", "hsa_")
_TRACKING_NAMES = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "ref_src", "cmpid", "ocid", "_ga"}
)


def check_url(url: str, *, field: str = "url") -> str:
    """Return ``url`` stripped, or raise ``InvalidField`` saying why it is not an article URL."""
    text = url.strip()
    if not text:
        raise InvalidField(f"{field}: empty URL")
    if len(text) > MAX_URL_LENGTH:
        raise InvalidField(f"{field}: URL is {len(text)} characters, over {MAX_URL_LENGTH}")
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in text) or " " in text:
        raise InvalidField(f"{field}: URL contains whitespace or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidField(f"{field}: malformed URL {text[:80]!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in _ALLOWED_SCHEMES:
        shown = scheme or "none"
        raise InvalidField(f"{field}: scheme {shown!r} is not allowed (only http and https)")
    if not parts.hostname:
        raise InvalidField(f"{field}: URL {text[:80]!r} has no host")
    if port == 0:
        raise InvalidField(f"{field}: URL {text[:80]!r} has port 0")
    return text


def canonical_url(url: str, *, field: str = "url") -> str:
    """The canonical form of an article URL (see module docstring); raises ``InvalidField``."""
    parts = urlsplit(check_url(url, field=field))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    with contextlib.suppress(UnicodeError):  # else keep the Unicode host: still a stable key
        host = host.encode("idna").decode("ascii")
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path or "/"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith(_TRACKING_PREFIXES) and key.lower() not in _TRACKING_NAMES
    ]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def hostname(url: str | None) -> str | None:
    """The host of ``url`` without a leading ``www.``, or None when there is none."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host.removeprefix("www.")
