"""Fetch stage: get one URL over HTTP(S), safely and politely, as bytes for the pipeline.

The only pipeline module that does network I/O. ``Fetcher.fetch`` guarantees:

- **No request to a non-public address.** Every connection is made by ``_GuardedBackend``, which
  resolves the host name once, refuses loopback, private, link-local, multicast, reserved,
  unspecified, IPv4-mapped (and 6to4/Teredo-embedded) private addresses, and connects to the very
  address it checked. So the check holds for the connection actually made: a DNS answer that
  changes between check and connect (DNS rebinding) cannot slip through, and every redirect hop
  opens its connection through the same check. Proxies from the environment are ignored for the
  same reason. ``FetchPolicy.allow_hosts`` (``BROADSHEET_FETCH_ALLOW_HOSTS``) opens chosen host
  names or networks; only ``http`` and ``https`` URLs are ever fetched.
- **Bounded work.** Connect/read timeouts and a total deadline per request; at most
  ``max_redirects`` hops, followed here (not by httpx) so each is checked; the body is streamed
  and stops at ``max_bytes`` both as sent and after decompression (gzip, deflate, brotli), which
  defeats compression bombs without holding them in memory.
- **Politeness.** A clear User-Agent; robots.txt is read (and cached) per origin and obeyed,
  including a Crawl-delay; ``HostGate`` limits requests in flight per host and overall and
  spaces requests to one host; 5xx, 429, timeouts and failed connections are retried with
  exponential backoff, or after the server's ``Retry-After`` when it gives one.
- **Conditional GET.** ``etag``/``last_modified`` go out as ``If-None-Match``/
  ``If-Modified-Since``; a 304 comes back as a ``FetchResponse`` with ``not_modified`` set.

Failures raise a ``FetchError`` subclass with a stable code and a message naming the URL.
"""

from __future__ import annotations

import codecs
import email.message
import email.utils
import ipaddress
import logging
import socket
import threading
import time
import typing
import urllib.robotparser
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from broadsheet.config import DEFAULT_USER_AGENT, Settings
from broadsheet.digits import is_ascii_digits
from broadsheet.errors import (
    BlockedAddress,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    ResponseTooLarge,
    RobotsDisallowed,
    TooManyRedirects,
)

try:  # brotli is a dependency, but a missing optional build must not break fetching.
    import brotli

    _HAS_BROTLI = True
    _BROTLI_ERROR: type[Exception] = brotli.error
except ImportError:  # pragma: no cover
    _HAS_BROTLI = False
    _BROTLI_ERROR = zlib.error

__all__ = [
    "AddressGuard",
    "FetchPolicy",
    "FetchResponse",
    "Fetcher",
    "HostGate",
    "RobotsCache",
    "blocked_reason",
]

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# robots.txt files over 500 KiB are cut there (RFC 9309 asks crawlers to read at least that much).
_ROBOTS_MAX_BYTES = 512_000


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Every limit of the fetcher in one value (built from ``Settings`` by the shells).

    ``backoff_s`` is the first retry delay, doubled each time; a ``Retry-After`` longer than
    ``max_retry_after_s`` is not waited for: the request fails and the caller reschedules.
    """

    timeout_s: float = 30.0
    read_timeout_s: float = 10.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    retries: int = 2
    backoff_s: float = 1.0
    max_retry_after_s: float = 60.0
    concurrency: int = 16
    host_concurrency: int = 2
    host_delay_s: float = 1.0
    # Crawl-delay values above a minute are capped: one feed poll a minute per host is enough.
    max_crawl_delay_s: float = 60.0
    robots_ttl_s: float = 86_400.0
    obey_robots: bool = True
    allow_hosts: tuple[str, ...] = ()
    allow_private_networks: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchPolicy:
        return cls(
            timeout_s=settings.fetch_timeout_s,
            read_timeout_s=settings.fetch_read_timeout_s,
            max_bytes=settings.fetch_max_bytes,
            user_agent=settings.fetch_user_agent or DEFAULT_USER_AGENT,
            retries=settings.fetch_retries,
            concurrency=settings.fetch_concurrency,
            host_concurrency=settings.fetch_host_concurrency,
            host_delay_s=settings.fetch_host_delay_s,
            allow_hosts=settings.fetch_allow_hosts,
            allow_private_networks=settings.fetch_allow_private_networks,
        )


@dataclass(frozen=True, slots=True)
class FetchResponse:
    """A final answer: 200 with a (decompressed) body, or 304 with none.

    ``url`` is where the body came from after redirects; ``permanent_url`` is set when every hop
    was a permanent redirect (301/308), so a subscription can be moved there.
    """

    url: str
    status: int
    data: bytes = b""
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    permanent_url: str | None = None
    redirects: tuple[str, ...] = ()

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# --- addresses -----------------------------------------------------------------------------------


def blocked_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be fetched from (``"loopback"``, ``"private"`` …), or None if public."""
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 address can carry an IPv4 one (::ffff:127.0.0.1, 2002:7f00:1::, Teredo) that
        # the kernel would reach: judge the embedded address.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            inner = blocked_reason(embedded)
            return f"IPv4-embedded {inner}" if inner else None
    checks = (
        (ip.is_loopback, "loopback"),
        (ip.is_unspecified, "unspecified"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_reserved, "reserved"),
        (ip.is_private, "private"),
        (not ip.is_global, "not globally routable"),
    )
    for hit, reason in checks:
        if hit:
            return reason
    return None


@dataclass(frozen=True, slots=True)
class AddressGuard:
    """Decides which URLs and resolved addresses may be fetched."""

    allow_hosts: frozenset[str] = frozenset()
    allow_networks: tuple[IPNetwork, ...] = ()
    allow_private_networks: bool = False

    @classmethod
    def from_allowlist(cls, entries: Sequence[str], *, allow_private: bool = False) -> AddressGuard:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks), allow_private)

    def check_url(self, url: str) -> None:
        """Refuse non-http(s) URLs, URLs without a host, and literal non-public IPs."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
            _ = parts.port  # raises for a malformed port
        except ValueError as exc:
            raise BlockedAddress(f"{url}: not a valid URL ({exc})") from exc
        if parts.scheme not in ("http", "https"):
            raise BlockedAddress(f"{url}: only http and https URLs are fetched")
        if not host:
            raise BlockedAddress(f"{url}: the URL has no host")
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            return
        self.check_address(host, literal)

    def check_address(self, host: str, ip: IPAddress) -> None:
        """Raise ``BlockedAddress`` unless ``ip`` (which ``host`` resolved to) may be used."""
        if self.allow_private_networks or host.lower().rstrip(".") in self.allow_hosts:
            return
        if any(ip.version == net.version and ip in net for net in self.allow_networks):
            return
        reason = blocked_reason(ip)
        if reason:
            raise BlockedAddress(
                f"{host} resolves to {ip}, a {reason} address: refused "
                "(allow it with BROADSHEET_FETCH_ALLOW_HOSTS)"
            )

    def resolve(self, host: str, port: int) -> list[str]:
        """Every address of ``host`` that may be connected to, in resolver order.

        Raises ``BlockedAddress`` when none may, ``FetchError`` when the name does not resolve.
        """
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(f"{host}: the host name does not resolve ({exc})") from exc
        allowed: list[str] = []
        refusal: BlockedAddress | None = None
        for *_, sockaddr in infos:
            address = str(sockaddr[0]).split("%", 1)[0]
            try:
                self.check_address(host, ipaddress.ip_address(address))
            except BlockedAddress as exc:
                refusal = refusal or exc
                continue
            if address not in allowed:
                allowed.append(address)
        if not allowed:
            raise refusal or FetchError(f"{host}: the host name has no address")
        return allowed


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, resolving and checking the address itself before connecting.

    httpcore hands us the URL's host name; we resolve it once, keep only allowed addresses and
    connect to one of those by IP. TLS still verifies and sends SNI for the host name, because
    httpcore starts TLS with the origin's name, not with the address we connected to.
    """

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in self._guard.resolve(host, port):
            try:
                return super().connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last


class _GuardedTransport(httpx.HTTPTransport):
    """An ``httpx.HTTPTransport`` whose every connection goes through ``_GuardedBackend``."""

    def __init__(self, guard: AddressGuard, *, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        # httpx has no parameter for httpcore's network backend, so the pool it built is
        # replaced by an identical one that uses ours. tests/pipeline/test_fetch.py proves the
        # guard is in force (a redirect to 127.0.0.1 is refused) should httpx change this.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(guard),
        )


# --- politeness ----------------------------------------------------------------------------------


class HostGate:
    """Limits requests in flight (overall and per host) and spaces the starts per host."""

    def __init__(
        self,
        *,
        concurrency: int,
        host_concurrency: int,
        host_delay_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._all = threading.BoundedSemaphore(concurrency)
        self._host_concurrency = host_concurrency
        self._delay_s = host_delay_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._next_at: dict[str, float] = {}
        self._delays: dict[str, float] = {}

    def set_delay(self, host: str, delay_s: float) -> None:
        """Space requests to ``host`` by at least ``delay_s`` (a robots.txt Crawl-delay)."""
        with self._lock:
            self._delays[host] = max(delay_s, self._delay_s)

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._lock:
            per_host = self._hosts.setdefault(
                host, threading.BoundedSemaphore(self._host_concurrency)
            )
        # Host slot and delay first, then the global slot: a thread that waits for its host
        # (busy, or asked to pause) holds no global slot another host could use.
        with per_host:
            with self._lock:
                now = self._clock()
                start = max(now, self._next_at.get(host, now))
                self._next_at[host] = start + self._delays.get(host, self._delay_s)
            if start > now:
                self._sleep(start - now)
            with self._all:
                yield


@dataclass(slots=True)
class _RobotsEntry:
    parser: urllib.robotparser.RobotFileParser | None  # None: allow everything
    expires_at: float
    problem: str | None = None  # robots.txt could not be read: everything disallowed for now


class RobotsCache:
    """robots.txt per origin, fetched on first use and kept for ``ttl_s`` (RFC 9309).

    A missing robots.txt (any 4xx) allows everything; one that cannot be fetched (5xx, timeout)
    disallows everything until it expires, a tenth of the usual time later.
    """

    def __init__(self, fetcher: Fetcher, *, ttl_s: float, clock: Callable[[], float]) -> None:
        self._fetcher = fetcher
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._origin_locks: dict[str, threading.Lock] = {}
        self._entries: dict[str, _RobotsEntry] = {}

    def check(self, url: str, user_agent: str) -> None:
        """Raise ``RobotsDisallowed`` when the origin's robots.txt forbids ``url``."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if parts.path == "/robots.txt":
            return
        entry = self._entry(origin)
        if entry.problem:
            raise RobotsDisallowed(f"{url}: {entry.problem}; not fetched until it can be read")
        if entry.parser is not None and not entry.parser.can_fetch(user_agent, url):
            raise RobotsDisallowed(f"{url}: disallowed by {origin}/robots.txt")

    def _entry(self, origin: str) -> _RobotsEntry:
        with self._lock:
            lock = self._origin_locks.setdefault(origin, threading.Lock())
        with lock:
            entry = self._entries.get(origin)
            if entry is None or entry.expires_at <= self._clock():
                entry = self._load(origin)
                self._entries[origin] = entry
            return entry

    def _load(self, origin: str) -> _RobotsEntry:
        expires_at = self._clock() + self._ttl_s
        try:
            response = self._fetcher.fetch(
                f"{origin}/robots.txt", check_robots=False, max_bytes=_ROBOTS_MAX_BYTES
            )
        except HTTPStatusError as exc:
            if 400 <= exc.status < 500:
                return _RobotsEntry(None, expires_at)
            problem = f"{origin}/robots.txt answered {exc.status}"
            return _RobotsEntry(None, self._clock() + self._ttl_s / 10, problem)
        except ResponseTooLarge:
            return _RobotsEntry(None, expires_at)
        except BlockedAddress:
            raise
        except FetchError as exc:
            problem = f"{origin}/robots.txt could not be fetched ({exc.message})"
            return _RobotsEntry(None, self._clock() + self._ttl_s / 10, problem)
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(response.data.decode("utf-8", "replace").splitlines())
        delay = parser.crawl_delay(self._fetcher.policy.user_agent)
        if delay:
            host = urlsplit(origin).netloc.lower()
            self._fetcher.gate.set_delay(
                host, min(float(delay), self._fetcher.policy.max_crawl_delay_s)
            )
        return _RobotsEntry(parser, expires_at)


# --- bodies --------------------------------------------------------------------------------------


class _Inflater:
    """One content coding, undone with bounded output per call (gzip, deflate, br)."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._zlib: typing.Any = None
        self._brotli: typing.Any = None
        self._deflate_first = coding == "deflate"
        if coding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
        elif coding == "br" and _HAS_BROTLI:
            self._brotli = brotli.Decompressor()
        else:
            raise FetchError(f"unsupported Content-Encoding {coding!r}")

    def feed(self, data: bytes, limit: int) -> Iterator[bytes]:
        """Decompressed pieces of ``data``, none longer than ``limit`` + 1 bytes."""
        try:
            if self._brotli is not None:
                out = self._brotli.process(data, output_buffer_limit=limit + 1)
                yield out
                while not self._brotli.can_accept_more_data():
                    more = self._brotli.process(b"", output_buffer_limit=limit + 1)
                    if not more:  # nothing left to give: never spin on a finished stream
                        break
                    yield more
                return
            if self._deflate_first:
                # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate.
                self._deflate_first = False
                try:
                    probe = zlib.decompressobj(zlib.MAX_WBITS)
                    out = probe.decompress(data, limit + 1)
                    self._zlib = probe
                    yield out
                except zlib.error:
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    yield self._zlib.decompress(data, limit + 1)
            else:
                yield self._zlib.decompress(data, limit + 1)
            while self._zlib.unconsumed_tail:
                yield self._zlib.decompress(self._zlib.unconsumed_tail, limit + 1)
        except (zlib.error, _BROTLI_ERROR) as exc:
            raise FetchError(f"the {self.coding} body is corrupt ({exc})") from exc


def _content_codings(headers: httpx.Headers) -> list[str]:
    value = headers.get("content-encoding", "")
    codings = [c.strip().lower() for c in value.split(",") if c.strip()]
    return [c for c in codings if c != "identity"]


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    message = email.message.Message()
    message["content-type"] = content_type
    value = message.get_param("charset")
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return codecs.lookup(value.strip().strip("'\"")).name
    except LookupError:
        return None


def _retry_after_s(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from now (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if is_ascii_digits(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


_STATUS_WORDS = {
    401: "needs a login (401 Unauthorized)",
    403: "refused us (403 Forbidden)",
    404: "was not found (404 Not Found)",
    410: "is gone for good (410 Gone)",
    429: "asked us to slow down (429 Too Many Requests)",
}


@dataclass(slots=True)
class _Answer:
    status: int
    headers: httpx.Headers
    data: bytes = b""
    url: str = ""


# --- the fetcher ---------------------------------------------------------------------------------


@dataclass
class Fetcher:
    """A thread-safe HTTP client for feeds and pages; use as a context manager, or ``close``.

    ``sleep`` and ``monotonic`` are injectable so tests run backoffs and delays instantly.
    """

    policy: FetchPolicy = field(default_factory=FetchPolicy)
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    client: httpx.Client = field(init=False)
    gate: HostGate = field(init=False)
    robots: RobotsCache = field(init=False)
    guard: AddressGuard = field(init=False)

    def __post_init__(self) -> None:
        policy = self.policy
        self.guard = AddressGuard.from_allowlist(
            policy.allow_hosts, allow_private=policy.allow_private_networks
        )
        limits = httpx.Limits(
            max_connections=policy.concurrency * 2,
            max_keepalive_connections=policy.concurrency,
        )
        codings = "gzip, deflate, br" if _HAS_BROTLI else "gzip, deflate"
        self.client = httpx.Client(
            transport=_GuardedTransport(self.guard, limits=limits),
            timeout=httpx.Timeout(policy.read_timeout_s, pool=policy.timeout_s),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": codings},
        )
        self.gate = HostGate(
            concurrency=policy.concurrency,
            host_concurrency=policy.host_concurrency,
            host_delay_s=policy.host_delay_s,
            clock=self.monotonic,
            sleep=self.sleep,
        )
        self.robots = RobotsCache(self, ttl_s=policy.robots_ttl_s, clock=self.monotonic)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
        check_robots: bool = True,
        max_bytes: int | None = None,
    ) -> FetchResponse:
        """GET ``url``, following up to ``policy.max_redirects`` redirects, each one checked.

        Returns a 200 (with the decompressed body) or a 304 when ``etag``/``last_modified``
        still hold. Raises ``BlockedAddress``, ``RobotsDisallowed``, ``TooManyRedirects``,
        ``ResponseTooLarge``, ``FetchTimeout``, ``HTTPStatusError`` (after retries for 5xx and
        429) or ``FetchError`` (connection failures, corrupt compression).
        """
        headers = {"Accept": accept or "*/*"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        limit = min(max_bytes or self.policy.max_bytes, self.policy.max_bytes)
        current = url
        seen = [url]
        permanent = True
        for _hop in range(self.policy.max_redirects + 1):
            self.guard.check_url(current)
            if check_robots and self.policy.obey_robots:
                self.robots.check(current, self.policy.user_agent)
            answer = self._with_retries(current, headers, limit)
            if answer.status not in _REDIRECTS:
                content_type = answer.headers.get("content-type")
                return FetchResponse(
                    url=current,
                    status=answer.status,
                    data=answer.data,
                    content_type=content_type,
                    charset=_charset(content_type),
                    etag=answer.headers.get("etag"),
                    last_modified=answer.headers.get("last-modified"),
                    permanent_url=current if permanent and current != url else None,
                    redirects=tuple(seen[1:]),
                )
            location = answer.headers.get("location")
            if not location:
                raise FetchError(f"{current}: redirect ({answer.status}) without a Location")
            permanent = permanent and answer.status in (301, 308)
            target = urljoin(current, location.strip())
            if target in seen:
                raise TooManyRedirects(f"{url}: redirect loop back to {target}")
            seen.append(target)
            logger.debug("fetch_redirect", extra={"url": current, "to": target})
            current = target
        raise TooManyRedirects(
            f"{url}: more than {self.policy.max_redirects} redirects (last: {current})"
        )

    def _with_retries(self, url: str, headers: dict[str, str], limit: int) -> _Answer:
        attempt = 0
        while True:
            try:
                return self._exchange(url, headers, limit)
            except (FetchTimeout, HTTPStatusError, _ConnectionFailed) as exc:
                retryable = not isinstance(exc, HTTPStatusError) or exc.status in _RETRY_STATUSES
                if not retryable or attempt >= self.policy.retries:
                    raise
                asked = exc.retry_after_s if isinstance(exc, HTTPStatusError) else None
                wait = asked if asked is not None else self.policy.backoff_s * 2**attempt
                if wait > self.policy.max_retry_after_s:
                    raise
                attempt += 1
                logger.info(
                    "fetch_retry",
                    extra={"url": url, "code": exc.code, "attempt": attempt, "wait_s": wait},
                )
                self.sleep(wait)

    def _exchange(self, url: str, headers: dict[str, str], limit: int) -> _Answer:
        host = (urlsplit(url).netloc or "").lower()
        with self.gate.slot(host):
            deadline = self.monotonic() + self.policy.timeout_s
            try:
                with self.client.stream("GET", url, headers=headers) as response:
                    status = response.status_code
                    if status in _REDIRECTS or status == 304:
                        return _Answer(status, response.headers, url=url)
                    if status >= 400:
                        words = _STATUS_WORDS.get(status, f"answered {status}")
                        raise HTTPStatusError(
                            f"{url} {words}",
                            status=status,
                            retry_after_s=_retry_after_s(
                                response.headers.get("retry-after"), self.wall_clock()
                            ),
                        )
                    if status != 200:
                        raise FetchError(f"{url}: unexpected status {status}")
                    data = self._read_body(url, response, limit, deadline)
                    return _Answer(status, response.headers, data, url)
            except httpx.TimeoutException as exc:
                raise FetchTimeout(
                    f"{url}: no answer within {self.policy.read_timeout_s:g} s "
                    f"({type(exc).__name__})"
                ) from exc
            except httpx.TransportError as exc:
                raise _ConnectionFailed(
                    f"{url}: connection failed ({exc or type(exc).__name__})"
                ) from exc

    def _read_body(self, url: str, response: httpx.Response, limit: int, deadline: float) -> bytes:
        declared = response.headers.get("content-length", "")
        if is_ascii_digits(declared) and int(declared) > limit:
            raise ResponseTooLarge(f"{url}: Content-Length {int(declared):,} is over {limit:,}")
        inflaters = [_Inflater(c) for c in reversed(_content_codings(response.headers))]
        received = 0
        body = bytearray()
        for chunk in response.iter_raw():
            received += len(chunk)
            if received > limit:
                raise ResponseTooLarge(f"{url}: body is over {limit:,} bytes")
            if self.monotonic() > deadline:
                raise FetchTimeout(f"{url}: body not complete within {self.policy.timeout_s:g} s")
            for piece in _inflate(inflaters, chunk, limit - len(body)):
                body += piece
                if len(body) > limit:
                    raise ResponseTooLarge(
                        f"{url}: body decompresses to over {limit:,} bytes "
                        f"({received:,} bytes sent; a compression bomb?)"
                    )
        return bytes(body)


def _inflate(inflaters: Sequence[_Inflater], data: bytes, room: int) -> Iterator[bytes]:
    """``data`` through each coding in turn; every piece at most ``room`` + 1 bytes."""
    if not inflaters:
        yield data
        return
    first, rest = inflaters[0], inflaters[1:]
    for piece in first.feed(data, room):
        if piece:
            yield from _inflate(rest, piece, room)


class _ConnectionFailed(FetchError):
    """A transport error that may pass on retry (reset, refused, protocol error)."""

    code = "fetch_connection_failed"
